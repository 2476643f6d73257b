/* tests/test.c - the test suite of targetprop.h.

     gcc -std=c99 -O2 -fopenmp -Wall -Wextra -I. tests/test.c -o /tmp/test -lm && /tmp/test
     gcc -std=c99 -O2 -Wall -Wextra -I. tests/test.c -o /tmp/test -lm && /tmp/test
     g++ -x c++ -O2 -fopenmp -Wall -Wextra -I. tests/test.c -o /tmp/test -lm && /tmp/test

   One line per test, "ok NAME" or "FAIL NAME: line L: detail (+N more)"; the last line is
   "N passed, N failed" and the exit code is nonzero when anything failed. Every check
   compares the library against a computation of its own: naive loops in double precision
   (operators, targets, Adam), finite differences of the loss, or an identity the paper
   proves (FA with B = W is BP, hybrid beta = 1 is 2 alpha BP, ...). Small synthetic sizes
   only; temporary files go to a fresh directory under $TMPDIR or /tmp. */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#define TARGETPROP_IMPLEMENTATION
#include "../targetprop.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__unix__) || defined(__APPLE__)
#define TEST_POSIX 1
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

/* ================================================================ harness ============= */

static int h_passed, h_failed, h_nfail, h_timing;
static char h_name[200], h_first[600];
static clock_t h_t0;
static time_t h_w0;

static void h_fail(int line, const char *fmt, ...)
{
    if (h_nfail++ == 0) {
        int n = snprintf(h_first, sizeof h_first, "line %d: ", line);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(h_first + n, sizeof h_first - (size_t)n, fmt, ap);
        va_end(ap);
    }
}

/* combined tolerance: |got - want| <= atol + rtol * max(|got|, |want|); false for NaN */
static int h_close(double got, double want, double atol, double rtol)
{
    double d = fabs(got - want), m = fabs(got) > fabs(want) ? fabs(got) : fabs(want);
    return d <= atol + rtol * m;
}

#define CHECK(cond, ...) do { if (!(cond)) h_fail(__LINE__, __VA_ARGS__); } while (0)
#define CHECK_NEAR(got, want, atol, rtol, ...) do {                                          \
        double g_ = (double)(got), w_ = (double)(want);                                       \
        if (!h_close(g_, w_, (atol), (rtol))) {                                               \
            char m_[300];                                                                     \
            snprintf(m_, sizeof m_, __VA_ARGS__);                                             \
            h_fail(__LINE__, "%s: got %.9g, expected %.9g (|diff| %.3g > %.3g + %.3g rel)",   \
                   m_, g_, w_, fabs(g_ - w_), (double)(atol), (double)(rtol));                \
        } } while (0)

static void h_begin(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h_name, sizeof h_name, fmt, ap);
    va_end(ap);
    h_nfail = 0;
    h_first[0] = 0;
    h_t0 = clock();
    h_w0 = time(NULL);
}

static void h_end(void)
{
    if (h_nfail) {
        h_failed++;
        if (h_nfail > 1) printf("FAIL %s: %s (+%d more)\n", h_name, h_first, h_nfail - 1);
        else printf("FAIL %s: %s\n", h_name, h_first);
    } else {
        h_passed++;
        printf("ok %s\n", h_name);
    }
    fflush(stdout);
    if (h_timing)   /* TP_TEST_TIMES=1: cpu and wall seconds of each test on stderr */
        fprintf(stderr, "  %.2f s cpu, %.0f s wall  %s\n", (double)(clock() - h_t0) / CLOCKS_PER_SEC,
                difftime(time(NULL), h_w0), h_name);
}

/* TP_TEST_SKIP=name,name...: tests not to run (tests/cross.sh skips the slowest under emulation) */
static int h_skipped;
static int h_skip(const char *name)
{
    const char *list = getenv("TP_TEST_SKIP"), *p = list;
    size_t n = strlen(name);
    while (p && (p = strstr(p, name)) != NULL) {
        if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == 0)) { printf("skip %s\n", name); h_skipped++; return 1; }
        p += n;
    }
    return 0;
}
#define RUN(name) do { if (!h_skip(#name)) { h_begin("%s", #name); test_##name(); h_end(); } } while (0)

/* ================================================================ helpers ============= */

static uint64_t g_rs = 0x2545f4914f6cdd1dULL;   /* xorshift64, independent of tp_rng */

static void rnd_seed(uint64_t s) { g_rs = s * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL; if (!g_rs) g_rs = 1; }
static uint64_t rnd_u64(void) { g_rs ^= g_rs << 13; g_rs ^= g_rs >> 7; g_rs ^= g_rs << 17; return g_rs; }
static double rnd_u(void) { return (double)(rnd_u64() >> 11) * (1.0 / 9007199254740992.0); }
static float rnd_s(void) { return (float)(2.0 * rnd_u() - 1.0); }   /* [-1, 1) */
static double rnd_gauss(void)
{
    double u1 = rnd_u() + 1e-12, u2 = rnd_u();
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static float *falloc(size_t n) { return (float *)calloc(n ? n : 1, sizeof(float)); }
static double *dalloc(size_t n) { return (double *)calloc(n ? n : 1, sizeof(double)); }
static float *fdup(const float *p, size_t n) { float *q = falloc(n); if (n) memcpy(q, p, n * sizeof(float)); return q; }
static void fill(float *p, size_t n, float scale) { for (size_t i = 0; i < n; i++) p[i] = scale * rnd_s(); }
static double *to_d(const float *p, size_t n) { double *q = dalloc(n); for (size_t i = 0; i < n; i++) q[i] = p[i]; return q; }

static double dmaxabs(const double *p, size_t n) { double m = 0; for (size_t i = 0; i < n; i++) m = fabs(p[i]) > m ? fabs(p[i]) : m; return m; }
static double fmaxabs(const float *p, size_t n) { double m = 0; for (size_t i = 0; i < n; i++) m = fabs((double)p[i]) > m ? fabs((double)p[i]) : m; return m; }

static tp_config cfg_make(tp_rule rule, int max_batch)
{
    tp_config c = tp_config_default(rule);
    c.max_batch = max_batch;
    c.n_aux = 0;
    c.seed = 7;
    return c;
}

#define MAKE_NET(net, spec, cfg) do {                                                      \
        tp_result r_ = tp_net_create((net), (spec), (cfg));                                 \
        if (r_ != TP_OK) {                                                                  \
            h_fail(__LINE__, "tp_net_create(\"%s\"): %s: %s", (spec), tp_result_string(r_),  \
                   (net)->error);                                                           \
            return;                                                                         \
        } } while (0)

/* random input rows, and one-hot (cross-entropy) or [0.05, 0.95] (squared error) targets */
static void rand_xy(const tp_net *net, float *x, float *y, int B)
{
    fill(x, (size_t)B * net->n_in, 1.0f);
    for (int b = 0; b < B; b++) {
        float *yb = y + (size_t)b * net->n_out;
        if (net->loss == TP_SOFTMAX_XENT) {
            memset(yb, 0, (size_t)net->n_out * sizeof(float));
            yb[rnd_u64() % (uint64_t)net->n_out] = 1.0f;
        } else {
            for (int j = 0; j < net->n_out; j++) yb[j] = 0.05f + 0.9f * (float)rnd_u();
        }
    }
}

static void rand_biases(tp_net *net, float s)
{
    for (int l = 0; l < net->n_layers; l++) {
        tp_layer *ly = &net->layers[l];
        fill(ly->b, ly->n_b, s);
        if (ly->c) fill(ly->c, (size_t)ly->n_in, s);
    }
}

/* ---- naive operators, built from the geometry alone: every (input, output, weight) triple
   of a layer's linear map, with "same" padding (out = ceil(in / s), the odd padding row
   or column at the bottom or right). */
typedef struct ref_op {
    int n_in, n_out;
    size_t n, n_w;
    int *ti, *to;
    size_t *tw;
} ref_op;

static int ref_out(int in, int s) { return (in + s - 1) / s; }
static int ref_pad(int in, int out, int k, int s) { int t = (out - 1) * s + k - in; return t > 0 ? t / 2 : 0; }

static ref_op ref_op_make(const tp_layer *l, int cols)
{
    ref_op o;
    size_t cap, n = 0;
    memset(&o, 0, sizeof o);
    if (l->kind == TP_DENSE) {
        int nin = l->in_h * l->in_w * l->in_c;
        o.n_in = nin; o.n_out = cols;
        cap = o.n_w = (size_t)nin * cols;
        o.ti = (int *)malloc((cap ? cap : 1) * sizeof(int));
        o.to = (int *)malloc((cap ? cap : 1) * sizeof(int));
        o.tw = (size_t *)malloc((cap ? cap : 1) * sizeof(size_t));
        for (int i = 0; i < nin; i++)
            for (int j = 0; j < cols; j++) { o.ti[n] = i; o.to[n] = j; o.tw[n] = (size_t)i * cols + j; n++; }
    } else {
        int k = l->k, s = l->stride, ih = l->in_h, iw = l->in_w, ic = l->in_c;
        int oh = ref_out(ih, s), ow = ref_out(iw, s);
        int pt = ref_pad(ih, oh, k, s), pl = ref_pad(iw, ow, k, s), patch = k * k * ic;
        int local = l->kind == TP_LOCAL;
        o.n_in = ih * iw * ic; o.n_out = oh * ow * cols;
        o.n_w = (size_t)(local ? oh * ow : 1) * patch * cols;
        cap = (size_t)oh * ow * patch * cols;
        o.ti = (int *)malloc((cap ? cap : 1) * sizeof(int));
        o.to = (int *)malloc((cap ? cap : 1) * sizeof(int));
        o.tw = (size_t *)malloc((cap ? cap : 1) * sizeof(size_t));
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) {
                int p = oy * ow + ox;
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++) {
                        int iy = oy * s - pt + ky, ix = ox * s - pl + kx;
                        if (iy < 0 || iy >= ih || ix < 0 || ix >= iw) continue;
                        for (int ci = 0; ci < ic; ci++) {
                            int row = (ky * k + kx) * ic + ci;
                            for (int co = 0; co < cols; co++) {
                                o.ti[n] = (iy * iw + ix) * ic + ci;
                                o.to[n] = p * cols + co;
                                o.tw[n] = ((size_t)(local ? p * patch : 0) + row) * cols + co;
                                n++;
                            }
                        }
                    }
            }
    }
    o.n = n;
    return o;
}

static void ref_op_free(ref_op *o) { free(o->ti); free(o->to); free(o->tw); memset(o, 0, sizeof *o); }

static void ref_fwd(const ref_op *o, const float *w, const double *x, double *a, int B)  /* a = A(w) x */
{
    memset(a, 0, (size_t)B * o->n_out * sizeof(double));
    for (int b = 0; b < B; b++)
        for (size_t t = 0; t < o->n; t++)
            a[(size_t)b * o->n_out + o->to[t]] += (double)w[o->tw[t]] * x[(size_t)b * o->n_in + o->ti[t]];
}

static void ref_tr(const ref_op *o, const float *w, const double *d, double *x, int B)   /* x = A(w)^T d */
{
    memset(x, 0, (size_t)B * o->n_in * sizeof(double));
    for (int b = 0; b < B; b++)
        for (size_t t = 0; t < o->n; t++)
            x[(size_t)b * o->n_in + o->ti[t]] += (double)w[o->tw[t]] * d[(size_t)b * o->n_out + o->to[t]];
}

static void ref_wg(const ref_op *o, const double *x, const double *d, double *dw, int B)  /* dw += d<d, A(w) x>/dw */
{
    for (int b = 0; b < B; b++)
        for (size_t t = 0; t < o->n; t++)
            dw[o->tw[t]] += x[(size_t)b * o->n_in + o->ti[t]] * d[(size_t)b * o->n_out + o->to[t]];
}

static double ref_act(tp_act f, double a)
{
    switch (f) {
    case TP_TANH: return tanh(a);
    case TP_RELU: return a > 0 ? a : 0;
    case TP_SIGMOID: return 1.0 / (1.0 + exp(-a));
    case TP_IDENTITY: return a;
    case TP_ELU: return a > 0 ? a : expm1(a);
    }
    return a;
}

static double ref_dact_h(tp_act f, double h)   /* f'(a) from h = f(a) */
{
    switch (f) {
    case TP_TANH: return 1.0 - h * h;
    case TP_RELU: return h > 0 ? 1.0 : 0.0;
    case TP_SIGMOID: return h * (1.0 - h);
    case TP_IDENTITY: return 1.0;
    case TP_ELU: return h > 0 ? 1.0 : h + 1.0;
    }
    return 1.0;
}

/* g_l(v) = act_{l-1}(A(V_l)^T v + c_l), the inverse of layer l (1-based) */
static void ref_g(const tp_net *net, int l, const ref_op *op, const double *v, double *out, int B)
{
    const tp_layer *ly = &net->layers[l - 1];
    tp_act f = net->layers[l - 2].act;
    ref_tr(op, ly->v, v, out, B);
    for (int b = 0; b < B; b++)
        for (int i = 0; i < op->n_in; i++) {
            double *o = out + (size_t)b * op->n_in + i;
            *o = ref_act(f, *o + ly->c[i]);
        }
}

/* compare a float array with a double reference; tolerance atol_rel * max|ref| + rtol */
static void cmp_arrays(const float *got, const double *want, size_t n, double atol_rel, double rtol, const char *what)
{
    double scale = dmaxabs(want, n), atol = atol_rel * scale + 1e-30;
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        if (!h_close(got[i], want[i], atol, rtol)) {
            if (!bad++)
                h_fail(__LINE__, "%s[%lu]: got %.9g, expected %.9g (scale %.3g)", what, (unsigned long)i,
                       (double)got[i], want[i], scale);
        }
    if (bad > 1) h_fail(__LINE__, "%s: %d of %lu elements differ", what, bad, (unsigned long)n);
}

/* temp directory for the loader tests */
static char g_tmpdir[400];
static char g_tmpfiles[64][520];
static int g_ntmp;

static int tmpdir_make(void)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base || strlen(base) > 300) base = "/tmp";
#ifdef TEST_POSIX
    snprintf(g_tmpdir, sizeof g_tmpdir, "%s/tp_test_XXXXXX", base);
    return mkdtemp(g_tmpdir) != NULL;
#else
    snprintf(g_tmpdir, sizeof g_tmpdir, "%s", base);   /* files get unique names below */
    return 1;
#endif
}

static const char *tmp_path(const char *name)
{
    char *p = g_tmpfiles[g_ntmp < 63 ? g_ntmp++ : 63];
#ifdef TEST_POSIX
    snprintf(p, 520, "%s/%s", g_tmpdir, name);
#else
    snprintf(p, 520, "%s/tp_test_%lu_%s", g_tmpdir, (unsigned long)rnd_u64(), name);
#endif
    return p;
}

static int write_file(const char *path, const unsigned char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    if (n && fwrite(data, 1, n, f) != n) { fclose(f); return 0; }
    return fclose(f) == 0;
}

/* The whole file, malloc'd (the caller frees it), its length in *len; NULL if unreadable. */
static unsigned char *read_whole(const char *path, long *len)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *f = NULL;
    *len = 0;
    if (!fp) return NULL;
    if (fseek(fp, 0, SEEK_END) == 0 && (*len = ftell(fp)) > 0 && fseek(fp, 0, SEEK_SET) == 0 &&
        (f = (unsigned char *)malloc((size_t)*len)) != NULL && fread(f, 1, (size_t)*len, fp) != (size_t)*len) {
        free(f);
        f = NULL;
    }
    fclose(fp);
    return f;
}

static void tmp_cleanup(void)
{
    for (int i = 0; i < g_ntmp; i++) remove(g_tmpfiles[i]);
#ifdef TEST_POSIX
    if (g_tmpdir[0]) rmdir(g_tmpdir);
#endif
}

/* ================================================================ 1. GEMM ============= */

static void gemm_case(int ta, int tb, int m, int n, int k, int acc, int *bad)
{
    int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2;
    size_t na = (size_t)(ta ? k : m) * lda, nb = (size_t)(tb ? n : k) * ldb, nc = (size_t)m * ldc;
    float *a = falloc(na), *b = falloc(nb), *c0 = falloc(nc), *c1, *c2;
    fill(a, na, 1.0f); fill(b, nb, 1.0f); fill(c0, nc, 1.0f);
    c1 = fdup(c0, nc); c2 = fdup(c0, nc);
    tp_gemm(ta, tb, m, n, k, a, lda, b, ldb, acc, c1, ldc);
    tp_gemm_ref(ta, tb, m, n, k, a, lda, b, ldb, acc, c2, ldc);
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            double s = acc ? c0[(size_t)i * ldc + j] : 0.0, sa = fabs(s);
            for (int p = 0; p < k; p++) {
                double av = ta ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
                double bv = tb ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
                s += av * bv; sa += fabs(av * bv);
            }
            double tol = 1e-5 * sa + 1e-30;
            float g1 = c1[(size_t)i * ldc + j], g2 = c2[(size_t)i * ldc + j];
            if (!(fabs(g1 - g2) <= tol) || !(fabs(g2 - s) <= tol)) {
                if (!(*bad)++)
                    h_fail(__LINE__, "ta %d tb %d m %d n %d k %d acc %d: C[%d][%d] tp_gemm %.9g, tp_gemm_ref %.9g, exact %.9g",
                           ta, tb, m, n, k, acc, i, j, (double)g1, (double)g2, s);
            }
        }
        for (int j = n; j < ldc; j++)   /* the padding beyond each row of C stays untouched */
            if (c1[(size_t)i * ldc + j] != c0[(size_t)i * ldc + j] || c2[(size_t)i * ldc + j] != c0[(size_t)i * ldc + j])
                if (!(*bad)++) h_fail(__LINE__, "ta %d tb %d m %d n %d k %d: wrote C[%d][%d] beyond n", ta, tb, m, n, k, i, j);
    }
    free(a); free(b); free(c0); free(c1); free(c2);
}

static void test_gemm_vs_ref(void)
{
    static const int sz[] = {1, 5, 7, 33, 97, 130, 301};
    static const int big[][3] = {{301, 130, 97}, {130, 301, 33}, {97, 33, 301}, {301, 97, 130}, {33, 301, 301}};
    int bad = 0, cases = 0;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (int acc = 0; acc < 2; acc++) {
                for (int im = 0; im < 7; im++)
                    for (int in = 0; in < 7; in++)
                        for (int ik = 0; ik < 7; ik++) {
                            if ((double)sz[im] * sz[in] * sz[ik] > 2.5e5) continue;
                            gemm_case(ta, tb, sz[im], sz[in], sz[ik], acc, &bad);
                            cases++;
                        }
                for (int i = 0; i < 5; i++) { gemm_case(ta, tb, big[i][0], big[i][1], big[i][2], acc, &bad); cases++; }
            }
    CHECK(cases > 300, "only %d cases ran", cases);
    CHECK(bad == 0, "%d mismatching elements", bad);
}

static void test_gemm_k0(void)
{
    float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8}, c[6] = {1, 2, 3, 4, 5, 6};
    tp_gemm(0, 0, 2, 3, 0, a, 1, b, 3, 1, c, 3);   /* accumulate with k = 0: C unchanged */
    for (int i = 0; i < 6; i++) CHECK(c[i] == (float)(i + 1), "accumulate k=0 changed C[%d] to %g", i, (double)c[i]);
    tp_gemm(0, 0, 2, 3, 0, a, 1, b, 3, 0, c, 3);   /* overwrite with k = 0: C = 0 */
    for (int i = 0; i < 6; i++) CHECK(c[i] == 0.0f, "k=0 left C[%d] = %g", i, (double)c[i]);
}

/* ================================================================ 2. activations, bias === */

static void test_activations(void)
{
    const tp_act acts[] = {TP_TANH, TP_RELU, TP_SIGMOID, TP_IDENTITY, TP_ELU};
    enum { N = 41 };
    float h[N], d[N];
    for (int f = 0; f < 5; f++) {
        for (int i = 0; i < N; i++) h[i] = -4.0f + 0.2f * (float)i + 0.01f;
        tp_act_forward(acts[f], h, N);
        for (int i = 0; i < N; i++) {
            double a = -4.0 + 0.2 * i + 0.01;
            a = (double)(float)a;
            CHECK_NEAR(h[i], ref_act(acts[f], a), 1e-6, 1e-6, "%s(%g)", tp_act_name(acts[f]), a);
            d[i] = 3.0f;
        }
        tp_act_backward(acts[f], h, d, N);
        for (int i = 0; i < N; i++) {
            double a = (double)(float)(-4.0 + 0.2 * i + 0.01), e = 1e-5;
            double fd = (ref_act(acts[f], a + e) - ref_act(acts[f], a - e)) / (2 * e);
            CHECK_NEAR(d[i], 3.0 * fd, 1e-5, 1e-4, "3 * %s'(%g)", tp_act_name(acts[f]), a);
        }
    }
}

/* the vectorised tanh and exp claim 3 and 2 ulp: tanh within 3 ulp, sigmoid within 4 */
static double ulp_of(double y)
{
    float a = (float)fabs(y);
    return (double)nextafterf(a, INFINITY) - a;
}

static void test_activation_accuracy(void)
{
    enum { N = 200001 };
    float *t = falloc(N), *s = falloc(N);
    double mt = 0, ms = 0, at = 0, as = 0;
    for (int i = 0; i < N; i++) t[i] = s[i] = -20.0f + 40.0f * (float)i / (N - 1);
    tp_act_forward(TP_TANH, t, N);
    tp_act_forward(TP_SIGMOID, s, N);
    for (int i = 0; i < N; i++) {
        double x = (double)(-20.0f + 40.0f * (float)i / (N - 1)), yt = tanh(x), ys = 1.0 / (1.0 + exp(-x));
        double et = fabs(t[i] - yt) / ulp_of(yt), es = fabs(s[i] - ys) / ulp_of(ys);
        if (et > mt) { mt = et; at = x; }
        if (es > ms) { ms = es; as = x; }
    }
    CHECK(mt <= 3.0, "tanh error %.2f ulp at %g", mt, at);
    CHECK(ms <= 4.0, "sigmoid error %.2f ulp at %g", ms, as);
    free(t); free(s);
}

/* NaN must survive tanh and sigmoid, or the non-finite-activation check of a training step
   cannot see a diverged layer */
static void test_activation_nan(void)
{
    float h[3] = {NAN, INFINITY, -INFINITY}, s[3] = {NAN, INFINITY, -INFINITY};
    tp_act_forward(TP_TANH, h, 3);
    tp_act_forward(TP_SIGMOID, s, 3);
    CHECK(h[0] != h[0], "tanh(NaN) = %g, expected NaN", (double)h[0]);
    CHECK(h[1] == 1.0f && h[2] == -1.0f, "tanh(+-inf) = %g %g", (double)h[1], (double)h[2]);
    CHECK(s[0] != s[0], "sigmoid(NaN) = %g, expected NaN", (double)s[0]);
    CHECK(s[1] == 1.0f && s[2] >= 0.0f && s[2] < 1e-30f, "sigmoid(+-inf) = %g %g", (double)s[1], (double)s[2]);
}

static void test_bias_add_grad(void)
{
    const int rows = 3, n = 12;
    const int nbs[] = {4, 12, 1};
    for (int t = 0; t < 3; t++) {
        int nb = nbs[t];
        float a[36], a0[36], bias[12], db[12], d[36];
        fill(a, 36, 1.0f); memcpy(a0, a, sizeof a); fill(bias, 12, 1.0f); fill(d, 36, 1.0f);
        for (int j = 0; j < 12; j++) db[j] = 0.5f;
        tp_add_bias(a, bias, rows, n, nb);
        tp_bias_grad(d, db, rows, n, nb);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < n; j++)
                CHECK_NEAR(a[r * n + j], (double)a0[r * n + j] + bias[j % nb], 1e-6, 1e-6, "nb %d a[%d][%d]", nb, r, j);
        for (int j = 0; j < nb; j++) {
            double s = 0.5;
            for (int r = 0; r < rows; r++)
                for (int q = j; q < n; q += nb) s += d[r * n + q];
            CHECK_NEAR(db[j], s, 1e-6, 1e-6, "nb %d db[%d]", nb, j);
        }
        for (int j = nb; j < 12; j++) CHECK(db[j] == 0.5f, "nb %d: db[%d] beyond nb written", nb, j);
    }
}

/* ================================================================ 3. layers: adjoints === */

static const char *const g_layer_specs[] = {
    "13 fc7", "4x3x2 fc5", "70 fc61",   /* the last computes x^T = W d^T (tp__dense_swap) */
    "5x7x2 lc3x3/3/s2", "5x7x2 conv3x3/3/s2",
    "4x4x1 lc5x5/2", "4x4x1 conv5x5/2", "4x4x2 lc5x5/2/s2", "4x4x2 conv5x5/3/s2",
    "3x5x2 lc5x5/3/s2", "3x5x2 conv5x5/3/s2",
    "6x4x3 conv3x3/2/s3", "6x4x3 lc3x3/2/s3",
    "7x7x1 lc1x1/2", "2x9x2 conv4x4/3/s2", "2x9x2 lc4x4/3/s2", "1x1x5 lc3x3/2", "9x8x2 lc3x3/4/s2",
    "8x5x3 conv2x2/2",
    /* kernel rows of >= 32 floats: LC read from x in place, no im2col (tp__local_forward) */
    "5x7x12 lc3x3/3/s2", "4x4x8 lc5x5/3", "3x5x8 lc5x5/3/s2", "6x4x11 lc3x3/2/s3", "2x9x8 lc4x4/3/s2",
    "3x3x12 lc3x3/130",   /* out_c > TP_KC: the transpose adds each dot product in two parts */
};
#define N_LAYER_SPECS (sizeof g_layer_specs / sizeof g_layer_specs[0])

/* forward, transpose and weight gradient of every kind against the naive operator */
static void test_layer_kernels_vs_naive(void)
{
    const int B = 3;
    for (size_t s = 0; s < N_LAYER_SPECS; s++) {
        tp_config cfg = cfg_make(TP_BP, B);
        tp_net net;
        MAKE_NET(&net, g_layer_specs[s], &cfg);
        const tp_layer *l = &net.layers[0];
        ref_op op = ref_op_make(l, l->out_c);
        if (l->kind != TP_DENSE) {
            int oh = ref_out(l->in_h, l->stride), ow = ref_out(l->in_w, l->stride);
            CHECK(l->out_h == oh && l->out_w == ow, "%s: output %dx%d, expected %dx%d", g_layer_specs[s], l->out_h, l->out_w, oh, ow);
            CHECK(l->n_pos == (l->kind == TP_LOCAL ? oh * ow : 1), "%s: n_pos %d", g_layer_specs[s], l->n_pos);
            CHECK(l->patch == l->k * l->k * l->in_c, "%s: patch %d", g_layer_specs[s], l->patch);
        }
        CHECK(l->n_w == op.n_w, "%s: n_w %lu, expected %lu", g_layer_specs[s], (unsigned long)l->n_w, (unsigned long)op.n_w);
        CHECK(l->n_out == op.n_out && l->n_in == op.n_in, "%s: n_in %d n_out %d, expected %d %d", g_layer_specs[s],
              l->n_in, l->n_out, op.n_in, op.n_out);
        if (l->n_w != op.n_w || l->n_out != op.n_out || l->n_in != op.n_in) { ref_op_free(&op); tp_net_destroy(&net); continue; }
        size_t nx = (size_t)B * l->n_in, na = (size_t)B * l->n_out;
        float *w = falloc(l->n_w), *x = falloc(nx), *d = falloc(na), *a = falloc(na), *xt = falloc(nx);
        float *dw = falloc(l->n_w), *scr = falloc(tp_layer_scratch(l, B));
        double *xd, *dd, *ar = dalloc(na), *xr = dalloc(nx), *dwr = dalloc(l->n_w);
        char what[200];
        fill(w, l->n_w, 1.0f); fill(x, nx, 1.0f); fill(d, na, 1.0f); fill(dw, l->n_w, 1.0f);
        xd = to_d(x, nx); dd = to_d(d, na);
        for (size_t i = 0; i < na; i++) a[i] = NAN;
        for (size_t i = 0; i < nx; i++) xt[i] = NAN;
        for (size_t i = 0; i < l->n_w; i++) dwr[i] = dw[i];
        tp_layer_forward(l, w, x, a, B, scr);
        tp_layer_transpose(l, w, d, xt, B, scr);
        tp_layer_weight_grad(l, x, d, dw, B, scr);
        ref_fwd(&op, w, xd, ar, B);
        ref_tr(&op, w, dd, xr, B);
        ref_wg(&op, xd, dd, dwr, B);
        snprintf(what, sizeof what, "%s forward", g_layer_specs[s]);
        cmp_arrays(a, ar, na, 1e-5, 1e-5, what);
        snprintf(what, sizeof what, "%s transpose", g_layer_specs[s]);
        cmp_arrays(xt, xr, nx, 1e-5, 1e-5, what);
        if (l->kind == TP_DENSE) {   /* without scratch, x = d W^T directly: the same bits */
            float *xt2 = falloc(nx);
            tp_layer_transpose(l, w, d, xt2, B, NULL);
            CHECK(memcmp(xt, xt2, nx * sizeof(float)) == 0, "%s: transpose with and without scratch differ", g_layer_specs[s]);
            free(xt2);
        }
        snprintf(what, sizeof what, "%s weight_grad (accumulating)", g_layer_specs[s]);
        cmp_arrays(dw, dwr, l->n_w, 1e-5, 1e-5, what);
        free(w); free(x); free(d); free(a); free(xt); free(dw); free(scr); free(xd); free(dd); free(ar); free(xr); free(dwr);
        ref_op_free(&op);
        tp_net_destroy(&net);
    }
}

/* <A(W) x, d> == <x, A(W)^T d> and <weight_grad(x, d), V> == <d, A(V) x>, library kernels only */
static void test_adjoint(void)
{
    const int B = 2;
    for (size_t s = 0; s < N_LAYER_SPECS; s++) {
        tp_config cfg = cfg_make(TP_BP, B);
        tp_net net;
        MAKE_NET(&net, g_layer_specs[s], &cfg);
        const tp_layer *l = &net.layers[0];
        size_t nx = (size_t)B * l->n_in, na = (size_t)B * l->n_out;
        float *w = falloc(l->n_w), *vv = falloc(l->n_w), *x = falloc(nx), *d = falloc(na), *a = falloc(na);
        float *xt = falloc(nx), *dw = falloc(l->n_w), *av = falloc(na), *scr = falloc(tp_layer_scratch(l, B));
        double lhs = 0, rhs = 0, mag = 0, lhs2 = 0, rhs2 = 0, mag2 = 0;
        fill(w, l->n_w, 1.0f); fill(vv, l->n_w, 1.0f); fill(x, nx, 1.0f); fill(d, na, 1.0f);
        tp_layer_forward(l, w, x, a, B, scr);
        tp_layer_transpose(l, w, d, xt, B, scr);
        for (size_t i = 0; i < na; i++) { lhs += (double)a[i] * d[i]; mag += fabs((double)a[i] * d[i]); }
        for (size_t i = 0; i < nx; i++) { rhs += (double)x[i] * xt[i]; mag += fabs((double)x[i] * xt[i]); }
        CHECK(mag > 0, "%s: all products zero", g_layer_specs[s]);
        CHECK_NEAR(lhs, rhs, 1e-6 * mag, 1e-6, "%s: <A x, d> vs <x, A^T d>", g_layer_specs[s]);
        tp_layer_weight_grad(l, x, d, dw, B, scr);   /* dw starts at zero */
        tp_layer_forward(l, vv, x, av, B, scr);
        for (size_t i = 0; i < l->n_w; i++) { lhs2 += (double)dw[i] * vv[i]; mag2 += fabs((double)dw[i] * vv[i]); }
        for (size_t i = 0; i < na; i++) { rhs2 += (double)d[i] * av[i]; mag2 += fabs((double)d[i] * av[i]); }
        CHECK(mag2 > 0, "%s: all weight-gradient products zero", g_layer_specs[s]);
        CHECK_NEAR(lhs2, rhs2, 1e-6 * mag2, 1e-6, "%s: <weight_grad(x, d), V> vs <d, A(V) x>", g_layer_specs[s]);
        free(w); free(vv); free(x); free(d); free(a); free(xt); free(dw); free(av); free(scr);
        tp_net_destroy(&net);
    }
}

