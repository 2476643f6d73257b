/* common.h: what the example programs share; not part of the library.

   Each example still builds with one cc line (this file is found beside the .c file):
     ex_now               monotonic seconds
     ex_args, ex_flag, ex_value   the command line: "--opt value" or "--opt=value", empty values refused
     ex_parse_*           the one strict number parser: the whole value, finite, in range, or a message
                          naming the option and the range
     ex_word_is           names compared without regard to case (rules, schedules, datasets, presets)
     ex_load_data         MNIST or CIFAR-10 from a directory, with a helpful message
     ex_synthetic         random inputs of a network's shape (timing, tests)
     ex_train             a whole run, parallel or alternating: per-batch and per-epoch hooks, resuming
                          mid-epoch from an ex_state, thread count chosen by timing, a watch for a loss
                          that explodes while finite
     ex_log_*             the CSV log of train --log (which plot reads), rewritten atomically on resume
     ex_csv_*             reading the CSV files the examples write
     ex_output_ok         an output path that can be written, checked at start-up
   The pictures (SVG charts, PNG images) are in pictures.h beside it.

   Include it after targetprop.h (with TARGETPROP_IMPLEMENTATION) in exactly one .c file, with
   _POSIX_C_SOURCE 200809L defined before either. */
#ifndef EXAMPLES_COMMON_H
#define EXAMPLES_COMMON_H

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__GNUC__) || defined(__clang__)
#define EX_FN static __attribute__((unused)) /* not every example uses every helper */
#else
#define EX_FN static
#endif

EX_FN double ex_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Processors online (at least 1). */
EX_FN int ex_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 4096 ? 4096 : (int)n;
}

/* ---------------------------------------------------------------------------------------------
   Names and numbers */

EX_FN int ex_word_is(const char *a, const char *b) /* equal ignoring ASCII case */
{
    for (; *a && tolower((unsigned char)*a) == tolower((unsigned char)*b); a++, b++) {}
    return *a == 0 && *b == 0;
}

/* The one number syntax of the examples: all of s is a decimal number as strtod reads it, without
   leading space, hexadecimal, "inf" or "nan", and finite (overflow is refused; underflow gives 0). */
EX_FN int ex_parse_num(const char *s, double *v)
{
    char *end;
    if (!*s || isspace((unsigned char)*s)) return 0;
    for (const char *p = s; *p; p++)
        if (isalpha((unsigned char)*p) && *p != 'e' && *p != 'E') return 0;
    *v = strtod(s, &end);
    return *end == '\0' && isfinite(*v);
}

/* A whole number: an optional '-' and decimal digits only, no overflow. */
EX_FN int ex_integer(const char *s, long long *v)
{
    const char *p = s + (*s == '-');
    char *end;
    if (!*p) return 0;
    for (const char *q = p; *q; q++) if (!isdigit((unsigned char)*q)) return 0;
    errno = 0;
    *v = strtoll(s, &end, 10);
    return *end == '\0' && errno == 0;
}

/* Command-line values: parse v, the value of option opt of program prog, into *out; on a bad value
   print "prog: opt "v": expected ..." and return 0. */
EX_FN int ex_parse_int(const char *prog, const char *opt, const char *v, int lo, int hi, int *out)
{
    long long x;
    if (!ex_integer(v, &x) || x < lo || x > hi) {
        fprintf(stderr, "%s: %s \"%s\": expected a whole number from %d to %d\n", prog, opt, v, lo, hi);
        return 0;
    }
    *out = (int)x;
    return 1;
}

/* A float in [lo, hi], or with open = "(", ")" or "()" the interval open at that end (eps > 0, beta < 1). */
EX_FN int ex_parse_float_in(const char *prog, const char *opt, const char *v, double lo, double hi, const char *open,
                            float *out)
{
    double x;
    int lo_open = strchr(open, '(') != NULL, hi_open = strchr(open, ')') != NULL;
    if (!ex_parse_num(v, &x) || !(lo_open ? x > lo : x >= lo) || !(hi_open ? x < hi : x <= hi) || fabs(x) > FLT_MAX ||
        (hi_open && (float)x >= (float)hi) || (lo_open && (float)x <= (float)lo)) {   /* as the float it becomes */
        fprintf(stderr, "%s: %s \"%s\": expected a number %s%g, %g%s\n", prog, opt, v, lo_open ? "in (" : "in [", lo,
                hi < FLT_MAX ? hi : FLT_MAX, hi_open ? ")" : "]");
        return 0;
    }
    *out = (float)x;
    return 1;
}

EX_FN int ex_parse_float(const char *prog, const char *opt, const char *v, double lo, double hi, float *out)
{
    return ex_parse_float_in(prog, opt, v, lo, hi, "", out);
}

/* 0 .. 2^64-1, decimal digits without a sign (seeds). */
EX_FN int ex_parse_u64(const char *prog, const char *opt, const char *v, uint64_t *out)
{
    uint64_t x = 0;
    const char *p = v;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (x > (UINT64_MAX - (uint64_t)(*p - '0')) / 10) break;
        x = 10 * x + (uint64_t)(*p - '0');
    }
    if (p == v || *p) {
        fprintf(stderr, "%s: %s \"%s\": expected a whole number from 0 to 18446744073709551615, without a sign\n", prog, opt, v);
        return 0;
    }
    *out = x;
    return 1;
}

