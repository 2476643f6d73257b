/* inspect: look inside a network saved by `train` (--checkpoint, --save): per layer, the size
   of its activity on a batch of test examples and of its weights, and tp_diagnose's view of
   the rule there (the angle of its update to backprop's, the feedback's angle to W, the
   inverse's reconstruction error, the distance to the target). For a run that stopped because
   its loss exploded, the checkpoint `train` kept shows where it went wrong.

     cc -O2 -I. examples/inspect.c -o inspect -lm
     ./inspect --dataset cifar10 run.ckpt

   Run ./inspect --help for every option. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#define TARGETPROP_IMPLEMENTATION
#include "targetprop.h"
#include "cli.h"
#include "data.h"

static int usage(FILE *f, int code)
{
    fprintf(f,
"usage: inspect [options] CHECKPOINT\n"
"Per layer of a network saved by train (--checkpoint, --save), on a batch of test examples:\n"
"  rms of its activity h_l and of its weights W_l, and tp_diagnose's angle between the rule's\n"
"  update and backprop's (degrees), the angle between its feedback matrix and W (FA's B, an\n"
"  inverse's V, ...), the inverse's reconstruction error and the mean squared distance from\n"
"  the activity to its target.\n"
"  -: the layer has no such thing.\n"
"  --dataset NAME   mnist or cifar10 (default: the one the input shape fits, 28x28x1 or 32x32x3),\n"
"                   or synthetic (random inputs and labels)\n"
"  --data DIR       directory of the data files (default data/mnist or data/cifar10)\n"
"  --batch N        test examples (default 128, or the network's largest batch if smaller; at most that)\n"
"  --first N        index of the first of them in the test set (default 0)\n"
"  --threads N      OpenMP threads (default 1; the figures do not depend on it)\n"
"  -h, --help       this help\n");
    return code;
}

static double rms(const float *a, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * a[i];
    return n ? sqrt(s / (double)n) : 0.0;
}

static void cell(double v, int width)
{
    if (v < 0) printf(" %*s", width, "-");
    else if (isnan(v)) printf(" %*s", width, "undefined");   /* the angle of a zero gradient */
    else printf(" %*.4g", width, v);
}