/* an LC layer whose filters are all one conv filter is that conv layer */
static void test_lc_equals_conv(void)
{
    static const char *const pairs[][2] = {
        {"5x7x2 lc3x3/3/s2", "5x7x2 conv3x3/3/s2"}, {"4x4x1 lc5x5/2", "4x4x1 conv5x5/2"},
        {"6x5x3 lc3x3/4", "6x5x3 conv3x3/4"}, {"2x9x2 lc4x4/3/s2", "2x9x2 conv4x4/3/s2"},
        {"5x7x12 lc3x3/3/s2", "5x7x12 conv3x3/3/s2"}, {"4x4x8 lc5x5/2", "4x4x8 conv5x5/2"},
    };
    const int B = 3;
    for (int t = 0; t < (int)(sizeof pairs / sizeof pairs[0]); t++) {
        tp_config cfg = cfg_make(TP_BP, B);
        tp_net nl, nc;
        MAKE_NET(&nl, pairs[t][0], &cfg);
        MAKE_NET(&nc, pairs[t][1], &cfg);
        const tp_layer *ll = &nl.layers[0], *lc = &nc.layers[0];
        CHECK(ll->n_w == (size_t)ll->n_pos * lc->n_w && ll->n_out == lc->n_out, "%s: shapes", pairs[t][0]);
        if (ll->n_w != (size_t)ll->n_pos * lc->n_w || ll->n_out != lc->n_out) { tp_net_destroy(&nl); tp_net_destroy(&nc); continue; }
        size_t nx = (size_t)B * ll->n_in, na = (size_t)B * ll->n_out, sc = tp_layer_scratch(ll, B);
        float *wc = falloc(lc->n_w), *wl = falloc(ll->n_w), *x = falloc(nx), *d = falloc(na);
        float *a1 = falloc(na), *a2 = falloc(na), *x1 = falloc(nx), *x2 = falloc(nx);
        float *dwl = falloc(ll->n_w), *dwc = falloc(lc->n_w);
        float *scr = falloc(sc > tp_layer_scratch(lc, B) ? sc : tp_layer_scratch(lc, B));
        double *a2d, *x2d, *sum = dalloc(lc->n_w);
        fill(wc, lc->n_w, 1.0f); fill(x, nx, 1.0f); fill(d, na, 1.0f);
        for (int p = 0; p < ll->n_pos; p++) memcpy(wl + (size_t)p * lc->n_w, wc, lc->n_w * sizeof(float));
        tp_layer_forward(ll, wl, x, a1, B, scr);
        tp_layer_forward(lc, wc, x, a2, B, scr);
        tp_layer_transpose(ll, wl, d, x1, B, scr);
        tp_layer_transpose(lc, wc, d, x2, B, scr);
        tp_layer_weight_grad(ll, x, d, dwl, B, scr);
        tp_layer_weight_grad(lc, x, d, dwc, B, scr);
        a2d = to_d(a2, na); x2d = to_d(x2, nx);
        for (int p = 0; p < ll->n_pos; p++)
            for (size_t i = 0; i < lc->n_w; i++) sum[i] += dwl[(size_t)p * lc->n_w + i];
        cmp_arrays(a1, a2d, na, 1e-5, 1e-5, "LC forward vs conv forward");
        cmp_arrays(x1, x2d, nx, 1e-5, 1e-5, "LC transpose vs conv transpose");
        for (size_t i = 0; i < lc->n_w; i++)
            CHECK_NEAR(sum[i], dwc[i], 1e-5, 1e-5, "%s: sum over positions of LC dW[%lu] vs conv dW", pairs[t][0], (unsigned long)i);
        free(wc); free(wl); free(x); free(d); free(a1); free(a2); free(x1); free(x2); free(dwl); free(dwc); free(scr);
        free(a2d); free(x2d); free(sum);
        tp_net_destroy(&nl); tp_net_destroy(&nc);
    }
}

/* an LC layer with one position covering the whole input is a dense layer with the same
   weights: patch rows (ky, kx, ci) are the channels-last flattening of the input */
static void test_lc_full_kernel_equals_dense(void)
{
    static const char *const pairs[][2] = {{"3x3x2 lc3x3/4/s3", "18 fc4"}, {"4x4x1 lc4x4/3/s4", "16 fc3"},
                                           {"1x1x6 lc1x1/5", "6 fc5"}, {"3x3x12 lc3x3/4/s3", "108 fc4"}};
    const int B = 4;
    for (int t = 0; t < (int)(sizeof pairs / sizeof pairs[0]); t++) {
        tp_config cfg = cfg_make(TP_BP, B);
        tp_net nl, nd;
        MAKE_NET(&nl, pairs[t][0], &cfg);
        MAKE_NET(&nd, pairs[t][1], &cfg);
        const tp_layer *ll = &nl.layers[0], *ld = &nd.layers[0];
        CHECK(ll->n_pos == 1 && ll->n_w == ld->n_w && ll->n_out == ld->n_out && ll->n_in == ld->n_in,
              "%s: n_pos %d n_w %lu/%lu", pairs[t][0], ll->n_pos, (unsigned long)ll->n_w, (unsigned long)ld->n_w);
        if (ll->n_w != ld->n_w || ll->n_out != ld->n_out) { tp_net_destroy(&nl); tp_net_destroy(&nd); continue; }
        size_t nx = (size_t)B * ll->n_in, na = (size_t)B * ll->n_out;
        float *w = falloc(ll->n_w), *x = falloc(nx), *d = falloc(na), *a1 = falloc(na), *a2 = falloc(na);
        float *x1 = falloc(nx), *x2 = falloc(nx), *dw1 = falloc(ll->n_w), *dw2 = falloc(ll->n_w);
        float *scr = falloc(tp_layer_scratch(ll, B));
        double *a2d, *x2d, *dw2d;
        fill(w, ll->n_w, 1.0f); fill(x, nx, 1.0f); fill(d, na, 1.0f);
        tp_layer_forward(ll, w, x, a1, B, scr);
        tp_layer_forward(ld, w, x, a2, B, NULL);
        tp_layer_transpose(ll, w, d, x1, B, scr);
        tp_layer_transpose(ld, w, d, x2, B, NULL);
        tp_layer_weight_grad(ll, x, d, dw1, B, scr);
        tp_layer_weight_grad(ld, x, d, dw2, B, NULL);
        a2d = to_d(a2, na); x2d = to_d(x2, nx); dw2d = to_d(dw2, ll->n_w);
        cmp_arrays(a1, a2d, na, 1e-5, 1e-5, "full-kernel LC forward vs dense");
        cmp_arrays(x1, x2d, nx, 1e-5, 1e-5, "full-kernel LC transpose vs dense");
        cmp_arrays(dw1, dw2d, ll->n_w, 1e-5, 1e-5, "full-kernel LC weight_grad vs dense");
        free(w); free(x); free(d); free(a1); free(a2); free(x1); free(x2); free(dw1); free(dw2); free(scr);
        free(a2d); free(x2d); free(dw2d);
        tp_net_destroy(&nl); tp_net_destroy(&nd);
    }
}

/* ================================================================ 4. finite differences === */

typedef struct fd_ctx {
    const float *x, *y;
    int B;
    int inverse;            /* 0: task loss wrt params, 1: inverse loss wrt iparams */
    int relu;               /* skip coordinates whose perturbation flips a ReLU */
    unsigned char *mask;    /* where fd_loss stores the ReLU pattern, or NULL */
} fd_ctx;

static size_t n_units(const tp_net *net, int B)   /* ReLU pattern bytes, then the pools' switches */
{
    size_t n = 0;
    for (int l = 1; l <= net->n_layers; l++)
        n += (size_t)B * net->layers[l - 1].n_out * (net->layers[l - 1].sw ? 1 + sizeof(int32_t) : 1);
    return n;
}

static double fd_loss(tp_net *net, const fd_ctx *c)
{
    double L;
    if (c->inverse) { net->noise_step = 0; return tp_rule_info(net->cfg.rule)->learned_grads(net, c->y, c->B); }
    tp_forward(net, c->x, c->B);
    L = tp_task_loss(net, c->y, c->B, NULL);
    if (c->mask) {
        unsigned char *m = c->mask;
        for (int l = 1; l <= net->n_layers; l++) {
            size_t n = (size_t)c->B * net->layers[l - 1].n_out;
            for (size_t i = 0; i < n; i++) *m++ = net->h[l][i] > 0.0f;
            if (net->layers[l - 1].sw) { memcpy(m, net->layers[l - 1].sw, n * sizeof(int32_t)); m += n * sizeof(int32_t); }
        }
    }
    return L;
}

/* central differences of the loss against the library's gradient g for the parameters p */
static void fd_check(tp_net *net, fd_ctx *c, float *p, const float *g, size_t n, const char *what)
{
    const double eps = 1e-2;
    size_t nm = c->relu ? n_units(net, c->B) : 0, checked = 0, skipped = 0;
    unsigned char *m0 = NULL, *mp = NULL, *mm = NULL;
    double gmax = fmaxabs(g, n), atol = 2e-3 * gmax + 2e-5, num = 0, den = 0;
    int bad = 0;
    if (nm) {
        m0 = (unsigned char *)malloc(nm); mp = (unsigned char *)malloc(nm); mm = (unsigned char *)malloc(nm);
        c->mask = m0; fd_loss(net, c);
    }
    for (size_t t = 0; t < n && t < 1500; t++) {
        size_t i = n <= 1500 ? t : (size_t)(rnd_u64() % n);
        float p0 = p[i], pp = (float)(p0 + eps), pm = (float)(p0 - eps);
        double lp, lm, fd;
        c->mask = mp; p[i] = pp; lp = fd_loss(net, c);
        c->mask = mm; p[i] = pm; lm = fd_loss(net, c);
        p[i] = p0;
        if (nm && (memcmp(m0, mp, nm) != 0 || memcmp(m0, mm, nm) != 0)) { skipped++; continue; }
        fd = (lp - lm) / ((double)pp - (double)pm);
        checked++;
        num += (g[i] - fd) * (g[i] - fd); den += fd * fd;
        if (!h_close(g[i], fd, atol, 2e-2) && !bad++)
            h_fail(__LINE__, "%s: gradient[%lu] %.7g, finite difference %.7g (max |g| %.3g)", what, (unsigned long)i,
                   (double)g[i], fd, gmax);
    }
    c->mask = NULL;
    CHECK(gmax > 1e-4, "%s: gradient is (nearly) zero everywhere, max %.3g", what, gmax);
    CHECK(checked >= 10 && (skipped * 5 <= checked || checked >= 100), "%s: %lu coordinates checked, %lu skipped at ReLU or max kinks", what,
          (unsigned long)checked, (unsigned long)skipped);
    CHECK(den > 0 && sqrt(num / den) < 1e-2, "%s: relative error of the whole gradient %.3g", what, den > 0 ? sqrt(num / den) : -1.0);
    if (bad > 1) h_fail(__LINE__, "%s: %d of %lu coordinates off", what, bad, (unsigned long)checked);
    free(m0); free(mp); free(mm);
}

static void gradcheck_bp(const char *spec)
{
    const int B = 3;
    tp_config cfg = cfg_make(TP_BP, B);
    tp_net net;
    int relu = 0;
    MAKE_NET(&net, spec, &cfg);
    float *x = falloc((size_t)B * net.n_in), *y = falloc((size_t)B * net.n_out), *g;
    fd_ctx c;
    rand_biases(&net, 0.3f);
    rand_xy(&net, x, y, B);
    for (int l = 0; l < net.n_layers; l++) relu |= net.layers[l].act == TP_RELU || net.layers[l].kind == TP_MAXPOOL;
    memset(net.grads, 0, net.n_params * sizeof(float));
    tp_forward(&net, x, B);
    tp_task_loss(&net, y, B, NULL);
    tp_rule_bp(&net, y, B);
    g = fdup(net.grads, net.n_params);
    c.x = x; c.y = y; c.B = B; c.inverse = 0; c.relu = relu; c.mask = NULL;
    fd_check(&net, &c, net.params, g, net.n_params, spec);
    free(x); free(y); free(g);
    tp_net_destroy(&net);
}

static const char *const g_fd_specs[] = {
    "6 fc5:tanh fc4:tanh fc3", "6 fc5:elu fc4:elu fc3", "6 fc5:relu fc4:relu fc3", "6 fc5:sigmoid fc4:sigmoid fc3", "6 fc5:linear fc4:linear fc3",
    "6 fc5:tanh fc4:tanh fc3:sigmoid mse", "6 fc5:relu fc4:relu fc3:sigmoid mse",
    "6 fc5:sigmoid fc4:sigmoid fc3:sigmoid mse", "6 fc5:linear fc4:linear fc3:sigmoid mse",
    "6 fc5 fc3:tanh", "6 fc5 fc3 mse", "6 fc4:relu fc3:relu mse",
    "5x7x2 lc3x3/3/s2 fc4", "5x5x3 conv3x3/4 lc3x3/2/s2 fc3", "4x4x1 conv5x5/2 fc3", "4x4x1 lc5x5/2/s2 fc3",
    "3x5x2 lc3x3/2:relu conv3x3/3/s2:sigmoid fc3:sigmoid mse", "2x9x2 conv4x4/3/s2 lc2x2/2 fc3",
    "6x6x1 lc3x3/2/s2 lc3x3/2/s2 fc3", "5x5x11 lc3x3/3/s2 fc3", "4x4x8 lc5x5/2 fc3",
    "6x6x2 conv3x3/3:elu maxpool2x2 fc4", "7x7x2 lc3x3/3 maxpool3x3/s2 conv3x3/2:elu maxpool2x2 fc3",
    "6x6x2 conv3x3/3:elu avgpool2x2 fc4", "7x7x2 lc3x3/3 avgpool3x3/s2 conv3x3/2:relu avgpool4x4 fc3",
};

/* The learned feedback's gradient against finite differences of the loss it returns, on the
   first n_check feedback parameters (0: all; DTP-DRL's loss of layer l also moves with the
   inverses above l, which its gradient takes as given, so only the lowest inverse is checked). */
static void gradcheck_inverse(const char *spec, tp_rule rule, int n_aux, size_t n_check)
{
    const int B = 3;
    tp_config cfg = cfg_make(rule, B);
    tp_net net;
    cfg.n_aux = n_aux;
    cfg.sigma = 0.3f;
    MAKE_NET(&net, spec, &cfg);
    float *x = falloc((size_t)B * net.n_in), *y = falloc((size_t)B * net.n_out), *g;
    fd_ctx c;
    CHECK(net.n_iparams > 0, "no inverse parameters");
    rand_biases(&net, 0.3f);
    rand_xy(&net, x, y, B);
    tp_forward(&net, x, B);
    memset(net.igrads, 0, net.n_iparams * sizeof(float));
    net.noise_step = 0;
    tp_rule_info(rule)->learned_grads(&net, y, B);
    g = fdup(net.igrads, net.n_iparams);
    c.x = x; c.y = y; c.B = B; c.inverse = 1; c.relu = 0; c.mask = NULL;
    if (n_check == 1) n_check = net.layers[1].n_w + (size_t)net.layers[1].n_in;   /* g_2's V and c */
    fd_check(&net, &c, net.iparams, g, n_check ? n_check : net.n_iparams, spec);
    free(x); free(y); free(g);
    tp_net_destroy(&net);
}

/* ================================================================ 5. Adam, SGD ======== */

static void test_adam_reference(void)
{
    const double g[3][2] = {{0.1, -0.2}, {0.3, 0.05}, {-0.2, 0.4}};
    const double settings[2][4] = {{0.01, 0.9, 0.999, 1e-8}, {0.05, 0.5, 0.75, 0.1}};
    for (int s = 0; s < 2; s++) {
        tp_optim opt;
        float p[2] = {0.5f, -1.0f}, gf[2], m1[2] = {0, 0}, m2[2] = {0, 0};
        double pr[2] = {0.5, -1.0}, mr[2] = {0, 0}, vr[2] = {0, 0};
        double lr = settings[s][0], b1 = settings[s][1], b2 = settings[s][2], eps = settings[s][3];
        memset(&opt, 0, sizeof opt);
        opt.lr = (float)lr; opt.beta1 = (float)b1; opt.beta2 = (float)b2; opt.eps = (float)eps;
        lr = opt.lr; b1 = opt.beta1; b2 = opt.beta2; eps = opt.eps;   /* the float values the library sees */
        for (int t = 1; t <= 3; t++) {
            for (int i = 0; i < 2; i++) gf[i] = (float)g[t - 1][i];
            tp_optim_step(&opt, p, gf, m1, m2, 2);
            for (int i = 0; i < 2; i++) {
                double gi = gf[i];
                mr[i] = b1 * mr[i] + (1 - b1) * gi;
                vr[i] = b2 * vr[i] + (1 - b2) * gi * gi;
                double mh = mr[i] / (1 - pow(b1, t)), vh = vr[i] / (1 - pow(b2, t));
                pr[i] -= lr * mh / (sqrt(vh) + eps);
                CHECK_NEAR(p[i], pr[i], 1e-6, 1e-6, "setting %d step %d p[%d]", s, t, i);
                CHECK_NEAR(m1[i], mr[i], 1e-7, 1e-5, "setting %d step %d m[%d]", s, t, i);
                CHECK_NEAR(m2[i], vr[i], 1e-9, 1e-5, "setting %d step %d v[%d]", s, t, i);
            }
        }
        CHECK(opt.t == 3, "t = %ld after 3 steps", opt.t);
    }
    {   /* SGD: p -= lr g, moments untouched */
        tp_optim opt;
        float p[3] = {1.0f, -2.0f, 0.25f}, gg[3] = {0.5f, -1.5f, 2.0f}, m1[3] = {0, 0, 0}, m2[3] = {0, 0, 0};
        double pr[3] = {1.0, -2.0, 0.25};
        memset(&opt, 0, sizeof opt);
        opt.lr = 0.1f; opt.kind = TP_SGD; opt.beta1 = 0.9f; opt.beta2 = 0.999f; opt.eps = 1e-8f;
        for (int t = 0; t < 2; t++) {
            tp_optim_step(&opt, p, gg, m1, m2, 3);
            for (int i = 0; i < 3; i++) {
                pr[i] -= (double)opt.lr * gg[i];
                CHECK_NEAR(p[i], pr[i], 1e-6, 1e-6, "SGD step %d p[%d]", t, i);
                CHECK(m1[i] == 0.0f && m2[i] == 0.0f, "SGD touched the moments");
            }
        }
    }
}

/* SGD with momentum and Nesterov momentum, PyTorch's formulas: three steps worked by hand (lr 0.1,
   mu 0.9, no dampening: u = g at the first step, then u = mu u + g; heavy ball p -= lr u, Nesterov
   p -= lr (g + mu u)), then a loop against the formulas in double with dampening and coupled L2. */
static void test_momentum_reference(void)
{
    const float g[3] = {0.5f, 0.25f, -0.5f};
    const double heavy[3] = {0.95, 0.88, 0.867}, nesterov[3] = {0.905, 0.817, 0.8553};
    for (int nest = 0; nest < 2; nest++) {
        tp_optim o = tp_config_default(TP_BP).forward;
        float p = 1.0f, m1 = 0.0f, m2 = 0.0f;
        o.kind = nest ? TP_NESTEROV : TP_MOMENTUM; o.lr = 0.1f; o.momentum = 0.9f;
        for (int t = 0; t < 3; t++) {
            tp_optim_step(&o, &p, &g[t], &m1, &m2, 1);
            CHECK_NEAR(p, (nest ? nesterov : heavy)[t], 1e-6, 1e-6, "%s step %d", nest ? "Nesterov" : "momentum", t + 1);
        }
        CHECK(m2 == 0.0f, "momentum touched the second buffer");
    }
    for (int nest = 0; nest < 2; nest++) {
        tp_optim o = tp_config_default(TP_BP).forward;
        float p[2] = {0.5f, -1.0f}, m1[2] = {0, 0}, m2[2] = {0, 0};
        double pr[2] = {0.5, -1.0}, u[2] = {0, 0}, lr, mu, damp, l2;
        o.kind = nest ? TP_NESTEROV : TP_MOMENTUM; o.lr = 0.05f; o.momentum = 0.8f; o.dampening = nest ? 0.0f : 0.25f;
        o.l2 = 0.01f;
        lr = o.lr; mu = o.momentum; damp = o.dampening; l2 = o.l2;
        for (int t = 0; t < 5; t++) {
            float gf[2] = {(float)(0.3 - 0.2 * t), (float)(0.1 * t - 0.4)};
            tp_optim_step(&o, p, gf, m1, m2, 2);
            for (int i = 0; i < 2; i++) {
                double gi = (double)gf[i] + l2 * pr[i];
                u[i] = t == 0 ? gi : mu * u[i] + (1 - damp) * gi;
                pr[i] -= lr * (nest ? gi + mu * u[i] : u[i]);
                CHECK_NEAR(p[i], pr[i], 1e-6, 1e-6, "%s, dampening and L2: step %d p[%d]", nest ? "Nesterov" : "momentum", t + 1, i);
                CHECK_NEAR(m1[i], u[i], 1e-6, 1e-6, "%s: step %d buffer[%d]", nest ? "Nesterov" : "momentum", t + 1, i);
            }
        }
    }
}

/* Coupled decay (L2 in the gradient) against decoupled decay: for SGD they agree when decay = lr l2;
   under Adam the coupled one is normalised away (a step of about lr, whatever the weight), the
   decoupled one is not; clipping scales the whole block's gradient to the given norm. */
static void test_decay_coupled_decoupled(void)
{
    tp_optim o = tp_config_default(TP_BP).forward;
    float zero[2] = {0, 0}, p[2], m1[2], m2[2], g[2] = {3.0f, 4.0f};
    o.kind = TP_SGD; o.lr = 0.1f; o.l2 = 0.5f;
    p[0] = 1.0f; p[1] = -2.0f;
    tp_optim_step(&o, p, zero, m1, m2, 2);
    CHECK_NEAR(p[0], 0.95, 1e-7, 1e-6, "SGD coupled: %g", (double)p[0]);
    CHECK_NEAR(p[1], -1.9, 1e-7, 1e-6, "SGD coupled: %g", (double)p[1]);
    o = tp_config_default(TP_BP).forward; o.kind = TP_SGD; o.lr = 0.1f; o.decay = 0.05f;
    p[0] = 1.0f; p[1] = -2.0f;
    tp_optim_step(&o, p, zero, m1, m2, 2);
    CHECK_NEAR(p[0], 0.95, 1e-7, 1e-6, "SGD decoupled: %g", (double)p[0]);
    CHECK_NEAR(p[1], -1.9, 1e-7, 1e-6, "SGD decoupled: %g", (double)p[1]);
    o = tp_config_default(TP_BP).forward; o.lr = 0.1f; o.l2 = 0.5f;   /* Adam */
    p[0] = 1.0f; p[1] = -2.0f; memset(m1, 0, sizeof m1); memset(m2, 0, sizeof m2);
    tp_optim_step(&o, p, zero, m1, m2, 2);
    CHECK_NEAR(p[0], 0.9, 1e-6, 1e-5, "Adam coupled: a step of lr, %g", (double)p[0]);
    CHECK_NEAR(p[1], -1.9, 1e-6, 1e-5, "Adam coupled: a step of lr, %g", (double)p[1]);
    o = tp_config_default(TP_BP).forward; o.lr = 0.1f; o.decay = 0.05f;
    p[0] = 1.0f; p[1] = -2.0f; memset(m1, 0, sizeof m1); memset(m2, 0, sizeof m2);
    tp_optim_step(&o, p, zero, m1, m2, 2);
    CHECK(p[0] == 1.0f - 0.05f * 1.0f && p[1] == -2.0f - 0.05f * -2.0f, "Adam decoupled: %g %g", (double)p[0], (double)p[1]);
    o = tp_config_default(TP_BP).forward; o.kind = TP_SGD; o.lr = 1.0f; o.clip = 1.0f;   /* ||g|| = 5 */
    p[0] = p[1] = 0.0f;
    tp_optim_step(&o, p, g, m1, m2, 2);
    CHECK_NEAR(p[0], -0.6, 1e-6, 1e-5, "clipped to norm 1: %g", (double)p[0]);
    CHECK_NEAR(p[1], -0.8, 1e-6, 1e-5, "clipped to norm 1: %g", (double)p[1]);
    o.clip = 10.0f;
    p[0] = p[1] = 0.0f;
    tp_optim_step(&o, p, g, m1, m2, 2);
    CHECK(p[0] == -3.0f && p[1] == -4.0f, "a norm under the clip is left alone: %g %g", (double)p[0], (double)p[1]);
    {   /* in a net, biases keep their weights' decay only with decay_biases */
        tp_config c = cfg_make(TP_BP, 2);
        tp_net net;
        float x[8] = {0}, y[4] = {1, 0, 1, 0};
        c.forward.kind = TP_SGD; c.forward.lr = 0.0f; c.forward.decay = 0.5f; c.forward.decay_biases = 0;
        MAKE_NET(&net, "4 fc3 fc2", &c);
        for (int l = 0; l < 2; l++) for (size_t i = 0; i < net.layers[l].n_b; i++) net.layers[l].b[i] = 1.0f;
        {
            float w0 = net.layers[0].w[0];
            CHECK(tp_train_step(&net, x, y, 2, TP_PHASE_FORWARD, NULL) == TP_OK, "step: %s", net.error);
            CHECK(net.layers[0].b[0] == 1.0f && net.layers[1].b[1] == 1.0f && net.layers[0].w[0] == w0 - 0.5f * w0,
                  "decay_biases 0: biases %g %g, weight %g from %g", (double)net.layers[0].b[0], (double)net.layers[1].b[1],
                  (double)net.layers[0].w[0], (double)w0);
            net.cfg.forward.decay_biases = 1;
            CHECK(tp_train_step(&net, x, y, 2, TP_PHASE_FORWARD, NULL) == TP_OK && net.layers[0].b[0] == 0.5f,
                  "decay_biases 1: bias %g", (double)net.layers[0].b[0]);
        }
        tp_net_destroy(&net);
    }
}

/* The schedules at chosen steps: cosine at its start, middle and end (and past it), with a floor,
   ticking every few steps; warm-up before it; step milestones; a constant rate's exact bits; the
   decoupled decay annealed with the rate. */
static void test_lr_schedules(void)
{
    tp_optim o = tp_config_default(TP_BP).forward;
    tp_lr_schedule *s = &o.schedule;
    float p, z = 0.0f, m1 = 0.0f, m2 = 0.0f;
    o.lr = 0.1f;
    CHECK(tp_optim_lr(&o, 0) == 0.1f && tp_optim_lr(&o, 123456) == 0.1f, "constant: %g", (double)tp_optim_lr(&o, 99));
    s->kind = TP_LR_COSINE; s->length = 10;
    CHECK_NEAR(tp_optim_lr(&o, 0), 0.1, 1e-9, 1e-6, "cosine start");
    CHECK_NEAR(tp_optim_lr(&o, 5), 0.05, 1e-9, 1e-6, "cosine middle");
    CHECK_NEAR(tp_optim_lr(&o, 10), 0.0, 1e-9, 1e-6, "cosine end");
    CHECK_NEAR(tp_optim_lr(&o, 2), 0.1 * 0.5 * (1 + cos(3.14159265358979323846 * 0.2)), 1e-8, 1e-6, "cosine at 2 of 10");
    CHECK(tp_optim_lr(&o, 1000) == 0.0f, "past the end: %g", (double)tp_optim_lr(&o, 1000));
    s->floor = 0.1f;
    CHECK_NEAR(tp_optim_lr(&o, 10), 0.01, 1e-9, 1e-6, "cosine to a floor of 0.1");
    CHECK_NEAR(tp_optim_lr(&o, 5), 0.055, 1e-9, 1e-6, "cosine middle with the floor");
    s->floor = 0.0f; s->every = 4;
    CHECK(tp_optim_lr(&o, 3) == 0.1f, "ticks of 4 steps: step 3 is tick 0");
    CHECK_NEAR(tp_optim_lr(&o, 20), 0.05, 1e-9, 1e-6, "ticks of 4 steps: step 20 is tick 5");
    CHECK_NEAR(tp_optim_lr(&o, 23), 0.05, 1e-9, 1e-6, "ticks of 4 steps: step 23 is tick 5");
    s->every = 1; s->warmup = 4;
    CHECK_NEAR(tp_optim_lr(&o, 0), 0.02, 1e-9, 1e-6, "warm-up tick 0: lr / 5");
    CHECK_NEAR(tp_optim_lr(&o, 3), 0.08, 1e-9, 1e-6, "warm-up tick 3: 4 lr / 5");
    CHECK_NEAR(tp_optim_lr(&o, 4), 0.1, 1e-9, 1e-6, "after warm-up: the cosine's start");
    CHECK_NEAR(tp_optim_lr(&o, 9), 0.05, 1e-9, 1e-6, "cosine middle after 4 of warm-up");
    s->warmup = 0; s->kind = TP_LR_STEP; s->gamma = 0.5f; s->n_milestones = 2; s->milestones[0] = 3; s->milestones[1] = 6;
    CHECK(tp_optim_lr(&o, 2) == 0.1f, "before the first milestone");
    CHECK_NEAR(tp_optim_lr(&o, 3), 0.05, 1e-9, 1e-6, "at the first milestone");
    CHECK_NEAR(tp_optim_lr(&o, 5), 0.05, 1e-9, 1e-6, "between the milestones");
    CHECK_NEAR(tp_optim_lr(&o, 6), 0.025, 1e-9, 1e-6, "at the second");
    CHECK_NEAR(tp_optim_lr(&o, 1000), 0.025, 1e-9, 1e-6, "long after");
    s->kind = TP_LR_COSINE; s->length = 2; o.kind = TP_SGD; o.decay = 0.2f; o.t = 1;   /* the step at tick 1: half */
    p = 1.0f;
    tp_optim_step(&o, &p, &z, &m1, &m2, 1);
    CHECK_NEAR(p, 0.9, 1e-7, 1e-6, "the decoupled decay annealed with the rate: %g", (double)p);
    CHECK(o.t == 2, "t advanced: %ld", o.t);
}

