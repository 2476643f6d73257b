/* Every allocation of the library is allowed to fail: with a TP_MALLOC that fails at its
   N-th call, for every N, each fallible call returns TP_ERROR_NOMEM (or succeeds, once N is
   past its allocations) and leaves nothing behind (run under AddressSanitizer for leaks).
   The same hook changes a data file between the records loader's two passes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long alloc_calls, fail_at, live;
static size_t largest;                 /* the largest block asked for */
static size_t change_at;               /* at the first allocation of this many bytes, run change_file (0: never) */
static void (*change_file)(void);
static void *test_malloc(size_t n)
{
    void *p;
    ++alloc_calls;
    if (change_at && n == change_at && change_file) { change_file(); change_file = NULL; }
    if (alloc_calls == fail_at) return NULL;
    if (n > largest) largest = n;
    p = malloc(n);
    if (p) live++;
    return p;
}
static void test_free(void *p) { if (p) { live--; free(p); } }

#define TP_MALLOC(n) test_malloc(n)
#define TP_FREE(p) test_free(p)
#define TARGETPROP_IMPLEMENTATION
#include "targetprop.h"

static int failures;

/* Runs fn with the N-th allocation failing, for N = 1, 2, ... until fn succeeds untouched. */
static void sweep(const char *name, tp_result (*fn)(void))
{
    long n;
    for (n = 1; n < 1000; n++) {
        tp_result r;
        alloc_calls = 0; fail_at = n; live = 0;
        r = fn();
        if (live != 0) { printf("FAIL alloc-%s: %ld blocks left after failing allocation %ld\n", name, live, n); failures++; return; }
        if (r == TP_OK && alloc_calls < n) { printf("ok alloc-%s: every one of %ld allocations may fail\n", name, n - 1); return; }
        if (r != TP_OK && r != TP_ERROR_NOMEM && r != TP_ERROR_IO) {
            printf("FAIL alloc-%s: allocation %ld failing gave %s\n", name, n, tp_result_string(r)); failures++; return;
        }
    }
    printf("FAIL alloc-%s: no success within 1000 allocations\n", name);
    failures++;
}

static const char *specs[] = {"8 fc6 fc5 fc3", "6x6x2 lc3x3/3/s2 conv3x3/2 fc4"};
static tp_result create_rules(void)
{
    for (int s = 0; s < 2; s++)
        for (int rule = TP_BP; rule <= TP_AOSDTP; rule++) {
            tp_config cfg = tp_config_default((tp_rule)rule);
            tp_net net;
            float x[2 * 72] = {0}, y[2 * 5] = {0};
            tp_diag d;
            tp_result r;
            cfg.max_batch = 2;
            cfg.n_aux = 3;
            if ((r = tp_net_create(&net, specs[s], &cfg)) != TP_OK) return r;
            y[0] = y[net.n_out + 1] = 1.0f;   /* one-hot rows */
            r = tp_train_step(&net, x, y, 2, TP_PHASE_BOTH, NULL);
            if (r == TP_OK) r = tp_diagnose(&net, x, y, 2, &d);
            tp_net_destroy(&net);
            if (r != TP_OK) return r;
        }
    return TP_OK;
}

static char dir[64];
static tp_result save_load(void)
{
    tp_config cfg = tp_config_default(TP_DTP);
    tp_net net, back;
    char path[128];
    int user = 42, got = 0;
    size_t len;
    tp_result r;
    snprintf(path, sizeof path, "%s/net.ckpt", dir);
    if ((r = tp_net_create(&net, "6 fc5 fc4 fc3", &cfg)) != TP_OK) return r;
    r = tp_net_save(&net, path, &user, sizeof user);
    tp_net_destroy(&net);
    if (r != TP_OK) return r;
    if ((r = tp_net_load(&back, path, &got, sizeof got, &len)) != TP_OK) return r;
    tp_net_destroy(&back);
    return got == 42 ? TP_OK : TP_ERROR_FORMAT;
}

static tp_result load_idx(void)
{
    char a[128], b[128];
    tp_dataset ds;
    tp_result r;
    snprintf(a, sizeof a, "%s/img", dir);
    snprintf(b, sizeof b, "%s/lab", dir);
    r = tp_load_idx(&ds, a, b);
    if (r == TP_OK) tp_dataset_free(&ds);
    return r;
}

static tp_result load_cifar(void)
{
    char a[128];
    const char *p[1];
    tp_dataset ds;
    tp_result r;
    snprintf(a, sizeof a, "%s/cifar", dir);
    p[0] = a;
    r = tp_load_cifar10(&ds, p, 1);
    if (r == TP_OK) tp_dataset_free(&ds);
    return r;
}

/* tp_open_records keeps the file open: every allocation failure must close it and free the rest,
   and a good open must read its batch. */
static tp_result open_records(void)
{
    char a[128];
    const char *p[1];
    tp_dataset ds;
    tp_result r;
    float x[2 * 3072];
    int idx[2] = {1, 0};
    snprintf(a, sizeof a, "%s/records", dir);
    p[0] = a;
    r = tp_open_records(&ds, p, 1, 32, 32, 3, 1000);
    if (r == TP_OK) { r = tp_dataset_batch(&ds, idx, 2, x, NULL); tp_dataset_free(&ds); }
    return r;
}

