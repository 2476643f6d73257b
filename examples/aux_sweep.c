/* aux_sweep: AO-SDTP's test error against the number of auxiliary output units (the paper's Figure 4).

     cc -O3 -march=native -fopenmp -I. examples/aux_sweep.c -o aux_sweep -lm
     ./aux_sweep --sizes 0,16,64,256,512,1000 --epochs 10 --out results/aux-sweep

   Trains one AO-SDTP network per size (size 0 is plain SDTP) with the paper's Table 5 SDTP
   hyperparameters for the net and schedule, and writes, in the --out directory:
     aux_sweep.csv   aux,seed,arch,schedule,epochs,status,best_test_error,epochs_done,seconds: a line per run
     aux_sweep.svg   best test error against the auxiliary size, one point per size (mean over seeds)
   Runs already in aux_sweep.csv with the same arch, schedule and epochs are skipped: the same
   command continues a stopped sweep, and the figure shows the runs of this command's settings.
   Run ./aux_sweep --help for every option. */
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

#define MAX_SIZES 64
#define MAX_SEEDS 16

static int usage(FILE *f, int code)
{
    fprintf(f,
"usage: aux_sweep [options]\n"
"AO-SDTP best test error against auxiliary output size (0 = SDTP).\n"
"\n"
"  --dataset NAME    mnist (default) or cifar10\n"
"  --data DIR        directory of the data files (default data/mnist or data/cifar10)\n"
"  --arch PRESET     network (default mnist-fc, or cifar-fc for cifar10)\n"
"  --schedule S      parallel (default) or alternating\n"
"  --sizes LIST      auxiliary sizes (default 0,16,64,128,256,512,1000)\n"
"  --seeds N         runs per size with seeds 1 .. N (default 1)\n"
"  --epochs N        forward epochs per run (default 10)\n"
"  --lr X --inverse-lr X --sigma X    instead of the paper's Table 5 values\n"
"  --batch N         minibatch size (default 128)\n"
"  --max-batches N   at most N batches per epoch (quick checks)\n"
"  --threads N|auto  OpenMP threads, 1 to the processors online; auto (default) picks the\n"
"                    fastest count by timing a few batches now and then\n"
"  --out DIR         output directory (default results/aux-sweep)\n"
"  -h, --help        this text\n");
    return code;
}

typedef struct {
    const char *dataset, *data_dir, *arch, *out_dir, *sched_s;
    char arch_buf[4096];
    int sizes[MAX_SIZES], nsizes, seeds, epochs, batch, max_batches, threads;
    float lr, ilr, sigma;   /* 0: the paper's */
    tp_schedule sched;
} sweep_opts;