/* Per-layer feedback settings reach their layers: with L-DRL's iterations 1,3 the top layer's feedback
   trains three times a batch (as in a net of 3 for every layer, bit for bit) and the other once, in
   the batch's last iteration (as in a net of 1 whose noise counter stands there); a layer's own sigma
   and rate act on that layer alone. */
static void test_layer_settings(void)
{
    const int B = 4;
    const char *spec = "6 fc5:elu fc4:elu fc3";
    tp_config base = cfg_make(TP_LDRL, B), c;
    tp_net a, all3, one, ref;
    float *x, *y;
    double iters[2] = {1, 3}, sig[2] = {0.05, 0.3}, lrs[2] = {0.02, 0.01};
    char err[TP_ERROR_LEN];
    base.inverse.kind = TP_SGD; base.inverse.lr = 0.01f; base.iters = 1;
    c = base;
    CHECK(tp_config_layers(&c, spec, TP_SET_ITERS, iters, 2, err) == TP_OK && c.layer_iters[0] == 0 && c.layer_iters[1] == 1 &&
          c.layer_iters[2] == 3, "iterations 1,3 on layers 2 and 3: %s", err);
    MAKE_NET(&a, spec, &c);
    c = base; c.iters = 3;
    MAKE_NET(&all3, spec, &c);
    c = base;
    MAKE_NET(&one, spec, &c);
    x = falloc((size_t)B * a.n_in); y = falloc((size_t)B * a.n_out);
    rand_xy(&a, x, y, B);
    one.noise_step = 2;
    CHECK(tp_train_step(&a, x, y, B, TP_PHASE_INVERSE, NULL) == TP_OK && tp_train_step(&all3, x, y, B, TP_PHASE_INVERSE, NULL) == TP_OK &&
          tp_train_step(&one, x, y, B, TP_PHASE_INVERSE, NULL) == TP_OK, "steps: %s %s %s", a.error, all3.error, one.error);
    CHECK(a.cfg.inverse.t == 3, "three feedback steps in the batch: %ld", a.cfg.inverse.t);
    CHECK(memcmp(a.layers[2].v, all3.layers[2].v, a.layers[2].n_w * sizeof(float)) == 0, "layer 3 trained three times");
    CHECK(memcmp(a.layers[1].v, one.layers[1].v, a.layers[1].n_w * sizeof(float)) == 0, "layer 2 trained once, last");
    CHECK(memcmp(a.layers[1].v, all3.layers[1].v, a.layers[1].n_w * sizeof(float)) != 0, "layer 2 trained more than once");
    tp_net_destroy(&a); tp_net_destroy(&all3); tp_net_destroy(&one);
    c = base;   /* sigma and rate per layer */
    CHECK(tp_config_layers(&c, spec, TP_SET_SIGMA, sig, 2, err) == TP_OK && tp_config_layers(&c, spec, TP_SET_LR, lrs, 2, err) == TP_OK,
          "sigma and lr lists: %s", err);
    MAKE_NET(&a, spec, &c);
    c = base; c.sigma = 0.3f;
    MAKE_NET(&ref, spec, &c);
    CHECK(tp_train_step(&a, x, y, B, TP_PHASE_INVERSE, NULL) == TP_OK && tp_train_step(&ref, x, y, B, TP_PHASE_INVERSE, NULL) == TP_OK,
          "steps: %s %s", a.error, ref.error);
    CHECK(memcmp(a.layers[2].v, ref.layers[2].v, a.layers[2].n_w * sizeof(float)) == 0, "layer 3: its sigma 0.3 and lr 0.01");
    CHECK(memcmp(a.layers[1].v, ref.layers[1].v, a.layers[1].n_w * sizeof(float)) != 0, "layer 2: not the single values");
    tp_net_destroy(&a); tp_net_destroy(&ref);
    /* the lists are counted against the layers with learned feedback */
    c = base;
    CHECK(tp_config_layers(&c, spec, TP_SET_ITERS, iters, 1, err) == TP_OK && c.iters == 1 && c.layer_iters[2] == 0, "one value: %s", err);
    {
        double five[5] = {20, 30, 35, 55, 20}, three[3] = {1, 2, 3};
        tp_config v = tp_config_default(TP_LDRL), bp = tp_config_default(TP_BP);
        CHECK(tp_config_layers(&v, "cifar-vgg", TP_SET_ITERS, five, 5, err) == TP_OK && v.layer_iters[2] == 20 &&
              v.layer_iters[4] == 30 && v.layer_iters[6] == 35 && v.layer_iters[8] == 55 && v.layer_iters[10] == 20 &&
              v.layer_iters[0] == 0 && v.layer_iters[1] == 0, "cifar-vgg: the conv layers after the first, and the top: %s", err);
        CHECK(tp_config_layers(&c, spec, TP_SET_ITERS, three, 3, err) == TP_ERROR_SPEC && strstr(err, "expected 1 (every layer) or 2 (layers 2, 3"),
              "three values for two layers: \"%s\"", err);
        CHECK(tp_config_layers(&bp, spec, TP_SET_SIGMA, sig, 2, err) == TP_ERROR_SPEC && strstr(err, "learns no feedback"),
              "bp: \"%s\"", err);
        three[1] = 2.5;
        CHECK(tp_config_layers(&v, spec, TP_SET_ITERS, three + 1, 2, err) == TP_ERROR_SPEC && strstr(err, "whole number"),
              "iterations 2.5: \"%s\"", err);
    }
    free(x); free(y);
}

/* A run with momentum, coupled decay, a warm-up and a cosine, saved and loaded mid-schedule, goes on
   bit for bit as the run that was not stopped (and not as a constant rate would). */
static void test_resume_mid_schedule(void)
{
    const int B = 4;
    tp_config c = cfg_make(TP_DTP, B);
    tp_net run, back, flat;
    float *x, *y;
    const char *p = tmp_path("cosine.ckpt");
    c.forward.kind = TP_NESTEROV; c.forward.momentum = 0.9f; c.forward.lr = 0.05f; c.forward.l2 = 1e-3f;
    c.forward.schedule.kind = TP_LR_COSINE; c.forward.schedule.length = 6; c.forward.schedule.warmup = 1;
    c.forward.schedule.every = 2; c.forward.decay_biases = 0;
    c.inverse.kind = TP_MOMENTUM; c.inverse.schedule = c.forward.schedule; c.inverse.schedule.kind = TP_LR_STEP;
    c.inverse.schedule.n_milestones = 1; c.inverse.schedule.milestones[0] = 3; c.inverse.schedule.gamma = 0.3f;
    c.norm_channels = 2; c.norm_mean[0] = 0.1f; c.norm_mean[1] = -0.2f; c.norm_std[0] = 0.5f; c.norm_std[1] = 2.0f;
    MAKE_NET(&run, "6 fc5 fc4 fc3", &c);
    c.forward.schedule.kind = TP_LR_CONSTANT;
    MAKE_NET(&flat, "6 fc5 fc4 fc3", &c);
    x = falloc((size_t)B * run.n_in); y = falloc((size_t)B * run.n_out);
    for (int t = 0; t < 14; t++) {
        rand_xy(&run, x, y, B);
        if (t == 7) CHECK(tp_net_save(&run, p, NULL, 0) == TP_OK && tp_net_load(&back, p, NULL, 0, NULL) == TP_OK, "save, load: %s %s",
                          run.error, back.error);
        CHECK(tp_train_step(&run, x, y, B, TP_PHASE_BOTH, NULL) == TP_OK && tp_train_step(&flat, x, y, B, TP_PHASE_BOTH, NULL) == TP_OK,
              "step %d: %s %s", t, run.error, flat.error);
        if (t >= 7) CHECK(tp_train_step(&back, x, y, B, TP_PHASE_BOTH, NULL) == TP_OK, "resumed step %d: %s", t, back.error);
    }
    CHECK(memcmp(run.params, back.params, run.n_params * sizeof(float)) == 0 &&
          memcmp(run.m1, back.m1, run.n_params * sizeof(float)) == 0 &&
          memcmp(run.iparams, back.iparams, run.n_iparams * sizeof(float)) == 0 && back.cfg.forward.t == 14 &&
          back.cfg.forward.schedule.kind == TP_LR_COSINE && back.cfg.inverse.schedule.milestones[0] == 3 &&
          back.cfg.norm_channels == 2 && back.cfg.norm_std[1] == 2.0f, "the resumed run is not the same run");
    CHECK(memcmp(run.params, flat.params, run.n_params * sizeof(float)) != 0, "the cosine changed nothing");
    tp_net_destroy(&run); tp_net_destroy(&back); tp_net_destroy(&flat);
    free(x); free(y);
}

/* Input normalisation: a net with it predicts from x what the same net without it predicts from the
   normalised x, bit for bit, and so does the net loaded from its checkpoint; a training split's channel
   statistics are its channels' mean and (population) deviation. */
static void test_input_normalisation(void)
{
    const int B = 3;
    tp_config c = cfg_make(TP_BP, B);
    tp_net with, without, back;
    float x[3 * 8], xn[3 * 8], pa[3 * 2], pb[3 * 2], pc[3 * 2], mean[2], sd[2];
    const float mu[2] = {0.5f, -1.0f}, s[2] = {2.0f, 0.5f};
    tp_dataset ds;
    const char *p = tmp_path("norm.ckpt");
    MAKE_NET(&without, "2x2x2 fc3 fc2", &c);
    c.norm_channels = 2;
    memcpy(c.norm_mean, mu, sizeof mu); memcpy(c.norm_std, s, sizeof s);
    MAKE_NET(&with, "2x2x2 fc3 fc2", &c);
    fill(x, 24, 1.0f);
    for (int i = 0; i < 24; i++) xn[i] = (x[i] - mu[i % 2]) / s[i % 2];
    CHECK(tp_predict(&with, x, B, NULL, pa) == TP_OK && tp_predict(&without, xn, B, NULL, pb) == TP_OK &&
          memcmp(pa, pb, sizeof pa) == 0, "normalised in the net and by hand differ");
    CHECK(tp_net_save(&with, p, NULL, 0) == TP_OK && tp_net_load(&back, p, NULL, 0, NULL) == TP_OK &&
          tp_predict(&back, x, B, NULL, pc) == TP_OK && memcmp(pa, pc, sizeof pa) == 0, "the loaded net does not normalise: %s",
          back.error);
    tp_net_destroy(&back);
    c.norm_channels = 3; c.norm_std[2] = 1.0f;
    CHECK(tp_net_create(&back, "2x2x2 fc3 fc2", &c) == TP_ERROR_SPEC && strstr(back.error, "3 channels"), "3 channels of 8 inputs: %s",
          back.error);
    c.norm_channels = 2; c.norm_std[1] = 0.0f;
    CHECK(tp_net_create(&back, "2x2x2 fc3 fc2", &c) == TP_ERROR_SPEC && strstr(back.error, "std 0"), "std 0: %s", back.error);
    memset(&ds, 0, sizeof ds);
    ds.n = 3; ds.h = 2; ds.w = 2; ds.c = 2; ds.dim = 8; ds.n_classes = 2; ds.x = x;
    for (int i = 0; i < 24; i++) x[i] = i % 2 ? (float)(i / 2 % 4) : 0.25f;   /* channel 1: 0, 1, 2, 3 in each example */
    CHECK(tp_dataset_channel_stats(&ds, mean, sd) == TP_OK && mean[0] == 0.25f && sd[0] == 0.0f && mean[1] == 1.5f &&
          fabsf(sd[1] - sqrtf(1.25f)) < 1e-6f, "channel statistics %g %g %g %g", (double)mean[0], (double)sd[0], (double)mean[1],
          (double)sd[1]);
    ds.n = 0;
    CHECK(tp_dataset_channel_stats(&ds, mean, sd) == TP_ERROR_ARGUMENT && strstr(ds.error, "empty"), "empty: %s", ds.error);
    tp_net_destroy(&with); tp_net_destroy(&without);
}

/* ================================================================ 6. FA, DFA ========== */

static void copy_params(tp_net *dst, const tp_net *src)
{
    memcpy(dst->params, src->params, src->n_params * sizeof(float));
}

/* max over the hidden layers' gradients of |a - b| / max|b| */
static double layer_rel_diff(const tp_net *na, const tp_net *nb, int l)
{
    const tp_layer *la = &na->layers[l], *lb = &nb->layers[l];
    double m = fmaxabs(lb->dw, lb->n_w), d = 0;
    for (size_t i = 0; i < lb->n_w; i++) d = fabs((double)la->dw[i] - lb->dw[i]) > d ? fabs((double)la->dw[i] - lb->dw[i]) : d;
    return m > 0 ? d / m : d;
}

static void fa_equals_bp(const char *spec)
{
    const int B = 4;
    tp_config cf = cfg_make(TP_FA, B), cb = cfg_make(TP_BP, B);
    tp_net fa, bp;
    MAKE_NET(&fa, spec, &cf);
    MAKE_NET(&bp, spec, &cb);
    float *x = falloc((size_t)B * fa.n_in), *y = falloc((size_t)B * fa.n_out);
    CHECK(fa.n_params == bp.n_params, "parameter counts differ");
    rand_biases(&fa, 0.2f);
    copy_params(&bp, &fa);
    rand_xy(&fa, x, y, B);
    CHECK(tp_gradients(&bp, x, y, B, TP_PHASE_FORWARD, NULL) == TP_OK, "BP gradients");
    /* with its random B, FA's hidden-layer updates differ from BP's and the top layer's do not */
    CHECK(tp_gradients(&fa, x, y, B, TP_PHASE_FORWARD, NULL) == TP_OK, "FA gradients");
    CHECK(layer_rel_diff(&fa, &bp, fa.n_layers - 1) == 0.0, "FA top layer differs from BP");
    CHECK(layer_rel_diff(&fa, &bp, 0) > 1e-2, "FA with random B equals BP in layer 1: B unused?");
    for (int l = 0; l < fa.n_layers; l++) {
        CHECK(fa.layers[l].fb != NULL, "layer %d has no feedback matrix", l + 1);
        if (fa.layers[l].fb) memcpy(fa.layers[l].fb, fa.layers[l].w, fa.layers[l].n_w * sizeof(float));
    }
    CHECK(tp_gradients(&fa, x, y, B, TP_PHASE_FORWARD, NULL) == TP_OK, "FA gradients");
    for (size_t i = 0; i < fa.n_params; i++)
        CHECK_NEAR(fa.grads[i], bp.grads[i], 1e-9, 1e-6, "FA (B = W) vs BP gradient %lu", (unsigned long)i);
    free(x); free(y);
    tp_net_destroy(&fa); tp_net_destroy(&bp);
}

static void test_fa_equals_bp_dense(void) { fa_equals_bp("7 fc6 fc5:relu fc4"); }
static void test_fa_equals_bp_lc(void) { fa_equals_bp("6x5x2 lc3x3/3/s2 lc3x3/2 fc4"); }
static void test_fa_equals_bp_conv(void) { fa_equals_bp("6x5x2 conv3x3/3/s2 lc2x2/2 fc4"); }

static void test_dfa_equals_bp_one_hidden(void)
{
    const int B = 4;
    tp_config cd = cfg_make(TP_DFA, B), cb = cfg_make(TP_BP, B);
    tp_net dfa, bp;
    MAKE_NET(&dfa, "6 fc5 fc3", &cd);
    MAKE_NET(&bp, "6 fc5 fc3", &cb);
    float x[24], y[12];
    const tp_layer *top = &dfa.layers[1];
    rand_biases(&dfa, 0.2f);
    copy_params(&bp, &dfa);
    rand_xy(&dfa, x, y, B);
    CHECK(dfa.layers[0].fb != NULL && top->fb == NULL, "feedback matrices: layer 1 %p, top %p",
          (void *)dfa.layers[0].fb, (void *)top->fb);
    if (!dfa.layers[0].fb) { tp_net_destroy(&dfa); tp_net_destroy(&bp); return; }
    CHECK(tp_gradients(&bp, x, y, B, TP_PHASE_FORWARD, NULL) == TP_OK, "BP gradients");
    CHECK(tp_gradients(&dfa, x, y, B, TP_PHASE_FORWARD, NULL) == TP_OK, "DFA gradients");
    CHECK(layer_rel_diff(&dfa, &bp, 0) > 1e-2, "DFA with random D equals BP: D unused?");
    for (int c = 0; c < 3; c++)
        for (int j = 0; j < 5; j++) dfa.layers[0].fb[c * 5 + j] = top->w[j * 3 + c];   /* D = W_2^T */
    CHECK(tp_gradients(&dfa, x, y, B, TP_PHASE_FORWARD, NULL) == TP_OK, "DFA gradients");
    for (size_t i = 0; i < dfa.n_params; i++)
        CHECK_NEAR(dfa.grads[i], bp.grads[i], 1e-9, 1e-6, "DFA (D = W2^T) vs BP gradient %lu", (unsigned long)i);
    tp_net_destroy(&dfa); tp_net_destroy(&bp);
}

/* DFA on a deeper net against its definition: delta_l = (e D_l) * act'(a_l) */
static void test_dfa_reference(void)
{
    const int B = 4;
    tp_config cfg = cfg_make(TP_DFA, B);
    tp_net net;
    MAKE_NET(&net, "7 fc6 fc5:sigmoid fc4 fc3", &cfg);
    int L = net.n_layers, C = net.n_out;
    float *x = falloc((size_t)B * net.n_in), *y = falloc((size_t)B * C);
    rand_biases(&net, 0.2f);
    rand_xy(&net, x, y, B);
    CHECK(tp_gradients(&net, x, y, B, TP_PHASE_FORWARD, NULL) == TP_OK, "DFA gradients");
    double *e = dalloc((size_t)B * C);
    for (int b = 0; b < B; b++) {   /* e = (softmax(h_L) - y) / B */
        double mx = -1e300, s = 0;
        const float *hl = net.h[L] + (size_t)b * C;
        for (int j = 0; j < C; j++) mx = hl[j] > mx ? hl[j] : mx;
        for (int j = 0; j < C; j++) s += exp(hl[j] - mx);
        for (int j = 0; j < C; j++) e[b * C + j] = (exp(hl[j] - mx) / s - y[b * C + j]) / B;
    }
    for (int l = 1; l <= L; l++) {
        const tp_layer *ly = &net.layers[l - 1];
        int n = ly->n_out;
        double *delta = dalloc((size_t)B * n), *dw = dalloc(ly->n_w), *hp = to_d(net.h[l - 1], (size_t)B * ly->n_in);
        ref_op op = ref_op_make(ly, ly->out_c);
        for (int b = 0; b < B; b++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                if (l == L) s = e[b * C + j];
                else {
                    for (int c = 0; c < C; c++) s += e[b * C + c] * ly->fb[(size_t)c * n + j];
                    s *= ref_dact_h(ly->act, net.h[l][(size_t)b * n + j]);
                }
                delta[(size_t)b * n + j] = s;
            }
        ref_wg(&op, hp, delta, dw, B);
        cmp_arrays(ly->dw, dw, ly->n_w, 1e-5, 1e-5, l == L ? "DFA top dW" : "DFA hidden dW");
        free(delta); free(dw); free(hp);
        ref_op_free(&op);
    }
    free(e); free(x); free(y);
    tp_net_destroy(&net);
}

/* ================================================================ 7. hybrid identity === */

static void hybrid_identity(const char *spec)
{
    const int B = 5;
    tp_config cfg = cfg_make(TP_DTP, B);
    tp_net net;
    cfg.hybrid = 1.0f;
    cfg.alpha = 0.13f;
    MAKE_NET(&net, spec, &cfg);
    int L = net.n_layers;
    float *x = falloc((size_t)B * net.n_in), *y = falloc((size_t)B * net.n_out), *gtp;
    rand_biases(&net, 0.2f);
    rand_xy(&net, x, y, B);
    CHECK(tp_gradients(&net, x, y, B, TP_PHASE_FORWARD, NULL) == TP_OK, "DTP gradients");
    gtp = fdup(net.grads, net.n_params);
    memset(net.grads, 0, net.n_params * sizeof(float));
    tp_rule_bp(&net, y, B);
    for (int l = 1; l <= L; l++) {
        const tp_layer *ly = &net.layers[l - 1];
        size_t ow = (size_t)(ly->dw - net.grads), ob = (size_t)(ly->db - net.grads);
        double scale = l == L ? 1.0 : 2.0 * cfg.alpha;
        double mw = scale * fmaxabs(ly->dw, ly->n_w), mb = scale * fmaxabs(ly->db, ly->n_b);
        CHECK(mw > 0, "layer %d: zero BP gradient", l);
        if (l == L) {
            CHECK(memcmp(gtp + ow, ly->dw, ly->n_w * sizeof(float)) == 0 &&
                  memcmp(gtp + ob, ly->db, ly->n_b * sizeof(float)) == 0, "top layer: DTP gradient is not bitwise the BP gradient");
            continue;
        }
        for (size_t i = 0; i < ly->n_w; i++)
            CHECK_NEAR(gtp[ow + i], scale * ly->dw[i], 1e-4 * mw, 0.0, "layer %d dW[%lu] vs 2 alpha dW_bp", l, (unsigned long)i);
        for (size_t i = 0; i < ly->n_b; i++)
            CHECK_NEAR(gtp[ob + i], scale * ly->db[i], 1e-4 * mb + 1e-12, 0.0, "layer %d db[%lu] vs 2 alpha db_bp", l, (unsigned long)i);
    }
    free(x); free(y); free(gtp);
    tp_net_destroy(&net);
}

static void test_hybrid_identity_dense(void) { hybrid_identity("12 fc10x5 fc4"); }
static void test_hybrid_identity_lc(void)
{
    hybrid_identity("7x7x2 lc3x3/3 lc3x3/4/s2 fc6 fc4");
    hybrid_identity("7x7x11 lc3x3/11 lc3x3/4/s2 fc6 fc4");   /* kernel rows read in place */
}
static void test_hybrid_identity_conv(void) { hybrid_identity("6x6x2 conv3x3/3/s2 lc3x3/2:relu fc5:sigmoid fc4"); }

/* ================================================================ 8. targets ========== */

/* The whole target computation redone in double from the definitions (the header's comments
   on tp__targets_dtp, tp__targets_sdtp and tp__targets_below): D_{L-1} = alpha W_L e (DTP) or g_L([o, z]) - g_L([y, z]) (SDTP, AO-SDTP); below,
   D_l = beta J^T(D_{l+1} act') + (1 - beta)(g(h_{l+1}) - g(h_{l+1} - D_{l+1})); then the
   library's deltas must be d_l = (2/B) D_l act'(a_l), and its dW_l = h_{l-1}^T d_l. */
static void targets_check(const char *spec, tp_rule rule, float beta, int n_aux)
{
    const int B = 4;
    tp_config cfg = cfg_make(rule, B);
    tp_net net;
    cfg.hybrid = beta; cfg.n_aux = n_aux; cfg.alpha = 0.15f;
    MAKE_NET(&net, spec, &cfg);
    int L = net.n_layers, C = net.n_out, A = rule == TP_AOSDTP ? n_aux : 0, W = C + A;
    float *x = falloc((size_t)B * net.n_in), *y = falloc((size_t)B * C);
    double *h[TP_MAX_LAYERS + 1], *D[TP_MAX_LAYERS + 1], *o = dalloc((size_t)B * W), *e = dalloc((size_t)B * C);
    const tp_layer *top = &net.layers[L - 1];
    rand_biases(&net, 0.3f);
    rand_xy(&net, x, y, B);
    CHECK(tp_gradients(&net, x, y, B, TP_PHASE_FORWARD, NULL) == TP_OK, "tp_gradients: %s", net.error);
    for (int l = 0; l <= L; l++) {
        h[l] = to_d(net.h[l], (size_t)B * (l ? net.layers[l - 1].n_out : net.n_in));
        D[l] = NULL;
    }
    for (int b = 0; b < B; b++) {   /* [o, z] and e = dloss/da_L */
        const double *hl = h[L] + (size_t)b * C;
        double *ob = o + (size_t)b * W;
        if (net.loss == TP_SOFTMAX_XENT) {
            double mx = -1e300, s = 0;
            for (int j = 0; j < C; j++) mx = hl[j] > mx ? hl[j] : mx;
            for (int j = 0; j < C; j++) s += exp(hl[j] - mx);
            for (int j = 0; j < C; j++) ob[j] = exp(hl[j] - mx) / s;
        } else {
            for (int j = 0; j < C; j++) ob[j] = hl[j];
        }
        for (int a = 0; a < A; a++) {
            double s = 0;
            for (int i = 0; i < top->n_in; i++) s += h[L - 1][(size_t)b * top->n_in + i] * net.wz[(size_t)i * A + a];
            ob[C + a] = tanh(s);
        }
        for (int j = 0; j < C; j++) {
            double dl = net.loss == TP_SOFTMAX_XENT ? ob[j] - y[b * C + j] : 2.0 * (ob[j] - y[b * C + j]);
            e[b * C + j] = dl * ref_dact_h(top->act, hl[j]);
        }
    }
    cmp_arrays(net.out, o, (size_t)B * W, 1e-5, 1e-5, "output rows [o, z]");
    /* penultimate */
    {
        size_t n = (size_t)B * top->n_in;
        D[L - 1] = dalloc(n);
        if (rule == TP_DTP) {
            ref_op op = ref_op_make(top, C);
            ref_tr(&op, top->w, e, D[L - 1], B);
            for (size_t i = 0; i < n; i++) D[L - 1][i] *= cfg.alpha;
            ref_op_free(&op);
        } else {
            ref_op op = ref_op_make(top, W);
            double *v2 = dalloc((size_t)B * W), *g1 = dalloc(n), *g2 = dalloc(n);
            memcpy(v2, o, (size_t)B * W * sizeof(double));
            for (int b = 0; b < B; b++)
                for (int j = 0; j < C; j++) v2[(size_t)b * W + j] = y[b * C + j];
            ref_g(&net, L, &op, o, g1, B);
            ref_g(&net, L, &op, v2, g2, B);
            for (size_t i = 0; i < n; i++) D[L - 1][i] = g1[i] - g2[i];
            free(v2); free(g1); free(g2);
            ref_op_free(&op);
        }
    }
    for (int l = L - 2; l >= 1; l--) {
        const tp_layer *up = &net.layers[l];
        size_t n = (size_t)B * up->n_in, nup = (size_t)B * up->n_out;
        ref_op op = ref_op_make(up, up->out_c);
        double *t = dalloc(nup), *J = dalloc(n), *g1 = dalloc(n), *g2 = dalloc(n), *hm = dalloc(nup);
        for (size_t i = 0; i < nup; i++) {
            t[i] = D[l + 1][i] * ref_dact_h(up->act, h[l + 1][i]);
            hm[i] = h[l + 1][i] - D[l + 1][i];
        }
        ref_tr(&op, up->w, t, J, B);
        if (beta < 1.0f) { ref_g(&net, l + 1, &op, h[l + 1], g1, B); ref_g(&net, l + 1, &op, hm, g2, B); }
        D[l] = dalloc(n);
        for (size_t i = 0; i < n; i++) D[l][i] = beta * J[i] + (beta < 1.0f ? (1.0 - beta) * (g1[i] - g2[i]) : 0.0);
        free(t); free(J); free(g1); free(g2); free(hm);
        ref_op_free(&op);
    }
    for (int l = 1; l <= L; l++) {
        const tp_layer *ly = &net.layers[l - 1];
        size_t n = (size_t)B * ly->n_out;
        double *dexp = dalloc(n), *dw = dalloc(ly->n_w);
        ref_op op = ref_op_make(ly, ly->out_c);
        char what[160];
        for (size_t i = 0; i < n; i++)
            dexp[i] = l == L ? e[i] / B : 2.0 / B * D[l][i] * ref_dact_h(ly->act, h[l][i]);
        ref_wg(&op, h[l - 1], dexp, dw, B);
        snprintf(what, sizeof what, "delta of layer %d", l);
        cmp_arrays(net.d[l], dexp, n, 2e-4, 1e-3, what);
        snprintf(what, sizeof what, "dW of layer %d", l);
        cmp_arrays(ly->dw, dw, ly->n_w, 2e-4, 1e-3, what);
        CHECK(dmaxabs(dexp, n) > 1e-6, "layer %d: reference delta is zero (test is vacuous)", l);
        free(dexp); free(dw);
        ref_op_free(&op);
    }
    for (int l = 0; l <= L; l++) { free(h[l]); free(D[l]); }
    free(o); free(e); free(x); free(y);
    tp_net_destroy(&net);
}

/* alpha = 0 (DTP) or y = o (SDTP): D_{L-1} = 0, so the difference correction must give
   exactly zero targets differences below, and zero hidden-layer gradients */
static void zero_correction(tp_rule rule, const char *spec)
{
    const int B = 4;
    tp_config cfg = cfg_make(rule, B);
    tp_net net;
    cfg.alpha = 0.0f;
    cfg.n_aux = rule == TP_AOSDTP ? 4 : 0;
    MAKE_NET(&net, spec, &cfg);
    int L = net.n_layers, C = net.n_out, W = C + cfg.n_aux;
    float *x = falloc((size_t)B * net.n_in), *y = falloc((size_t)B * C);
    rand_biases(&net, 0.3f);
    rand_xy(&net, x, y, B);
    if (rule != TP_DTP) {   /* soft targets equal to the current output */
        tp_forward(&net, x, B);
        for (int b = 0; b < B; b++) memcpy(y + (size_t)b * C, net.out + (size_t)b * W, (size_t)C * sizeof(float));
    }
    CHECK(tp_gradients(&net, x, y, B, TP_PHASE_FORWARD, NULL) == TP_OK, "tp_gradients: %s", net.error);
    for (int l = 1; l < L; l++) {
        const tp_layer *ly = &net.layers[l - 1];
        double md = fmaxabs(net.d[l], (size_t)B * ly->n_out), mw = fmaxabs(ly->dw, ly->n_w), mb = fmaxabs(ly->db, ly->n_b);
        CHECK(md == 0.0 && mw == 0.0 && mb == 0.0, "layer %d: max |D| %.3g, |dW| %.3g, |db| %.3g, expected exactly 0", l, md, mw, mb);
    }
    if (rule == TP_DTP)   /* (with y = o the top layer's own gradient o - y is zero too) */
        CHECK(fmaxabs(net.layers[L - 1].dw, net.layers[L - 1].n_w) > 0, "top layer gradient is zero");
    else
        CHECK(fmaxabs(net.d[L - 1], (size_t)B * net.layers[L - 2].n_out) == 0.0, "penultimate D with y = o is not 0");
    free(x); free(y);
    tp_net_destroy(&net);
}

