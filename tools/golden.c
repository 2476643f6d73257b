/* golden: a fingerprint of every rule's arithmetic, for refactors that must not change a bit.
   Trains each rule and schedule on the MNIST FC and LC presets for a few batches (Table 5
   hyperparameters, seed 1), at 1 and 2 threads, then prints CRC-32s of the weights, the
   checkpoint file and the diagnostics. Run it before and after a change with the same build
   flags and compare the output (bits differ between builds and ISAs, not between runs).

     cc -O3 -march=native -fno-math-errno -fopenmp -I. tools/golden.c -o build/golden -lm
     ./build/golden data/mnist [FC_BATCHES LC_BATCHES] > before.txt */
#define TARGETPROP_IMPLEMENTATION
#include "targetprop.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t file_crc(const char *path)   /* the CRC a checkpoint stores in its last 4 bytes */
{
    FILE *f = fopen(path, "rb");
    unsigned char b[4] = {0, 0, 0, 0};
    if (!f) return 0;
    if (fseek(f, -4, SEEK_END) != 0 || fread(b, 1, 4, f) != 4) b[0] = b[1] = b[2] = b[3] = 0;
    fclose(f);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "data/mnist";
    int batches[2] = {argc > 2 ? atoi(argv[2]) : 200, argc > 3 ? atoi(argv[3]) : 30};
    const char *nets[2] = {"mnist-fc", "mnist-lc"};
    char a[512], b[512];
    tp_dataset train, test;
    snprintf(a, sizeof a, "%s/train-images-idx3-ubyte", dir); snprintf(b, sizeof b, "%s/train-labels-idx1-ubyte", dir);
    if (tp_load_idx(&train, a, b) != TP_OK) { fprintf(stderr, "golden: %s\n", train.error); return 1; }
    snprintf(a, sizeof a, "%s/t10k-images-idx3-ubyte", dir); snprintf(b, sizeof b, "%s/t10k-labels-idx1-ubyte", dir);
    if (tp_load_idx(&test, a, b) != TP_OK) { fprintf(stderr, "golden: %s\n", test.error); return 1; }
    test.n = 1000;
    for (int k = 0; k < 2; k++)
        for (int rule = 0; rule < 6; rule++)   /* the paper's rules, which have Table 5 rows */
            for (int sched = 0; sched < (tp_rule_info((tp_rule)rule)->learned_grads ? 2 : 1); sched++)
                for (int threads = 1; threads <= 2; threads++) {
                    tp_config cfg = tp_config_default((tp_rule)rule);
                    tp_net net;
                    tp_diag d;
                    int *order = (int *)malloc((size_t)train.n * sizeof(int)), B = 128;
                    float *x = (float *)malloc((size_t)B * 784 * sizeof(float)), *y = (float *)malloc((size_t)B * 10 * sizeof(float));
                    double loss = 0, err = 0, tl = 0;
                    uint32_t dcrc;
                    tp_set_threads(threads);
                    if (tp_config_paper(&cfg, nets[k], (tp_rule)rule, (tp_schedule)sched, TP_HPARAMS_TABLE5, a) != TP_OK ||
                        tp_net_create(&net, nets[k], &cfg) != TP_OK) { fprintf(stderr, "golden: %s %s\n", a, net.error); return 1; }
                    tp_shuffle(&net.rng, order, train.n);
                    for (int i = 0; i < batches[k]; i++) {
                        tp_stats st;
                        tp_phase ph = sched == 0 ? TP_PHASE_BOTH : i < batches[k] / 2 ? TP_PHASE_INVERSE : TP_PHASE_FORWARD;
                        tp_dataset_batch(&train, order + (size_t)i * B, B, x, y);
                        if (tp_train_step(&net, x, y, B, ph, &st) != TP_OK) { fprintf(stderr, "golden: %s\n", net.error); return 1; }
                        loss += st.loss + st.inverse_loss;
                    }
                    memset(&d, 0, sizeof d);   /* entries past the last layer are not written */
                    tp_diagnose(&net, x, y, B, &d);
                    dcrc = tp_crc32(tp_crc32(tp_crc32(0, d.angle, sizeof d.angle), d.recon, sizeof d.recon), d.target, sizeof d.target);
                    tp_evaluate_dataset(&net, &test, &tl, &err);
                    remove("/tmp/golden.ckpt");
                    if (tp_net_save(&net, "/tmp/golden.ckpt", order, 64) != TP_OK) { fprintf(stderr, "golden: %s\n", net.error); return 1; }
                    printf("%s %-6s %-11s threads %d  params %08x inverse %08x fixed %08x  ckpt %08x  diag %08x  loss %.9g  test %.9g %.4f\n",
                           nets[k], tp_rule_name((tp_rule)rule), sched ? "alternating" : "parallel", threads,
                           (unsigned)tp_crc32(0, net.params, net.n_params * 4), (unsigned)tp_crc32(0, net.iparams, net.n_iparams * 4),
                           (unsigned)tp_crc32(0, net.fixed, net.n_fixed * 4), (unsigned)file_crc("/tmp/golden.ckpt"), (unsigned)dcrc,
                           loss, tl, err);
                    fflush(stdout);
                    tp_net_destroy(&net);
                    free(order); free(x); free(y);
                }
    return 0;
}
