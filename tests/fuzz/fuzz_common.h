/* tests/fuzz/fuzz_common.h - shared by the libFuzzer harnesses and tests/fuzz/regress.c.

   Compiles the implementation of targetprop.h once, with an allocator that refuses what a
   fuzzer must not be made to allocate, and gives the harnesses a per-process temporary
   directory (the library's parsers take file names, not buffers).

   Allocation cap: TP_MALLOC refuses any single request above TPFUZZ_MAX_ALLOC (64 MB) and
   any request that would bring the live total above TPFUZZ_MAX_LIVE (256 MB). The library
   must answer such a refusal with TP_ERROR_NOMEM, so a huge spec inside a checkpoint is a
   clean failure instead of the fuzzer's rss or malloc limit (which would be reported as a
   crash). The accounting uses malloc_usable_size, which AddressSanitizer makes exact.

   Temporary files: one directory per process, made on first use with mkdtemp under
   $TPFUZZ_TMPDIR, else $TMPDIR, else /tmp, and emptied and removed at exit. Files in it have
   fixed names, overwritten by every input. A process killed by a sanitizer cannot clean up,
   so run.sh points TPFUZZ_TMPDIR at a directory of its own and removes it afterwards. */
#ifndef TPFUZZ_COMMON_H
#define TPFUZZ_COMMON_H

#if !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE 1   /* mkdtemp; malloc_usable_size is a GNU extension */
#endif

#include <dirent.h>
#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__GNUC__) || defined(__clang__)
#define TPFUZZ_UNUSED __attribute__((unused))
#else
#define TPFUZZ_UNUSED
#endif

/* ------------------------------------------------------------------ allocation cap ---- */

#ifndef TPFUZZ_MAX_ALLOC
#define TPFUZZ_MAX_ALLOC ((size_t)64 << 20)
#endif
#ifndef TPFUZZ_MAX_LIVE
#define TPFUZZ_MAX_LIVE ((size_t)256 << 20)
#endif

static size_t tpfuzz_live;       /* bytes the library holds now */
static size_t tpfuzz_refused;    /* requests refused so far (for curiosity in a debugger) */

static void *tpfuzz_malloc(size_t n)
{
    void *p;
    if (n > TPFUZZ_MAX_ALLOC || n > TPFUZZ_MAX_LIVE - tpfuzz_live) { tpfuzz_refused++; return NULL; }
    p = malloc(n);
    if (p) tpfuzz_live += malloc_usable_size(p);
    return p;
}

static void tpfuzz_free(void *p)
{
    if (!p) return;
    tpfuzz_live -= malloc_usable_size(p);
    free(p);
}

#define TP_MALLOC(sz) tpfuzz_malloc(sz)
#define TP_FREE(p) tpfuzz_free(p)
#define TARGETPROP_IMPLEMENTATION
#include "targetprop.h"

/* ------------------------------------------------------------------ checks ------------ */

/* A property the library promises failed: report it in a line run.sh keys duplicates on,
   then abort so libFuzzer (or regress.c) records the input. */
#define TPFUZZ_CHECK(cond, ...) do {                                                        \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "tpfuzz: CHECK failed at %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                                   \
            fputc('\n', stderr);                                                            \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

/* ------------------------------------------------------------------ temporary files --- */

static char tpfuzz_dir[PATH_MAX];

