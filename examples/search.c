/* search: the paper's random hyperparameter search (its Table 4 space, Figure 5 histograms).

     cc -O3 -march=native -fopenmp -I. examples/search.c -o search -lm
     ./search --arch mnist-fc --rule sdtp --trials 60 --epochs 10 --jobs 2     # run, then summarise
     ./search --summary --dir results/search-mnist-fc-sdtp-parallel           # summarise again

   Trial K (0 .. trials-1) draws its configuration and its seed from (--seed, K) alone, so any trial
   can run anywhere on its own (--trial K) and the same search spreads over machines with GNU
   parallel or a Slurm job array (see results/README.md). Every trial writes DIR/trial-K.csv (the log of
   train --log) and, when it ends, DIR/trial-K.result; a checkpoint DIR/trial-K.ckpt after every
   epoch lets an interrupted trial continue where it stopped. Finished trials are skipped, so a
   half-finished search resumes by running the same command again. Run ./search --help for more. */
#define _POSIX_C_SOURCE 200809L
#define TARGETPROP_IMPLEMENTATION
#include "targetprop.h"
#include "common.h"
#include "pictures.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TRIALS 100000
#define MAX_DIRS 10

/* The search space: the paper's Table 4 kinds of draw (log-uniform learning rates, short lists of
   Adam constants, ranges for alpha and sigma), wide enough to hold every row of its Table 5, whose
   MNIST FC rows use beta1 0.99, beta2 0.95, eps 1e-3 and alpha up to 0.31, sigma up to 0.37.
   The rules published after the paper search ranges of their own, around the values their
   authors give (per-example alpha: DDTP's and DTP-DRL's authors step on the batch mean, so their
   0.06 over batch 128 is 5e-4 here), log-uniform where a row says "log". */
static const float beta1_choices[] = { 0.9f, 0.99f };
static const float beta2_choices[] = { 0.95f, 0.99f, 0.999f };
static const float eps_choices[] = { 1e-3f, 1e-4f, 1e-6f, 1e-8f };
typedef struct {
    const char *rule;            /* NULL: the paper's rules (Table 4) */
    double lr[2], inverse_lr[2], alpha[2], sigma[2];
    int log_alpha, log_sigma;
} space;
static const space spaces[] = {
    {NULL,     {1e-5, 1e-2}, {1e-5, 1e-2}, {0.01, 0.4},  {0.01, 0.4}, 0, 0},
    {"ss",     {3e-5, 1e-3}, {1e-5, 1e-2}, {0.01, 0.4},  {0.01, 0.4}, 0, 0},   /* around BP's 1.5e-4 */
    {"kp",     {3e-5, 1e-3}, {1e-5, 1e-2}, {0.01, 0.4},  {0.01, 0.4}, 0, 0},
    {"wm",     {3e-5, 1e-3}, {1e-4, 1e-2}, {0.01, 0.4},  {0.05, 1.0}, 0, 1},
    {"drtp",   {1e-4, 1e-2}, {1e-5, 1e-2}, {0.01, 0.4},  {0.01, 0.4}, 0, 0},
    {"ddtp",   {1e-4, 1e-3}, {3e-5, 1e-3}, {1e-4, 1e-2}, {0.01, 0.3}, 1, 1},   /* 3.3e-4, 1.6e-4, 5e-4, 0.09 */
    {"dtpdrl", {1e-4, 1e-3}, {5e-6, 1e-3}, {1e-4, 1e-2}, {0.01, 0.3}, 1, 1},   /* 4.3e-4, 2e-5, 5e-4, 0.057 */
    {"ldrl",   {1e-4, 3e-3}, {1e-4, 1e-2}, {0.01, 1.0},  {0.02, 0.5}, 1, 1},   /* alpha 0.7, sigma 0.08-0.4 */
};

static const space *space_of(tp_rule rule)
{
    for (size_t i = 1; i < sizeof spaces / sizeof spaces[0]; i++)
        if (!strcmp(spaces[i].rule, tp_rule_name(rule))) return &spaces[i];
    return &spaces[0];
}

typedef struct {
    int trial;
    uint64_t seed;               /* of initialisation, shuffling and noise */
    tp_adam fwd, inv;
    float alpha, sigma;
} trial_cfg;

/* A run's fixed settings, shared by all its trials. */
typedef struct {
    const char *dataset, *data_dir, *arch, *dir;
    tp_rule rule;
    tp_schedule sched;
    int epochs, batch, max_batches, augment, aux, synthetic_n;
    uint64_t seed;
} search_opts;

