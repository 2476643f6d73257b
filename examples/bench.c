/* bench: training throughput of targetprop.h for every preset net and learning rule,
   beside the PyTorch peer when it is installed.

     make bench                       (or: make build/bench && ./build/bench)
     ./build/bench --quick --nets mnist-fc --rules bp,dtp
     ./build/bench --flops mnist-lc aosdtp      the FLOP count of one step, layer by layer

   Every case (net, rule, threads) runs in a fresh child process (this program re-executed
   as `bench --case NET RULE THREADS`), so its peak resident memory is its own and its
   OpenMP thread count is set before any parallel region. The child trains on synthetic
   data (uniform pixels, random one-hot labels): a few warm-up steps, then R repetitions
   of S steps, S chosen from the warm-up so one repetition lasts about half a second, and
   it reports the median examples/s of the repetitions. The driver sweeps all the cases
   (each followed by the peer's run of it) several times and reports, per case, the fastest
   round: a shared machine's slow minutes then spoil a round, not a case. The CSV keeps
   every round's figure.
   Before the cases it prints the instruction set the build targeted (the compiler's macros)
   beside what the CPU reports, and measures an FMA ceiling per thread count: a plain-C loop
   of independent multiply-add chains (bench_fma_chains), vectorised like the library's
   kernels, so GFLOP/s can be read as a fraction of what this build can reach here.
   Run ./build/bench --help. */
#define _POSIX_C_SOURCE 200809L
#define TARGETPROP_IMPLEMENTATION
#include "targetprop.h"
#include "cli.h"
#include "run.h"   /* ex_now: the examples' one clock */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define BENCH_TAG "tp-bench-case"
#define BENCH_MAX_ITEMS 32


static void usage(FILE *f)
{
    fprintf(f,
"usage: bench [options]\n"
"Training throughput (examples/s, GFLOP/s, peak memory) of targetprop.h, one fresh process\n"
"per case, beside the PyTorch peer (tools/bench-peer.sh) when torch and the peer are found.\n"
"GFLOP/s are also given as a percentage of a measured FMA ceiling (%%ceil), per thread count.\n"
"\n"
"  --nets LIST       presets, comma-separated (default mnist-fc,mnist-lc,cifar-lc,mnist-conv,\n"
"                    cifar-conv; the -conv twins run bp only unless --rules is given)\n"
"  --rules LIST      comma-separated rules (default every rule of the library; parallel schedule)\n"
"  --threads LIST    OpenMP thread counts (default 1,2)\n"
"  --batch N         minibatch size (default 128)\n"
"  --reps N          timed repetitions per case and round (default 3)\n"
"  --rounds N        sweeps over all the cases and the dense-kernel table, ours and the peer's\n"
"                    alike (default 3; quick 1),\n"
"                    the later ones in shuffled orders; each figure is the fastest round's\n"
"                    median repetition (a disturbed machine only ever slows a round down)\n"
"  --steps N         steps per repetition (default: chosen so a repetition lasts --target s)\n"
"  --target S        seconds per repetition when --steps is not given (default 0.5)\n"
"  --quick           one round, 3 repetitions of about 0.25 s, a shorter peer run (a smoke test)\n"
"  --sgd-cosine      train with SGD, Nesterov momentum 0.9, L2 1e-4 and a cosine over 10,000 steps (both\n"
"                    weight sets) instead of Adam: what the recipes' optimisers and schedules cost\n"
"  --out FILE        CSV, one line per case (default build/bench.csv):\n"
"                    net,rule,threads,examples_per_s,gflops,peak_rss_mb,peer_examples_per_s,ratio,\n"
"                    examples_per_s_rounds,peer_examples_per_s_rounds (every round's figure, a;b;c),\n"
"                    fma_ceiling_gflops,fraction_of_ceiling,time_vs_bp (the x BP column)\n"
"  --no-peer         do not run the PyTorch peer\n"
"  --no-gemm         skip the dense-kernel table (tp_gemm beside OpenBLAS sgemm at the FC shapes)\n"
"  --gemm-out FILE   its CSV (default build/bench-gemm.csv):\n"
"                    product,ta,tb,m,n,k,threads,gflops,openblas_gflops,ratio,fma_ceiling_gflops,\n"
"                    fraction_of_ceiling\n"
"  --peer PATH       the peer script torch_tp.py (default: $TP_PEER, else\n"
"                    ../shared/peer/torch_tp.py relative to the repository root)\n"
"  --flops NET RULE  print the multiply-adds of one training step per layer and exit\n"
"  --ceiling         print the instruction set and the FMA ceiling at each --threads count, exit\n"
"  --case NET RULE THREADS   run one case in this process (what the driver runs)\n"
"  -h, --help        this text\n"
"\n"
"GFLOP/s counts 2 FLOPs per multiply-add of the matrix products (tp_step_macs in\n"
"targetprop.h); element-wise work (activations, Adam, noise, im2col) is not counted.\n"
"x BP is the time of the rule's training step over BP's, same net and threads, when BP is\n"
"in the run.\n");
}

/* ------------------------------------------------------------------ FLOP count ------ */

/* Multiply-adds per example of one tp_train_step(..., TP_PHASE_BOTH, ...): the library's own
   count (tp_step_macs), which each rule's row in targetprop.h's rule table supplies: the forward
   pass and weight gradients of every layer, plus what the rule spends propagating errors or
   targets to the layer and training its learned feedback, each made of the layers' M_l
   (tp_layer_macs: 0 for a layer without weights). Only the matrix products are counted;
   GFLOP/s = 2 * MACs * ex/s / 1e9. */
static int bench_print_flops(const char *netname, const char *rulename)
{
    tp_rule rule;
    tp_config cfg;
    tp_net net;
    tp_cost per[TP_MAX_LAYERS];
    double total, f = 0, w = 0, p = 0, v = 0;
    char err[TP_ERROR_LEN];
    if (tp_rule_parse(rulename, &rule, err) != TP_OK) { fprintf(stderr, "bench: --flops: %s\n", err); return 2; }
    cfg = tp_config_default(rule);
    cfg.max_batch = 1;
    if (tp_net_create(&net, netname, &cfg) != TP_OK) { fprintf(stderr, "bench: --flops: %s\n", net.error); return 2; }
    total = tp_step_macs(&net, per);
    printf("%s, rule %s: multiply-adds of one training step, per example\n", net.spec, rulename);
    printf("%-6s %-6s %12s %12s %12s %12s %12s %12s\n", "layer", "kind", "M_l", "forward", "weight-grad",
           "propagate", "inverse", "sum");
    for (int l = 0; l < net.n_layers; l++) {
        const tp_layer *ly = &net.layers[l];
        const tp_cost *c = &per[l];
        printf("%-6d %-6s %12.0f %12.0f %12.0f %12.0f %12.0f %12.0f\n", l + 1, tp_kind_info(ly->kind)->name,
               tp_layer_macs(ly, ly->out_c), c->fwd, c->wgrad, c->prop, c->inv,
               c->fwd + c->wgrad + c->prop + c->inv);
        f += c->fwd; w += c->wgrad; p += c->prop; v += c->inv;
    }
    printf("%-6s %-6s %12.0f %12.0f %12.0f %12.0f %12.0f %12.0f\n", "total", "", tp_net_macs(&net), f, w, p, v, total);
    printf("%.2f MFLOP per example (2 per multiply-add), %.2f x the forward pass\n", 2e-6 * total,
           total / tp_net_macs(&net));
    tp_net_destroy(&net);
    return 0;
}