static void test_difference_correction_zero(void)
{
    zero_correction(TP_DTP, "7 fc6 fc5 fc4 fc3");
    zero_correction(TP_DTP, "6x6x2 lc3x3/3/s2 conv3x3/2 fc5 fc3");
    zero_correction(TP_SDTP, "7 fc6 fc5 fc4 fc3");
    zero_correction(TP_AOSDTP, "7 fc6 fc5 fc4 fc3");
}

/* 3x3 inverse by Gauss-Jordan in double */
static int inv3(const double m[9], double out[9])
{
    double a[3][6];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 6; j++) a[i][j] = j < 3 ? m[i * 3 + j] : (j - 3 == i);
    for (int c = 0; c < 3; c++) {
        int p = c;
        for (int r = c + 1; r < 3; r++) if (fabs(a[r][c]) > fabs(a[p][c])) p = r;
        if (fabs(a[p][c]) < 1e-9) return 0;
        for (int j = 0; j < 6; j++) { double t = a[c][j]; a[c][j] = a[p][j]; a[p][j] = t; }
        for (int r = 0; r < 3; r++) {
            if (r == c) continue;
            double f = a[r][c] / a[c][c];
            for (int j = 0; j < 6; j++) a[r][j] -= f * a[c][j];
        }
    }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) out[i * 3 + j] = a[i][j + 3] / a[i][i];
    return 1;
}

/* V_2 = (W_2^-1)^T and c_2 = -b_2 W_2^-1 on a net whose layers 1 and 2 are linear 3 -> 3:
   g_2(f_2(x)) = x exactly. wi receives W_2^-1 (row-major). */
static int set_exact_inverse(tp_net *net, double wi[9])
{
    tp_layer *l2 = &net->layers[1];
    double w[9];
    for (int i = 0; i < 9; i++) { l2->w[i] = (float)(0.5 * rnd_s() + (i % 4 == 0 ? 1.5 : 0.0)); w[i] = l2->w[i]; }
    if (!inv3(w, wi)) return 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) l2->v[i * 3 + j] = (float)wi[j * 3 + i];   /* V^T = W^-1 */
    for (int i = 0; i < 3; i++) {                                               /* c = -b W^-1 */
        double s = 0;
        for (int j = 0; j < 3; j++) s -= (double)l2->b[j] * wi[j * 3 + i];
        l2->c[i] = (float)s;
    }
    return 1;
}

/* The inverse losses on an exact inverse, whatever noise eps the library draws:
     noise-preserving ||g(f(h + eps)) - (h + eps)||^2 = 0
     de-noising       ||g(f(h + eps)) - h||^2 = ||eps||^2, mean sigma^2 per unit
   and fresh noise on every step. */
static void test_inverse_losses_exact_inverse(void)
{
    enum { B = 64 };
    tp_config cfg = cfg_make(TP_DTP, B);
    tp_net net;
    double wi[9], l_pres, l_den1, l_den2;
    float x[B * 3], y[B * 2];
    cfg.sigma = 0.5f;
    CHECK(tp_config_default(TP_DTP).inverse_loss == TP_INVERSE_PRESERVE &&
          tp_config_default(TP_SDTP).inverse_loss == TP_INVERSE_DENOISE &&
          tp_config_default(TP_AOSDTP).inverse_loss == TP_INVERSE_DENOISE, "default inverse losses");
    MAKE_NET(&net, "3 fc3:linear fc3:linear fc2", &cfg);
    rand_biases(&net, 0.3f);
    CHECK(set_exact_inverse(&net, wi), "singular W");
    rand_xy(&net, x, y, B);
    tp_forward(&net, x, B);
    memset(net.igrads, 0, net.n_iparams * sizeof(float));
    l_pres = tp_inverse_grads(&net, y, B);
    CHECK(l_pres >= 0 && l_pres < 1e-8, "noise-preserving loss of an exact inverse %g, expected 0", l_pres);
    CHECK(fmaxabs(net.igrads, net.n_iparams) < 1e-5, "noise-preserving gradient of an exact inverse %g, expected 0",
          fmaxabs(net.igrads, net.n_iparams));
    net.cfg.inverse_loss = TP_INVERSE_DENOISE;
    l_den1 = tp_inverse_grads(&net, y, B);
    l_den2 = tp_inverse_grads(&net, y, B);
    CHECK(fabs(l_den1 / (3.0 * 0.25) - 1.0) < 0.3 && fabs(l_den2 / (3.0 * 0.25) - 1.0) < 0.3,
          "de-noising loss per example %g, %g, expected about n sigma^2 = 0.75", l_den1, l_den2);
    CHECK(l_den1 != l_den2, "the same noise twice: %g", l_den1);
    net.cfg.sigma = 0.0f;
    CHECK(tp_inverse_grads(&net, y, B) < 1e-8, "de-noising loss with sigma 0 is not 0");
    tp_net_destroy(&net);
}

/* g_2 set to the exact inverse of f_2 (linear layers): the difference correction gives
   target_1 = g_2(target_2), and tp_diagnose reports a zero reconstruction error */
static void test_exact_inverse_correction(void)
{
    const int B = 4;
    tp_config cfg = cfg_make(TP_DTP, B);
    tp_net net;
    cfg.alpha = 0.2f;
    MAKE_NET(&net, "3 fc3:linear fc3:linear fc2", &cfg);
    tp_layer *l2 = &net.layers[1];
    double wi[9], dist[2] = {0.0, 0.0};
    float x[12], y[8];
    tp_diag dg;
    CHECK(l2->v != NULL && l2->c != NULL && net.layers[2].v == NULL, "DTP inverses: g_2 only");
    if (!l2->v) { tp_net_destroy(&net); return; }
    rand_biases(&net, 0.3f);
    CHECK(set_exact_inverse(&net, wi), "singular W");
    rand_xy(&net, x, y, B);
    CHECK(tp_gradients(&net, x, y, B, TP_PHASE_FORWARD, NULL) == TP_OK, "tp_gradients: %s", net.error);
    {
        const tp_layer *l3 = &net.layers[2];
        double t1[12], got[12];
        dist[0] = dist[1] = 0.0;
        for (int b = 0; b < B; b++) {
            double o[2], mx, s = 0, D2[3], t2[3];
            const float *h3 = net.h[3] + b * 2, *h2 = net.h[2] + b * 3, *h1 = net.h[1] + b * 3;
            mx = h3[0] > h3[1] ? h3[0] : h3[1];
            for (int c = 0; c < 2; c++) { o[c] = exp(h3[c] - mx); s += o[c]; }
            for (int j = 0; j < 3; j++) {
                D2[j] = 0;
                for (int c = 0; c < 2; c++) D2[j] += cfg.alpha * (o[c] / s - y[b * 2 + c]) * l3->w[j * 2 + c];
                t2[j] = h2[j] - D2[j];
                dist[1] += D2[j] * D2[j] / (B * 3);
                CHECK_NEAR(net.d[2][b * 3 + j] * B / 2.0, D2[j], 1e-6, 1e-4, "D_2[%d][%d]", b, j);
            }
            for (int i = 0; i < 3; i++) {   /* g_2(target_2) = (target_2 - b) W^-1 */
                t1[b * 3 + i] = 0;
                for (int j = 0; j < 3; j++) t1[b * 3 + i] += (t2[j] - l2->b[j]) * wi[j * 3 + i];
                got[b * 3 + i] = h1[i] - net.d[1][b * 3 + i] * B / 2.0;   /* target_1 = h_1 - D_1, d_1 = (2/B) D_1 */
                CHECK_NEAR(got[b * 3 + i], t1[b * 3 + i], 1e-5, 1e-4, "target_1[%d][%d] vs g_2(target_2)", b, i);
                dist[0] += (h1[i] - t1[b * 3 + i]) * (h1[i] - t1[b * 3 + i]) / (B * 3);
            }
        }
    }
    CHECK(tp_diagnose(&net, x, y, B, &dg) == TP_OK, "tp_diagnose: %s", net.error);
    CHECK(dg.recon[0] == -1.0f && dg.recon[2] == -1.0f, "recon of layers without inverse: %g %g", (double)dg.recon[0], (double)dg.recon[2]);
    CHECK(dg.recon[1] >= 0.0f && dg.recon[1] < 1e-10f, "recon of the exact inverse %g", (double)dg.recon[1]);
    CHECK_NEAR(dg.target[0], dist[0], 1e-7, 1e-4, "||h_1 - target_1||^2 / n");
    CHECK_NEAR(dg.target[1], dist[1], 1e-7, 1e-4, "||h_2 - target_2||^2 / n");
    CHECK(dg.target[2] == -1.0f, "the output layer has no target: %g", (double)dg.target[2]);
    tp_net_destroy(&net);
}

/* tp_rule_tp is public and works "on the current h[]" like tp_rule_bp, whose gradients follow
   tp_forward + tp_task_loss; the targets it uses are the ones it is given, not those of an
   earlier tp_gradients call. */
static void test_rule_tp_after_task_loss(void)
{
    const int B = 4;
    tp_config cfg = cfg_make(TP_SDTP, B);
    tp_net net;
    MAKE_NET(&net, "6 fc5 fc4 fc3", &cfg);
    float x[24], y1[12], y2[12], *g;
    rand_biases(&net, 0.2f);
    rand_xy(&net, x, y1, B);
    for (int b = 0; b < B; b++)
        for (int j = 0; j < 3; j++) y2[b * 3 + j] = y1[b * 3 + (j + 1) % 3];   /* other classes */
    CHECK(tp_gradients(&net, x, y2, B, TP_PHASE_FORWARD, NULL) == TP_OK, "tp_gradients");
    g = fdup(net.grads, net.n_params);                     /* the gradients for y2 */
    CHECK(tp_gradients(&net, x, y1, B, TP_PHASE_FORWARD, NULL) == TP_OK, "tp_gradients");
    memset(net.grads, 0, net.n_params * sizeof(float));
    tp_forward(&net, x, B);
    tp_task_loss(&net, y2, B, NULL);
    tp_rule_tp(&net, y2, B);
    {
        int bad = 0;
        size_t first = 0;
        for (size_t i = 0; i < net.n_params; i++)
            if (!h_close(net.grads[i], g[i], 1e-7, 1e-5) && !bad++) first = i;
        CHECK(bad == 0, "tp_forward + tp_task_loss(y2) + tp_rule_tp: %d gradients differ from tp_gradients(y2), "
              "first [%lu] %g vs %g: the targets of the previous tp_gradients call were used",
              bad, (unsigned long)first, (double)net.grads[first], (double)g[first]);
    }
    free(g);
    tp_net_destroy(&net);
}

/* ================================================================ 9. AO-SDTP ========== */

static void test_aosdtp_wz_fixed(void)
{
    const int B = 8;
    tp_config cfg = cfg_make(TP_AOSDTP, B);
    tp_net net;
    cfg.n_aux = 6;
    cfg.forward.lr = 1e-2f; cfg.inverse.lr = 1e-2f;
    MAKE_NET(&net, "6 fc5 fc4 fc3", &cfg);
    float *x = falloc((size_t)B * 6), *y = falloc((size_t)B * 3), *fixed0, *p0, *ip0;
    CHECK(net.wz != NULL && net.wz >= net.fixed && net.wz + 4 * 6 <= net.fixed + net.n_fixed, "W_z is not a view into fixed");
    CHECK(net.layers[2].v_out == 3 + 6, "top v_out %d, expected 9", net.layers[2].v_out);
    fixed0 = fdup(net.fixed, net.n_fixed); p0 = fdup(net.params, net.n_params); ip0 = fdup(net.iparams, net.n_iparams);
    CHECK(fmaxabs(net.wz, 24) > 0, "W_z is zero");
    for (int s = 0; s < 6; s++) {
        rand_xy(&net, x, y, B);
        CHECK(tp_train_step(&net, x, y, B, TP_PHASE_BOTH, NULL) == TP_OK, "step %d: %s", s, net.error);
    }
    CHECK(memcmp(fixed0, net.fixed, net.n_fixed * sizeof(float)) == 0, "W_z changed during training");
    CHECK(memcmp(p0, net.params, net.n_params * sizeof(float)) != 0, "forward weights did not train");
    CHECK(memcmp(ip0, net.iparams, net.n_iparams * sizeof(float)) != 0, "inverse weights did not train");
    free(x); free(y); free(fixed0); free(p0); free(ip0);
    tp_net_destroy(&net);
}

static void train_steps(tp_net *net, int steps, int B, uint64_t seed, tp_phase phase, double *loss)
{
    float *x = falloc((size_t)B * net->n_in), *y = falloc((size_t)B * net->n_out);
    tp_stats st;
    rnd_seed(seed);
    *loss = 0;
    for (int s = 0; s < steps; s++) {
        rand_xy(net, x, y, B);
        memset(&st, 0, sizeof st);
        tp_result r = tp_train_step(net, x, y, B, phase, &st);
        CHECK(r == TP_OK, "step %d: %s: %s", s, tp_result_string(r), net->error);
        if (r == TP_OK) *loss += st.loss + st.inverse_loss;
    }
    free(x); free(y);
}

static void test_aosdtp_without_aux_is_sdtp(void)
{
    const char *specs[] = {"6 fc5 fc4 fc3", "6x5x2 lc3x3/3/s2 fc5 fc3"};
    for (int k = 0; k < 2; k++) {
        tp_config ca = cfg_make(TP_AOSDTP, 8), cs = cfg_make(TP_SDTP, 8);
        tp_net na, ns;
        double la, ls;
        ca.n_aux = 0;
        ca.forward.lr = cs.forward.lr = 1e-2f; ca.inverse.lr = cs.inverse.lr = 1e-2f;
        MAKE_NET(&na, specs[k], &ca);
        MAKE_NET(&ns, specs[k], &cs);
        CHECK(na.n_params == ns.n_params && na.n_iparams == ns.n_iparams, "%s: block sizes differ", specs[k]);
        train_steps(&na, 5, 8, 99, TP_PHASE_BOTH, &la);
        train_steps(&ns, 5, 8, 99, TP_PHASE_BOTH, &ls);
        CHECK(memcmp(na.params, ns.params, ns.n_params * sizeof(float)) == 0, "%s: forward weights differ", specs[k]);
        CHECK(memcmp(na.iparams, ns.iparams, ns.n_iparams * sizeof(float)) == 0, "%s: inverse weights differ", specs[k]);
        CHECK(la == ls, "%s: losses %.17g vs %.17g", specs[k], la, ls);
        tp_net_destroy(&na); tp_net_destroy(&ns);
    }
}

/* ================================================================ 10. phases ========== */

/* Every rule that learns feedback: an inverse phase trains only the feedback (with its own step
   count), a forward phase only the forward weights. A rule whose feedback takes the forward
   weights' optimiser (TP_RULE_WITH_FORWARD, Kolen-Pollack) steps it alone in an inverse phase,
   with cfg.forward's settings: its cfg.inverse.lr is 0 here, and the feedback still moves. */
static void test_phases(void)
{
    for (int k = 0; k < tp_rule_count(); k++) {
        tp_rule rule = (tp_rule)k;
        const tp_rule_desc *d = tp_rule_info(rule);
        tp_config cfg = cfg_make(rule, 8);
        tp_net net;
        double loss;
        float *p0, *ip0;
        if (!d->learned_grads) continue;
        cfg.n_aux = 5;
        cfg.iters = 1;
        if (d->flags & TP_RULE_WITH_FORWARD) cfg.inverse.lr = 0.0f;
        MAKE_NET(&net, "6x5x2 lc3x3/3/s2 fc5 fc3", &cfg);
        p0 = fdup(net.params, net.n_params); ip0 = fdup(net.iparams, net.n_iparams);
        train_steps(&net, 3, 8, 5, TP_PHASE_INVERSE, &loss);
        CHECK(memcmp(p0, net.params, net.n_params * sizeof(float)) == 0, "%s: inverse phase changed params", d->name);
        CHECK(memcmp(ip0, net.iparams, net.n_iparams * sizeof(float)) != 0, "%s: inverse phase left iparams unchanged", d->name);
        CHECK(net.cfg.forward.t == 0 && net.cfg.inverse.t == 3, "%s: Adam steps forward %ld inverse %ld", d->name,
              net.cfg.forward.t, net.cfg.inverse.t);
        memcpy(ip0, net.iparams, net.n_iparams * sizeof(float));
        train_steps(&net, 3, 8, 6, TP_PHASE_FORWARD, &loss);
        CHECK(memcmp(ip0, net.iparams, net.n_iparams * sizeof(float)) == 0, "%s: forward phase changed iparams", d->name);
        CHECK(memcmp(p0, net.params, net.n_params * sizeof(float)) != 0, "%s: forward phase left params unchanged", d->name);
        free(p0); free(ip0);
        tp_net_destroy(&net);
    }
}

/* The rules overwrite the gradient blocks instead of adding into zeroed ones: whatever the
   blocks held before, one step's gradients are the same, so every entry is written. */
static void test_gradients_overwrite(void)
{
    const char *specs[] = {"7 fc6 fc5:relu fc4", "6x5x2 lc3x3/3/s2 conv2x2/2 fc5 fc3", "5x4x12 lc3x3/11/s2 lc3x3/3 fc5 fc3",
                           "6x6x2 conv3x3/3 maxpool2x2 conv2x2/2 fc5 fc3"};
    for (int k = 0; k < tp_rule_count(); k++)   /* every rule of the table */
        for (int s = 0; s < 4; s++) {
            tp_rule rule = (tp_rule)k;
            tp_config cfg = cfg_make(rule, 4);
            tp_net net;
            float *x, *y, *g0, *ig0;
            cfg.n_aux = 3;
            cfg.iters = 1;   /* more would step the feedback inside tp_gradients */
            MAKE_NET(&net, specs[s], &cfg);
            x = falloc((size_t)4 * net.n_in); y = falloc((size_t)4 * net.n_out);
            rand_biases(&net, 0.2f);
            rand_xy(&net, x, y, 4);
            CHECK(tp_gradients(&net, x, y, 4, TP_PHASE_BOTH, NULL) == TP_OK, "first gradients");
            g0 = fdup(net.grads, net.n_params); ig0 = net.iparams ? fdup(net.igrads, net.n_iparams) : NULL;
            for (size_t i = 0; i < net.n_params; i++) net.grads[i] = 1e30f;
            for (size_t i = 0; i < net.n_iparams; i++) net.igrads[i] = -1e30f;
            net.noise_step--;   /* the same inverse-training noise again */
            CHECK(tp_gradients(&net, x, y, 4, TP_PHASE_BOTH, NULL) == TP_OK, "second gradients");
            CHECK(memcmp(g0, net.grads, net.n_params * sizeof(float)) == 0, "%s on %s: a forward gradient was not overwritten",
                  tp_rule_name(rule), specs[s]);
            CHECK(!net.iparams || memcmp(ig0, net.igrads, net.n_iparams * sizeof(float)) == 0,
                  "%s on %s: an inverse gradient was not overwritten", tp_rule_name(rule), specs[s]);
            free(x); free(y); free(g0); free(ig0);
            tp_net_destroy(&net);
        }
}

/* ================================================================ 11. threads ========= */

typedef struct run_result { float *p, *ip; size_t np, ni; double loss; } run_result;

static void run_with_threads(const char *spec, tp_rule rule, int threads, run_result *out)
{
    tp_config cfg = cfg_make(rule, 16);
    tp_net net;
    memset(out, 0, sizeof *out);
    cfg.n_aux = 7;
    cfg.forward.lr = 1e-2f; cfg.inverse.lr = 1e-2f;
    tp_set_threads(threads);
    MAKE_NET(&net, spec, &cfg);
    train_steps(&net, 3, 16, 1234, TP_PHASE_BOTH, &out->loss);
    out->p = fdup(net.params, net.n_params); out->np = net.n_params;
    out->ip = fdup(net.iparams, net.n_iparams); out->ni = net.n_iparams;
    tp_net_destroy(&net);
}

static void test_threads_bitwise(void)
{
    const char *specs[] = {"64 fc64 fc64 fc10", "10x10x3 lc3x3/12/s2 lc3x3/6 fc10", "10x10x3 conv3x3/16 conv3x3/8/s2 fc10",
                           "10x10x3 conv3x3/16:elu maxpool2x2 conv3x3/8:elu maxpool2x2 fc10"};
    int t0 = tp_get_threads();
    for (int s = 0; s < 4; s++)
        for (int k = 0; k < tp_rule_count(); k++) {   /* every rule of the table, on every kind of layer */
            tp_rule rule = (tp_rule)k;
            run_result a, b, c;
            run_with_threads(specs[s], rule, 1, &a);
            run_with_threads(specs[s], rule, 2, &b);
            run_with_threads(specs[s], rule, 3, &c);
            CHECK(a.p && b.p && c.p && a.np == b.np && a.ni == b.ni, "%s %s: runs failed", specs[s], tp_rule_name(rule));
            if (a.p && b.p && c.p) {
                CHECK(memcmp(a.p, b.p, a.np * sizeof(float)) == 0 && memcmp(a.p, c.p, a.np * sizeof(float)) == 0,
                      "%s %s: params differ between 1, 2, 3 threads", specs[s], tp_rule_name(rule));
                CHECK(memcmp(a.ip, b.ip, a.ni * sizeof(float)) == 0 && memcmp(a.ip, c.ip, a.ni * sizeof(float)) == 0,
                      "%s %s: iparams differ between 1, 2, 3 threads", specs[s], tp_rule_name(rule));
                CHECK(a.loss == b.loss && a.loss == c.loss, "%s %s: losses %.17g %.17g %.17g", specs[s], tp_rule_name(rule),
                      a.loss, b.loss, c.loss);
            }
            free(a.p); free(a.ip); free(b.p); free(b.ip); free(c.p); free(c.ip);
        }
    tp_set_threads(t0);
#ifdef _OPENMP
    tp_set_threads(2);
    CHECK(tp_get_threads() == 2, "tp_get_threads() %d after tp_set_threads(2)", tp_get_threads());
    tp_set_threads(t0);
#else
    CHECK(tp_get_threads() == 1, "tp_get_threads() %d without OpenMP", tp_get_threads());
#endif
}

/* ================================================================ 12. loaders ========= */

typedef struct bytes { unsigned char *p; size_t n; } bytes;

