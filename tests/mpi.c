/* tests/mpi.c - data-parallel training through tp_set_shard with MPI_Allreduce, every rule.

   Each rule trains a small net 50 steps on batches of 128 rows split over the ranks (rank r holds
   rows 128 r / R to 128 (r + 1) / R). Then every rank's weights, forward and learned feedback, must
   be bitwise identical to rank 0's, and rank 0's must equal those of one process that trained
   the same net on the whole batches, within float rounding (TOL below, and why). A second part
   fails one rank's sum and expects TP_ERROR_COLLECTIVE with the step named, weights unchanged.
     mpicc -O2 -I. tests/mpi.c -o build/mpi -lm && mpirun -np 2 --oversubscribe build/mpi */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#define TARGETPROP_IMPLEMENTATION
#include "targetprop.h"

#define BATCH 128
#define STEPS 50
/* The whole batch's gradient is one process's sum over 128 rows, and R processes' sums over their
   rows added: the same terms in another order, each gradient entry within about 128 * 2^-24 of
   the other relatively. Fifty optimiser steps carry such differences into the weights, where
   they stay of the same relative order unless the dynamics amplify them: measured, 1e-7 to 2e-6
   of the largest weight, 3e-5 for DRTP (whose targets take signs). 2e-4 leaves room for that
   growth and still fails a shard that draws its noise for the wrong rows (0.7% to 4%, measured),
   loses a share of its rows or sums twice (each moves the weights by a whole step). */
#define TOL 2e-4

static int rank, ranks, failures, passes;
static int fail_sum_at = -1, sums;

