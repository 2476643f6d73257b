/* tests/fuzz/make_seeds.c - writes the seed corpora of the fuzz harnesses.

     cc -I. tests/fuzz/make_seeds.c -o build/fuzz/make_seeds -lm && build/fuzz/make_seeds build/fuzz/seeds

   DIR/checkpoint  real checkpoints of small nets, every rule, after two training steps
   DIR/idx         [u32 images length][IDX images][IDX labels], as fuzz_idx.c reads them
   DIR/cifar       CIFAR-10 batches of one and two records
   DIR/spec        [option byte][spec text], as fuzz_spec.c reads them
   run.sh calls it; the files are regenerated every run and never committed. */
#define _GNU_SOURCE 1
#define TARGETPROP_IMPLEMENTATION
#include "targetprop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *dir;
static int failures;

static void put(const char *sub, const char *name, const void *data, size_t n)
{
    char path[1024];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
    if (!(f = fopen(path, "wb")) || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "make_seeds: cannot write %s\n", path);
        exit(1);
    }
}

/* recipe: Nesterov momentum, coupled decay, a warm-up and a cosine, per-layer feedback settings and an
   input normalisation, so the fields version 4 added are there to mutate */
static void checkpoint(const char *name, const char *spec, tp_rule rule, int n_aux, int user_len, int recipe)
{
    tp_config cfg = tp_config_default(rule);
    tp_net net;
    char path[1024], user[16] = "epoch=3 pos=128";
    float *x, *y;
    tp_result r;
    cfg.n_aux = n_aux;
    cfg.max_batch = 2;
    cfg.seed = 7;
    if (recipe) {
        const double iters[2] = {1, 3}, sigma[2] = {0.2, 0.05};
        cfg.forward.kind = TP_NESTEROV; cfg.forward.momentum = 0.9f; cfg.forward.l2 = 1e-4f; cfg.forward.clip = 5.0f;
        cfg.forward.schedule.kind = TP_LR_COSINE; cfg.forward.schedule.length = 9; cfg.forward.schedule.warmup = 1;
        cfg.inverse.kind = TP_MOMENTUM; cfg.inverse.schedule.kind = TP_LR_STEP; cfg.inverse.schedule.n_milestones = 2;
        cfg.inverse.schedule.milestones[0] = 1; cfg.inverse.schedule.milestones[1] = 4;
        cfg.norm_channels = 2; cfg.norm_mean[0] = 0.25f; cfg.norm_mean[1] = 0.5f; cfg.norm_std[0] = 0.5f; cfg.norm_std[1] = 2.0f;
        if (tp_config_layers(&cfg, spec, TP_SET_ITERS, iters, 2, NULL) != TP_OK ||
            tp_config_layers(&cfg, spec, TP_SET_SIGMA, sigma, 2, NULL) != TP_OK) {
            fprintf(stderr, "make_seeds: %s: the per-layer settings do not fit\n", spec);
            failures++;
            return;
        }
    }
    if ((r = tp_net_create(&net, spec, &cfg)) != TP_OK) {
        fprintf(stderr, "make_seeds: %s: %s\n", spec, net.error);
        failures++;
        return;
    }
    x = (float *)calloc((size_t)2 * net.n_in, sizeof *x);
    y = (float *)calloc((size_t)2 * net.n_out, sizeof *y);
    for (int i = 0; i < 2 * net.n_in; i++) x[i] = (float)((i * 7) % 11) / 11.0f;
    y[0] = 1.0f; y[net.n_out + 1] = 1.0f;
    for (int s = 0; s < 2; s++) tp_train_step(&net, x, y, 2, TP_PHASE_BOTH, NULL);
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/checkpoint/%s.tpck", dir, name);
    if (tp_net_save(&net, path, user_len ? user : NULL, (size_t)user_len) != TP_OK) {
        fprintf(stderr, "make_seeds: saving %s: %s\n", path, net.error);
        failures++;
    }
    free(x);
    free(y);
    tp_net_destroy(&net);
}

static void be32(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16); p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}

