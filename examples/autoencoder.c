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
    const char *data_dir, *out_dir;
    float lr, ilr, sigma, alpha;
    int epochs, batch, max_batches, threads, nrules;
    uint64_t seed;
    tp_schedule sched;
    tp_rule rules[MAX_RULES];
} ae_opts;

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, ae_opts *o)
{
    const char *rules_s = "bp,dtp,sdtp";
    char buf[256], *items[MAX_RULES], list[256], expect[300], err[TP_ERROR_LEN];
    ex_args a;
    memset(o, 0, sizeof *o);
    o->out_dir = "results/autoencoder";
    o->lr = o->ilr = 1e-3f; o->sigma = o->alpha = 0.1f;
    o->epochs = 20; o->batch = 128; o->seed = 1; o->sched = TP_PARALLEL;
    for (ex_args_init(&a, "autoencoder", argc, argv); ex_next(&a);) {
        const char *v, *P = a.prog;
        if (ex_flag(&a, "-h") || ex_flag(&a, "--help")) return usage(stdout, 0);
        else if ((v = ex_value(&a, "--data"))) o->data_dir = v;
        else if ((v = ex_value(&a, "--out"))) o->out_dir = v;
        else if ((v = ex_value(&a, "--rules"))) rules_s = v;
        else if ((v = ex_value(&a, "--schedule"))) {
            if (tp_schedule_parse(v, &o->sched, err) != TP_OK) { fprintf(stderr, "autoencoder: --schedule: %s\n", err); return 2; }
        }
        else if ((v = ex_value(&a, "--lr"))) a.bad |= !ex_parse_float(P, "--lr", v, 1e-8, 10, &o->lr);
        else if ((v = ex_value(&a, "--inverse-lr"))) a.bad |= !ex_parse_float(P, "--inverse-lr", v, 1e-8, 10, &o->ilr);
        else if ((v = ex_value(&a, "--sigma"))) a.bad |= !ex_parse_float(P, "--sigma", v, 0, 10, &o->sigma);
        else if ((v = ex_value(&a, "--alpha"))) a.bad |= !ex_parse_float(P, "--alpha", v, 0, 10, &o->alpha);
        else if ((v = ex_value(&a, "--seed"))) a.bad |= !ex_parse_u64(P, "--seed", v, &o->seed);
        else if ((v = ex_value(&a, "--epochs"))) a.bad |= !ex_parse_int(P, "--epochs", v, 1, MAX_EPOCHS, &o->epochs);
        else if ((v = ex_value(&a, "--batch"))) a.bad |= !ex_parse_int(P, "--batch", v, 1, 1 << 20, &o->batch);
        else if ((v = ex_value(&a, "--max-batches"))) a.bad |= !ex_parse_int(P, "--max-batches", v, 0, 1 << 30, &o->max_batches);
        else if ((v = ex_value(&a, "--threads"))) a.bad |= !ex_parse_threads(P, "--threads", v, 1, &o->threads);
        else ex_unknown(&a);
    }
    if (a.bad) return 2;
    snprintf(expect, sizeof expect, "of %s", tp_rule_list(list, sizeof list));
    o->nrules = ex_parse_list("autoencoder", "--rules", rules_s, MAX_RULES, ex_is_rule, expect, buf, sizeof buf, items);
    if (o->nrules < 0) return 2;
    for (int r = 0; r < o->nrules; r++) tp_rule_parse(items[r], &o->rules[r], NULL);
    return -1;
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

/* Trains the autoencoder with rule r of the options, its curve into *c (and the CSV c->csv), then reconstructs
   the ten digits x into recon. Returns 0, 1 when it failed but the figures may still be drawn, -1 when not. */
static int train_rule(const ae_opts *o, int r, tp_dataset *train, const tp_dataset *test, curve *c, const float *x,
                      float *recon)
{
    tp_config cfg = tp_config_default(o->rules[r]);
    tp_net net;
    ex_run run;
    ex_state st;
    tp_result res;
    int status = 0;
    cfg.schedule = o->sched;
    cfg.forward.lr = o->lr;
    cfg.inverse.lr = o->ilr;
    cfg.sigma = o->sigma;
    cfg.alpha = o->alpha;
    cfg.max_batch = o->batch;
    cfg.seed = o->seed;
    if (tp_net_create(&net, "mnist-ae", &cfg) != TP_OK) { fprintf(stderr, "autoencoder: %s\n", net.error); return -1; }
    c->rule = tp_rule_name(o->rules[r]);
    c->epoch = (double *)malloc((size_t)o->epochs * sizeof(double));
    c->train = (double *)malloc((size_t)o->epochs * sizeof(double));
    c->test = (double *)malloc((size_t)o->epochs * sizeof(double));
    if (!c->epoch || !c->train || !c->test) { fprintf(stderr, "autoencoder: out of memory\n"); return -1; }
    ex_run_init(&run, train, test, o->epochs, o->batch, o->max_batches, o->threads);
    run.after_epoch = after_epoch;
    run.ctx = c;
    ex_state_init(&st, &run);
    res = ex_train(&net, &run, &st);
    if (c->failed) status = 1;
    else if (res == TP_ERROR_DIVERGED)
        fprintf(stderr, "autoencoder: %s diverged after %d epochs (%s); its curve stops there\n", c->rule, c->n, net.error);
    else if (res != TP_OK) { fprintf(stderr, "autoencoder: %s: %s\n", c->rule, net.error); status = 1; }
    if (tp_predict(&net, x, 10, NULL, recon) != TP_OK) {
        fprintf(stderr, "autoencoder: %s: %s\n", c->rule, net.error);
        status = 1;
    }
    tp_net_destroy(&net);
    return status;
}

/* The first test image of each digit into *x, and room for them and each rule's reconstructions into *recon
   (the originals first). Returns 0 after a message if the test set lacks a digit or memory runs out. */
static int pick_digits(tp_dataset *test, int nrules, float **x, float **recon)
{
    int pick[10], found = 0;
    for (int d = 0; d < 10; d++) pick[d] = -1;
    for (int i = 0; i < test->n && found < 10; i++)
        if (test->y[i] < 10 && pick[test->y[i]] < 0) { pick[test->y[i]] = i; found++; }
    *recon = (float *)calloc((size_t)(nrules + 1) * 10 * SIDE * SIDE, sizeof(float));
    *x = (float *)malloc((size_t)10 * SIDE * SIDE * sizeof(float));
    if (!*recon || !*x || found < 10 || test->dim != SIDE * SIDE) {
        fprintf(stderr, "autoencoder: %s\n", found < 10 ? "the test set lacks one of the ten digits" : "out of memory");
        return 0;
    }
    if (tp_dataset_batch(test, pick, 10, *x, NULL) != TP_OK) {
        fprintf(stderr, "autoencoder: %s\n", test->error);
        return 0;
    }
    memcpy(*recon, *x, 10 * SIDE * SIDE * sizeof(float));
    return 1;
}

/* Figure 6: the reconstruction error per epoch, train dashed and test solid. Returns 0, or 1 after a message. */
static int draw_curves(const char *out_dir, const curve *curves, int nrules)
{
    ex_series s[2 * MAX_RULES];
    ex_chart chart = { "MNIST autoencoder 784-512-64-512-784", "epoch", "reconstruction error (squared, per image)",
                       1, 0, 1, "train (dashed)", "test (solid)" };
    char path[1200];
    int ns = 0;
    for (int r = 0; r < nrules; r++) {
        ex_series a = { NULL, curves[r].epoch, curves[r].train, curves[r].n, r, 1, 0 };
        ex_series b = { curves[r].rule, curves[r].epoch, curves[r].test, curves[r].n, r, 0, 0 };
        s[ns++] = a;
        s[ns++] = b;
    }
    snprintf(path, sizeof path, "%s/autoencoder.svg", out_dir);
    if (!ex_svg_lines(path, &chart, s, ns)) { fprintf(stderr, "autoencoder: %s: cannot write: %s\n", path, strerror(errno)); return 1; }
    printf("figure:  %s\n", path);
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

/* Figure 7: the ten digits (top row) and their reconstructions by each rule, a row each (recon: the originals,
   then each rule's ten). Returns 0, or 1 after a message. */
static int draw_reconstructions(const char *out_dir, const ae_opts *o, const float *recon)
{
    int w = GAP + 10 * (SIDE * ZOOM + GAP), h = GAP + (o->nrules + 1) * (SIDE * ZOOM + GAP), status = 0;
    unsigned char *img = (unsigned char *)malloc((size_t)w * h);
    char path[1200];
    if (!img) { fprintf(stderr, "autoencoder: out of memory\n"); return 1; }
    memset(img, 128, (size_t)w * h);
    for (int r = 0; r <= o->nrules; r++)
        for (int d = 0; d < 10; d++) put_image(img, w, r, d, recon + ((size_t)r * 10 + d) * SIDE * SIDE);
    snprintf(path, sizeof path, "%s/reconstructions.png", out_dir);
    if (!ex_png_gray(path, w, h, img)) { fprintf(stderr, "autoencoder: %s: cannot write: %s\n", path, strerror(errno)); status = 1; }
    else {
        printf("picture: %s (top row: test digits; below, one row per rule:", path);
        for (int r = 0; r < o->nrules; r++) printf(" %s", tp_rule_name(o->rules[r]));
        printf(")\n");
    }
    free(img);
    return status;
}

int main(int argc, char **argv)
{
    ae_opts o;
    tp_dataset train, test;
    static curve curves[MAX_RULES];
    char path[1200];
    float *recon, *x;
    FILE *csv;
    int status = 0, code = parse_args(argc, argv, &o);
    if (code >= 0) return code;
    if (!ex_load_data("autoencoder", "mnist", o.data_dir, &train, &test)) return 1;
    if (mkdir(o.out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "autoencoder: %s: cannot create the directory: %s\n", o.out_dir, strerror(errno));
        return 1;
    }
    {   /* its three files, each a regular file or nothing (a FIFO or device is refused, not written into) */
        static const char *files[3] = { "autoencoder.csv", "autoencoder.svg", "reconstructions.png" };
        for (int k = 0; k < 3; k++) {
            snprintf(path, sizeof path, "%s/%s", o.out_dir, files[k]);
            if (!ex_output_ok("autoencoder", "--out", path)) return 1;
        }
    }
    snprintf(path, sizeof path, "%s/autoencoder.csv", o.out_dir);
    if (!(csv = fopen(path, "w")) || fprintf(csv, "rule,epoch,train_error,test_error,seconds\n") < 0 || !ex_flushed(csv)) {
        fprintf(stderr, "autoencoder: %s: cannot write: %s\n", path, strerror(errno));
        return 1;
    }
    if (!pick_digits(&test, o.nrules, &x, &recon)) return 1;
    for (int r = 0; r < o.nrules && !status; r++) {
        curves[r].csv = csv;
        curves[r].path = path;
        if ((status = train_rule(&o, r, &train, &test, &curves[r], x, recon + (size_t)(r + 1) * 10 * SIDE * SIDE)) < 0) return 1;
    }
    if (fclose(csv) != 0) { fprintf(stderr, "autoencoder: %s: write error\n", path); status = 1; }
    else printf("curves: %s\n", path);
    status |= draw_curves(o.out_dir, curves, o.nrules);
    status |= draw_reconstructions(o.out_dir, &o, recon);
    for (int r = 0; r < o.nrules; r++) { free(curves[r].epoch); free(curves[r].train); free(curves[r].test); }
    free(recon);
    free(x);
    tp_dataset_free(&train);
    tp_dataset_free(&test);
    return status;
}
