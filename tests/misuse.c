/* tests/misuse.c - every public function of targetprop.h called the way a careless or hostile
   caller might: NULL for each pointer in turn, zero, negative and huge sizes, zeroed structs,
   out-of-range enums, NaN and infinite settings, a destroyed net used again.

     cc -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
        -Wall -Wextra -I. tests/misuse.c -o build/misuse-asan -lm && build/misuse-asan

   The contract: no crash, no sanitizer report, no hang; a tp_result is an error for invalid input,
   with a non-empty sentence where there is an error buffer (net->error, ds->error, an error
   argument); a size or count is 0 for a NULL object; a void function does nothing. The
   programmer contracts of part B (tp_task_loss, the tp_rule_* steps, tp_inverse_grads,
   tp_optim_step, the layer kernels, tp_gemm, the activations) may TP_ASSERT instead: that is
   caught here (longjmp) and counts as handled; a crash there without an assertion does not.
   Each case runs in a forked child (POSIX), so a crash, a sanitizer's exit or a hang (20 s) is
   one FAIL line with the signal or the sanitizer's one-line report; blocks of TP_MALLOC left
   after the case (its net destroyed) are a leak. Output as
   tests/test.c: "ok NAME" or "FAIL NAME: why", then "misuse: N passed, M failed", exit status 1
   on failures. Temporary files go to a fresh directory under $TMPDIR or /tmp. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static jmp_buf g_jb;
static int g_child, g_asserted;
static char g_assert_text[200];
static void mis_assert(const char *what, int line)
{
    if (!g_child) { fprintf(stderr, "TP_ASSERT(%s) failed at line %d outside a case\n", what, line); abort(); }
    snprintf(g_assert_text, sizeof g_assert_text, "TP_ASSERT(%s), line %d", what, line);
    g_asserted = 1;
    longjmp(g_jb, 1);
}
#define TP_ASSERT(x) ((x) ? (void)0 : mis_assert(#x, __LINE__))
static long g_live;   /* blocks the library holds: a leak shows without LeakSanitizer too */
static void *mis_malloc(size_t n) { void *p = malloc(n); if (p) g_live++; return p; }
static void mis_free(void *p) { if (p) { g_live--; free(p); } }
#define TP_MALLOC(n) mis_malloc(n)
#define TP_FREE(p) mis_free(p)
#define TARGETPROP_IMPLEMENTATION
#include "targetprop.h"

/* ================================================================ harness ============= */

static int passed, failed, g_in, g_may;
static char dir[64], name[200];
static tp_net N;                          /* the cases' net: destroyed after every case */
static tp_dataset D, DL;                  /* D over our own arrays, DL for the loaders (freed after) */
static tp_config C;                       /* BP defaults, max_batch 4 */
static float X[4 * 64], Y[4 * 2], A[4 * 64], W[1024];
static uint16_t LAB[4] = {0, 1, 0, 1};
static char E[TP_ERROR_LEN], P1[256], P2[TP_ERROR_LEN];
static int O[16];
static tp_rng R;
#define SPEC "4 fc3 fc2"

static void finish(const char *verdict)   /* the child's last words, then exit */
{
    char m[100];
    tp_net_destroy(&N); tp_dataset_free(&DL);
    if (verdict[0] == 'o' && g_live != 0) { snprintf(m, sizeof m, "F leak: %ld blocks of TP_MALLOC left after the case", g_live); verdict = m; }
    printf("@@%s\n", verdict);
    fflush(stdout);
    exit(0);
}
static void fail_(const char *fmt, ...)
{
    char m[400] = "F ";
    va_list ap;
    va_start(ap, fmt); vsnprintf(m + 2, sizeof m - 2, fmt, ap); va_end(ap);
    finish(m);
}
static void pass(void)
{
    char m[300];
    if (g_asserted && !g_may) fail_("%s fired in a function that must check its arguments", g_assert_text);
    snprintf(m, sizeof m, "ok%s%s%s", g_asserted ? " (asserted: " : "", g_asserted ? g_assert_text : "", g_asserted ? ")" : "");
    finish(m);
}
static void setup(void)
{
    C = tp_config_default(TP_BP);
    C.max_batch = 4;
    for (int i = 0; i < 4 * 64; i++) X[i] = (float)((i * 7) % 11) / 11.0f;
    for (int b = 0; b < 4; b++) { Y[2 * b] = (float)(b % 2 == 0); Y[2 * b + 1] = (float)(b % 2 == 1); }
    D.n = 4; D.h = 1; D.w = 1; D.c = 4; D.dim = 4; D.n_classes = 2; D.x = X; D.y = LAB;
    tp_rng_seed(&R, 1);
    snprintf(P1, sizeof P1, "%s/ck", dir);
}

/* The line of a child's output that holds `what`, into buf. */
static const char *line_with(char *out, const char *what, char *buf, size_t cap)
{
    char *p = strstr(out, what), *s, *e;
    if (!p) return NULL;
    for (s = p; s > out && s[-1] != '\n'; s--) {}
    e = strchr(p, '\n');
    snprintf(buf, cap, "%.*s", (int)((e ? e : p + strlen(p)) - s), s);
    return buf;
}

/* Forks: the child returns 1 and runs the case; the parent waits, reports and returns 0. */
static int child(const char *label, int may_assert)
{
    static char out[1 << 16];
    char san[300], ver[400], sink[4096];
    const char *why = NULL, *v, *s;
    size_t len = 0;
    ssize_t k;
    int fd[2], st = 0;
    pid_t pid;
    fflush(stdout);
    if (pipe(fd) != 0 || (pid = fork()) < 0) { printf("FAIL %s: cannot fork\n", label); failed++; return 0; }
    if (pid == 0) {
        close(fd[0]); dup2(fd[1], 1); dup2(fd[1], 2); close(fd[1]);
        g_child = 1; g_may = may_assert; g_live = 0;
        alarm(20);
        setup();
        return 1;
    }
    close(fd[1]);
    while ((k = read(fd[0], len + 1 < sizeof out ? out + len : sink, len + 1 < sizeof out ? sizeof out - 1 - len : sizeof sink)) > 0)
        if (len + 1 < sizeof out) len += (size_t)k;
    close(fd[0]);
    out[len] = 0;
    waitpid(pid, &st, 0);
    v = line_with(out, "@@", ver, sizeof ver);
    if (!(s = line_with(out, "runtime error:", san, sizeof san)) && !(s = line_with(out, "SUMMARY:", san, sizeof san)))
        s = line_with(out, "ERROR:", san, sizeof san);
    if (WIFSIGNALED(st)) {
        snprintf(sink, sizeof sink, "%s (signal %d, %s)%s%s", WTERMSIG(st) == SIGALRM ? "hang: no result in 20 s" : "crashed",
                 WTERMSIG(st), strsignal(WTERMSIG(st)), s ? ": " : "", s ? s : "");
        why = sink;
    } else if (WEXITSTATUS(st) != 0 || !v) {
        snprintf(sink, sizeof sink, "exit status %d: %s", WEXITSTATUS(st), s ? s : v ? v + 2 : "no result");
        why = sink;
    } else if (strncmp(v + 2, "ok", 2) != 0) {
        why = v + 4;
    }
    if (why) { printf("FAIL %s: %s\n", label, why); failed++; }
    else { printf("ok %s%s\n", label, v + 4); passed++; }
    return 0;
}

/* CASE(label, may_assert) statement: the statement runs in a child; a TP_ASSERT lands in setjmp */
#define CASE(label, asrt) for (g_in = child(label, asrt); g_in; pass()) if (setjmp(g_jb) == 0)
#define T(...) if (snprintf(name, sizeof name, __VA_ARGS__) >= 0) CASE(name, 0)    /* must check its arguments */
#define TA(...) if (snprintf(name, sizeof name, __VA_ARGS__) >= 0) CASE(name, 1)   /* TP_ASSERT is correct handling */
#define FAILIF(cond, ...) do { if (cond) fail_(__VA_ARGS__); } while (0)

/* An error, not TP_OK, with a sentence in buf (NULL: there is no buffer to look at). */
/* A data-parallel sum over one process (nothing to add), and one that fails. */
static int shard_sum(void *ctx, float *buf, size_t n) { (void)ctx; (void)buf; (void)n; return 0; }
static int shard_fails(void *ctx, float *buf, size_t n) { (void)ctx; (void)buf; (void)n; return 3; }

