/* search: the paper's random hyperparameter search (its Table 4 space, Figure 5 histograms).

     cc -O3 -march=native -fopenmp -I. examples/search.c -o search -lm
     ./search --arch mnist-fc --rule sdtp --trials 60 --epochs 10 --jobs 2     # run, then summarise
     ./search --summary --dir results/search-mnist-fc-sdtp-parallel           # summarise again

   Trial K (0 .. trials-1) draws its configuration and its seed from (--seed, K) alone, so any trial
   can run anywhere on its own (--trial K) and the same search spreads over machines with GNU
   parallel or a Slurm job array (see results/README.md). Every trial writes DIR/trial-K.csv (the log of
   train --log) and, when it ends, DIR/trial-K.result; a checkpoint DIR/trial-K.ckpt after every
   epoch lets an interrupted trial continue where it stopped. Finished trials are skipped, so a
   half-finished search resumes by running the same command again.

   A result and a checkpoint record what produced them (the net's normalised spec, rule, schedule, data,
   epochs, batch, batches per epoch, auxiliary units, search seed, optimiser, trial and its configuration), and a
   search refuses a directory that holds another search's: trials of two searches are never mixed, and
   nothing of either is overwritten. A search locks its directory (DIR/search.lock, an fcntl lock the
   system releases when the process ends), and passes SIGINT, SIGTERM and SIGHUP on to its trial
   processes. Run ./search --help for more. */
#define _POSIX_C_SOURCE 200809L
#define TARGETPROP_IMPLEMENTATION
#include "targetprop.h"
#include "cli.h"
#include "data.h"
#include "run.h"
#include "csvlog.h"
#include "pictures.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TRIALS 100000
#define MAX_DIRS 10
#define MAX_JOBS 1024
#define LINE_LEN 8192   /* a result's value line: the net as named and as normalised (up to 2047 each), numbers */
#define KEY_LEN 4096    /* a checkpoint's record of its trial: the normalised spec and the numbers */
#define WHY_LEN 8192    /* a sentence on why a file is not this search's, quoting its fields */

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
    tp_optim fwd, inv;           /* the drawn Adam constants: lr, beta1, beta2, eps */
    float alpha, sigma;
} trial_cfg;

/* A run's fixed settings, shared by all its trials. */
typedef struct {
    const char *dataset, *data_dir, *arch, *dir;
    const char *spec;            /* the net as the library normalises it: what identifies it */
    char arch_col[2048];         /* the net as named, as the result's arch column holds it (no commas) */
    char dataset_name[64];       /* --dataset in lower case */
    tp_rule rule;
    tp_schedule sched;
    int epochs, batch, max_batches, augment, aux, synthetic_n;
    int n_aux;                   /* auxiliary units the net has: --aux or the rule's default, 0 for other rules */
    int train_n, test_n, batches;/* of the data as loaded; batches per epoch after --max-batches */
    uint64_t seed;
    /* The forward optimiser every trial shares (its lr drawn; Adam's constants drawn, used by Adam only): */
    tp_optimizer optim;
    float momentum, l2;
    int cosine, normalize;       /* a cosine over the trial's epochs; the training split's channel statistics */
    char optim_col[128];         /* all of it as the optimizer column records it: "adam", "momentum 0.9 l2 0.0001 ..." */
} search_opts;

/* The result file's columns: the trial's outcome (status .. epochs_done), its net as the user named it
   (arch), then everything that determined the trial. Results written before they recorded their
   search have only the first N_LEGACY columns. */
enum { C_TRIAL, C_STATUS, C_BEST, C_DONE, C_ARCH, C_RULE, C_SCHEDULE, C_EPOCHS, C_SEED,
       C_SIGMA = 18, C_SPEC, C_DATASET, C_TRAIN_N, C_TEST_N, C_BATCH, C_BATCHES, C_AUX, C_AUGMENT, C_SEARCH_SEED,
       C_OPTIM, N_COLS };
#define N_LEGACY 19
#define N_ADAM_ONLY 28   /* results written before the optimizer column: every trial trained by Adam */
static const char *const columns[N_COLS] = {
    "trial", "status", "best_test_error", "epochs_done", "arch", "rule", "schedule", "epochs", "seed",
    "lr", "beta1", "beta2", "eps", "inverse_lr", "inverse_beta1", "inverse_beta2", "inverse_eps", "alpha", "sigma",
    "spec", "dataset", "train_examples", "test_examples", "batch", "batches_per_epoch", "aux", "augment", "search_seed",
    "optimizer" };

/* Columns that every trial of one search shares (the rest but the outcome and arch are the trial's own). */
static int search_column(int i) { return (i >= C_RULE && i <= C_EPOCHS) || i >= C_SPEC; }
/* Columns that identify a trial: all but its outcome and the name its net was given. */
static int identity_column(int i) { return i == C_TRIAL || i >= C_RULE; }

/* The header line of the first n columns. */
static void header_of(char *buf, size_t size, int n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && o < size; i++) o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? "," : "", columns[i]);
}

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
"  --schedule S        parallel (default), alternating or interleaved\n"
"  --aux N             AO-SDTP auxiliary units (default 512)\n"
"  --trials N          trials in the search (default 60)\n"
"  --epochs N          forward epochs per trial (default 10; the paper ran each for up to 500)\n"
"  --batch N           minibatch size (default 128)\n"
"  --max-batches N     at most N batches per epoch (quick checks)\n"
"  --no-augment        no random crops and flips on CIFAR-10\n"
"  --optimizer O       the forward weights' optimiser for every trial, its lr drawn: adam (default;\n"
"                      its constants drawn too), sgd, momentum or nesterov\n"
"  --momentum X        of momentum and nesterov (default 0.9)\n"
"  --l2 X              coupled weight decay (torch.optim's weight_decay; default 0)\n"
"  --schedule-lr S     constant (default) or cosine over each trial's epochs\n"
"  --normalize         inputs normalised by the training split's channel statistics\n"
"  --seed N            seed of the search (default 1): trial K draws from (seed, K) alone\n"
"  --dir DIR           where the trials' files go (default results/search-PRESET-RULE-SCHEDULE,\n"
"                      or results/search-spec-HASH-RULE-SCHEDULE for a spec, HASH of the spec\n"
"                      as normalised)\n"
"  --trial K           run trial K only (0 .. trials-1), e.g. from GNU parallel or a Slurm array\n"
"  --jobs N            run N trials at a time, each in its own process (default 1)\n"
"  --threads N         threads per trial (default: all cores divided by --jobs)\n"
"  --list              print every trial's configuration as CSV and stop\n"
"  --summary           only summarise DIR (give --dir several times to compare searches)\n"
"  --out FILE.svg      histogram of the summary (default DIR/histogram.svg)\n"
"  -h, --help          this text\n"
"\n"
"One directory holds one search. Each DIR/trial-K.result records what produced it: the net's\n"
"spec (as normalised), rule, schedule, dataset and its sizes, epochs, batch, batches per epoch\n"
"(after --max-batches), auxiliary units, search seed, optimiser, trial K and its configuration; each\n"
"checkpoint records the same. A search refuses to start in a directory that holds a result or\n"
"a checkpoint of another search, naming the file and how the two searches differ: its results\n"
"are never rerun over, nor counted as this search's. Give this search another --dir, or delete\n"
"that trial's files to run it again here. (--trials is no part of a search: more trials extend\n"
"it.) Results written before results recorded their search (19 columns) count when the net,\n"
"rule, schedule, epochs, seed and configuration they record match; a note says so. An\n"
"interrupted trial continues from its checkpoint only if the checkpoint and the log are that\n"
"trial's.\n"
"\n"
"A search holds DIR/search.lock (an fcntl lock, gone when the process ends): a second search of\n"
"all trials in DIR is refused while one runs; --trial runs share the directory, each holding\n"
"its own trial. SIGINT, SIGTERM or SIGHUP to a search of --jobs N is passed on to its trial\n"
"processes, which it waits for (each keeps its last checkpoint) before ending by that signal.\n"
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

/* Trial k's row of the result file with the given outcome; a checkpoint's record of its trial is the same
   row with the outcome and arch empty. Returns 0 if it does not fit in buf. */