static void b_put(bytes *b, const void *src, size_t n)
{
    b->p = (unsigned char *)realloc(b->p, b->n + n + 1);
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void b_be32(bytes *b, uint32_t v)
{
    unsigned char q[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
    b_put(b, q, 4);
}

static const char *write_idx(const char *name, uint32_t magic, int ndim, const uint32_t *dims, const unsigned char *data,
                             size_t n, long adjust)
{
    bytes b = {NULL, 0};
    const char *path = tmp_path(name);
    b_be32(&b, magic);
    for (int i = 0; i < ndim; i++) b_be32(&b, dims[i]);
    b_put(&b, data, n);
    if (adjust < 0 && (size_t)(-adjust) <= b.n) b.n -= (size_t)(-adjust);
    if (adjust > 0) { unsigned char z = 7; for (long i = 0; i < adjust; i++) b_put(&b, &z, 1); }
    CHECK(write_file(path, b.p, b.n), "cannot write %s", path);
    free(b.p);
    return path;
}

static void expect_fail(tp_result got, tp_result want, const tp_dataset *ds, const char *must_name, const char *what)
{
    CHECK(got == want, "%s: %s, expected %s (%s)", what, tp_result_string(got), tp_result_string(want), ds->error);
    CHECK(strstr(ds->error, must_name) != NULL, "%s: error \"%s\" does not name %s", what, ds->error, must_name);
    CHECK(ds->x == NULL && ds->pixels == NULL && ds->stream == NULL && ds->y == NULL && ds->n == 0,
          "%s: dataset not empty after failure", what);
}

static void test_load_idx(void)
{
    unsigned char pix[3 * 2 * 3], lab[3] = {0, 9, 4}, lab_bad[3] = {0, 10, 4};
    uint32_t idims[3] = {3, 2, 3}, ldims[1] = {3}, ldims2[1] = {2}, zero[3] = {3, 0, 3}, d2[2] = {3, 6};
    tp_dataset ds;
    const char *img, *lbl, *p;
    tp_result r;
    for (int i = 0; i < 18; i++) pix[i] = (unsigned char)(i * 37 % 256);
    pix[0] = 0; pix[1] = 255;
    img = write_idx("images", 0x00000803u, 3, idims, pix, sizeof pix, 0);
    lbl = write_idx("labels", 0x00000801u, 1, ldims, lab, sizeof lab, 0);
    r = tp_load_idx(&ds, img, lbl);
    CHECK(r == TP_OK, "good files: %s (%s)", tp_result_string(r), ds.error);
    if (r == TP_OK) {
        CHECK(ds.n == 3 && ds.h == 2 && ds.w == 3 && ds.c == 1 && ds.dim == 6 && ds.n_classes == 10,
              "shape n %d h %d w %d c %d dim %d classes %d", ds.n, ds.h, ds.w, ds.c, ds.dim, ds.n_classes);
        for (int i = 0; i < 18; i++) CHECK(ds.pixels && ds.pixels[i] == pix[i], "pixel %d kept as its byte", i);
        for (int i = 0; i < 3; i++) CHECK(ds.y[i] == lab[i], "label %d: %d, expected %d", i, ds.y[i], lab[i]);
        {   /* tp_dataset_batch: rows and one-hot labels */
            int idx[2] = {2, 0};
            float bx[12], by[20];
            tp_dataset_batch(&ds, idx, 2, bx, by);
            for (int b = 0; b < 2; b++) {
                for (int j = 0; j < 6; j++)
                    CHECK(bx[b * 6 + j] == pix[idx[b] * 6 + j] * (1.0f / 255.0f), "batch x[%d][%d]", b, j);
                for (int c = 0; c < 10; c++)
                    CHECK(by[b * 10 + c] == (c == lab[idx[b]] ? 1.0f : 0.0f), "batch y[%d][%d] = %g", b, c, (double)by[b * 10 + c]);
            }
        }
    }
    tp_dataset_free(&ds);
    tp_dataset_free(&ds);   /* twice is harmless */

    p = write_idx("img_trunc", 0x00000803u, 3, idims, pix, sizeof pix, -1);
    expect_fail(tp_load_idx(&ds, p, lbl), TP_ERROR_FORMAT, &ds, p, "truncated images");
    p = write_idx("img_long", 0x00000803u, 3, idims, pix, sizeof pix, 2);
    expect_fail(tp_load_idx(&ds, p, lbl), TP_ERROR_FORMAT, &ds, p, "images with trailing bytes");
    p = write_idx("img_magic", 0x00000903u, 3, idims, pix, sizeof pix, 0);
    expect_fail(tp_load_idx(&ds, p, lbl), TP_ERROR_FORMAT, &ds, p, "wrong magic (type byte)");
    p = write_idx("img_2d", 0x00000802u, 2, d2, pix, sizeof pix, 0);
    expect_fail(tp_load_idx(&ds, p, lbl), TP_ERROR_FORMAT, &ds, p, "images with 2 dimensions");
    p = write_idx("img_zero", 0x00000803u, 3, zero, pix, 0, 0);
    expect_fail(tp_load_idx(&ds, p, lbl), TP_ERROR_FORMAT, &ds, p, "zero dimension");
    p = write_idx("img_hdr", 0x00000803u, 1, idims, pix, 0, 0);
    expect_fail(tp_load_idx(&ds, p, lbl), TP_ERROR_FORMAT, &ds, p, "header cut short");
    p = write_idx("img_empty", 0, 0, idims, pix, 0, -4);
    expect_fail(tp_load_idx(&ds, p, lbl), TP_ERROR_FORMAT, &ds, p, "empty image file");
    p = write_idx("lab_3d", 0x00000803u, 3, idims, pix, sizeof pix, 0);
    expect_fail(tp_load_idx(&ds, img, p), TP_ERROR_FORMAT, &ds, p, "labels file holding images");
    p = write_idx("lab_count", 0x00000801u, 1, ldims2, lab, 2, 0);
    expect_fail(tp_load_idx(&ds, img, p), TP_ERROR_FORMAT, &ds, p, "image/label count mismatch");
    CHECK(strstr(ds.error, img) != NULL, "count mismatch error \"%s\" does not name the images", ds.error);
    p = write_idx("lab_10", 0x00000801u, 1, ldims, lab_bad, sizeof lab_bad, 0);   /* a label 10: 11 classes */
    CHECK(tp_load_idx(&ds, img, p) == TP_OK && ds.n_classes == 11 && ds.y[1] == 10, "label 10: %s, %d classes",
          ds.error, ds.n_classes);
    tp_dataset_free(&ds);
    p = write_idx("lab_trunc", 0x00000801u, 1, ldims, lab, sizeof lab, -1);
    expect_fail(tp_load_idx(&ds, img, p), TP_ERROR_FORMAT, &ds, p, "truncated labels");
    p = tmp_path("missing_images");
    expect_fail(tp_load_idx(&ds, p, lbl), TP_ERROR_IO, &ds, p, "missing images");
    p = tmp_path("missing_labels");
    expect_fail(tp_load_idx(&ds, img, p), TP_ERROR_IO, &ds, p, "missing labels");
    CHECK(tp_load_idx(NULL, img, lbl) == TP_ERROR_ARGUMENT, "NULL dataset");
    r = tp_load_idx(&ds, NULL, lbl);
    CHECK(r == TP_ERROR_IO || r == TP_ERROR_ARGUMENT, "NULL path: %s", tp_result_string(r));
}

/* preprocessed records: a 2-byte little-endian label, then h*w*c channels-last bytes, loaded
   (pixels in memory) or opened (read from disk batch by batch), over two files */
static void test_load_records(void)
{
    enum { H = 2, W = 3, C = 2, PIX = H * W * C, REC = 2 + PIX, N1 = 3, N2 = 2, N = N1 + N2 };
    unsigned char f[N * REC];
    const char *p1 = tmp_path("records_a.bin"), *p2 = tmp_path("records_b.bin"), *p = p1;
    const char *paths[2];
    tp_dataset ds, st, fl;
    float want[N * PIX], got[N * PIX], fy[N * 1000];
    int idx[N] = {4, 0, 3, 1, 2};
    tp_result r;
    for (int i = 0; i < (int)sizeof f; i++) f[i] = (unsigned char)(rnd_u64() >> 56);
    for (int e = 0; e < N; e++) {
        unsigned label = e == 0 ? 999 : (unsigned)(e * 37);
        f[e * REC] = (unsigned char)(label & 255); f[e * REC + 1] = (unsigned char)(label >> 8);
        for (int j = 0; j < PIX; j++) want[e * PIX + j] = f[e * REC + 2 + j] * (1.0f / 255.0f);
    }
    paths[0] = p1; paths[1] = p2;
    CHECK(write_file(p1, f, N1 * REC) && write_file(p2, f + N1 * REC, N2 * REC), "cannot write %s", p1);
    r = tp_load_records(&ds, paths, 2, H, W, C, 1000);
    CHECK(r == TP_OK, "load: %s", ds.error);
    CHECK(tp_open_records(&st, paths, 2, H, W, C, 1000) == TP_OK, "open: %s", st.error);
    if (r != TP_OK) return;
    CHECK(ds.n == N && ds.dim == PIX && ds.y[0] == 999 && ds.y[4] == 4 * 37 && ds.pixels && !ds.x && !ds.stream,
          "n %d dim %d labels %d %d", ds.n, ds.dim, ds.y[0], ds.y[4]);
    CHECK(st.n == N && st.dim == PIX && st.stream && !st.pixels && !st.x && st.y[3] == 3 * 37 &&
          tp_dataset_check(&st) == TP_OK && tp_dataset_check(&ds) == TP_OK, "opened: n %d (%s)", st.n, st.error);
    fl = ds;   /* the same examples as floats of one's own */
    fl.pixels = NULL; fl.x = want;
    for (int k = 0; k < 3; k++) {   /* every place gives the same rows, in any order, across the files */
        tp_dataset *d = k == 0 ? &ds : k == 1 ? &st : &fl;
        memset(got, 0, sizeof got);
        CHECK(tp_dataset_batch(d, idx, N, got, fy) == TP_OK, "batch from place %d: %s", k, d->error);
        for (int b = 0; b < N; b++) {
            CHECK(!memcmp(got + b * PIX, want + idx[b] * PIX, PIX * sizeof(float)), "place %d row %d: not record %d", k, b, idx[b]);
            CHECK(fy[b * 1000 + ds.y[idx[b]]] == 1.0f, "place %d row %d: one-hot label", k, b);
        }
    }
    {   /* statistics and evaluation read every place alike, bit for bit */
        float m[3][C], sd[3][C];
        double loss[3], err[3];
        tp_config cfg = cfg_make(TP_BP, 2);
        tp_net net;
        char spec[64];
        snprintf(spec, sizeof spec, "%dx%dx%d fc5 fc1000", H, W, C);
        MAKE_NET(&net, spec, &cfg);
        for (int k = 0; k < 3; k++) {
            tp_dataset *d = k == 0 ? &ds : k == 1 ? &st : &fl;
            CHECK(tp_dataset_channel_stats(d, m[k], sd[k]) == TP_OK, "stats from place %d: %s", k, d->error);
            CHECK(tp_evaluate_dataset(&net, d, &loss[k], &err[k]) == TP_OK, "evaluate place %d: %s", k, net.error);
        }
        CHECK(!memcmp(m[0], m[1], sizeof m[0]) && !memcmp(m[0], m[2], sizeof m[0]) && !memcmp(sd[0], sd[1], sizeof sd[0]) &&
              !memcmp(sd[0], sd[2], sizeof sd[0]), "channel statistics differ between places: %g %g %g", (double)m[0][0],
              (double)m[1][0], (double)m[2][0]);
        CHECK(loss[0] == loss[1] && loss[0] == loss[2] && err[0] == err[1] && err[0] == err[2],
              "evaluation differs between places: %.17g %.17g %.17g", loss[0], loss[1], loss[2]);
        tp_net_destroy(&net);
    }
    {   /* a file cut short under an open dataset: a clear error, not garbage */
        CHECK(write_file(p2, f + N1 * REC, REC), "cannot rewrite %s", p2);
        r = tp_dataset_batch(&st, idx, N, got, NULL);
        CHECK(r == TP_ERROR_IO && strstr(st.error, p2) && strstr(st.error, "record 1"), "shrunk file: %s \"%s\"",
              tp_result_string(r), st.error);
        CHECK(write_file(p2, f + N1 * REC, N2 * REC), "cannot rewrite %s", p2);
    }
    tp_dataset_free(&ds);
    tp_dataset_free(&st);
    tp_dataset_free(&st);   /* twice is harmless */
    for (int open = 0; open < 2; open++) {
        tp_result (*load)(tp_dataset *, const char *const *, int, int, int, int, int) = open ? tp_open_records : tp_load_records;
        paths[0] = p1;
        expect_fail(load(&ds, paths, 2, H, W, C, 500), TP_ERROR_FORMAT, &ds, p1, "label 999 of 500 classes");
        expect_fail(load(&ds, paths, 2, H + 1, W, C, 1000), TP_ERROR_FORMAT, &ds, p, "wrong record size");
        CHECK(load(&ds, paths, 1, 0, W, C, 1000) == TP_ERROR_ARGUMENT, "zero height");
        paths[1] = tmp_path("records_missing.bin");
        expect_fail(load(&ds, paths, 2, H, W, C, 1000), TP_ERROR_IO, &ds, paths[1], "a missing second file");
        paths[1] = p2;
        paths[0] = g_tmpdir;   /* a directory: refused before its "size" is believed */
        expect_fail(load(&ds, paths, 1, H, W, C, 1000), TP_ERROR_IO, &ds, g_tmpdir, "a directory");
#ifdef TEST_POSIX
        CHECK(strstr(ds.error, "directory") != NULL, "a directory: \"%s\"", ds.error);
#endif
    }
}

/* A checkpoint whose stored parameter count disagrees with its spec and its length is refused
   before the network is built (a hostile count cannot make tp_net_load allocate much). */
static void test_checkpoint_counts(void)
{
    tp_config cfg = cfg_make(TP_DTP, 2);
    tp_net net, back;
    const char *p = tmp_path("counts.ckpt");
    unsigned char *f;
    long len = 0;
    MAKE_NET(&net, "4 fc3 fc3 fc2", &cfg);
    CHECK(tp_net_save(&net, p, NULL, 0) == TP_OK, "save: %s", net.error);
    f = read_whole(p, &len);
    CHECK(f && len > 40, "cannot read back %s", p);
    if (f && len > 40) {
        size_t off = (size_t)len - 4 - 4 * (3 * net.n_params + 3 * net.n_iparams + net.n_fixed) - 24;
        uint32_t crc;
        f[off] = (unsigned char)(f[off] + 1);   /* the parameter count, little-endian, one more */
        crc = tp_crc32(0, f, (size_t)len - 4);
        for (int i = 0; i < 4; i++) f[len - 4 + i] = (unsigned char)(crc >> (8 * i));
        CHECK(write_file(p, f, (size_t)len), "cannot write %s", p);
        CHECK(tp_net_load(&back, p, NULL, 0, NULL) == TP_ERROR_FORMAT && strstr(back.error, "parameters stored") &&
              strstr(back.error, p), "a lying parameter count: \"%s\"", back.error);
    }
    free(f);
    tp_net_destroy(&net);
}

static void test_load_cifar10(void)
{
    const size_t rec = 3073;
    unsigned char *f1 = (unsigned char *)malloc(2 * rec), *f2 = (unsigned char *)malloc(rec);
    const char *p1 = tmp_path("cifar_a.bin"), *p2 = tmp_path("cifar_b.bin"), *p;
    const char *paths[2];
    tp_dataset ds;
    tp_result r;
    for (size_t i = 0; i < 2 * rec; i++) f1[i] = (unsigned char)(rnd_u64() >> 56);   /* no period: channels differ */
    for (size_t i = 0; i < rec; i++) f2[i] = (unsigned char)(rnd_u64() >> 56);
    f1[0] = 3; f1[rec] = 9; f2[0] = 0;
    CHECK(write_file(p1, f1, 2 * rec) && write_file(p2, f2, rec), "cannot write CIFAR files");
    paths[0] = p1; paths[1] = p2;
    r = tp_load_cifar10(&ds, paths, 2);
    CHECK(r == TP_OK, "good files: %s (%s)", tp_result_string(r), ds.error);
    if (r == TP_OK) {
        CHECK(ds.n == 3 && ds.h == 32 && ds.w == 32 && ds.c == 3 && ds.dim == 3072 && ds.n_classes == 10,
              "shape n %d h %d w %d c %d dim %d", ds.n, ds.h, ds.w, ds.c, ds.dim);
        CHECK(ds.y[0] == 3 && ds.y[1] == 9 && ds.y[2] == 0, "labels %d %d %d", ds.y[0], ds.y[1], ds.y[2]);
        int bad = 0;
        float *x = (float *)malloc(3 * 3072 * sizeof(float));
        int idx[3] = {0, 1, 2};
        CHECK(x && tp_dataset_batch(&ds, idx, 3, x, NULL) == TP_OK, "batch: %s", ds.error);
        for (int e = 0; x && e < 3; e++) {
            const unsigned char *rb = e < 2 ? f1 + e * rec : f2;
            for (int yy = 0; yy < 32; yy++)
                for (int xx = 0; xx < 32; xx++)
                    for (int c = 0; c < 3; c++) {
                        float got = x[(size_t)e * 3072 + (yy * 32 + xx) * 3 + c];
                        double want = rb[1 + c * 1024 + yy * 32 + xx] / 255.0;
                        if (!h_close(got, want, 1e-7, 1e-6) && !bad++)
                            h_fail(__LINE__, "record %d pixel (%d, %d, %d): %g, expected %g", e, yy, xx, c, (double)got, want);
                    }
        }
        free(x);
    }
    tp_dataset_free(&ds);
    p = tmp_path("cifar_short.bin");
    CHECK(write_file(p, f1, 2 * rec - 1), "write");
    paths[0] = p1; paths[1] = p;
    expect_fail(tp_load_cifar10(&ds, paths, 2), TP_ERROR_FORMAT, &ds, p, "wrong size");
    p = tmp_path("cifar_label.bin");
    f1[rec] = 10;
    CHECK(write_file(p, f1, 2 * rec), "write");
    expect_fail(tp_load_cifar10(&ds, &p, 1), TP_ERROR_FORMAT, &ds, p, "label 10");
    p = tmp_path("cifar_empty.bin");
    CHECK(write_file(p, f1, 0), "write");
    expect_fail(tp_load_cifar10(&ds, &p, 1), TP_ERROR_FORMAT, &ds, p, "empty file");
    p = tmp_path("cifar_missing.bin");
    expect_fail(tp_load_cifar10(&ds, &p, 1), TP_ERROR_IO, &ds, p, "missing file");
    CHECK(tp_load_cifar10(&ds, paths, 0) == TP_ERROR_ARGUMENT, "no paths");
    CHECK(tp_load_cifar10(&ds, NULL, 1) == TP_ERROR_ARGUMENT, "NULL paths");
    CHECK(tp_load_cifar10(NULL, paths, 1) == TP_ERROR_ARGUMENT, "NULL dataset");
    free(f1); free(f2);
}

/* ================================================================ 13. spec parser ===== */

static void test_presets_build(void)
{
    static const char *const names[] = {"mnist-fc", "cifar-fc", "mnist-lc", "mnist-conv", "cifar-lc", "cifar-conv", "mnist-ae"};
    static const int layers[] = {7, 4, 4, 4, 5, 5, 4};
    for (int i = 0; i < 7; i++) {
        tp_config cfg = cfg_make(TP_BP, 2);
        tp_net net;
        tp_result r = tp_net_create(&net, names[i], &cfg);
        CHECK(r == TP_OK, "%s: %s (%s)", names[i], tp_result_string(r), net.error);
        if (r != TP_OK) continue;
        CHECK(net.n_layers == layers[i], "%s: %d layers, expected %d", names[i], net.n_layers, layers[i]);
        CHECK(net.n_out == (i == 6 ? 784 : 10), "%s: %d outputs", names[i], net.n_out);
        CHECK(net.loss == (i == 6 ? TP_SQUARED_ERROR : TP_SOFTMAX_XENT), "%s: loss", names[i]);
        if (i == 6) CHECK(net.out_act == TP_SIGMOID, "mnist-ae output activation %s", tp_act_name(net.out_act));
        if (i == 2) {   /* mnist-lc: 28x28x1 -> 14x14x32 -> 7x7x64 -> 1024 -> 10 */
            const tp_layer *a = &net.layers[0], *b = &net.layers[1];
            CHECK(a->kind == TP_LOCAL && a->out_h == 14 && a->out_w == 14 && a->out_c == 32 && a->n_w == (size_t)196 * 9 * 32,
                  "mnist-lc layer 1: %dx%dx%d, n_w %lu", a->out_h, a->out_w, a->out_c, (unsigned long)a->n_w);
            CHECK(b->out_h == 7 && b->out_w == 7 && b->out_c == 64 && net.layers[2].n_in == 3136, "mnist-lc layer 2: %dx%dx%d",
                  b->out_h, b->out_w, b->out_c);
        }
        if (i == 5) {
            const tp_layer *c3 = &net.layers[2];
            CHECK(c3->kind == TP_CONV && c3->out_h == 8 && c3->out_c == 256 && c3->n_w == (size_t)9 * 128 * 256 && c3->n_b == 256,
                  "cifar-conv layer 3: %dx%dx%d n_w %lu", c3->out_h, c3->out_w, c3->out_c, (unsigned long)c3->n_w);
        }
        tp_net_destroy(&net);
    }
    CHECK(tp_preset("imagenet-lc") != NULL && tp_preset("imagenet-conv") != NULL, "imagenet presets missing");
    CHECK(tp_preset("nonexistent") == NULL && tp_preset(NULL) == NULL, "unknown preset found");
}

/* tp_config_paper: the Table 5 row as printed, the rule's own inverse loss, AO-SDTP's auxiliary
   units, and no change at all when the paper has no row */
static void test_config_paper(void)
{
    tp_config c = tp_config_default(TP_BP), keep;
    c.max_batch = 64; c.seed = 7;
    CHECK(tp_config_paper(&c, "mnist-fc", TP_DTP, TP_ALTERNATING, TP_HPARAMS_TABLE5, NULL) == TP_OK, "mnist-fc DTP alternating");
    CHECK(c.rule == TP_DTP && c.schedule == TP_ALTERNATING && c.inverse_loss == TP_INVERSE_PRESERVE &&
          c.forward.lr == 0.000308f && c.forward.beta1 == 0.99f && c.forward.beta2 == 0.99f && c.forward.eps == 1e-4f &&
          c.inverse.lr == 0.004593f && c.inverse.eps == 1e-4f && c.alpha == 0.231758f && c.sigma == 0.220444f &&
          c.max_batch == 64 && c.seed == 7, "DTP alternating row: lr %g ilr %g alpha %g sigma %g loss %d",
          (double)c.forward.lr, (double)c.inverse.lr, (double)c.alpha, (double)c.sigma, (int)c.inverse_loss);
    CHECK(tp_config_paper(&c, "mnist-fc", TP_AOSDTP, TP_PARALLEL, TP_HPARAMS_TABLE5, NULL) == TP_OK && c.n_aux == 512 &&
          c.inverse_loss == TP_INVERSE_DENOISE && c.forward.lr == 0.000402f && c.inverse.beta2 == 0.95f &&
          c.sigma == 0.213995f, "AO-SDTP uses SDTP's row: n_aux %d lr %g", c.n_aux, (double)c.forward.lr);
    c.n_aux = 100;
    CHECK(tp_config_paper(&c, "mnist-fc", TP_AOSDTP, TP_PARALLEL, TP_HPARAMS_TABLE5, NULL) == TP_OK && c.n_aux == 512,
          "the row's n_aux: %d", c.n_aux);
    CHECK(tp_config_paper(&c, "mnist-conv", TP_BP, TP_PARALLEL, TP_HPARAMS_TABLE5, NULL) == TP_OK && c.forward.lr == 0.000297f,
          "BP ConvNet column: lr %g", (double)c.forward.lr);
    keep = c;
    CHECK(tp_config_paper(&c, "cifar-fc", TP_AOSDTP, TP_ALTERNATING, TP_HPARAMS_TABLE5, NULL) == TP_OK, "cifar-fc AO-SDTP alternating");
    c = keep;
    CHECK(tp_config_paper(&c, "imagenet-lc", TP_SDTP, TP_ALTERNATING, TP_HPARAMS_TABLE5, NULL) == TP_ERROR_SPEC &&
          memcmp(&c, &keep, sizeof c) == 0, "a row the paper lacks changed the config");
    CHECK(tp_config_paper(&c, "mnist-fcc", TP_BP, TP_PARALLEL, TP_HPARAMS_TABLE5, NULL) == TP_ERROR_SPEC, "unknown preset accepted");
    CHECK(tp_config_paper(NULL, "mnist-fc", TP_BP, TP_PARALLEL, TP_HPARAMS_TABLE5, NULL) == TP_ERROR_ARGUMENT, "NULL config");
}

/* Every weight matrix is uniform in (-lim, lim) with the initialiser's limit for its fans
   (LC: K*K*C_in and K*K*C_out); its largest entry comes close to lim, its mean |w| to lim/2. */
static void check_uniform(const float *w, size_t n, double fan_in, double fan_out, tp_init init, const char *what)
{
    double lim = init == TP_INIT_LECUN ? sqrt(3.0 / fan_in) : sqrt(6.0 / (fan_in + fan_out)), mx = 0.0, mean = 0.0;
    for (size_t i = 0; i < n; i++) { mx = fabs(w[i]) > mx ? fabs(w[i]) : mx; mean += fabs(w[i]) / (double)n; }
    CHECK(mx <= lim * (1.0 + 1e-6) && mx >= 0.95 * lim && fabs(mean / lim - 0.5) < 0.06,
          "%s init %d: max |w| %.4f, mean |w| %.4f, expected limit %.4f", what, (int)init, mx, mean, lim);
}

static void test_init(void)
{
    const char *spec = "8x8x2 lc3x3/4/s2 fc16 fc10";      /* LC: 4x4x4 out, fans 18 and 36 */
    for (int k = 0; k < 2; k++) {
        tp_init init = k ? TP_INIT_LECUN : TP_INIT_GLOROT;
        tp_rule rules[3] = {TP_FA, TP_DFA, TP_AOSDTP};
        for (int q = 0; q < 3; q++) {
            tp_config cfg = cfg_make(rules[q], 4);
            tp_net net;
            cfg.init = init;
            cfg.n_aux = rules[q] == TP_AOSDTP ? 32 : 0;
            MAKE_NET(&net, spec, &cfg);
            check_uniform(net.layers[0].w, net.layers[0].n_w, 18, 36, init, "LC W_1");
            check_uniform(net.layers[1].w, net.layers[1].n_w, 64, 16, init, "dense W_2");
            if (rules[q] == TP_FA) check_uniform(net.layers[0].fb, net.layers[0].n_w, 18, 36, init, "FA B_1");
            if (rules[q] == TP_DFA) check_uniform(net.layers[1].fb, 10 * 16, 10, 16, init, "DFA D_2");
            if (rules[q] == TP_AOSDTP) {
                check_uniform(net.layers[1].v, 16 * 64, 16, 64, init, "inverse V_2");
                check_uniform(net.layers[2].v, (10 + 32) * 16, 10 + 32, 16, init, "top inverse V_3 reading [o, z]");
                check_uniform(net.wz, 16 * 32, 16, 32, init, "AO-SDTP W_z");
            }
            tp_net_destroy(&net);
        }
    }
    {
        tp_config cfg = cfg_make(TP_BP, 4);
        tp_net net;
        cfg.init = (tp_init)2;
        CHECK(tp_net_create(&net, spec, &cfg) == TP_ERROR_SPEC && strstr(net.error, "init 2"),
              "init 2 accepted or not named: %s", net.error);
    }
}

static void test_spec_parser(void)
{
    tp_config cfg = cfg_make(TP_BP, 4);
    tp_net net;
    tp_result r = tp_net_create(&net, "784-256x6-10", &cfg);
    CHECK(r == TP_OK, "short form: %s (%s)", tp_result_string(r), net.error);
    if (r == TP_OK) {
        CHECK(net.n_layers == 7, "short form: %d layers", net.n_layers);
        CHECK(net.n_in == 784 && net.n_out == 10 && net.layers[0].n_out == 256 && net.layers[5].n_out == 256,
              "short form: sizes %d %d", net.n_in, net.n_out);
        CHECK(net.layers[0].act == TP_TANH && net.layers[6].act == TP_IDENTITY, "short form: activations");
        tp_net_destroy(&net);
    }
    r = tp_net_create(&net, "5x7x2 lc3x3/3/s2 conv3x3/4:relu fc4", &cfg);   /* hand-counted sizes */
    CHECK(r == TP_OK, "%s (%s)", tp_result_string(r), net.error);
    if (r == TP_OK) {
        const tp_layer *a = &net.layers[0], *b = &net.layers[1];
        CHECK(a->out_h == 3 && a->out_w == 4 && a->out_c == 3 && a->n_w == 648 && a->n_b == 36, "LC layer %dx%dx%d n_w %lu n_b %lu",
              a->out_h, a->out_w, a->out_c, (unsigned long)a->n_w, (unsigned long)a->n_b);
        CHECK(b->out_h == 3 && b->out_w == 4 && b->out_c == 4 && b->n_w == 108 && b->n_b == 4 && b->act == TP_RELU, "conv layer");
        CHECK(net.n_params == 648 + 36 + 108 + 4 + 48 * 4 + 4, "n_params %lu, expected 992", (unsigned long)net.n_params);
        tp_net_destroy(&net);
    }
    {
        static const char *const bad[] = {"", "784", "784 fc0", "28x28x1 lc3x3/0", "28x28x1 lc3x2/4", "784 fc10 mse fc3",
                                          "784 foo", "784 fc10:foo", "0 fc10", "784 fc10x0", "28x28x1 lc3x3/4/s0",
                                          "28x28x1 lc0x0/4", "784 fc10 softmax mse", "28x28x1:relu fc10", "fc10",
                                          "784 lc3x3", "784 fc", "28x fc10", "28x28x1x fc10", "28xx28 fc10"};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            r = tp_net_create(&net, bad[i], &cfg);
            CHECK(r == TP_ERROR_SPEC, "spec \"%s\": %s, expected TP_ERROR_SPEC", bad[i], tp_result_string(r));
            CHECK(net.error[0] != 0, "spec \"%s\": empty error message", bad[i]);
            if (r == TP_OK) tp_net_destroy(&net);
        }
    }
    CHECK(tp_net_create(&net, NULL, &cfg) == TP_ERROR_ARGUMENT && net.error[0], "NULL spec");
    CHECK(tp_net_create(&net, "784 fc10", NULL) == TP_ERROR_ARGUMENT && net.error[0], "NULL config");
    CHECK(tp_net_create(NULL, "784 fc10", &cfg) == TP_ERROR_ARGUMENT, "NULL net");
    {
        tp_config c2 = cfg;
        c2.max_batch = 0;
        CHECK(tp_net_create(&net, "784 fc10", &c2) == TP_ERROR_SPEC, "max_batch 0 accepted");
        c2 = cfg; c2.hybrid = 1.5f;
        CHECK(tp_net_create(&net, "784 fc10", &c2) == TP_ERROR_SPEC, "hybrid 1.5 accepted");
        c2 = tp_config_default(TP_SDTP);
        CHECK(tp_net_create(&net, "784 fc10", &c2) == TP_ERROR_SPEC, "SDTP without a hidden layer accepted");
        c2 = tp_config_default(TP_AOSDTP);
        c2.max_batch = 2;
        CHECK(tp_net_create(&net, "8x8x1 fc6 lc3x3/2", &c2) == TP_ERROR_SPEC, "AO-SDTP with an LC top layer accepted");
    }
    {   /* every config field is checked, and the message names the bad one and its value */
        struct { const char *what, *says; } bad[] = {
            {"rule 99", "rule 99"}, {"schedule 7", "schedule 7"}, {"inverse loss 5", "inverse loss 5"},
            {"n_aux huge", "n_aux 2147483642"}, {"forward eps 0", "forward Adam epsilon 0"},
            {"inverse beta1 1", "inverse Adam beta1 1"}, {"forward lr nan", "forward learning rate"},
            {"forward optimiser 5", "forward optimiser 5, expected 0..3"}, {"forward t -3", "forward step count t -3"},
            {"forward decay 1", "forward decay 1"}, {"sigma -1", "sigma -1"},
        };
        for (int i = 0; i < (int)(sizeof bad / sizeof bad[0]); i++) {
            tp_config c2 = tp_config_default(TP_DTP);
            switch (i) {
            case 0: c2.rule = (tp_rule)99; break;
            case 1: c2.schedule = (tp_schedule)7; break;
            case 2: c2.inverse_loss = (tp_inverse_loss)5; break;
            case 3: c2.n_aux = 2147483647 - 5; break;
            case 4: c2.forward.eps = 0.0f; break;
            case 5: c2.inverse.beta1 = 1.0f; break;
            case 6: c2.forward.lr = (float)nan(""); break;
            case 7: c2.forward.kind = (tp_optimizer)5; break;
            case 8: c2.forward.t = -3; break;
            case 9: c2.forward.decay = 1.0f; break;
            default: c2.sigma = -1.0f; break;
            }
            CHECK(tp_net_create(&net, "784 fc10", &c2) == TP_ERROR_SPEC && strstr(net.error, bad[i].says),
                  "%s: \"%s\", expected it to say \"%s\"", bad[i].what, net.error, bad[i].says);
        }
    }
    {
        tp_rule rr;
        tp_schedule ss;
        char why[TP_ERROR_LEN];
        for (int i = 0; i < tp_rule_count(); i++)
            CHECK(tp_rule_parse(tp_rule_name((tp_rule)i), &rr, NULL) == TP_OK && rr == (tp_rule)i, "rule name round trip %d", i);
        CHECK(strcmp(tp_rule_name((tp_rule)tp_rule_count()), "?") == 0, "a rule past the count has a name");
        CHECK(tp_rule_parse("DTP", &rr, NULL) == TP_OK && rr == TP_DTP && tp_rule_parse("AoSdtp", &rr, NULL) == TP_OK &&
              rr == TP_AOSDTP, "rule names are case-insensitive");
        CHECK(tp_rule_parse("backprop", &rr, why) == TP_ERROR_ARGUMENT && strstr(why, "\"backprop\"") &&
              strstr(why, "bp, fa, dfa, dtp, sdtp, aosdtp"), "bad rule name: \"%s\"", why);
        CHECK(tp_rule_parse(NULL, &rr, why) != TP_OK && strstr(why, "(NULL)"), "NULL rule name: \"%s\"", why);
        CHECK(tp_rule_parse("dtp ", &rr, NULL) != TP_OK && tp_rule_parse("", &rr, NULL) != TP_OK, "near-miss rule name accepted");
        CHECK(tp_schedule_parse("Alternating", &ss, NULL) == TP_OK && ss == TP_ALTERNATING &&
              strcmp(tp_schedule_name(ss), "alternating") == 0, "schedule name round trip");
        CHECK(tp_schedule_parse("serial", &ss, why) == TP_ERROR_ARGUMENT && strstr(why, "parallel, alternating"),
              "bad schedule: \"%s\"", why);
        for (int i = 0; i < tp_rule_count(); i++)
            CHECK(strstr(tp_rule_list(why, sizeof why), tp_rule_name((tp_rule)i)) != NULL, "tp_rule_list lacks %s",
                  tp_rule_name((tp_rule)i));
    }
}

static void test_gradients_arguments(void)
{
    tp_config cfg = cfg_make(TP_DTP, 4);
    tp_net net;
    float x[4 * 6], y[4 * 3];
    MAKE_NET(&net, "6 fc5 fc3", &cfg);
    rand_xy(&net, x, y, 4);
    CHECK(tp_gradients(&net, x, y, 0, TP_PHASE_BOTH, NULL) == TP_ERROR_ARGUMENT && net.error[0], "batch 0");
    CHECK(tp_gradients(&net, x, y, 5, TP_PHASE_BOTH, NULL) == TP_ERROR_ARGUMENT, "batch > max_batch");
    CHECK(tp_gradients(&net, NULL, y, 2, TP_PHASE_BOTH, NULL) == TP_ERROR_ARGUMENT, "NULL x");
    CHECK(tp_gradients(&net, x, NULL, 2, TP_PHASE_BOTH, NULL) == TP_ERROR_ARGUMENT, "NULL y");
    CHECK(tp_gradients(&net, x, y, 2, (tp_phase)0, NULL) == TP_ERROR_ARGUMENT, "phase 0");
    CHECK(tp_gradients(&net, x, y, 2, (tp_phase)4, NULL) == TP_ERROR_ARGUMENT, "phase 4");
    CHECK(tp_gradients(NULL, x, y, 2, TP_PHASE_BOTH, NULL) == TP_ERROR_ARGUMENT, "NULL net");
    CHECK(tp_train_step(&net, x, y, 0, TP_PHASE_BOTH, NULL) == TP_ERROR_ARGUMENT, "train step batch 0");
    CHECK(tp_train_step(NULL, x, y, 2, TP_PHASE_BOTH, NULL) == TP_ERROR_ARGUMENT, "train step NULL net");
    CHECK(tp_gradients(&net, x, y, 4, TP_PHASE_BOTH, NULL) == TP_OK, "a good call fails: %s", net.error);
    tp_net_destroy(&net);
}

/* ================================================================ 14. smoke =========== */

static void make_blobs(float *x, float *y, int n, int dim)
{
    for (int i = 0; i < n; i++) {
        int c = i & 1;
        for (int j = 0; j < dim; j++) x[i * dim + j] = (float)((c ? 0.7 : -0.7) + rnd_gauss());
        y[i * 2] = c ? 0.0f : 1.0f;
        y[i * 2 + 1] = c ? 1.0f : 0.0f;
    }
}

static void smoke(tp_rule rule, const char *spec, float lr, double ratio, double max_err)
{
    enum { N = 256, DIM = 8, B = 32 };
    tp_config cfg = cfg_make(rule, B);
    tp_net net;
    float *x = falloc(N * DIM), *y = falloc(N * 2);
    double l0, l1, e0, e1;
    cfg.forward.lr = lr; cfg.inverse.lr = lr;
    MAKE_NET(&net, spec, &cfg);
    rnd_seed(42);
    make_blobs(x, y, N, DIM);
    tp_evaluate(&net, x, y, N, &l0, &e0);
    for (int s = 0; s < 200; s++) {
        int i = (s * B) % N;
        tp_result r = tp_train_step(&net, x + i * DIM, y + i * 2, B, TP_PHASE_BOTH, NULL);
        CHECK(r == TP_OK, "step %d: %s", s, net.error);
        if (r != TP_OK) break;
    }
    tp_evaluate(&net, x, y, N, &l1, &e1);
    CHECK(l1 < ratio * l0, "%s: loss %.4f -> %.4f, expected below %.2f x start", tp_rule_name(rule), l0, l1, ratio);
    CHECK(e1 <= max_err, "%s: error rate %.3f -> %.3f, expected <= %.2f", tp_rule_name(rule), e0, e1, max_err);
    free(x); free(y);
    tp_net_destroy(&net);
}

static void test_smoke_bp(void) { smoke(TP_BP, "8 fc16 fc2", 1e-2f, 0.5, 0.08); }
static void test_smoke_sdtp(void) { smoke(TP_SDTP, "8 fc16 fc16 fc2", 3e-3f, 0.5, 0.12); }

/* evaluation refuses NULL inputs and data that does not fit the network */
static void test_evaluate_arguments(void)
{
    tp_config cfg = tp_config_default(TP_BP);
    tp_net net;
    tp_dataset ds;
    float x[6] = {0}, y[3] = {1, 0, 0};
    double loss = -1, err = -1;
    CHECK(tp_net_create(&net, "6 fc4 fc3", &cfg) == TP_OK, "create: %s", net.error);
    CHECK(tp_evaluate(NULL, x, y, 1, &loss, &err) == TP_ERROR_ARGUMENT, "NULL net");
    CHECK(tp_evaluate(&net, NULL, y, 1, &loss, &err) == TP_ERROR_ARGUMENT, "NULL x");
    CHECK(tp_evaluate(&net, x, y, -1, &loss, &err) == TP_ERROR_ARGUMENT, "negative n");
    CHECK(tp_evaluate(&net, x, y, 1, &loss, &err) == TP_OK && loss > 0 && (err == 0 || err == 1), "one example");
    memset(&ds, 0, sizeof ds);
    ds.n = 1; ds.dim = 7; ds.n_classes = 3; ds.x = x; ds.y = NULL;
    CHECK(tp_evaluate_dataset(&net, NULL, &loss, &err) == TP_ERROR_ARGUMENT, "NULL dataset");
    CHECK(tp_evaluate_dataset(&net, &ds, &loss, &err) == TP_ERROR_ARGUMENT && strstr(net.error, "7 inputs"),
          "7-input data on a 6-input net: %s", net.error);
    tp_net_destroy(&net);
}

/* tp_evaluate against per-example losses computed here, over several workspace batches */
static void test_evaluate(void)
{
    enum { N = 11, B = 4 };
    tp_config cfg = cfg_make(TP_BP, B);
    tp_net net;
    float x[N * 5], y[N * 3];
    double loss, err, l = 0;
    int wrong = 0;
    MAKE_NET(&net, "5 fc4 fc3", &cfg);
    rand_biases(&net, 0.5f);
    rand_xy(&net, x, y, N);
    tp_evaluate(&net, x, y, N, &loss, &err);
    for (int i = 0; i < N; i++) {
        double a[3], mx, s = 0;
        int am = 0, ym = 0;
        ref_op o1 = ref_op_make(&net.layers[0], 4), o2 = ref_op_make(&net.layers[1], 3);
        double xi[5], h1[4];
        for (int j = 0; j < 5; j++) xi[j] = x[i * 5 + j];
        ref_fwd(&o1, net.layers[0].w, xi, h1, 1);
        for (int j = 0; j < 4; j++) h1[j] = tanh(h1[j] + net.layers[0].b[j]);
        ref_fwd(&o2, net.layers[1].w, h1, a, 1);
        for (int j = 0; j < 3; j++) a[j] += net.layers[1].b[j];
        mx = a[0] > a[1] ? (a[0] > a[2] ? a[0] : a[2]) : (a[1] > a[2] ? a[1] : a[2]);
        for (int j = 0; j < 3; j++) s += exp(a[j] - mx);
        for (int j = 0; j < 3; j++) { if (y[i * 3 + j] > 0) l -= log(exp(a[j] - mx) / s); if (a[j] > a[am]) am = j; if (y[i * 3 + j] > y[i * 3 + ym]) ym = j; }
        wrong += am != ym;
        ref_op_free(&o1); ref_op_free(&o2);
    }
    CHECK_NEAR(loss, l / N, 1e-6, 1e-5, "mean loss");
    CHECK_NEAR(err, (double)wrong / N, 1e-12, 0, "error rate");
    tp_net_destroy(&net);
}

/* ================================================================ 15. divergence ====== */

static void test_divergence(void)
{
    {   /* a NaN in the input */
        tp_config cfg = cfg_make(TP_BP, 4);
        tp_net net;
        float x[24], y[12], *p0;
        MAKE_NET(&net, "6 fc5:linear fc3", &cfg);
        rand_xy(&net, x, y, 4);
        x[7] = NAN;
        p0 = fdup(net.params, net.n_params);
        tp_result r = tp_train_step(&net, x, y, 4, TP_PHASE_BOTH, NULL);
        CHECK(r == TP_ERROR_ARGUMENT && strstr(net.error, "input row 1 has x[1][1] = nan"), "NaN input: %s (%s)",
              tp_result_string(r), net.error);
        CHECK(memcmp(p0, net.params, net.n_params * sizeof(float)) == 0, "NaN input: parameters were updated");
        free(p0);
        tp_net_destroy(&net);
    }
    {   /* huge inputs through linear layers and a squared error: the loss overflows */
        tp_config cfg = cfg_make(TP_BP, 4);
        tp_net net;
        float x[16], y[8];
        MAKE_NET(&net, "4 fc3:linear fc2 mse", &cfg);
        rand_xy(&net, x, y, 4);
        for (int i = 0; i < 16; i++) x[i] *= 1e20f;
        tp_result r = tp_train_step(&net, x, y, 4, TP_PHASE_BOTH, NULL);
        CHECK(r == TP_ERROR_DIVERGED && net.error[0], "huge input: %s (%s)", tp_result_string(r), net.error);
        tp_net_destroy(&net);
    }
    {   /* SGD with an absurd learning rate: the update itself overflows */
        const tp_rule rules[] = {TP_BP, TP_DTP};
        for (int k = 0; k < 2; k++) {
            tp_config cfg = cfg_make(rules[k], 4);
            tp_net net;
            float x[16], y[8];
            tp_result r = TP_OK;
            cfg.forward.kind = TP_SGD; cfg.forward.lr = 1e38f;
            cfg.inverse.kind = TP_SGD; cfg.inverse.lr = 1e38f;
            MAKE_NET(&net, "4 fc8:linear fc6 fc2", &cfg);
            for (int s = 0; s < 6 && r == TP_OK; s++) {
                rand_xy(&net, x, y, 4);
                for (int i = 0; i < 16; i++) x[i] *= 100.0f;
                r = tp_train_step(&net, x, y, 4, TP_PHASE_BOTH, NULL);
            }
            CHECK(r == TP_ERROR_DIVERGED && net.error[0], "%s lr 1e38: %s (%s)", tp_rule_name(rules[k]), tp_result_string(r), net.error);
            tp_net_destroy(&net);
        }
    }
}

/* a NaN weight in a tanh net: tp_gradients checks the activations for NaN before any update,
   so the step must fail without touching the weights */
static void test_divergence_nan_through_tanh(void)
{
    tp_config cfg = cfg_make(TP_BP, 4);
    tp_net net;
    float x[24], y[12], *p0;
    tp_result r;
    MAKE_NET(&net, "6 fc5 fc3", &cfg);
    rand_xy(&net, x, y, 4);
    net.layers[0].w[1 * 5 + 0] = NAN;   /* W[1][0]: every row's unit 0 of h_1 becomes NaN */
    p0 = fdup(net.params, net.n_params);
    r = tp_train_step(&net, x, y, 4, TP_PHASE_BOTH, NULL);
    CHECK(r == TP_ERROR_DIVERGED && net.error[0], "%s (%s)", tp_result_string(r), net.error);
    CHECK(memcmp(p0, net.params, net.n_params * sizeof(float)) == 0,
          "the weights were updated (now NaN) before the divergence was noticed: \"%s\"; h_1 of the NaN row is %g, "
          "not NaN", net.error, (double)net.h[1][5]);
    free(p0);
    tp_net_destroy(&net);
}

/* ================================================================ 16. augmentation ==== */

/* out must be in shifted by (dy, dx) within [-pad, pad] and possibly mirrored, zeros outside */
static int is_crop_flip(const float *in, const float *out, int h, int w, int c, int pad, int *fl, int *ody, int *odx)
{
    for (int flip = 0; flip < 2; flip++)
        for (int dy = -pad; dy <= pad; dy++)
            for (int dx = -pad; dx <= pad; dx++) {
                int ok = 1;
                for (int yy = 0; yy < h && ok; yy++)
                    for (int xx = 0; xx < w && ok; xx++) {
                        int sx = (flip ? w - 1 - xx : xx) + dx, sy = yy + dy;
                        for (int k = 0; k < c; k++) {
                            float want = (sy < 0 || sy >= h || sx < 0 || sx >= w) ? 0.0f : in[(sy * w + sx) * c + k];
                            if (out[(yy * w + xx) * c + k] != want) { ok = 0; break; }
                        }
                    }
                if (ok) { *fl = flip; *ody = dy; *odx = dx; return 1; }
            }
    return 0;
}

static void test_augment(void)
{
    enum { H = 5, W = 6, C = 2, N = H * W * C, BATCH = 64 };
    tp_rng r;
    float *in = falloc((size_t)BATCH * N), *x = falloc((size_t)BATCH * N);
    int seen_flip[2] = {0, 0}, seen_dx[5] = {0, 0, 0, 0, 0}, seen_dy[5] = {0, 0, 0, 0, 0};
    for (int i = 0; i < BATCH * N; i++) in[i] = 1.0f + (float)i;   /* distinct and non-zero */
    tp_rng_seed(&r, 3);
    for (int pad = 0; pad <= 2; pad++) {
        memcpy(x, in, (size_t)BATCH * N * sizeof(float));
        tp_augment_crop_flip(&r, x, BATCH, H, W, C, pad);
        for (int b = 0; b < BATCH; b++) {
            int fl = 0, dy = 0, dx = 0;
            const float *ib = in + (size_t)b * N, *ob = x + (size_t)b * N;
            for (int i = 0; i < N; i++) {   /* every value zero or one of this image's */
                int found = ob[i] == 0.0f;
                for (int j = 0; j < N && !found; j++) found = ob[i] == ib[j];
                CHECK(found, "pad %d image %d: value %g not from the image", pad, b, (double)ob[i]);
            }
            CHECK(is_crop_flip(ib, ob, H, W, C, pad, &fl, &dy, &dx), "pad %d image %d is no shift/mirror of the input", pad, b);
            if (pad == 2) { seen_flip[fl]++; seen_dx[dx + 2]++; seen_dy[dy + 2]++; }
            if (pad == 0) CHECK(dy == 0 && dx == 0, "pad 0 shifted the image");
        }
    }
    CHECK(seen_flip[0] && seen_flip[1], "flips %d/%d in 64 images", seen_flip[0], seen_flip[1]);
    for (int i = 0; i < 5; i++) CHECK(seen_dx[i] && seen_dy[i], "offset %d never drawn (dx %d, dy %d times)", i - 2, seen_dx[i], seen_dy[i]);
    free(in); free(x);
}

#ifdef TEST_POSIX
/* pad >= width: the crop of the zero-padded image may lie entirely in the padding. Run in
   a child process so that a crash is reported as a failure instead of ending the suite. */
static void test_augment_pad_exceeds_image(void)
{
    pid_t pid;
    int status = 0;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        enum { H = 3, W = 2, C = 1 };
        float x[8 * H * W * C];
        tp_rng r;
        int fails = 0;
        tp_rng_seed(&r, 11);
        for (int rep = 0; rep < 20; rep++) {
            for (int i = 0; i < 8 * H * W * C; i++) x[i] = 1.0f + (float)i;
            tp_augment_crop_flip(&r, x, 8, H, W, C, 4);
            for (int b = 0; b < 8; b++)
                for (int i = 0; i < H * W * C; i++) {
                    float v = x[b * H * W * C + i];
                    fails += !(v == 0.0f || (v >= 1.0f + b * H * W * C && v < 1.0f + (b + 1) * H * W * C));
                }
        }
        _exit(fails ? 3 : 0);
    }
    CHECK(pid > 0, "fork failed");
    if (pid <= 0) return;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "tp_augment_crop_flip(h 3, w 2, pad 4) %s %d (|dx| >= w makes the row memmove length negative)",
          WIFSIGNALED(status) ? "crashed with signal" : "child exited with", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}