static void want_err(tp_result r, const char *buf)
{
    FAILIF(r == TP_OK, "returned TP_OK");
    FAILIF(buf && !buf[0], "returned %d (%s) with an empty error sentence", (int)r, tp_result_string(r));
}
static void want_ok(tp_result r, const char *buf) { FAILIF(r != TP_OK, "returned %d (%s): %s", (int)r, tp_result_string(r), buf ? buf : ""); }
static tp_net *mk(tp_rule rule, const char *spec)
{
    tp_config c = tp_config_default(rule);
    c.max_batch = 4;
    if (tp_net_create(&N, spec, &c) != TP_OK) fail_("setup: tp_net_create(\"%s\", %s): %s", spec, tp_rule_name(rule), N.error);
    return &N;
}
static tp_net *bp(void) { return mk(TP_BP, SPEC); }
static tp_net *mkd(void) { bp(); tp_net_destroy(&N); N.error[0] = 0; return &N; }   /* a destroyed net */
static tp_net *ready(tp_rule rule, int batch)   /* after tp_forward and tp_task_loss of `batch` rows */
{
    mk(rule, SPEC);
    want_ok(tp_forward(&N, X, batch), N.error);
    tp_task_loss(&N, Y, batch, NULL);
    return &N;
}
static tp_config cfg_with(int what, double v)   /* one field set; BP, or DTP (learned feedback) from 20 */
{
    tp_config c = tp_config_default(what >= 20 ? TP_DTP : TP_BP);
    c.max_batch = 4;
    switch (what) {
    case 1: c.forward.lr = (float)v; break;      case 2: c.forward.beta1 = (float)v; break;   case 3: c.forward.beta2 = (float)v; break;
    case 4: c.forward.eps = (float)v; break;     case 5: c.forward.decay = (float)v; break;   case 6: c.forward.t = (long)v; break;
    case 7: c.alpha = (float)v; break;           case 8: c.hybrid = (float)v; break;          case 9: c.max_batch = (int)v; break;
    case 10: c.iters = (int)v; break;            case 11: c.n_aux = (int)v; break;            case 12: c.forward.kind = (tp_optimizer)(int)v; break;
    case 13: c.rule = (tp_rule)(int)v; break;    case 14: c.schedule = (tp_schedule)(int)v; break;
    case 15: c.inverse_loss = (tp_inverse_loss)(int)v; break;                                 case 16: c.init = (tp_init)(int)v; break;
    case 20: c.sigma = (float)v; break;          case 21: c.inverse.lr = (float)v; break;     case 22: c.inverse.beta1 = (float)v; break;
    case 23: c.inverse.eps = (float)v; break;    case 24: c.inverse.t = (long)v; break;       case 25: c.schedule = (tp_schedule)(int)v; break;
    case 30: c.forward.kind = TP_MOMENTUM; c.forward.momentum = (float)v; break;
    case 31: c.forward.kind = TP_MOMENTUM; c.forward.dampening = (float)v; break;
    case 32: c.forward.kind = TP_NESTEROV; c.forward.momentum = 0.9f; c.forward.dampening = (float)v; break;
    case 33: c.forward.l2 = (float)v; break;     case 34: c.forward.clip = (float)v; break;   case 35: c.forward.decay_biases = (int)v; break;
    case 36: c.forward.schedule.kind = (tp_lr_kind)(int)v; break;
    case 37: c.forward.schedule.kind = TP_LR_COSINE; c.forward.schedule.length = (long)v; break;
    case 38: c.forward.schedule.kind = TP_LR_COSINE; c.forward.schedule.length = 5; c.forward.schedule.floor = (float)v; break;
    case 39: c.forward.schedule.every = (long)v; break;                                       case 40: c.forward.schedule.warmup = (long)v; break;
    case 41: c.forward.schedule.kind = TP_LR_STEP; c.forward.schedule.gamma = (float)v; break;
    case 42: c.forward.schedule.kind = TP_LR_STEP; c.forward.schedule.n_milestones = (int)v; break;
    case 43: c.forward.schedule.kind = TP_LR_STEP; c.forward.schedule.n_milestones = 2;
             c.forward.schedule.milestones[0] = 5; c.forward.schedule.milestones[1] = (long)v; break;
    case 44: c.norm_channels = (int)v; break;
    case 45: c.norm_channels = 1; c.norm_mean[0] = 0.0f; c.norm_std[0] = (float)v; break;
    case 46: c.norm_channels = 1; c.norm_std[0] = 1.0f; c.norm_mean[0] = (float)v; break;
    case 47: c.layer_iters[1] = (int)v; break;   case 48: c.layer_sigma[1] = (float)v; break; case 49: c.layer_lr[1] = (float)v; break;
    case 50: c.layer_iters[20] = (int)v; break;
    case 51: c.inverse.kind = TP_NESTEROV; c.inverse.momentum = (float)v; break;
    }
    return c;
}

/* ================================================================ part A ============== */