/* The result file's columns. */
static const char *result_header =
    "trial,status,best_test_error,epochs_done,arch,rule,schedule,epochs,seed,"
    "lr,beta1,beta2,eps,inverse_lr,inverse_beta1,inverse_beta2,inverse_eps,alpha,sigma";

static float pick(tp_rng *r, const float *choices, int n) { return choices[tp_rng_u64(r) % (uint64_t)n]; }
static double log_uniform(tp_rng *r, double lo, double hi) { return lo * pow(hi / lo, tp_rng_uniform(r)); }

/* Trial k's configuration: a function of (seed, k) only. Every value is drawn whether or not the rule
   uses it, so that trial k of a BP search and of an SDTP search share their forward optimiser. */
static trial_cfg sample(uint64_t seed, int k, const space *sp)
{
    trial_cfg c;
    tp_rng r;
    double u;
    tp_rng_seed(&r, seed * 0x100000001b3ULL ^ (uint64_t)k);
    c.trial = k;
    memset(&c.fwd, 0, sizeof c.fwd);
    memset(&c.inv, 0, sizeof c.inv);
    c.fwd.lr = (float)log_uniform(&r, sp->lr[0], sp->lr[1]);
    c.fwd.beta1 = pick(&r, beta1_choices, 2);
    c.fwd.beta2 = pick(&r, beta2_choices, 3);
    c.fwd.eps = pick(&r, eps_choices, 4);
    c.inv.lr = (float)log_uniform(&r, sp->inverse_lr[0], sp->inverse_lr[1]);
    c.inv.beta1 = pick(&r, beta1_choices, 2);
    c.inv.beta2 = pick(&r, beta2_choices, 3);
    c.inv.eps = pick(&r, eps_choices, 4);
    u = tp_rng_uniform(&r);
    c.alpha = (float)(sp->log_alpha ? sp->alpha[0] * pow(sp->alpha[1] / sp->alpha[0], u) : sp->alpha[0] + (sp->alpha[1] - sp->alpha[0]) * u);
    u = tp_rng_uniform(&r);
    c.sigma = (float)(sp->log_sigma ? sp->sigma[0] * pow(sp->sigma[1] / sp->sigma[0], u) : sp->sigma[0] + (sp->sigma[1] - sp->sigma[0]) * u);
    c.seed = tp_rng_u64(&r) >> 16;
    return c;
}

static int usage(FILE *f, int code)
{
    char rules[256];
    fprintf(f,
"usage: search [options]\n"
"Random hyperparameter search over the paper's Table 4 space: each trial trains one\n"
"configuration and records its best test error.\n"
"\n"
"  --dataset NAME      mnist (default), cifar10 or synthetic (random data, for tests)\n"
"  --synthetic-n N     examples in the synthetic set (default 4 batches)\n"
"  --data DIR          directory of the data files (default data/mnist or data/cifar10)\n"
"  --arch PRESET|SPEC  network (default mnist-fc, or cifar-fc for cifar10)\n"
"  --rule R            one of %s (default sdtp)\n"
"  --schedule S        parallel (default) or alternating\n"
"  --aux N             AO-SDTP auxiliary units (default 512)\n"
"  --trials N          trials in the search (default 60)\n"
"  --epochs N          forward epochs per trial (default 10; the paper ran each for up to 500)\n"
"  --batch N           minibatch size (default 128)\n"
"  --max-batches N     at most N batches per epoch (quick checks)\n"
"  --no-augment        no random crops and flips on CIFAR-10\n"
"  --seed N            seed of the search (default 1): trial K draws from (seed, K) alone\n"
"  --dir DIR           where the trials' files go (default results/search-ARCH-RULE-SCHEDULE)\n"
"  --trial K           run trial K only (0 .. trials-1), e.g. from GNU parallel or a Slurm array\n"
"  --jobs N            run N trials at a time, each in its own process (default 1)\n"
"  --threads N         threads per trial (default: all cores divided by --jobs)\n"
"  --list              print every trial's configuration as CSV and stop\n"
"  --summary           only summarise DIR (give --dir several times to compare searches)\n"
"  --out FILE.svg      histogram of the summary (default DIR/histogram.svg)\n"
"  -h, --help          this text\n"
"\n"
"Space of the paper's rules (every row of its Table 5 lies inside it): lr and inverse lr\n"
"log-uniform in [1e-5, 1e-2]; beta1 in {0.9, 0.99}; beta2 in {0.95, 0.99, 0.999}; eps in {1e-3,\n"
"1e-4, 1e-6, 1e-8} (forward and inverse each their own); alpha (DTP) uniform in [0.01, 0.4];\n"
"sigma (TP rules) uniform in [0.01, 0.4]. The later rules' ranges, around their authors' values\n"
"(the rest as above):\n",
            tp_rule_list(rules, sizeof rules));
    for (size_t i = 1; i < sizeof spaces / sizeof spaces[0]; i++) {
        const space *sp = &spaces[i];
        fprintf(f, "  %-7s lr %g..%g, inverse lr %g..%g, alpha %g..%g%s, sigma %g..%g%s\n", sp->rule, sp->lr[0], sp->lr[1],
                sp->inverse_lr[0], sp->inverse_lr[1], sp->alpha[0], sp->alpha[1], sp->log_alpha ? " (log)" : "",
                sp->sigma[0], sp->sigma[1], sp->log_sigma ? " (log)" : "");
    }
    fprintf(f, "Without --trial or --summary, the search runs every unfinished trial and then summarises.\n");
    return code;
}