/* ------------------------------------------------------------------ the machine ----- */

#if defined(__AVX512F__)
#define BENCH_LANES 16
#elif defined(__AVX__)
#define BENCH_LANES 8
#elif defined(__SSE2__) || defined(__ARM_NEON) || defined(__aarch64__)
#define BENCH_LANES 4
#else
#define BENCH_LANES 1
#endif
#define BENCH_CHAINS 12

/* The instruction set this build was compiled for, from the compiler's macros (what the
   library's kernels were vectorised for), and the tile targetprop.h chose for it. */
static void bench_isa_build(char *out, size_t cap)
{
    snprintf(out, cap, "%s, vectors of %d floats, GEMM tile %d x %d, KC %d NC %d MC %d",
#if defined(__AVX512F__)
             "AVX-512F"
#elif defined(__AVX2__) && defined(__FMA__)
             "AVX2+FMA"
#elif defined(__AVX2__)
             "AVX2 (no FMA)"
#elif defined(__AVX__)
             "AVX"
#elif defined(__aarch64__) && defined(__ARM_NEON)
             "AArch64 NEON"
#elif defined(__ARM_NEON)
             "ARM32 NEON"
#elif defined(__SSE2__)
             "SSE2"
#else
             "scalar (no vector macros)"
#endif
             , BENCH_LANES, TP_MR, TP_NR, TP_KC, TP_NC, TP_MC);
}

/* What the CPU says it has: the vector flags of /proc/cpuinfo's "flags" (x86) or
   "Features" (ARM) line, or "unknown". */
static void bench_isa_cpu(char *out, size_t cap)
{
    static const char *const want[] = {"avx512f", "avx512vl", "avx2", "fma", "avx", "sse4_2", "sse2",
                                       "asimd", "neon", "vfpv4"};
    char line[8192];
    size_t len = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    snprintf(out, cap, "unknown (no /proc/cpuinfo)");
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) != 0 && strncmp(line, "Features", 8) != 0) continue;
        out[0] = '\0';
        for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
            const char *hit = line;
            size_t n = strlen(want[w]);
            while ((hit = strstr(hit, want[w])) != NULL) {   /* a whole word of the list */
                if ((hit == line || hit[-1] == ' ' || hit[-1] == '\t' || hit[-1] == ':') &&
                    (hit[n] == ' ' || hit[n] == '\n' || hit[n] == '\0'))
                    break;
                hit += n;
            }
            if (hit && len < cap) len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? " " : "", want[w]);
        }
        if (!len) snprintf(out, cap, "none of the vector flags");
        break;
    }
    fclose(f);
}

/* The FMA ceiling: BENCH_CHAINS independent chains of BENCH_LANES floats, each step
   acc = acc * m + c, a loop the compiler turns into one vector FMA per chain (with
   -ffp-contract=fast, the Makefile's) and keeps in registers. Twelve chains cover an FMA's
   latency times the units that issue it (4 cycles x 2 units needs 8) and fit in 16
   registers with the two operands. m and c come in as arguments so nothing folds; the sum
   goes back out so nothing is dropped. BENCH_LANES is the vector width the build targets. */

static float bench_fma_chains(long iters, float m, float c)
{
    float acc[BENCH_CHAINS][BENCH_LANES], s = 0.0f;
    for (int i = 0; i < BENCH_CHAINS; i++)
        for (int j = 0; j < BENCH_LANES; j++) acc[i][j] = 1e-3f * (float)(i * BENCH_LANES + j);
    for (long it = 0; it < iters; it++)
        for (int i = 0; i < BENCH_CHAINS; i++)
            for (int j = 0; j < BENCH_LANES; j++) acc[i][j] = acc[i][j] * m + c;
    for (int i = 0; i < BENCH_CHAINS; i++)
        for (int j = 0; j < BENCH_LANES; j++) s += acc[i][j];
    return s;
}

/* GFLOP/s of bench_fma_chains on `threads` threads at once (2 FLOPs per multiply-add),
   the best of 5 runs of about 0.1 s each. */
static double bench_fma_ceiling(int threads)
{
    volatile float m = 0.99999f, c = 1e-6f, sink = 0.0f;
    long iters = 1 << 16;
    double best = 0.0, t;
    for (;;) {   /* calibrate on one thread: about 0.1 s */
        double t0 = ex_now();
        sink = sink + bench_fma_chains(iters, m, c);
        t = ex_now() - t0;
        if (t > 0.02 || iters > LONG_MAX / 8) break;   /* no overflow on a 32-bit long */
        iters *= 4;
    }
    iters = (long)((double)iters * 0.1 / (t > 1e-6 ? t : 1e-6)) + 1;
    for (int r = 0; r < 5; r++) {
        double t0 = ex_now(), g;
        float part = 0.0f;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+:part)
#endif
        part += bench_fma_chains(iters, m, c);
        t = ex_now() - t0;
        sink = sink + part;
#ifdef _OPENMP
        g = 2.0 * BENCH_CHAINS * BENCH_LANES * (double)iters * threads / t / 1e9;
#else
        g = 2.0 * BENCH_CHAINS * BENCH_LANES * (double)iters / t / 1e9;   /* one thread, whatever asked */
        (void)threads;
#endif
        if (g > best) best = g;
    }
    (void)sink;
    return best;
}

/* Measures the ceiling at each thread count into ceil[], keeping the higher of this and an
   earlier measurement (ceil[] 0 the first time): the sweep measures it before and after the
   cases, and a busy machine only ever lowers it. The first call prints the instruction sets. */