static void part_a(void)
{
    static const struct { const char *name; int what; double v; } bad_cfg[] = {
        {"lr-NaN", 1, NAN}, {"lr-inf", 1, INFINITY}, {"lr-negative", 1, -1}, {"beta1-1", 2, 1}, {"beta1-NaN", 2, NAN},
        {"beta2-1", 3, 1}, {"eps-0", 4, 0}, {"eps-NaN", 4, NAN}, {"eps-negative", 4, -1e-8}, {"decay-1", 5, 1},
        {"decay-NaN", 5, NAN}, {"t-negative", 6, -1}, {"alpha-NaN", 7, NAN}, {"alpha-inf", 7, -INFINITY},
        {"hybrid-NaN", 8, NAN}, {"hybrid-2", 8, 2}, {"max_batch-0", 9, 0}, {"max_batch-negative", 9, -1},
        {"max_batch-INT_MAX", 9, INT_MAX}, {"iters-0", 10, 0}, {"iters-INT_MAX", 10, INT_MAX}, {"n_aux-negative", 11, -1},
        {"n_aux-INT_MAX", 11, INT_MAX}, {"optimizer-4", 12, 4}, {"rule-999", 13, 999}, {"rule-negative", 13, -1},
        {"schedule-negative", 14, -1}, {"schedule-999", 14, 999}, {"inverse_loss-999", 15, 999}, {"init-999", 16, 999},
        {"sigma-NaN", 20, NAN}, {"sigma-negative", 20, -0.1}, {"sigma-inf", 20, INFINITY}, {"inverse.lr-NaN", 21, NAN},
        {"inverse.beta1-1", 22, 1}, {"inverse.eps-0", 23, 0}, {"inverse.t-negative", 24, -1}, {"dtp-schedule-999", 25, 999},
        {"momentum-1", 30, 1}, {"momentum-NaN", 30, NAN}, {"momentum-negative", 30, -0.5}, {"dampening-2", 31, 2},
        {"dampening-NaN", 31, NAN}, {"nesterov,dampening-0.5", 32, 0.5}, {"l2-NaN", 33, NAN}, {"l2-negative", 33, -1},
        {"l2-inf", 33, INFINITY}, {"clip-negative", 34, -1}, {"clip-NaN", 34, NAN}, {"decay_biases-2", 35, 2},
        {"decay_biases-negative", 35, -1}, {"schedule.kind-999", 36, 999}, {"schedule.kind-negative", 36, -1},
        {"cosine,length-0", 37, 0}, {"cosine,length-negative", 37, -5}, {"cosine,floor-2", 38, 2}, {"cosine,floor-NaN", 38, NAN},
        {"every-negative", 39, -1}, {"warmup-negative", 40, -1}, {"warmup-2^40", 40, 1099511627776.0}, {"step,gamma-0", 41, 0},
        {"step,gamma-NaN", 41, NAN}, {"step,gamma-inf", 41, INFINITY}, {"step,milestones-99", 42, 99},
        {"step,milestones-negative", 42, -1}, {"step,milestones-descending", 43, 2}, {"step,milestones-equal", 43, 5},
        {"norm_channels-99", 44, 99}, {"norm_channels-negative", 44, -1}, {"norm_channels-3-of-4", 44, 3},
        {"norm_std-0", 45, 0}, {"norm_std-negative", 45, -1}, {"norm_std-NaN", 45, NAN}, {"norm_mean-inf", 46, INFINITY},
        {"layer_iters-negative", 47, -1}, {"layer_iters-huge", 47, 1e9}, {"layer_sigma-NaN", 48, NAN},
        {"layer_sigma-negative", 48, -1}, {"layer_lr-inf", 49, INFINITY}, {"layer_lr-negative", 49, -1},
        {"layer_iters-beyond-the-net", 50, 3}, {"inverse,nesterov,momentum-0", 51, 0}};
    static const char *bad_spec[] = {"", " ", "garbage", "4", "fc2", "0 fc2", "-4 fc2", "4 fc0", "4 fc-1", "4 fc2x0",
        "2147483647 fc2147483647", "4 fc2147483647x2147483647", "99999999999999999999 fc2", "4 fc99999999999999999999",
        "65536x65536x65536 fc2", "4x4x1 conv3x3/0 fc2", "4x4x1 conv3x3/2/s0 fc2", "4x4x1 conv0x0/2 fc2",
        "4x4x1 conv3x3/2/s2147483647 fc2", "4 fc3:bogus fc2", "4 fc3 fc2 nonsense", "4 fc2x40", "--", ",,,", "4x4x1x1 fc2"};
    static const struct { const char *name; int x, y, batch, phase; float xv, yv; } ts[] = {
        {"x-NULL", 0, 1, 2, 3, 0, 1}, {"y-NULL", 1, 0, 2, 3, 0, 1}, {"batch-0", 1, 1, 0, 3, 0, 1},
        {"batch-negative", 1, 1, -1, 3, 0, 1}, {"batch-INT_MIN", 1, 1, INT_MIN, 3, 0, 1}, {"batch-INT_MAX", 1, 1, INT_MAX, 3, 0, 1},
        {"batch-max_batch+1", 1, 1, 5, 3, 0, 1}, {"phase-0", 1, 1, 2, 0, 0, 1}, {"phase-999", 1, 1, 2, 999, 0, 1},
        {"phase-negative", 1, 1, 2, -1, 0, 1}, {"x-NaN", 1, 1, 2, 3, NAN, 1}, {"x-inf", 1, 1, 2, 3, INFINITY, 1},
        {"y-NaN", 1, 1, 2, 3, 0, NAN}, {"y-negative", 1, 1, 2, 3, 0, -1}, {"y-sum-2", 1, 1, 2, 3, 0, 2}};
    T("tp_result_string/999") FAILIF(!tp_result_string((tp_result)999) || !tp_result_string((tp_result)999)[0], "NULL or empty");
    T("tp_result_string/negative") FAILIF(!tp_result_string((tp_result)-1), "NULL");
    T("tp_config_default/rule-999") { tp_config c = tp_config_default((tp_rule)999); c.max_batch = 4; want_err(tp_net_create(&N, SPEC, &c), N.error); }
    T("tp_config_default/rule-negative") { tp_config c = tp_config_default((tp_rule)-1); want_err(tp_net_create(&N, SPEC, &c), N.error); }
    T("tp_config_paper/cfg-NULL") want_err(tp_config_paper(NULL, "mnist-fc", TP_BP, TP_PARALLEL, TP_HPARAMS_BEST, E), E);
    T("tp_config_paper/preset-NULL") want_err(tp_config_paper(&C, NULL, TP_BP, TP_PARALLEL, TP_HPARAMS_BEST, E), E);
    T("tp_config_paper/preset-unknown,error-NULL") want_err(tp_config_paper(&C, "nonesuch", TP_BP, TP_PARALLEL, TP_HPARAMS_BEST, NULL), NULL);
    T("tp_config_paper/preset-empty") want_err(tp_config_paper(&C, "", TP_DTP, TP_PARALLEL, TP_HPARAMS_TABLE5, E), E);
    T("tp_config_paper/rule-999") want_err(tp_config_paper(&C, "mnist-fc", (tp_rule)999, TP_PARALLEL, TP_HPARAMS_BEST, E), E);
    T("tp_config_paper/which-999") want_err(tp_config_paper(&C, "mnist-fc", TP_BP, TP_PARALLEL, (tp_hparams)999, E), E);
    T("tp_config_paper/which-negative") want_err(tp_config_paper(&C, "mnist-fc", TP_BP, TP_PARALLEL, (tp_hparams)-1, E), E);
    for (int i = 0; i < 2; i++)   /* BP's rows hold for any schedule: an invalid one must still be refused */
        T("tp_config_paper/%s", i ? "bp,schedule-999" : "dtp,schedule-negative") {
            tp_result r = tp_config_paper(&C, "mnist-fc", i ? TP_BP : TP_DTP, (tp_schedule)(i ? 999 : -1), TP_HPARAMS_BEST, E);
            FAILIF(r != TP_ERROR_ARGUMENT, "returned %s, expected TP_ERROR_ARGUMENT (cfg.schedule now %d)", tp_result_string(r), (int)C.schedule);
        }
    T("tp_net_create/net-NULL") want_err(tp_net_create(NULL, SPEC, &C), NULL);
    T("tp_net_create/spec-NULL") want_err(tp_net_create(&N, NULL, &C), N.error);
    T("tp_net_create/cfg-NULL") want_err(tp_net_create(&N, SPEC, NULL), N.error);
    T("tp_net_create/cfg-zeroed") { tp_config c; memset(&c, 0, sizeof c); want_err(tp_net_create(&N, SPEC, &c), N.error); }
    for (size_t i = 0; i < sizeof bad_spec / sizeof bad_spec[0]; i++)
        T("tp_net_create/spec-\"%s\"", bad_spec[i]) want_err(tp_net_create(&N, bad_spec[i], &C), N.error);
    T("tp_net_create/spec-5000-chars") {
        static char s[5000];
        memset(s, '9', sizeof s - 1); memcpy(s, "4 fc", 4);
        want_err(tp_net_create(&N, s, &C), N.error);
    }
    T("tp_net_create/imagenet,max_batch-1e6") { C.max_batch = 1000000; want_err(tp_net_create(&N, "imagenet-lc", &C), N.error); }
    for (size_t i = 0; i < sizeof bad_cfg / sizeof bad_cfg[0]; i++)
        T("tp_net_create/cfg-%s", bad_cfg[i].name) { tp_config c = cfg_with(bad_cfg[i].what, bad_cfg[i].v); want_err(tp_net_create(&N, SPEC, &c), N.error); }
    T("tp_net_create/seed-UINT64_MAX") { C.seed = UINT64_MAX; want_ok(tp_net_create(&N, SPEC, &C), N.error); }
    T("tp_net_create/rebuild-from-own-spec-and-cfg") { mkd(); want_ok(tp_net_create(&N, N.spec, &N.cfg), N.error); }
    for (int i = 0; i < 2; i++)   /* refused, or a step without overflow */
        T("tp_net_create/%s.t-LONG_MAX,train_step", i ? "inverse" : "forward") {
            tp_config c = cfg_with(24, 0);
            *(i ? &c.inverse.t : &c.forward.t) = LONG_MAX;
            if (tp_net_create(&N, SPEC, &c) == TP_OK) tp_train_step(&N, X, Y, 2, TP_PHASE_BOTH, NULL);
        }
    T("tp_net_destroy/NULL") tp_net_destroy(NULL);
    T("tp_net_destroy/zeroed") tp_net_destroy(&N);
    T("tp_net_destroy/twice") { mkd(); tp_net_destroy(&N); }

    /* training and evaluation on NULL, zeroed and destroyed nets, and bad arguments */
    for (int s = 0; s < 3; s++) {
        const char *st = s == 0 ? "NULL" : s == 1 ? "zeroed" : "destroyed";
#define NETCASE(fn, call) T("%s/net-%s", fn, st) { tp_net *n = s == 0 ? NULL : s == 1 ? &N : mkd(); want_err(call, n ? n->error : NULL); }
        NETCASE("tp_train_step", tp_train_step(n, X, Y, 2, TP_PHASE_BOTH, NULL))
        NETCASE("tp_gradients", tp_gradients(n, X, Y, 2, TP_PHASE_BOTH, NULL))
        NETCASE("tp_forward", tp_forward(n, X, 2))
        NETCASE("tp_evaluate", tp_evaluate(n, X, Y, 2, NULL, NULL))
        NETCASE("tp_evaluate_dataset", tp_evaluate_dataset(n, &D, NULL, NULL))
        NETCASE("tp_predict", tp_predict(n, X, 2, NULL, NULL))
        NETCASE("tp_diagnose", tp_diagnose(n, X, Y, 2, (tp_diag *)(void *)A))
        NETCASE("tp_net_save", tp_net_save(n, P1, NULL, 0))
        T("tp_net_bytes/net-%s", st) { size_t b = tp_net_bytes(s == 0 ? NULL : s == 1 ? &N : mkd()); FAILIF(b != 0, "returned %lu", (unsigned long)b); }
        T("tp_net_macs/net-%s", st) { double m = tp_net_macs(s == 0 ? NULL : s == 1 ? &N : mkd()); FAILIF(s < 2 && m != 0, "returned %g", m); }
        T("tp_step_macs/net-%s", st) { double m = tp_step_macs(s == 0 ? NULL : s == 1 ? &N : mkd(), NULL); FAILIF(s < 2 && m != 0, "returned %g", m); }
    }
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        for (int f = 0; f < 3; f++)
            T("%s/%s", f == 0 ? "tp_train_step" : f == 1 ? "tp_gradients" : "tp_diagnose", ts[i].name) {
                tp_diag dg;
                const float *x = ts[i].x ? X : NULL, *y = ts[i].y ? Y : NULL;
                tp_result r;
                mk(TP_DTP, SPEC);
                if (ts[i].xv != 0) X[1] = ts[i].xv;
                if (ts[i].yv != 1) Y[0] = ts[i].yv;
                r = f == 0 ? tp_train_step(&N, x, y, ts[i].batch, (tp_phase)ts[i].phase, NULL)
                  : f == 1 ? tp_gradients(&N, x, y, ts[i].batch, (tp_phase)ts[i].phase, NULL) : tp_diagnose(&N, x, y, ts[i].batch, &dg);
                if (f == 2 && ts[i].phase != 3) want_ok(r, N.error);   /* tp_diagnose takes no phase */
                else want_err(r, N.error);
            }
    T("tp_diagnose/out-NULL") want_err(tp_diagnose(mk(TP_DTP, SPEC), X, Y, 2, NULL), N.error);
    T("tp_train_step/lr-1e38-diverges") { C.forward.lr = 1e38f; tp_net_create(&N, SPEC, &C); tp_train_step(&N, X, Y, 2, TP_PHASE_BOTH, NULL); }
    T("tp_set_shard/net-NULL") want_err(tp_set_shard(NULL, shard_sum, NULL, 0, 2), NULL);
    T("tp_set_shard/destroyed") want_err(tp_set_shard(mkd(), shard_sum, NULL, 0, 2), N.error);
    T("tp_set_shard/row-negative") want_err(tp_set_shard(bp(), shard_sum, NULL, -1, 2), N.error);
    T("tp_set_shard/row-past-batch") want_err(tp_set_shard(bp(), shard_sum, NULL, 2, 2), N.error);
    T("tp_set_shard/batch-0") want_err(tp_set_shard(bp(), shard_sum, NULL, 0, 0), N.error);
    T("tp_set_shard/sum-NULL-is-one-process") want_ok(tp_set_shard(bp(), NULL, NULL, -5, -5), N.error);
    T("tp_train_step/shard-rows-beyond-batch") {   /* 2 rows from row 1 of a batch of 2 */
        tp_set_shard(bp(), shard_sum, NULL, 1, 2);
        want_err(tp_train_step(&N, X, Y, 2, TP_PHASE_BOTH, NULL), N.error);
    }
    T("tp_train_step/shard-sum-fails") {
        tp_set_shard(mk(TP_DTP, SPEC), shard_fails, NULL, 0, 2);
        want_err(tp_train_step(&N, X, Y, 2, TP_PHASE_BOTH, NULL), N.error);
    }
    T("tp_schedule_phase/cfg-NULL") tp_schedule_phase(NULL, 3, NULL);
    static const long epochs[] = {LONG_MAX, LONG_MIN, -5};
    for (int i = 0; i < 6; i++)
        T("tp_schedule_phase/%s,epoch-%ld", i % 2 ? "dtp-alternating" : "parallel", epochs[i / 2]) {
            long fe = 0;
            tp_config c = cfg_with(25, i % 2 ? TP_ALTERNATING : TP_PARALLEL);
            tp_schedule_phase(&c, epochs[i / 2], &fe);
            FAILIF(fe < 0, "forward_epochs %ld, a negative count", fe);
        }
    T("tp_schedule_phase/schedule-negative") { long fe = 0; tp_config c = cfg_with(25, -1); tp_schedule_phase(&c, 3, &fe); }
    T("tp_schedule_phase/rule-999") { long fe = 0; C.rule = (tp_rule)999; tp_schedule_phase(&C, 3, &fe); }
    T("tp_evaluate/x-NULL") want_err(tp_evaluate(bp(), NULL, Y, 2, NULL, NULL), N.error);
    T("tp_evaluate/y-NULL") want_err(tp_evaluate(bp(), X, NULL, 2, NULL, NULL), N.error);
    T("tp_evaluate/x-NULL,n-INT_MAX") want_err(tp_evaluate(bp(), NULL, Y, INT_MAX, NULL, NULL), N.error);
    T("tp_evaluate/n-negative") want_err(tp_evaluate(bp(), X, Y, -1, NULL, NULL), N.error);
    T("tp_evaluate/n-INT_MIN") want_err(tp_evaluate(bp(), X, Y, INT_MIN, NULL, NULL), N.error);
    T("tp_evaluate/n-0,all-NULL") want_ok(tp_evaluate(bp(), NULL, NULL, 0, NULL, NULL), N.error);
    T("tp_predict/x-NULL") want_err(tp_predict(bp(), NULL, 2, O, NULL), N.error);
    T("tp_predict/n-negative") want_err(tp_predict(bp(), X, -1, O, A), N.error);
    T("tp_predict/n-INT_MIN") want_err(tp_predict(bp(), X, INT_MIN, O, A), N.error);
    T("tp_predict/n-0,all-NULL") want_ok(tp_predict(bp(), NULL, 0, NULL, NULL), N.error);
    T("tp_evaluate_dataset/ds-NULL") want_err(tp_evaluate_dataset(bp(), NULL, NULL, NULL), N.error);
    T("tp_evaluate_dataset/ds-zeroed") want_err(tp_evaluate_dataset(bp(), &DL, NULL, NULL), N.error);
    T("tp_set_threads/0") tp_set_threads(0);
    T("tp_set_threads/INT_MIN") tp_set_threads(INT_MIN);
}