/* --threads: 1 .. the processors online; with allow_auto also "auto" (*out = 0). */
EX_FN int ex_parse_threads(const char *prog, const char *opt, const char *v, int allow_auto, int *out)
{
    long long x;
    if (allow_auto && ex_word_is(v, "auto")) { *out = 0; return 1; }
    if (!ex_integer(v, &x) || x < 1 || x > ex_cpus()) {
        fprintf(stderr, "%s: %s \"%s\": expected %sa whole number from 1 to %d (the processors online)\n", prog, opt, v,
                allow_auto ? "auto or " : "", ex_cpus());
        return 0;
    }
    *out = (int)x;
    return 1;
}

/* ---------------------------------------------------------------------------------------------
   The command line: options as "--opt value" or "--opt=value"; other arguments as they are.
       ex_args a;
       for (ex_args_init(&a, "prog", argc, argv); ex_next(&a);) {
           if (ex_flag(&a, "--quiet")) quiet = 1;
           else if ((v = ex_value(&a, "--epochs"))) a.bad |= !ex_parse_int(a.prog, "--epochs", v, 1, 99, &n);
           else ex_unknown(&a);
       }
       if (a.bad) return 2;
   Each call after the first error does nothing, so one message is printed. */
typedef struct {
    const char *prog;
    int argc, i;
    char **argv;
    const char *arg;     /* the current argument */
    const char *eq;      /* the value after its '=', or NULL */
    size_t len;          /* the length of its name (before any '=') */
    int bad;             /* an error was printed */
} ex_args;

EX_FN void ex_args_init(ex_args *a, const char *prog, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->prog = prog;
    a->argc = argc;
    a->argv = argv;
}

EX_FN int ex_next(ex_args *a)
{
    const char *e;
    if (a->bad || ++a->i >= a->argc) return 0;
    a->arg = a->argv[a->i];
    e = a->arg[0] == '-' && a->arg[1] == '-' ? strchr(a->arg, '=') : NULL;
    a->eq = e ? e + 1 : NULL;
    a->len = e ? (size_t)(e - a->arg) : strlen(a->arg);
    return 1;
}

EX_FN int ex__is(const ex_args *a, const char *name)
{
    return !a->bad && a->len == strlen(name) && !strncmp(a->arg, name, a->len);
}

EX_FN int ex_flag(ex_args *a, const char *name)
{
    if (!ex__is(a, name)) return 0;
    if (a->eq) { fprintf(stderr, "%s: %s takes no value (see --help)\n", a->prog, name); a->bad = 1; return 0; }
    return 1;
}

/* The value of option name if it is the current argument (consumed), else NULL. */
EX_FN const char *ex_value(ex_args *a, const char *name)
{
    const char *v;
    if (!ex__is(a, name)) return NULL;
    v = a->eq ? a->eq : a->i + 1 < a->argc ? a->argv[++a->i] : NULL;
    if (!v) fprintf(stderr, "%s: %s needs a value (see --help)\n", a->prog, name);
    else if (!*v) fprintf(stderr, "%s: %s \"\": the value is empty\n", a->prog, name);
    else return v;
    a->bad = 1;
    return NULL;
}

EX_FN void ex_unknown(ex_args *a)
{
    if (a->bad) return;
    fprintf(stderr, "%s: unknown option %.*s (see --help)\n", a->prog, (int)a->len, a->arg);
    a->bad = 1;
}

/* ---------------------------------------------------------------------------------------------
   Output files */

/* Whether path can be written, checked before a run starts rather than at its first write: what is there
   is a regular file, nothing, or a symbolic link to a regular file (which is then what is written:
   tp_output_path; a directory, device or FIFO is refused, never replaced or written into), and the
   directory it is in exists and is writable. Prints "prog: opt path: why" and returns 0 if not. */
EX_FN int ex_output_ok(const char *prog, const char *opt, const char *path)
{
    char file[4096], dir[4096], why[TP_ERROR_LEN];
    const char *slash;
    struct stat st;
    int n;
    if (tp_output_path(path, file, sizeof file, why) != TP_OK) {
        fprintf(stderr, "%s: %s %s\n", prog, opt, why);
        return 0;
    }
    slash = strrchr(file, '/');
    n = slash ? (int)(slash - file) : 1;
    snprintf(dir, sizeof dir, "%.*s", n > 0 ? n : 1, slash ? (n > 0 ? file : "/") : ".");
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "%s: %s %s: the directory %s does not exist\n", prog, opt, path, dir);
        return 0;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        fprintf(stderr, "%s: %s %s: the directory %s is not writable\n", prog, opt, path, dir);
        return 0;
    }
    return 1;
}

/* Flushes f and says whether everything written to it so far reached the file. */
EX_FN int ex_flushed(FILE *f) { return fflush(f) == 0 && !ferror(f); }

/* arch as the preset it names in any case (lowered into buf), or as it is: a spec. */
EX_FN const char *ex_arch(const char *arch, char *buf, size_t n)
{
    size_t k = 0;
    for (; arch[k] && k + 1 < n; k++) buf[k] = (char)tolower((unsigned char)arch[k]);
    buf[k] = '\0';
    return !arch[k] && tp_preset(buf) ? buf : arch;
}

