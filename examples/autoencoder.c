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
#include "cli.h"
#include "data.h"
#include "run.h"
#include "csvlog.h"
#include "pictures.h"

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
"  --rules LIST      comma-separated rules (default bp,dtp,sdtp; any of train --help's)\n"
"  --epochs N        epochs per rule (default 20; alternating: forward epochs)\n"
"  --schedule S      parallel (default) or alternating, for the TP rules\n"
"  --lr X            forward Adam learning rate (default 1e-3)\n"
"  --inverse-lr X    inverse Adam learning rate (default 1e-3)\n"
"  --sigma X         noise of inverse training (default 0.1)\n"
"  --alpha X         DTP step size of the penultimate target (default 0.1)\n"
"  --batch N         minibatch size (default 128)\n"
"  --max-batches N   at most N batches per epoch (quick checks)\n"
"  --seed N          seed (default 1)\n"
"  --threads N|auto  OpenMP threads, 1 to the processors online; auto (default) picks the\n"
"                    fastest count by timing a few batches now and then\n"
"  --out DIR         output directory (default results/autoencoder)\n"
"  -h, --help        this text\n");
    return code;
}

typedef struct {
    FILE *csv;
    const char *path, *rule;
    double *train, *test, *epoch; /* per forward epoch */
    int n, failed;
} curve;