/* ================================================================ data, checkpoints === */

static void part_data(void)
{
    static const char *nothing[1] = {NULL};
    static const char *mname[] = {"n-negative", "dim-mismatch", "h*w*c-overflows", "x-NULL", "y-NULL", "label-out-of-range",
                                  "n_classes-0", "n_classes-negative", "n_classes-INT_MAX", "dim-negative"};
    static const int shp[][4] = {{0, 2, 1, 2}, {-1, 2, 1, 2}, {2, -1, 1, 2}, {2, 2, 0, 2}, {INT_MAX, INT_MAX, INT_MAX, 2},
                                 {INT_MIN, INT_MIN, 1, 2}, {2, 2, 1, 0}, {2, 2, 1, -1}, {2, 2, 1, INT_MAX}};
    static const int aug[][5] = {{2, 2, 2, 1, INT_MAX}, {2, 2, 2, 1, -1}, {-1, 2, 2, 1, 1}, {2, 0, 2, 1, 1}, {2, 2, 0, 1, 1},
                                 {2, 2, -1, 1, 1}, {2, 2, 2, -1, 1}, {2, 2, 2, 0, 1}, {2, -1, 2, 1, 1}, {2, 2, 2, 1, INT_MIN}};
    static const int idx_bad[] = {-1, 4, INT_MAX, INT_MIN};
    int idx[4] = {0, 1, 2, 3};
    char p[4][200];
    snprintf(p[0], sizeof p[0], "%s/empty", dir); snprintf(p[1], sizeof p[1], "%s/junk", dir);
    snprintf(p[2], sizeof p[2], "%s/d", dir); snprintf(p[3], sizeof p[3], "%s/trunc", dir);
    const char *files[] = {NULL, "/nonexistent/file", "", "/dev/null", "/", p[0], p[1], p[2], p[3]};
    const char *fname[] = {"NULL", "missing", "empty-string", "dev-null", "root-dir", "empty-file", "junk", "dir", "truncated-checkpoint"};
    T("tp_load_idx/ds-NULL") want_err(tp_load_idx(NULL, p[1], p[1]), NULL);
    for (int i = 0; i < 9; i++) {
        T("tp_load_idx/images-%s", fname[i]) want_err(tp_load_idx(&DL, files[i], p[1]), DL.error);
        T("tp_load_idx/labels-%s", fname[i]) want_err(tp_load_idx(&DL, p[1], files[i]), DL.error);
        T("tp_load_cifar10/path-%s", fname[i]) { const char *one[1]; one[0] = files[i]; want_err(tp_load_cifar10(&DL, one, 1), DL.error); }
        T("tp_net_load/path-%s", fname[i]) want_err(tp_net_load(&N, files[i], NULL, 0, NULL), N.error);
    }
    T("tp_load_cifar10/ds-NULL") { const char *one[1]; one[0] = p[1]; want_err(tp_load_cifar10(NULL, one, 1), NULL); }
    T("tp_load_cifar10/paths-NULL") want_err(tp_load_cifar10(&DL, NULL, 1), DL.error);
    T("tp_load_cifar10/n_paths-0") want_err(tp_load_cifar10(&DL, nothing, 0), DL.error);
    T("tp_load_cifar10/n_paths-negative") want_err(tp_load_cifar10(&DL, nothing, -1), DL.error);
    T("tp_load_records/ds-NULL") want_err(tp_load_records(NULL, nothing, 1, 2, 2, 1, 2), NULL);
    T("tp_load_records/paths-NULL") want_err(tp_load_records(&DL, NULL, 1, 2, 2, 1, 2), DL.error);
    T("tp_load_records/n_paths-INT_MIN") want_err(tp_load_records(&DL, nothing, INT_MIN, 2, 2, 1, 2), DL.error);
    T("tp_load_records/path-NULL") want_err(tp_load_records(&DL, nothing, 1, 2, 2, 1, 2), DL.error);
    for (size_t i = 0; i < sizeof shp / sizeof shp[0]; i++)
        T("tp_load_records/h%d,w%d,c%d,classes%d", shp[i][0], shp[i][1], shp[i][2], shp[i][3]) {
            const char *one[1]; one[0] = p[1];
            want_err(tp_load_records(&DL, one, 1, shp[i][0], shp[i][1], shp[i][2], shp[i][3]), DL.error);
        }
    T("tp_dataset_check/NULL") want_err(tp_dataset_check(NULL), NULL);
    T("tp_dataset_check/zeroed") want_err(tp_dataset_check(&DL), DL.error);
    T("tp_dataset_batch/ds-NULL") want_err(tp_dataset_batch(NULL, idx, 2, A, W), NULL);
    T("tp_dataset_batch/ds-zeroed") want_err(tp_dataset_batch(&DL, idx, 1, A, W), DL.error);
    for (int m = 0; m < 10; m++)   /* a dataset of one's own arrays, one field wrong, through the three that read one */
        for (int f = 0; f < 3; f++) {
            if (f == 1 && (m == 1 || m == 2)) continue;   /* tp_dataset_batch reads dim alone */
            T("%s/ds.%s", f == 0 ? "tp_dataset_check" : f == 1 ? "tp_dataset_batch" : "tp_evaluate_dataset", mname[m]) {
                switch (m) {
                case 0: D.n = -1; break;           case 1: D.dim = 5; break;          case 2: D.h = D.w = D.c = 65536; D.dim = 0; break;
                case 3: D.x = NULL; break;         case 4: D.y = NULL; break;         case 5: LAB[1] = 7; break;
                case 6: D.n_classes = 0; break;    case 7: D.n_classes = -3; break;   case 8: D.n_classes = INT_MAX; break;
                default: D.dim = -1; break;
                }
                if (f == 2) bp();
                want_err(f == 0 ? tp_dataset_check(&D) : f == 1 ? tp_dataset_batch(&D, idx, 2, A, W) : tp_evaluate_dataset(&N, &D, NULL, NULL),
                         f == 2 ? N.error : D.error);
            }
        }
    T("tp_dataset_free/NULL") tp_dataset_free(NULL);
    T("tp_dataset_free/zeroed") tp_dataset_free(&DL);
    T("tp_dataset_free/twice") { DL.x = (float *)mis_malloc(16); DL.y = (uint16_t *)mis_malloc(8); DL.n = 1; tp_dataset_free(&DL); tp_dataset_free(&DL); }
    static const int cs[4] = {0, -1, 99, 7};   /* none, negative, beyond TP_MAX_CHANNELS, not dividing dim */
    T("tp_dataset_channel_stats/ds-NULL") want_err(tp_dataset_channel_stats(NULL, A, W), NULL);
    T("tp_dataset_channel_stats/ds-zeroed") want_err(tp_dataset_channel_stats(&DL, A, W), DL.error);
    T("tp_dataset_channel_stats/mean-NULL") want_err(tp_dataset_channel_stats(&D, NULL, W), D.error);
    T("tp_dataset_channel_stats/std-NULL") want_err(tp_dataset_channel_stats(&D, A, NULL), D.error);
    for (int k = 0; k < 4; k++)
        T("tp_dataset_channel_stats/c-%d", cs[k]) {
            tp_dataset d = D;
            d.c = cs[k];
            want_err(tp_dataset_channel_stats(&d, A, W), d.error);
        }
    T("tp_dataset_channel_stats/ok") want_ok(tp_dataset_channel_stats(&D, A, W), D.error);
    T("tp_dataset_batch/idx-NULL") want_err(tp_dataset_batch(&D, NULL, 2, A, W), D.error);
    T("tp_dataset_batch/x-NULL") want_err(tp_dataset_batch(&D, idx, 2, NULL, W), D.error);
    T("tp_dataset_batch/batch-negative") want_err(tp_dataset_batch(&D, idx, -1, A, W), D.error);
    T("tp_dataset_batch/batch-INT_MIN") want_err(tp_dataset_batch(&D, idx, INT_MIN, A, W), D.error);
    T("tp_dataset_batch/batch-0") want_ok(tp_dataset_batch(&D, idx, 0, A, W), D.error);
    for (int i = 0; i < 4; i++)
        T("tp_dataset_batch/idx-%d", idx_bad[i]) { idx[1] = idx_bad[i]; want_err(tp_dataset_batch(&D, idx, 2, A, W), D.error); }
    T("tp_shuffle/rng-NULL") tp_shuffle(NULL, O, 4);
    T("tp_shuffle/order-NULL") tp_shuffle(&R, NULL, 4);
    T("tp_shuffle/order-NULL,n-0") tp_shuffle(&R, NULL, 0);
    T("tp_shuffle/n-negative") tp_shuffle(&R, O, -1);
    T("tp_shuffle/n-INT_MIN") tp_shuffle(&R, O, INT_MIN);
    for (size_t i = 0; i < sizeof aug / sizeof aug[0]; i++)
        T("tp_augment_crop_flip/batch%d,h%d,w%d,c%d,pad%d", aug[i][0], aug[i][1], aug[i][2], aug[i][3], aug[i][4])
            tp_augment_crop_flip(&R, X, aug[i][0], aug[i][1], aug[i][2], aug[i][3], aug[i][4]);
    T("tp_augment_crop_flip/rng-NULL") tp_augment_crop_flip(NULL, X, 2, 2, 2, 1, 1);
    T("tp_augment_crop_flip/x-NULL") tp_augment_crop_flip(&R, NULL, 2, 2, 2, 1, 1);

    /* checkpoints: P1 holds a valid one (4 bytes of user blob), written by main */
    static char longpath[2000];
    memset(longpath, 'a', sizeof longpath - 1);
    snprintf(p[0], sizeof p[0], "%s/ck-copy", dir); snprintf(p[2], sizeof p[2], "%s/blocked", dir); snprintf(p[3], sizeof p[3], "%s/dangle", dir);
    const char *spath[] = {NULL, "", longpath, dir, "/nonexistent/dir/ck", p[2]};
    const char *sname[] = {"NULL", "empty", "2000-chars", "directory", "in-missing-dir", "whose-.tmp-is-a-directory"};
    for (int i = 0; i < 6; i++) T("tp_net_save/path-%s", sname[i]) want_err(tp_net_save(bp(), spath[i], NULL, 0), N.error);
    T("tp_net_save/user-NULL,len-5") want_err(tp_net_save(bp(), p[0], NULL, 5), N.error);
    T("tp_net_save/user-NULL,len-SIZE_MAX") want_err(tp_net_save(bp(), p[0], NULL, SIZE_MAX), N.error);
    T("tp_net_load/net-NULL") want_err(tp_net_load(NULL, P1, NULL, 0, NULL), NULL);
    T("tp_net_load/user-cap-0") {
        size_t len = 0; int u = 0;
        want_err(tp_net_load(&N, P1, &u, 0, &len), N.error);
        FAILIF(len != 4, "*user_len %lu, expected 4", (unsigned long)len);
    }
    T("tp_net_load/user-NULL,cap-SIZE_MAX,len-NULL") want_ok(tp_net_load(&N, P1, NULL, SIZE_MAX, NULL), N.error);
    T("tp_net_load/then-train-and-destroy-twice") {
        want_ok(tp_net_load(&N, P1, NULL, 0, NULL), N.error);
        want_ok(tp_train_step(&N, X, Y, 2, TP_PHASE_BOTH, NULL), N.error);
        tp_net_destroy(&N); tp_net_destroy(&N);
    }
    for (int e = 0; e < 2; e++) {
        char *err = e ? P2 : NULL;
        const char *en = e ? "" : ",error-NULL";
        T("tp_output_path/path-NULL%s", en) want_err(tp_output_path(NULL, E, sizeof E, err), err);
        T("tp_output_path/out-NULL%s", en) want_err(tp_output_path(P1, NULL, 10, err), err);
        T("tp_output_path/cap-0%s", en) want_err(tp_output_path(P1, E, 0, err), err);
        T("tp_output_path/cap-1%s", en) want_err(tp_output_path(P1, E, 1, err), err);
        T("tp_output_path/path-empty%s", en) want_err(tp_output_path("", E, sizeof E, err), err);
        T("tp_output_path/directory%s", en) want_err(tp_output_path("/", E, sizeof E, err), err);
        T("tp_output_path/dangling-link%s", en) want_err(tp_output_path(p[3], E, sizeof E, err), err);
        T("tp_spec_normalise/spec-NULL%s", en) want_err(tp_spec_normalise(NULL, E, sizeof E, err), err);
        T("tp_spec_normalise/out-NULL%s", en) want_err(tp_spec_normalise("4 fc3", NULL, 10, err), err);
        T("tp_spec_normalise/cap-1%s", en) want_err(tp_spec_normalise("4 fc3", E, 1, err), err);
        T("tp_spec_normalise/bad-spec%s", en) want_err(tp_spec_normalise("4 fc3 banana", E, sizeof E, err), err);
        T("tp_config_check/cfg-NULL%s", en) want_err(tp_config_check(NULL, err), err);
        {
            static const double v2[2] = {1, 2}, bad[2] = {NAN, -1};
            tp_config d = tp_config_default(TP_LDRL), bp = tp_config_default(TP_BP);
            const char *sp = "4 fc3 fc3 fc2";   /* feedback on layers 2 and 3 */
            T("tp_config_layers/cfg-NULL%s", en) want_err(tp_config_layers(NULL, sp, TP_SET_ITERS, v2, 2, err), err);
            T("tp_config_layers/spec-NULL%s", en) want_err(tp_config_layers(&d, NULL, TP_SET_ITERS, v2, 2, err), err);
            T("tp_config_layers/values-NULL%s", en) want_err(tp_config_layers(&d, sp, TP_SET_ITERS, NULL, 2, err), err);
            T("tp_config_layers/setting-999%s", en) want_err(tp_config_layers(&d, sp, (tp_layer_setting)999, v2, 2, err), err);
            T("tp_config_layers/n-0%s", en) want_err(tp_config_layers(&d, sp, TP_SET_ITERS, v2, 0, err), err);
            T("tp_config_layers/n-negative%s", en) want_err(tp_config_layers(&d, sp, TP_SET_SIGMA, v2, -1, err), err);
            T("tp_config_layers/n-3-of-2%s", en) want_err(tp_config_layers(&d, sp, TP_SET_LR, v2, 3, err), err);
            T("tp_config_layers/NaN%s", en) want_err(tp_config_layers(&d, sp, TP_SET_SIGMA, bad, 2, err), err);
            T("tp_config_layers/negative%s", en) want_err(tp_config_layers(&d, sp, TP_SET_LR, bad + 1, 1, err), err);
            T("tp_config_layers/bad-spec%s", en) want_err(tp_config_layers(&d, "4 fc3 banana", TP_SET_ITERS, v2, 1, err), err);
            T("tp_config_layers/bp%s", en) want_err(tp_config_layers(&bp, sp, TP_SET_ITERS, v2, 1, err), err);
            T("tp_config_layers/ok,then-create%s", en) {
                want_ok(tp_config_layers(&d, sp, TP_SET_ITERS, v2, 2, err), err);
                d.max_batch = 4;
                want_ok(tp_net_create(&N, sp, &d), N.error);
            }
        }
        T("tp_config_check/zeroed%s", en) {
            tp_config z;
            memset(&z, 0, sizeof z);
            want_err(tp_config_check(&z, err), err);
        }
    }
    T("tp_layer_macs/l-NULL") FAILIF(tp_layer_macs(NULL, 4) != 0.0, "returned %g", tp_layer_macs(NULL, 4));
}