static int result_row(char *buf, size_t n, const search_opts *o, const trial_cfg *c, const char *status,
                      const char *best, const char *done, const char *arch)
{
    int len = snprintf(buf, n, "%d,%s,%s,%s,%s,%s,%s,%d,%llu,%.6g,%g,%g,%g,%.6g,%g,%g,%g,%.6g,%.6g,%s,%s,%d,%d,%d,%d,%d,%d,%llu,%s",
                       c->trial, status, best, done, arch, tp_rule_name(o->rule), tp_schedule_name(o->sched), o->epochs,
                       (unsigned long long)c->seed, (double)c->fwd.lr, (double)c->fwd.beta1, (double)c->fwd.beta2,
                       (double)c->fwd.eps, (double)c->inv.lr, (double)c->inv.beta1, (double)c->inv.beta2,
                       (double)c->inv.eps, (double)c->alpha, (double)c->sigma, o->spec, o->dataset_name, o->train_n,
                       o->test_n, o->batch, o->batches, o->n_aux, o->augment, (unsigned long long)o->seed, o->optim_col);
    return len > 0 && (size_t)len < n;
}

/* ---------------------------------------------------------------------------------------------
   Which search a file belongs to */

/* Says in why how a trial's recorded identity got (n_got fields: a result's, or a checkpoint's record)
   differs from want (this search's trial, N_COLS fields), as `name "theirs" where this search has "ours"`.
   The columns all of a search's trials share come first, and alone if any differs; the trial's own (its
   number, seed and configuration) differ only where a file was renamed or its search seed differs. A
   legacy result is compared on the columns it has, its net by its name against this search's as named
   or as normalised. Returns the number of differences. */
static int differences(char **got, int n_got, char **want, const search_opts *o, char *why, size_t n)
{
    int count = 0;
    size_t at = 0;
    why[0] = '\0';
    for (int pass = 0; pass < 2 && count == 0; pass++)
        for (int i = 0; i < N_COLS; i++) {
            int legacy_net = n_got == N_LEGACY && i == C_ARCH, differs;
            if (!(identity_column(i) || legacy_net) || (search_column(i) || legacy_net) != (pass == 0) || i >= n_got) continue;
            differs = legacy_net ? strcmp(got[i], o->arch_col) && strcmp(got[i], o->spec) : strcmp(got[i], want[i]) != 0;
            if (!differs) continue;
            if (count++ < 4 && at < n)
                at += (size_t)snprintf(why + at, n - at, "%s%s \"%s\" where this search has \"%s\"", count > 1 ? ", " : "",
                                       columns[i], got[i], legacy_net ? o->arch_col : want[i]);
        }
    if (count > 4 && at < n) snprintf(why + at, n - at, " (and %d more)", count - 4);
    return count;
}

/* ---------------------------------------------------------------------------------------------
   Result files */

typedef struct {
    int trial, done, diverged, legacy;
    double best;
    char *line;           /* the value line as read (a legacy one padded to N_COLS), for summary.csv */
    char *buf;            /* a copy of it split into f */
    char *f[N_COLS];
} result;

static void result_free(result *r)
{
    free(r->line);
    free(r->buf);
    r->line = r->buf = NULL;
}

/* A whole number from lo to hi in field s, else a message naming path, column and value; returns 0 then. */
static int whole_field(const char *path, int col, const char *s, long long lo, long long hi, long long *v)
{
    if (ex_integer(s, v) && *v >= lo && *v <= hi) return 1;
    fprintf(stderr, "search: %s: %s \"%s\": expected a whole number from %lld to %lld\n", path, columns[col], s, lo, hi);
    return 0;
}

/* Checks the fields of trial k's result, read from path, that the summary ranks and counts by: the trial
   number of its file name, a known status, a finite best test error in [0, 1], whole epochs, and epochs_done
   within them. Prints "search: PATH: column "value": expected ..." and returns 0 for the first that is wrong. */
static int result_values_ok(const char *path, int k, result *r)
{
    long long trial, epochs, done;
    char **f = r->f;
    if (!ex_integer(f[C_TRIAL], &trial) || trial != k) {
        fprintf(stderr, "search: %s: %s \"%s\": expected %d, the trial of its file name\n", path, columns[C_TRIAL], f[C_TRIAL], k);
        return 0;
    }
    if (!whole_field(path, C_EPOCHS, f[C_EPOCHS], 1, 100000, &epochs) || !whole_field(path, C_DONE, f[C_DONE], 0, epochs, &done))
        return 0;
    if (strcmp(f[C_STATUS], "ok") && strcmp(f[C_STATUS], "diverged")) {
        fprintf(stderr, "search: %s: %s \"%s\": expected ok or diverged\n", path, columns[C_STATUS], f[C_STATUS]);
        return 0;
    }
    if (!ex_parse_num(f[C_BEST], &r->best) || !(r->best >= 0 && r->best <= 1)) {
        fprintf(stderr, "search: %s: %s \"%s\": expected a test error from 0 to 1\n", path, columns[C_BEST], f[C_BEST]);
        return 0;
    }
    r->trial = k;
    r->done = (int)done;
    r->diverged = !strcmp(f[C_STATUS], "diverged");
    return 1;
}

/* Reads trial k's result at path into *r (result_free it) and checks it: this version's header or a legacy
   one, one value line with as many fields, and the values result_values_ok checks. Returns 1, or 0 with the
   problem printed as "search: PATH: ...". */
static int read_result(const char *path, int k, result *r)
{
    char head[LINE_LEN], legacy[LINE_LEN], adam_only[LINE_LEN], ours[LINE_LEN], line[LINE_LEN], *fld[N_COLS + 1];
    size_t len;
    int nf, ok = 0, want_nf;
    FILE *f = fopen(path, "r");
    memset(r, 0, sizeof *r);
    if (!f) { fprintf(stderr, "search: %s: cannot read: %s\n", path, strerror(errno)); return 0; }
    header_of(ours, sizeof ours, N_COLS);
    header_of(legacy, sizeof legacy, N_LEGACY);
    header_of(adam_only, sizeof adam_only, N_ADAM_ONLY);
    if (ex_csv_line(f, head, sizeof head, &len) != 1 || (strcmp(head, ours) && strcmp(head, legacy) && strcmp(head, adam_only)) ||
        ex_csv_line(f, line, sizeof line, &len) != 1)
        fprintf(stderr, "search: %s: not a result file of this program (expected the header %s and one line)\n", path, ours);
    else if (!(r->line = (char *)malloc(LINE_LEN + N_COLS)) || !(r->buf = (char *)malloc(LINE_LEN)))
        fprintf(stderr, "search: out of memory reading %s\n", path);
    else {
        r->legacy = !strcmp(head, legacy);
        want_nf = r->legacy ? N_LEGACY : !strcmp(head, adam_only) ? N_ADAM_ONLY : N_COLS;
        snprintf(r->buf, LINE_LEN, "%s", line);
        nf = ex_csv_split(r->buf, fld, N_COLS + 1);
        if (nf != want_nf)
            fprintf(stderr, "search: %s: %d fields in its line, expected %d as in its header\n", path, nf < 0 ? N_COLS + 1 : nf,
                    want_nf);
        else {
            static char none[1] = "", adam[5] = "adam";
            for (int i = 0; i < N_COLS; i++) r->f[i] = i < nf ? fld[i] : i == C_OPTIM && !r->legacy ? adam : none;
            snprintf(r->line, LINE_LEN + N_COLS, "%s%.*s%s", line, r->legacy ? N_COLS - N_LEGACY : 0, ",,,,,,,,,,,,,,,,",
                     nf == N_ADAM_ONLY ? ",adam" : "");
            ok = result_values_ok(path, k, r);
        }
    }
    fclose(f);
    if (!ok) result_free(r);
    return ok;
}

/* ---------------------------------------------------------------------------------------------
   The directory's lock. DIR/search.lock is locked with fcntl, which the system releases when the process
   ends, so a crash leaves no stale lock: byte 0 for writing by a search of all trials, for reading by
   each --trial run (so one search of all trials excludes every other run, and --trial runs exclude only
   such a search); byte 1 + K for writing by whichever process runs trial K (a forked trial holds its own). */

static int lock_fd = -1;

/* Locks one byte of the lock file (type F_RDLCK or F_WRLCK) without waiting: 1 when locked, 0 when another
   process holds it (*holder its pid, 0 if not known), -1 on another error (errno). */
