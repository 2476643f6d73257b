/* run.h: a training run of the example programs, resumable exactly; not part of the library.
     ex_train             a whole run: epochs of tp_train_step over a shuffled training set, in any schedule
                          (with feedback-only epochs or without), per-batch and per-epoch hooks, resuming
                          mid-epoch from an ex_state, the thread count chosen by timing (the tuner), a watch
                          for a loss that explodes while finite and one for a collapse to chance
     ex_run, ex_run_init  what a run is: data, length, batch, threads, hooks
     ex_state             the run record a checkpoint carries (its format is documented where it is defined)
     ex_epoch_phase       which epoch of a run is which: its phase, number and name in the log
     ex_now               monotonic seconds, the examples' one clock
   Include it after targetprop.h (cli.h comes with it). */
#ifndef EXAMPLES_RUN_H
#define EXAMPLES_RUN_H

#include <time.h>

#include "cli.h"

EX_FN double ex_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---------------------------------------------------------------------------------------------
   What a run is */

typedef struct {
    double loss, error, inverse_loss; /* means over the epoch's batches */
    double seconds;                   /* the time this run took on the epoch */
    long examples;                    /* the examples it trained in that time: fewer after a resume mid-epoch */
} ex_epoch;

/* Examples per second over the part of the epoch this run trained. */
EX_FN double ex_rate(const ex_epoch *e) { return e->seconds > 0 ? e->examples / e->seconds : 0.0; }

#define EX_WINDOW 16        /* batches in the divergence watch's moving window */
#define EX_EXPLODED 10.0    /* how far above the start and the best window a window's mean loss must be */

/* The run record: where a run stands, which a checkpoint's user blob adds to the network's own state (its
   weights, optimisers, RNG and step count: tp_net_save) so that a resumed run continues exactly, bit for bit,
   as if it had never stopped. train saves it as the whole blob; search as the first part of its trial_blob,
   followed by the trial's key.

   It is written raw, as the struct lies in memory: one build reads what it wrote (the same byte order and
   type sizes). The fields lie without padding, 216 bytes wherever int32_t, int64_t and double have their
   usual sizes (a compile-time check below); tests/ckpt-edit.c edits them at their offsetof; ex_state_check
   validates a record read back (the checkpoint's CRC catches damage, not a record written wrong). A change
   of the fields must change the magic, so that an older record is refused by name.

     offset  size  type       field        meaning
          0     8  char[8]    magic        "tp-run1" and its NUL: this layout
          8     4  int32      step         the epoch under way, from 1, counting feedback-only epochs; one past
                                           the last epoch when the run has ended
         12     4  int32      batch        the epoch's next batch, from 0 (0: the epoch has not started)
         16     4  int32      batches      batches per epoch (after --max-batches), as the run started
         20     4  int32      batch_size   examples per batch: the net's max_batch
         24     8  int64      wrong        misclassified training examples in the epoch's batches so far
         32     8  double     loss         the sum of the epoch's batch losses so far
         40     8  double     inv          the sum of its feedback losses so far (may be negative: L-DRL's
                                           feedback loss is -2 V.dV + ...)
         48     8  double     best         the lowest test error after a forward epoch; 1 before any
         56     8  uint64     epoch_rng    the network's RNG state before the epoch's shuffle: the order of
                                           the epoch's examples is drawn again from it on resume
         64     8  double     start        watches: the run's first batch loss (-1: none yet)
         72     8  double     low          watches: the lowest mean of EX_WINDOW batch losses (-1: none yet)
         80   128  double[16] recent       the last EX_WINDOW batch losses, a ring at seen % EX_WINDOW
        208     8  int64      seen         batches trained in the run, every epoch's */
typedef struct {
    char magic[8];
    int32_t step;
    int32_t batch;
    int32_t batches, batch_size;
    int64_t wrong;
    double loss, inv;
    double best;
    uint64_t epoch_rng;
    double start, low;
    double recent[EX_WINDOW];
    int64_t seen;
} ex_state;
typedef char ex__state_is_216_bytes[sizeof(ex_state) == 216 ? 1 : -1];   /* the table above */

/* What an example's epoch hook sees after every epoch. */
typedef struct {
    int epoch;             /* forward epoch, from 1; a feedback-only epoch has the number of the forward epoch it precedes */
    int inverse_only;      /* a feedback-only epoch (alternating and interleaved schedules): forward weights untouched,
                              no test error */
    const char *phase;     /* "parallel", "forward" (a rule without learned feedback, or the alternating schedule's
                              forward epoch) or "inverse" (feedback only) */
    ex_epoch train;        /* the epoch's training means */
    double test_loss, test_error, best; /* NAN after a feedback-only epoch; best: lowest test error so far */
    double elapsed;        /* seconds since ex_train started */
    const int *order;      /* the epoch's order of the training examples */
    const ex_state *state; /* the run, already pointing at the next epoch: what a checkpoint saves */
} ex_progress;