static int after_epoch(void *ctx, tp_net *net, const ex_progress *p)
{
    curve *c = (curve *)ctx;
    (void)net;
    if (p->inverse_only) return 0;
    c->epoch[c->n] = c->n + 1;
    c->train[c->n] = p->train.loss;
    c->test[c->n] = p->test_loss;
    c->n++;
    if (fprintf(c->csv, "%s,%d,%.6f,%.6f,%.2f\n", c->rule, c->n, p->train.loss, p->test_loss, p->elapsed) < 0 ||
        !ex_flushed(c->csv)) {
        fprintf(stderr, "autoencoder: %s: cannot write: %s\n", c->path, strerror(errno));
        return c->failed = 1;
    }
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
    const char *data_dir = NULL, *out_dir = "results/autoencoder", *rules_s = "bp,dtp,sdtp";
    float lr = 1e-3f, ilr = 1e-3f, sigma = 0.1f, alpha = 0.1f;
    int epochs = 20, batch = 128, max_batches = 0, threads = 0, nrules = 0;
    uint64_t seed = 1;
    tp_schedule sched = TP_PARALLEL;
    tp_rule rules[MAX_RULES];
    char rule_names[MAX_RULES][16], path[1200], err[TP_ERROR_LEN];
    ex_args a;
    tp_dataset train, test;
    static curve curves[MAX_RULES];
    int pick[10], found = 0, status = 0;
    float *recon, *x;
    FILE *csv;

    for (ex_args_init(&a, "autoencoder", argc, argv); ex_next(&a);) {
        const char *v, *P = a.prog;
        if (ex_flag(&a, "-h") || ex_flag(&a, "--help")) return usage(stdout, 0);
        else if ((v = ex_value(&a, "--data"))) data_dir = v;
        else if ((v = ex_value(&a, "--out"))) out_dir = v;
        else if ((v = ex_value(&a, "--rules"))) rules_s = v;
        else if ((v = ex_value(&a, "--schedule"))) {
            if (tp_schedule_parse(v, &sched, err) != TP_OK) { fprintf(stderr, "autoencoder: --schedule: %s\n", err); return 2; }
        }
        else if ((v = ex_value(&a, "--lr"))) a.bad |= !ex_parse_float(P, "--lr", v, 1e-8, 10, &lr);
        else if ((v = ex_value(&a, "--inverse-lr"))) a.bad |= !ex_parse_float(P, "--inverse-lr", v, 1e-8, 10, &ilr);
        else if ((v = ex_value(&a, "--sigma"))) a.bad |= !ex_parse_float(P, "--sigma", v, 0, 10, &sigma);
        else if ((v = ex_value(&a, "--alpha"))) a.bad |= !ex_parse_float(P, "--alpha", v, 0, 10, &alpha);
        else if ((v = ex_value(&a, "--seed"))) a.bad |= !ex_parse_u64(P, "--seed", v, &seed);
        else if ((v = ex_value(&a, "--epochs"))) a.bad |= !ex_parse_int(P, "--epochs", v, 1, MAX_EPOCHS, &epochs);
        else if ((v = ex_value(&a, "--batch"))) a.bad |= !ex_parse_int(P, "--batch", v, 1, 1 << 20, &batch);
        else if ((v = ex_value(&a, "--max-batches"))) a.bad |= !ex_parse_int(P, "--max-batches", v, 0, 1 << 30, &max_batches);
        else if ((v = ex_value(&a, "--threads"))) a.bad |= !ex_parse_threads(P, "--threads", v, 1, &threads);
        else ex_unknown(&a);
    }
    if (a.bad) return 2;
    for (const char *p = rules_s; *p;) { /* the rule list */
        size_t n = strcspn(p, ",");
        char name[16];
        snprintf(name, sizeof name, "%.*s", (int)(n < 15 ? n : 15), p);
        if (nrules == MAX_RULES || n >= 15 || tp_rule_parse(name, &rules[nrules], NULL) != TP_OK) {
            char list[256];
            fprintf(stderr, "autoencoder: --rules \"%s\": expected up to %d of %s, separated by commas\n",
                    rules_s, MAX_RULES, tp_rule_list(list, sizeof list));
            return 2;
        }
        snprintf(rule_names[nrules], sizeof rule_names[0], "%s", tp_rule_name(rules[nrules]));
        nrules++;
        p += n + (p[n] == ',');
    }
    if (nrules == 0) return usage(stderr, 2);
    if (!ex_load_data("autoencoder", "mnist", data_dir, &train, &test)) return 1;
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "autoencoder: %s: cannot create the directory: %s\n", out_dir, strerror(errno));
        return 1;
    }
    snprintf(path, sizeof path, "%s/autoencoder.csv", out_dir);
    if (!(csv = fopen(path, "w")) || fprintf(csv, "rule,epoch,train_error,test_error,seconds\n") < 0 || !ex_flushed(csv)) {
        fprintf(stderr, "autoencoder: %s: cannot write: %s\n", path, strerror(errno));
        return 1;
    }

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
        ex_run run;
        ex_state st;
        tp_result res;
        curve *c = &curves[r];
        memset(&run, 0, sizeof run);
        cfg.schedule = sched;
        cfg.forward.lr = lr;
        cfg.inverse.lr = ilr;
        cfg.sigma = sigma;
        cfg.alpha = alpha;
        cfg.max_batch = batch;
        cfg.seed = seed;
        if (tp_net_create(&net, "mnist-ae", &cfg) != TP_OK) { fprintf(stderr, "autoencoder: %s\n", net.error); return 1; }
        c->csv = csv;
        c->path = path;
        c->rule = rule_names[r];
        c->epoch = (double *)malloc((size_t)epochs * sizeof(double));
        c->train = (double *)malloc((size_t)epochs * sizeof(double));
        c->test = (double *)malloc((size_t)epochs * sizeof(double));
        if (!c->epoch || !c->train || !c->test) { fprintf(stderr, "autoencoder: out of memory\n"); return 1; }
        ex_state_init(&st, ex_batches(&train, batch, max_batches), batch);
        run.train = &train;
        run.test = &test;
        run.forward_epochs = epochs;
        run.batch = batch;
        run.max_batches = max_batches;
        run.threads = threads;
        run.after_epoch = after_epoch;
        run.ctx = c;
        res = ex_train(&net, &run, &st);
        if (c->failed) status = 1;
        else if (res == TP_ERROR_DIVERGED)
            fprintf(stderr, "autoencoder: %s diverged after %d epochs (%s); its curve stops there\n", c->rule, c->n, net.error);
        else if (res != TP_OK) { fprintf(stderr, "autoencoder: %s: %s\n", c->rule, net.error); status = 1; }
        if (tp_predict(&net, x, 10, NULL, recon + (size_t)(r + 1) * 10 * SIDE * SIDE) != TP_OK) {
            fprintf(stderr, "autoencoder: %s: %s\n", c->rule, net.error);
            status = 1;
        }
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