static int is_size(const char *s)
{
    long long x;
    return ex_integer(s, &x) && x >= 0 && x <= 100000;
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, sweep_opts *o)
{
    const char *sizes_s = "0,16,64,128,256,512,1000";
    char buf[4096], *items[MAX_SIZES], err[TP_ERROR_LEN];
    ex_args a;
    memset(o, 0, sizeof *o);
    o->dataset = "mnist"; o->out_dir = "results/aux-sweep"; o->sched = TP_PARALLEL;
    o->seeds = 1; o->epochs = 10; o->batch = 128;
    for (ex_args_init(&a, "aux_sweep", argc, argv); ex_next(&a);) {
        const char *v, *P = a.prog;
        if (ex_flag(&a, "-h") || ex_flag(&a, "--help")) return usage(stdout, 0);
        else if ((v = ex_value(&a, "--dataset"))) o->dataset = v;
        else if ((v = ex_value(&a, "--data"))) o->data_dir = v;
        else if ((v = ex_value(&a, "--arch"))) o->arch = v;
        else if ((v = ex_value(&a, "--schedule"))) {
            if (tp_schedule_parse(v, &o->sched, err) != TP_OK) { fprintf(stderr, "aux_sweep: --schedule: %s\n", err); return 2; }
        }
        else if ((v = ex_value(&a, "--out"))) o->out_dir = v;
        else if ((v = ex_value(&a, "--sizes"))) sizes_s = v;
        else if ((v = ex_value(&a, "--lr"))) a.bad |= !ex_parse_float(P, "--lr", v, 1e-8, 10, &o->lr);
        else if ((v = ex_value(&a, "--inverse-lr"))) a.bad |= !ex_parse_float(P, "--inverse-lr", v, 1e-8, 10, &o->ilr);
        else if ((v = ex_value(&a, "--sigma"))) a.bad |= !ex_parse_float(P, "--sigma", v, 1e-8, 10, &o->sigma);
        else if ((v = ex_value(&a, "--epochs"))) a.bad |= !ex_parse_int(P, "--epochs", v, 1, 1 << 20, &o->epochs);
        else if ((v = ex_value(&a, "--batch"))) a.bad |= !ex_parse_int(P, "--batch", v, 1, 1 << 20, &o->batch);
        else if ((v = ex_value(&a, "--seeds"))) a.bad |= !ex_parse_int(P, "--seeds", v, 1, MAX_SEEDS, &o->seeds);
        else if ((v = ex_value(&a, "--max-batches"))) a.bad |= !ex_parse_int(P, "--max-batches", v, 0, 1 << 30, &o->max_batches);
        else if ((v = ex_value(&a, "--threads"))) a.bad |= !ex_parse_threads(P, "--threads", v, 1, &o->threads);
        else ex_unknown(&a);
    }
    if (a.bad) return 2;
    o->nsizes = ex_parse_list("aux_sweep", "--sizes", sizes_s, MAX_SIZES, is_size, "sizes from 0 to 100000", buf, sizeof buf, items);
    if (o->nsizes < 0) return 2;
    for (int i = 0; i < o->nsizes; i++) {
        long long x;
        ex_integer(items[i], &x);
        o->sizes[i] = (int)x;
    }
    o->sched_s = tp_schedule_name(o->sched);
    if (!o->arch) o->arch = ex_word_is(o->dataset, "cifar10") ? "cifar-fc" : "mnist-fc";
    o->arch = ex_arch(o->arch, o->arch_buf, sizeof o->arch_buf);
    return -1;
}

typedef struct { int aux, seed; double best; } finished;   /* a run of the sweep: its best test error, NAN without one */

/* Finished runs of an earlier invocation with the same settings: lines of aux_sweep.csv. */
static int read_done(const char *path, const char *arch, const char *sched, int epochs, finished *done, int max)
{
    FILE *f = fopen(path, "r");
    char line[1024], *fld[16];
    size_t len;
    int n = 0;
    if (!f) return 0;
    if (ex_csv_line(f, line, sizeof line, &len) != 1) { fclose(f); return 0; }
    while (n < max && ex_csv_line(f, line, sizeof line, &len) == 1) {
        double best;
        long long aux, seed, e, forward_done;
        if (ex_csv_split(line, fld, 16) != 9 || !ex_parse_num(fld[6], &best) || !ex_integer(fld[0], &aux) ||
            !ex_integer(fld[1], &seed) || !ex_integer(fld[4], &e) || !ex_integer(fld[7], &forward_done))
            continue;
        if (strcmp(fld[2], arch) || strcmp(fld[3], sched) || e != epochs) continue;
        done[n].aux = (int)aux;
        done[n].seed = (int)seed;
        done[n].best = forward_done > 0 ? best : NAN; /* no forward epoch finished: no point */
        n++;
    }
    fclose(f);
    return n;
}

typedef struct { int aux, forward_done; } progress;   /* what the epoch hook counts */

static int report(void *ctx, tp_net *net, const ex_progress *p)
{
    progress *g = (progress *)ctx;
    (void)net;
    if (!p->inverse_only) {
        g->forward_done++;
        printf("  aux %4d  epoch %3d  test error %6.2f%%  best %6.2f%%  %6.1fs\n", g->aux, g->forward_done,
               100 * p->test_error, 100 * p->best, p->elapsed);
        fflush(stdout);
    }
    return 0;
}