int main(int argc, char **argv)
{
    const char *path = NULL, *dataset = NULL, *dir = NULL;
    int batch = 0, first = 0, threads = 1, ok = 0;   /* batch 0: not given */
    tp_net net;
    tp_dataset test;
    float *x = NULL, *y = NULL;
    int *rows = NULL;
    tp_diag d;
    ex_args a;

    for (ex_args_init(&a, "inspect", argc, argv); ex_next(&a);) {
        const char *v;
        if (ex_flag(&a, "-h") || ex_flag(&a, "--help")) return usage(stdout, 0);
        else if (a.arg[0] != '-' || !a.arg[1]) {
            if (path) { fprintf(stderr, "inspect: one checkpoint at a time (\"%s\", then \"%s\")\n", path, a.arg); return 2; }
            path = a.arg;
        }
        else if ((v = ex_value(&a, "--dataset"))) dataset = v;
        else if ((v = ex_value(&a, "--data"))) dir = v;
        else if ((v = ex_value(&a, "--batch"))) a.bad |= !ex_parse_int("inspect", "--batch", v, 1, 1 << 20, &batch);
        else if ((v = ex_value(&a, "--first"))) a.bad |= !ex_parse_int("inspect", "--first", v, 0, 1 << 30, &first);
        else if ((v = ex_value(&a, "--threads"))) a.bad |= !ex_parse_threads("inspect", "--threads", v, 0, &threads);
        else ex_unknown(&a);
    }
    if (a.bad) return 2;
    if (!path) return usage(stderr, 2);
    tp_set_threads(threads);
    memset(&test, 0, sizeof test);
    if (tp_net_load(&net, path, NULL, 0, NULL) != TP_OK) {
        fprintf(stderr, "inspect: %s\n", net.error);
        return 1;
    }
    if (batch == 0) batch = net.cfg.max_batch < 128 ? net.cfg.max_batch : 128;
    if (batch > net.cfg.max_batch) {
        fprintf(stderr, "inspect: --batch %d: the network in %s takes at most %d rows\n", batch, path, net.cfg.max_batch);
        goto done;
    }
    if (!dataset) dataset = net.n_in == 784 ? "mnist" : net.n_in == 3072 ? "cifar10" : "synthetic";
    if (ex_word_is(dataset, "synthetic")) {
        if (!ex_synthetic(&test, &net, first + batch, 1)) { fprintf(stderr, "inspect: out of memory\n"); goto done; }
    } else {
        if (!ex_load_data("inspect", dataset, dir, NULL, &test)) goto done;
        if (test.dim != net.n_in || (net.loss == TP_SOFTMAX_XENT && test.n_classes != net.n_out)) {
            fprintf(stderr, "inspect: the %s test set has %d inputs and %d classes; the network in %s takes %d inputs and has %d outputs\n",
                    dataset, test.dim, test.n_classes, path, net.n_in, net.n_out);
            goto done;
        }
    }
    if (first + batch > test.n) {
        fprintf(stderr, "inspect: --first %d --batch %d: the test set has %d examples\n", first, batch, test.n);
        goto done;
    }
    x = (float *)malloc((size_t)batch * test.dim * sizeof *x);
    rows = (int *)malloc((size_t)batch * sizeof *rows);
    if (!x || !rows) { fprintf(stderr, "inspect: out of memory\n"); goto done; }
    for (int i = 0; i < batch; i++) rows[i] = first + i;
    if (tp_dataset_batch(&test, rows, batch, x, NULL) != TP_OK) { fprintf(stderr, "inspect: %s\n", test.error); goto done; }
    if (net.loss == TP_SOFTMAX_XENT) {
        if (!(y = (float *)calloc((size_t)batch * net.n_out, sizeof *y))) { fprintf(stderr, "inspect: out of memory\n"); goto done; }
        for (int i = 0; i < batch; i++) y[(size_t)i * net.n_out + test.y[first + i]] = 1.0f;
    }
    /* tp_diagnose runs the rule on the batch without a step; the activity is its forward pass */
    if (tp_diagnose(&net, x, y ? y : x, batch, &d) != TP_OK || tp_forward(&net, x, batch) != TP_OK) {
        fprintf(stderr, "inspect: %s\n", net.error);
        goto done;
    }
    printf("%s: %s, rule %s, %ld steps; %d %s test examples from %d\n", path, net.spec, tp_rule_name(net.cfg.rule),
           net.step, batch, dataset, first);
    printf("%5s %-10s %-11s %10s %10s %9s %9s %10s %10s\n", "layer", "kind", "output", "activity", "weights",
           "angle", "feedback", "recon", "target");
    printf("%5s %-10s %-11s %10s %10s %9s %9s %10s %10s\n", "", "", "", "rms", "rms", "to BP", "to W", "error", "distance");
    for (int l = 1; l <= net.n_layers; l++) {
        const tp_layer *ly = &net.layers[l - 1];
        char kind[64], out[64];
        if (tp_kind_info(ly->kind)->flags & TP_KIND_SPATIAL) {
            snprintf(kind, sizeof kind, "%s%dx%d", tp_kind_info(ly->kind)->name, ly->k, ly->k);
            snprintf(out, sizeof out, "%dx%dx%d", ly->out_h, ly->out_w, ly->out_c);
        } else {
            snprintf(kind, sizeof kind, "%s", tp_kind_info(ly->kind)->name);
            snprintf(out, sizeof out, "%d", ly->n_out);
        }
        printf("%5d %-10s %-11s", l, kind, out);
        cell(rms(net.h[l], (size_t)batch * ly->n_out), 10);
        cell(ly->n_w ? rms(ly->w, ly->n_w) : -1, 10);
        cell(d.angle[l - 1], 9);
        cell(d.feedback[l - 1], 9);
        cell(d.recon[l - 1], 10);
        cell(d.target[l - 1], 10);
        printf("\n");
    }
    ok = 1;
done:
    free(x); free(y); free(rows);
    tp_dataset_free(&test);
    tp_net_destroy(&net);
    return ok ? 0 : 1;
}
