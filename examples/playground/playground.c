/* playground.c: what the browser playground runs, compiled to WebAssembly (make playground),
   and the same training loop as a native program that times it.

   The page (index.html, playground.js) calls the pg_* functions below through the module's
   exports; they hold one run each (a data set, a net, a shuffled order) and call only
   targetprop.h's public API. Built natively, main() trains one run and prints its speed:

     cc -O2 -I. examples/playground/playground.c -o build/playground-native -lm
     ./build/playground-native --rule bp --steps 3000

   Not part of the library: targetprop.h knows nothing of the playground. */
#if !defined(__wasm__) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L   /* clock_gettime under -std=c99 */
#endif
#define TARGETPROP_IMPLEMENTATION
#include "targetprop.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __wasm__
#define PG_EXPORT(name) __attribute__((export_name(#name))) name
#else
#define PG_EXPORT(name) name
#endif

enum { PG_SPIRALS, PG_XOR, PG_CIRCLES, PG_MOONS, PG_SPIRALS6, PG_CHECKER, PG_N_DATA };
#define PG_N 1024          /* training points in every data set (a quarter on each spiral), and as many held out */
#define PG_MAX_K 6         /* classes at most (the six spirals) */
#define PG_STATS 12        /* floats of pg_stats */

typedef struct pg_run {
    tp_net net;
    int n, k;              /* training points, classes */
    float *x, *y;          /* (n, 2) points, (n, k) one-hot labels */
    float *tx, *ty;        /* the held-out test split: n more points from the same distribution */
    int *order, pos;       /* this epoch's shuffled order, next place in it */
    int batch;             /* minibatch */
    long epoch;            /* epochs begun (the current one is epoch - 1 for tp_schedule_phase) */
    float *bx, *by;        /* (batch, 2), (batch, k) */
    double loss, errors, inv; /* sums since the last pg_stats */
    int steps;             /* steps in those sums */
    float stats[PG_STATS]; /* see pg_stats */
    float diag[4 * TP_MAX_LAYERS];
    float *grid;           /* (res*res, k) probabilities of pg_grid */
    int grid_cap;
    char error[320];       /* room for tp_result_string and net.error */
} pg_run;

/* ------------------------------------------------------------------------ data ------- */

/* The data sets, n points each in about [-1.3, 1.3]^2, drawn from a fixed seed so every run
   (and both sides of the page) sees the same points: the four spirals (exactly
   examples/minimal.c's), XOR, circles, two moons, and two harder ones: six spirals, and a
   4 x 4 checkerboard where depth matters. `test` draws the held-out split: other points of the
   same distribution (the spirals' arms sampled half a step along). Then every point moves by
   noise * N(0, 1) from a stream of its own, so noise 0 leaves the points as they were. */