static void bench_machine(char *const *thr_s, const int *thr, int n_thr, double *ceil, int first)
{
    char build[256], cpu[256];
    if (first) {
        bench_isa_build(build, sizeof build);
        bench_isa_cpu(cpu, sizeof cpu);
        printf("# ISA of this build: %s\n# CPU flags (/proc/cpuinfo): %s\n", build, cpu);
    }
    printf("# FMA ceiling (plain-C loop, %d chains of %d floats)%s:", BENCH_CHAINS, BENCH_LANES,
           first ? "" : ", the higher of before and after the cases");
    for (int t = 0; t < n_thr; t++) {
        double g = bench_fma_ceiling(thr[t]);
        ceil[t] = first || g > ceil[t] ? g : ceil[t];
        printf("%s %s thread%s %.1f GFLOP/s", t ? "," : "", thr_s[t], strcmp(thr_s[t], "1") ? "s" : "", ceil[t]);
    }
    printf("\n");
    fflush(stdout);
}

/* ------------------------------------------------------------------ one case -------- */

static double peak_rss_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    if (f) {
        while (fgets(line, sizeof line, f)) {
            long kb;
            if (sscanf(line, "VmHWM: %ld kB", &kb) == 1) { fclose(f); return (double)kb / 1024.0; }
        }
        fclose(f);
    }
    {
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) == 0) return (double)ru.ru_maxrss / 1024.0;   /* kB on Linux */
    }
    return 0.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct bench_opts {
    int batch, reps, steps, quick, rounds, sgd_cosine;
    double target;
} bench_opts;

/* Runs in the child: prints one line "tp-bench-case key=value ..." on stdout. */
static int run_case(const char *netname, const char *rulename, int threads, const bench_opts *o)
{
    enum { NB = 4 };                       /* synthetic batches, cycled */
    tp_rule rule;
    tp_config cfg;
    tp_net net;
    tp_rng rng;
    tp_result r;
    double eps[64], t_step, t_warm = 0.0, macs;
    int B = o->batch, reps = o->reps, steps, warm = o->quick ? 2 : 3, k = 0;
    double budget = o->quick ? 3.0 : 8.0;
    float *x, *y;
    char err[TP_ERROR_LEN];
    if (tp_rule_parse(rulename, &rule, err) != TP_OK) { fprintf(stderr, "bench: %s\n", err); return 2; }
    tp_set_threads(threads);
    cfg = tp_config_default(rule);
    cfg.max_batch = B;
    for (int i = 0; i < 2 && o->sgd_cosine; i++) {
        tp_optim *p = i ? &cfg.inverse : &cfg.forward;
        p->kind = TP_NESTEROV; p->momentum = 0.9f; p->l2 = 1e-4f;
        p->schedule.kind = TP_LR_COSINE; p->schedule.length = 10000;
    }
    if (tp_net_create(&net, netname, &cfg) != TP_OK) {
        fprintf(stderr, "bench: %s %s: %s\n", netname, rulename, net.error);
        return 1;
    }
    macs = tp_step_macs(&net, NULL);
    x = (float *)malloc((size_t)NB * B * net.n_in * sizeof *x);
    y = (float *)calloc((size_t)NB * B * net.n_out, sizeof *y);
    if (!x || !y) { fprintf(stderr, "bench: out of memory for the synthetic data\n"); return 1; }
    tp_rng_seed(&rng, 20180612u);
    for (size_t i = 0; i < (size_t)NB * B * net.n_in; i++) x[i] = tp_rng_uniform(&rng);
    for (int b = 0; b < NB * B; b++) y[(size_t)b * net.n_out + (int)(tp_rng_u64(&rng) % (uint64_t)net.n_out)] = 1.0f;

#define BENCH_STEP()                                                                            \
    do {                                                                                        \
        r = tp_train_step(&net, x + (size_t)(k % NB) * B * net.n_in, y + (size_t)(k % NB) * B * net.n_out, \
                          B, TP_PHASE_BOTH, NULL);                                              \
        k++;                                                                                    \
        if (r != TP_OK) {                                                                       \
            fprintf(stderr, "bench: %s %s: %s: %s\n", netname, rulename, tp_result_string(r), net.error); \
            return 1;                                                                           \
        }                                                                                       \
    } while (0)

    /* warm-up: up to `warm` steps, fewer if they are slow; the last one estimates a step */
    t_step = 0.0;
    for (int i = 0; i < warm; i++) {
        double t0 = ex_now();
        BENCH_STEP();
        t_step = ex_now() - t0;
        t_warm += t_step;
        if (t_warm > 1.5) break;
    }
    steps = o->steps > 0 ? o->steps : (int)(o->target / (t_step > 1e-6 ? t_step : 1e-6) + 0.5);
    if (steps < 1) steps = 1;
    /* a case whose single step already exceeds the repetition time gets fewer repetitions
       (down to 1), so the slowest case (or a loaded machine) stays near 8 s (quick 3 s) */
    if (o->steps <= 0 && steps == 1 && t_step * reps > budget) {
        int fit = (int)(budget / t_step);
        reps = fit < 1 ? 1 : fit;
    }
    if (reps > 64) reps = 64;
    for (int rep = 0; rep < reps; rep++) {
        double t0 = ex_now();
        for (int s = 0; s < steps; s++) BENCH_STEP();
        eps[rep] = (double)steps * B / (ex_now() - t0);
    }
#undef BENCH_STEP
    qsort(eps, (size_t)reps, sizeof eps[0], cmp_double);
    printf(BENCH_TAG " eps=%.6g min=%.6g max=%.6g rss_mb=%.1f macs=%.0f steps=%d reps=%d threads=%d\n",
           reps % 2 ? eps[reps / 2] : 0.5 * (eps[reps / 2 - 1] + eps[reps / 2]), eps[0], eps[reps - 1],
           peak_rss_mb(), macs, steps, reps, tp_get_threads());
    fflush(stdout);
    free(x);
    free(y);
    tp_net_destroy(&net);
    return 0;
}

/* ------------------------------------------------------------------ dense kernels ---- */

/* The matrix products of the FC nets' training step at batch 128, each as tp_gemm gets it:
   C[m,n] = op(A) op(B) (op = transpose when the flag is 1). */
