/* autoencoder: the 784-512-64-512-784 MNIST autoencoder of the paper's section 5.5, trained with BP,
   DTP and SDTP on squared error (its Figures 6 and 7).

     cc -O3 -march=native -fopenmp -I. examples/autoencoder.c -o autoencoder -lm
     ./autoencoder --epochs 20 --out results/autoencoder

   Writes, in the --out directory:
     autoencoder.csv      rule,epoch,train_error,test_error,seconds: the reconstruction error, the squared
                          error summed over the 784 pixels and averaged over the images
     autoencoder.svg      those curves, train dashed and test solid (Figure 6)
     reconstructions.png  one test image of each digit (top row) and its reconstruction by each rule in
                          the order of --rules, one row each (Figure 7)
   Run ./autoencoder --help for every option. */
#define _POSIX_C_SOURCE 200809L
#define TARGETPROP_IMPLEMENTATION
#include "targetprop.h"
#include "common.h"

#include <sys/stat.h>
#include <sys/types.h>

#define MAX_RULES 6
#define MAX_EPOCHS 10000
#define SIDE 28
#define ZOOM 2
#define GAP 2

static int usage(FILE *f, int code)
{
    fprintf(f,
"usage: autoencoder [options]\n"
"Trains the paper's MNIST autoencoder (784-512-64-512-784, tanh, sigmoid output, squared error)\n"
"with each rule and draws its reconstruction error and its reconstructions.\n"
"\n"
"  --data DIR        MNIST directory (default data/mnist)\n"
"  --rules LIST      comma-separated rules (default bp,dtp,sdtp; fa, dfa and aosdtp work too)\n"
"  --epochs N        epochs per rule (default 20; alternating: forward epochs)\n"
"  --schedule S      parallel (default) or alternating, for the TP rules\n"
"  --lr X            forward Adam learning rate (default 1e-3)\n"
"  --inverse-lr X    inverse Adam learning rate (default 1e-3)\n"
"  --sigma X         noise of inverse training (default 0.1)\n"
"  --alpha X         DTP step size of the penultimate target (default 0.1)\n"
"  --batch N         minibatch size (default 128)\n"
"  --max-batches N   at most N batches per epoch (quick checks)\n"
"  --seed N          seed (default 1)\n"
"  --threads N       OpenMP threads (default: all)\n"
"  --out DIR         output directory (default results/autoencoder)\n"
"  -h, --help        this text\n");
    return code;
}

typedef struct {
    FILE *csv;
    const char *rule;
    double *train, *test, *epoch; /* per forward epoch */
    int n;
} curve;

static int after_epoch(void *ctx, tp_net *net, const ex_progress *p)
{
    curve *c = (curve *)ctx;
    (void)net;
    if (!strcmp(p->phase, "inverse")) return 0;
    c->epoch[c->n] = c->n + 1;
    c->train[c->n] = p->train.loss;
    c->test[c->n] = p->test_loss;
    c->n++;
    fprintf(c->csv, "%s,%d,%.6f,%.6f,%.2f\n", c->rule, c->n, p->train.loss, p->test_loss, p->elapsed);
    fflush(c->csv);
    printf("%-6s epoch %3d  reconstruction error: train %8.3f  test %8.3f  %6.1fs\n", c->rule, c->n, p->train.loss,
           p->test_loss, p->elapsed);
    fflush(stdout);
    return 0;
}

/* Copies a 28x28 image into the grid at cell (row, col), each pixel ZOOM x ZOOM. */
static void put_image(unsigned char *img, int width, int row, int col, const float *x)
{
    for (int i = 0; i < SIDE * ZOOM; i++)
        for (int j = 0; j < SIDE * ZOOM; j++) {
            float v = x[(i / ZOOM) * SIDE + j / ZOOM];
            v = v < 0 ? 0 : v > 1 ? 1 : v;
            img[(size_t)(GAP + row * (SIDE * ZOOM + GAP) + i) * width + GAP + col * (SIDE * ZOOM + GAP) + j] =
                (unsigned char)(255.0f * v + 0.5f);
        }
}