static int pg_make_data(int which, float *x, float *y, int n, int test, float noise)
{
    tp_rng rng, jitter;
    int k = which == PG_SPIRALS ? 4 : which == PG_SPIRALS6 ? 6 : 2;
    tp_rng_seed(&rng, test ? 8 : 7);
    tp_rng_seed(&jitter, test ? 12 : 11);
    for (int i = 0; i < n; i++) {
        float a, b, t;
        int c = 0;
        if (which == PG_SPIRALS || which == PG_SPIRALS6) {
            c = i % k;
            t = 0.3f + ((float)(i / k) + (test ? 0.5f : 0.0f)) / (n / k);
            a = (which == PG_SPIRALS ? 2.0f : 2.6f) * t + 6.2831853f * (float)c / k;
            x[2 * i] = t * cosf(a) + 0.02f * tp_rng_normal(&rng);
            x[2 * i + 1] = t * sinf(a) + 0.02f * tp_rng_normal(&rng);
        } else if (which == PG_XOR) {        /* quadrants, kept 0.05 off the axes */
            a = 2.0f * tp_rng_uniform(&rng) - 1.0f;
            b = 2.0f * tp_rng_uniform(&rng) - 1.0f;
            a += a < 0 ? -0.05f : 0.05f;
            b += b < 0 ? -0.05f : 0.05f;
            c = (a > 0) == (b > 0);
            x[2 * i] = a; x[2 * i + 1] = b;
        } else if (which == PG_CIRCLES) {    /* a disc of radius 0.5 inside a ring 0.7 .. 1 */
            c = i % 2;
            t = c ? 0.7f + 0.3f * tp_rng_uniform(&rng) : 0.5f * sqrtf(tp_rng_uniform(&rng));
            a = 6.2831853f * tp_rng_uniform(&rng);
            x[2 * i] = t * cosf(a) + 0.03f * tp_rng_normal(&rng);
            x[2 * i + 1] = t * sinf(a) + 0.03f * tp_rng_normal(&rng);
        } else if (which == PG_MOONS) {      /* two interleaved half circles */
            c = i % 2;
            a = 3.14159265f * tp_rng_uniform(&rng);
            x[2 * i] = (c ? 1.0f - cosf(a) : cosf(a)) - 0.5f;
            x[2 * i + 1] = (c ? 0.5f - sinf(a) : sinf(a)) - 0.25f;
            x[2 * i] = 0.8f * x[2 * i] + 0.08f * tp_rng_normal(&rng);
            x[2 * i + 1] = 0.8f * x[2 * i + 1] + 0.08f * tp_rng_normal(&rng);
        } else {                             /* a 4 x 4 checkerboard over [-1.2, 1.2]^2 */
            a = 2.4f * tp_rng_uniform(&rng) - 1.2f;
            b = 2.4f * tp_rng_uniform(&rng) - 1.2f;
            c = ((int)floorf((a + 1.2f) / 0.6f) + (int)floorf((b + 1.2f) / 0.6f)) % 2;
            x[2 * i] = a; x[2 * i + 1] = b;
        }
        if (noise > 0.0f) { x[2 * i] += noise * tp_rng_normal(&jitter); x[2 * i + 1] += noise * tp_rng_normal(&jitter); }
        for (int j = 0; j < k; j++) y[k * i + j] = (float)(j == c);
    }
    return k;
}

/* ------------------------------------------------------------------------ runs ------- */

/* The rules the library has, by number (tp_rule): name, one-line summary, and what the page
   shows and offers for them, read from the rule's description (tp_rule_info):
     PG_INVERSES  inverses g_l, learned or fixed: their reconstruction error
     PG_TARGETS   hidden-layer targets: their distance, and the hybrid beta
     PG_AUX       auxiliary output units (AO-SDTP)
     PG_OWN_OPT   learned feedback on its own optimiser: the schedule, the inverse learning rate
     PG_NOISE     learned feedback trained on its own, from noise: sigma (inverses, weight mirrors)
     PG_ALPHA     a top target that steps on the error by alpha (DTP, FW-DTP, DDTP, DTP-DRL, L-DRL)
     PG_DECAY     decoupled weight decay by default (Kolen-Pollack) */
enum { PG_INVERSES = 1, PG_TARGETS = 2, PG_AUX = 4, PG_OWN_OPT = 8, PG_NOISE = 16, PG_ALPHA = 32, PG_DECAY = 64 };

int PG_EXPORT(pg_rule_count)(void) { return tp_rule_count(); }
const char *PG_EXPORT(pg_rule_name)(int i) { return tp_rule_name((tp_rule)i); }
const char *PG_EXPORT(pg_rule_summary)(int i) { return tp_rule_info((tp_rule)i) ? tp_rule_info((tp_rule)i)->summary : ""; }
int PG_EXPORT(pg_rule_flags)(int i)
{
    const tp_rule_desc *d = tp_rule_info((tp_rule)i), *sdtp = tp_rule_info(TP_SDTP);
    int f = 0;
    if (!d) return 0;
    if (d->learned.shape == TP_SHAPE_INVERSE || d->fixed.shape == TP_SHAPE_INVERSE) f |= PG_INVERSES;
    if (d->targets) f |= PG_TARGETS;
    if (d->n_aux > 0) f |= PG_AUX;
    if (d->learned_grads && !(d->flags & TP_RULE_WITH_FORWARD)) f |= PG_OWN_OPT;
    if (d->learned_grads && !(d->flags & TP_RULE_WITH_FORWARD)) f |= PG_NOISE;
    if (d->targets && d->targets != sdtp->targets) f |= PG_ALPHA;   /* a step on the error: all but (AO-)SDTP's */
    if (d->decay > 0.0f) f |= PG_DECAY;
    return f;
}
const char *PG_EXPORT(pg_act_name)(int i) { return tp_act_name((tp_act)i); }
const char *PG_EXPORT(pg_version)(void) { return TARGETPROP_VERSION_STRING; }