static struct flock one_byte(short type, long at)
{
    struct flock l;
    memset(&l, 0, sizeof l);
    l.l_type = type;
    l.l_whence = SEEK_SET;
    l.l_start = at;
    l.l_len = 1;
    return l;
}

static int lock_byte(short type, long at, long *holder)
{
    struct flock l = one_byte(type, at);
    if (fcntl(lock_fd, F_SETLK, &l) == 0) return 1;
    if (errno != EACCES && errno != EAGAIN) return -1;
    *holder = fcntl(lock_fd, F_GETLK, &l) == 0 && l.l_type != F_UNLCK ? (long)l.l_pid : 0;
    return 0;
}

static void unlock_byte(long at)
{
    struct flock l = one_byte(F_UNLCK, at);
    fcntl(lock_fd, F_SETLK, &l);
}

/* Takes dir's lock: for a search of all trials (whole), or shared with other --trial runs. Prints why not
   and returns 0 when another search holds it. */
static int lock_dir(const char *dir, int whole)
{
    char path[1100];
    long holder = 0;
    int r;
    snprintf(path, sizeof path, "%s/search.lock", dir);
    if ((lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) < 0) {
        fprintf(stderr, "search: %s: cannot open the lock file: %s\n", path, strerror(errno));
        return 0;
    }
    if ((r = lock_byte(whole ? F_WRLCK : F_RDLCK, 0, &holder)) == 1) return 1;
    if (r < 0) fprintf(stderr, "search: %s: cannot lock: %s (a search locks its directory with fcntl)\n", path, strerror(errno));
    else if (holder > 0)
        fprintf(stderr, "search: %s is in use by another search (process %ld holds %s): two searches in one directory "
                "would run the same trials; wait for it to end, or give this one another --dir\n", dir, holder, path);
    else
        fprintf(stderr, "search: %s is in use by another search (it holds %s): two searches in one directory would run "
                "the same trials; wait for it to end, or give this one another --dir\n", dir, path);
    close(lock_fd);
    lock_fd = -1;
    return 0;
}