/* ---------------------------------------------------------------------------------------------
   Data */

/* The data sets ex_load_data knows: IDX files (MNIST's layout) or CIFAR-10's binary batches, the directory
   they are looked for in by default, and the make target that fetches them there. */
typedef struct { const char *name, *title, *dir, *make; int idx; } ex_data_source;
static const ex_data_source ex_sources[] = {
    { "mnist",   "MNIST",         "data/mnist",   "data",         1 },
    { "fashion", "Fashion-MNIST", "data/fashion", "data-fashion", 1 },
    { "cifar10", "CIFAR-10",      "data/cifar10", "data-cifar",   0 },
};

/* Loads a dataset of ex_sources by name (any case) from dir (NULL: its default directory); with train NULL,
   the test set only. On failure prints "prog: what is wrong" and how to fetch the data, and returns 0. */
EX_FN int ex_load_data(const char *prog, const char *dataset, const char *dir, tp_dataset *train, tp_dataset *test)
{
    char p[6][1024];
    const char *files[6];
    const ex_data_source *src = NULL;
    tp_dataset none;
    tp_result r;
    for (size_t k = 0; k < sizeof ex_sources / sizeof *ex_sources; k++)
        if (ex_word_is(dataset, ex_sources[k].name)) src = &ex_sources[k];
    if (!src) {
        fprintf(stderr, "%s: --dataset \"%s\": expected mnist, fashion or cifar10\n", prog, dataset);
        return 0;
    }
    if (!dir) dir = src->dir;
    if (!train) train = &none;
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if (src->idx) {
        static const char *names[4] = { "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" };
        for (int k = 0; k < 4; k++) snprintf(p[k], sizeof p[k], "%s/%s", dir, names[k]);
        if ((r = train == &none ? TP_OK : tp_load_idx(train, p[0], p[1])) == TP_OK) r = tp_load_idx(test, p[2], p[3]);
    } else {
        for (int k = 0; k < 5; k++) snprintf(p[k], sizeof p[k], "%s/data_batch_%d.bin", dir, k + 1);
        snprintf(p[5], sizeof p[5], "%s/test_batch.bin", dir);
        for (int k = 0; k < 6; k++) files[k] = p[k];
        if ((r = train == &none ? TP_OK : tp_load_cifar10(train, files, 5)) == TP_OK) r = tp_load_cifar10(test, files + 5, 1);
    }
    if (r != TP_OK) {
        fprintf(stderr, "%s: %s\n  (run `make %s` to fetch %s into %s)\n", prog, train->error[0] ? train->error : test->error,
                src->make, src->title, src->dir);
        tp_dataset_free(train);
        tp_dataset_free(test);
        return 0;
    }
    return 1;
}

/* A synthetic set of n random inputs of the network's shape with random labels (for timing and tests). */
EX_FN int ex_synthetic(tp_dataset *ds, const tp_net *net, int n, uint64_t seed)
{
    tp_rng g;
    memset(ds, 0, sizeof *ds);
    tp_rng_seed(&g, seed);
    ds->n = n; ds->h = net->in_h; ds->w = net->in_w; ds->c = net->in_c;
    ds->dim = net->n_in; ds->n_classes = net->n_out;
    ds->x = (float *)malloc((size_t)n * ds->dim * sizeof(float));
    ds->y = (uint16_t *)malloc((size_t)n * sizeof(uint16_t));
    if (!ds->x || !ds->y) { tp_dataset_free(ds); return 0; }
    for (size_t q = 0; q < (size_t)n * ds->dim; q++) ds->x[q] = tp_rng_uniform(&g);
    for (int q = 0; q < n; q++) ds->y[q] = (uint16_t)(tp_rng_u64(&g) % (uint64_t)ds->n_classes);
    return 1;
}

/* Whether net (built from arch, as the user named it) can learn from ds (named dataset) as these examples
   train it: one input per pixel, one output per class, or as many outputs as inputs for a squared-error
   net (an autoencoder: its target is its input). If not, says why in err and returns 0. */