/* Trains AO-SDTP with `aux` auxiliary units and seed `seed` and appends its line to the CSV; its best test error
   into *best (NAN if no forward epoch finished). first: the sweep's first run, which says when the paper has no
   hyperparameters for the net. Returns 0, or 1 after a message on a failure that ends the sweep. */
static int run_one(const sweep_opts *o, int aux, int seed, int first, tp_dataset *train, const tp_dataset *test, FILE *csv,
                   const char *csv_path, double *best)
{
    tp_config cfg = tp_config_default(TP_AOSDTP);
    char err[TP_ERROR_LEN];
    tp_net net;
    tp_result r;
    ex_run run;
    ex_state st;
    double t0 = ex_now();
    progress g = { aux, 0 };
    if (tp_config_paper(&cfg, o->arch, TP_AOSDTP, o->sched, TP_HPARAMS_TABLE5, err) != TP_OK && first)
        fprintf(stderr, "aux_sweep: %s; using the library defaults\n", err);
    cfg.rule = TP_AOSDTP;
    cfg.schedule = o->sched;
    cfg.n_aux = aux;
    cfg.max_batch = o->batch;
    cfg.seed = (uint64_t)seed;
    if (o->lr > 0) cfg.forward.lr = o->lr;
    if (o->ilr > 0) cfg.inverse.lr = o->ilr;
    if (o->sigma > 0) cfg.sigma = o->sigma;
    if (tp_net_create(&net, o->arch, &cfg) != TP_OK) { fprintf(stderr, "aux_sweep: %s\n", net.error); return 1; }
    printf("aux %d, seed %d: %s, AO-SDTP %s, %d epochs\n", aux, seed, net.spec, o->sched_s, o->epochs);
    fflush(stdout);
    ex_run_init(&run, train, test, o->epochs, o->batch, o->max_batches, o->threads);
    run.augment = ex_word_is(o->dataset, "cifar10");
    run.after_epoch = report;
    run.ctx = &g;
    ex_state_init(&st, &run);
    r = ex_train(&net, &run, &st);
    if (r != TP_OK && r != TP_ERROR_DIVERGED) { fprintf(stderr, "aux_sweep: %s\n", net.error); return 1; }
    if (r == TP_ERROR_DIVERGED) printf("  diverged: %s\n", net.error);
    if (fprintf(csv, "%d,%d,%s,%s,%d,%s,%.6f,%d,%.1f\n", aux, seed, o->arch, o->sched_s, o->epochs, r == TP_OK ? "ok" : "diverged",
                st.best, g.forward_done, ex_now() - t0) < 0 || !ex_flushed(csv)) {
        fprintf(stderr, "aux_sweep: %s: cannot write: %s\n", csv_path, strerror(errno));
        return 1;
    }
    *best = g.forward_done ? st.best : NAN;
    tp_net_destroy(&net);
    return 0;
}

/* Figure 4: the mean best test error over the seeds, per size, in increasing size, printed and drawn.
   Returns 0, or 1 after a message. */
