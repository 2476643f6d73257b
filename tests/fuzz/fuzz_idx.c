/* tests/fuzz/fuzz_idx.c - libFuzzer harness for tp_load_idx (MNIST's IDX format).

   Input: u32 little-endian S, then the images file, then the labels file. The images file
   is the next S % (size - 4 + 1) bytes, the labels file the rest. Both are written to the
   per-process temporary directory and loaded; on success the dataset must agree with the
   files it came from. Build and run: tests/fuzz/run.sh. */
#include "fuzz_common.h"

static int tpfuzz_idx(const uint8_t *data, size_t size)
{
    tp_dataset ds;
    tp_result r;
    size_t split, ilen, llen;
    const char *ipath, *lpath;
    if (size < 4) return 0;
    split = (size_t)data[0] | (size_t)data[1] << 8 | (size_t)data[2] << 16 | (size_t)data[3] << 24;
    split %= size - 4 + 1;
    ilen = split;
    llen = size - 4 - split;
    ipath = tpfuzz_write("images", data + 4, ilen);
    lpath = tpfuzz_write("labels", data + 4 + ilen, llen);
    r = tp_load_idx(&ds, ipath, lpath);
    TPFUZZ_CHECK(r == TP_OK || r == TP_ERROR_FORMAT || r == TP_ERROR_NOMEM || r == TP_ERROR_IO,
                 "tp_load_idx returned %d", (int)r);
    if (r == TP_OK) {
        const uint8_t *img = data + 4, *lab = data + 4 + ilen;
        int most = 9;   /* the largest label: n_classes is 10, or one more than it */
        for (int i = 0; i < ds.n; i++) most = lab[8 + i] > most ? lab[8 + i] : most;
        TPFUZZ_CHECK(ds.n >= 1 && ds.h >= 1 && ds.w >= 1 && ds.c == 1 && ds.n_classes == most + 1,
                     "n %d h %d w %d c %d classes %d", ds.n, ds.h, ds.w, ds.c, ds.n_classes);
        TPFUZZ_CHECK((long long)ds.dim == (long long)ds.h * ds.w, "dim %d but h*w = %lld", ds.dim,
                     (long long)ds.h * ds.w);
        TPFUZZ_CHECK(ilen == 16 + (size_t)ds.n * (size_t)ds.dim, "%zu image bytes hold %d images of %d pixels",
                     ilen, ds.n, ds.dim);
        TPFUZZ_CHECK(llen == 8 + (size_t)ds.n, "%zu label bytes hold %d labels", llen, ds.n);
        for (int i = 0; i < ds.n; i++)
            TPFUZZ_CHECK(ds.y[i] == lab[8 + i] && ds.y[i] < ds.n_classes, "label %d is %d, file says %d", i, ds.y[i], lab[8 + i]);
        TPFUZZ_CHECK(ds.pixels && !ds.x && !ds.stream, "the pixels are not kept as bytes");
        for (size_t i = 0; ds.pixels && i < (size_t)ds.n * ds.dim; i++)
            TPFUZZ_CHECK(ds.pixels[i] == img[16 + i], "pixel %zu is %d, file says %d", i, ds.pixels[i], img[16 + i]);
        {   /* a minibatch of the first and the last example, as floats */
            int idx[2] = {0, ds.n - 1};
            float *x = (float *)malloc(2 * (size_t)ds.dim * sizeof *x), *y = (float *)malloc(2 * (size_t)ds.n_classes * sizeof *y);
            if (x && y) {
                TPFUZZ_CHECK(tp_dataset_batch(&ds, idx, 2, x, y) == TP_OK, "batch: %s", ds.error);
                TPFUZZ_CHECK(y[ds.y[0]] == 1.0f && y[ds.n_classes + ds.y[ds.n - 1]] == 1.0f, "one-hot targets");
                TPFUZZ_CHECK(x[0] == img[16] * (1.0f / 255.0f) &&
                             x[2 * (size_t)ds.dim - 1] == img[16 + (size_t)ds.n * ds.dim - 1] * (1.0f / 255.0f), "batch pixels");
            }
            free(x); free(y);
        }
        tp_dataset_free(&ds);
    } else {
        TPFUZZ_CHECK(ds.x == NULL && ds.pixels == NULL && ds.y == NULL && ds.error[0],
                     "failed load left x %p pixels %p y %p, error \"%s\"", (void *)ds.x, (void *)ds.pixels, (void *)ds.y, ds.error);
    }
    return 0;
}

#ifndef TPFUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return tpfuzz_idx(data, size); }
#endif
