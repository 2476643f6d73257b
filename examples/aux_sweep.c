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

typedef struct { int aux, seed; double best; } run;

/* Finished runs of an earlier invocation with the same settings: lines of aux_sweep.csv. */
static int read_done(const char *path, const char *arch, const char *sched, int epochs, run *done, int max)
{
    FILE *f = fopen(path, "r");
    char line[1024], *fld[16];
    size_t len;
    int n = 0;
    if (!f) return 0;
    if (ex_csv_line(f, line, sizeof line, &len) != 1) { fclose(f); return 0; }
    while (n < max && ex_csv_line(f, line, sizeof line, &len) == 1) {
        double best;
        if (ex_csv_split(line, fld, 16) != 9 || !ex_parse_num(fld[6], &best)) continue;
        if (strcmp(fld[2], arch) || strcmp(fld[3], sched) || atoi(fld[4]) != epochs) continue;
        done[n].aux = atoi(fld[0]);
        done[n].seed = atoi(fld[1]);
        done[n].best = atoi(fld[7]) > 0 ? best : NAN; /* no forward epoch finished: no point */
        n++;
    }
    fclose(f);
    return n;
}

typedef struct { int aux, forward_done; } progress;

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

int main(int argc, char **argv)
{
    const char *dataset = "mnist", *data_dir = NULL, *arch = NULL, *sched_s, *out_dir = "results/aux-sweep";
    const char *sizes_s = "0,16,64,128,256,512,1000";
    int sizes[MAX_SIZES], nsizes = 0, seeds = 1, epochs = 10, batch = 128, max_batches = 0, threads = 0, ndone, status = 0;
    float lr = 0, ilr = 0, sigma = 0;
    static run done[MAX_SIZES * MAX_SEEDS];
    char csv_path[1100], svg_path[1100], err[TP_ERROR_LEN], arch_buf[4096];
    tp_schedule sched = TP_PARALLEL;
    ex_args a;
    tp_dataset train, test;
    FILE *csv;

    for (ex_args_init(&a, "aux_sweep", argc, argv); ex_next(&a);) {
        const char *v, *P = a.prog;
        if (ex_flag(&a, "-h") || ex_flag(&a, "--help")) return usage(stdout, 0);
        else if ((v = ex_value(&a, "--dataset"))) dataset = v;
        else if ((v = ex_value(&a, "--data"))) data_dir = v;
        else if ((v = ex_value(&a, "--arch"))) arch = v;
        else if ((v = ex_value(&a, "--schedule"))) {
            if (tp_schedule_parse(v, &sched, err) != TP_OK) { fprintf(stderr, "aux_sweep: --schedule: %s\n", err); return 2; }
        }
        else if ((v = ex_value(&a, "--out"))) out_dir = v;
        else if ((v = ex_value(&a, "--sizes"))) sizes_s = v;
        else if ((v = ex_value(&a, "--lr"))) a.bad |= !ex_parse_float(P, "--lr", v, 1e-8, 10, &lr);
        else if ((v = ex_value(&a, "--inverse-lr"))) a.bad |= !ex_parse_float(P, "--inverse-lr", v, 1e-8, 10, &ilr);
        else if ((v = ex_value(&a, "--sigma"))) a.bad |= !ex_parse_float(P, "--sigma", v, 1e-8, 10, &sigma);
        else if ((v = ex_value(&a, "--epochs"))) a.bad |= !ex_parse_int(P, "--epochs", v, 1, 1 << 20, &epochs);
        else if ((v = ex_value(&a, "--batch"))) a.bad |= !ex_parse_int(P, "--batch", v, 1, 1 << 20, &batch);
        else if ((v = ex_value(&a, "--seeds"))) a.bad |= !ex_parse_int(P, "--seeds", v, 1, MAX_SEEDS, &seeds);
        else if ((v = ex_value(&a, "--max-batches"))) a.bad |= !ex_parse_int(P, "--max-batches", v, 0, 1 << 30, &max_batches);
        else if ((v = ex_value(&a, "--threads"))) a.bad |= !ex_parse_threads(P, "--threads", v, 1, &threads);
        else ex_unknown(&a);
    }
    if (a.bad) return 2;
    for (const char *p = sizes_s; *p;) { /* the size list */
        char one[32];
        size_t n = strcspn(p, ",");
        snprintf(one, sizeof one, "%.*s", (int)(n < 31 ? n : 31), p);
        long long x;
        if (nsizes == MAX_SIZES || n > 30 || !ex_integer(one, &x) || x < 0 || x > 100000) {
            fprintf(stderr, "aux_sweep: --sizes \"%s\": expected up to %d sizes from 0 to 100000, separated by commas\n",
                    sizes_s, MAX_SIZES);
            return 2;
        }
        sizes[nsizes++] = (int)x;
        p += n + (p[n] == ',');
    }
    if (nsizes == 0) return usage(stderr, 2);
    sched_s = tp_schedule_name(sched);
    if (!arch) arch = ex_word_is(dataset, "cifar10") ? "cifar-fc" : "mnist-fc";
    arch = ex_arch(arch, arch_buf, sizeof arch_buf);
    if (!ex_load_data("aux_sweep", dataset, data_dir, &train, &test)) return 1;
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "aux_sweep: %s: cannot create the directory: %s\n", out_dir, strerror(errno));
        return 1;
    }
    snprintf(csv_path, sizeof csv_path, "%s/aux_sweep.csv", out_dir);
    snprintf(svg_path, sizeof svg_path, "%s/aux_sweep.svg", out_dir);
    ndone = read_done(csv_path, arch, sched_s, epochs, done, MAX_SIZES * MAX_SEEDS);
    if (!(csv = fopen(csv_path, "a"))) {
        fprintf(stderr, "aux_sweep: %s: cannot open for writing: %s\n", csv_path, strerror(errno));
        return 1;
    }
    if (ftell(csv) == 0 && (fprintf(csv, "aux,seed,arch,schedule,epochs,status,best_test_error,epochs_done,seconds\n") < 0 ||
                            !ex_flushed(csv))) {
        fprintf(stderr, "aux_sweep: %s: cannot write: %s\n", csv_path, strerror(errno));
        return 1;
    }

    for (int s = 1; s <= seeds; s++)
        for (int i = 0; i < nsizes; i++) {
            tp_config cfg = tp_config_default(TP_AOSDTP);
            tp_net net;
            tp_result r;
            ex_run run;
            ex_state st;
            double t0 = ex_now();
            int skip = 0;
            progress g = { sizes[i], 0 };
            for (int k = 0; k < ndone; k++) skip |= done[k].aux == sizes[i] && done[k].seed == s;
            if (skip) { printf("aux %d, seed %d: in %s already\n", sizes[i], s, csv_path); continue; }
            if (tp_config_paper(&cfg, arch, TP_AOSDTP, sched, TP_HPARAMS_TABLE5, err) != TP_OK && s == 1 && i == 0)
                fprintf(stderr, "aux_sweep: %s; using the library defaults\n", err);
            cfg.rule = TP_AOSDTP;
            cfg.schedule = sched;
            cfg.n_aux = sizes[i];
            cfg.max_batch = batch;
            cfg.seed = (uint64_t)s;
            if (lr > 0) cfg.forward.lr = lr;
            if (ilr > 0) cfg.inverse.lr = ilr;
            if (sigma > 0) cfg.sigma = sigma;
            if (tp_net_create(&net, arch, &cfg) != TP_OK) { fprintf(stderr, "aux_sweep: %s\n", net.error); return 1; }
            printf("aux %d, seed %d: %s, AO-SDTP %s, %d epochs\n", sizes[i], s, net.spec, sched_s, epochs);
            fflush(stdout);
            memset(&run, 0, sizeof run);
            run.train = &train;
            run.test = &test;
            run.forward_epochs = epochs;
            run.batch = batch;
            run.augment = ex_word_is(dataset, "cifar10");
            run.max_batches = max_batches;
            run.threads = threads;
            run.after_epoch = report;
            run.ctx = &g;
            ex_state_init(&st, ex_batches(&train, batch, max_batches), batch);
            r = ex_train(&net, &run, &st);
            if (r != TP_OK && r != TP_ERROR_DIVERGED) { fprintf(stderr, "aux_sweep: %s\n", net.error); return 1; }
            if (r == TP_ERROR_DIVERGED) printf("  diverged: %s\n", net.error);
            if (fprintf(csv, "%d,%d,%s,%s,%d,%s,%.6f,%d,%.1f\n", sizes[i], s, arch, sched_s, epochs, r == TP_OK ? "ok" : "diverged",
                        st.best, g.forward_done, ex_now() - t0) < 0 || !ex_flushed(csv)) {
                fprintf(stderr, "aux_sweep: %s: cannot write: %s\n", csv_path, strerror(errno));
                return 1;
            }
            if (ndone < MAX_SIZES * MAX_SEEDS) {
                done[ndone].aux = sizes[i];
                done[ndone].seed = s;
                done[ndone++].best = g.forward_done ? st.best : NAN;
            }
            tp_net_destroy(&net);
        }
    if (fclose(csv) != 0) { fprintf(stderr, "aux_sweep: %s: write error\n", csv_path); status = 1; }

    { /* Figure 4: mean best test error over the seeds, per size, in increasing size */
        double xs[MAX_SIZES], ys[MAX_SIZES];
        int n = 0, order[MAX_SIZES];
        char title[300];
        for (int i = 0; i < nsizes; i++) order[i] = i;
        for (int i = 1; i < nsizes; i++) /* insertion sort by size */
            for (int j = i; j > 0 && sizes[order[j]] < sizes[order[j - 1]]; j--) { int t = order[j]; order[j] = order[j - 1]; order[j - 1] = t; }
        printf("aux size  best test error (mean over seeds)\n");
        for (int q = 0; q < nsizes; q++) {
            int i = order[q], cnt = 0;
            double sum = 0;
            if (q > 0 && sizes[i] == sizes[order[q - 1]]) continue;
            for (int k = 0; k < ndone; k++)
                if (done[k].aux == sizes[i] && done[k].seed <= seeds && done[k].best == done[k].best) { sum += done[k].best; cnt++; }
            if (!cnt) { printf("%8d  (no finished epoch)\n", sizes[i]); continue; }
            xs[n] = sizes[i];
            ys[n] = 100 * sum / cnt;
            printf("%8d  %6.2f%%\n", sizes[i], ys[n]);
            n++;
        }
        snprintf(title, sizeof title, "AO-SDTP on %.100s (%s), %d epochs%s", arch, sched_s, epochs,
                 seeds > 1 ? ", mean over seeds" : "");
        {
            ex_series s = { "AO-SDTP", xs, ys, n, 0, 0, 1 };
            ex_chart chart = { title, "auxiliary output units (0: SDTP)", "best test error (%)", 0, 0, 1, NULL, NULL };
            if (!ex_svg_lines(svg_path, &chart, &s, 1)) { fprintf(stderr, "aux_sweep: %s: cannot write: %s\n", svg_path, strerror(errno)); status = 1; }
            else printf("figure: %s\ndata:   %s\n", svg_path, csv_path);
        }
    }
    tp_dataset_free(&train);
    tp_dataset_free(&test);
    return status;
}
