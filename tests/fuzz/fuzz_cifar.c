/* tests/fuzz/fuzz_cifar.c - libFuzzer harness for tp_load_cifar10.

   Input: one CIFAR-10 binary batch file (records of 1 label byte + 3072 pixel bytes). It is
   loaded alone, and when that succeeds once more as two files (the same one twice), which
   must give twice the examples in the same order. Build and run: tests/fuzz/run.sh. */
#include "fuzz_common.h"

static void tpfuzz_cifar_check(tp_dataset *ds, const uint8_t *data, size_t size, int copies)
{
    float x[3072];
    size_t per = size / 3073;
    TPFUZZ_CHECK(size % 3073 == 0 && (size_t)ds->n == per * copies, "%zu bytes x %d copies gave %d examples",
                 size, copies, ds->n);
    TPFUZZ_CHECK(ds->h == 32 && ds->w == 32 && ds->c == 3 && ds->dim == 3072 && ds->n_classes == 10,
                 "shape %dx%dx%d dim %d classes %d", ds->h, ds->w, ds->c, ds->dim, ds->n_classes);
    for (int i = 0; i < ds->n; i++) {
        const uint8_t *rec = data + (size_t)(i % per) * 3073;
        TPFUZZ_CHECK(ds->y[i] == rec[0] && rec[0] <= 9, "label %d is %d, file says %d", i, ds->y[i], rec[0]);
        TPFUZZ_CHECK(tp_dataset_batch(ds, &i, 1, x, NULL) == TP_OK, "example %d: %s", i, ds->error);
        for (int c = 0; c < 3; c++)
            for (int j = 0; j < 1024; j++)
                TPFUZZ_CHECK(x[j * 3 + c] == rec[1 + c * 1024 + j] * (1.0f / 255.0f),
                             "example %d pixel %d channel %d", i, j, c);
    }
}

static int tpfuzz_cifar(const uint8_t *data, size_t size)
{
    tp_dataset ds;
    tp_result r;
    const char *paths[2];
    paths[0] = paths[1] = tpfuzz_write("cifar.bin", data, size);
    r = tp_load_cifar10(&ds, paths, 1);
    TPFUZZ_CHECK(r == TP_OK || r == TP_ERROR_FORMAT || r == TP_ERROR_NOMEM, "tp_load_cifar10 returned %d (%s)",
                 (int)r, ds.error);
    if (r != TP_OK) {
        TPFUZZ_CHECK(ds.x == NULL && ds.pixels == NULL && ds.y == NULL && ds.error[0],
                     "failed load left x %p pixels %p y %p, error \"%s\"", (void *)ds.x, (void *)ds.pixels, (void *)ds.y, ds.error);
        return 0;
    }
    tpfuzz_cifar_check(&ds, data, size, 1);
    tp_dataset_free(&ds);
    r = tp_load_cifar10(&ds, paths, 2);
    TPFUZZ_CHECK(r == TP_OK || r == TP_ERROR_NOMEM, "second load of a good file returned %d (%s)", (int)r, ds.error);
    if (r == TP_OK) tpfuzz_cifar_check(&ds, data, size, 2);
    tp_dataset_free(&ds);
    return 0;
}

#ifndef TPFUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return tpfuzz_cifar(data, size); }
#endif
