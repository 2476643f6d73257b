/* collapse: the collapse watch of examples/run.h (ex_collapsed) on a constructed collapse, on a run
   that learns without collapsing, and on logs.
     collapse                 a net learns a separable task for an epoch, then its top layer is zeroed and
                              frozen: ex_train must stop with TP_ERROR_DIVERGED naming chance after the next
                              epoch; the same run left alone must finish
     collapse [--known=A.csv,B.csv] LOG.csv...
                              every forward epoch of each train --log / search log read as the watch would
                              see it (the lowest epoch mean before it standing in for the lowest window):
                              prints each epoch that would raise the alarm; exits 1 if a log not in --known
                              raises one (a false alarm) or one in --known does not (runs known to collapse) */
#define _POSIX_C_SOURCE 200809L
#define TARGETPROP_IMPLEMENTATION
#include "targetprop.h"
#include "../examples/csvlog.h"

enum { N = 2048, DIM = 32, CLASSES = 10, BATCH = 32 };

/* Inputs that carry their label: a one-hot code of it in the first CLASSES entries, noise elsewhere. */
static void separable(tp_dataset *ds, uint64_t seed)
{
    tp_rng g;
    memset(ds, 0, sizeof *ds);
    ds->n = N; ds->h = 1; ds->w = 1; ds->c = DIM; ds->dim = DIM; ds->n_classes = CLASSES;
    ds->x = (float *)TP_MALLOC(sizeof(float) * N * DIM);
    ds->y = (uint16_t *)TP_MALLOC(sizeof(uint16_t) * N);
    if (!ds->x || !ds->y) return;
    tp_rng_seed(&g, seed);
    for (int i = 0; i < N; i++) {
        ds->y[i] = (uint16_t)(tp_rng_u64(&g) % CLASSES);
        for (int j = 0; j < DIM; j++) ds->x[i * DIM + j] = 0.1f * tp_rng_uniform(&g);
        ds->x[i * DIM + ds->y[i]] += 1.0f;
    }
}

/* The sabotage: after the first epoch the top layer's weights and biases become 0 and stop learning. */
static int wreck(void *ctx, tp_net *net, const ex_progress *p)
{
    tp_layer *top = &net->layers[net->n_layers - 1];
    (void)ctx;
    if (p->epoch == 1 && !p->inverse_only) {
        memset(top->w, 0, top->n_w * sizeof(float));
        memset(top->b, 0, top->n_b * sizeof(float));
        net->cfg.forward.lr = 0.0f;
    }
    return 0;
}

static int run(int sabotage, char *why, size_t n)
{
    tp_config cfg = tp_config_default(TP_BP);
    tp_dataset train, test;
    tp_net net;
    ex_run r;
    ex_state st;
    tp_result res;
    cfg.max_batch = BATCH;
    cfg.forward.lr = 1e-2f;   /* far below chance's loss within the first epoch */
    separable(&train, 1);
    separable(&test, 2);
    if (!train.x || !test.x || tp_net_create(&net, "32 fc32 fc10", &cfg) != TP_OK) { snprintf(why, n, "set-up failed"); return -1; }
    memset(&r, 0, sizeof r);
    r.train = &train; r.test = &test; r.forward_epochs = 4; r.batch = BATCH; r.threads = 1; r.watch = 1;
    r.after_epoch = sabotage ? wreck : NULL;
    ex_state_init(&st, &r);
    res = ex_train(&net, &r, &st);
    snprintf(why, n, "%s (stopped in epoch %d)", res == TP_OK ? "finished" : net.error, (int)st.step);
    tp_net_destroy(&net);
    tp_dataset_free(&train);
    tp_dataset_free(&test);
    return res == TP_OK ? 0 : res == TP_ERROR_DIVERGED ? 1 : -1;
}

/* Every forward epoch of one log; returns the number of alarms. */
static int scan(const char *path, int classes, int *epochs)
{
    static char line[1 << 16];
    char *f[256];
    size_t len;
    int n, cl, ce, ct, cp, alarms = 0;
    double low = -1;
    tp_net net;
    FILE *in = fopen(path, "r");
    if (!in) { printf("FAIL collapse-logs: %s: cannot read\n", path); return 1; }
    memset(&net, 0, sizeof net);
    net.loss = TP_SOFTMAX_XENT;
    net.n_out = classes;
    if (ex_csv_line(in, line, sizeof line, &len) != 1 || (n = ex_csv_split(line, f, 256)) < 0 ||
        (cl = ex_csv_column(f, n, "train_loss")) < 0 || (ce = ex_csv_column(f, n, "train_error")) < 0 ||
        (ct = ex_csv_column(f, n, "test_error")) < 0) {
        fclose(in);
        return 0;   /* not a training log */
    }
    cp = ex_csv_column(f, n, "phase");
    while (ex_csv_line(in, line, sizeof line, &len) == 1) {
        ex_epoch e;
        char why[400];
        if ((n = ex_csv_split(line, f, 256)) <= ct || n <= cl || n <= ce || !f[ct][0] ||
            (cp >= 0 && cp < n && !strcmp(f[cp], "inverse")))
            continue;   /* an inverse-only epoch: no test error */
        memset(&e, 0, sizeof e);
        e.loss = atof(f[cl]);
        e.error = atof(f[ce]);
        (*epochs)++;
        if (ex_collapsed(&net, low, &e, atof(f[ct]), why, sizeof why)) { printf("  %s, epoch %s: %s\n", path, f[0], why); alarms++; }
        if (low < 0 || e.loss < low) low = e.loss;
    }
    fclose(in);
    return alarms;
}

int main(int argc, char **argv)
{
    char why[TP_ERROR_LEN + 64];
    int fail = 0;
    if (argc > 1) {
        const char *known = strncmp(argv[1], "--known=", 8) ? "" : argv[1] + 8;
        int first = *known ? 2 : 1, wrong = 0, flagged = 0, epochs = 0;
        for (int i = first; i < argc; i++) {
            const char *at = strstr(known, argv[i]);
            size_t len = strlen(argv[i]);
            int expected = at && (at == known || at[-1] == ',') && (at[len] == ',' || at[len] == 0);
            int alarms = scan(argv[i], strstr(argv[i], "autoencoder") ? 0 : 10, &epochs);
            flagged += alarms > 0;
            if ((alarms > 0) != expected) {
                printf("FAIL collapse-logs: %s %s\n", argv[i], expected ? "is a known collapse, not flagged" : "flagged: a false alarm");
                wrong++;
            }
        }
        if (!wrong)
            printf("ok collapse-logs: %d forward epochs of %d logs, %d flagged, each a run known to collapse\n", epochs,
                   argc - first, flagged);
        return wrong != 0;
    }
    if (run(1, why, sizeof why) == 1 && strstr(why, "collapsed to chance") && strstr(why, "epoch 2"))
        printf("ok collapse-caught: %s\n", why);
    else { printf("FAIL collapse-caught: %s\n", why); fail = 1; }
    if (run(0, why, sizeof why) == 0) printf("ok collapse-no-alarm: a run that keeps learning %s\n", why);
    else { printf("FAIL collapse-no-alarm: %s\n", why); fail = 1; }
    return fail;
}