static int mpi_sum(void *ctx, float *buf, size_t n)
{
    (void)ctx;
    if (sums++ == fail_sum_at) return 7;
    for (size_t at = 0; at < n;) {   /* in pieces MPI's int count can hold */
        int k = n - at > (size_t)1 << 30 ? 1 << 30 : (int)(n - at);
        if (MPI_Allreduce(MPI_IN_PLACE, buf + at, k, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS) return 1;
        at += (size_t)k;
    }
    return 0;
}

/* Step s's batch: the same on every rank. */
static void make_batch(int s, float *x, float *y, int n_in, int n_out)
{
    tp_rng g;
    tp_rng_seed(&g, 1000u + (uint64_t)s);
    for (int i = 0; i < BATCH * n_in; i++) x[i] = tp_rng_uniform(&g);
    memset(y, 0, sizeof(float) * BATCH * n_out);
    for (int i = 0; i < BATCH; i++) y[i * n_out + (int)(tp_rng_u64(&g) % (uint64_t)n_out)] = 1.0f;
}

static void check(int ok, const char *what, const char *rule, const char *fmt, double v)
{
    int all = ok;
    MPI_Allreduce(MPI_IN_PLACE, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (rank != 0) { failures += !all; return; }
    printf("%s %s-%s: ", all ? "ok" : "FAIL", what, rule);
    printf(fmt, v);
    printf("\n");
    failures += !all;
    passes += all;
}

static void one_rule(tp_rule rule, const char *spec)
{
    tp_config cfg = tp_config_default(rule);
    tp_net net, ref;
    float *x, *y, *mine, *theirs;
    int lo = BATCH * rank / ranks, hi = BATCH * (rank + 1) / ranks, ok = 1;
    size_t np, ni;
    double worst = 0.0, scale = 0.0;
    const char *name = tp_rule_name(rule);
    cfg.max_batch = BATCH;
    cfg.seed = 5;
    if (tp_net_create(&net, spec, &cfg) != TP_OK || tp_net_create(&ref, spec, &cfg) != TP_OK) {
        check(0, "create", name, "%g", 0);
        return;
    }
    x = (float *)malloc(sizeof(float) * BATCH * net.n_in);
    y = (float *)malloc(sizeof(float) * BATCH * net.n_out);
    for (int s = 0; s < STEPS && ok; s++) {
        tp_result r;
        make_batch(s, x, y, net.n_in, net.n_out);
        tp_set_shard(&net, mpi_sum, NULL, lo, BATCH);
        r = tp_train_step(&net, x + (size_t)lo * net.n_in, y + (size_t)lo * net.n_out, hi - lo, TP_PHASE_BOTH, NULL);
        if (r != TP_OK) { fprintf(stderr, "rank %d %s step %d: %s\n", rank, name, s, net.error); ok = 0; }
        if (rank == 0 && tp_train_step(&ref, x, y, BATCH, TP_PHASE_BOTH, NULL) != TP_OK) {
            fprintf(stderr, "%s reference step %d: %s\n", name, s, ref.error);
            ok = 0;
        }
    }
    check(ok, "steps", name, "%g steps taken", ok ? STEPS : 0);
    np = net.n_params; ni = net.n_iparams;
    mine = (float *)malloc(sizeof(float) * (np + ni + 1));
    theirs = (float *)malloc(sizeof(float) * (np + ni + 1));
    memcpy(mine, net.params, np * sizeof(float));
    memcpy(mine + np, net.iparams, ni * sizeof(float));
    memcpy(theirs, mine, (np + ni) * sizeof(float));
    MPI_Bcast(theirs, (int)(np + ni), MPI_FLOAT, 0, MPI_COMM_WORLD);
    check(!memcmp(mine, theirs, (np + ni) * sizeof(float)), "ranks-identical", name,
          "every rank's %g forward and feedback weights bitwise rank 0's", (double)(np + ni));
    if (rank == 0) {
        for (size_t i = 0; i < np + ni; i++) {
            double want = i < np ? ref.params[i] : ref.iparams[i - np];
            scale = fabs(want) > scale ? fabs(want) : scale;
            worst = fabs(mine[i] - want) > worst ? fabs(mine[i] - want) : worst;
        }
        worst = scale > 0 ? worst / scale : worst;
    }
    check(worst <= TOL, "matches-one-process", name, "largest difference %.2g of the largest weight", worst);
    free(mine); free(theirs); free(x); free(y);
    tp_net_destroy(&net); tp_net_destroy(&ref);
}

/* A sum that fails on one rank: that rank's step returns TP_ERROR_COLLECTIVE naming the step. */
static void failing_sum(void)
{
    tp_config cfg = tp_config_default(TP_DTP);
    tp_net net;
    float x[BATCH * 16], y[BATCH * 4];
    tp_result r;
    int lo = BATCH * rank / ranks, hi = BATCH * (rank + 1) / ranks, ok;
    float before;
    cfg.max_batch = BATCH;
    if (tp_net_create(&net, "16 fc8 fc4", &cfg) != TP_OK) { check(0, "collective-failure", "dtp", "%g", 0); return; }
    make_batch(0, x, y, 16, 4);
    before = net.params[0];
    tp_set_shard(&net, mpi_sum, NULL, lo, BATCH);
    sums = 0; fail_sum_at = rank == ranks - 1 ? 0 : -1;   /* the last rank's first sum fails; it sums nothing */
    if (rank == ranks - 1) {
        r = tp_train_step(&net, x + lo * 16, y + lo * 4, hi - lo, TP_PHASE_BOTH, NULL);
        ok = r == TP_ERROR_COLLECTIVE && strstr(net.error, "step 0") && strstr(net.error, "returned 7") &&
             net.params[0] == before;
        if (!ok) fprintf(stderr, "failing sum: %s, \"%s\"\n", tp_result_string(r), net.error);
    } else {
        ok = 1;   /* the others would wait for it: an MPI program aborts the job instead (train's -DTP_MPI) */
    }
    fail_sum_at = -1;
    check(ok, "collective-failure", "dtp", "%g", 0);
    check(tp_set_shard(&net, mpi_sum, NULL, BATCH, BATCH) == TP_ERROR_ARGUMENT, "shard-out-of-range", "dtp", "%g", 0);
    tp_net_destroy(&net);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    tp_set_threads(1);
    for (int r = 0; r < tp_rule_count(); r++) {
        one_rule((tp_rule)r, "48 fc32 fc24 fc10");
        if (r == TP_BP || r == TP_DTP) one_rule((tp_rule)r, "6x6x2 conv3x3/4 maxpool2x2 lc3x3/4 fc10");
    }
    failing_sum();
    if (rank == 0) printf("mpi (%d ranks): %d passed, %d failed\n", ranks, passes, failures);
    MPI_Finalize();
    return failures != 0;
}