#endif

/* ================================================================ 17. the API's edges === */

/* A hand-built dataset whose label is not below n_classes: tp_dataset_batch refuses it before
   writing anything (it used to store the one-hot 1 past the end of y), tp_dataset_check and
   tp_evaluate_dataset name the example. */
static void test_dataset_labels(void)
{
    float xs[3 * 4] = {0}, bx[2 * 4], by[2 * 2 + 1];
    uint16_t ys[3] = {1, 0, 7};
    int idx[2] = {0, 2};
    tp_dataset ds;
    tp_config cfg = cfg_make(TP_BP, 2);
    tp_net net;
    double err;
    memset(&ds, 0, sizeof ds);
    ds.n = 3; ds.h = 1; ds.w = 1; ds.c = 4; ds.dim = 4; ds.n_classes = 2; ds.x = xs; ds.y = ys;
    by[4] = 42.0f;   /* the float after y */
    CHECK(tp_dataset_batch(&ds, idx, 2, bx, by) == TP_ERROR_ARGUMENT && strstr(ds.error, "example 2 has label 7") &&
          by[4] == 42.0f, "label 7 of 2 classes: \"%s\", y[4] %g", ds.error, (double)by[4]);
    idx[1] = 3;
    CHECK(tp_dataset_batch(&ds, idx, 2, bx, NULL) == TP_ERROR_ARGUMENT && strstr(ds.error, "idx[1] = 3"),
          "index past n: \"%s\"", ds.error);
    CHECK(tp_dataset_check(&ds) == TP_ERROR_ARGUMENT && strstr(ds.error, "example 2 has label 7"), "check: \"%s\"", ds.error);
    MAKE_NET(&net, "4 fc3 fc2", &cfg);
    ys[2] = 60000;
    CHECK(tp_evaluate_dataset(&net, &ds, NULL, &err) == TP_ERROR_ARGUMENT && strstr(net.error, "example 2 has label 60000"),
          "evaluate_dataset with label 60000: \"%s\"", net.error);
    ys[2] = 1;
    CHECK(tp_dataset_check(&ds) == TP_OK && tp_evaluate_dataset(&net, &ds, NULL, &err) == TP_OK, "a good dataset refused");
    idx[1] = 2;
    CHECK(tp_dataset_batch(&ds, idx, 2, bx, by) == TP_OK && by[2] == 0.0f && by[3] == 1.0f && by[4] == 42.0f,
          "one-hot rows");
    tp_net_destroy(&net);
}

/* tp_evaluate names the row of a non-finite input or of a target that is not a distribution,
   counting rows as the caller does (across its internal batches). */
static void test_evaluate_rows(void)
{
    enum { N = 11 };
    tp_config cfg = cfg_make(TP_BP, 4);
    tp_net net;
    float x[N * 3], y[N * 2];
    double loss, err;
    MAKE_NET(&net, "3 fc4 fc2", &cfg);
    rand_xy(&net, x, y, N);
    CHECK(tp_evaluate(&net, x, y, N, &loss, &err) == TP_OK, "clean data refused: %s", net.error);
    x[9 * 3 + 2] = NAN;
    CHECK(tp_evaluate(&net, x, y, N, &loss, &err) == TP_ERROR_ARGUMENT && strstr(net.error, "input row 9 has x[9][2] = nan"),
          "NaN input: \"%s\"", net.error);
    x[9 * 3 + 2] = INFINITY;
    CHECK(tp_evaluate(&net, x, y, N, &loss, &err) == TP_ERROR_ARGUMENT && strstr(net.error, "input row 9"), "inf input");
    x[9 * 3 + 2] = 0.5f;
    y[6 * 2] = y[6 * 2 + 1] = 0.0f;
    CHECK(tp_evaluate(&net, x, y, N, &loss, &err) == TP_ERROR_ARGUMENT && strstr(net.error, "target row 6 sums to 0"),
          "all-zero target: \"%s\"", net.error);
    y[6 * 2] = 2.0f; y[6 * 2 + 1] = -1.0f;
    CHECK(tp_evaluate(&net, x, y, N, &loss, &err) == TP_ERROR_ARGUMENT && strstr(net.error, "y[6][1] = -1"),
          "negative target: \"%s\"", net.error);
    y[6 * 2] = 0.25f; y[6 * 2 + 1] = 0.75f;   /* a soft label is a distribution */
    CHECK(tp_evaluate(&net, x, y, N, &loss, &err) == TP_OK, "soft label refused: %s", net.error);
    y[6 * 2] = 1.0f; y[6 * 2 + 1] = 1.0f;
    CHECK(tp_train_step(&net, x, y, 4, TP_PHASE_BOTH, NULL) == TP_OK, "rows 0..3 are fine");
    CHECK(tp_train_step(&net, x + 4 * 3, y + 4 * 2, 4, TP_PHASE_BOTH, NULL) == TP_ERROR_ARGUMENT &&
          strstr(net.error, "target row 2 sums to 2"), "two-hot target in training: \"%s\"", net.error);
    tp_net_destroy(&net);
}

/* tp_forward returns an error for a batch outside 1..max_batch (it asserted, and overflowed the
   workspace without assertions); tp_predict takes any number of rows and gives what
   tp_forward gives row by row, without AO-SDTP's auxiliary units. */
static void test_forward_predict(void)
{
    enum { N = 23 };
    const tp_rule rules[] = {TP_BP, TP_AOSDTP};
    for (int k = 0; k < 2; k++) {
        tp_config cfg = cfg_make(rules[k], 4);
        tp_net net;
        float x[N * 5], y[N * 3], probs[N * 3 + 1];
        int classes[N + 1];
        cfg.n_aux = rules[k] == TP_AOSDTP ? 6 : 0;
        MAKE_NET(&net, "5 fc7 fc3", &cfg);
        rand_xy(&net, x, y, N);
        CHECK(tp_forward(&net, x, 0) == TP_ERROR_ARGUMENT && strstr(net.error, "batch 0, expected 1..4"), "batch 0: \"%s\"", net.error);
        CHECK(tp_forward(&net, x, 5) == TP_ERROR_ARGUMENT && strstr(net.error, "batch 5"), "batch 5 of 4: \"%s\"", net.error);
        CHECK(tp_forward(&net, NULL, 2) == TP_ERROR_ARGUMENT, "NULL input");
        probs[N * 3] = 42.0f; classes[N] = 42;
        CHECK(tp_predict(&net, x, N, classes, probs) == TP_OK, "predict %d rows: %s", N, net.error);
        CHECK(probs[N * 3] == 42.0f && classes[N] == 42, "predict wrote past n rows");
        for (int i = 0; i < N; i++) {
            int best = 0;
            CHECK(tp_forward(&net, x + i * 5, 1) == TP_OK, "forward row %d", i);
            for (int j = 0; j < 3; j++) {
                CHECK(probs[i * 3 + j] == net.out[j], "%s row %d column %d: predict %g, forward %g", tp_rule_name(rules[k]), i, j,
                      (double)probs[i * 3 + j], (double)net.out[j]);
                best = net.out[j] > net.out[best] ? j : best;
            }
            CHECK(classes[i] == best, "row %d: class %d, expected %d", i, classes[i], best);
        }
        CHECK(tp_predict(&net, x, N, NULL, NULL) == TP_OK && tp_predict(&net, x, 0, classes, probs) == TP_OK, "nothing asked");
        CHECK(tp_predict(&net, x, -1, classes, probs) == TP_ERROR_ARGUMENT, "negative count");
        x[17 * 5] = NAN;
        CHECK(tp_predict(&net, x, N, classes, NULL) == TP_ERROR_ARGUMENT && strstr(net.error, "input row 17"),
              "NaN row: \"%s\"", net.error);
        tp_net_destroy(&net);
    }
}

/* The user blob: skipped with user NULL (its size reported), refused with its size when the
   buffer is small, copied when it fits. */
static void test_load_user_blob(void)
{
    tp_config cfg = cfg_make(TP_SDTP, 2);
    tp_net net, back;
    const char *p = tmp_path("blob.ckpt");
    unsigned char blob[100], got[100];
    size_t len = 0;
    for (int i = 0; i < 100; i++) blob[i] = (unsigned char)(i * 7);
    MAKE_NET(&net, "4 fc3 fc2", &cfg);
    CHECK(tp_net_save(&net, p, blob, sizeof blob) == TP_OK, "save: %s", net.error);
    CHECK(tp_net_load(&back, p, NULL, 0, &len) == TP_OK && len == 100 && back.params &&
          memcmp(back.params, net.params, net.n_params * sizeof(float)) == 0, "load without the blob: len %lu, %s",
          (unsigned long)len, back.error);
    tp_net_destroy(&back);
    len = 0;
    CHECK(tp_net_load(&back, p, got, 10, &len) == TP_ERROR_ARGUMENT && len == 100 && !back.params &&
          strstr(back.error, "100 bytes"), "small buffer: len %lu, \"%s\"", (unsigned long)len, back.error);
    CHECK(tp_net_load(&back, p, got, sizeof got, &len) == TP_OK && len == 100 && memcmp(got, blob, 100) == 0, "blob copied");
    tp_net_destroy(&back);
    CHECK(tp_net_save(&net, "", NULL, 0) == TP_ERROR_ARGUMENT && strstr(net.error, "path is empty"), "empty path: \"%s\"", net.error);
    tp_net_destroy(&net);
}

/* Version 4 records the optimisers' kinds, decays and schedules, the per-layer settings and the
   normalisation, version 3 the feedback iterations, version 2 the initialiser; files of versions 3
   (Adam or SGD at a constant rate), 2 (no iters: the rule's default) and 1 (no init: Glorot; no
   decays) still load. */
static void put_crc(unsigned char *f, long len)
{
    uint32_t crc = tp_crc32(0, f, (size_t)len - 4);
    for (int i = 0; i < 4; i++) f[len - 4 + i] = (unsigned char)(crc >> (8 * i));
}

static void test_checkpoint_versions(void)
{
    tp_config cfg = cfg_make(TP_FA, 2);
    tp_net net, back;
    const char *p = tmp_path("v1.ckpt");
    unsigned char *f;
    long len = 0;
    cfg.init = TP_INIT_LECUN;
    cfg.iters = 3;
    MAKE_NET(&net, "4 fc3 fc2", &cfg);
    CHECK(tp_net_save(&net, p, "ab", 2) == TP_OK, "save: %s", net.error);
    CHECK(tp_net_load(&back, p, NULL, 0, NULL) == TP_OK && back.cfg.init == TP_INIT_LECUN && back.cfg.iters == 3,
          "init and iters kept: %s", back.error);
    tp_net_destroy(&back);
    f = read_whole(p, &len);
    CHECK(f && len > 300 && f[4] == 4, "cannot read back %s, or not version 4", p);
    if (f && len > 300) {
        size_t at = 12 + (size_t)(f[8] | f[9] << 8) + 32;   /* the init field, after n_aux and max_batch */
        const size_t drop[3] = {at + 72, at + 40, at};      /* version 2's inverse and forward Adam decays, init */
        /* version 3: without version 4's 32 bytes after both optimisers (2 layers' settings, no normalisation),
           nor the 60 after each one's decay (no milestones), the inverse's and then the forward's */
        const size_t v4[3][2] = {{at + 200, 32}, {at + 140, 60}, {at + 48, 60}};
        for (int k = 0; k < 3; k++) {
            memmove(f + v4[k][0], f + v4[k][0] + v4[k][1], (size_t)len - v4[k][0] - v4[k][1]);
            len -= (long)v4[k][1];
        }
        f[4] = 3;
        put_crc(f, len);
        CHECK(write_file(p, f, (size_t)len), "cannot write %s", p);
        CHECK(tp_net_load(&back, p, NULL, 0, NULL) == TP_OK && back.cfg.init == TP_INIT_LECUN && back.cfg.iters == 3 &&
              back.cfg.forward.kind == TP_ADAM && back.cfg.forward.decay_biases == 1 &&
              back.cfg.forward.schedule.kind == TP_LR_CONSTANT && back.cfg.norm_channels == 0 &&
              memcmp(back.params, net.params, net.n_params * sizeof(float)) == 0 &&
              memcmp(back.fixed, net.fixed, net.n_fixed * sizeof(float)) == 0, "version 3: %s", back.error);
        tp_net_destroy(&back);
        f[4] = 2;                                            /* version 2: no iters (after init) */
        memmove(f + at + 4, f + at + 8, (size_t)len - at - 8);
        len -= 4;
        put_crc(f, len);
        CHECK(write_file(p, f, (size_t)len), "cannot write %s", p);
        CHECK(tp_net_load(&back, p, NULL, 0, NULL) == TP_OK && back.cfg.init == TP_INIT_LECUN && back.cfg.iters == 1 &&
              memcmp(back.params, net.params, net.n_params * sizeof(float)) == 0, "version 2: %s", back.error);
        tp_net_destroy(&back);
        f[4] = 1;
        for (int k = 0; k < 3; k++) {
            memmove(f + drop[k], f + drop[k] + 4, (size_t)len - drop[k] - 4);
            len -= 4;
        }
        put_crc(f, len);
        CHECK(write_file(p, f, (size_t)len), "cannot write %s", p);
        CHECK(tp_net_load(&back, p, NULL, 0, NULL) == TP_OK && back.cfg.init == TP_INIT_GLOROT &&
              memcmp(back.params, net.params, net.n_params * sizeof(float)) == 0 &&
              memcmp(back.fixed, net.fixed, net.n_fixed * sizeof(float)) == 0, "version 1: %s", back.error);
        tp_net_destroy(&back);
        f[4] = 5;
        put_crc(f, len);
        CHECK(write_file(p, f, (size_t)len) && tp_net_load(&back, p, NULL, 0, NULL) == TP_ERROR_FORMAT &&
              strstr(back.error, "version 5, expected 1..4"), "version 5: \"%s\"", back.error);
    }
    free(f);
    tp_net_destroy(&net);
}

/* Memory is counted before anything is allocated: tp_net_plan gives what tp_net_create then
   takes, and a net beyond the machine's memory is refused with its size. */
static void test_memory_plan(void)
{
    tp_config cfg = cfg_make(TP_SDTP, 16);
    tp_net net;
    size_t bytes = 0;
    char why[TP_ERROR_LEN];
    CHECK(tp_net_plan("6x6x2 lc3x3/3/s2 fc5 fc3", &cfg, &bytes, why) == TP_OK, "plan: %s", why);
    MAKE_NET(&net, "6x6x2 lc3x3/3/s2 fc5 fc3", &cfg);
    CHECK(bytes == tp_net_bytes(&net) && bytes > 0, "plan %lu bytes, the net took %lu", (unsigned long)bytes,
          (unsigned long)tp_net_bytes(&net));
    tp_net_destroy(&net);
    CHECK(tp_net_plan("2 fc100000000 fc100000000", &cfg, &bytes, why) == TP_ERROR_SPEC && strstr(why, "weights"),
          "two layers of 1e8 units planned: \"%s\"", why);
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
    if ((double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE) < 50e9) {   /* the net needs 58 GB */
        cfg.rule = TP_BP;
        CHECK(tp_net_plan("784 fc2000000 fc1000", &cfg, &bytes, why) == TP_ERROR_NOMEM && strstr(why, "needs 58.14 GB") &&
              strstr(why, sizeof(size_t) > 4 ? "this machine's memory" : "this build can address"), "58 GB: \"%s\"", why);
        CHECK(tp_net_create(&net, "784 fc2000000 fc1000", &cfg) == TP_ERROR_NOMEM && !net.params && strstr(net.error, "GB"),
              "create beyond memory: \"%s\"", net.error);
    }
#endif
    CHECK(tp_net_plan("2 fc3", NULL, &bytes, why) == TP_ERROR_ARGUMENT, "NULL config");
}

/* The defaults learn: every rule, tp_config_default as it is, a small dense net, 100 epochs on
   the spirals of examples/minimal.c (4 classes, chance 75%; every rule below 20%) and on XOR
   (chance 50%; below 15%, DRTP below 40%). */
static void test_defaults_learn(void)
{
    enum { N = 512, B = 64 };
    static float x[N * 2], y[N * 4];
    for (int task = 0; task < 2; task++) {
        int K = task == 0 ? 4 : 2;
        tp_rng rng;
        tp_rng_seed(&rng, 7);
        for (int i = 0; i < N; i++) {
            int k;
            if (task == 0) {
                float t = 0.3f + (float)(i / 4) / (N / 4), a;
                k = i % 4;
                a = 2.0f * t + 6.2831853f * (float)k / 4;
                x[2 * i] = t * cosf(a) + 0.02f * tp_rng_normal(&rng);
                x[2 * i + 1] = t * sinf(a) + 0.02f * tp_rng_normal(&rng);
            } else {
                x[2 * i] = 2.0f * tp_rng_uniform(&rng) - 1.0f;
                x[2 * i + 1] = 2.0f * tp_rng_uniform(&rng) - 1.0f;
                k = (x[2 * i] > 0) != (x[2 * i + 1] > 0);
            }
            for (int j = 0; j < K; j++) y[K * i + j] = (float)(j == k);
        }
        for (int r = 0; r < tp_rule_count(); r++) {
            tp_config cfg = tp_config_default((tp_rule)r);
            tp_net net;
            int order[N];
            double err = 1.0;
            float bx[B * 2], by[B * 4];
            tp_result res = TP_OK;
            MAKE_NET(&net, task == 0 ? "2 fc64x3 fc4" : "2 fc64x3 fc2", &cfg);
            for (int e = 0; e < 100 && res == TP_OK; e++) {
                tp_shuffle(&net.rng, order, N);
                for (int i = 0; i + B <= N && res == TP_OK; i += B) {
                    for (int b = 0; b < B; b++) {
                        memcpy(bx + 2 * b, x + 2 * order[i + b], 2 * sizeof(float));
                        memcpy(by + K * b, y + K * order[i + b], (size_t)K * sizeof(float));
                    }
                    res = tp_train_step(&net, bx, by, B, TP_PHASE_BOTH, NULL);
                }
            }
            /* DRTP's hidden layers see only the label projected through fixed D's: on XOR's two
               classes that leaves 32% here, so it is asked to beat chance by 10 points */
            double limit = task == 0 ? 0.2 : r == TP_DRTP ? 0.4 : 0.15;
            CHECK(res == TP_OK && tp_evaluate(&net, x, y, N, NULL, &err) == TP_OK && err < limit,
                  "%s on %s with the defaults: error %.1f%% (%s)", tp_rule_name((tp_rule)r), task == 0 ? "spirals" : "XOR",
                  100 * err, net.error);
            tp_net_destroy(&net);
        }
    }
}

/* tp_config_paper: the library's best measured rows where they beat Table 5, the row as printed
   on request, and a sentence when there is no row. */