/* Locks trial k for this process; prints who runs it and returns 0 if another process does. */
static int lock_trial(const search_opts *o, int k)
{
    long holder = 0;
    int r = lock_fd < 0 ? 1 : lock_byte(F_WRLCK, 1L + k, &holder);
    if (r == 1) return 1;
    if (r < 0) fprintf(stderr, "search: %s/search.lock: cannot lock trial %d: %s\n", o->dir, k, strerror(errno));
    else fprintf(stderr, "search: trial %d in %s is being run by another process (%ld); not running it twice\n", k, o->dir, holder);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
   One trial */

/* A checkpoint's user blob: where the run stands, and the trial it is (its result row without outcome). */
typedef struct {
    ex_state st;
    char key[KEY_LEN];
} trial_blob;

typedef struct {
    FILE *log;
    const char *log_path, *ckpt;
    trial_blob *blob;
    int failed;
    char error[TP_ERROR_LEN + 1200];
} trial_ctx;

/* The log's row, then the checkpoint (its user data the run's state and the trial's key). */
static int after_epoch(void *ctx, tp_net *net, const ex_progress *p)
{
    trial_ctx *t = (trial_ctx *)ctx;
    t->blob->st = *p->state;
    if (!ex_log_row(t->log, p, ""))
        snprintf(t->error, sizeof t->error, "%s: cannot write: %s", t->log_path, strerror(errno));
    else if (tp_net_save(net, t->ckpt, t->blob, sizeof *t->blob) != TP_OK)
        snprintf(t->error, sizeof t->error, "checkpoint: %s", net->error);
    else return 0;
    t->failed = 1;
    return 1;
}

/* Trial k's configuration for the library and its run (the log and checkpoint hooks are the caller's). */
static void trial_setup(const search_opts *o, const trial_cfg *c, tp_dataset *train, const tp_dataset *test,
                        tp_config *cfg, ex_run *run)
{
    tp_optim *dst[2] = { &cfg->forward, &cfg->inverse };
    const tp_optim *src[2] = { &c->fwd, &c->inv };
    *cfg = tp_config_default(o->rule);   /* Adam, with the rule's own decay (Kolen-Pollack's) */
    cfg->rule = o->rule;
    cfg->schedule = o->sched;
    for (int i = 0; i < 2; i++) {
        dst[i]->lr = src[i]->lr; dst[i]->beta1 = src[i]->beta1; dst[i]->beta2 = src[i]->beta2; dst[i]->eps = src[i]->eps;
    }
    cfg->alpha = c->alpha;
    cfg->sigma = c->sigma;
    cfg->seed = c->seed;
    cfg->max_batch = o->batch;
    if (o->aux >= 0) cfg->n_aux = o->aux;
    cfg->forward.kind = o->optim;
    cfg->forward.momentum = o->momentum;
    cfg->forward.l2 = o->l2;
    if (o->cosine) {   /* over the trial's forward epochs, a tick each */
        cfg->forward.schedule.kind = TP_LR_COSINE;
        cfg->forward.schedule.every = o->batches;
        cfg->forward.schedule.length = o->epochs;
    }
    if (o->normalize && tp_dataset_channel_stats(train, cfg->norm_mean, cfg->norm_std) == TP_OK)   /* checked at load */
        cfg->norm_channels = train->c;
    ex_run_init(run, train, test, o->epochs, o->batch, o->max_batches, tp_get_threads());
    run->augment = o->augment;
    run->watch = 1;
}

static int same_adam(const tp_optim *a, const tp_optim *b)
{
    return a->lr == b->lr && a->beta1 == b->beta1 && a->beta2 == b->beta2 && a->eps == b->eps && a->kind == b->kind &&
           a->decay == b->decay && a->momentum == b->momentum && a->l2 == b->l2 && a->schedule.kind == b->schedule.kind &&
           a->schedule.length == b->schedule.length;
}

/* Whether a checkpoint's net is the one trial k builds from cfg: its normalised spec and every setting
   of its configuration that the search sets or draws (what a checkpoint without a key can be told by). */
static int net_is_trial(const tp_net *net, const tp_config *cfg, const search_opts *o)
{
    const tp_config *g = &net->cfg;
    return !strcmp(net->spec, o->spec) && g->rule == cfg->rule && g->schedule == cfg->schedule && g->seed == cfg->seed &&
           same_adam(&g->forward, &cfg->forward) && same_adam(&g->inverse, &cfg->inverse) && g->alpha == cfg->alpha &&
           g->sigma == cfg->sigma && g->n_aux == cfg->n_aux && g->max_batch == cfg->max_batch &&
           g->norm_channels == cfg->norm_channels;
}

/* Whether the log at path, about to be continued after `rows` epochs, is that of the run whose record is
   st: the last best_test_error among those rows is the record's best (1 before any forward epoch). A log
   of another run has other test errors. A missing, short or foreign-headed log passes here: ex_log_open
   starts the first afresh and refuses the others. */
static int log_fits(const char *path, int rows, const ex_state *st, char *why, size_t n)
{
    static char line[1 << 16];
    char *fld[64];
    size_t len;
    double best = 1, v;
    int col, nf, row = 0;
    FILE *f = fopen(path, "r");
    if (!f) return 1;
    if (ex_csv_line(f, line, sizeof line, &len) != 1 || (nf = ex_csv_split(line, fld, 64)) < 0 ||
        (col = ex_csv_column(fld, nf, "best_test_error")) < 0) {
        fclose(f);
        return 1;
    }
    for (; row < rows && ex_csv_line(f, line, sizeof line, &len) == 1; row++)
        if ((nf = ex_csv_split(line, fld, 64)) > col && fld[col][0] && ex_parse_num(fld[col], &v)) best = v;
    fclose(f);
    if (row < rows || fabs(best - st->best) <= 1e-6) return 1;
    snprintf(why, n, "its log %s has a best test error of %.6f after %d epochs, but the checkpoint %.6f: the log is another "
             "run's", path, best, rows, st->best);
    return 0;
}

enum { CK_NONE, CK_OURS, CK_UNUSABLE, CK_OTHER };

/* Opens trial k's checkpoint to continue it: CK_NONE without one; CK_OURS with *net and *blob as it left
   them, when it is this trial's (its key matches the trial's, or, written before checkpoints had keys,
   its net and configuration do), its run record fits the run and its log is the run's; CK_OTHER when it
   or its log belongs to another search or trial, and CK_UNUSABLE when it cannot be read or its run record
   does not fit, with why saying what (*net is then not open). */
static int open_checkpoint(const search_opts *o, const trial_cfg *c, const tp_config *cfg, const ex_run *run,
                           tp_net *net, trial_blob *blob, char *why, size_t n)
{
    char ckpt[1100], log_path[1100], want_row[KEY_LEN], key[KEY_LEN], reason[WHY_LEN / 2], *got[N_COLS + 1], *want[N_COLS + 1];
    size_t len = 0;
    int verdict = CK_OURS, k = c->trial;
    trial_path(ckpt, sizeof ckpt, o->dir, k, "ckpt");
    trial_path(log_path, sizeof log_path, o->dir, k, "csv");
    if (!file_exists(ckpt)) return CK_NONE;
    memset(blob, 0, sizeof *blob);
    if (tp_net_load(net, ckpt, blob, sizeof *blob, &len) != TP_OK) {
        if (len > sizeof *blob) {
            snprintf(why, n, "its run record has %lu bytes, expected %lu: another program's checkpoint", (unsigned long)len,
                     (unsigned long)sizeof *blob);
            return CK_OTHER;
        }
        snprintf(why, n, "%s", net->error[0] ? net->error : "cannot be read");
        return CK_UNUSABLE;
    }
    result_row(want_row, sizeof want_row, o, c, "", "", "", "");
    if (len == sizeof *blob) { /* a key: compare it field by field (a copy: the blob is saved again) */
        blob->key[KEY_LEN - 1] = '\0';
        memcpy(key, blob->key, sizeof key);
        if (ex_csv_split(key, got, N_COLS + 1) != N_COLS || ex_csv_split(want_row, want, N_COLS + 1) != N_COLS)
            snprintf(why, n, "it records no trial this version reads"), verdict = CK_OTHER;
        else if (differences(got, N_COLS, want, o, reason, sizeof reason))
            snprintf(why, n, "it is a checkpoint of another search's trial: %s", reason), verdict = CK_OTHER;
    } else if (len != sizeof blob->st) {
        snprintf(why, n, "its run record has %lu bytes, expected %lu: another program's checkpoint", (unsigned long)len,
                 (unsigned long)sizeof *blob), verdict = CK_OTHER;
    } else if (!net_is_trial(net, cfg, o)) /* before keys: the net tells */
        snprintf(why, n, "its net (%s, %s %s, seed %llu) or configuration is not this trial's", net->spec,
                 tp_rule_name(net->cfg.rule), tp_schedule_name(net->cfg.schedule), (unsigned long long)net->cfg.seed),
            verdict = CK_OTHER;
    if (verdict == CK_OURS && !ex_state_check(&blob->st, net, run, reason, sizeof reason))
        snprintf(why, n, "its run record does not fit this run: %s", reason), verdict = CK_UNUSABLE;
    if (verdict == CK_OURS && !log_fits(log_path, blob->st.step - 1, &blob->st, why, n)) verdict = CK_OTHER;
    if (verdict != CK_OURS) tp_net_destroy(net);
    return verdict;
}

/* Says why trial k's checkpoint is not run over, and what to do instead. */
static void refuse_checkpoint(const search_opts *o, int k, const char *why)
{
    char ckpt[1100], log_path[1100];
    trial_path(ckpt, sizeof ckpt, o->dir, k, "ckpt");
    trial_path(log_path, sizeof log_path, o->dir, k, "csv");
    fprintf(stderr, "search: %s: %s. It is kept: give this search another --dir, or delete %s (and %s) to run trial %d "
            "afresh here\n", ckpt, why, ckpt, log_path, k);
}

/* The result, written whole or not at all (a temporary file renamed over it). */
static int write_result(const search_opts *o, const trial_cfg *c, const char *res, const char *log_path,
                        const char *status, double best)
{
    char tmp[1200], line[LINE_LEN], best_s[32], done_s[16], header[LINE_LEN], row[4096];
    int done = 0;
    FILE *f, *lf = fopen(log_path, "r");
    if (lf) { /* forward epochs that finished, from the log */
        while (fgets(row, sizeof row, lf)) done += strstr(row, ",forward,") || strstr(row, ",parallel,");
        fclose(lf);
    }
    snprintf(best_s, sizeof best_s, "%.6f", best);
    snprintf(done_s, sizeof done_s, "%d", done);
    header_of(header, sizeof header, N_COLS);
    if (!result_row(line, sizeof line, o, c, status, best_s, done_s, o->arch_col)) {
        fprintf(stderr, "search: %s: the result line is over %d characters\n", res, LINE_LEN);
        return 0;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", res, (long)getpid());
    if (!(f = fopen(tmp, "w"))) {
        fprintf(stderr, "search: %s: cannot open for writing: %s\n", tmp, strerror(errno));
        return 0;
    }
    fprintf(f, "%s\n%s\n", header, line);
    if (ferror(f) | (fclose(f) != 0) || rename(tmp, res) != 0) {
        fprintf(stderr, "search: %s: cannot write: %s\n", res, strerror(errno));
        remove(tmp);
        return 0;
    }
    return 1;
}

/* Opens the trial's net and log: continued from its checkpoint when that is this trial's, else new. Returns
   0 (with the reason printed) when the trial must not run: its checkpoint is another search's, or no net
   or log could be made. */
static int start_trial(const search_opts *o, const trial_cfg *c, const tp_config *cfg, const ex_run *run,
                       tp_net *net, trial_blob *blob, trial_ctx *ctx)
{
    char header[400], why[WHY_LEN];
    int k = c->trial, v = open_checkpoint(o, c, cfg, run, net, blob, why, sizeof why);
    ex_log_columns(header, sizeof header, 0);
    if (v == CK_OTHER) {
        refuse_checkpoint(o, k, why);
        return 0;
    }
    if (v == CK_OURS) {
        if ((ctx->log = ex_log_open("search", ctx->log_path, header, blob->st.step - 1, net)) != NULL) {
            printf("trial %3d: continues at epoch %d from %s\n", k, blob->st.step, ctx->ckpt);
            fflush(stdout);
            result_row(blob->key, sizeof blob->key, o, c, "", "", "", "");   /* a checkpoint from before keys gets one */
            return 1;
        }
        tp_net_destroy(net);
        snprintf(why, sizeof why, "its log cannot be continued");
    }
    if (v != CK_NONE) {
        printf("trial %3d: %s: %s; starting the trial over\n", k, ctx->ckpt, why);
        fflush(stdout);
    }
    if (tp_net_create(net, o->spec, cfg) != TP_OK) {
        fprintf(stderr, "search: trial %d: %s\n", k, net->error);
        return 0;
    }
    if (!(ctx->log = ex_log_open("search", ctx->log_path, header, -1, net))) {
        tp_net_destroy(net);
        return 0;
    }
    memset(blob, 0, sizeof *blob);
    ex_state_init(&blob->st, run);
    result_row(blob->key, sizeof blob->key, o, c, "", "", "", "");
    return 1;
}

/* Runs trial k to its end (continuing from its checkpoint if it is this trial's) and writes its result file.
   Returns 0 when the result is written (also for a diverged trial: that is a result), 1 on failure. */
static int run_trial(const search_opts *o, int k, tp_dataset *train, const tp_dataset *test)
{
    char log_path[1100], ckpt[1100], res[1100];
    trial_cfg c = sample(o->seed, k, space_of(o->rule));
    tp_config cfg;
    trial_blob *blob;
    ex_run run;
    trial_ctx ctx;
    tp_net net;
    tp_result r;
    double t0 = ex_now(), best;
    const char *status = "ok";
    int failed = 1;

    if (!lock_trial(o, k)) return 1;
    if (!(blob = (trial_blob *)calloc(1, sizeof *blob))) {
        fprintf(stderr, "search: trial %d: out of memory\n", k);
        unlock_byte(1L + k);
        return 1;
    }
    trial_path(log_path, sizeof log_path, o->dir, k, "csv");
    trial_path(ckpt, sizeof ckpt, o->dir, k, "ckpt");
    trial_path(res, sizeof res, o->dir, k, "result");
    trial_setup(o, &c, train, test, &cfg, &run);
    memset(&ctx, 0, sizeof ctx);
    ctx.ckpt = ckpt;
    ctx.log_path = log_path;
    ctx.blob = blob;
    run.after_epoch = after_epoch;
    run.ctx = &ctx;
    if (start_trial(o, &c, &cfg, &run, &net, blob, &ctx)) {
        r = ex_train(&net, &run, &blob->st);
        if (fclose(ctx.log) != 0 && !ctx.failed) {
            snprintf(ctx.error, sizeof ctx.error, "%s: cannot write: %s", log_path, strerror(errno));
            ctx.failed = 1;
        }
        best = blob->st.best;
        if (ctx.failed) fprintf(stderr, "search: trial %d: %s\n", k, ctx.error);
        else if (r != TP_OK && r != TP_ERROR_DIVERGED) fprintf(stderr, "search: trial %d: %s\n", k, net.error);
        else {
            if (r == TP_ERROR_DIVERGED) status = "diverged";
            if ((failed = !write_result(o, &c, res, log_path, status, best)) == 0) {
                remove(ckpt);
                printf("trial %3d: %-8s best test error %6.2f%%  lr %.3g inverse lr %.3g sigma %.3f  %.0f s\n", k, status,
                       100.0 * best, (double)c.fwd.lr, (double)c.inv.lr, (double)c.sigma, ex_now() - t0);
                fflush(stdout);
            }
        }
        tp_net_destroy(&net);
    }
    free(blob);
    unlock_byte(1L + k);
    return failed;
}

/* ---------------------------------------------------------------------------------------------
   Before running: every file of the trials to run is this search's */

/* Checks trial k's files: a result must be this search's (a legacy one, *legacy set, on what it records),
   a checkpoint of an unfinished trial this trial's. Prints what is wrong and what to do, and returns 0,
   if not; *finished says whether the trial has its result. */
static int trial_files_ok(const search_opts *o, int k, tp_dataset *train, const tp_dataset *test, int *finished, int *legacy)
{
    char res[1100], row[LINE_LEN], why[WHY_LEN], *want[N_COLS + 1];
    trial_cfg c = sample(o->seed, k, space_of(o->rule));
    result r;
    *finished = *legacy = 0;
    trial_path(res, sizeof res, o->dir, k, "result");
    if (file_exists(res)) {
        int ok;
        if (!read_result(res, k, &r)) {
            fprintf(stderr, "search: %s is kept as it is: correct it, or delete it to run trial %d again\n", res, k);
            return 0;
        }
        result_row(row, sizeof row, o, &c, "", "", "", "");
        ex_csv_split(row, want, N_COLS + 1);
        if ((ok = !differences(r.f, r.legacy ? N_LEGACY : N_COLS, want, o, why, sizeof why)))
            *finished = 1, *legacy = r.legacy;
        else
            fprintf(stderr, "search: %s was produced by another search: %s. Its trial is not run over, nor counted as this "
                    "search's: give this search another --dir, or delete %s (and trial-%03d.csv) to run trial %d here\n",
                    res, why, res, k, k);
        result_free(&r);
        return ok;
    }
    {
        tp_config cfg;
        ex_run run;
        tp_net net;
        trial_blob *blob = (trial_blob *)malloc(sizeof *blob);
        int v;
        if (!blob) { fprintf(stderr, "search: out of memory\n"); return 0; }
        trial_setup(o, &c, train, test, &cfg, &run);
        v = open_checkpoint(o, &c, &cfg, &run, &net, blob, why, sizeof why);
        free(blob);
        if (v == CK_OURS) tp_net_destroy(&net);
        if (v == CK_OTHER) refuse_checkpoint(o, k, why);
        return v != CK_OTHER;
    }
}

/* Checks the files of trials from .. to-1 (trial_files_ok), notes results taken on what they record, and
   marks the finished ones in done. Returns 0 at the first trial whose files are another search's. */
static int dir_is_ours(const search_opts *o, int from, int to, tp_dataset *train, const tp_dataset *test, char *done)
{
    int legacy_count = 0, first_legacy = -1;
    for (int k = from; k < to; k++) {
        int finished, legacy;
        if (!trial_files_ok(o, k, train, test, &finished, &legacy)) return 0;
        done[k - from] = (char)finished;
        if (legacy && legacy_count++ == 0) first_legacy = k;
    }
    if (legacy_count)
        printf("search: note: %d result%s in %s (the first trial-%03d.result) predate the recording of the dataset, batch, "
               "batches per epoch, aux and search seed; %s counted as this search's because the net, rule, schedule, epochs, "
               "seed and configuration %s records match\n", legacy_count, legacy_count == 1 ? "" : "s", o->dir, first_legacy,
               legacy_count == 1 ? "it is" : "they are", legacy_count == 1 ? "it" : "each");
    return 1;
}

/* ---------------------------------------------------------------------------------------------
   Running every trial */

static volatile sig_atomic_t stop_signal;   /* SIGINT, SIGTERM or SIGHUP received, 0: none */
static void on_stop(int sig) { stop_signal = sig; }
static void on_child(int sig) { (void)sig; } /* only to wake sigsuspend */
static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGCHLD };
static struct sigaction saved_actions[4];

/* While trials run as child processes: the stop signals and SIGCHLD caught, and blocked but in sigsuspend,
   so that none arrives unseen between a check and the wait. A stop signal ignored at the start (SIGHUP
   under nohup, SIGINT of a background job) stays ignored. *old receives the mask to restore. */
static void catch_signals(sigset_t *old)
{
    struct sigaction sa;
    sigset_t set;
    sigemptyset(&set);
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 4; i++) {
        sigaction(stop_signals[i], NULL, &saved_actions[i]);
        if (stop_signals[i] != SIGCHLD && saved_actions[i].sa_handler == SIG_IGN) continue;
        sa.sa_handler = stop_signals[i] == SIGCHLD ? on_child : on_stop;
        sigaction(stop_signals[i], &sa, NULL);
        sigaddset(&set, stop_signals[i]);
    }
    sigprocmask(SIG_BLOCK, &set, old);
}