EX_FN int ex_net_fits(const tp_net *net, const char *arch, const tp_dataset *ds, const char *dataset, char *err, size_t size)
{
    int n = (int)strlen(arch), cut = n > 160; /* a long spec is shortened at a space, never mid-word */
    while (n > 160 && --n > 0) while (n > 0 && arch[n] != ' ') n--;
    if (ds->dim != net->n_in || (net->loss == TP_SOFTMAX_XENT && ds->n_classes != net->n_out)) {
        snprintf(err, size, "--arch %.*s%s takes %dx%dx%d = %d inputs and has %d outputs, but --dataset %s has %dx%dx%d = %d "
                 "inputs and %d classes", n, arch, cut ? " ..." : "", net->in_h, net->in_w, net->in_c, net->n_in, net->n_out, dataset,
                 ds->h, ds->w, ds->c, ds->dim, ds->n_classes);
        return 0;
    }
    if (net->loss == TP_SQUARED_ERROR && net->n_out != ds->dim) {
        snprintf(err, size, "--arch %.*s%s has a squared-error output, so it reconstructs its input: "
                 "it needs %d outputs, has %d", n, arch, cut ? " ..." : "", ds->dim, net->n_out);
        return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------------------------------------
   Training: ex_train runs epochs of tp_train_step over a shuffled training set. */

typedef struct {
    double loss, error, inverse_loss; /* means over the epoch's batches */
    double seconds;                   /* the time this run took on the epoch */
    long examples;                    /* the examples it trained in that time: fewer after a resume mid-epoch */
} ex_epoch;

#define EX_WINDOW 16        /* batches in the divergence watch's moving window */
#define EX_EXPLODED 10.0    /* how far above the start and the best window a window's mean loss must be */

/* Where a run stands: what a checkpoint's user blob must add to the network's own state to continue
   exactly. Written raw (one build reads what it wrote); ex_state_check validates one read back. */
typedef struct {
    char magic[8];              /* "tp-run1": this layout */
    int32_t step;               /* the epoch under way, 1-based, counting inverse-only epochs */
    int32_t batch;              /* its next batch; 0: not started */
    int32_t batches, batch_size;/* batches per epoch and their size, as the run was started */
    int64_t wrong;              /* running sums over the epoch's batches so far */
    double loss, inv;           /* inv may be negative: L-DRL's feedback loss is -2 V.dV + ... */
    double best;                /* lowest test error after a forward epoch, 1 before any */
    uint64_t epoch_rng;         /* RNG state before the epoch's shuffle: regenerates the order */
    double start, low;          /* watch: the run's first batch loss, the lowest window mean (-1: none yet) */
    double recent[EX_WINDOW];   /* the last EX_WINDOW batch losses, a ring */
    int64_t seen;               /* batches trained in the run */
} ex_state;

EX_FN void ex_state_init(ex_state *st, int batches, int batch_size)
{
    memset(st, 0, sizeof *st);
    memcpy(st->magic, "tp-run1", 8);
    st->step = 1;
    st->batches = batches;
    st->batch_size = batch_size;
    st->best = 1;
    st->start = st->low = -1;
}

/* What an example's epoch hook sees after every epoch. */
typedef struct {
    int epoch;             /* forward epoch, 1-based; an inverse-only epoch has the number of the forward epoch it precedes */
    int inverse_only;      /* the alternating schedule's inverse epoch: forward weights untouched, no test error */
    const char *phase;     /* "parallel", "forward" (a rule without inverses, or alternating) or "inverse" */
    ex_epoch train;        /* the epoch's training means */
    double test_loss, test_error, best; /* NAN after an inverse-only epoch; best: lowest test error so far */
    double elapsed;        /* seconds since ex_train started */
    const int *order;      /* the epoch's order of the training examples */
    const ex_state *state; /* the run, already pointing at the next epoch: what a checkpoint saves */
} ex_progress;

typedef int (*ex_epoch_fn)(void *ctx, tp_net *net, const ex_progress *p);   /* nonzero: stop the run */
typedef int (*ex_batch_fn)(void *ctx, tp_net *net, const ex_state *st);     /* after each batch but an epoch's last */

typedef struct {
    tp_dataset *train;     /* tp_dataset_batch writes its error there */
    const tp_dataset *test;
    int forward_epochs;    /* the run's length; an alternating TP run has twice as many epochs */
    int batch, augment;    /* CIFAR-10 style random crops and flips */
    int max_batches;       /* per epoch, 0: all */
    int threads;           /* 0: chosen by timing (ex__tune), from 1 to the processors online */
    int watch;             /* stop with TP_ERROR_DIVERGED when the training loss explodes (ex__exploded) or
                              collapses to chance (ex_collapsed) */
    ex_epoch_fn after_epoch;
    ex_batch_fn after_batch;
    void *ctx;
} ex_run;

/* The schedule is the library's (tp_schedule_phase): alternating epochs start with a feedback-only one. */
EX_FN int ex_alternating(const tp_net *net) { return tp_schedule_phase(&net->cfg, 0, NULL) == TP_PHASE_INVERSE; }
EX_FN int ex_learns_feedback(const tp_net *net) { return tp_rule_info(net->cfg.rule)->learned_grads != NULL; }
EX_FN int ex_steps(const tp_net *net, int forward_epochs) { return ex_alternating(net) ? 2 * forward_epochs : forward_epochs; }
/* Epoch `step` (0-based, counting feedback-only epochs) of net's run: its phase, the forward epoch it is
   numbered as (a feedback-only epoch takes the number of the forward epoch it precedes) and its name in the
   log's phase column: "parallel" (both trained), "forward" (a rule without learned feedback, or the forward
   epoch of the alternating schedule) or "inverse" (feedback only). ex_train and ex_log_open both ask here. */
EX_FN const char *ex_epoch_phase(const tp_net *net, int step, tp_phase *phase, int *epoch)
{
    long forward_epochs;
    tp_phase ph = tp_schedule_phase(&net->cfg, step, &forward_epochs);
    if (phase) *phase = ph;
    if (epoch) *epoch = ph == TP_PHASE_INVERSE ? (int)forward_epochs + 1 : (int)forward_epochs;
    return ph == TP_PHASE_INVERSE ? "inverse" : ph == TP_PHASE_BOTH && ex_learns_feedback(net) ? "parallel" : "forward";
}
EX_FN int ex_batches(const tp_dataset *train, int batch, int max_batches)
{
    int n = train->n / batch;
    return max_batches > 0 && max_batches < n ? max_batches : n;
}

/* Checks an ex_state read back from a checkpoint against the run about to continue it; says what is wrong in
   why and returns 0 if anything is (a checkpoint's CRC catches damage, not a blob written wrong). */
EX_FN int ex_state_check(const ex_state *st, const tp_net *net, const ex_run *run, char *why, size_t n)
{
    int steps = ex_steps(net, run->forward_epochs), batches = ex_batches(run->train, run->batch, run->max_batches);
    int ok_ring = 1;
    for (int k = 0; k < EX_WINDOW; k++) ok_ring &= isfinite(st->recent[k]) && st->recent[k] >= 0;
    if (memcmp(st->magic, "tp-run1", 8))
        snprintf(why, n, "its run record is not this version's (\"tp-run1\")");
    else if (st->batch_size != net->cfg.max_batch || st->batch_size < 1 || st->batch_size > run->train->n)
        snprintf(why, n, "batch size %d (the net's max_batch %d), expected 1 to the %d training examples",
                 (int)st->batch_size, net->cfg.max_batch, run->train->n);
    else if (st->batches != batches)
        snprintf(why, n, "%d batches per epoch, but this run has %d (other data or --max-batches?)", (int)st->batches, batches);
    else if (st->step < 1 || st->step > steps + 1)
        snprintf(why, n, "epoch %d of %d (%d forward epochs): outside the run; give --epochs to match", (int)st->step, steps,
                 run->forward_epochs);
    else if (st->batch < 0 || st->batch >= batches || (st->step == steps + 1 && st->batch != 0))
        snprintf(why, n, "next batch %d, expected 0 to %d", (int)st->batch, batches - 1);
    else if (st->wrong < 0 || st->wrong > (int64_t)st->batch * st->batch_size)
        snprintf(why, n, "%lld errors in %d batches of %d", (long long)st->wrong, (int)st->batch, (int)st->batch_size);
    else if (!(st->loss >= 0 && st->loss <= DBL_MAX && isfinite(st->inv)) ||
             (st->batch == 0 && (st->loss != 0 || st->inv != 0)))
        snprintf(why, n, "running losses %g and %g", st->loss, st->inv);
    else if (!(st->best >= 0 && st->best <= 1))
        snprintf(why, n, "best test error %g, expected 0 to 1", st->best);
    else if (st->seen < 0 || !ok_ring || !(st->start == -1 || (st->start >= 0 && st->start <= DBL_MAX)) ||
             !(st->low == -1 || (st->low >= 0 && st->low <= DBL_MAX)))
        snprintf(why, n, "divergence watch: %lld batches, start %g, lowest %g", (long long)st->seen, st->start, st->low);
    else return 1;
    return 0;
}

/* The divergence watch, after each batch (loss: its loss before the update). A loss that becomes NaN or
   infinite is the library's TP_ERROR_DIVERGED; this catches one that explodes while staying finite (weights
   of 1e20 after --lr 1e6, say: the loss then sits near 56, every prediction confidently wrong). It fires
   when the mean of the last EX_WINDOW batch losses is over EX_EXPLODED times both the run's first batch
   loss (its loss at initialisation: ln 10 = 2.3 for ten classes) and the lowest such mean so far (which
   starts at that first loss, so a run wrecked by its first step is caught too). No run in results/ comes
   near: the highest epoch mean of train_loss in their logs is 3.83, in forward epoch 2 of AO-SDTP
   alternating with seed 2 (results/mnist-fc-aosdtp-alternating-seed2.csv), 1.6 times its start; rerun
   with a trace of every window, its highest window mean was 7.06, 2.9 times its start of 2.42 (against
   the 10 times needed) but 32 times its lowest window, 0.22: the start is what rules out false alarms,
   the lowest window what makes the test read as "far above the best". A softmax loss of 23 means a mean
   probability of the right class below e^-23: every prediction confidently wrong. */
EX_FN int ex__exploded(ex_state *st, double loss, char *why, size_t n)
{
    double mean = 0;
    int full;
    if (st->start < 0) st->start = st->low = loss;
    st->recent[st->seen % EX_WINDOW] = loss;
    st->seen++;
    if (!(full = st->seen >= EX_WINDOW)) return 0;
    for (int k = 0; k < EX_WINDOW; k++) mean += st->recent[k] / EX_WINDOW;
    if (mean < st->low) st->low = mean;
    if (!(mean > EX_EXPLODED * st->start && mean > EX_EXPLODED * st->low)) return 0;
    snprintf(why, n, "the training loss exploded: %.4g, the mean of the last %d batches, is over %g times the loss at the "
             "start (%.4g) and the lowest mean so far (%.4g)", mean, EX_WINDOW, EX_EXPLODED, st->start, st->low);
    return 1;
}

/* The collapse watch, after each epoch that trained the forward weights: a run that had learned (some window
   of EX_WINDOW batches with a mean loss under EX_LEARNED times the loss of chance, ln C for C classes) and then
   spends a whole epoch back at chance (a mean loss of at least EX_AT_CHANCE times ln C, with training and
   test errors after it both at least EX_AT_CHANCE times chance's 1 - 1/C) has collapsed: its predictions
   carry nothing of what it learned, though nothing became infinite and the loss did not rise tenfold. The
   test error keeps an epoch that only trained badly (the alternating schedule's forward epochs can, and
   recover) from counting. A softmax net only (a squared error has no chance level). tests/collapse.c holds it
   to a constructed collapse and to every log in results/: it flags the two runs results/README.md reports as
   fallen to chance, and nothing else. */
#define EX_LEARNED 0.75
#define EX_AT_CHANCE 0.9
EX_FN int ex_collapsed(const tp_net *net, double low, const ex_epoch *e, double test_error, char *why, size_t n)
{
    double chance, chance_error;
    if (net->loss != TP_SOFTMAX_XENT || net->n_out < 2) return 0;
    chance = log((double)net->n_out);
    chance_error = 1.0 - 1.0 / net->n_out;
    if (low < 0 || !(low < EX_LEARNED * chance) || !(e->loss >= EX_AT_CHANCE * chance) ||
        !(e->error >= EX_AT_CHANCE * chance_error && test_error >= EX_AT_CHANCE * chance_error))
        return 0;
    snprintf(why, n, "the run collapsed to chance: over the whole epoch its training loss was %.4g and its training error "
             "%.1f%% (test %.1f%%), as an untrained net's (ln %d = %.4g, %.0f%%), after it had reached a loss of %.4g (the "
             "mean of %d batches)", e->loss, 100 * e->error, 100 * test_error, net->n_out, chance, 100 * chance_error, low,
             EX_WINDOW);
    return 1;
}

/* The thread count, chosen by timing: results do not depend on it, so it may change at any batch. A probe
   times two batches at each count of 1, 2, 4, ... up to the maximum (a count is dropped after one batch if
   that took over 1.5 times the best mean so far) and keeps the fastest. The first probe runs at the first
   batch, the next a minute later, and the wait doubles (up to half an hour) while the choice stays the
   same, so that probing, which under load can cost a second for one batch at the wrong count, stays a
   small part of the run. Under load, OpenMP threads that wait for each other (spinning, then sleeping) can make two
   threads many times slower than one; on an idle machine more threads win. */
typedef struct {
    int max, cur;          /* the most threads to try, the count in use */
    int cand, left;        /* the count being probed (0: not probing), its batches still to time */
    double sum, best, t0, next, wait;
    int best_n, chosen;    /* the probe's fastest so far; the previous probe's choice */
} ex__tuner;

EX_FN void ex__tune_before(ex__tuner *t)
{
    t->t0 = ex_now();
    if (t->max <= 1 || t->cand || t->t0 < t->next) return;
    t->cand = 1; t->left = 2; t->sum = 0; t->best = HUGE_VAL; t->best_n = t->max;
    tp_set_threads(t->cur = 1);
}

EX_FN void ex__tune_after(ex__tuner *t)
{
    double dt = ex_now() - t->t0;
    if (!t->cand) return;
    t->sum += dt;
    if (--t->left > 0 && dt <= 1.5 * t->best) return;
    if (t->left == 0 && t->sum / 2 < t->best) { t->best = t->sum / 2; t->best_n = t->cand; }
    if (t->cand < t->max) { /* the next count */
        t->cand = 2 * t->cand < t->max ? 2 * t->cand : t->max;
        t->left = 2; t->sum = 0;
        tp_set_threads(t->cur = t->cand);
        return;
    }
    t->wait = t->best_n == t->chosen && t->wait < 900 ? 2 * t->wait : 60;
    t->next = ex_now() + t->wait;
    t->cand = 0;
    t->chosen = t->best_n;
    tp_set_threads(t->cur = t->best_n);
}

/* Trains net through run->forward_epochs forward epochs from where *st stands (ex_state_init: the start; or
   as a checkpoint's blob left it, mid-epoch too): in the alternating schedule of a TP rule an inverse-only
   epoch precedes every forward epoch. The test set is evaluated after every epoch that changed the forward
   weights. Returns TP_OK (also when a hook stopped the run), or the failing call's result, with net->error
   saying what happened (TP_ERROR_DIVERGED also for a loss that exploded while finite, or a collapse to
   chance, with run->watch). */
EX_FN tp_result ex_train(tp_net *net, const ex_run *run, ex_state *st)
{
    tp_dataset *ds = run->train;
    int steps = ex_steps(net, run->forward_epochs);
    int batch = run->batch, batches = ex_batches(ds, batch, run->max_batches), autoenc = net->loss == TP_SQUARED_ERROR;
    int ny = ds->dim > net->n_out ? ds->dim : net->n_out, stop = 0;
    int *order = (int *)malloc((size_t)ds->n * sizeof(int));
    float *x = (float *)malloc((size_t)batch * ds->dim * sizeof(float));
    float *y = (float *)malloc((size_t)batch * ny * sizeof(float));
    double t_start = ex_now();
    ex__tuner tune;
    tp_result r = TP_OK;
    memset(&tune, 0, sizeof tune);
    tune.max = run->threads > 0 ? 1 : ex_cpus();
    tune.cur = run->threads > 0 ? run->threads : tune.max;
    tp_set_threads(tune.cur);
    if (!order || !x || !y) {
        snprintf(net->error, sizeof net->error, "out of memory for a batch of %d", batch);
        r = TP_ERROR_NOMEM;
    }
    while (r == TP_OK && !stop && st->step <= steps) {
        tp_phase phase;
        const char *phase_name = ex_epoch_phase(net, st->step - 1, &phase, NULL);   /* steps count from 1 */
        double t0 = ex_now();
        int first = st->batch;
        tp_rng again;
        ex_progress p;
        again.state = st->epoch_rng = st->batch == 0 ? net->rng.state : st->epoch_rng;
        tp_shuffle(&again, order, ds->n);
        if (st->batch == 0) net->rng = again;
        for (int i = st->batch; i < batches; i++) {
            tp_stats s;
            ex__tune_before(&tune);
            if ((r = tp_dataset_batch(ds, order + (size_t)i * batch, batch, x, autoenc ? NULL : y)) != TP_OK) {
                snprintf(net->error, sizeof net->error, "%s", ds->error);
                break;
            }
            if (run->augment) tp_augment_crop_flip(&net->rng, x, batch, ds->h, ds->w, ds->c, 4);
            if (autoenc) memcpy(y, x, (size_t)batch * ds->dim * sizeof(float));
            if ((r = tp_train_step(net, x, y, batch, phase, &s)) != TP_OK) break;
            ex__tune_after(&tune);
            st->loss += s.loss;
            st->inv += s.inverse_loss;
            st->wrong += s.errors;
            st->batch = i + 1;
            if (run->watch && ex__exploded(st, s.loss, net->error, sizeof net->error)) { r = TP_ERROR_DIVERGED; break; }
            if (i + 1 < batches && run->after_batch && run->after_batch(run->ctx, net, st)) { stop = 1; break; }
        }
        if (r != TP_OK || stop) break;
        memset(&p, 0, sizeof p);
        ex_epoch_phase(net, st->step - 1, NULL, &p.epoch);
        p.inverse_only = phase == TP_PHASE_INVERSE;
        p.phase = phase_name;
        p.train.loss = st->loss / batches;
        p.train.inverse_loss = st->inv / batches;
        p.train.error = (double)st->wrong / ((double)batches * batch);
        p.train.seconds = ex_now() - t0;
        p.train.examples = (long)(batches - first) * batch;

        p.test_loss = p.test_error = NAN;
        if (!p.inverse_only) {
            if ((r = tp_evaluate_dataset(net, run->test, &p.test_loss, &p.test_error)) != TP_OK) break;
            if (run->watch && ex_collapsed(net, st->low, &p.train, p.test_error, net->error, sizeof net->error)) {
                r = TP_ERROR_DIVERGED;   /* before the epoch hook: the last checkpoint is the epoch before */
                break;
            }
            if (p.test_error < st->best) st->best = p.test_error;
        }
        p.best = st->best;
        p.elapsed = ex_now() - t_start;
        p.order = order;
        p.state = st;
        st->step++;
        st->batch = 0;
        st->wrong = 0;
        st->loss = st->inv = 0;
        if (run->after_epoch && run->after_epoch(run->ctx, net, &p)) break;
    }
    free(order); free(x); free(y);
    return r;
}

/* ---------------------------------------------------------------------------------------------
   CSV */

/* One line into buf, without the line ending. Returns 1 for a line, 0 at end of file (an unterminated
   last line is ignored: the file may still be being written), -1 if too long, -2 on a read error. */
EX_FN int ex_csv_line(FILE *f, char *buf, size_t size, size_t *len)
{
    size_t n = 0;
    int c;
    while ((c = getc(f)) != EOF && c != '\n') {
        if (n + 1 >= size) return -1;
        buf[n++] = (char)c;
    }
    if (c == EOF) return ferror(f) ? -2 : 0;
    if (n > 0 && buf[n - 1] == '\r') n--;
    buf[n] = '\0';
    *len = n;
    return 1;
}

EX_FN char *ex__trim(char *s)
{
    char *e = s + strlen(s);
    while (isspace((unsigned char)*s)) s++;
    while (e > s && isspace((unsigned char)e[-1])) e--;
    *e = '\0';
    return s;
}

/* Splits line at commas in place and trims each field; returns the number of fields, -1 if more than max. */
EX_FN int ex_csv_split(char *line, char **fields, int max)
{
    int n = 0;
    for (char *p = line;;) {
        char *c;
        if (n == max) return -1;
        c = strchr(p, ',');
        if (c) *c = '\0';
        fields[n++] = ex__trim(p);
        if (!c) return n;
        p = c + 1;
    }
}

EX_FN int ex_csv_column(char **fields, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(fields[i], name)) return i;
    return -1;
}

/* ---------------------------------------------------------------------------------------------
   The CSV log of train --log and of search's trials: one row per epoch, which plot reads. The epoch column
   counts forward epochs; in the alternating schedule each forward epoch's row follows a row of phase
   "inverse" with the same number, whose test_error and best_test_error are empty (the forward weights did
   not change: there is no new test error to report). */

EX_FN void ex_log_columns(char *buf, size_t n, int diag_layers)
{
    size_t o = (size_t)snprintf(buf, n, "epoch,train_loss,train_error,test_error,best_test_error,seconds,examples_per_s,phase,inverse_loss");
    static const char *diag[4] = { "angle", "recon", "target", "feedback" };
    for (int k = 0; k < 4; k++)
        for (int l = 1; l <= diag_layers && o < n; l++) o += (size_t)snprintf(buf + o, n - o, ",%s_%d", diag[k], l);
}

/* Examples per second over the part of the epoch this run trained. */
EX_FN double ex_rate(const ex_epoch *e) { return e->seconds > 0 ? e->examples / e->seconds : 0.0; }

/* One row, with extra (starting with a comma, or "") appended; returns 0 if it could not be written. */
EX_FN int ex_log_row(FILE *f, const ex_progress *p, const char *extra)
{
    double rate = ex_rate(&p->train);
    if (p->inverse_only)
        fprintf(f, "%d,%.6f,%.6f,,,%.3f,%.1f,%s,%.6f%s\n", p->epoch, p->train.loss, p->train.error, p->elapsed,
                rate, p->phase, p->train.inverse_loss, extra);
    else
        fprintf(f, "%d,%.6f,%.6f,%.6f,%.6f,%.3f,%.1f,%s,%.6f%s\n", p->epoch, p->train.loss, p->train.error, p->test_error,
                p->best, p->elapsed, rate, p->phase, p->train.inverse_loss, extra);
    return ex_flushed(f);
}

/* Opens the log at path for appending rows, with header as its first line. A new run (rows < 0) starts it
   afresh. A run resumed after `rows` epochs keeps the header and the first `rows` rows, written to path.tmp
   and renamed over path (a crash leaves the old log or the new one); a log that is missing gets the header
   alone. A log whose header differs, or with fewer than `rows` complete rows, or rows out of sequence (a
   rewrite cut short, another run's log) is refused. Prints "prog: path: why" and returns NULL on failure. */
EX_FN FILE *ex_log_open(const char *prog, const char *path, const char *header, int rows, const tp_net *net)
{
    static char line[1 << 16];
    char tmp[4200], file[4096], why[TP_ERROR_LEN];
    size_t len;
    int have = 0, r = 1;
    FILE *in, *out;
    struct stat sb;
    if (rows < 0 || !(in = fopen(path, "r"))) {
        if (rows >= 0 && errno != ENOENT) { fprintf(stderr, "%s: %s: cannot read: %s\n", prog, path, strerror(errno)); return NULL; }
        if (!(out = fopen(path, "w")) || fprintf(out, "%s\n", header) < 0 || !ex_flushed(out)) {
            fprintf(stderr, "%s: %s: cannot write: %s\n", prog, path, strerror(errno));
            if (out) fclose(out);
            return NULL;
        }
        return out;
    }
    if (fstat(fileno(in), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fprintf(stderr, "%s: %s: not a regular file, so it cannot be rewritten to match the checkpoint\n", prog, path);
        fclose(in);
        return NULL;
    }
    if (ex_csv_line(in, line, sizeof line, &len) != 1 || strcmp(line, header)) {
        fprintf(stderr, "%s: %s: its header is not this run's columns (%s)\n", prog, path, header);
        fclose(in);
        return NULL;
    }
    if (tp_output_path(path, file, sizeof file, why) != TP_OK) { /* a link: rewrite the file it points to */
        fprintf(stderr, "%s: %s\n", prog, why);
        fclose(in);
        return NULL;
    }
    path = file;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!(out = fopen(tmp, "w"))) {
        fprintf(stderr, "%s: %s: cannot write: %s\n", prog, tmp, strerror(errno));
        fclose(in);
        return NULL;
    }
    fprintf(out, "%s\n", header);
    while (have < rows && (r = ex_csv_line(in, line, sizeof line, &len)) == 1) {
        char *comma = strchr(line, ','), want[32];
        long long e;
        int epoch;
        const char *phase = ex_epoch_phase(net, have, NULL, &epoch);
        snprintf(want, sizeof want, ",%s,", phase);
        if (comma) *comma = '\0';
        if (!comma || !ex_integer(line, &e) || e != epoch || !strstr(comma + 1, want)) {
            fprintf(stderr, "%s: %s:%d: expected the row of epoch %d, phase %s: the log is not this run's\n", prog, path,
                    have + 2, epoch, phase);
            fclose(in); fclose(out); remove(tmp);
            return NULL;
        }
        *comma = ',';
        fprintf(out, "%s\n", line);
        have++;
    }
    fclose(in);
    if (have < rows) {
        fprintf(stderr, "%s: %s: %s after %d of the %d rows the checkpoint has run (cut short?)\n", prog, path,
                r < 0 ? "unreadable" : "ends", have, rows);
        fclose(out); remove(tmp);
        return NULL;
    }
    if (!ex_flushed(out) || fsync(fileno(out)) != 0 || fclose(out) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "%s: %s: cannot rewrite: %s\n", prog, path, strerror(errno));
        remove(tmp);
        return NULL;
    }
    if (!(out = fopen(path, "a"))) fprintf(stderr, "%s: %s: cannot append: %s\n", prog, path, strerror(errno));
    return out;
}

#endif /* EXAMPLES_COMMON_H */