/* ================================================================ part B ============== */

static void part_b(void)
{
    static const char *rname[] = {"bp", "fa", "dfa", "tp", "ss", "kp", "wm", "drtp"};
    static void (*const rfn[])(tp_net *, const float *, int) = {tp_rule_bp, tp_rule_fa, tp_rule_dfa, tp_rule_tp,
                                                               tp_rule_ss, tp_rule_kp, tp_rule_wm, tp_rule_drtp};
    static const tp_rule rown[] = {TP_BP, TP_FA, TP_DFA, TP_SDTP, TP_SS, TP_KP, TP_WM, TP_DRTP};
    static const struct { const char *name; int opt, p, g, m1, m2, n; } ad[] = {
        {"opt-NULL", 0, 1, 1, 1, 1, 4}, {"p-NULL", 1, 0, 1, 1, 1, 4}, {"g-NULL", 1, 1, 0, 1, 1, 4},
        {"m1-NULL", 1, 1, 1, 0, 1, 4}, {"m2-NULL", 1, 1, 1, 1, 0, 4}, {"all-NULL,n-0", 0, 0, 0, 0, 0, 0}};
    static const struct { const char *name; int what; double v; } ao[] = {
        {"t-LONG_MAX", 6, 0}, {"beta1-1", 2, 1}, {"eps-0", 4, 0}, {"lr-NaN", 1, NAN}, {"lr-inf", 1, INFINITY},
        {"beta2-NaN", 3, NAN}, {"decay-NaN", 5, NAN}};
    static const char *kspec[] = {SPEC, "4x4x1 conv3x3/2 fc2", "4x4x1 lc3x3/2 fc2", "4x4x1 maxpool2x2 fc2"};
    static const char *kname[] = {"fc", "conv", "lc", "maxpool"};
    static const char *karg[] = {"l-NULL", "l-zeroed", "l.kind-999", "w-NULL", "x-NULL", "out-NULL", "batch-negative", "scratch-NULL", "sw-NULL"};
    static const struct { const char *name; int a, b, rows, n, nb; } bc[] = {
        {"a,d-NULL", 0, 1, 2, 4, 2}, {"b,db-NULL", 1, 0, 2, 4, 2}, {"rows-negative", 1, 1, -1, 4, 2}, {"n-negative", 1, 1, 2, -4, 2},
        {"nb-negative", 1, 1, 2, 4, -2}, {"nb-larger-than-n", 1, 1, 2, 2, 4}, {"n-3,nb-2", 1, 1, 1, 3, 2}};
    static const char *opn[] = {"tp_layer_forward", "tp_layer_transpose", "tp_layer_weight_grad", "tp_layer_scratch"};
    static const struct { const char *name; int m, n, k, a, b, c, lda; } gc[] = {
        {"a-NULL", 2, 2, 2, 0, 1, 1, 2}, {"b-NULL", 2, 2, 2, 1, 0, 1, 2}, {"c-NULL", 2, 2, 2, 1, 1, 0, 2},
        {"m-negative", -1, 2, 2, 1, 1, 1, 2}, {"k-negative", 2, 2, -1, 1, 1, 1, 2}, {"lda-negative", 2, 2, 2, 1, 1, 1, -1},
        {"m-INT_MIN", INT_MIN, 2, 2, 1, 1, 1, 2}, {"all-NULL,m-0", 0, 2, 2, 0, 0, 0, 2}};
    static char longs[3000];
    memset(longs, 'x', sizeof longs - 1); longs[5] = (char)0xff;
    T("tp_rule_count") FAILIF(tp_rule_count() < 1, "%d", tp_rule_count());
    for (int v = -1; v <= 999; v += 1000) {
        T("tp_rule_name/%d", v) FAILIF(strcmp(tp_rule_name((tp_rule)v), "?") != 0, "not \"?\"");
        T("tp_rule_info/%d", v) FAILIF(tp_rule_info((tp_rule)v) != NULL, "not NULL");
        T("tp_schedule_name/%d", v) FAILIF(strcmp(tp_schedule_name((tp_schedule)v), "?") != 0, "not \"?\"");
        T("tp_kind_info/%d", v) FAILIF(tp_kind_info((tp_kind)v) != NULL, "not NULL");
        T("tp_act_name/%d", v) FAILIF(!tp_act_name((tp_act)v), "NULL");
    }
    T("tp_rule_list/buf-NULL") FAILIF(!tp_rule_list(NULL, 10), "NULL");
    T("tp_rule_list/buf-NULL,cap-SIZE_MAX") FAILIF(!tp_rule_list(NULL, SIZE_MAX), "NULL");
    T("tp_rule_list/cap-0") { E[0] = 'z'; tp_rule_list(E, 0); FAILIF(E[0] != 'z', "wrote into a buffer of 0 bytes"); }
    T("tp_rule_list/cap-1") { const char *s = tp_rule_list(E, 1); FAILIF(!s || strlen(s) > 0, "not empty"); }
    T("tp_rule_list/cap-5") { const char *s = tp_rule_list(E, 5); FAILIF(!s || strlen(s) > 4, "longer than 4"); }
    for (int f = 0; f < 2; f++) {
        const char *fn = f ? "tp_schedule_parse" : "tp_rule_parse";
        tp_rule r; tp_schedule s;
#define PARSE(str, out, err) (f ? tp_schedule_parse(str, out ? &s : NULL, err) : tp_rule_parse(str, out ? &r : NULL, err))
        T("%s/s-NULL", fn) want_err(PARSE(NULL, 1, E), E);
        T("%s/s-NULL,error-NULL", fn) want_err(PARSE(NULL, 1, NULL), NULL);
        T("%s/out-NULL", fn) want_err(PARSE(f ? "parallel" : "bp", 0, E), E);
        T("%s/s-empty", fn) want_err(PARSE("", 1, E), E);
        T("%s/s-3000-chars", fn) want_err(PARSE(longs, 1, E), E);
    }
    T("tp_preset/NULL") FAILIF(tp_preset(NULL) != NULL, "not NULL");
    T("tp_preset/3000-chars") FAILIF(tp_preset(longs) != NULL, "not NULL");
    T("tp_net_plan/spec-NULL") want_err(tp_net_plan(NULL, &C, NULL, E), E);
    T("tp_net_plan/spec-NULL,error-NULL") want_err(tp_net_plan(NULL, &C, NULL, NULL), NULL);
    T("tp_net_plan/cfg-NULL") want_err(tp_net_plan(SPEC, NULL, NULL, E), E);
    T("tp_net_plan/spec-bad") { size_t b = 7; want_err(tp_net_plan("4 fc0", &C, &b, E), E); }
    T("tp_net_plan/cfg-eps-0") { C.forward.eps = 0; want_err(tp_net_plan(SPEC, &C, NULL, E), E); }
    T("tp_net_plan/bytes-NULL") want_ok(tp_net_plan(SPEC, &C, NULL, NULL), NULL);
    T("tp_net_plan/imagenet,max_batch-1e6") { size_t b = 0; C.max_batch = 1000000; tp_net_plan("imagenet-conv", &C, &b, E); }
    T("tp_step_macs/per_layer-NULL") FAILIF(!(tp_step_macs(mk(TP_SDTP, SPEC), NULL) > 0), "not > 0");

    /* the steps of a training step: tp_forward checks, the rest are programmer contracts */
    T("tp_forward/x-NULL") want_err(tp_forward(bp(), NULL, 2), N.error);
    T("tp_forward/batch-0") want_err(tp_forward(bp(), X, 0), N.error);
    T("tp_forward/batch-INT_MAX") want_err(tp_forward(bp(), X, INT_MAX), N.error);
    T("tp_forward/x-NaN") { X[0] = NAN; want_err(tp_forward(bp(), X, 2), N.error); }
    TA("tp_task_loss/net-NULL") tp_task_loss(NULL, Y, 2, NULL);
    TA("tp_task_loss/net-zeroed") tp_task_loss(&N, Y, 2, NULL);
    TA("tp_task_loss/net-destroyed") tp_task_loss(mkd(), Y, 2, NULL);
    TA("tp_task_loss/before-forward") tp_task_loss(bp(), Y, 2, NULL);
    TA("tp_task_loss/y-NULL") { tp_forward(bp(), X, 2); tp_task_loss(&N, NULL, 2, NULL); }
    TA("tp_task_loss/batch-other-than-forward") { tp_forward(bp(), X, 2); tp_task_loss(&N, Y, 3, NULL); }
    TA("tp_task_loss/batch-negative") { tp_forward(bp(), X, 2); tp_task_loss(&N, Y, -1, NULL); }
    for (int i = 0; i < 9; i++) {   /* the eight rules, and tp_inverse_grads */
        const char *fn = i < 8 ? "tp_rule_" : "tp_inverse_grads", *rn = i < 8 ? rname[i] : "";
        tp_rule own = i < 8 ? rown[i] : TP_SDTP;
#define RUN_RULE(net, y, b) (i < 8 ? rfn[i](net, y, b) : (void)tp_inverse_grads(net, y, b))
        TA("%s%s/net-NULL", fn, rn) RUN_RULE(NULL, Y, 2);
        TA("%s%s/net-zeroed", fn, rn) RUN_RULE(&N, Y, 2);
        TA("%s%s/net-destroyed-after-forward", fn, rn) { ready(own, 2); tp_net_destroy(&N); RUN_RULE(&N, Y, 2); }
        TA("%s%s/before-forward", fn, rn) RUN_RULE(mk(own, SPEC), Y, 2);
        TA("%s%s/batch-mismatch", fn, rn) RUN_RULE(ready(own, 2), Y, 3);
        TA("%s%s/y-NULL", fn, rn) RUN_RULE(ready(own, 2), NULL, 2);
        TA("%s%s/on-a-%s-net", fn, rn, i == 0 ? "dfa" : "bp") RUN_RULE(ready(i == 0 ? TP_DFA : TP_BP, 2), Y, 2);
        TA("%s%s/maxpool-net", fn, rn) {   /* a net this rule cannot have is no failure here */
            tp_config c = tp_config_default(own);
            c.max_batch = 4;
            if (tp_net_create(&N, "4x4x1 conv3x3/2 maxpool2x2 fc2", &c) == TP_OK) {
                tp_forward(&N, X, 2); tp_task_loss(&N, Y, 2, NULL); RUN_RULE(&N, Y, 2);
            }
        }
    }
    for (size_t i = 0; i < sizeof ad / sizeof ad[0]; i++)
        TA("tp_optim_step/%s", ad[i].name) {
            tp_optim o = C.forward;
            tp_optim_step(ad[i].opt ? &o : NULL, ad[i].p ? W : NULL, ad[i].g ? X : NULL, ad[i].m1 ? A : NULL, ad[i].m2 ? A + 64 : NULL, (size_t)ad[i].n);
        }
    for (size_t i = 0; i < sizeof ao / sizeof ao[0]; i++)
        TA("tp_optim_step/%s", ao[i].name) {
            tp_optim o = cfg_with(ao[i].what, ao[i].v).forward;
            int bad;
            if (ao[i].what == 6) o.t = LONG_MAX;
            memset(W, 0, sizeof W); memset(A, 0, sizeof A); X[0] = 0;   /* a zero gradient: 0/0 where eps is 0 */
            bad = tp_optim_step(&o, W, X, A, A + 64, 4);
            for (int j = 0; j < 4; j++) FAILIF(!bad && !isfinite(W[j]), "p[%d] = %g but returned 0", j, (double)W[j]);
        }
    TA("tp_optim_step/sgd,p-NULL") { tp_optim o = C.forward; o.kind = TP_SGD; tp_optim_step(&o, NULL, X, NULL, NULL, 4); }

    /* layer kernels: l-NULL, l-zeroed and l.kind-999 once, the rest for every kind */
    for (int k = 0; k < 4; k++)
        for (int a = 0; a < 9; a++)
            for (int op = 0; op < 4; op++) {
                if ((a <= 2 && k > 0) || (a == 8 && k != 3) || (op == 3 && a > 2 && a != 6)) continue;
                TA("%s/%s%s%s", opn[op], a > 2 ? kname[k] : "", a > 2 ? "," : "", karg[a]) {
                    static float scr[4096], out[4 * 64];
                    tp_layer l;
                    tp_forward(mk(TP_BP, kspec[k]), X, 4);
                    l = N.layers[0];
                    if (a == 1) memset(&l, 0, sizeof l);
                    if (a == 2) l.kind = (tp_kind)999;
                    if (a == 8) l.sw = NULL;
                    const tp_layer *lp = a == 0 ? NULL : &l;
                    const float *w = a == 3 ? NULL : l.w, *x = a == 4 ? NULL : X;
                    float *o = a == 5 ? NULL : out, *s = a == 7 ? NULL : scr;
                    int b = a == 6 ? -1 : 4;
                    if (op == 0) tp_layer_forward(lp, w, x, o, b, s);
                    else if (op == 1) tp_layer_transpose(lp, w, x, o, b, s);
                    else if (op == 2) tp_layer_weight_grad(lp, x, x, a == 5 ? NULL : W, b, s);
                    else { size_t n = tp_layer_scratch(lp, b); FAILIF((a == 0 || a == 6) && n != 0, "returned %lu", (unsigned long)n); }
                }
            }
    for (int g = 0; g < 2; g++)   /* rows x n activations and nb biases, each at the very end of an array */
        for (size_t i = 0; i < sizeof bc / sizeof bc[0]; i++)
            TA("%s/%s", g ? "tp_bias_grad" : "tp_add_bias", bc[i].name) {
                static float act[16], bias[8];
                int rn = bc[i].rows * bc[i].n, nb = bc[i].nb;
                float *a = bc[i].a ? act + 16 - (rn > 0 ? rn : 0) : NULL, *b = bc[i].b ? bias + 8 - (nb > 0 ? nb : 0) : NULL;
                for (int j = 0; j < 16; j++) act[j] = (float)(j + 1);
                if (g) tp_bias_grad(a, b, bc[i].rows, bc[i].n, nb); else tp_add_bias(a, b, bc[i].rows, bc[i].n, nb);
                if (g && i == 6)   /* db[j % nb] += sum_r d[r][j]: db[0] gets columns 0 and 2 */
                    FAILIF(b[0] != 14 + 16 || b[1] != 15, "db = {%g, %g}, expected {30, 15}", (double)b[0], (double)b[1]);
            }
    for (int g = 0; g < 2; g++) {
        const char *gn = g ? "tp_gemm_ref" : "tp_gemm";
        for (size_t i = 0; i < sizeof gc / sizeof gc[0]; i++)
            TA("%s/%s", gn, gc[i].name) (g ? tp_gemm_ref : tp_gemm)(0, 0, gc[i].m, gc[i].n, gc[i].k, gc[i].a ? X : NULL, gc[i].lda,
                                                                    gc[i].b ? X : NULL, 2, 0, gc[i].c ? A : NULL, 2);
        TA("%s/k-0-gives-zero", gn) {
            for (int i = 0; i < 4; i++) A[i] = 5;
            (g ? tp_gemm_ref : tp_gemm)(0, 0, 2, 2, 0, X, 2, X, 2, 0, A, 2);
            FAILIF(A[0] != 0 || A[3] != 0, "C = {%g, .., %g}, expected 0", (double)A[0], (double)A[3]);
        }
    }
    T("tp_get_threads") FAILIF(tp_get_threads() < 1, "%d", tp_get_threads());
    for (int f = 0; f < 2; f++) {
        const char *fn = f ? "tp_act_backward" : "tp_act_forward";
#define ACT(act, h, d, n) (f ? tp_act_backward(act, h, d, n) : tp_act_forward(act, d, n))
        TA("%s/act-999", fn) ACT((tp_act)999, X, A, 4);
        TA("%s/act-negative", fn) ACT((tp_act)-1, X, A, 4);
        TA("%s/h-NULL", fn) f ? tp_act_backward(TP_TANH, NULL, A, 4) : tp_act_forward(TP_TANH, NULL, 4);
        if (f) TA("%s/d-NULL", fn) tp_act_backward(TP_TANH, X, NULL, 4);
        TA("%s/NULL,n-SIZE_MAX", fn) ACT(TP_RELU, NULL, NULL, SIZE_MAX);
        TA("%s/NULL,n-0", fn) ACT(TP_ELU, NULL, NULL, 0);
    }
    T("tp_rng_seed/NULL") tp_rng_seed(NULL, 1);
    T("tp_rng_u64/NULL") tp_rng_u64(NULL);
    T("tp_rng_uniform/NULL") tp_rng_uniform(NULL);
    T("tp_rng_normal/NULL") tp_rng_normal(NULL);
    T("tp_rng_normal/seed-UINT64_MAX") { tp_rng_seed(&R, UINT64_MAX); float z = tp_rng_normal(&R); FAILIF(!isfinite(z), "%g", (double)z); }
    T("tp_crc32/NULL,n-0") FAILIF(tp_crc32(0, NULL, 0) != 0, "not 0");
    T("tp_crc32/NULL,n-16") tp_crc32(0, NULL, 16);
    T("tp_crc32/crc-UINT32_MAX") tp_crc32(UINT32_MAX, "abc", 3);
}