/* The signals as they were before catch_signals: their actions and the mask. */
static void default_signals(const sigset_t *old)
{
    for (int i = 0; i < 4; i++) sigaction(stop_signals[i], &saved_actions[i], NULL);
    sigprocmask(SIG_SETMASK, old, NULL);
}

static const char *signal_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "a signal";
}

/* Trial processes: their pids and trial numbers. */
typedef struct { pid_t pid[MAX_JOBS]; int running, failed; } children;

/* Waits for one child (without blocking unless block); returns 1 if one was reaped, counting a failure. */
static int reap(children *ch, int block)
{
    int st;
    pid_t pid = waitpid(-1, &st, block ? 0 : WNOHANG);
    if (pid <= 0) return 0;
    for (int i = 0; i < ch->running; i++)
        if (ch->pid[i] == pid) { ch->pid[i] = ch->pid[--ch->running]; break; }
    ch->failed += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
    return 1;
}

/* Runs trial k in a child process; returns 0 if it could not be started. */
static int spawn(children *ch, const search_opts *o, int k, tp_dataset *train, const tp_dataset *test, const sigset_t *old)
{
    pid_t pid;
    fflush(stdout);   /* or the child would print this process's buffered output again */
    if ((pid = fork()) < 0) {
        fprintf(stderr, "search: fork: %s\n", strerror(errno));
        return 0;
    }
    if (pid == 0) {
        int r;
        default_signals(old);
        r = run_trial(o, k, train, test);
        fflush(stdout);
        _exit(r);
    }
    ch->pid[ch->running++] = pid;
    return 1;
}

/* Runs the trials from 0 .. trials-1 not marked done, `jobs` processes at a time (in this process for 1).
   A stop signal is passed on to the running trials, which are waited for; *signalled then says which (0:
   none). Returns the number of trials that failed. */