typedef struct { const char *name; int ta, tb, m, n, k; } gemm_shape;
static const gemm_shape gemm_shapes[] = {
    {"mnist-fc L1   a = x W",    0, 0, 128, 256, 784},
    {"mnist-fc L1   dW += x^T d", 1, 0, 784, 256, 128},
    {"mnist-fc hid  a = x W",    0, 0, 128, 256, 256},
    {"mnist-fc hid  dx = d W^T", 0, 1, 128, 256, 256},
    {"mnist-fc hid  dW += x^T d", 1, 0, 256, 256, 128},
    {"cifar-fc L1   a = x W",    0, 0, 128, 1024, 3072},
    {"cifar-fc L1   dW += x^T d", 1, 0, 3072, 1024, 128},
    {"cifar-fc hid  a = x W",    0, 0, 128, 1024, 1024},
    {"cifar-fc hid  dx = d W^T", 0, 1, 128, 1024, 1024},
    {"cifar-fc hid  dW += x^T d", 1, 0, 1024, 1024, 128},
};
#define N_GEMM ((int)(sizeof gemm_shapes / sizeof gemm_shapes[0]))

/* Runs in the child: the median GFLOP/s of tp_gemm at every shape, one line each. */
static int run_gemm(int threads, int quick)
{
    tp_rng rng;
    tp_set_threads(threads);
    tp_rng_seed(&rng, 7);
    for (int i = 0; i < N_GEMM; i++) {
        const gemm_shape *g = &gemm_shapes[i];
        size_t na = (size_t)g->m * g->k, nb = (size_t)g->k * g->n;
        float *a = (float *)malloc(na * sizeof *a), *b = (float *)malloc(nb * sizeof *b);
        float *c = (float *)calloc((size_t)g->m * g->n, sizeof *c);
        double rate[9], one, t0;
        int iters, reps = quick ? 3 : 5;
        if (!a || !b || !c) { fprintf(stderr, "bench: out of memory\n"); return 1; }
        for (size_t q = 0; q < na; q++) a[q] = tp_rng_uniform(&rng);
        for (size_t q = 0; q < nb; q++) b[q] = tp_rng_uniform(&rng);
#define BENCH_GEMM() tp_gemm(g->ta, g->tb, g->m, g->n, g->k, a, g->ta ? g->m : g->k, b, g->tb ? g->k : g->n, \
                             g->ta, c, g->n)
        for (int w = 0; w < 3; w++) BENCH_GEMM();
        t0 = ex_now();
        BENCH_GEMM();
        one = ex_now() - t0;
        iters = (int)((quick ? 0.04 : 0.1) / (one > 1e-7 ? one : 1e-7));
        if (iters < 1) iters = 1;
        for (int r = 0; r < reps; r++) {
            t0 = ex_now();
            for (int it = 0; it < iters; it++) BENCH_GEMM();
            rate[r] = 2.0 * g->m * g->n * g->k * iters / (ex_now() - t0) / 1e9;
        }
#undef BENCH_GEMM
        qsort(rate, (size_t)reps, sizeof rate[0], cmp_double);
        printf("tp-bench-gemm %d %.2f\n", i, rate[reps / 2]);
        free(a); free(b); free(c);
    }
    return 0;
}

/* ------------------------------------------------------------------ the driver ------ */

/* Runs argv (argv[0] a path), captures its stdout into out (NUL-terminated, truncated to
   cap); stderr passes through. Returns the exit status, or -1 when it could not run. */