void PG_EXPORT(pg_free)(pg_run *r)
{
    if (!r) return;
    tp_net_destroy(&r->net);
    free(r->x); free(r->y); free(r->tx); free(r->ty); free(r->order); free(r->bx); free(r->by); free(r->grid);
    free(r);
}

/* A new run: data set `data` (PG_*) with `noise` added to its points, `depth` hidden layers of `width` units with activation
   `act` (tp_act), the rule and schedule (1 alternating), minibatch, seed, forward and inverse
   learning rates (Adam), alpha, sigma, hybrid beta, auxiliary units and weight decay, each
   taken where the rule has it (pg_rule_flags), the library's defaults elsewhere. NULL if out of
   memory; otherwise pg_error says whether the net could be built (empty: yes). */
pg_run *PG_EXPORT(pg_new)(int data, int depth, int width, int act, int rule, int schedule, int batch,
                          int seed, float lr, float ilr, float alpha, float sigma, float hybrid, int n_aux,
                          float decay, float noise)
{
    pg_run *r = (pg_run *)calloc(1, sizeof *r);
    tp_config cfg;
    char spec[128];
    tp_result res;
    int flags;
    if (!r) return NULL;
    if (data < 0 || data >= PG_N_DATA) data = PG_SPIRALS;
    if (rule < 0 || rule >= tp_rule_count()) rule = TP_BP;
    r->n = PG_N;
    r->batch = batch < 1 ? 1 : batch > PG_N ? PG_N : batch;
    r->x = (float *)malloc(sizeof(float) * 2 * PG_N);
    r->y = (float *)malloc(sizeof(float) * PG_MAX_K * PG_N);
    r->tx = (float *)malloc(sizeof(float) * 2 * PG_N);
    r->ty = (float *)malloc(sizeof(float) * PG_MAX_K * PG_N);
    r->order = (int *)malloc(sizeof(int) * PG_N);
    r->bx = (float *)malloc(sizeof(float) * 2 * (size_t)r->batch);
    r->by = (float *)malloc(sizeof(float) * PG_MAX_K * (size_t)r->batch);
    if (!r->x || !r->y || !r->tx || !r->ty || !r->order || !r->bx || !r->by) { pg_free(r); return NULL; }
    if (!(noise >= 0.0f && noise <= 1.0f)) noise = 0.0f;
    r->k = pg_make_data(data, r->x, r->y, PG_N, 0, noise);
    pg_make_data(data, r->tx, r->ty, PG_N, 1, noise);

    cfg = tp_config_default((tp_rule)rule);
    flags = pg_rule_flags(rule);
    cfg.forward.lr = lr;
    if (flags & PG_OWN_OPT) {
        cfg.schedule = schedule ? TP_ALTERNATING : TP_PARALLEL;
        cfg.inverse.lr = ilr;
    }
    if (flags & PG_ALPHA) cfg.alpha = alpha;
    if (flags & PG_NOISE) cfg.sigma = sigma;
    if (flags & PG_TARGETS) cfg.hybrid = hybrid;
    if (flags & PG_AUX) cfg.n_aux = n_aux;
    if (flags & PG_DECAY) cfg.forward.decay = decay;
    cfg.max_batch = r->batch > 256 ? r->batch : 256;   /* tp_evaluate, tp_predict: 256 rows at a time */
    cfg.seed = (uint64_t)(unsigned)seed;
    snprintf(spec, sizeof spec, "2 fc%dx%d:%s fc%d", width, depth, tp_act_name((tp_act)act), r->k);
    if ((res = tp_net_create(&r->net, spec, &cfg)) != TP_OK)
        snprintf(r->error, sizeof r->error, "%s: %s", tp_result_string(res), r->net.error);
    r->pos = r->n;   /* the first step shuffles */
    return r;
}