int main(int argc, char **argv)
{
    const char *data_dir = NULL, *out_dir = "results/autoencoder", *rules_s = "bp,dtp,sdtp", *sched_s = "parallel";
    float lr = 1e-3f, ilr = 1e-3f, sigma = 0.1f, alpha = 0.1f;
    int epochs = 20, batch = 128, max_batches = 0, threads = 0, nrules = 0;
    int seed = 1;
    tp_rule rules[MAX_RULES];
    char rule_names[MAX_RULES][16], path[1200];
    tp_dataset train, test;
    static curve curves[MAX_RULES];
    int pick[10], found = 0, status = 0;
    float *recon, *x;
    FILE *csv;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL, *P = "autoencoder";
        int ok = 1;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout, 0);
        if (!v) { fprintf(stderr, "autoencoder: %s needs a value (see --help)\n", a); return 2; }
        i++;
        if (!strcmp(a, "--data")) data_dir = v;
        else if (!strcmp(a, "--out")) out_dir = v;
        else if (!strcmp(a, "--rules")) rules_s = v;
        else if (!strcmp(a, "--schedule")) sched_s = v;
        else if (!strcmp(a, "--lr")) ok = ex_parse_float(P, a, v, 1e-8f, 10, &lr);
        else if (!strcmp(a, "--inverse-lr")) ok = ex_parse_float(P, a, v, 1e-8f, 10, &ilr);
        else if (!strcmp(a, "--sigma")) ok = ex_parse_float(P, a, v, 0, 10, &sigma);
        else if (!strcmp(a, "--alpha")) ok = ex_parse_float(P, a, v, 0, 10, &alpha);
        else if (!strcmp(a, "--seed")) ok = ex_parse_int(P, a, v, 0, 1 << 30, &seed);
        else if (!strcmp(a, "--epochs")) ok = ex_parse_int(P, a, v, 1, MAX_EPOCHS, &epochs);
        else if (!strcmp(a, "--batch")) ok = ex_parse_int(P, a, v, 1, 1 << 20, &batch);
        else if (!strcmp(a, "--max-batches")) ok = ex_parse_int(P, a, v, 0, 1 << 30, &max_batches);
        else if (!strcmp(a, "--threads")) ok = ex_parse_int(P, a, v, 0, 1024, &threads);
        else { fprintf(stderr, "autoencoder: unknown option %s (see --help)\n", a); return 2; }
        if (!ok) return 2;
    }
    for (const char *p = rules_s; *p;) { /* the rule list */
        size_t n = strcspn(p, ",");
        char name[16];
        snprintf(name, sizeof name, "%.*s", (int)(n < 15 ? n : 15), p);
        if (nrules == MAX_RULES || n >= 15 || tp_rule_parse(name, &rules[nrules]) != TP_OK) {
            fprintf(stderr, "autoencoder: --rules \"%s\": expected up to %d of bp, fa, dfa, dtp, sdtp, aosdtp separated by commas\n",
                    rules_s, MAX_RULES);
            return 2;
        }
        snprintf(rule_names[nrules++], sizeof rule_names[0], "%s", name);
        p += n + (p[n] == ',');
    }
    if (nrules == 0) return usage(stderr, 2);
    if (strcmp(sched_s, "parallel") && strcmp(sched_s, "alternating")) {
        fprintf(stderr, "autoencoder: --schedule \"%s\": expected parallel or alternating\n", sched_s);
        return 2;
    }
    if (threads > 0) tp_set_threads(threads);
    if (!ex_load_data("autoencoder", "mnist", data_dir, &train, &test)) return 1;
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "autoencoder: %s: cannot create the directory: %s\n", out_dir, strerror(errno));
        return 1;
    }
    snprintf(path, sizeof path, "%s/autoencoder.csv", out_dir);
    if (!(csv = fopen(path, "w"))) { fprintf(stderr, "autoencoder: %s: cannot open for writing: %s\n", path, strerror(errno)); return 1; }
    fprintf(csv, "rule,epoch,train_error,test_error,seconds\n");

    /* the first test image of each digit */
    for (int d = 0; d < 10; d++) pick[d] = -1;
    for (int i = 0; i < test.n && found < 10; i++)
        if (test.y[i] < 10 && pick[test.y[i]] < 0) { pick[test.y[i]] = i; found++; }
    recon = (float *)calloc((size_t)(nrules + 1) * 10 * SIDE * SIDE, sizeof(float));
    x = (float *)malloc((size_t)10 * SIDE * SIDE * sizeof(float));
    if (!recon || !x || found < 10 || test.dim != SIDE * SIDE) {
        fprintf(stderr, "autoencoder: %s\n", found < 10 ? "the test set lacks one of the ten digits" : "out of memory");
        return 1;
    }
    for (int d = 0; d < 10; d++) memcpy(x + d * SIDE * SIDE, test.x + (size_t)pick[d] * test.dim, SIDE * SIDE * sizeof(float));
    memcpy(recon, x, 10 * SIDE * SIDE * sizeof(float));

    for (int r = 0; r < nrules && !status; r++) {
        tp_config cfg = tp_config_default(rules[r]);
        tp_net net;
        double best = 1.0;
        tp_result res;
        curve *c = &curves[r];
        cfg.schedule = sched_s[0] == 'a' ? TP_ALTERNATING : TP_PARALLEL;
        cfg.forward.lr = lr;
        cfg.inverse.lr = ilr;
        cfg.sigma = sigma;
        cfg.alpha = alpha;
        cfg.max_batch = batch;
        cfg.seed = (uint64_t)seed;
        if (tp_net_create(&net, "mnist-ae", &cfg) != TP_OK) { fprintf(stderr, "autoencoder: %s\n", net.error); return 1; }
        c->csv = csv;
        c->rule = rule_names[r];
        c->epoch = (double *)malloc((size_t)epochs * sizeof(double));
        c->train = (double *)malloc((size_t)epochs * sizeof(double));
        c->test = (double *)malloc((size_t)epochs * sizeof(double));
        if (!c->epoch || !c->train || !c->test) { fprintf(stderr, "autoencoder: out of memory\n"); return 1; }
        res = ex_train(&net, &train, &test, epochs, 1, batch, 0, max_batches, &best, after_epoch, c);
        if (res == TP_ERROR_DIVERGED)
            fprintf(stderr, "autoencoder: %s diverged after %d epochs (%s); its curve stops there\n", c->rule, c->n, net.error);
        else if (res != TP_OK) { fprintf(stderr, "autoencoder: %s: %s\n", c->rule, net.error); status = 1; }
        tp_forward(&net, x, 10);
        memcpy(recon + (size_t)(r + 1) * 10 * SIDE * SIDE, net.out, 10 * SIDE * SIDE * sizeof(float));
        tp_net_destroy(&net);
    }
    if (fclose(csv) != 0) { fprintf(stderr, "autoencoder: %s: write error\n", path); status = 1; }
    else printf("curves: %s\n", path);

    { /* Figure 6: reconstruction error per epoch */
        ex_series s[2 * MAX_RULES];
        ex_chart chart = { "MNIST autoencoder 784-512-64-512-784", "epoch", "reconstruction error (squared, per image)",
                           1, 0, 1, "train (dashed)", "test (solid)" };
        int ns = 0;
        for (int r = 0; r < nrules; r++) {
            ex_series a = { NULL, curves[r].epoch, curves[r].train, curves[r].n, r, 1, 0 };
            ex_series b = { rule_names[r], curves[r].epoch, curves[r].test, curves[r].n, r, 0, 0 };
            s[ns++] = a;
            s[ns++] = b;
        }
        snprintf(path, sizeof path, "%s/autoencoder.svg", out_dir);
        if (!ex_svg_lines(path, &chart, s, ns)) { fprintf(stderr, "autoencoder: %s: cannot write: %s\n", path, strerror(errno)); status = 1; }
        else printf("figure:  %s\n", path);
    }
    { /* Figure 7: originals and reconstructions */
        int w = GAP + 10 * (SIDE * ZOOM + GAP), h = GAP + (nrules + 1) * (SIDE * ZOOM + GAP);
        unsigned char *img = (unsigned char *)malloc((size_t)w * h);
        if (!img) { fprintf(stderr, "autoencoder: out of memory\n"); return 1; }
        memset(img, 128, (size_t)w * h);
        for (int r = 0; r <= nrules; r++)
            for (int d = 0; d < 10; d++) put_image(img, w, r, d, recon + ((size_t)r * 10 + d) * SIDE * SIDE);
        snprintf(path, sizeof path, "%s/reconstructions.png", out_dir);
        if (!ex_png_gray(path, w, h, img)) { fprintf(stderr, "autoencoder: %s: cannot write: %s\n", path, strerror(errno)); status = 1; }
        else {
            printf("picture: %s (top row: test digits; below, one row per rule:", path);
            for (int r = 0; r < nrules; r++) printf(" %s", rule_names[r]);
            printf(")\n");
        }
        free(img);
    }
    for (int r = 0; r < nrules; r++) { free(curves[r].epoch); free(curves[r].train); free(curves[r].test); }
    free(recon);
    free(x);
    tp_dataset_free(&train);
    tp_dataset_free(&test);
    return status;
}