static int run_capture(char *const *argv, char *out, size_t cap)
{
    int fd[2], status;
    size_t n = 0;
    pid_t pid;
    fflush(stdout);
    fflush(stderr);
    if (pipe(fd) != 0) return -1;
    pid = fork();
    if (pid < 0) { close(fd[0]); close(fd[1]); return -1; }
    if (pid == 0) {
        close(fd[0]);
        dup2(fd[1], 1);
        close(fd[1]);
        execv(argv[0], argv);
        fprintf(stderr, "bench: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fd[1]);
    for (;;) {
        char buf[4096];
        ssize_t got = read(fd[0], buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        for (ssize_t i = 0; i < got; i++)
            if (n + 1 < cap) out[n++] = buf[i];
    }
    out[n] = '\0';
    close(fd[0]);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int is_conv(const char *net) { return strstr(net, "-conv") != NULL; }

/* the peer's net for a preset, or NULL: it has only the MNIST FC and LC nets */
static const char *peer_net(const char *net)
{
    return !strcmp(net, "mnist-fc") ? "fc" : !strcmp(net, "mnist-lc") ? "lc" : NULL;
}

static int peer_rule(const char *rule)
{
    return !strcmp(rule, "bp") || !strcmp(rule, "fa") || !strcmp(rule, "dfa") || !strcmp(rule, "dtp") ||
           !strcmp(rule, "sdtp");
}

static int file_exists(const char *p) { return access(p, F_OK) == 0; }

#define BENCH_MAX_ROUNDS 16

/* One case of the table, filled round by round. */
typedef struct bench_case {
    const char *net, *rule, *thr_s;
    int peer, failed, threads, steps, reps, n, n_peer;
    double eps[BENCH_MAX_ROUNDS], peer_eps[BENCH_MAX_ROUNDS], rss, macs;
} bench_case;

/* The fastest of the rounds: a disturbance (another process, a neighbour on the host) only
   ever slows a round down, so the fastest round is the best estimate of the code's speed. */
static double bench_best(const double *v, int n)
{
    double best = 0.0;
    for (int i = 0; i < n; i++) best = v[i] > best ? v[i] : best;
    return best;
}

/* "a;b;c": every round's figure, in the order they ran */
static void bench_rounds(char *out, size_t cap, const double *v, int n)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%.1f", i ? ";" : "", v[i]);
}

/* One round of a case: this program as `--case` in a fresh process. */
static int run_child(char *self, bench_case *bc, const bench_opts *o)
{
    char out[4096], sb[4][32], *argv[16];
    const char *tag;
    int c = 0, rc, steps, reps, thr;
    double eps, mn, mx, rss, macs;
    argv[c++] = self; argv[c++] = (char *)"--case"; argv[c++] = (char *)bc->net;
    argv[c++] = (char *)bc->rule; argv[c++] = (char *)bc->thr_s;
    snprintf(sb[0], sizeof sb[0], "%d", o->batch);
    snprintf(sb[1], sizeof sb[1], "%d", o->reps);
    snprintf(sb[2], sizeof sb[2], "%g", o->target);
    argv[c++] = (char *)"--batch"; argv[c++] = sb[0];
    argv[c++] = (char *)"--reps"; argv[c++] = sb[1];
    argv[c++] = (char *)"--target"; argv[c++] = sb[2];
    if (o->steps > 0) {
        snprintf(sb[3], sizeof sb[3], "%d", o->steps);
        argv[c++] = (char *)"--steps"; argv[c++] = sb[3];
    }
    if (o->quick) argv[c++] = (char *)"--quick";
    if (o->sgd_cosine) argv[c++] = (char *)"--sgd-cosine";
    argv[c] = NULL;
    rc = run_capture(argv, out, sizeof out);
    tag = strstr(out, BENCH_TAG);
    if (rc != 0 || !tag ||
        sscanf(tag, BENCH_TAG " eps=%lf min=%lf max=%lf rss_mb=%lf macs=%lf steps=%d reps=%d threads=%d",
               &eps, &mn, &mx, &rss, &macs, &steps, &reps, &thr) != 8) {
        bc->failed = 1;
        return rc ? rc : 1;
    }
    bc->eps[bc->n++] = eps;
    if (rss > bc->rss) bc->rss = rss;
    bc->macs = macs;
    bc->steps = steps;
    bc->reps = reps;
    bc->threads = thr;
    return 0;
}

/* The peer on the same case, right after ours: an epoch of about 1.5 s (quick 0.5 s) if
   it ran at our speed. A failed peer run leaves that round out of the peer's figures. */
static void run_peer(char *peer_sh, bench_case *bc, const bench_opts *o)
{
    char out[1024], nbs[32], *argv[6];
    double peer_eps = 0.0, eps = bc->eps[bc->n - 1];
    int nb = (int)(eps * (o->quick ? 0.5 : 1.5) / o->batch + 0.5);
    snprintf(nbs, sizeof nbs, "%d", nb < 3 ? 3 : nb > 200 ? 200 : nb);
    argv[0] = peer_sh; argv[1] = (char *)peer_net(bc->net); argv[2] = (char *)bc->rule;
    argv[3] = (char *)bc->thr_s; argv[4] = nbs; argv[5] = NULL;
    if (run_capture(argv, out, sizeof out) == 0 && sscanf(out, "%lf", &peer_eps) == 1 && peer_eps > 0)
        bc->peer_eps[bc->n_peer++] = peer_eps;
}

/* The dense-kernel table: tp_gemm beside OpenBLAS sgemm (tools/bench-sgemm.py through torch)
   at the FC shapes, for every thread count. Like the cases, `rounds` sweeps, ours and
   OpenBLAS's in turn (which goes first alternating from round to round), each side's figure
   its fastest round: the two run minutes apart, and this machine's speed drifts by a tenth
   over that (measured: OpenBLAS's own figures at one shape moved from 80 to 101 GFLOP/s). */
static int gemm_table(char *self, const char *root, char *const *thr_s, int n_thr, const double *ceil, int quick,
                      int rounds, const char *csv_path)
{
    char script[4200], py[64] = "/usr/bin/python3", probe[256];
    char *argv[4 + N_GEMM];
    int have_blas, failures = 0;
    FILE *csv = fopen(csv_path, "w");
    const char *env_py = getenv("PYTHON");
    if (env_py && *env_py) snprintf(py, sizeof py, "%s", env_py);
    snprintf(script, sizeof script, "%s/tools/bench-sgemm.py", root);
    argv[0] = py; argv[1] = script; argv[2] = (char *)"1"; argv[3] = (char *)"0,0,8,8,8"; argv[4] = NULL;
    have_blas = file_exists(script) && file_exists(py) && run_capture(argv, probe, sizeof probe) == 0 && probe[0];
    printf("\n# dense kernels: tp_gemm at the FC shapes (batch 128)%s, the fastest of %d round%s\n",
           have_blas ? ", beside OpenBLAS sgemm through torch" :
           "; OpenBLAS not measured (needs /usr/bin/python3 with torch: apt-get install python3-torch)",
           rounds, rounds > 1 ? "s" : "");
    printf("%-27s %3s %9s", "product", "thr", "GFLOP/s");
    if (have_blas) printf(" %9s %8s", "OpenBLAS", "ours/OB");
    printf(" %6s\n", "%ceil");
    if (csv) fprintf(csv, "product,ta,tb,m,n,k,threads,gflops,openblas_gflops,ratio,fma_ceiling_gflops,fraction_of_ceiling\n");
    for (int t = 0; t < n_thr; t++) {
        char out[4096], blas[4096], *cargv[5], specs[N_GEMM][64];
        double ours[N_GEMM], ob[N_GEMM];
        int c = 0, ours_ran = 0;
        cargv[c++] = self; cargv[c++] = (char *)"--gemm-case"; cargv[c++] = thr_s[t];
        if (quick) cargv[c++] = (char *)"--quick";
        cargv[c] = NULL;
        argv[2] = thr_s[t];
        for (int i = 0; i < N_GEMM; i++) {
            const gemm_shape *g = &gemm_shapes[i];
            snprintf(specs[i], sizeof specs[i], "%d,%d,%d,%d,%d,%d", g->ta, g->tb, g->m, g->n, g->k, g->ta);   /* dW += */
            argv[3 + i] = specs[i];
            ours[i] = ob[i] = 0;
        }
        argv[3 + N_GEMM] = NULL;
        for (int r = 0; r < 2 * rounds; r++) {
            if ((r + r / 2) % 2 == 0) {   /* ours first in even rounds, OpenBLAS first in odd ones */
                if (run_capture(cargv, out, sizeof out) != 0) continue;
                ours_ran = 1;
                for (char *l = strstr(out, "tp-bench-gemm"); l; l = strstr(l + 1, "tp-bench-gemm")) {
                    int i;
                    double g;
                    if (sscanf(l, "tp-bench-gemm %d %lf", &i, &g) == 2 && i >= 0 && i < N_GEMM && g > ours[i]) ours[i] = g;
                }
            } else if (have_blas && run_capture(argv, blas, sizeof blas) == 0) {
                char *p = blas;
                for (int i = 0; i < N_GEMM && p; i++) {
                    double g = strtod(p, &p);
                    if (g > ob[i]) ob[i] = g;
                    p = strchr(p, '\n');
                    if (p) p++;
                }
            }
        }
        if (!ours_ran) { printf("tp_gemm, %s threads: failed\n", thr_s[t]); failures++; continue; }
        for (int i = 0; i < N_GEMM; i++) {
            const gemm_shape *g = &gemm_shapes[i];
            printf("%-27s %3s %9.1f", g->name, thr_s[t], ours[i]);
            if (have_blas && ob[i] > 0) printf(" %9.1f %8.2f", ob[i], ours[i] / ob[i]);
            else if (have_blas) printf(" %9s %8s", "", "");
            printf(" %5.1f%%\n", ceil[t] > 0 ? 100.0 * ours[i] / ceil[t] : 0.0);
            if (csv) {
                fprintf(csv, "%s,%d,%d,%d,%d,%d,%s,%.2f,", g->name, g->ta, g->tb, g->m, g->n, g->k, thr_s[t], ours[i]);
                if (ob[i] > 0) fprintf(csv, "%.2f,%.3f,", ob[i], ours[i] / ob[i]);
                else fprintf(csv, ",,");
                fprintf(csv, "%.1f,%.3f\n", ceil[t], ceil[t] > 0 ? ours[i] / ceil[t] : 0.0);
            }
        }
        fflush(stdout);
    }
    if (csv) { fclose(csv); printf("# dense-kernel CSV in %s\n", csv_path); }
    return failures;
}

/* ------------------------------------------------------------------ the command line - */

/* What the command line asks for: the sweep's lists and options, or one job (--flops, --case, --gemm-case). */
typedef struct {
    bench_opts o;
    const char *out_path, *gemm_path, *peer_path;
    int no_peer, no_gemm, ceiling_only, rules_given;
    char nets_buf[512], rules_buf[512], threads_buf[256];
    char *nets[BENCH_MAX_ITEMS], *thr_s[BENCH_MAX_ITEMS];
    const char *rules[BENCH_MAX_ITEMS];   /* as the library names them */
    int thr[BENCH_MAX_ITEMS], n_nets, n_rules, n_thr;
    char **flops, **one_case;             /* --flops NET RULE, --case NET RULE THREADS */
    int case_threads, gemm_threads;       /* --case's THREADS, --gemm-case THREADS (0: not given) */
} bench_args;

static int is_preset(const char *s) { return tp_preset(s) != NULL; }

static int is_thread_count(const char *s)
{
    long long x;
    return ex_integer(s, &x) && x >= 1 && x <= 4096;
}

/* The three lists: --nets, --rules (default every rule of the library's table) and --threads. Returns 0 after a
   message naming the option if one is not a list of its items. */
static int bench_lists(bench_args *b, const char *nets, const char *rules, const char *threads)
{
    char names[512], expect[600], *items[BENCH_MAX_ITEMS];
    snprintf(expect, sizeof expect, "of %s", tp_rule_list(names, sizeof names));
    if ((b->n_nets = ex_parse_list("bench", "--nets", nets, BENCH_MAX_ITEMS, is_preset, "preset nets such as mnist-fc",
                                   b->nets_buf, sizeof b->nets_buf, b->nets)) < 0 ||
        (b->n_thr = ex_parse_list("bench", "--threads", threads, BENCH_MAX_ITEMS, is_thread_count,
                                  "thread counts from 1 to 4096", b->threads_buf, sizeof b->threads_buf, b->thr_s)) < 0)
        return 0;
    for (int t = 0; t < b->n_thr; t++) {
        long long x;
        ex_integer(b->thr_s[t], &x);
        b->thr[t] = (int)x;
    }
    if (!rules) {
        for (b->n_rules = 0; b->n_rules < tp_rule_count() && b->n_rules < BENCH_MAX_ITEMS; b->n_rules++)
            b->rules[b->n_rules] = tp_rule_name((tp_rule)b->n_rules);
        return 1;
    }
    if ((b->n_rules = ex_parse_list("bench", "--rules", rules, BENCH_MAX_ITEMS, ex_is_rule, expect, b->rules_buf,
                                    sizeof b->rules_buf, items)) < 0)
        return 0;
    for (int i = 0; i < b->n_rules; i++) {
        tp_rule r;
        tp_rule_parse(items[i], &r, NULL);
        b->rules[i] = tp_rule_name(r);
    }
    return 1;
}

/* Returns -1 to go on, else the exit status (2 for a bad option or value, named). */
static int bench_parse(int argc, char **argv, bench_args *b)
{
    const char *v, *nets = "mnist-fc,mnist-lc,cifar-lc,mnist-conv,cifar-conv", *rules = NULL, *threads = "1,2";
    char **vs;
    float target = 0.0f;
    int rounds_given = 0;
    ex_args a;
    memset(b, 0, sizeof *b);
    b->o.batch = 128; b->o.reps = 3; b->o.target = 0.5; b->o.rounds = 3;
    b->out_path = "build/bench.csv"; b->gemm_path = "build/bench-gemm.csv";
    for (ex_args_init(&a, "bench", argc, argv); ex_next(&a);) {
        const char *P = a.prog;
        if (ex_flag(&a, "-h") || ex_flag(&a, "--help")) { usage(stdout); return 0; }
        else if (ex_flag(&a, "--quick")) b->o.quick = 1;
        else if (ex_flag(&a, "--sgd-cosine")) b->o.sgd_cosine = 1;
        else if (ex_flag(&a, "--no-peer")) b->no_peer = 1;
        else if (ex_flag(&a, "--no-gemm")) b->no_gemm = 1;
        else if (ex_flag(&a, "--ceiling")) b->ceiling_only = 1;
        else if ((v = ex_value(&a, "--out"))) a.bad |= !ex_output_ok(P, "--out", b->out_path = v);
        else if ((v = ex_value(&a, "--gemm-out"))) a.bad |= !ex_output_ok(P, "--gemm-out", b->gemm_path = v);
        else if ((v = ex_value(&a, "--peer"))) b->peer_path = v;
        else if ((v = ex_value(&a, "--nets"))) nets = v;
        else if ((v = ex_value(&a, "--rules"))) rules = v;
        else if ((v = ex_value(&a, "--threads"))) threads = v;
        else if ((v = ex_value(&a, "--batch"))) a.bad |= !ex_parse_int(P, "--batch", v, 1, 1 << 20, &b->o.batch);
        else if ((v = ex_value(&a, "--reps"))) a.bad |= !ex_parse_int(P, "--reps", v, 1, 64, &b->o.reps);
        else if ((v = ex_value(&a, "--steps"))) a.bad |= !ex_parse_int(P, "--steps", v, 0, 1 << 30, &b->o.steps);
        else if ((v = ex_value(&a, "--rounds"))) a.bad |= !ex_parse_int(P, "--rounds", v, 1, BENCH_MAX_ROUNDS, &b->o.rounds), rounds_given = 1;
        else if ((v = ex_value(&a, "--target"))) a.bad |= !ex_parse_float_in(P, "--target", v, 0, 3600, "(", &target);
        else if ((vs = ex_values(&a, "--flops", 2))) b->flops = vs;
        else if ((vs = ex_values(&a, "--case", 3))) b->one_case = vs, a.bad |= !ex_parse_int(P, "--case", vs[2], 1, 4096, &b->case_threads);
        else if ((v = ex_value(&a, "--gemm-case"))) a.bad |= !ex_parse_int(P, "--gemm-case", v, 1, 4096, &b->gemm_threads);
        else ex_unknown(&a);
    }
    if (a.bad) return 2;
    /* --quick: a repetition of about 0.25 s and one round, unless given */
    if (target > 0) b->o.target = target;
    else if (b->o.quick) b->o.target = 0.25;
    if (b->o.quick && !rounds_given) b->o.rounds = 1;
    b->rules_given = rules != NULL;
    return bench_lists(b, nets, rules, threads) ? -1 : 2;
}

/* ------------------------------------------------------------------ the sweep ------- */

/* Where this program and the repository are, and whether the peer runs here. */
typedef struct { char self[4096], root[4096], peer_sh[4200]; int use_peer; } bench_env;

/* Whether the peer runs here (tools/bench-peer.sh --check), said in the output's first lines. */
static int bench_peer_ok(char *peer_sh)
{
    char msg[4096], *pargv[3];
    pargv[0] = peer_sh; pargv[1] = (char *)"--check"; pargv[2] = NULL;
    if (!file_exists(peer_sh)) {
        printf("# PyTorch peer: %s not found; timing targetprop.h alone\n", peer_sh);
        return 0;
    }
    if (run_capture(pargv, msg, sizeof msg) == 0) {
        printf("# PyTorch peer: %s", msg[0] ? msg : "available\n");
        return 1;
    }
    printf("# PyTorch peer not available (%s); timing targetprop.h alone.\n"
           "#   To compare: apt-get update && apt-get install -y python3-torch python3-numpy "
           "libopenblas0-openmp,\n"
           "#   the peer script at ../shared/peer/torch_tp.py beside the repository (or $TP_PEER, "
           "or --peer PATH),\n#   and MNIST in data/mnist (make data).\n",
           msg[0] ? strtok(msg, "\n") : "check failed");
    return 0;
}

/* This program (for the children), the repository root (the parent of its directory), the peer's script and
   whether the peer runs (asked once, when a case has the peer's net and rule); then the sweep's first line. */
static void bench_probe(const bench_args *b, const char *argv0, bench_env *e)
{
    char sbuf[32];
    double load[3] = {0, 0, 0};
    int wanted = 0;
    ssize_t len = readlink("/proc/self/exe", e->self, sizeof e->self - 1);
    FILE *lf;
    if (len > 0) e->self[len] = '\0';
    else snprintf(e->self, sizeof e->self, "%s", argv0);
    snprintf(e->root, sizeof e->root, "%s", e->self);
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(e->root, '/');
        if (slash) *slash = '\0';
        else snprintf(e->root, sizeof e->root, "%s", up ? "." : "..");
    }
    snprintf(e->peer_sh, sizeof e->peer_sh, "%s/tools/bench-peer.sh", e->root);
    if (!file_exists(e->peer_sh)) snprintf(e->peer_sh, sizeof e->peer_sh, "tools/bench-peer.sh");
    if (b->peer_path) setenv("TP_PEER", b->peer_path, 1);
    snprintf(sbuf, sizeof sbuf, "%d", b->o.batch);
    setenv("TP_PEER_BATCH", sbuf, 1);
    for (int i = 0; i < b->n_nets; i++)
        for (int j = 0; j < b->n_rules; j++) wanted |= peer_net(b->nets[i]) && peer_rule(b->rules[j]);
    e->use_peer = !b->no_peer && wanted && bench_peer_ok(e->peer_sh);
    if ((lf = fopen("/proc/loadavg", "r"))) {
        if (fscanf(lf, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) load[0] = 0;
        fclose(lf);
    }
    printf("# targetprop.h %s bench: batch %d, %d round%s of %d repetitions (the fastest round's median), "
           "%s; load average %.2f%s\n", TARGETPROP_VERSION_STRING, b->o.batch, b->o.rounds, b->o.rounds > 1 ? "s" : "",
           b->o.reps, b->o.steps > 0 ? "fixed steps" : "~auto steps",
           load[0], load[0] > 0.5 ? " (other processes are running: timings are disturbed)" : "");
}

/* The cases (net, rule, threads), each marked for the peer where it has the net and rule; the -conv twins
   run bp only unless --rules is given. NULL when memory runs out. */
static bench_case *bench_cases(const bench_args *b, int use_peer, int *n)
{
    bench_case *cases = (bench_case *)calloc((size_t)b->n_nets * b->n_rules * b->n_thr + 1, sizeof *cases);
    *n = 0;
    for (int i = 0; cases && i < b->n_nets; i++)
        for (int j = 0; j < b->n_rules; j++) {
            if (is_conv(b->nets[i]) && !b->rules_given && strcmp(b->rules[j], "bp") != 0) continue;
            for (int t = 0; t < b->n_thr; t++) {
                bench_case *bc = &cases[(*n)++];
                bc->net = b->nets[i]; bc->rule = b->rules[j]; bc->thr_s = b->thr_s[t];
                bc->peer = use_peer && peer_net(b->nets[i]) && peer_rule(b->rules[j]);
            }
        }
    return cases;
}

/* --rounds sweeps over the cases, each case in a fresh child process followed by the peer's run of it; every
   round after the first in its own shuffled order, so that a disturbance that comes back at about the period
   of a round does not meet the same case every time. Returns the number of failed case runs, -1 when memory
   runs out. */
static int bench_sweep(const bench_args *b, bench_env *e, bench_case *cases, int n_cases)
{
    int *order = (int *)malloc((size_t)(n_cases > 0 ? n_cases : 1) * sizeof *order), failures = 0, tty = isatty(2);
    tp_rng order_rng;
    if (!order) return -1;
    tp_rng_seed(&order_rng, 20181203u);
    for (int c = 0; c < n_cases; c++) order[c] = c;
    for (int round = 0; round < b->o.rounds; round++) {
        double t_round = ex_now();
        for (int c = n_cases - 1; round > 0 && c > 0; c--) {
            int k = (int)(tp_rng_u64(&order_rng) % (uint64_t)(c + 1)), tmp = order[c];
            order[c] = order[k];
            order[k] = tmp;
        }
        for (int c = 0; c < n_cases; c++) {
            bench_case *bc = &cases[order[c]];
            if (bc->failed) continue;
            if (tty)   /* the table comes at the end; until then, where the sweep is */
                fprintf(stderr, "\r\033[K  round %d of %d, case %d of %d: %s %s %s thread%s", round + 1, b->o.rounds,
                        c + 1, n_cases, bc->net, bc->rule, bc->thr_s, strcmp(bc->thr_s, "1") ? "s" : "");
            if (run_child(e->self, bc, &b->o) != 0) {
                printf("%-10s %-6s %3s   failed (round %d)\n", bc->net, bc->rule, bc->thr_s, round + 1);
                failures++;
                continue;
            }
            if (bc->peer) run_peer(e->peer_sh, bc, &b->o);
        }
        if (tty) fprintf(stderr, "\r\033[K");
        if (b->o.rounds > 1) printf("# round %d of %d: %.0f s\n", round + 1, b->o.rounds, ex_now() - t_round);
        fflush(stdout);
    }
    free(order);
    return failures;
}

/* ------------------------------------------------------------------ the report ------ */

/* Case c's row of the table and of the CSV (csv NULL: none): its fastest round, GFLOP/s against the ceiling at
   its thread count, memory, steps x repetitions x rounds, the time of a step over BP's (same net and threads)
   and the peer's figure. */
static void bench_row(const bench_args *b, const bench_case *cases, int n_cases, int c, const double *ceil, FILE *csv)
{
    const bench_case *bc = &cases[c];
    double eps, gflops, cl = 0.0, peer_eps = bench_best(bc->peer_eps, bc->n_peer), bp_eps = 0.0;
    char peer_col[2][32] = {"", ""}, sr[48], rounds[2][BENCH_MAX_ROUNDS * 24], vs_bp[16] = "";
    if (bc->failed || bc->n == 0) {
        printf("%-10s %-6s %3s   failed\n", bc->net, bc->rule, bc->thr_s);
        return;
    }
    eps = bench_best(bc->eps, bc->n);
    gflops = 2.0 * bc->macs * eps / 1e9;
    for (int t = 0; t < b->n_thr; t++)
        if (b->thr_s[t] == bc->thr_s) cl = ceil[t];
    bench_rounds(rounds[0], sizeof rounds[0], bc->eps, bc->n);
    bench_rounds(rounds[1], sizeof rounds[1], bc->peer_eps, bc->n_peer);
    if (peer_eps > 0) {
        snprintf(peer_col[0], sizeof peer_col[0], "%.0f", peer_eps);
        snprintf(peer_col[1], sizeof peer_col[1], "%.2f", eps / peer_eps);
    } else if (bc->peer) {
        snprintf(peer_col[0], sizeof peer_col[0], "failed");
    }
    for (int k = 0; k < n_cases; k++)
        if (!strcmp(cases[k].net, bc->net) && !strcmp(cases[k].rule, "bp") && cases[k].thr_s == bc->thr_s &&
            !cases[k].failed && cases[k].n > 0)
            bp_eps = bench_best(cases[k].eps, cases[k].n);
    if (bp_eps > 0) snprintf(vs_bp, sizeof vs_bp, "%.2f", bp_eps / eps);
    snprintf(sr, sizeof sr, "%dx%dx%d", bc->steps, bc->reps, bc->n);
    printf("%-10s %-6s %3d %11.0f %8.1f %5.1f%% %10.2f %8.0f %10s %7s", bc->net, bc->rule, bc->threads, eps,
           gflops, cl > 0 ? 100.0 * gflops / cl : 0.0, 2e-6 * bc->macs, bc->rss, sr, vs_bp);
    if (peer_col[0][0]) printf(" %10s %7s", peer_col[0], peer_col[1]);
    printf("\n");
    if (csv)
        fprintf(csv, "%s,%s,%d,%.1f,%.2f,%.1f,%s,%s,%s,%s,%.1f,%.3f,%s\n", bc->net, bc->rule, bc->threads, eps,
                gflops, bc->rss, peer_eps > 0 ? peer_col[0] : "",
                peer_eps > 0 ? peer_col[1] : "", rounds[0], rounds[1], cl, cl > 0 ? gflops / cl : 0.0, vs_bp);
}

static void bench_report(const bench_args *b, const bench_case *cases, int n_cases, const double *ceil, int use_peer, FILE *csv)
{
    printf("%-10s %-6s %3s %11s %8s %6s %10s %8s %10s %7s", "net", "rule", "thr", "examples/s", "GFLOP/s", "%ceil",
           "MFLOP/ex", "peak MB", "S*R*rounds", "x BP");
    if (use_peer) printf(" %10s %7s", "peer ex/s", "ours/pr");
    printf("\n");
    for (int c = 0; c < n_cases; c++) bench_row(b, cases, n_cases, c, ceil, csv);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    static bench_args b;
    bench_env e;
    bench_case *cases;
    double t_start = ex_now(), ceil[BENCH_MAX_ITEMS];
    int n_cases, failures = 0, code = bench_parse(argc, argv, &b);
    FILE *csv;
    if (code >= 0) return code;
    if (b.flops) return bench_print_flops(b.flops[0], b.flops[1]);
    if (b.one_case) return run_case(b.one_case[0], b.one_case[1], b.case_threads, &b.o);
    if (b.gemm_threads) return run_gemm(b.gemm_threads, b.o.quick);
    if (b.ceiling_only) {
        bench_machine(b.thr_s, b.thr, b.n_thr, ceil, 1);
        return 0;
    }
    bench_probe(&b, argv[0], &e);
    bench_machine(b.thr_s, b.thr, b.n_thr, ceil, 1);
    csv = fopen(b.out_path, "w");
    if (!csv) fprintf(stderr, "bench: cannot write %s: %s (table only)\n", b.out_path, strerror(errno));
    else fprintf(csv, "net,rule,threads,examples_per_s,gflops,peak_rss_mb,peer_examples_per_s,ratio,"
                      "examples_per_s_rounds,peer_examples_per_s_rounds,fma_ceiling_gflops,fraction_of_ceiling,time_vs_bp\n");
    if (!(cases = bench_cases(&b, e.use_peer, &n_cases)) || (failures = bench_sweep(&b, &e, cases, n_cases)) < 0) {
        fprintf(stderr, "bench: out of memory\n");
        free(cases);
        return 1;
    }
    bench_machine(b.thr_s, b.thr, b.n_thr, ceil, 0);
    bench_report(&b, cases, n_cases, ceil, e.use_peer, csv);
    free(cases);
    if (csv) fclose(csv);
    if (!b.no_gemm) failures += gemm_table(e.self, e.root, b.thr_s, b.n_thr, ceil, b.o.quick, b.o.rounds, b.gemm_path);
    printf("# total %.0f s%s%s\n", ex_now() - t_start, csv ? "; CSV in " : "", csv ? b.out_path : "");
    return failures ? 1 : 0;
}
