/* data.h: the data the example programs train on; not part of the library.
     ex_load_data         MNIST, Fashion-MNIST or CIFAR-10 from a directory (ex_sources), with a message saying
                          how to fetch them when they are not there
     ex_synthetic         random inputs of a network's shape with random labels (timing, tests)
     ex_file_bytes, ex_memory_bytes   a file's size and the machine's memory (whether to stream a split)
     ex_net_fits          whether a network can learn from a data set as the examples train it
   Include it after targetprop.h (cli.h comes with it). */
#ifndef EXAMPLES_DATA_H
#define EXAMPLES_DATA_H

#include "cli.h"

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

/* The size of a file in bytes, or 0 when it cannot be measured. */
EX_FN double ex_file_bytes(const char *path)
{
    FILE *f = fopen(path, "rb");
    double n = 0;
    if (f && fseek(f, 0, SEEK_END) == 0) n = (double)ftell(f);
    if (f) fclose(f);
    return n > 0 ? n : 0;
}

/* The machine's physical memory in bytes where POSIX says, else 4 GB. */
EX_FN double ex_memory_bytes(void)
{
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages > 0 && size > 0) return (double)pages * size;
#endif
    return 4294967296.0;
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

#endif /* EXAMPLES_DATA_H */