static void test_config_best(void)
{
    tp_config c = tp_config_default(TP_BP);
    char why[TP_ERROR_LEN];
    CHECK(tp_config_paper(&c, "mnist-fc", TP_SDTP, TP_PARALLEL, TP_HPARAMS_TABLE5, NULL) == TP_OK &&
          c.forward.lr == 0.000402f && c.inverse.beta1 == 0.99f, "SDTP Table 5 row");
    CHECK(tp_config_paper(&c, "mnist-fc", TP_SDTP, TP_PARALLEL, TP_HPARAMS_BEST, NULL) == TP_OK &&
          c.forward.lr == 0.000713893f && c.inverse.lr == 1.16651e-5f && c.sigma == 0.372729f, "SDTP best row: lr %g",
          (double)c.forward.lr);
    c = tp_config_default(TP_AOSDTP);
    CHECK(tp_config_paper(&c, "mnist-fc", TP_AOSDTP, TP_ALTERNATING, TP_HPARAMS_BEST, NULL) == TP_OK && c.n_aux == 256 &&
          c.forward.lr == 0.000301f && c.inverse.lr == 1.16651e-5f, "AO-SDTP alternating best: n_aux %d", c.n_aux);
    CHECK(tp_config_paper(&c, "mnist-fc", TP_AOSDTP, TP_PARALLEL, TP_HPARAMS_BEST, NULL) == TP_OK && c.n_aux == 512 &&
          c.forward.lr == 0.000402f && c.inverse.lr == 1.16651e-5f && c.inverse.beta1 == 0.99f,
          "AO-SDTP parallel best is SDTP's Table 5 row with SDTP's searched inverse lr: n_aux %d", c.n_aux);
    CHECK(tp_config_paper(&c, "mnist-fc", TP_AOSDTP, TP_PARALLEL, TP_HPARAMS_TABLE5, NULL) == TP_OK && c.inverse.lr == 0.001101f,
          "AO-SDTP parallel as printed: SDTP's Table 5 row");
    CHECK(tp_config_paper(&c, "mnist-fc", TP_SDTP, TP_INTERLEAVED, TP_HPARAMS_BEST, NULL) == TP_OK && c.forward.lr == 0.001f &&
          c.inverse.lr == 1.16651e-5f, "SDTP interleaved best: inverse lr %g", (double)c.inverse.lr);
    c.init = TP_INIT_GLOROT;
    CHECK(tp_config_paper(&c, "mnist-lc", TP_SDTP, TP_PARALLEL, TP_HPARAMS_BEST, NULL) == TP_OK && c.init == TP_INIT_LECUN,
          "SDTP parallel on MNIST LC takes LeCun's initialiser");
    CHECK(tp_config_paper(&c, "mnist-lc", TP_SDTP, TP_ALTERNATING, TP_HPARAMS_BEST, NULL) == TP_OK && c.inverse.lr == 1.5e-5f &&
          c.forward.lr == 0.000651f, "SDTP alternating on MNIST LC: inverse lr %g", (double)c.inverse.lr);
    CHECK(tp_config_paper(&c, "mnist-fc", TP_DTP, TP_PARALLEL, TP_HPARAMS_BEST, NULL) == TP_OK && c.forward.lr == 0.000757f,
          "DTP's best is its Table 5 row");
    CHECK(tp_config_paper(&c, "imagenet-lc", TP_SDTP, TP_ALTERNATING, TP_HPARAMS_BEST, why) == TP_ERROR_SPEC &&
          strstr(why, "sdtp") && strstr(why, "alternating") && strstr(why, "imagenet-lc"), "no row: \"%s\"", why);
    CHECK(tp_config_paper(&c, "mnist-fc", TP_BP, TP_PARALLEL, (tp_hparams)7, why) == TP_ERROR_ARGUMENT, "bad which");
    c = tp_config_default(TP_KP);   /* the later rules' rows: their own searches' best, KP with its decay */
    CHECK(tp_config_paper(&c, "mnist-fc", TP_KP, TP_PARALLEL, TP_HPARAMS_BEST, NULL) == TP_OK && c.forward.decay == 1e-5f &&
          c.forward.lr == 0.00025707f, "KP's best row: decay %g", (double)c.forward.decay);
    c = tp_config_default(TP_WM);
    CHECK(tp_config_paper(&c, "mnist-fc", TP_WM, TP_ALTERNATING, TP_HPARAMS_BEST, NULL) == TP_OK && c.inverse.lr == 0.0069047f &&
          c.sigma == 0.0842505f && c.forward.decay == 0.0f, "WM's best row, any schedule: inverse lr %g", (double)c.inverse.lr);
    c = tp_config_default(TP_FWDTP);
    CHECK(tp_config_paper(&c, "mnist-fc", TP_FWDTP, TP_PARALLEL, TP_HPARAMS_BEST, NULL) == TP_OK && c.alpha == 0.370645f,
          "FW-DTP's row sets alpha: %g", (double)c.alpha);
    c = tp_config_default(TP_DTPDRL);
    CHECK(tp_config_paper(&c, "mnist-fc", TP_DTPDRL, TP_INTERLEAVED, TP_HPARAMS_BEST, NULL) == TP_OK && c.alpha == 0.000536f &&
          c.inverse.lr == 0.0000201f && c.sigma == 0.0569f, "DTP-DRL's row: its authors' values, alpha %g", (double)c.alpha);
    c = tp_config_default(TP_KP);
    CHECK(tp_config_paper(&c, "cifar-lc", TP_KP, TP_PARALLEL, TP_HPARAMS_BEST, NULL) == TP_OK && c.forward.decay == 1e-5f &&
          c.forward.lr == 0.000044f && c.forward.beta2 == 0.999f, "KP on CIFAR-10 LC: BP's forward row, lr %g", (double)c.forward.lr);
    c = tp_config_default(TP_DDTP);   /* elsewhere: BP's forward row there, the rest of the MNIST FC row */
    CHECK(tp_config_paper(&c, "mnist-lc", TP_DDTP, TP_PARALLEL, TP_HPARAMS_BEST, NULL) == TP_OK && c.forward.lr == 0.000133f &&
          c.forward.eps == 1e-8f && c.inverse.lr == 0.000185849f && c.alpha == 0.00707071f && c.sigma == 0.199862f,
          "DDTP on MNIST LC: lr %g, inverse lr %g", (double)c.forward.lr, (double)c.inverse.lr);
    c = tp_config_default(TP_LDRL);   /* the simple VGG: the rules' forward lr, the rest of the MNIST FC row */
    CHECK(tp_config_paper(&c, "cifar-vgg", TP_LDRL, TP_PARALLEL, TP_HPARAMS_BEST, NULL) == TP_OK && c.forward.lr == 0.0001f &&
          c.forward.beta2 == 0.999f && c.inverse.lr == 0.000775304f && c.sigma == 0.0491536f && c.alpha == 0.0125869f,
          "L-DRL on cifar-vgg: lr %g", (double)c.forward.lr);
    c = tp_config_default(TP_KP);
    CHECK(tp_config_paper(&c, "cifar-vgg", TP_KP, TP_PARALLEL, TP_HPARAMS_BEST, NULL) == TP_OK && c.forward.lr == 0.0001f &&
          c.forward.decay == 1e-5f, "KP on cifar-vgg: lr %g, decay %g", (double)c.forward.lr, (double)c.forward.decay);
    c = tp_config_default(TP_DTP);   /* a paper rule: the library's defaults but the forward lr */
    CHECK(tp_config_paper(&c, "cifar-vgg", TP_DTP, TP_ALTERNATING, TP_HPARAMS_BEST, NULL) == TP_OK && c.forward.lr == 0.0001f &&
          c.inverse.lr == 0.001f && c.alpha == 0.1f && c.sigma == 0.1f && c.schedule == TP_ALTERNATING,
          "DTP on cifar-vgg: lr %g, inverse lr %g", (double)c.forward.lr, (double)c.inverse.lr);
    c = tp_config_default(TP_BP);
    CHECK(tp_config_paper(&c, "cifar-vgg", TP_BP, TP_PARALLEL, TP_HPARAMS_BEST, NULL) == TP_OK && c.forward.lr == 0.001f,
          "BP on cifar-vgg: Adam's defaults, lr %g", (double)c.forward.lr);
    c = tp_config_default(TP_SS);
    CHECK(tp_config_paper(&c, "cifar-vgg", TP_SS, TP_PARALLEL, TP_HPARAMS_BEST, NULL) == TP_OK && c.forward.lr == 0.001f,
          "sign symmetry on cifar-vgg: its own row, lr %g", (double)c.forward.lr);
    CHECK(tp_config_paper(&c, "cifar-vgg", TP_DTP, TP_PARALLEL, TP_HPARAMS_TABLE5, why) == TP_ERROR_SPEC && strstr(why, "cifar-vgg"),
          "no Table 5 row on cifar-vgg: \"%s\"", why);
    CHECK(tp_config_paper(&c, "mnist-fc", TP_LDRL, TP_PARALLEL, TP_HPARAMS_TABLE5, why) == TP_ERROR_SPEC && strstr(why, "ldrl"),
          "the paper has no L-DRL row: \"%s\"", why);
}

#ifdef TEST_POSIX
#include <signal.h>
#include <sys/stat.h>
/* A FIFO is refused by name, without blocking in fopen (an alarm ends a hanging test), and
   so is a directory. */
static void test_not_regular_files(void)
{
    const char *fifo = tmp_path("fifo"), *dir = tmp_path("");
    tp_dataset ds;
    tp_net net;
    CHECK(mkfifo(fifo, 0600) == 0, "mkfifo %s", fifo);
    alarm(20);
    CHECK(tp_load_idx(&ds, fifo, fifo) == TP_ERROR_IO && strstr(ds.error, "a FIFO") && strstr(ds.error, fifo),
          "FIFO as IDX: \"%s\"", ds.error);
    CHECK(tp_net_load(&net, fifo, NULL, 0, NULL) == TP_ERROR_IO && strstr(net.error, "not a regular file"),
          "FIFO as checkpoint: \"%s\"", net.error);
    CHECK(tp_net_load(&net, dir, NULL, 0, NULL) == TP_ERROR_IO && strstr(net.error, "a directory"),
          "directory as checkpoint: \"%s\"", net.error);
    alarm(0);
    remove(fifo);
}

/* tp_net_save writes over a regular file or nothing; through a symbolic link it updates the file
   the link points to and keeps the link; a FIFO, a directory, a link to either or to nothing, and
   anything but a file at PATH.tmp are refused, the path named and nothing replaced. */
static void test_save_targets(void)
{
    const char *file = tmp_path("target.ckpt"), *link = tmp_path("link.ckpt"), *dangling = tmp_path("dangling.ckpt");
    const char *fifo = tmp_path("save_fifo"), *fifo_link = tmp_path("fifo_link.ckpt"), *dir = tmp_path("save_dir");
    const char *blocked = tmp_path("blocked.ckpt"), *blocked_tmp = tmp_path("blocked.ckpt.tmp");
    const char *bad[4];
    tp_config cfg = cfg_make(TP_DTP, 2);
    tp_net net, back;
    struct stat st;
    MAKE_NET(&net, "4 fc3 fc2", &cfg);
    CHECK(write_file(file, (const unsigned char *)"old", 3) && symlink("target.ckpt", link) == 0 &&
          symlink("nowhere.ckpt", dangling) == 0 && mkfifo(fifo, 0600) == 0 && symlink("save_fifo", fifo_link) == 0 &&
          mkdir(dir, 0700) == 0 && mkdir(blocked_tmp, 0700) == 0, "cannot make the files");
    CHECK(tp_net_save(&net, link, NULL, 0) == TP_OK, "save through a link: %s", net.error);
    CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode), "the link was replaced by a file");
    CHECK(tp_net_load(&back, file, NULL, 0, NULL) == TP_OK, "the link's target does not hold the checkpoint: %s", back.error);
    tp_net_destroy(&back);
    bad[0] = dangling; bad[1] = fifo; bad[2] = fifo_link; bad[3] = dir;
    alarm(20);   /* a FIFO opened for writing would block */
    for (int k = 0; k < 4; k++) {
        CHECK(tp_net_save(&net, bad[k], NULL, 0) == TP_ERROR_IO && strstr(net.error, bad[k]), "save onto %s: \"%s\"",
              bad[k], net.error);
        CHECK(lstat(bad[k], &st) == 0 && !S_ISREG(st.st_mode), "%s was replaced by a file", bad[k]);
    }
    alarm(0);
    CHECK(tp_net_save(&net, blocked, NULL, 0) == TP_ERROR_IO && strstr(net.error, blocked_tmp),
          "a directory at PATH.tmp: \"%s\"", net.error);
    CHECK(lstat(blocked, &st) != 0, "a checkpoint appeared though its save failed");
    tp_net_destroy(&net);
    remove(link); remove(dangling); remove(fifo_link); remove(fifo); rmdir(dir); rmdir(blocked_tmp);
}

/* Refusing a checkpoint takes no longer for a larger file: every count and size is checked against
   the spec and the file size before the CRC pass reads the file. A sparse file of 6 GB whose
   user blob claims nearly all of it is refused after reading a few kilobytes (counted by Linux's
   /proc/self/io; the test skips where there is none, or where the file system has no sparse files). */
static void test_checkpoint_huge_refused_early(void)
{
    const char *p = tmp_path("huge.ckpt");
    tp_config cfg = cfg_make(TP_BP, 2);
    tp_net net, back;
    unsigned char *f;
    long len = 0, before, after;
    const long long size = 6LL << 30;
    MAKE_NET(&net, "4 fc3 fc2", &cfg);
    CHECK(tp_net_save(&net, p, NULL, 0) == TP_OK, "save: %s", net.error);
    f = read_whole(p, &len);
    CHECK(f && len > 40, "cannot read back %s", p);
    if (f && len > 40 && sizeof(long) >= 8) {
        size_t off = (size_t)len - 4 - 4 * (3 * net.n_params + 3 * net.n_iparams + net.n_fixed) - 24 - 8;   /* user_len */
        unsigned long long ulen = (unsigned long long)size - off - 8 - 24 - 4;
        FILE *io;
        for (int i = 0; i < 8; i++) f[off + i] = (unsigned char)(ulen >> (8 * i));
        CHECK(write_file(p, f, off + 8) && truncate(p, (off_t)size) == 0, "cannot make the 6 GB file");
        if ((io = fopen("/proc/self/io", "r")) != NULL) {
            char line[200];
            before = after = -1;
            while (fgets(line, sizeof line, io)) if (!strncmp(line, "rchar:", 6)) before = atol(line + 6);
            fclose(io);
            CHECK(tp_net_load(&back, p, NULL, 0, NULL) == TP_ERROR_FORMAT && strstr(back.error, "parameters stored"),
                  "a 6 GB user blob: \"%s\"", back.error);
            if ((io = fopen("/proc/self/io", "r")) != NULL) {
                while (fgets(line, sizeof line, io)) if (!strncmp(line, "rchar:", 6)) after = atol(line + 6);
                fclose(io);
            }
            CHECK(before >= 0 && after - before < (1L << 20), "refusing it read %ld bytes", after - before);
        } else printf("  (no /proc/self/io: only the refusal is checked)\n");
    }
    free(f);
    remove(p);
    tp_net_destroy(&net);
}
#endif

/* ================================================================ 18. newer rules ===== */

/* Sign symmetry: S_l = s_l sign(W_l), s_l Glorot's std, rebuilt every step. When every entry
   of W_l (l >= 2) is +-s_l, S_l is W_l and the gradients are backprop's, bit for bit. */
static void test_ss_identity(void)
{
    const int B = 5;
    tp_config cs = cfg_make(TP_SS, B), cb = cfg_make(TP_BP, B);
    tp_net ss, bp;
    float x[5 * 6], y[5 * 3];
    MAKE_NET(&ss, "6 fc5 fc4 fc3", &cs);
    MAKE_NET(&bp, "6 fc5 fc4 fc3", &cb);
    CHECK(ss.layers[0].fb == NULL && ss.layers[1].fb && ss.layers[2].fb && ss.n_iparams == 0, "sign symmetry's blocks");
    rand_biases(&ss, 0.2f);
    rand_xy(&ss, x, y, B);
    CHECK(tp_gradients(&ss, x, y, B, TP_PHASE_BOTH, NULL) == TP_OK, "%s", ss.error);
    for (int l = 1; l < 3; l++) {
        tp_layer *ly = &ss.layers[l];
        float s = (float)sqrt(2.0 / (ly->n_in + ly->n_out));
        int bad = 0;
        for (size_t i = 0; i < ly->n_w; i++) bad += ly->fb[i] != (ly->w[i] > 0 ? s : ly->w[i] < 0 ? -s : 0.0f);
        CHECK(bad == 0, "layer %d: %d entries of S are not s sign(W)", l + 1, bad);
        for (size_t i = 0; i < ly->n_w; i++) ly->w[i] = ly->w[i] >= 0 ? s : -s;
    }
    memcpy(bp.params, ss.params, ss.n_params * sizeof(float));
    CHECK(tp_gradients(&ss, x, y, B, TP_PHASE_BOTH, NULL) == TP_OK && tp_gradients(&bp, x, y, B, TP_PHASE_BOTH, NULL) == TP_OK,
          "gradients");
    CHECK(memcmp(ss.grads, bp.grads, ss.n_params * sizeof(float)) == 0, "|W| = s: sign symmetry's gradients are not BP's");
    CHECK(fmaxabs(ss.grads, ss.layers[0].n_w) > 0, "no gradient reached layer 1");
    tp_net_destroy(&ss);
    tp_net_destroy(&bp);
}

/* Kolen-Pollack: B_l takes W_l's own Adam step and decay, so W_l - B_l shrinks by (1 - decay)
   every step from any start; with B_l = W_l its gradients are backprop's, bit for bit. */
static void test_kp(void)
{
    const int B = 4;
    tp_config cfg = cfg_make(TP_KP, B), cb = cfg_make(TP_BP, B);
    tp_net kp, bp;
    float x[4 * 6], y[4 * 3];
    double d0[3];
    cfg.forward.decay = 0.05f;
    CHECK(tp_config_default(TP_KP).forward.decay > 0.0f && tp_config_default(TP_BP).forward.decay == 0.0f,
          "KP's default decay");
    MAKE_NET(&kp, "6 fc5 fc4 fc3", &cfg);
    MAKE_NET(&bp, "6 fc5 fc4 fc3", &cb);
    CHECK(!kp.layers[0].v && kp.layers[1].v && kp.layers[2].v && !kp.layers[1].c && kp.n_fixed == 0, "KP's blocks");
    rand_xy(&kp, x, y, B);
    for (int l = 1; l < 3; l++) {
        const tp_layer *ly = &kp.layers[l];
        double s = 0;
        for (size_t i = 0; i < ly->n_w; i++) s += ((double)ly->w[i] - ly->v[i]) * ((double)ly->w[i] - ly->v[i]);
        d0[l] = sqrt(s);
    }
    for (int step = 1; step <= 6; step++) {
        CHECK(tp_train_step(&kp, x, y, B, TP_PHASE_BOTH, NULL) == TP_OK, "step %d: %s", step, kp.error);
        for (int l = 1; l < 3; l++) {
            const tp_layer *ly = &kp.layers[l];
            double s = 0;
            for (size_t i = 0; i < ly->n_w; i++) s += ((double)ly->w[i] - ly->v[i]) * ((double)ly->w[i] - ly->v[i]);
            CHECK_NEAR(sqrt(s), d0[l] * pow(0.95, step), 1e-6, 1e-4, "layer %d, step %d: ||W - B||", l + 1, step);
        }
    }
    CHECK(kp.cfg.inverse.t == 6 && kp.cfg.forward.t == 6, "step counts %ld %ld", kp.cfg.inverse.t, kp.cfg.forward.t);
    for (int l = 1; l < 3; l++) memcpy(kp.layers[l].v, kp.layers[l].w, kp.layers[l].n_w * sizeof(float));
    memcpy(bp.params, kp.params, kp.n_params * sizeof(float));
    CHECK(tp_gradients(&kp, x, y, B, TP_PHASE_BOTH, NULL) == TP_OK && tp_gradients(&bp, x, y, B, TP_PHASE_BOTH, NULL) == TP_OK,
          "gradients");
    CHECK(memcmp(kp.grads, bp.grads, kp.n_params * sizeof(float)) == 0, "B = W: KP's gradients are not BP's");
    CHECK(memcmp(kp.igrads, kp.layers[1].dw, kp.layers[1].n_w * sizeof(float)) == 0, "B_2's gradient is not W_2's");
    tp_net_destroy(&kp);
    tp_net_destroy(&bp);
    cfg.schedule = TP_ALTERNATING;
    CHECK(tp_net_create(&kp, "6 fc5 fc3", &cfg) == TP_ERROR_SPEC && strstr(kp.error, "parallel schedule"),
          "KP alternating: \"%s\"", kp.error);
}

/* Weight mirrors: noise alone teaches B_l to mirror W_l: after mirror steps (the inverse phase,
   the forward weights untouched) B_l points along W_l (a positive multiple, here about W_l itself). */
static void test_wm(void)
{
    const int B = 32;
    tp_config cfg = cfg_make(TP_WM, B);
    tp_net net;
    float x[32 * 6], y[32 * 3], *p0;
    cfg.sigma = 1.0f;
    cfg.inverse.lr = 1e-2f;
    MAKE_NET(&net, "6 fc5 fc4 fc3", &cfg);
    CHECK(!net.layers[0].v && net.layers[1].v && net.layers[2].v && net.n_fixed == 0, "WM's blocks");
    rand_xy(&net, x, y, B);
    p0 = fdup(net.params, net.n_params);
    for (int s = 0; s < 1500; s++)
        if (tp_train_step(&net, x, y, B, TP_PHASE_INVERSE, NULL) != TP_OK) { CHECK(0, "step %d: %s", s, net.error); break; }
    CHECK(memcmp(p0, net.params, net.n_params * sizeof(float)) == 0, "the mirror phase changed W");
    for (int l = 1; l < 3; l++) {
        const tp_layer *ly = &net.layers[l];
        double ww = 0, bb = 0, wb = 0;
        for (size_t i = 0; i < ly->n_w; i++) { ww += (double)ly->w[i] * ly->w[i]; bb += (double)ly->v[i] * ly->v[i]; wb += (double)ly->w[i] * ly->v[i]; }
        CHECK(wb / sqrt(ww * bb) > 0.98 && sqrt(bb / ww) > 0.8 && sqrt(bb / ww) < 1.25,
              "layer %d: cos(B, W) %.4f, |B|/|W| %.3f", l + 1, wb / sqrt(ww * bb), sqrt(bb / ww));
    }
    free(p0);
    tp_net_destroy(&net);
}

/* DRTP: a hidden layer's update does not depend on anything above it (the top weights changed,
   the hidden gradients stay the same bits), and its delta is (y D_l) act'(a_l) / B. */
static void test_drtp(void)
{
    const int B = 4, C = 3;
    tp_config cfg = cfg_make(TP_DRTP, B);
    tp_net net;
    float x[4 * 6], y[4 * 3], *g;
    size_t hidden;
    MAKE_NET(&net, "6 fc5 fc4 fc3", &cfg);
    CHECK(net.layers[0].fb && net.layers[1].fb && !net.layers[2].fb, "DRTP's D on the hidden layers only");
    rand_biases(&net, 0.2f);
    rand_xy(&net, x, y, B);
    CHECK(tp_gradients(&net, x, y, B, TP_PHASE_BOTH, NULL) == TP_OK, "%s", net.error);
    for (int b = 0; b < B; b++)
        for (int j = 0; j < 4; j++) {
            double s = 0, h = net.h[2][b * 4 + j];
            for (int c = 0; c < C; c++) s += y[b * C + c] * net.layers[1].fb[c * 4 + j];
            CHECK_NEAR(net.d[2][b * 4 + j], s * (1 - h * h) / B, 1e-7, 1e-5, "delta_2[%d][%d]", b, j);
        }
    hidden = (size_t)(net.layers[2].w - net.params);
    g = fdup(net.grads, hidden);
    fill(net.layers[2].w, net.layers[2].n_w, 1.0f);
    fill(net.layers[2].b, net.layers[2].n_b, 1.0f);
    CHECK(tp_gradients(&net, x, y, B, TP_PHASE_BOTH, NULL) == TP_OK, "%s", net.error);
    CHECK(memcmp(g, net.grads, hidden * sizeof(float)) == 0, "the hidden updates changed with the top layer");
    free(g);
    tp_net_destroy(&net);
}

/* FW-DTP is DTP whose inverses keep their random start: drawn as DTP draws them (the same
   seed gives the same V), never trained, and the forward gradients are DTP's. */
static void test_fwdtp(void)
{
    const int B = 4;
    tp_config cf = cfg_make(TP_FWDTP, B), cd = cfg_make(TP_DTP, B);
    tp_net fw, dtp;
    float x[4 * 7], y[4 * 3], *fixed0;
    MAKE_NET(&fw, "7 fc6 fc5 fc4 fc3", &cf);
    MAKE_NET(&dtp, "7 fc6 fc5 fc4 fc3", &cd);
    CHECK(fw.n_iparams == 0 && fw.n_fixed == dtp.n_iparams && memcmp(fw.fixed, dtp.iparams, fw.n_fixed * sizeof(float)) == 0 &&
          memcmp(fw.params, dtp.params, fw.n_params * sizeof(float)) == 0, "FW-DTP's start is not DTP's");
    rand_xy(&fw, x, y, B);
    CHECK(tp_gradients(&fw, x, y, B, TP_PHASE_FORWARD, NULL) == TP_OK && tp_gradients(&dtp, x, y, B, TP_PHASE_FORWARD, NULL) == TP_OK,
          "gradients");
    CHECK(memcmp(fw.grads, dtp.grads, fw.n_params * sizeof(float)) == 0, "FW-DTP's gradients are not DTP's with the same V");
    fixed0 = fdup(fw.fixed, fw.n_fixed);
    for (int s = 0; s < 5; s++) CHECK(tp_train_step(&fw, x, y, B, TP_PHASE_BOTH, NULL) == TP_OK, "step: %s", fw.error);
    CHECK(memcmp(fixed0, fw.fixed, fw.n_fixed * sizeof(float)) == 0 && fw.cfg.inverse.t == 0, "an inverse weight changed");
    free(fixed0);
    tp_net_destroy(&fw);
    tp_net_destroy(&dtp);
}

/* ---- The difference-reconstruction rules, on square linear nets where the Gauss-Newton
   target is known: with J_l the product W_{l+1} ... W_L (a_L = h_l J_l + const for rows),
   the GN target difference of layer l is alpha e J_l^{-1}. */

static int mat_inverse(int n, const double *a, double *inv)   /* Gauss-Jordan, partial pivoting */
{
    double m[8][16];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < 2 * n; j++) m[i][j] = j < n ? a[i * n + j] : (double)(j - n == i);
    for (int c = 0; c < n; c++) {
        int p = c;
        for (int i = c + 1; i < n; i++) if (fabs(m[i][c]) > fabs(m[p][c])) p = i;
        if (fabs(m[p][c]) < 1e-12) return 0;
        for (int j = 0; j < 2 * n; j++) { double t = m[c][j]; m[c][j] = m[p][j]; m[p][j] = t; }
        for (int i = 0; i < n; i++) {
            double f = m[i][c] / m[c][c];
            if (i == c) continue;
            for (int j = 0; j < 2 * n; j++) m[i][j] -= f * m[c][j];
        }
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) inv[i * n + j] = m[i][n + j] / m[i][i];
    return 1;
}

static void mat_mul(int n, const double *a, const double *b, double *c)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
            c[i * n + j] = s;
        }
}

/* Small noise, a large target step, a quick feedback optimiser: for the Gauss-Newton tests. */
static tp_config gn_config(tp_rule rule, int B)
{
    tp_config cfg = cfg_make(rule, B);
    cfg.sigma = 0.01f;
    cfg.alpha = 0.5f;
    cfg.inverse.lr = 3e-3f;
    return cfg;
}

/* A square linear net "4 fc4:linear fc4:linear fc4" with well-conditioned W_l = I + 0.3 U. */
static int square_linear_net(tp_net *net, tp_config *cfg)
{
    if (tp_net_create(net, "4 fc4:linear fc4:linear fc4", cfg) != TP_OK) { h_fail(__LINE__, "%s", net->error); return 0; }
    for (int l = 0; l < 3; l++)
        for (int i = 0; i < 16; i++) net->layers[l].w[i] = (float)(i / 4 == i % 4) + 0.3f * (float)rnd_s();
    rand_biases(net, 0.2f);
    return 1;
}

static void jacobian_above(const tp_net *net, int l, double *J)   /* J_l = W_{l+1} ... W_L, 4 x 4 */
{
    double t[16];
    for (int i = 0; i < 16; i++) J[i] = (double)(i / 4 == i % 4);
    for (int k = l + 1; k <= net->n_layers; k++) {
        double w[16];
        for (int i = 0; i < 16; i++) w[i] = net->layers[k - 1].w[i];
        mat_mul(4, J, w, t);
        memcpy(J, t, sizeof t);
    }
}

/* max |(2 alpha / B) e J_l^{-1} - d_l| over the batch: d_l = (2/B) D_l on a linear layer */
static double gn_target_error(const tp_net *net, int l, int B, double *scale)
{
    double J[16], Ji[16], worst = 0, big = 0;
    *scale = 0;
    jacobian_above(net, l, J);
    if (!mat_inverse(4, J, Ji)) return 1e9;
    for (int b = 0; b < B; b++)
        for (int j = 0; j < 4; j++) {
            double s = 0;
            for (int c = 0; c < 4; c++) s += net->err[b * 4 + c] * Ji[c * 4 + j];
            s *= 2.0 * net->cfg.alpha / B;
            worst = fmax(worst, fabs(s - net->d[l][b * 4 + j]));
            big = fmax(big, fabs(s));
        }
    *scale = big;
    return worst;
}

/* max |a b - I| of 4 x 4 matrices, b transposed when bt */
static double off_identity(const double *a, const float *b, int bt)
{
    double worst = 0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            double s = 0;
            for (int k = 0; k < 4; k++) s += a[i * 4 + k] * b[bt ? j * 4 + k : k * 4 + j];
            worst = fmax(worst, fabs(s - (double)(i == j)));
        }
    return worst;
}

/* The forward gradients of a fresh batch, and each hidden layer's target against Gauss-Newton's. */
static void check_gn_targets(tp_net *net, int B, double tol, const char *what)
{
    float x[16 * 4], y[16 * 4];
    rand_xy(net, x, y, B);
    CHECK(tp_gradients(net, x, y, B, TP_PHASE_FORWARD, NULL) == TP_OK, "%s", net->error);
    for (int l = 1; l <= 2; l++) {
        double scale, e = gn_target_error(net, l, B, &scale);
        CHECK(e < tol * scale + 1e-7, "%s, layer %d: target %.3g from Gauss-Newton's (scale %.3g)", what, l, e, scale);
    }
}

static double rel_dist(const float *a, const float *b, size_t n)   /* ||a - b|| / ||b|| */
{
    double d = 0, bb = 0;
    for (size_t i = 0; i < n; i++) { d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]); bb += (double)b[i] * b[i]; }
    return sqrt(d / bb);
}

static void train_feedback(tp_net *net, int steps, int B)
{
    float *x = falloc((size_t)B * net->n_in), *y = falloc((size_t)B * net->n_out);
    for (int s = 0; s < steps; s++) {
        rand_xy(net, x, y, B);
        if (tp_train_step(net, x, y, B, TP_PHASE_INVERSE, NULL) != TP_OK) { h_fail(__LINE__, "step %d: %s", s, net->error); break; }
    }
    free(x); free(y);
}

/* DDTP: its targets are alpha e Q_l, and difference reconstruction drives Q_l to J_l^{-1} on
   a linear invertible net, so the targets become Gauss-Newton's. */
static void test_ddtp(void)
{
    const int B = 16;
    tp_config cfg = gn_config(TP_DDTP, B);
    tp_net net;
    if (!square_linear_net(&net, &cfg)) return;
    CHECK(net.layers[0].v && net.layers[1].v && !net.layers[2].v && net.n_iparams == 2 * 4 * 4, "DDTP's Q on the hidden layers");
    train_feedback(&net, 3000, B);
    for (int l = 1; l <= 2; l++) {
        double J[16], worst;
        jacobian_above(&net, l, J);
        worst = off_identity(J, net.layers[l - 1].v, 0);
        CHECK(worst < 0.02, "layer %d: max |J Q - I| = %.4f after difference reconstruction", l, worst);
    }
    check_gn_targets(&net, B, 0.03, "DDTP");
    tp_net_destroy(&net);
}