static void print_cfg_csv(FILE *f, const trial_cfg *c)
{
    fprintf(f, "%d,%llu,%.6g,%g,%g,%g,%.6g,%g,%g,%g,%.6g,%.6g\n", c->trial, (unsigned long long)c->seed,
            (double)c->fwd.lr, (double)c->fwd.beta1, (double)c->fwd.beta2, (double)c->fwd.eps,
            (double)c->inv.lr, (double)c->inv.beta1, (double)c->inv.beta2, (double)c->inv.eps,
            (double)c->alpha, (double)c->sigma);
}

static void trial_path(char *buf, size_t n, const char *dir, int k, const char *ext)
{
    snprintf(buf, n, "%s/trial-%03d.%s", dir, k, ext);
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---------------------------------------------------------------------------------------------
   One trial */

typedef struct {
    FILE *log;
    const char *log_path, *ckpt;
    int failed;
    char error[TP_ERROR_LEN + 1200];
} trial_ctx;

/* The log's row, then the checkpoint (its user data the ex_state of the run). */
static int after_epoch(void *ctx, tp_net *net, const ex_progress *p)
{
    trial_ctx *t = (trial_ctx *)ctx;
    if (!ex_log_row(t->log, p, ""))
        snprintf(t->error, sizeof t->error, "%s: cannot write: %s", t->log_path, strerror(errno));
    else if (tp_net_save(net, t->ckpt, p->state, sizeof *p->state) != TP_OK)
        snprintf(t->error, sizeof t->error, "checkpoint: %s", net->error);
    else return 0;
    t->failed = 1;
    return 1;
}

/* Runs trial k to its end (continuing from its checkpoint if there is one) and writes its result file.
   Returns 0 when the result is written (also for a diverged trial: that is a result), 1 on failure. */
static int run_trial(const search_opts *o, int k, tp_dataset *train, const tp_dataset *test)
{
    char log_path[1100], ckpt[1100], res[1100], tmp[1200], header[400], why[400];
    trial_cfg c = sample(o->seed, k, space_of(o->rule));
    tp_config cfg = tp_config_default(o->rule);
    ex_state st;
    ex_run run;
    trial_ctx ctx;
    tp_net net;
    tp_result r;
    size_t len = 0;
    double t0 = ex_now();
    const char *status = "ok";
    FILE *f;

    trial_path(log_path, sizeof log_path, o->dir, k, "csv");
    trial_path(ckpt, sizeof ckpt, o->dir, k, "ckpt");
    trial_path(res, sizeof res, o->dir, k, "result");
    cfg.rule = o->rule;
    cfg.schedule = o->sched;
    c.fwd.decay = cfg.forward.decay;   /* the rule's own (Kolen-Pollack's) */
    cfg.forward = c.fwd;
    cfg.inverse = c.inv;
    cfg.alpha = c.alpha;
    cfg.sigma = c.sigma;
    cfg.seed = c.seed;
    cfg.max_batch = o->batch;
    if (o->aux >= 0) cfg.n_aux = o->aux;

    memset(&ctx, 0, sizeof ctx);
    memset(&run, 0, sizeof run);
    run.train = train;
    run.test = test;
    run.forward_epochs = o->epochs;
    run.batch = o->batch;
    run.augment = o->augment;
    run.max_batches = o->max_batches;
    run.threads = tp_get_threads();
    run.watch = 1;
    run.after_epoch = after_epoch;
    run.ctx = &ctx;
    ex_log_columns(header, sizeof header, 0);
    if (file_exists(ckpt)) { /* an interrupted trial: continue where its last checkpoint stopped */
        if (tp_net_load(&net, ckpt, &st, sizeof st, &len) == TP_OK) {
            if (len == sizeof st && net.cfg.seed == cfg.seed && net.cfg.rule == cfg.rule &&
                ex_state_check(&st, &net, &run, why, sizeof why) &&
                (ctx.log = ex_log_open("search", log_path, header, st.step - 1, &net)) != NULL)
                printf("trial %3d: continues at epoch %d from %s\n", k, st.step, ckpt);
            else
                tp_net_destroy(&net);
        }
        if (!ctx.log) printf("trial %3d: %s is not a checkpoint of this trial; starting it over\n", k, ckpt);
    }
    if (!ctx.log) {
        if ((r = tp_net_create(&net, o->arch, &cfg)) != TP_OK) {
            fprintf(stderr, "search: trial %d: %s\n", k, net.error);
            return 1;
        }
        if (!(ctx.log = ex_log_open("search", log_path, header, -1, &net))) {
            tp_net_destroy(&net);
            return 1;
        }
        ex_state_init(&st, ex_batches(train, o->batch, o->max_batches), o->batch);
    }
    ctx.ckpt = ckpt;
    ctx.log_path = log_path;
    r = ex_train(&net, &run, &st);
    if (fclose(ctx.log) != 0 && !ctx.failed) {
        snprintf(ctx.error, sizeof ctx.error, "%s: cannot write: %s", log_path, strerror(errno));
        ctx.failed = 1;
    }
    if (ctx.failed) {
        fprintf(stderr, "search: trial %d: %s\n", k, ctx.error);
        tp_net_destroy(&net);
        return 1;
    }
    if (r == TP_ERROR_DIVERGED) status = "diverged";
    else if (r != TP_OK) {
        fprintf(stderr, "search: trial %d: %s\n", k, net.error);
        tp_net_destroy(&net);
        return 1;
    }

    /* the result, written whole or not at all */
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", res, (long)getpid());
    if (!(f = fopen(tmp, "w"))) {
        fprintf(stderr, "search: %s: cannot open for writing: %s\n", tmp, strerror(errno));
        tp_net_destroy(&net);
        return 1;
    }
    {
        FILE *lf = fopen(log_path, "r");
        int done = 0;
        char line[4096];
        if (lf) { /* forward epochs that finished, from the log */
            while (fgets(line, sizeof line, lf)) done += strstr(line, ",forward,") || strstr(line, ",parallel,");
            fclose(lf);
        }
        fprintf(f, "%s\n%d,%s,%.6f,%d,%s,%s,%s,%d,%llu,%.6g,%g,%g,%g,%.6g,%g,%g,%g,%.6g,%.6g\n", result_header, k,
                status, st.best, done, o->arch, tp_rule_name(o->rule), tp_schedule_name(o->sched),
                o->epochs, (unsigned long long)c.seed, (double)c.fwd.lr, (double)c.fwd.beta1, (double)c.fwd.beta2,
                (double)c.fwd.eps, (double)c.inv.lr, (double)c.inv.beta1, (double)c.inv.beta2, (double)c.inv.eps,
                (double)c.alpha, (double)c.sigma);
    }
    if (ferror(f) | (fclose(f) != 0) || rename(tmp, res) != 0) {
        fprintf(stderr, "search: %s: cannot write: %s\n", res, strerror(errno));
        remove(tmp);
        tp_net_destroy(&net);
        return 1;
    }
    remove(ckpt);
    printf("trial %3d: %-8s best test error %6.2f%%  lr %.3g inverse lr %.3g sigma %.3f  %.0f s\n", k, status,
           100.0 * st.best, (double)c.fwd.lr, (double)c.inv.lr, (double)c.sigma, ex_now() - t0);
    fflush(stdout);
    tp_net_destroy(&net);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
   Summary */

typedef struct {
    int trial, done, diverged;
    double best;
    char line[1024];    /* the value line, for summary.csv */
    char fields[19][64];
} result;

/* Reads every DIR/trial-*.result of trials 0 .. n-1 (n 0: as many as are found, up to MAX_TRIALS). */
static int load_results(const char *dir, int n, result **out, int *missing)
{
    result *rs = (result *)calloc(n > 0 ? (size_t)n : 1024, sizeof *rs);
    int cap = n > 0 ? n : 1024, count = 0, gap = 0;
    *missing = 0;
    if (!rs) return -1;
    for (int k = 0; n > 0 ? k < n : k < MAX_TRIALS && gap < 1000; k++) {
        char path[1100], head[1024], line[1024], *fld[32];
        size_t len;
        FILE *f;
        int nf;
        trial_path(path, sizeof path, dir, k, "result");
        if (!(f = fopen(path, "r"))) { (*missing)++; gap++; continue; }
        gap = 0;
        if (ex_csv_line(f, head, sizeof head, &len) != 1 || strcmp(head, result_header) ||
            ex_csv_line(f, line, sizeof line, &len) != 1) {
            fprintf(stderr, "search: %s: not a result file of this program (expected the header %s and one line)\n",
                    path, result_header);
            fclose(f);
            free(rs);
            return -1;
        }
        fclose(f);
        if (count == cap) {
            result *r2 = (result *)realloc(rs, (size_t)(cap *= 2) * sizeof *rs);
            if (!r2) { free(rs); return -1; }
            rs = r2;
        }
        result *r = &rs[count];
        memset(r, 0, sizeof *r);
        snprintf(r->line, sizeof r->line, "%s", line);
        if ((nf = ex_csv_split(line, fld, 32)) != 19 || !ex_parse_num(fld[2], &r->best)) {
            fprintf(stderr, "search: %s: expected 19 fields with a number as best_test_error\n", path);
            free(rs);
            return -1;
        }
        for (int i = 0; i < 19; i++) snprintf(r->fields[i], sizeof r->fields[i], "%s", fld[i]);
        r->trial = k;
        r->done = atoi(fld[3]);
        r->diverged = !strcmp(fld[1], "diverged");
        count++;
    }
    if (n <= 0) *missing = 0; /* without a trial count, gaps are not known to be missing */
    *out = rs;
    return count;
}

static int by_best(const void *a, const void *b)
{
    const result *x = (const result *)a, *y = (const result *)b;
    int xd = x->done > 0, yd = y->done > 0;
    if (xd != yd) return yd - xd;
    return x->best < y->best ? -1 : x->best > y->best ? 1 : x->trial - y->trial;
}

static int summarise(const char *const *dirs, int ndirs, int trials, const char *out_svg)
{
    static double *acc[MAX_DIRS];
    static int nacc[MAX_DIRS];
    static char labels[MAX_DIRS][256];
    const char *lab[MAX_DIRS];
    double lo = 100, hi = 0;
    int status = 0;
    for (int d = 0; d < ndirs; d++) {
        result *rs;
        int missing, n = load_results(dirs[d], trials, &rs, &missing), diverged = 0, early = 0;
        char path[1100];
        FILE *f;
        if (n < 0) return 1;
        if (n == 0) {
            fprintf(stderr, "search: %s: no finished trials yet (no trial-K.result files)\n", dirs[d]);
            return 1;
        }
        qsort(rs, (size_t)n, sizeof *rs, by_best);
        for (int i = 0; i < n; i++) {
            diverged += rs[i].diverged;
            early += rs[i].done == 0;
            if (strcmp(rs[i].fields[4], rs[0].fields[4]) || strcmp(rs[i].fields[5], rs[0].fields[5]) ||
                strcmp(rs[i].fields[6], rs[0].fields[6]) || strcmp(rs[i].fields[7], rs[0].fields[7])) {
                fprintf(stderr, "search: %s: trial %d ran %s %s %s for %s epochs but trial %d ran %s %s %s for %s: "
                        "one directory per search\n", dirs[d], rs[i].trial, rs[i].fields[4], rs[i].fields[5],
                        rs[i].fields[6], rs[i].fields[7], rs[0].trial, rs[0].fields[4], rs[0].fields[5],
                        rs[0].fields[6], rs[0].fields[7]);
                free(rs);
                return 1;
            }
        }
        snprintf(labels[d], sizeof labels[d], "%s %s %s", rs[0].fields[4], rs[0].fields[5], rs[0].fields[6]);
        lab[d] = labels[d];
        printf("%s: %d trials finished", dirs[d], n);
        if (missing) printf(", %d not yet", missing);
        if (diverged) printf(", %d diverged (their best before diverging counts)", diverged);
        if (early) printf(", %d diverged within their first epoch (not in the histogram)", early);
        printf("\n  %s, %s forward epochs per trial\n", labels[d], rs[0].fields[7]);
        printf("  rank trial  best test error  lr        b1    b2     eps     inverse lr  b1    b2     eps     alpha   sigma\n");
        for (int i = 0; i < n && i < 10; i++) {
            char (*v)[64] = rs[i].fields;
            printf("  %4d %5d  %6.2f%%%s  %-9s %-5s %-6s %-7s %-11s %-5s %-6s %-7s %-7s %s\n", i + 1, rs[i].trial,
                   100 * rs[i].best, rs[i].done ? "        " : " (none) ", v[9], v[10], v[11], v[12], v[13], v[14],
                   v[15], v[16], v[17], v[18]);
        }
        {
            char (*v)[64] = rs[0].fields;
            tp_rule rule = TP_BP;
            int tp = tp_rule_parse(v[5], &rule, NULL) == TP_OK &&   /* targets, or feedback of its own */
                     (tp_rule_info(rule)->targets || tp_rule_info(rule)->learned_grads);
            printf("  best, as a row of the paper's Table 5 (trial %d, best test error %.2f%%):\n", rs[0].trial, 100 * rs[0].best);
            printf("    %s %s %s: lr %s, beta1 %s, beta2 %s, eps %s", v[4], v[5], v[6], v[9], v[10], v[11], v[12]);
            if (tp) printf("; inverse lr %s, beta1 %s, beta2 %s, eps %s%s%s; sigma %s", v[13], v[14], v[15], v[16],
                           "; alpha ", v[17], v[18]);
            printf("\n  to train it: train --arch %s%s%s --rule %s --schedule %s --lr %s --beta1 %s --beta2 %s --eps %s",
                   strchr(v[4], ' ') ? "'" : "", v[4], strchr(v[4], ' ') ? "'" : "", v[5], v[6], v[9], v[10], v[11], v[12]);
            if (tp) printf(" --inverse-lr %s --inverse-beta1 %s --inverse-beta2 %s --inverse-eps %s --alpha %s --sigma %s",
                           v[13], v[14], v[15], v[16], v[17], v[18]);
            printf(" --seed %s\n", v[8]);
        }
        snprintf(path, sizeof path, "%s/summary.csv", dirs[d]);
        if (!(f = fopen(path, "w"))) { fprintf(stderr, "search: %s: cannot open for writing: %s\n", path, strerror(errno)); free(rs); return 1; }
        fprintf(f, "%s\n", result_header);
        for (int i = 0; i < n; i++) fprintf(f, "%s\n", rs[i].line);
        if (ferror(f) | (fclose(f) != 0)) { fprintf(stderr, "search: %s: write error\n", path); status = 1; }
        else printf("  all trials, best first: %s\n", path);

        acc[d] = (double *)malloc((size_t)n * sizeof(double));
        if (!acc[d]) { free(rs); return 1; }
        nacc[d] = 0;
        for (int i = 0; i < n; i++)
            if (rs[i].done > 0) {
                double a = 100 * (1 - rs[i].best);
                acc[d][nacc[d]++] = a;
                if (a < lo) lo = a;
                if (a > hi) hi = a;
            }
        free(rs);
    }
    /* the histogram of best test accuracies (the paper's Figure 5): 5-point bins over [0, 100], or
       1-point bins when every trial lies within 20 points */
    {
        char path[1100], title[300];
        double blo = 0, bhi = 100;
        int bins = 20;
        if (hi - lo <= 20) { blo = floor(lo); bhi = ceil(hi) > blo + 5 ? ceil(hi) : blo + 5; bins = (int)(bhi - blo); }
        if (bhi > 100) { blo -= bhi - 100; bhi = 100; }
        if (!out_svg) snprintf(path, sizeof path, "%s/histogram.svg", dirs[0]);
        else snprintf(path, sizeof path, "%s", out_svg);
        if (ndirs == 1) snprintf(title, sizeof title, "Random search: %s, %d trials", labels[0], nacc[0]);
        else snprintf(title, sizeof title, "Random search: best test accuracy of each trial");
        if (!ex_svg_histogram(path, title, "best test accuracy (%)", ndirs, (const double *const *)acc, nacc,
                              lab, blo, bhi, bins)) {
            fprintf(stderr, "search: %s: cannot write: %s\n", path, strerror(errno));
            status = 1;
        } else printf("histogram: %s\n", path);
    }
    for (int d = 0; d < ndirs; d++) free(acc[d]);
    return status;
}

/* ---------------------------------------------------------------------------------------------
   Main */

int main(int argc, char **argv)
{
    search_opts o;
    const char *sched_s, *dirs[MAX_DIRS], *out_svg = NULL;
    char default_dir[512], err[TP_ERROR_LEN], arch_buf[4096];
    int ndirs = 0, trials = 60, trial = -1, jobs = 1, threads = 0, list = 0, summary_only = 0, failed = 0;
    tp_dataset train, test;
    ex_args a;

    memset(&o, 0, sizeof o);
    o.dataset = "mnist"; o.epochs = 10; o.batch = 128; o.augment = 1; o.aux = -1; o.seed = 1; o.rule = TP_SDTP;
    for (ex_args_init(&a, "search", argc, argv); ex_next(&a);) {
        const char *v;
        if (ex_flag(&a, "-h") || ex_flag(&a, "--help")) return usage(stdout, 0);
        else if (ex_flag(&a, "--list")) list = 1;
        else if (ex_flag(&a, "--summary")) summary_only = 1;
        else if (ex_flag(&a, "--no-augment")) o.augment = 0;
        else if ((v = ex_value(&a, "--dataset"))) o.dataset = ex_word_is(v, "synthetic") ? "synthetic" : v;
        else if ((v = ex_value(&a, "--data"))) o.data_dir = v;
        else if ((v = ex_value(&a, "--arch"))) o.arch = v;
        else if ((v = ex_value(&a, "--rule"))) {
            if (tp_rule_parse(v, &o.rule, err) != TP_OK) { fprintf(stderr, "search: --rule: %s\n", err); return 2; }
        } else if ((v = ex_value(&a, "--schedule"))) {
            if (tp_schedule_parse(v, &o.sched, err) != TP_OK) { fprintf(stderr, "search: --schedule: %s\n", err); return 2; }
        } else if ((v = ex_value(&a, "--out"))) out_svg = v;
        else if ((v = ex_value(&a, "--dir"))) {
            if (ndirs == MAX_DIRS) { fprintf(stderr, "search: at most %d --dir\n", MAX_DIRS); return 2; }
            dirs[ndirs++] = v;
        }
        else if ((v = ex_value(&a, "--aux"))) a.bad |= !ex_parse_int(a.prog, "--aux", v, 0, 100000, &o.aux);
        else if ((v = ex_value(&a, "--trials"))) a.bad |= !ex_parse_int(a.prog, "--trials", v, 1, MAX_TRIALS, &trials);
        else if ((v = ex_value(&a, "--epochs"))) a.bad |= !ex_parse_int(a.prog, "--epochs", v, 1, 100000, &o.epochs);
        else if ((v = ex_value(&a, "--batch"))) a.bad |= !ex_parse_int(a.prog, "--batch", v, 1, 1 << 20, &o.batch);
        else if ((v = ex_value(&a, "--synthetic-n"))) a.bad |= !ex_parse_int(a.prog, "--synthetic-n", v, 1, 1 << 24, &o.synthetic_n);
        else if ((v = ex_value(&a, "--max-batches"))) a.bad |= !ex_parse_int(a.prog, "--max-batches", v, 0, 1 << 30, &o.max_batches);
        else if ((v = ex_value(&a, "--seed"))) a.bad |= !ex_parse_u64(a.prog, "--seed", v, &o.seed);
        else if ((v = ex_value(&a, "--trial"))) a.bad |= !ex_parse_int(a.prog, "--trial", v, 0, MAX_TRIALS - 1, &trial);
        else if ((v = ex_value(&a, "--jobs"))) a.bad |= !ex_parse_int(a.prog, "--jobs", v, 1, 1024, &jobs);
        else if ((v = ex_value(&a, "--threads"))) a.bad |= !ex_parse_threads(a.prog, "--threads", v, 0, &threads);
        else ex_unknown(&a);
    }
    if (a.bad) return 2;
    if (list) {
        printf("trial,seed,lr,beta1,beta2,eps,inverse_lr,inverse_beta1,inverse_beta2,inverse_eps,alpha,sigma\n");
        for (int k = 0; k < trials; k++) { trial_cfg c = sample(o.seed, k, space_of(o.rule)); print_cfg_csv(stdout, &c); }
        return 0;
    }
    sched_s = tp_schedule_name(o.sched);
    if (!o.arch) o.arch = ex_word_is(o.dataset, "cifar10") ? "cifar-fc" : "mnist-fc";
    o.arch = ex_arch(o.arch, arch_buf, sizeof arch_buf);
    if (trial >= trials) { fprintf(stderr, "search: --trial %d: expected 0 .. %d (--trials %d)\n", trial, trials - 1, trials); return 2; }
    if (ndirs == 0) {
        snprintf(default_dir, sizeof default_dir, "results/search-%.100s-%s-%s", tp_preset(o.arch) ? o.arch : "spec",
                 tp_rule_name(o.rule), sched_s);
        dirs[ndirs++] = default_dir;
    }
    o.dir = dirs[0];
    if (summary_only) return summarise(dirs, ndirs, 0, out_svg);
    if (ndirs > 1) { fprintf(stderr, "search: several --dir only with --summary\n"); return 2; }
    if (mkdir(o.dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "search: %s: cannot create the directory: %s\n", o.dir, strerror(errno));
        return 1;
    }

    /* data: loaded once; forked trials share it. A probe of the net: it must fit the data. */
    {
        tp_net probe;
        tp_config cfg = tp_config_default(o.rule);
        char why[512];
        int ok;
        cfg.max_batch = 1;
        if (tp_net_create(&probe, o.arch, &cfg) != TP_OK) { fprintf(stderr, "search: --arch %s: %s\n", o.arch, probe.error); return 1; }
        if (!strcmp(o.dataset, "synthetic")) {
            if (!ex_synthetic(&train, &probe, o.synthetic_n ? o.synthetic_n : 4 * o.batch, 99) || !ex_synthetic(&test, &probe, o.batch, 100)) {
                fprintf(stderr, "search: out of memory for the synthetic data\n");
                return 1;
            }
        } else if (!ex_load_data("search", o.dataset, o.data_dir, &train, &test)) return 1;
        ok = ex_net_fits(&probe, o.arch, &train, o.dataset, why, sizeof why);
        tp_net_destroy(&probe);
        if (!ok) { fprintf(stderr, "search: %s\n", why); return 1; }
    }
    o.augment = o.augment && ex_word_is(o.dataset, "cifar10");
    if (train.n < o.batch) { fprintf(stderr, "search: %d training examples, fewer than one batch of %d\n", train.n, o.batch); return 1; }

    if (trial >= 0) { /* one trial, as a job array runs it */
        char res[1100];
        trial_path(res, sizeof res, o.dir, trial, "result");
        if (file_exists(res)) { printf("trial %d: finished before (%s)\n", trial, res); return 0; }
        if (threads) tp_set_threads(threads);
        failed = run_trial(&o, trial, &train, &test);
    } else { /* every unfinished trial, `jobs` processes at a time */
        int running = 0, next = 0, todo = 0;
        int per = threads ? threads : (tp_get_threads() / jobs > 0 ? tp_get_threads() / jobs : 1);
        for (int k = 0; k < trials; k++) { char res[1100]; trial_path(res, sizeof res, o.dir, k, "result"); todo += !file_exists(res); }
        printf("search: %s, %s %s, %d epochs per trial; %d of %d trials to run, %d at a time, %d thread%s each; files in %s\n",
               o.arch, tp_rule_name(o.rule), sched_s, o.epochs, todo, trials, jobs, per, per == 1 ? "" : "s", o.dir);
        fflush(stdout);
        tp_set_threads(per);
        while (next < trials || running > 0) {
            char res[1100];
            int st;
            if (next < trials && running < jobs) {
                int k = next++;
                trial_path(res, sizeof res, o.dir, k, "result");
                if (file_exists(res)) continue;
                if (jobs == 1) { failed += run_trial(&o, k, &train, &test); continue; }
                pid_t pid = fork();
                if (pid < 0) { fprintf(stderr, "search: fork: %s\n", strerror(errno)); return 1; }
                if (pid == 0) _exit(run_trial(&o, k, &train, &test));
                running++;
                continue;
            }
            if (wait(&st) > 0) {
                running--;
                failed += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
            }
        }
        if (failed) fprintf(stderr, "search: %d trial%s failed (see above); run the same command again to retry\n",
                            failed, failed == 1 ? "" : "s");
        else if (summarise(dirs, 1, trials, out_svg)) failed = 1;
    }
    tp_dataset_free(&train);
    tp_dataset_free(&test);
    return failed ? 1 : 0;
}