const char *PG_EXPORT(pg_error)(pg_run *r) { return r ? r->error : "out of memory"; }
const char *PG_EXPORT(pg_spec)(pg_run *r) { return r->net.spec; }
int PG_EXPORT(pg_classes)(pg_run *r) { return r->k; }
int PG_EXPORT(pg_layers)(pg_run *r) { return r->net.n_layers; }
const float *PG_EXPORT(pg_points)(pg_run *r) { return r->x; }
const float *PG_EXPORT(pg_labels)(pg_run *r) { return r->y; }

/* `steps` training steps. An epoch is n / batch steps over a fresh shuffle (as in
   examples/minimal.c), its phase tp_schedule_phase's (alternating: the first epoch trains only
   the inverses, the next only the forward weights, and so on). Returns 0, or the tp_result of
   a failed step (pg_error says why). */
int PG_EXPORT(pg_train)(pg_run *r, int steps)
{
    for (int s = 0; s < steps; s++) {
        tp_stats st;
        tp_phase phase;
        tp_result res;
        if (r->pos + r->batch > r->n) {
            tp_shuffle(&r->net.rng, r->order, r->n);
            r->pos = 0;
            r->epoch++;
        }
        for (int b = 0; b < r->batch; b++) {
            int i = r->order[r->pos + b];
            memcpy(r->bx + 2 * b, r->x + 2 * i, 2 * sizeof(float));
            memcpy(r->by + r->k * b, r->y + r->k * i, (size_t)r->k * sizeof(float));
        }
        r->pos += r->batch;
        phase = tp_schedule_phase(&r->net.cfg, r->epoch - 1, NULL);
        if ((res = tp_train_step(&r->net, r->bx, r->by, r->batch, phase, &st)) != TP_OK) {
            snprintf(r->error, sizeof r->error, "%s: %s", tp_result_string(res), r->net.error);
            return (int)res;
        }
        r->loss += st.loss;
        r->errors += (double)st.errors / r->batch;
        r->inv += st.inverse_loss;
        r->steps++;
    }
    return 0;
}

/* Statistics, then the sums restart: [0] steps taken, [1] epoch, [2] 1 if the current epoch
   trains only the inverses, [3] mean batch loss, [4] mean batch error rate, [5] mean inverse
   loss (each over the steps since the last call; -1 if none), [6] loss and [7] error rate
   on all n training points, [8] points, [9] classes, [10] loss and [11] error rate on the n
   held-out points. */
const float *PG_EXPORT(pg_stats)(pg_run *r)
{
    double loss = 0, err = 0;
    float *s = r->stats;
    double tloss = 0, terr = 0;
    tp_evaluate(&r->net, r->x, r->y, r->n, &loss, &err);
    tp_evaluate(&r->net, r->tx, r->ty, r->n, &tloss, &terr);
    s[10] = (float)tloss;
    s[11] = (float)terr;
    s[0] = (float)r->net.step;
    s[1] = (float)r->epoch;
    s[2] = (float)(r->epoch > 0 && tp_schedule_phase(&r->net.cfg, r->epoch - 1, NULL) == TP_PHASE_INVERSE);
    s[3] = r->steps ? (float)(r->loss / r->steps) : -1.0f;
    s[4] = r->steps ? (float)(r->errors / r->steps) : -1.0f;
    s[5] = r->steps ? (float)(r->inv / r->steps) : -1.0f;
    s[6] = (float)loss;
    s[7] = (float)err;
    s[8] = (float)r->n;
    s[9] = (float)r->k;
    r->loss = r->errors = r->inv = 0.0;
    r->steps = 0;
    return s;
}