typedef int (*ex_epoch_fn)(void *ctx, tp_net *net, const ex_progress *p);   /* nonzero: stop the run */
typedef int (*ex_batch_fn)(void *ctx, tp_net *net, const ex_state *st);     /* after each batch but an epoch's last */

typedef struct {
    tp_dataset *train;     /* tp_dataset_batch writes its error there */
    const tp_dataset *test;
    int forward_epochs;    /* the run's length; a run with feedback-only epochs has twice as many epochs */
    int batch, augment;    /* CIFAR-10 style random crops and flips */
    int max_batches;       /* per epoch, 0: all */
    int threads;           /* 0: chosen by timing (the tuner), from 1 to the processors online */
    int watch;             /* stop with TP_ERROR_DIVERGED when the training loss explodes (ex__exploded) or
                              collapses to chance (ex_collapsed) */
    ex_epoch_fn after_epoch;
    ex_batch_fn after_batch;
    void *ctx;
    int rank, ranks;       /* data parallelism: this process's place among ranks processes (0, 1: one process),
                              each making every batch whole and training on its share of the rows */
    int (*sum)(void *sum_ctx, float *buf, size_t n);   /* sums over the processes (tp_set_shard) */
    void *sum_ctx;
} ex_run;

/* The run every example sets up: train on train and test on test for forward_epochs forward epochs of at most
   max_batches batches (0: all) of batch examples (the net's max_batch), on `threads` threads (0: chosen by
   timing). No augmentation, watch or hooks: the caller sets those it wants. */
EX_FN void ex_run_init(ex_run *run, tp_dataset *train, const tp_dataset *test, int forward_epochs, int batch,
                       int max_batches, int threads)
{
    memset(run, 0, sizeof *run);
    run->train = train;
    run->test = test;
    run->forward_epochs = forward_epochs;
    run->batch = batch;
    run->max_batches = max_batches;
    run->threads = threads;
}

EX_FN int ex_batches(const tp_dataset *train, int batch, int max_batches)
{
    int n = train->n / batch;
    return max_batches > 0 && max_batches < n ? max_batches : n;
}

/* The record of a run at its start. */
EX_FN void ex_state_init(ex_state *st, const ex_run *run)
{
    memset(st, 0, sizeof *st);
    memcpy(st->magic, "tp-run1", 8);
    st->step = 1;
    st->batches = ex_batches(run->train, run->batch, run->max_batches);
    st->batch_size = run->batch;
    st->best = 1;
    st->start = st->low = -1;
}

/* ---------------------------------------------------------------------------------------------
   Which epoch is which. The schedule is the library's (tp_schedule_phase): in the alternating and the
   interleaved schedules each forward epoch (alternating) or parallel epoch (interleaved) follows an epoch
   that trains only the learned feedback, so such a run has twice as many epochs as forward epochs. */

EX_FN int ex_has_feedback_epochs(const tp_net *net) { return tp_schedule_phase(&net->cfg, 0, NULL) == TP_PHASE_INVERSE; }
EX_FN int ex_learns_feedback(const tp_net *net) { return tp_rule_info(net->cfg.rule)->learned_grads != NULL; }
EX_FN int ex_steps(const tp_net *net, int forward_epochs) { return ex_has_feedback_epochs(net) ? 2 * forward_epochs : forward_epochs; }

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

/* ---------------------------------------------------------------------------------------------
   The watches */

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
   to a constructed collapse and to every log in results/: it flags the one run results/README.md reports as
   fallen to chance (two logs of it), and nothing else. */
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

/* ---------------------------------------------------------------------------------------------
   The tuner */

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

/* ---------------------------------------------------------------------------------------------
   The run */

/* Trains net through run->forward_epochs forward epochs from where *st stands (ex_state_init: the start; or
   as a checkpoint's blob left it, mid-epoch too): in the alternating and interleaved schedules a feedback-only
   epoch precedes every forward or parallel epoch (ex_has_feedback_epochs). The test set is evaluated after every epoch that changed the forward
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
            if (run->ranks > 1) {   /* this process's rows, then the batch's statistics summed */
                int lo = (int)((long)batch * run->rank / run->ranks), hi = (int)((long)batch * (run->rank + 1) / run->ranks);
                float t[3];
                if ((r = tp_set_shard(net, run->sum, run->sum_ctx, lo, batch)) != TP_OK ||
                    (r = tp_train_step(net, x + (size_t)lo * ds->dim, y + (size_t)lo * net->n_out, hi - lo, phase, &s)) != TP_OK)
                    break;
                t[0] = (float)(s.loss * (hi - lo)); t[1] = (float)(s.inverse_loss * (hi - lo)); t[2] = (float)s.errors;
                if (run->sum(run->sum_ctx, t, 3) != 0) {
                    snprintf(net->error, sizeof net->error, "the sum of the batch's losses over the processes failed");
                    r = TP_ERROR_COLLECTIVE;
                    break;
                }
                s.loss = t[0] / batch; s.inverse_loss = t[1] / batch; s.errors = (int)t[2];
            } else if ((r = tp_train_step(net, x, y, batch, phase, &s)) != TP_OK) break;
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

#endif /* EXAMPLES_RUN_H */