/* A data file that changes between the records loader's two steps (it measures every file,
   allocates the labels, then reads): the loader must notice, not write past its buffers. The
   change comes as the labels' array (2 records, 4 bytes) is allocated. */
static char cifar_path[128];
static void grow(void)
{
    FILE *f = fopen(cifar_path, "ab");
    unsigned char extra[3073] = {0};
    if (f) { fwrite(extra, 1, sizeof extra, f); fclose(f); }
}
static void shrink(void)
{
    FILE *f = fopen(cifar_path, "wb");
    unsigned char one[3073] = {0};
    if (f) { fwrite(one, 1, sizeof one, f); fclose(f); }
}
static void changing_file(const char *name, void (*fn)(void), const char *says)
{
    const char *p[1];
    tp_dataset ds;
    tp_result r;
    unsigned char rec[3073 * 2];
    FILE *f = fopen(cifar_path, "wb");
    memset(rec, 1, sizeof rec);
    if (f) { fwrite(rec, 1, sizeof rec, f); fclose(f); }
    p[0] = cifar_path;
    alloc_calls = 0; fail_at = 0; live = 0; change_at = 2 * sizeof(uint16_t); change_file = fn;
    r = tp_load_cifar10(&ds, p, 1);
    change_at = 0; change_file = NULL;
    if (r == TP_ERROR_IO && strstr(ds.error, says) && live == 0) {
        printf("ok records-%s: \"%s\"\n", name, ds.error);
    } else {
        printf("FAIL records-%s: %s, \"%s\", %ld blocks left\n", name, tp_result_string(r), ds.error, live);
        if (r == TP_OK) tp_dataset_free(&ds);
        failures++;
    }
}

/* A 2 GB file that is not what it claims to be is refused from its header: nothing near its
   size is allocated (the loaders used to read such a file whole before looking at it). */
static void big_file(const char *name, const char *head, size_t head_len)
{
    char path[128];
    FILE *f;
    tp_dataset ds;
    tp_net net;
    tp_result r;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!(f = fopen(path, "wb")) || fwrite(head, 1, head_len, f) != head_len || fseek(f, 2147483000L, SEEK_SET) != 0 ||
        fputc(0, f) == EOF || fclose(f) != 0) {
        printf("FAIL big-%s: cannot write a sparse file %s\n", name, path);
        failures++;
        return;
    }
    alloc_calls = 0; fail_at = 0; live = 0; largest = 0;
    r = name[0] == 'i' ? tp_load_idx(&ds, path, path) : tp_net_load(&net, path, NULL, 0, NULL);
    if (r == TP_ERROR_FORMAT && largest < (1u << 20) && live == 0)
        printf("ok big-%s: refused, largest allocation %lu bytes: \"%s\"\n", name, (unsigned long)largest,
               name[0] == 'i' ? ds.error : net.error);
    else {
        printf("FAIL big-%s: %s, largest allocation %lu bytes\n", name, tp_result_string(r), (unsigned long)largest);
        failures++;
    }
    remove(path);
}

int main(void)
{
    FILE *f;
    char path[128];
    unsigned char img[16 + 2 * 4] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2};
    unsigned char lab[8 + 2] = {0, 0, 8, 1, 0, 0, 0, 2, 3, 7};
    unsigned char rec[3074 * 2];
    snprintf(dir, sizeof dir, "/tmp/tp-alloc-%ld", (long)getpid());
    snprintf(path, sizeof path, "mkdir -p %s", dir);
    if (system(path) != 0) return 1;
    snprintf(path, sizeof path, "%s/img", dir); f = fopen(path, "wb"); fwrite(img, 1, sizeof img, f); fclose(f);
    snprintf(path, sizeof path, "%s/lab", dir); f = fopen(path, "wb"); fwrite(lab, 1, sizeof lab, f); fclose(f);
    memset(rec, 1, sizeof rec);
    snprintf(path, sizeof path, "%s/cifar", dir); f = fopen(path, "wb"); fwrite(rec, 1, 2 * 3073, f); fclose(f);
    sweep("create-train-diagnose", create_rules);
    sweep("checkpoint", save_load);
    sweep("idx", load_idx);
    sweep("cifar", load_cifar);
    rec[0] = rec[3074] = 0x2c; rec[1] = rec[3075] = 0x01;   /* two records of label 300, 2 + 3072 bytes each */
    snprintf(path, sizeof path, "%s/records", dir); f = fopen(path, "wb"); fwrite(rec, 1, 2 * 3074, f); fclose(f);
    sweep("records-open", open_records);
    snprintf(cifar_path, sizeof cifar_path, "%s/changing", dir);
    changing_file("grow", grow, "grew to 9219 bytes while it was being loaded");
    changing_file("shrink", shrink, "shrank from 2 to 1 records");
    big_file("idx", "JUNK", 4);
    big_file("idx-header", "\0\0\x08\x03\0\0\0\x02\0\0\0\x02\0\0\0\x02", 16);   /* a valid header, a wrong size */
    big_file("checkpoint", "TPCK\x01\0\0\0", 8);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    if (system(path) != 0) return 1;
    printf("alloc-fail: %d failed\n", failures);
    return failures != 0;
}