int main(void)
{
    char path[200], to[220], buf[100];
    FILE *f;
    tp_net net;
    tp_config cfg = tp_config_default(TP_BP);
    int user = 42;
    size_t n;
    snprintf(dir, sizeof dir, "%s/tp-misuse-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) { printf("FAIL setup: mkdtemp %s\n", dir); return 1; }
    snprintf(path, sizeof path, "%s/empty", dir); if ((f = fopen(path, "wb"))) fclose(f);
    snprintf(path, sizeof path, "%s/junk", dir); if ((f = fopen(path, "wb"))) { fputs("junk\n", f); fclose(f); }
    snprintf(path, sizeof path, "%s/d", dir); mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/blocked.tmp", dir); mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/dangle", dir); snprintf(to, sizeof to, "%s/nothing", dir);
    if (symlink(to, path) != 0) printf("note: cannot make a symbolic link\n");
    cfg.max_batch = 4;
    snprintf(path, sizeof path, "%s/ck", dir);
    if (tp_net_create(&net, SPEC, &cfg) != TP_OK || tp_net_save(&net, path, &user, sizeof user) != TP_OK) {
        printf("FAIL setup: cannot write %s: %s\n", path, net.error);
        return 1;
    }
    tp_net_destroy(&net);
    n = (f = fopen(path, "rb")) ? fread(buf, 1, sizeof buf, f) : 0;   /* its first 100 bytes */
    if (f) fclose(f);
    snprintf(to, sizeof to, "%s/trunc", dir);
    if ((f = fopen(to, "wb"))) { fwrite(buf, 1, n, f); fclose(f); }
    part_a();
    part_data();
    part_b();
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    if (system(path) != 0) printf("note: cannot remove %s\n", dir);
    printf("misuse: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