/* tp_diagnose on a fixed minibatch (the first max_batch points, every class in it): per layer
   l, [l] the angle in degrees between the rule's dW_l and BP's (NaN while either is zero),
   [L + l] the inverse's reconstruction error (-1 if none), [2L + l] the target distance (-1 if
   none), [3L + l] the angle between the layer's feedback matrix and W_l (-1 if none). NULL on
   failure. */
const float *PG_EXPORT(pg_diagnose)(pg_run *r)
{
    tp_diag d;
    int L = r->net.n_layers, b = r->net.cfg.max_batch < r->n ? r->net.cfg.max_batch : r->n;
    tp_result res = tp_diagnose(&r->net, r->x, r->y, b, &d);
    if (res != TP_OK) {
        snprintf(r->error, sizeof r->error, "%s: %s", tp_result_string(res), r->net.error);
        return NULL;
    }
    for (int l = 0; l < L; l++) {
        r->diag[l] = d.angle[l];
        r->diag[L + l] = d.recon[l];
        r->diag[2 * L + l] = d.target[l];
        r->diag[3 * L + l] = d.feedback[l];
    }
    return r->diag;
}

/* Gives dst the forward weights and biases of src where their nets are the same (one spec), so
   two rules side by side start from one point: 1 if copied, else 0. */
int PG_EXPORT(pg_copy_forward)(pg_run *dst, const pg_run *src)
{
    if (!dst || !src || dst->net.n_params != src->net.n_params || strcmp(dst->net.spec, src->net.spec) != 0) return 0;
    memcpy(dst->net.params, src->net.params, sizeof(float) * dst->net.n_params);
    return 1;
}

/* Class probabilities on a res x res grid over [lo, hi]^2, row by row from the top (y = hi):
   (res*res, k) floats, or NULL (out of memory, or tp_predict failed: pg_error says why). */
const float *PG_EXPORT(pg_grid)(pg_run *r, int res, float lo, float hi)
{
    int n = res * res;
    float *x;
    tp_result e;
    if (res < 2) return NULL;
    if (n > r->grid_cap) {
        float *g = (float *)realloc(r->grid, sizeof(float) * (size_t)n * r->k);
        if (!g) return NULL;
        r->grid = g;
        r->grid_cap = n;
    }
    if (!(x = (float *)malloc(sizeof(float) * 2 * (size_t)n))) return NULL;
    for (int p = 0; p < n; p++) {
        x[2 * p] = lo + (hi - lo) * (float)(p % res) / (float)(res - 1);
        x[2 * p + 1] = hi - (hi - lo) * (float)(p / res) / (float)(res - 1);
    }
    e = tp_predict(&r->net, x, n, NULL, r->grid);
    free(x);
    if (e != TP_OK) {
        snprintf(r->error, sizeof r->error, "%s: %s", tp_result_string(e), r->net.error);
        return NULL;
    }
    return r->grid;
}

/* Scratch memory for the page to pass strings or arrays in. */
void *PG_EXPORT(pg_alloc)(int bytes) { return malloc((size_t)bytes); }
void PG_EXPORT(pg_release)(void *p) { free(p); }

/* ------------------------------------------------------------------------ native ----- */
#ifndef __wasm__
#include <time.h>

static double pg_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int pg_usage(const char *prog, int code)
{
    fprintf(code ? stderr : stdout,
            "usage: %s [options]: train one playground run natively and time it\n"
            "  --data spirals|xor|circles|moons|spirals6|checker   (spirals)\n"
            "  --rule NAME                        a rule of tp_rule_name (bp)\n"
            "  --schedule parallel|alternating    (parallel)\n"
            "  --depth N --width N --act tanh|relu|sigmoid   hidden layers (3 x 64 tanh)\n"
            "  --batch N --seed N                  (64, 1)\n"
            "  --lr F --ilr F --alpha F --sigma F --hybrid F --aux N --decay F   (0.003, 0.001, 0.1, 0.1, 0, 64, 1e-4)\n"
            "  --steps N      steps to time (3000)\n"
            "  --every N      evaluate on all points every N steps, report the first at 100%% (16)\n",
            prog);
    return code;
}

