/* minimal: the smallest complete program. A dense net learns four interleaved spirals with
   simplified difference target propagation (SDTP): no gradient flows below the output layer.

     cc -O2 -I. examples/minimal.c -o minimal -lm && ./minimal */
#define TARGETPROP_IMPLEMENTATION
#include "targetprop.h"
#include <math.h>
#include <stdio.h>

#define N 1024     /* points, a quarter on each spiral */
#define K 4        /* spirals = classes */
#define BATCH 64

int main(void)
{
    static float x[N * 2], y[N * K];
    tp_config cfg = tp_config_default(TP_SDTP);
    tp_net net;
    tp_rng rng;
    int order[N];

    /* the data: K spirals, label = which spiral, one-hot */
    tp_rng_seed(&rng, 7);
    for (int i = 0; i < N; i++) {
        int k = i % K;
        float t = 0.3f + (float)(i / K) / (N / K), a = 2.0f * t + 6.2831853f * (float)k / K;
        x[2 * i] = t * cosf(a) + 0.02f * tp_rng_normal(&rng);
        x[2 * i + 1] = t * sinf(a) + 0.02f * tp_rng_normal(&rng);
        for (int j = 0; j < K; j++) y[K * i + j] = (float)(j == k);
    }

    /* the network: 2 inputs, three tanh layers, K outputs with softmax */
    cfg.forward.lr = 1e-3f;
    cfg.inverse.lr = 1e-3f;
    cfg.sigma = 0.1f;
    cfg.max_batch = BATCH;
    if (tp_net_create(&net, "2 fc64x3 fc4", &cfg) != TP_OK) { printf("%s\n", net.error); return 1; }

    for (int epoch = 1; epoch <= 400; epoch++) {
        float bx[BATCH * 2], by[BATCH * K];
        tp_stats st;
        double loss = 0, err = 0;
        tp_shuffle(&net.rng, order, N);
        for (int i = 0; i < N; i += BATCH) {
            for (int b = 0; b < BATCH; b++) {
                bx[2 * b] = x[2 * order[i + b]];     bx[2 * b + 1] = x[2 * order[i + b] + 1];
                for (int j = 0; j < K; j++) by[K * b + j] = y[K * order[i + b] + j];
            }
            tp_train_step(&net, bx, by, BATCH, TP_PHASE_BOTH, &st);
            loss += st.loss / (N / BATCH);
        }
        if (epoch == 1 || epoch % 50 == 0) {
            tp_evaluate(&net, x, y, N, NULL, &err);
            printf("epoch %3d  loss %.4f  error %5.1f%%\n", epoch, loss, 100.0 * err);
        }
    }
    tp_net_destroy(&net);
    return 0;
}