static int run_all(const search_opts *o, int trials, int jobs, const char *done, tp_dataset *train, const tp_dataset *test,
                   int *signalled)
{
    children ch;
    sigset_t old;
    int next = 0, broken = 0;
    *signalled = 0;
    memset(&ch, 0, sizeof ch);
    if (jobs == 1) {
        for (int k = 0; k < trials; k++) if (!done[k]) ch.failed += run_trial(o, k, train, test);
        return ch.failed;
    }
    catch_signals(&old);
    while (!stop_signal && !broken && (next < trials || ch.running > 0)) {
        if (next < trials && ch.running < jobs) {
            int k = next++;
            if (!done[k] && !spawn(&ch, o, k, train, test, &old)) broken = 1;
        } else if (!reap(&ch, 0))
            sigsuspend(&old);    /* until a child ends or a stop signal comes */
    }
    if (stop_signal || broken) {
        for (int i = 0; i < ch.running; i++) kill(ch.pid[i], stop_signal ? stop_signal : SIGTERM);
        if (stop_signal)
            fprintf(stderr, "search: %s: stopping %d running trial%s (each keeps its last checkpoint; run the same command "
                    "again to continue)\n", signal_name(stop_signal), ch.running, ch.running == 1 ? "" : "s");
    }
    while (ch.running > 0)
        if (!reap(&ch, 1) && errno != EINTR) break;
    *signalled = stop_signal;
    default_signals(&old);
    return ch.failed + broken;
}

/* ---------------------------------------------------------------------------------------------
   Summary */

static void results_free(result *rs, int n)
{
    for (int i = 0; i < n; i++) result_free(&rs[i]);
    free(rs);
}

/* Reads every DIR/trial-*.result of trials 0 .. n-1 (n 0: as many as are found, up to MAX_TRIALS). Returns
   their number, or -1 (with the problem printed, nothing left allocated). */