int main(int argc, char **argv)
{
    static const char *datas[] = {"spirals", "xor", "circles", "moons", "spirals6", "checker"};
    int data = 0, depth = 3, width = 64, act = TP_TANH, rule = TP_BP, schedule = 0, batch = 64, seed = 1;
    int steps = 3000, every = 16, aux = 64, first = -1;
    float lr = 0.003f, ilr = 0.001f, alpha = 0.1f, sigma = 0.1f, hybrid = 0.0f, decay = 1e-4f;   /* the page's defaults */
    double t_train = 0, t0, t_first = 0;
    pg_run *r;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int found = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return pg_usage(argv[0], 0);
        if (!v) return pg_usage(argv[0], 2);
        i++;
        if (!strcmp(a, "--data")) {
            for (int j = 0; j < PG_N_DATA; j++) if (!strcmp(v, datas[j])) { data = j; found = 1; }
        } else if (!strcmp(a, "--rule")) {
            tp_rule rr;
            if ((found = tp_rule_parse(v, &rr, NULL) == TP_OK)) rule = (int)rr;
        } else if (!strcmp(a, "--schedule")) {
            tp_schedule sc;
            if ((found = tp_schedule_parse(v, &sc, NULL) == TP_OK)) schedule = sc == TP_ALTERNATING;
        } else if (!strcmp(a, "--act")) {
            for (int j = 0; j < 3; j++) if (!strcmp(v, tp_act_name((tp_act)j))) { act = j; found = 1; }
        } else {
            char *end;
            double d = strtod(v, &end);
            found = *v && !*end;
            if (!strcmp(a, "--depth")) depth = (int)d;
            else if (!strcmp(a, "--width")) width = (int)d;
            else if (!strcmp(a, "--batch")) batch = (int)d;
            else if (!strcmp(a, "--seed")) seed = (int)d;
            else if (!strcmp(a, "--steps")) steps = (int)d;
            else if (!strcmp(a, "--every")) every = (int)d;
            else if (!strcmp(a, "--aux")) aux = (int)d;
            else if (!strcmp(a, "--lr")) lr = (float)d;
            else if (!strcmp(a, "--ilr")) ilr = (float)d;
            else if (!strcmp(a, "--alpha")) alpha = (float)d;
            else if (!strcmp(a, "--sigma")) sigma = (float)d;
            else if (!strcmp(a, "--hybrid")) hybrid = (float)d;
            else if (!strcmp(a, "--decay")) decay = (float)d;
            else found = 0;
        }
        if (!found) { fprintf(stderr, "%s: %s \"%s\": not understood\n", argv[0], a, v); return 2; }
    }
    if (every < 1) every = 1;
    r = pg_new(data, depth, width, act, rule, schedule, batch, seed, lr, ilr, alpha, sigma, hybrid, aux, decay, 0.0f);
    if (!r || r->error[0]) { fprintf(stderr, "%s: %s\n", argv[0], pg_error(r)); pg_free(r); return 1; }
    printf("%s on %s, net \"%s\", batch %d, seed %d\n", tp_rule_name((tp_rule)rule), datas[data], r->net.spec, batch, seed);
    t0 = pg_now();
    for (int s = 0; s < steps; s += every) {
        double t = pg_now();
        const float *st;
        int n = steps - s < every ? steps - s : every;
        if (pg_train(r, n)) { fprintf(stderr, "%s: %s\n", argv[0], r->error); pg_free(r); return 1; }
        t_train += pg_now() - t;
        st = pg_stats(r);
        if (first < 0 && st[7] == 0.0f) { first = s + n; t_first = pg_now() - t0; }
    }
    {
        const float *st = pg_stats(r);
        printf("steps %d  training %.3f s  %.0f steps/s  (%.0f with the evaluations, %.3f s)\n", steps, t_train,
               steps / t_train, steps / (pg_now() - t0), pg_now() - t0);
        printf("final loss %.4f  error %.2f%%\n", st[6], 100.0 * st[7]);
        if (first >= 0) printf("100%% training accuracy first at step %d, after %.3f s\n", first, t_first);
        else printf("100%% training accuracy not reached\n");
    }
    pg_free(r);
    return 0;
}
#endif