static int draw_figure(const sweep_opts *o, const finished *done, int ndone, const char *csv_path, const char *svg_path)
{
    double xs[MAX_SIZES], ys[MAX_SIZES];
    int n = 0, order[MAX_SIZES];
    char title[300];
    for (int i = 0; i < o->nsizes; i++) order[i] = i;
    for (int i = 1; i < o->nsizes; i++) /* insertion sort by size */
        for (int j = i; j > 0 && o->sizes[order[j]] < o->sizes[order[j - 1]]; j--) { int t = order[j]; order[j] = order[j - 1]; order[j - 1] = t; }
    printf("aux size  best test error (mean over seeds)\n");
    for (int q = 0; q < o->nsizes; q++) {
        int i = order[q], cnt = 0;
        double sum = 0;
        if (q > 0 && o->sizes[i] == o->sizes[order[q - 1]]) continue;
        for (int k = 0; k < ndone; k++)
            if (done[k].aux == o->sizes[i] && done[k].seed <= o->seeds && done[k].best == done[k].best) { sum += done[k].best; cnt++; }
        if (!cnt) { printf("%8d  (no finished epoch)\n", o->sizes[i]); continue; }
        xs[n] = o->sizes[i];
        ys[n] = 100 * sum / cnt;
        printf("%8d  %6.2f%%\n", o->sizes[i], ys[n]);
        n++;
    }
    snprintf(title, sizeof title, "AO-SDTP on %.100s (%s), %d epochs%s", o->arch, o->sched_s, o->epochs,
             o->seeds > 1 ? ", mean over seeds" : "");
    {
        ex_series s = { "AO-SDTP", xs, ys, n, 0, 0, 1 };
        ex_chart chart = { title, "auxiliary output units (0: SDTP)", "best test error (%)", 0, 0, 1, NULL, NULL };
        if (!ex_svg_lines(svg_path, &chart, &s, 1)) { fprintf(stderr, "aux_sweep: %s: cannot write: %s\n", svg_path, strerror(errno)); return 1; }
    }
    printf("figure: %s\ndata:   %s\n", svg_path, csv_path);
    return 0;
}

int main(int argc, char **argv)
{
    sweep_opts o;
    static finished done[MAX_SIZES * MAX_SEEDS];
    char csv_path[1100], svg_path[1100];
    int ndone, status = 0, code = parse_args(argc, argv, &o);
    tp_dataset train, test;
    FILE *csv;
    if (code >= 0) return code;
    if (!ex_load_data("aux_sweep", o.dataset, o.data_dir, &train, &test)) return 1;
    if (mkdir(o.out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "aux_sweep: %s: cannot create the directory: %s\n", o.out_dir, strerror(errno));
        return 1;
    }
    snprintf(csv_path, sizeof csv_path, "%s/aux_sweep.csv", o.out_dir);
    snprintf(svg_path, sizeof svg_path, "%s/aux_sweep.svg", o.out_dir);
    if (!ex_output_ok("aux_sweep", "--out", csv_path) || !ex_output_ok("aux_sweep", "--out", svg_path)) return 1;
    ndone = read_done(csv_path, o.arch, o.sched_s, o.epochs, done, MAX_SIZES * MAX_SEEDS);
    if (!(csv = fopen(csv_path, "a"))) {
        fprintf(stderr, "aux_sweep: %s: cannot open for writing: %s\n", csv_path, strerror(errno));
        return 1;
    }
    if (ftell(csv) == 0 && (fprintf(csv, "aux,seed,arch,schedule,epochs,status,best_test_error,epochs_done,seconds\n") < 0 ||
                            !ex_flushed(csv))) {
        fprintf(stderr, "aux_sweep: %s: cannot write: %s\n", csv_path, strerror(errno));
        return 1;
    }
    for (int s = 1; s <= o.seeds; s++)
        for (int i = 0; i < o.nsizes; i++) {
            int skip = 0;
            double best;
            for (int k = 0; k < ndone; k++) skip |= done[k].aux == o.sizes[i] && done[k].seed == s;
            if (skip) { printf("aux %d, seed %d: in %s already\n", o.sizes[i], s, csv_path); continue; }
            if (run_one(&o, o.sizes[i], s, s == 1 && i == 0, &train, &test, csv, csv_path, &best)) return 1;
            if (ndone < MAX_SIZES * MAX_SEEDS) {
                done[ndone].aux = o.sizes[i];
                done[ndone].seed = s;
                done[ndone++].best = best;
            }
        }
    if (fclose(csv) != 0) { fprintf(stderr, "aux_sweep: %s: write error\n", csv_path); status = 1; }
    status |= draw_figure(&o, done, ndone, csv_path, svg_path);
    tp_dataset_free(&train);
    tp_dataset_free(&test);
    return status;
}