/* DTP-DRL: with exact inverses V_l = W_l^{-T} its chain from the output gives the Gauss-Newton
   targets; difference reconstruction from a random start finds those inverses (W_l V_l^T -> I). */
static void test_dtpdrl(void)
{
    const int B = 16;
    tp_config cfg = gn_config(TP_DTPDRL, B);
    tp_net net;
    if (!square_linear_net(&net, &cfg)) return;
    CHECK(!net.layers[0].v && net.layers[1].v && net.layers[2].v, "DTP-DRL's inverses on layers 2..L");
    for (int l = 2; l <= 3; l++) {
        double w[16], wi[16];
        for (int i = 0; i < 16; i++) w[i] = net.layers[l - 1].w[i];
        CHECK(mat_inverse(4, w, wi), "W_%d singular", l);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) net.layers[l - 1].v[i * 4 + j] = (float)wi[j * 4 + i];
    }
    check_gn_targets(&net, B, 1e-4, "exact inverses");
    tp_net_destroy(&net);
    if (!square_linear_net(&net, &cfg)) return;
    train_feedback(&net, 3000, B);
    for (int l = 2; l <= 3; l++) {
        double w[16], worst;
        for (int i = 0; i < 16; i++) w[i] = net.layers[l - 1].w[i];
        worst = off_identity(w, net.layers[l - 1].v, 1);
        CHECK(worst < 0.03, "layer %d: max |W V^T - I| = %.4f after difference reconstruction", l, worst);
    }
    check_gn_targets(&net, B, 0.05, "trained inverses");
    tp_net_destroy(&net);
}

/* L-DRL: on linear layers G_l's Jacobian is driven to W_l^T (V_l -> W_l), and with V_l = W_l its
   hidden updates are 2 alpha times backprop's; cfg.iters feedback steps per batch. */
static void test_ldrl(void)
{
    const int B = 16;
    tp_config cfg = cfg_make(TP_LDRL, B), cb = cfg_make(TP_BP, B);
    tp_net net, bp;
    float x[16 * 4], y[16 * 4];
    size_t hidden;
    CHECK(tp_config_default(TP_LDRL).iters > 1 && tp_config_default(TP_DTP).iters == 1, "L-DRL's default iterations");
    cfg.iters = 1;
    cfg.sigma = 0.1f;
    cfg.alpha = 0.25f;
    cfg.inverse.lr = 1e-2f;
    if (!square_linear_net(&net, &cfg)) return;
    CHECK(!net.layers[0].v && net.layers[1].v && net.layers[2].v, "L-DRL's feedback on layers 2..L");
    for (int l = 2; l <= 3; l++) CHECK(rel_dist(net.layers[l - 1].v, net.layers[l - 1].w, 16) > 0.3, "layer %d starts near W", l);
    train_feedback(&net, 1000, B);   /* then smaller steps, below the noise of the stochastic gradient */
    net.cfg.inverse.lr = 1e-3f;
    train_feedback(&net, 500, B);
    net.cfg.inverse.lr = 3e-4f;
    train_feedback(&net, 500, B);
    for (int l = 2; l <= 3; l++) {
        double d = rel_dist(net.layers[l - 1].v, net.layers[l - 1].w, 16);
        CHECK(d < 0.05, "layer %d: ||V - W|| / ||W|| = %.4f after local difference reconstruction", l, d);
    }
    for (int l = 2; l <= 3; l++) memcpy(net.layers[l - 1].v, net.layers[l - 1].w, 16 * sizeof(float));
    MAKE_NET(&bp, "4 fc4:linear fc4:linear fc4", &cb);
    memcpy(bp.params, net.params, net.n_params * sizeof(float));
    rand_xy(&net, x, y, B);
    CHECK(tp_gradients(&net, x, y, B, TP_PHASE_FORWARD, NULL) == TP_OK && tp_gradients(&bp, x, y, B, TP_PHASE_FORWARD, NULL) == TP_OK,
          "gradients");
    hidden = (size_t)(net.layers[2].w - net.params);
    for (size_t i = 0; i < net.n_params; i++) {
        double want = bp.grads[i] * (i < hidden ? 2.0 * cfg.alpha : 1.0);
        if (!h_close(net.grads[i], want, 1e-6 * fmaxabs(bp.grads, net.n_params), 1e-4)) {
            CHECK(0, "V = W: gradient[%lu] %.7g, 2 alpha BP's %.7g", (unsigned long)i, (double)net.grads[i], want);
            break;
        }
    }
    tp_net_destroy(&bp);
    tp_net_destroy(&net);
    cfg.iters = 3;
    if (!square_linear_net(&net, &cfg)) return;
    CHECK(tp_train_step(&net, x, y, B, TP_PHASE_BOTH, NULL) == TP_OK && net.cfg.inverse.t == 3 && net.cfg.forward.t == 1,
          "3 iterations: inverse steps %ld, forward %ld (%s)", net.cfg.inverse.t, net.cfg.forward.t, net.error);
    tp_net_destroy(&net);
    cfg = cfg_make(TP_KP, B);
    cfg.iters = 2;
    CHECK(tp_net_create(&net, "4 fc4 fc4", &cfg) == TP_ERROR_SPEC && strstr(net.error, "iters 2"), "KP with 2 iterations: \"%s\"",
          net.error);
    cfg = cfg_make(TP_LDRL, B);
    cfg.sigma = 0.0f;
    CHECK(tp_net_create(&net, "4 fc4 fc4", &cfg) == TP_ERROR_SPEC && strstr(net.error, "sigma 0"), "L-DRL with sigma 0: \"%s\"",
          net.error);
}

/* The interleaved schedule: a feedback-only epoch, then epochs that train both, each after
   one of feedback only; a rule without learned feedback trains both every epoch. */
static void test_schedule_interleaved(void)
{
    tp_config c = tp_config_default(TP_DDTP);
    long fe = -1;
    c.schedule = TP_INTERLEAVED;
    CHECK(tp_schedule_phase(&c, 0, &fe) == TP_PHASE_INVERSE && fe == 0, "epoch 0: feedback only");
    CHECK(tp_schedule_phase(&c, 1, &fe) == TP_PHASE_BOTH && fe == 1, "epoch 1: both");
    CHECK(tp_schedule_phase(&c, 2, &fe) == TP_PHASE_INVERSE && fe == 1, "epoch 2: feedback only");
    CHECK(tp_schedule_phase(&c, 5, &fe) == TP_PHASE_BOTH && fe == 3, "epoch 5: both, the third");
    c.rule = TP_BP;
    CHECK(tp_schedule_phase(&c, 0, &fe) == TP_PHASE_BOTH && fe == 1, "BP interleaved trains both");
}

/* Max-pooling: the spec, the kernel against a plain max over each window, its switches, the
   transpose as the adjoint of the recorded selection, and every rule on a net with pools. */
static void test_maxpool(void)
{
    const int B = 2;
    tp_config cfg = cfg_make(TP_BP, B);
    tp_net net, again;
    MAKE_NET(&net, "8x8x3 conv3x3/4 maxpool2x2 lc3x3/2 maxpool3x3/s2 fc5", &cfg);
    {
        const tp_layer *p = &net.layers[1], *q = &net.layers[3];
        CHECK(p->kind == TP_MAXPOOL && p->out_h == 4 && p->out_w == 4 && p->out_c == 4 && p->stride == 2 && p->n_w == 0 &&
              p->n_b == 0 && p->act == TP_IDENTITY && p->sw, "maxpool2x2: %dx%dx%d stride %d", p->out_h, p->out_w, p->out_c, p->stride);
        CHECK(q->out_h == 2 && q->out_w == 2 && q->out_c == 2 && q->stride == 2 && q->k == 3, "maxpool3x3/s2: %dx%dx%d", q->out_h,
              q->out_w, q->out_c);
        CHECK(strstr(net.spec, "maxpool2x2/s2:linear") && strstr(net.spec, "maxpool3x3/s2:linear"), "normalised: %s", net.spec);
        CHECK(tp_net_create(&again, net.spec, &cfg) == TP_OK && again.n_params == net.n_params, "the normalised spec: %s", again.error);
        tp_net_destroy(&again);
    }
    CHECK(tp_net_create(&again, "8x8x3 maxpool2x2/4 fc5", &cfg) == TP_ERROR_SPEC && strstr(again.error, "maxpoolKxK[/sS]"),
          "a channel count on a pool: \"%s\"", again.error);
    tp_net_destroy(&net);

    MAKE_NET(&net, "5x5x3 maxpool2x2 fc2", &cfg);
    {
        const tp_layer *l = &net.layers[0];
        size_t nx = (size_t)B * l->n_in, na = (size_t)B * l->n_out;
        float *x = falloc(nx), *a = falloc(na), *d = falloc(na), *xt = falloc(nx), *x2 = falloc(nx);
        double lhs = 0, rhs = 0, mag = 0;
        int bad = 0;
        fill(x, nx, 1.0f); fill(d, na, 1.0f); fill(x2, nx, 1.0f);
        CHECK(l->out_h == 3 && l->out_w == 3, "5x5 pooled by 2x2: %dx%d", l->out_h, l->out_w);
        tp_layer_forward(l, NULL, x, a, B, NULL);
        for (int b = 0; b < B; b++)
            for (int oy = 0; oy < 3; oy++)
                for (int ox = 0; ox < 3; ox++)
                    for (int c = 0; c < 3; c++) {
                        float m = -1e30f;
                        size_t o = (size_t)b * l->n_out + ((size_t)oy * 3 + ox) * 3 + c;
                        for (int iy = 2 * oy; iy < 2 * oy + 2 && iy < 5; iy++)
                            for (int ix = 2 * ox; ix < 2 * ox + 2 && ix < 5; ix++) m = fmaxf(m, x[(size_t)b * 75 + (iy * 5 + ix) * 3 + c]);
                        bad += a[o] != m || x[(size_t)b * 75 + l->sw[o]] != m || l->sw[o] % 3 != c;
                    }
        CHECK(bad == 0, "%d pooled values or switches differ from a plain max", bad);
        tp_layer_transpose(l, NULL, d, xt, B, NULL);
        for (size_t i = 0; i < na; i++) {   /* <S x2, d> with S the recorded selection */
            double sel = x2[(i / l->n_out) * l->n_in + (size_t)l->sw[i]];
            lhs += sel * d[i]; mag += fabs(sel * d[i]);
        }
        for (size_t i = 0; i < nx; i++) rhs += (double)x2[i] * xt[i];
        CHECK_NEAR(lhs, rhs, 1e-6 * mag, 1e-6, "<S x, d> vs <x, S^T d>");
        free(x); free(a); free(d); free(xt); free(x2);
    }
    tp_net_destroy(&net);

    for (int p = 0; p < 2; p++)   /* every rule steps on a net with max- and with average pools */
        for (int r = 0; r < tp_rule_count(); r++) {
            static const char *const specs[2] = {"8x8x2 conv3x3/4:elu maxpool2x2 lc3x3/3 maxpool2x2 fc6 fc3",
                                                 "8x8x2 conv3x3/4:relu avgpool2x2 conv3x3/3:relu avgpool4x4 fc3"};
            tp_config c = cfg_make((tp_rule)r, 4);
            float x[4 * 8 * 8 * 2], y[4 * 3];
            c.n_aux = 3;
            if (tp_net_create(&net, specs[p], &c) != TP_OK) {
                CHECK(0, "%s: %s", tp_rule_name((tp_rule)r), net.error);
                continue;
            }
            rand_xy(&net, x, y, 4);
            for (int s = 0; s < 3; s++)
                CHECK(tp_train_step(&net, x, y, 4, TP_PHASE_BOTH, NULL) == TP_OK, "%s on %s, step %d: %s",
                      tp_rule_name((tp_rule)r), specs[p], s, net.error);
            CHECK(!net.layers[1].v && !net.layers[1].fb && !net.layers[3].v && !net.layers[3].fb, "%s: a pool carries feedback",
                  tp_rule_name((tp_rule)r));
            tp_net_destroy(&net);
        }
    MAKE_NET(&net, "cifar-vgg", &cfg);
    CHECK(net.n_layers == 11 && net.layers[9].kind == TP_MAXPOOL && net.layers[9].n_out == 512 && net.layers[8].act == TP_ELU &&
          net.layers[10].n_in == 512 && net.n_params == 3456 + 128 + 147456 + 128 + 294912 + 256 + 589824 + 256 + 1179648 + 512 + 5130,
          "cifar-vgg: %d layers, %lu parameters", net.n_layers, (unsigned long)net.n_params);
    tp_net_destroy(&net);
}

/* Average pooling: each output the mean of its window's inputs (those inside the image), the
   transpose the exact adjoint, a window as large as the image a global average, and the
   normalised spec round-trips (every rule steps on a net with it in test_maxpool). */
static void test_avgpool(void)
{
    static const char *const specs[] = {"6x6x3 avgpool2x2", "5x5x2 avgpool2x2", "7x7x2 avgpool3x3/s2", "5x6x3 avgpool3x3/s1",
                                        "4x4x5 avgpool4x4", "8x8x4 avgpool8x8/s8"};
    const int B = 2;
    for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++) {
        tp_config cfg = cfg_make(TP_BP, B);
        tp_net net, again;
        MAKE_NET(&net, specs[s], &cfg);
        {
            const tp_layer *l = &net.layers[0];
            size_t nx = (size_t)B * l->n_in, na = (size_t)B * l->n_out;
            float *x = falloc(nx), *a = falloc(na), *d = falloc(na), *xt = falloc(nx);
            double lhs = 0, rhs = 0, mag = 0;
            int bad = 0;
            CHECK(l->kind == TP_AVGPOOL && l->n_w == 0 && l->n_b == 0 && !l->sw && l->act == TP_IDENTITY && l->out_c == l->in_c,
                  "%s: kind %d, %lu weights, act %d", specs[s], (int)l->kind, (unsigned long)l->n_w, (int)l->act);
            fill(x, nx, 1.0f); fill(d, na, 1.0f);
            tp_layer_forward(l, NULL, x, a, B, NULL);
            for (int b = 0; b < B; b++)   /* the plain mean over the window's inputs inside the image */
                for (int oy = 0; oy < l->out_h; oy++)
                    for (int ox = 0; ox < l->out_w; ox++)
                        for (int c = 0; c < l->out_c; c++) {
                            int y0 = oy * l->stride - l->pad, x0 = ox * l->stride - l->pad_l, n = 0;
                            double m = 0;
                            for (int iy = y0; iy < y0 + l->k; iy++)
                                for (int ix = x0; ix < x0 + l->k; ix++)
                                    if (iy >= 0 && iy < l->in_h && ix >= 0 && ix < l->in_w) {
                                        m += x[(size_t)b * l->n_in + ((size_t)iy * l->in_w + ix) * l->in_c + c];
                                        n++;
                                    }
                            bad += !h_close(a[(size_t)b * l->n_out + ((size_t)oy * l->out_w + ox) * l->out_c + c], m / n, 1e-6, 1e-6);
                        }
            CHECK(bad == 0, "%s: %d outputs differ from the window's mean", specs[s], bad);
            tp_layer_transpose(l, NULL, d, xt, B, NULL);
            for (size_t i = 0; i < na; i++) { lhs += (double)a[i] * d[i]; mag += fabs((double)a[i] * d[i]); }
            for (size_t i = 0; i < nx; i++) { rhs += (double)x[i] * xt[i]; mag += fabs((double)x[i] * xt[i]); }
            CHECK(mag > 0, "%s: all products zero", specs[s]);
            CHECK_NEAR(lhs, rhs, 1e-6 * mag, 1e-6, "%s: <A x, d> vs <x, A^T d>", specs[s]);
            if (l->k >= l->in_h && l->k >= l->in_w)
                CHECK(l->out_h == 1 && l->out_w == 1, "%s: a global average pools to %dx%d", specs[s], l->out_h, l->out_w);
            CHECK(tp_net_create(&again, net.spec, &cfg) == TP_OK && !strcmp(again.spec, net.spec), "%s: the normalised spec %s: %s",
                  specs[s], net.spec, again.error);
            tp_net_destroy(&again);
            free(x); free(a); free(d); free(xt);
        }
        tp_net_destroy(&net);
    }
}

/* ================================================================ 19. misc ============ */

/* The standard check value of CRC-32/IEEE, and continuation across pieces. */
static void test_crc32(void)
{
    const char *s = "123456789";
    uint32_t whole = tp_crc32(0, s, 9), parts = tp_crc32(tp_crc32(0, s, 4), s + 4, 5);
    CHECK(whole == 0xCBF43926u, "crc32(\"123456789\") = %08x, expected cbf43926", (unsigned)whole);
    CHECK(parts == whole, "crc32 in two pieces %08x, whole %08x", (unsigned)parts, (unsigned)whole);
    CHECK(tp_crc32(0, s, 0) == 0, "crc32 of nothing %08x", (unsigned)tp_crc32(0, s, 0));
    {   /* eight bytes a step equals the definition, bit by bit, at every length and offset */
        unsigned char b[64];
        int bad = 0;
        for (int i = 0; i < 64; i++) b[i] = (unsigned char)(i * 37 + 11);
        for (int at = 0; at < 8; at++)
            for (int n = 0; at + n <= 64; n++) {
                uint32_t c = 0xFFFFFFFFu;
                for (int i = at; i < at + n; i++) {
                    c ^= b[i];
                    for (int k = 0; k < 8; k++) c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
                }
                bad += tp_crc32(0, b + at, (size_t)n) != ~c;
            }
        CHECK(bad == 0, "crc32 differs from the bitwise definition at %d (offset, length) pairs", bad);
    }
}

static void test_rng_shuffle(void)
{
    tp_rng r;
    int order[50], count[50];
    double s = 0, s2 = 0, us = 0;
    const int n = 20000;
    tp_rng_seed(&r, 5);
    for (int i = 0; i < n; i++) {
        double z = tp_rng_normal(&r), u = tp_rng_uniform(&r);
        s += z; s2 += z * z; us += u;
        CHECK(u >= 0.0 && u < 1.0, "uniform %g out of [0, 1)", u);
    }
    CHECK(fabs(s / n) < 0.04 && fabs(s2 / n - 1.0) < 0.05, "normal mean %.4f var %.4f", s / n, s2 / n);
    CHECK(fabs(us / n - 0.5) < 0.01, "uniform mean %.4f", us / n);
    tp_shuffle(&r, order, 50);
    memset(count, 0, sizeof count);
    int same = 1;
    for (int i = 0; i < 50; i++) { CHECK(order[i] >= 0 && order[i] < 50, "shuffle value %d", order[i]); if (order[i] >= 0 && order[i] < 50) count[order[i]]++; same &= order[i] == i; }
    for (int i = 0; i < 50; i++) CHECK(count[i] == 1, "shuffle: %d appears %d times", i, count[i]);
    CHECK(!same, "shuffle returned the identity");
}

static double angle_deg(const float *a, const float *b, size_t n)
{
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < n; i++) { ab += (double)a[i] * b[i]; aa += (double)a[i] * a[i]; bb += (double)b[i] * b[i]; }
    double c = ab / sqrt(aa * bb);
    c = c > 1 ? 1 : c < -1 ? -1 : c;
    return acos(c) * 180.0 / 3.141592653589793;
}

/* tp_diagnose: angles against BP computed here, reconstruction errors recomputed here */
static void test_diagnose(void)
{
    const tp_rule rules[] = {TP_BP, TP_FA, TP_SDTP, TP_AOSDTP};
    const int B = 6;
    for (int k = 0; k < 4; k++) {
        tp_config cfg = cfg_make(rules[k], B);
        tp_net net;
        tp_diag dg;
        cfg.n_aux = 4;
        MAKE_NET(&net, "7 fc6 fc5 fc3", &cfg);
        int L = net.n_layers;
        float *x = falloc((size_t)B * 7), *y = falloc((size_t)B * 3), *gr, *gbp;
        rand_biases(&net, 0.2f);
        rand_xy(&net, x, y, B);
        CHECK(tp_gradients(&net, x, y, B, TP_PHASE_FORWARD, NULL) == TP_OK, "gradients");
        gr = fdup(net.grads, net.n_params);
        memset(net.grads, 0, net.n_params * sizeof(float));
        tp_rule_bp(&net, y, B);
        gbp = fdup(net.grads, net.n_params);
        CHECK(tp_diagnose(&net, x, y, B, &dg) == TP_OK, "tp_diagnose: %s", net.error);
        for (int l = 1; l <= L; l++) {
            const tp_layer *ly = &net.layers[l - 1];
            size_t off = (size_t)(ly->dw - net.grads);
            double want = angle_deg(gr + off, gbp + off, ly->n_w);
            CHECK_NEAR(dg.angle[l - 1], want, 0.05, 1e-3, "%s angle of layer %d", tp_rule_name(rules[k]), l);
            if (rules[k] == TP_BP || l == L) CHECK(dg.angle[l - 1] < 0.05f, "%s layer %d angle %g, expected 0", tp_rule_name(rules[k]), l, (double)dg.angle[l - 1]);
            if (rules[k] >= TP_DTP && l < L) CHECK(dg.target[l - 1] > 0.0f, "%s layer %d target distance %g", tp_rule_name(rules[k]), l, (double)dg.target[l - 1]);
            else CHECK(dg.target[l - 1] == -1.0f, "%s layer %d has no target: %g", tp_rule_name(rules[k]), l, (double)dg.target[l - 1]);
            if (ly->v) {   /* ||g_l(f_l(h_{l-1})) - h_{l-1}||^2 / (B n_{l-1}) */
                int Wd = l == L ? ly->v_out : ly->out_c;
                ref_op op = ref_op_make(ly, Wd);
                size_t n = (size_t)B * ly->n_in;
                double *in = l == L ? to_d(net.out, (size_t)B * Wd) : to_d(net.h[l], (size_t)B * ly->n_out), *g = dalloc(n), s = 0;
                ref_g(&net, l, &op, in, g, B);
                for (size_t i = 0; i < n; i++) s += (g[i] - net.h[l - 1][i]) * (g[i] - net.h[l - 1][i]);
                CHECK_NEAR(dg.recon[l - 1], s / (double)n, 1e-7, 1e-4, "%s recon of layer %d", tp_rule_name(rules[k]), l);
                free(in); free(g);
                ref_op_free(&op);
            } else {
                CHECK(dg.recon[l - 1] == -1.0f, "%s layer %d without inverse: recon %g", tp_rule_name(rules[k]), l, (double)dg.recon[l - 1]);
            }
        }
        free(x); free(y); free(gr); free(gbp);
        tp_net_destroy(&net);
    }
    {   /* a zero gradient has no direction: its angle is not defined (NaN), not 90 degrees */
        tp_config cfg = cfg_make(TP_BP, B);
        tp_net net;
        tp_diag dg;
        float x[6 * 5], y[6 * 3];
        MAKE_NET(&net, "5 fc4 fc3:sigmoid mse", &cfg);
        fill(x, sizeof x / sizeof *x, 1.0f);
        tp_forward(&net, x, B);
        memcpy(y, net.out, sizeof y);   /* targets the net already meets: every gradient is zero */
        CHECK(tp_diagnose(&net, x, y, B, &dg) == TP_OK, "tp_diagnose: %s", net.error);
        for (int l = 0; l < net.n_layers; l++)
            CHECK(isnan(dg.angle[l]), "layer %d: a zero gradient's angle is %g, expected NaN", l + 1, (double)dg.angle[l]);
        tp_net_destroy(&net);
    }
}

/* ================================================================ main ================= */

int main(void)
{
    int have_tmp = tmpdir_make();
    int threads0 = tp_get_threads();
    h_timing = getenv("TP_TEST_TIMES") != NULL;

    RUN(gemm_vs_ref);
    RUN(gemm_k0);
    RUN(activations);
    RUN(activation_accuracy);
    RUN(activation_nan);
    RUN(bias_add_grad);
    RUN(layer_kernels_vs_naive);
    RUN(adjoint);
    RUN(lc_equals_conv);
    RUN(lc_full_kernel_equals_dense);
    /* The tests below make tens of thousands of tiny parallel regions, which crawl when other
       processes load the cores (OpenMP threads spin at barriers), so they run on one thread.
       threads_bitwise holds 2 and 3 threads to the same bits as 1 on every rule and layer
       kind, and the kernel tests above run with the default thread count. */
    tp_set_threads(1);
    for (size_t i = 0; i < sizeof g_fd_specs / sizeof g_fd_specs[0]; i++) {
        h_begin("gradcheck_bp \"%s\"", g_fd_specs[i]);
        gradcheck_bp(g_fd_specs[i]);
        h_end();
    }
    {
        static const struct { const char *spec; tp_rule rule; int aux; size_t n; } inv[] = {
            {"6 fc5 fc4 fc3", TP_DTP, 0, 0}, {"6 fc5 fc4 fc3", TP_SDTP, 0, 0}, {"6 fc5 fc4 fc3", TP_AOSDTP, 4, 0},
            {"5x5x2 lc3x3/3/s2 lc3x3/2 fc3", TP_SDTP, 0, 0}, {"5x5x2 conv3x3/3/s2 fc4 fc3", TP_DTP, 0, 0},
            {"5x4x2 lc3x3/3/s2 fc4 fc3", TP_AOSDTP, 3, 0},
            {"6 fc5 fc4 fc3", TP_DDTP, 0, 0}, {"5x5x2 lc3x3/3/s2 conv3x3/2 fc3", TP_DDTP, 0, 0},
            {"6 fc5 fc4 fc4 fc3", TP_DTPDRL, 0, 1}, {"5x5x2 lc3x3/3/s2 conv3x3/2 fc3:elu fc3", TP_DTPDRL, 0, 1},
            {"6 fc5 fc4:elu fc3", TP_LDRL, 0, 0}, {"5x5x2 lc3x3/3/s2 conv3x3/2:elu fc3", TP_LDRL, 0, 0},
            {"6x6x2 conv3x3/3:elu maxpool2x2 conv3x3/2:elu maxpool2x2 fc3", TP_LDRL, 0, 0},
            {"6x6x2 conv3x3/3:elu conv3x3/3:elu maxpool2x2 fc4 fc3", TP_DTPDRL, 0, 1},
            {"6x6x2 conv3x3/3:elu maxpool2x2 conv3x3/2 fc3", TP_DDTP, 0, 0},
        };
        for (size_t i = 0; i < sizeof inv / sizeof inv[0]; i++) {
            h_begin("gradcheck_inverse %s \"%s\"", tp_rule_name(inv[i].rule), inv[i].spec);
            gradcheck_inverse(inv[i].spec, inv[i].rule, inv[i].aux, inv[i].n);
            h_end();
        }
    }
    RUN(adam_reference);
    RUN(momentum_reference);
    RUN(decay_coupled_decoupled);
    RUN(lr_schedules);
    RUN(layer_settings);
    RUN(resume_mid_schedule);
    RUN(input_normalisation);
    RUN(fa_equals_bp_dense);
    RUN(fa_equals_bp_lc);
    RUN(fa_equals_bp_conv);
    RUN(dfa_equals_bp_one_hidden);
    RUN(dfa_reference);
    RUN(hybrid_identity_dense);
    RUN(hybrid_identity_lc);
    RUN(hybrid_identity_conv);
    {
        static const struct { const char *spec; tp_rule rule; float beta; int aux; } tg[] = {
            {"7 fc6 fc5 fc4 fc3", TP_DTP, 0.0f, 0}, {"7 fc6 fc5 fc4 fc3", TP_DTP, 0.5f, 0},
            {"7 fc6:relu fc5:sigmoid fc4 fc3", TP_DTP, 0.25f, 0},
            {"6x6x2 lc3x3/3/s2 conv3x3/2 fc5 fc3", TP_DTP, 0.0f, 0},
            {"7 fc6 fc5 fc4 fc3", TP_SDTP, 0.0f, 0}, {"6x6x2 lc3x3/3/s2 lc3x3/2 fc5 fc3", TP_SDTP, 0.3f, 0},
            {"7 fc6 fc5 fc4 fc3", TP_AOSDTP, 0.0f, 5}, {"7 fc6 fc5 fc3:sigmoid mse", TP_SDTP, 0.0f, 0},
            {"7 fc6 fc5 fc3:sigmoid mse", TP_DTP, 0.0f, 0},
        };
        for (size_t i = 0; i < sizeof tg / sizeof tg[0]; i++) {
            h_begin("targets %s beta %g \"%s\"", tp_rule_name(tg[i].rule), (double)tg[i].beta, tg[i].spec);
            targets_check(tg[i].spec, tg[i].rule, tg[i].beta, tg[i].aux);
            h_end();
        }
    }
    RUN(difference_correction_zero);
    RUN(exact_inverse_correction);
    RUN(inverse_losses_exact_inverse);
    RUN(rule_tp_after_task_loss);
    RUN(aosdtp_wz_fixed);
    RUN(aosdtp_without_aux_is_sdtp);
    RUN(phases);
    RUN(gradients_overwrite);
    RUN(threads_bitwise);
    if (have_tmp) {
        RUN(load_idx);
        RUN(load_cifar10);
        RUN(load_records);
        RUN(checkpoint_counts);
        RUN(evaluate_arguments);
        RUN(load_user_blob);
        RUN(checkpoint_versions);
#ifdef TEST_POSIX
        RUN(not_regular_files);
        RUN(save_targets);
        RUN(checkpoint_huge_refused_early);
#endif
    } else {
        h_begin("temp directory");
        h_fail(__LINE__, "cannot create a temporary directory");
        h_end();
    }
    RUN(presets_build);
    RUN(config_paper);
    RUN(init);
    RUN(spec_parser);
    RUN(gradients_arguments);
    RUN(smoke_bp);
    RUN(smoke_sdtp);
    RUN(evaluate);
    RUN(divergence);
    RUN(divergence_nan_through_tanh);
    RUN(dataset_labels);
    RUN(evaluate_rows);
    RUN(forward_predict);
    RUN(memory_plan);
    RUN(defaults_learn);
    RUN(config_best);
    RUN(ss_identity);
    RUN(kp);
    RUN(wm);
    RUN(drtp);
    RUN(fwdtp);
    RUN(ddtp);
    RUN(dtpdrl);
    RUN(ldrl);
    RUN(schedule_interleaved);
    RUN(maxpool);
    RUN(avgpool);
    RUN(augment);
#ifdef TEST_POSIX
    RUN(augment_pad_exceeds_image);
#endif
    RUN(rng_shuffle);
    RUN(crc32);
    RUN(diagnose);

    tp_set_threads(threads0);
    tmp_cleanup();
    if (h_skipped) printf("%d passed, %d failed, %d skipped\n", h_passed, h_failed, h_skipped);
    else printf("%d passed, %d failed\n", h_passed, h_failed);
    return h_failed ? 1 : 0;
}