/* n images of h x w, labels i % 10, for fuzz_idx: [u32 LE images length][images][labels] */
static void idx(const char *name, int n, int h, int w)
{
    size_t ilen = 16 + (size_t)n * h * w, llen = 8 + (size_t)n, at = 0;
    unsigned char *b = (unsigned char *)calloc(4 + ilen + llen, 1);
    b[0] = (unsigned char)ilen; b[1] = (unsigned char)(ilen >> 8); b[2] = (unsigned char)(ilen >> 16);
    b[3] = (unsigned char)(ilen >> 24);
    at = 4;
    be32(b + at, 0x803); be32(b + at + 4, (unsigned)n); be32(b + at + 8, (unsigned)h); be32(b + at + 12, (unsigned)w);
    for (size_t i = 0; i < (size_t)n * h * w; i++) b[at + 16 + i] = (unsigned char)(i * 37);
    at += ilen;
    be32(b + at, 0x801); be32(b + at + 4, (unsigned)n);
    for (int i = 0; i < n; i++) b[at + 8 + i] = (unsigned char)(i % 10);
    put("idx", name, b, 4 + ilen + llen);
    free(b);
}

static void cifar(const char *name, int n)
{
    unsigned char *b = (unsigned char *)malloc((size_t)n * 3073);
    for (int i = 0; i < n; i++) {
        b[(size_t)i * 3073] = (unsigned char)(i * 3 % 10);
        for (int j = 0; j < 3072; j++) b[(size_t)i * 3073 + 1 + j] = (unsigned char)(j * 13 + i);
    }
    put("cifar", name, b, (size_t)n * 3073);
    free(b);
}

static void spec(const char *name, int option, const char *text)
{
    size_t n = strlen(text);
    unsigned char *b = (unsigned char *)malloc(n + 1);
    b[0] = (unsigned char)option;
    memcpy(b + 1, text, n);
    put("spec", name, b, n + 1);
    free(b);
}

int main(int argc, char **argv)
{
    char name[64];
    if (argc != 2) { fprintf(stderr, "usage: make_seeds DIR\n"); return 2; }
    dir = argv[1];
    mkdir(dir, 0755);

    for (int r = 0; r < tp_rule_count(); r++) {   /* every rule of the library's table */
        snprintf(name, sizeof name, "fc-%s", tp_rule_name((tp_rule)r));
        checkpoint(name, "8 fc4 fc3", (tp_rule)r, tp_rule_info((tp_rule)r)->n_aux > 0 ? 2 : 0, r == TP_SDTP ? 15 : 0, 0);
    }
    checkpoint("lc-bp", "6x6x1 lc3x3/2/s2 fc3", TP_BP, 0, 15, 0);
    checkpoint("lc-dtp", "6x6x1 lc3x3/2/s2 fc3", TP_DTP, 0, 0, 0);
    checkpoint("conv-bp", "6x6x1 conv3x3/2 fc3", TP_BP, 0, 0, 0);
    checkpoint("conv-sdtp", "6x6x1 conv3x3/2 fc3", TP_SDTP, 0, 0, 0);
    checkpoint("mse-fa", "4 fc3:relu fc4:sigmoid mse", TP_FA, 0, 0, 0);
    checkpoint("recipe-ldrl", "2x2x2 fc4:elu fc4:elu fc3", TP_LDRL, 0, 15, 1);

    idx("3x4x5", 3, 4, 5);
    idx("1x1x1", 1, 1, 1);
    idx("2x28x28", 2, 28, 28);

    cifar("one", 1);
    cifar("two", 2);

    spec("fc-bp", 0, "8 fc4 fc3");
    spec("fc-aosdtp", 5, "8 fc4 fc3");
    spec("dash-dtp", 3, "784-256x6-10");
    spec("lc-sdtp", 4 + 18, "6x6x1 lc3x3/2/s2 fc3");
    spec("conv-fa", 1, "6x6x1 conv3x3/2/s1:relu fc3:linear mse");
    spec("mixed-dfa", 2, "in 4x4x2 conv5x5/3/s3 lc1x1/2 fc2:sigmoid softmax");
    spec("commas", 0, "3,fc2,fc2:identity");
    spec("preset", 0, "mnist-fc");
    spec("preset-ae", 4, "mnist-ae");
    spec("deep", 4, "2x2x1 conv3x3/2 conv3x3/2 conv3x3/2 conv3x3/2 conv3x3/2 conv3x3/2 conv3x3/2 conv3x3/2 "
                    "conv3x3/2 conv3x3/2 conv3x3/2 conv3x3/2 conv3x3/2 conv3x3/2 conv3x3/2 conv3x3/2 fc2");
    spec("reps", 3, "5 fc3x30 fc2");

    if (failures) { fprintf(stderr, "make_seeds: %d failures\n", failures); return 1; }
    return 0;
}