static int load_results(const char *dir, int n, result **out, int *missing)
{
    int cap = 64, count = 0, gap = 0, bad = 0;
    result *rs = (result *)calloc((size_t)cap, sizeof *rs);
    *out = NULL;
    *missing = 0;
    if (!rs) { fprintf(stderr, "search: out of memory\n"); return -1; }
    for (int k = 0; !bad && (n > 0 ? k < n : k < MAX_TRIALS && gap < 1000); k++) {
        char path[1100];
        trial_path(path, sizeof path, dir, k, "result");
        if (!file_exists(path)) { (*missing)++; gap++; continue; }
        gap = 0;
        if (count == cap) {
            result *r2 = (result *)realloc(rs, (size_t)(cap *= 2) * sizeof *rs);
            if (!r2) { fprintf(stderr, "search: out of memory\n"); bad = 1; break; }
            rs = r2;
        }
        if (read_result(path, k, &rs[count])) count++;
        else bad = 1;
    }
    if (bad) {
        results_free(rs, count);
        return -1;
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

/* Whether results a and b come from one search: the columns a search's trials share, where both have
   them, and the net as named where one of them is a legacy result (which has no spec). */
static int same_search(const result *a, const result *b)
{
    for (int i = C_ARCH; i < N_COLS; i++) {
        int both = !a->legacy && !b->legacy;
        if (i == C_ARCH ? !both && strcmp(a->f[i], b->f[i]) : search_column(i) && (both || i < C_SPEC) && strcmp(a->f[i], b->f[i]))
            return 0;
    }
    return 1;
}

/* Prints dir's ranking (rs sorted best first, n of them) and the best trial as a row of Table 5 with the
   command that trains it. */
/* train's options for an optimizer column ("momentum 0.9 l2 0.0001 cosine normalized"), into out. */
static void optim_flags(const char *col, char *out, size_t n)
{
    char words[128], *w, *save = NULL;
    size_t at = 0;
    out[0] = '\0';
    snprintf(words, sizeof words, "%s", col);
    for (w = strtok_r(words, " ", &save); w && at < n; w = strtok_r(NULL, " ", &save)) {
        if (!strcmp(w, "l2") && (w = strtok_r(NULL, " ", &save))) at += (size_t)snprintf(out + at, n - at, " --l2 %s", w);
        else if (!strcmp(w, "cosine")) at += (size_t)snprintf(out + at, n - at, " --schedule-lr cosine");
        else if (!strcmp(w, "normalized")) at += (size_t)snprintf(out + at, n - at, " --normalize");
        else if (isdigit((unsigned char)w[0])) at += (size_t)snprintf(out + at, n - at, " --momentum %s", w);
        else if (w && strcmp(w, "adam")) at += (size_t)snprintf(out + at, n - at, " --optimizer %s", w);
    }
}

static void print_ranking(const char *dir, const result *rs, int n, int missing, const char *label)
{
    char flags[256];
    int diverged = 0, early = 0;
    char *const *v = rs[0].f;
    tp_rule rule = TP_BP;
    int tp = tp_rule_parse(v[C_RULE], &rule, NULL) == TP_OK &&   /* targets, or feedback of its own */
             (tp_rule_info(rule)->targets || tp_rule_info(rule)->learned_grads);
    for (int i = 0; i < n; i++) { diverged += rs[i].diverged; early += rs[i].done == 0; }
    printf("%s: %d trials finished", dir, n);
    if (missing) printf(", %d not yet", missing);
    if (diverged) printf(", %d diverged (their best before diverging counts)", diverged);
    if (early) printf(", %d diverged within their first epoch (not in the histogram)", early);
    printf("\n  %s, %s forward epochs per trial%s%s\n", label, v[C_EPOCHS], v[C_OPTIM][0] ? ", optimizer " : "", v[C_OPTIM]);
    printf("  rank trial  best test error  lr        b1    b2     eps     inverse lr  b1    b2     eps     alpha   sigma\n");
    for (int i = 0; i < n && i < 10; i++) {
        char *const *w = rs[i].f;
        printf("  %4d %5d  %6.2f%%%s  %-9s %-5s %-6s %-7s %-11s %-5s %-6s %-7s %-7s %s\n", i + 1, rs[i].trial,
               100 * rs[i].best, rs[i].done ? "        " : " (none) ", w[9], w[10], w[11], w[12], w[13], w[14],
               w[15], w[16], w[17], w[18]);
    }
    printf("  best, as a row of the paper's Table 5 (trial %d, best test error %.2f%%):\n", rs[0].trial, 100 * rs[0].best);
    printf("    %s %s %s: lr %s, beta1 %s, beta2 %s, eps %s", v[4], v[5], v[6], v[9], v[10], v[11], v[12]);
    if (tp) printf("; inverse lr %s, beta1 %s, beta2 %s, eps %s%s%s; sigma %s", v[13], v[14], v[15], v[16],
                   "; alpha ", v[17], v[18]);
    printf("\n  to train it: train --arch %s%s%s --rule %s --schedule %s --lr %s --beta1 %s --beta2 %s --eps %s",
           strchr(v[4], ' ') ? "'" : "", v[4], strchr(v[4], ' ') ? "'" : "", v[5], v[6], v[9], v[10], v[11], v[12]);
    if (tp) printf(" --inverse-lr %s --inverse-beta1 %s --inverse-beta2 %s --inverse-eps %s --alpha %s --sigma %s",
                   v[13], v[14], v[15], v[16], v[17], v[18]);
    optim_flags(v[C_OPTIM], flags, sizeof flags);
    printf("%s --epochs %s --seed %s\n", flags, v[C_EPOCHS], v[8]);
}

/* DIR/summary.csv: every result, best first (legacy ones padded to this version's columns). */
static int write_summary_csv(const char *dir, const result *rs, int n)
{
    char path[1100], header[LINE_LEN];
    FILE *f;
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    if (!(f = fopen(path, "w"))) { fprintf(stderr, "search: %s: cannot open for writing: %s\n", path, strerror(errno)); return 0; }
    header_of(header, sizeof header, N_COLS);
    fprintf(f, "%s\n", header);
    for (int i = 0; i < n; i++) fprintf(f, "%s\n", rs[i].line);
    if (ferror(f) | (fclose(f) != 0)) { fprintf(stderr, "search: %s: write error\n", path); return 0; }
    printf("  all trials, best first: %s\n", path);
    return 1;
}

/* Summarises one directory: its results (of trials 0 .. trials-1, or all found for 0), ranked and written
   to summary.csv, their best test accuracies into *acc (n_acc of them, malloc'ed) and the search's label.
   Returns 0 on a problem (printed), with nothing left allocated. */
static int summarise_dir(const char *dir, int trials, double **acc, int *n_acc, char *label, size_t label_len, int *status)
{
    result *rs;
    int missing, n = load_results(dir, trials, &rs, &missing);
    *acc = NULL;
    *n_acc = 0;
    if (n < 0) return 0;
    if (n == 0) {
        fprintf(stderr, "search: %s: no finished trials yet (no trial-K.result files)\n", dir);
        results_free(rs, n);
        return 0;
    }
    qsort(rs, (size_t)n, sizeof *rs, by_best);
    for (int i = 1; i < n; i++)
        if (!same_search(&rs[i], &rs[0])) {
            fprintf(stderr, "search: %s: trial %d ran %s %s %s for %s epochs (%s %s, batch %s) but trial %d ran %s %s %s for %s "
                    "(%s %s, batch %s): one directory per search\n", dir, rs[i].trial, rs[i].f[C_ARCH], rs[i].f[C_RULE],
                    rs[i].f[C_SCHEDULE], rs[i].f[C_EPOCHS], rs[i].f[C_DATASET], rs[i].f[C_SPEC], rs[i].f[C_BATCH],
                    rs[0].trial, rs[0].f[C_ARCH], rs[0].f[C_RULE], rs[0].f[C_SCHEDULE], rs[0].f[C_EPOCHS],
                    rs[0].f[C_DATASET], rs[0].f[C_SPEC], rs[0].f[C_BATCH]);
            results_free(rs, n);
            return 0;
        }
    snprintf(label, label_len, "%s %s %s", rs[0].f[C_ARCH], rs[0].f[C_RULE], rs[0].f[C_SCHEDULE]);
    print_ranking(dir, rs, n, missing, label);
    if (!write_summary_csv(dir, rs, n)) *status = 1;
    if (!(*acc = (double *)malloc((size_t)n * sizeof(double)))) {
        fprintf(stderr, "search: out of memory\n");
        results_free(rs, n);
        return 0;
    }
    for (int i = 0; i < n; i++)
        if (rs[i].done > 0) (*acc)[(*n_acc)++] = 100 * (1 - rs[i].best);
    results_free(rs, n);
    return 1;
}

/* The histogram of best test accuracies (the paper's Figure 5): 5-point bins over [0, 100], or 1-point
   bins when every trial lies within 20 points. */
static int draw_histogram(const char *const *dirs, int ndirs, double *const *acc, const int *nacc,
                          const char *const *lab, const char *out_svg)
{
    char path[1100], title[300];
    double lo = 100, hi = 0, blo = 0, bhi = 100;
    int bins = 20;
    for (int d = 0; d < ndirs; d++)
        for (int i = 0; i < nacc[d]; i++) {
            if (acc[d][i] < lo) lo = acc[d][i];
            if (acc[d][i] > hi) hi = acc[d][i];
        }
    if (hi - lo <= 20) { blo = floor(lo); bhi = ceil(hi) > blo + 5 ? ceil(hi) : blo + 5; bins = (int)(bhi - blo); }
    if (bhi > 100) { blo -= bhi - 100; bhi = 100; }
    if (!out_svg) snprintf(path, sizeof path, "%s/histogram.svg", dirs[0]);
    else snprintf(path, sizeof path, "%s", out_svg);
    if (ndirs == 1) snprintf(title, sizeof title, "Random search: %s, %d trials", lab[0], nacc[0]);
    else snprintf(title, sizeof title, "Random search: best test accuracy of each trial");
    if (!ex_svg_histogram(path, title, "best test accuracy (%)", ndirs, (const double *const *)acc, nacc,
                          lab, blo, bhi, bins)) {
        fprintf(stderr, "search: %s: cannot write: %s\n", path, strerror(errno));
        return 0;
    }
    printf("histogram: %s\n", path);
    return 1;
}

static int summarise(const char *const *dirs, int ndirs, int trials, const char *out_svg)
{
    double *acc[MAX_DIRS] = { NULL };
    int nacc[MAX_DIRS] = { 0 }, status = 0, d;
    char labels[MAX_DIRS][256];
    const char *lab[MAX_DIRS];
    for (d = 0; d < ndirs; d++) {
        if (!summarise_dir(dirs[d], trials, &acc[d], &nacc[d], labels[d], sizeof labels[d], &status)) break;
        lab[d] = labels[d];
    }
    if (d < ndirs) status = 1;
    else if (!draw_histogram(dirs, ndirs, acc, nacc, lab, out_svg)) status = 1;
    for (d = 0; d < ndirs; d++) free(acc[d]);
    return status;
}

/* ---------------------------------------------------------------------------------------------
   Main */

/* FNV-1a of s, for a short name of a spec. */
static uint64_t hash_of(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

/* What identifies the search's net and data besides the options: the spec as normalised (spec_buf), the net
   as named for the arch column (commas and other separators as spaces, the spec if over-long), the dataset
   in lower case, and the auxiliary units the net will have. */
static void name_search(search_opts *o, const tp_net *probe, char *spec_buf, size_t spec_len)
{
    const tp_rule_desc *d = tp_rule_info(o->rule);
    size_t i = 0;
    snprintf(spec_buf, spec_len, "%s", probe->spec);
    o->spec = spec_buf;
    if (strlen(o->arch) >= sizeof o->arch_col) snprintf(o->arch_col, sizeof o->arch_col, "%s", o->spec);
    else {
        for (; o->arch[i]; i++) o->arch_col[i] = strchr(",\t\n\r", o->arch[i]) ? ' ' : o->arch[i];
        o->arch_col[i] = '\0';
    }
    for (i = 0; o->dataset[i] && i + 1 < sizeof o->dataset_name; i++)
        o->dataset_name[i] = strchr(",\t\n\r", o->dataset[i]) ? ' ' : (char)tolower((unsigned char)o->dataset[i]);
    o->dataset_name[i] = '\0';
    o->n_aux = d && d->n_aux > 0 ? (o->aux >= 0 ? o->aux : tp_config_default(o->rule).n_aux) : 0;
}

/* The training and test sets (synthetic ones of the probe's shape), checked to fit the net. */
static int load_data(search_opts *o, const tp_net *probe, tp_dataset *train, tp_dataset *test)
{
    char why[512];
    if (!strcmp(o->dataset, "synthetic")) {
        if (!ex_synthetic(train, probe, o->synthetic_n ? o->synthetic_n : 4 * o->batch, 99) || !ex_synthetic(test, probe, o->batch, 100)) {
            fprintf(stderr, "search: out of memory for the synthetic data\n");
            return 0;
        }
    } else if (!ex_load_data("search", o->dataset, o->data_dir, train, test)) return 0;
    if (!ex_net_fits(probe, o->arch, train, o->dataset, why, sizeof why)) { fprintf(stderr, "search: %s\n", why); return 0; }
    o->augment = o->augment && ex_word_is(o->dataset, "cifar10");
    if (train->n < o->batch) {
        fprintf(stderr, "search: %d training examples, fewer than one batch of %d\n", train->n, o->batch);
        return 0;
    }
    if (o->normalize) {
        float mean[TP_MAX_CHANNELS], sd[TP_MAX_CHANNELS];
        int k = 0;
        if (tp_dataset_channel_stats(train, mean, sd) != TP_OK) { fprintf(stderr, "search: --normalize: %s\n", train->error); return 0; }
        while (k < train->c && sd[k] > 0.0f) k++;
        if (k < train->c) {
            fprintf(stderr, "search: --normalize: channel %d of the training data is constant: nothing to scale by\n", k);
            return 0;
        }
    }
    o->train_n = train->n;
    o->test_n = test->n;
    o->batches = ex_batches(train, o->batch, o->max_batches);
    return 1;
}

/* The search proper, in its locked directory: trial `trial` alone (>= 0), or every unfinished trial and then
   the summary. Returns the exit status; *signalled the stop signal that ended it, if one did. */
static int run_search(const search_opts *o, int trials, int trial, int jobs, int threads, const char *out_svg,
                      tp_dataset *train, tp_dataset *test, int *signalled)
{
    int from = trial >= 0 ? trial : 0, to = trial >= 0 ? trial + 1 : trials, failed, todo = 0;
    int per = threads ? threads : (tp_get_threads() / jobs > 0 ? tp_get_threads() / jobs : 1);
    char *done = (char *)calloc((size_t)(to - from), 1);
    *signalled = 0;
    if (!done) { fprintf(stderr, "search: out of memory\n"); return 1; }
    if ((trial >= 0 && !lock_trial(o, trial)) || !dir_is_ours(o, from, to, train, test, done)) { free(done); return 1; }
    if (trial >= 0) { /* one trial, as a job array runs it */
        failed = 0;
        if (done[0]) printf("trial %d: finished before (%s/trial-%03d.result)\n", trial, o->dir, trial);
        else {
            if (threads) tp_set_threads(threads);
            failed = run_trial(o, trial, train, test);
        }
        free(done);
        return failed ? 1 : 0;
    }
    for (int k = 0; k < trials; k++) todo += !done[k];
    printf("search: %s, %s %s, %d epochs per trial; %d of %d trials to run, %d at a time, %d thread%s each; files in %s\n",
           o->arch_col, tp_rule_name(o->rule), tp_schedule_name(o->sched), o->epochs, todo, trials, jobs, per,
           per == 1 ? "" : "s", o->dir);
    fflush(stdout);
    tp_set_threads(per);
    failed = run_all(o, trials, jobs, done, train, test, signalled);
    free(done);
    if (*signalled) return 1;
    if (failed) {
        fprintf(stderr, "search: %d trial%s failed (see above); run the same command again to retry\n", failed,
                failed == 1 ? "" : "s");
        return 1;
    }
    return summarise(&o->dir, 1, trials, out_svg);
}

/* The optimizer column: "adam" for the paper's optimiser at a constant rate on raw inputs, else the settings
   in words ("momentum 0.9 l2 0.0001 cosine normalized"). */
static void describe_optim(search_opts *o)
{
    static const char *names[] = { "adam", "sgd", "momentum", "nesterov" };
    size_t at = (size_t)snprintf(o->optim_col, sizeof o->optim_col, "%s", names[o->optim]);
    if (o->optim >= TP_MOMENTUM) at += (size_t)snprintf(o->optim_col + at, sizeof o->optim_col - at, " %g", (double)o->momentum);
    if (o->l2 > 0.0f) at += (size_t)snprintf(o->optim_col + at, sizeof o->optim_col - at, " l2 %g", (double)o->l2);
    if (o->cosine) at += (size_t)snprintf(o->optim_col + at, sizeof o->optim_col - at, " cosine");
    if (o->normalize) snprintf(o->optim_col + at, sizeof o->optim_col - at, " normalized");
}

int main(int argc, char **argv)
{
    static const char *optims[] = { "adam", "sgd", "momentum", "nesterov" }, *lr_kinds[] = { "constant", "cosine" };
    int k;
    search_opts o;
    const char *dirs[MAX_DIRS], *out_svg = NULL;
    char default_dir[512], err[TP_ERROR_LEN], arch_buf[4096], spec_buf[2048];
    int ndirs = 0, trials = 60, trial = -1, jobs = 1, threads = 0, list = 0, summary_only = 0, status = 1, signalled = 0;
    int have_probe = 0;
    tp_dataset train, test;
    tp_net probe;
    ex_args a;

    memset(&o, 0, sizeof o);
    memset(&train, 0, sizeof train);
    memset(&test, 0, sizeof test);
    o.dataset = "mnist"; o.epochs = 10; o.batch = 128; o.augment = 1; o.aux = -1; o.seed = 1; o.rule = TP_SDTP;
    o.momentum = 0.9f;
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
        else if ((v = ex_value(&a, "--optimizer"))) a.bad |= (k = ex_choose(a.prog, "--optimizer", v, optims, 4,
                                                              "adam, sgd, momentum or nesterov")) < 0, o.optim = (tp_optimizer)(k < 0 ? 0 : k);
        else if ((v = ex_value(&a, "--momentum"))) a.bad |= !ex_parse_float_in(a.prog, "--momentum", v, 0, 1, ")", &o.momentum);
        else if ((v = ex_value(&a, "--l2"))) a.bad |= !ex_parse_float_in(a.prog, "--l2", v, 0, FLT_MAX, "", &o.l2);
        else if ((v = ex_value(&a, "--schedule-lr"))) a.bad |= (k = ex_choose(a.prog, "--schedule-lr", v, lr_kinds, 2,
                                                                "constant or cosine")) < 0, o.cosine = k == 1;
        else if (ex_flag(&a, "--normalize") || ex_flag(&a, "--normalise")) o.normalize = 1;
        else if ((v = ex_value(&a, "--trials"))) a.bad |= !ex_parse_int(a.prog, "--trials", v, 1, MAX_TRIALS, &trials);
        else if ((v = ex_value(&a, "--epochs"))) a.bad |= !ex_parse_int(a.prog, "--epochs", v, 1, 100000, &o.epochs);
        else if ((v = ex_value(&a, "--batch"))) a.bad |= !ex_parse_int(a.prog, "--batch", v, 1, 1 << 20, &o.batch);
        else if ((v = ex_value(&a, "--synthetic-n"))) a.bad |= !ex_parse_int(a.prog, "--synthetic-n", v, 1, 1 << 24, &o.synthetic_n);
        else if ((v = ex_value(&a, "--max-batches"))) a.bad |= !ex_parse_int(a.prog, "--max-batches", v, 0, 1 << 30, &o.max_batches);
        else if ((v = ex_value(&a, "--seed"))) a.bad |= !ex_parse_u64(a.prog, "--seed", v, &o.seed);
        else if ((v = ex_value(&a, "--trial"))) a.bad |= !ex_parse_int(a.prog, "--trial", v, 0, MAX_TRIALS - 1, &trial);
        else if ((v = ex_value(&a, "--jobs"))) a.bad |= !ex_parse_int(a.prog, "--jobs", v, 1, MAX_JOBS, &jobs);
        else if ((v = ex_value(&a, "--threads"))) a.bad |= !ex_parse_threads(a.prog, "--threads", v, 0, &threads);
        else ex_unknown(&a);
    }
    if (a.bad) return 2;
    describe_optim(&o);
    if (list) {
        printf("trial,seed,lr,beta1,beta2,eps,inverse_lr,inverse_beta1,inverse_beta2,inverse_eps,alpha,sigma\n");
        for (int k = 0; k < trials; k++) { trial_cfg c = sample(o.seed, k, space_of(o.rule)); print_cfg_csv(stdout, &c); }
        return 0;
    }
    if (!o.arch) o.arch = ex_word_is(o.dataset, "cifar10") ? "cifar-fc" : "mnist-fc";
    o.arch = ex_arch(o.arch, arch_buf, sizeof arch_buf);
    if (trial >= trials) { fprintf(stderr, "search: --trial %d: expected 0 .. %d (--trials %d)\n", trial, trials - 1, trials); return 2; }
    if (summary_only && ndirs > 0) return summarise(dirs, ndirs, 0, out_svg);
    if (ndirs > 1) { fprintf(stderr, "search: several --dir only with --summary\n"); return 2; }

    /* the net, as the library normalises it (what the default directory of a spec and every result record),
       and the data it must fit: loaded once, forked trials share it */
    {
        tp_config cfg = tp_config_default(o.rule);
        cfg.max_batch = 1;
        if (tp_net_create(&probe, o.arch, &cfg) != TP_OK) { fprintf(stderr, "search: --arch %s: %s\n", o.arch, probe.error); return 1; }
        have_probe = 1;
        name_search(&o, &probe, spec_buf, sizeof spec_buf);
    }
    if (ndirs == 0) {
        if (tp_preset(o.arch))
            snprintf(default_dir, sizeof default_dir, "results/search-%.100s-%s-%s", o.arch, tp_rule_name(o.rule),
                     tp_schedule_name(o.sched));
        else
            snprintf(default_dir, sizeof default_dir, "results/search-spec-%08llx-%s-%s",
                     (unsigned long long)(hash_of(o.spec) >> 32), tp_rule_name(o.rule), tp_schedule_name(o.sched));
        dirs[ndirs++] = default_dir;
    }
    o.dir = dirs[0];
    if (summary_only) status = summarise(dirs, ndirs, 0, out_svg);
    else if (mkdir(o.dir, 0777) != 0 && errno != EEXIST)
        fprintf(stderr, "search: %s: cannot create the directory: %s\n", o.dir, strerror(errno));
    else if (lock_dir(o.dir, trial < 0) && load_data(&o, &probe, &train, &test)) {
        tp_net_destroy(&probe);
        have_probe = 0;
        status = run_search(&o, trials, trial, jobs, threads, out_svg, &train, &test, &signalled);
    }
    if (have_probe) tp_net_destroy(&probe);
    tp_dataset_free(&train);
    tp_dataset_free(&test);
    if (lock_fd >= 0) close(lock_fd);
    if (signalled) { /* end as the signal would have ended it */
        fflush(stdout);
        signal(signalled, SIG_DFL);
        raise(signalled);
    }
    return status;
}