static void tpfuzz_cleanup(void)
{
    DIR *d;
    struct dirent *e;
    char path[PATH_MAX + 256];
    if (!tpfuzz_dir[0]) return;
    if ((d = opendir(tpfuzz_dir)) != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            snprintf(path, sizeof path, "%s/%s", tpfuzz_dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(tpfuzz_dir);
    tpfuzz_dir[0] = 0;
}

/* The full name of NAME inside this process's directory (a static buffer per slot). */
TPFUZZ_UNUSED static const char *tpfuzz_path(const char *name)
{
    static char slots[4][PATH_MAX + 64];
    static int next;
    char *out;
    if (!tpfuzz_dir[0]) {
        const char *base = getenv("TPFUZZ_TMPDIR");
        if (!base || !*base) base = getenv("TMPDIR");
        if (!base || !*base) base = "/tmp";
        mkdir(base, 0700);   /* TPFUZZ_TMPDIR may name a directory not made yet */
        snprintf(tpfuzz_dir, sizeof tpfuzz_dir, "%s/tpfuzz.XXXXXX", base);
        if (!mkdtemp(tpfuzz_dir)) {
            fprintf(stderr, "tpfuzz: cannot create a temporary directory under %s\n", base);
            exit(2);
        }
        atexit(tpfuzz_cleanup);
    }
    out = slots[next++ & 3];
    snprintf(out, PATH_MAX + 64, "%s/%s", tpfuzz_dir, name);
    return out;
}

/* Writes data to NAME in the temporary directory; returns its full name. */
TPFUZZ_UNUSED static const char *tpfuzz_write(const char *name, const uint8_t *data, size_t size)
{
    const char *path = tpfuzz_path(name);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        fprintf(stderr, "tpfuzz: cannot write %s\n", path);
        exit(2);
    }
    return path;
}

/* Reads a whole file into a malloc'd buffer (not counted against the library's cap). */
TPFUZZ_UNUSED static uint8_t *tpfuzz_read(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;
    *size = 0;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = (uint8_t *)malloc(n > 0 ? (size_t)n : 1)) != NULL) {
        if (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); buf = NULL; }
        else *size = (size_t)n;
    }
    fclose(f);
    return buf;
}

/* ------------------------------------------------------------------ exercising a net -- */

/* A small deterministic stream for inputs and targets. */
TPFUZZ_UNUSED static float tpfuzz_uniform(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)(*s >> 40) * (1.0f / 16777216.0f);
}

/* One training step, the diagnostic and an evaluation on a batch of up to 2 made-up
   examples, for nets small enough to keep the fuzzer fast. This runs the layer kernels on
   whatever odd geometry the spec (or checkpoint) describes: kernels larger than the image,
   strides larger than the kernel, one-pixel images, AO-SDTP's auxiliary units. */
TPFUZZ_UNUSED static void tpfuzz_exercise(tp_net *net, uint64_t seed)
{
    int batch = net->cfg.max_batch < 2 ? net->cfg.max_batch : 2;
    size_t nx, ny;
    float *x, *y;
    tp_result r;
    tp_stats st;
    tp_diag dg;
    double loss = 0, err = 0;
    if (net->n_params + net->n_iparams + net->n_fixed > 200000 || tp_net_macs(net) > 200000.0) return;
    nx = (size_t)batch * net->n_in;
    ny = (size_t)batch * net->n_out;
    x = (float *)malloc((nx ? nx : 1) * sizeof *x);
    y = (float *)calloc(ny ? ny : 1, sizeof *y);
    if (!x || !y) { free(x); free(y); return; }
    for (size_t i = 0; i < nx; i++) x[i] = tpfuzz_uniform(&seed);
    for (int b = 0; b < batch; b++) {
        if (net->loss == TP_SQUARED_ERROR)
            for (int j = 0; j < net->n_out; j++) y[(size_t)b * net->n_out + j] = tpfuzz_uniform(&seed);
        else
            y[(size_t)b * net->n_out + (size_t)(tpfuzz_uniform(&seed) * (float)net->n_out) % (size_t)net->n_out] = 1.0f;
    }
    r = tp_train_step(net, x, y, batch, TP_PHASE_BOTH, &st);
    TPFUZZ_CHECK(r == TP_OK || r == TP_ERROR_DIVERGED, "tp_train_step returned %d (%s)", (int)r, net->error);
    r = tp_diagnose(net, x, y, batch, &dg);
    TPFUZZ_CHECK(r == TP_OK || r == TP_ERROR_DIVERGED || r == TP_ERROR_NOMEM, "tp_diagnose returned %d (%s)",
                 (int)r, net->error);
    tp_evaluate(net, x, y, batch, &loss, &err);
    TPFUZZ_CHECK(err >= 0.0 && err <= 1.0, "tp_evaluate error rate %g", err);
    free(x);
    free(y);
}

#endif /* TPFUZZ_COMMON_H */
