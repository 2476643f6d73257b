/* train: train a network with any learning rule of targetprop.h and log every epoch.

     cc -O3 -march=native -fopenmp -I. examples/train.c -o train -lm
     ./train --data data/mnist --arch mnist-fc --rule dtp --schedule alternating --log dtp.csv

   Run ./train --help for every option. */
#define _POSIX_C_SOURCE 200809L
#define TARGETPROP_IMPLEMENTATION
#include "targetprop.h"
#include "common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
"usage: train [options]\n"
"Train a network of targetprop.h and print one line per epoch.\n"
"\n"
"data and network\n"
"  --dataset NAME        mnist (default), cifar10, records (preprocessed images such as ImageNet:\n"
"                        DIR/train.bin and DIR/val.bin, see the README), or synthetic (random\n"
"                        input of the network's shape, for timing)\n"
"  --data DIR            directory of the data files (default data/mnist or data/cifar10)\n"
"  --arch PRESET|SPEC    mnist-fc (default for mnist), mnist-lc, mnist-conv, cifar-fc (default for\n"
"                        cifar10), cifar-lc, cifar-conv, imagenet-lc, imagenet-conv, mnist-ae,\n"
"                        or a spec such as \"784 fc256x6 fc10\" or \"28x28x1 lc3x3/32/s2 fc10\"\n"
"  --synthetic-n N       examples in the synthetic set (default 8 batches)\n"
"  --no-augment          no random crops and flips on CIFAR-10 (default: augment)\n"
"\n"
"learning rule (defaults: the paper's Table 5 for the preset, rule and schedule)\n"
"  --rule R              bp, fa, dfa, dtp, sdtp or aosdtp (default bp)\n"
"  --schedule S          parallel or alternating (default parallel); alternating runs an epoch\n"
"                        of inverse steps before each epoch of forward steps\n"
"  --lr X --beta1 X --beta2 X --eps X                    Adam of the forward weights\n"
"  --inverse-lr X --inverse-beta1 X --inverse-beta2 X --inverse-eps X   Adam of the inverses\n"
"  --sgd                 plain SGD for the forward weights instead of Adam\n"
"  --alpha X             DTP step size of the penultimate target\n"
"  --sigma X             noise the inverses are trained on\n"
"  --aux N               AO-SDTP auxiliary output units (default 512)\n"
"  --hybrid BETA         hybrid targets: BETA * backprop + (1 - BETA) * target propagation\n"
"  --inverse-loss L      preserve (DTP default) or denoise (SDTP default)\n"
"  --init I              glorot (default) or lecun: uniform weights with limit sqrt(6/(in+out))\n"
"                        or sqrt(3/in)\n"
"\n"
"run\n"
"  --epochs N            forward epochs (default 10)\n"
"  --batch N             minibatch size (default 128)\n"
"  --max-batches N       stop every epoch after N batches (quick checks)\n"
"  --seed N              seed of initialisation, shuffling and noise (default 1)\n"
"  --threads N           OpenMP threads (default: all)\n"
"  --log FILE.csv        CSV log, one line per epoch: epoch,train_loss,train_error,test_error,\n"
"                        best_test_error,seconds,examples_per_s,phase,inverse_loss[,angle_l...,recon_l...,target_l...]\n"
"  --diagnostics         per epoch, for each layer: angle to the BP gradient (degrees), the\n"
"                        inverse's reconstruction error and, for TP rules, the mean squared\n"
"                        distance from the activity to its target (written to the log)\n"
"  --checkpoint FILE     save the whole training state to FILE (atomically) after every epoch\n"
"  --checkpoint-every N  ... and every N batches\n"
"  --resume FILE         continue the run saved in FILE exactly where it stopped (the network,\n"
"                        rule and hyperparameters come from FILE; the log is cut back to match)\n"
"  --save FILE           save the final state to FILE\n"
"  --quiet               no per-epoch lines\n"
"  -h, --help            this text\n");
}

typedef struct { const char *name; float *dst; int set; } float_opt;

/* What a checkpoint must add to the network's own state to resume an epoch mid-way. */
typedef struct {
    int32_t epoch, batch;       /* the epoch under way (1-based) and its next batch */
    int64_t wrong;              /* running sums of the epoch so far */
    double loss, inv, best;
    uint64_t epoch_rng;         /* RNG state before the epoch's shuffle: regenerates the order */
} train_state;

int main(int argc, char **argv)
{
    const char *dataset = "mnist", *data_dir = NULL, *arch = NULL, *log_path = NULL;
    const char *rule_s = "bp", *sched_s = "parallel", *invloss_s = NULL, *init_s = NULL;
    const char *ckpt_path = NULL, *resume_path = NULL, *save_path = NULL;
    int ckpt_every = 0;
    int epochs = 10, batch = 128, max_batches = 0, threads = 0, diagnostics = 0, quiet = 0;
    int augment = 1, synthetic_n = 0, aux = -1, sgd = 0;
    unsigned long seed = 1;
    float lr = 0, b1 = 0, b2 = 0, eps = 0, ilr = 0, ib1 = 0, ib2 = 0, ieps = 0, alpha = 0, sigma = 0, hybrid = 0;
    float_opt fopts[] = {
        {"--lr", &lr, 0}, {"--beta1", &b1, 0}, {"--beta2", &b2, 0}, {"--eps", &eps, 0},
        {"--inverse-lr", &ilr, 0}, {"--inverse-beta1", &ib1, 0}, {"--inverse-beta2", &ib2, 0},
        {"--inverse-eps", &ieps, 0}, {"--alpha", &alpha, 0}, {"--sigma", &sigma, 0}, {"--hybrid", &hybrid, 0},
    };
    const int n_fopts = (int)(sizeof fopts / sizeof fopts[0]);
    tp_rule rule;
    tp_schedule sched;
    tp_config cfg;
    tp_net net;
    tp_dataset train, test;
    tp_result r;
    train_state state;
    FILE *logf = NULL;
    int tty = isatty(fileno(stdout));

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int matched = 0;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
        if (!strcmp(a, "--diagnostics")) { diagnostics = 1; continue; }
        if (!strcmp(a, "--quiet")) { quiet = 1; continue; }
        if (!strcmp(a, "--no-augment")) { augment = 0; continue; }
        if (!strcmp(a, "--sgd")) { sgd = 1; continue; }
        if (!v) { fprintf(stderr, "train: %s needs a value (see --help)\n", a); return 2; }
        for (int k = 0; k < n_fopts; k++)
            if (!strcmp(a, fopts[k].name)) {
                char *end;
                errno = 0;
                *fopts[k].dst = strtof(v, &end);
                if (*end || errno || !(*fopts[k].dst == *fopts[k].dst)) {
                    fprintf(stderr, "train: %s \"%s\": expected a number\n", a, v);
                    return 2;
                }
                fopts[k].set = 1;
                matched = 1;
            }
        if (matched) { i++; continue; }
        if (!strcmp(a, "--dataset")) dataset = v;
        else if (!strcmp(a, "--data")) data_dir = v;
        else if (!strcmp(a, "--arch")) arch = v;
        else if (!strcmp(a, "--rule")) rule_s = v;
        else if (!strcmp(a, "--schedule")) sched_s = v;
        else if (!strcmp(a, "--inverse-loss")) invloss_s = v;
        else if (!strcmp(a, "--init")) init_s = v;
        else if (!strcmp(a, "--log")) log_path = v;
        else if (!strcmp(a, "--checkpoint")) ckpt_path = v;
        else if (!strcmp(a, "--resume")) resume_path = v;
        else if (!strcmp(a, "--save")) save_path = v;
        else {
            int *dst = !strcmp(a, "--epochs") ? &epochs : !strcmp(a, "--batch") ? &batch :
                       !strcmp(a, "--max-batches") ? &max_batches : !strcmp(a, "--threads") ? &threads :
                       !strcmp(a, "--aux") ? &aux : !strcmp(a, "--synthetic-n") ? &synthetic_n :
                       !strcmp(a, "--checkpoint-every") ? &ckpt_every : NULL;
            char *end;
            long x;
            if (!strcmp(a, "--seed")) {
                errno = 0;
                seed = strtoul(v, &end, 10);
                if (*end || errno) { fprintf(stderr, "train: --seed \"%s\": expected a non-negative integer\n", v); return 2; }
                i++;
                continue;
            }
            if (!dst) { fprintf(stderr, "train: unknown option %s (see --help)\n", a); return 2; }
            errno = 0;
            x = strtol(v, &end, 10);
            if (*end || errno || x < 0 || x > 100000000L) {
                fprintf(stderr, "train: %s \"%s\": expected a non-negative integer\n", a, v);
                return 2;
            }
            *dst = (int)x;
        }
        i++;
    }
    if (tp_rule_parse(rule_s, &rule) != TP_OK) {
        fprintf(stderr, "train: --rule \"%s\": expected bp, fa, dfa, dtp, sdtp or aosdtp\n", rule_s);
        return 2;
    }
    if (strcmp(sched_s, "parallel") && strcmp(sched_s, "alternating")) {
        fprintf(stderr, "train: --schedule \"%s\": expected parallel or alternating\n", sched_s);
        return 2;
    }
    sched = sched_s[0] == 'a' ? TP_ALTERNATING : TP_PARALLEL;
    if (batch < 1) { fprintf(stderr, "train: --batch 0: expected at least 1\n"); return 2; }
    if (strcmp(dataset, "mnist") && strcmp(dataset, "cifar10") && strcmp(dataset, "synthetic") &&
        strcmp(dataset, "records")) {
        fprintf(stderr, "train: --dataset \"%s\": expected mnist, cifar10, records or synthetic\n", dataset);
        return 2;
    }
    if (!arch) arch = !strcmp(dataset, "cifar10") ? "cifar-fc" : "mnist-fc";
    if (threads > 0) tp_set_threads(threads);

    /* hyperparameters: Table 5 of the paper, then the command line on top */
    cfg = tp_config_default(rule);
    if (tp_config_paper(&cfg, arch, rule, sched) != TP_OK && tp_preset(arch))
        fprintf(stderr, "train: the paper's Table 5 has no %s %s entry for %s; using the library defaults\n",
                sched_s, rule_s, arch);
    cfg.rule = rule;
    cfg.schedule = sched;
    cfg.max_batch = batch;
    cfg.seed = seed;
    if (aux >= 0) cfg.n_aux = aux;
    if (invloss_s) {
        if (!strcmp(invloss_s, "preserve")) cfg.inverse_loss = TP_INVERSE_PRESERVE;
        else if (!strcmp(invloss_s, "denoise")) cfg.inverse_loss = TP_INVERSE_DENOISE;
        else { fprintf(stderr, "train: --inverse-loss \"%s\": expected preserve or denoise\n", invloss_s); return 2; }
    }
    if (init_s) {
        if (!strcmp(init_s, "glorot")) cfg.init = TP_INIT_GLOROT;
        else if (!strcmp(init_s, "lecun")) cfg.init = TP_INIT_LECUN;
        else { fprintf(stderr, "train: --init \"%s\": expected glorot or lecun\n", init_s); return 2; }
    }
    {
        float *dst[] = {&cfg.forward.lr, &cfg.forward.beta1, &cfg.forward.beta2, &cfg.forward.eps,
                        &cfg.inverse.lr, &cfg.inverse.beta1, &cfg.inverse.beta2, &cfg.inverse.eps,
                        &cfg.alpha, &cfg.sigma, &cfg.hybrid};
        for (int k = 0; k < n_fopts; k++) if (fopts[k].set) *dst[k] = *fopts[k].dst;
    }
    cfg.forward.sgd = sgd;

    memset(&state, 0, sizeof state);
    if (resume_path) {
        size_t len = 0;
        if ((r = tp_net_load(&net, resume_path, &state, sizeof state, &len)) != TP_OK || len != sizeof state) {
            fprintf(stderr, "train: --resume %s: %s\n", resume_path,
                    r != TP_OK ? net.error : "the checkpoint was not written by this program");
            return 1;
        }
        cfg = net.cfg;
        rule = cfg.rule;
        sched = cfg.schedule;
        rule_s = tp_rule_name(rule);
        sched_s = sched == TP_ALTERNATING ? "alternating" : "parallel";
        batch = cfg.max_batch;
    } else if ((r = tp_net_create(&net, arch, &cfg)) != TP_OK) {
        fprintf(stderr, "train: %s: %s\n", tp_result_string(r), net.error);
        return 1;
    }

    /* data */
    memset(&train, 0, sizeof train);
    memset(&test, 0, sizeof test);
    if (!strcmp(dataset, "mnist") || !strcmp(dataset, "cifar10")) {
        if (!ex_load_data("train", dataset, data_dir, &train, &test)) return 1;
    } else if (!strcmp(dataset, "records")) {
        char p[2][1024];
        const char *tr[1], *te[1];
        const char *dir = data_dir ? data_dir : "data/imagenet";
        snprintf(p[0], sizeof p[0], "%s/train.bin", dir);
        snprintf(p[1], sizeof p[1], "%s/val.bin", dir);
        tr[0] = p[0]; te[0] = p[1];
        if ((r = tp_load_records(&train, tr, 1, net.in_h, net.in_w, net.in_c, net.n_out)) != TP_OK ||
            (r = tp_load_records(&test, te, 1, net.in_h, net.in_w, net.in_c, net.n_out)) != TP_OK) {
            fprintf(stderr, "train: %s\n  (see the README, \"ImageNet\", for the record format)\n",
                    train.error[0] ? train.error : test.error);
            return 1;
        }
    } else if (!ex_synthetic(&train, &net, synthetic_n > 0 ? synthetic_n : 8 * batch, seed + 99) ||
               !ex_synthetic(&test, &net, batch, seed + 100)) {
        fprintf(stderr, "train: out of memory for the synthetic data\n");
        return 1;
    }
    {
        char why[256];
        if (!ex_net_fits(&net, &train, why, sizeof why)) { fprintf(stderr, "train: %s\n", why); return 1; }
    }
    if (train.n < batch) { fprintf(stderr, "train: %d training examples, fewer than one batch of %d\n", train.n, batch); return 1; }

    if (log_path) {
        if (resume_path) {
            if (ex_csv_truncate(log_path, state.epoch) != 0 || !(logf = fopen(log_path, "a"))) {
                fprintf(stderr, "train: %s: cannot rewrite the log to match the checkpoint\n", log_path);
                return 1;
            }
        } else {
            if (!(logf = fopen(log_path, "w"))) { fprintf(stderr, "train: %s: cannot open for writing\n", log_path); return 1; }
            fprintf(logf, "epoch,train_loss,train_error,test_error,best_test_error,seconds,examples_per_s,phase,inverse_loss");
            if (diagnostics) {
                for (int l = 1; l <= net.n_layers; l++) fprintf(logf, ",angle_%d", l);
                for (int l = 1; l <= net.n_layers; l++) fprintf(logf, ",recon_%d", l);
                for (int l = 1; l <= net.n_layers; l++) fprintf(logf, ",target_%d", l);
            }
            fprintf(logf, "\n");
            fflush(logf);
        }
    }
    if (!quiet) {
        printf("net    %s\n       %.2f M parameters, %.1f MB, %.2f M multiply-adds per example\n", net.spec,
               (double)(net.n_params + net.n_iparams) / 1e6, (double)tp_net_bytes(&net) / 1048576.0, tp_net_macs(&net) / 1e6);
        printf("rule   %s, %s", rule_s, sched_s);
        printf(", lr %g b1 %g b2 %g eps %g", (double)cfg.forward.lr, (double)cfg.forward.beta1,
               (double)cfg.forward.beta2, (double)cfg.forward.eps);
        if (rule >= TP_DTP)
            printf(", inverse lr %g b1 %g b2 %g eps %g, %s alpha %g sigma %g aux %d hybrid %g",
                   (double)cfg.inverse.lr, (double)cfg.inverse.beta1, (double)cfg.inverse.beta2,
                   (double)cfg.inverse.eps, cfg.inverse_loss == TP_INVERSE_PRESERVE ? "preserve" : "denoise",
                   (double)cfg.alpha, (double)cfg.sigma, rule == TP_AOSDTP ? cfg.n_aux : 0, (double)cfg.hybrid);
        if (cfg.init == TP_INIT_LECUN) printf(", lecun init");
        printf("\ndata   %s: %d training, %d test examples; batch %d, %d threads\n", dataset, train.n, test.n, batch,
               tp_get_threads());
        fflush(stdout);
    }

    {
        int *order = (int *)malloc((size_t)train.n * sizeof(int));
        float *x = (float *)malloc((size_t)batch * train.dim * sizeof(float));
        float *y = (float *)malloc((size_t)batch * net.n_out * sizeof(float));
        int per_epoch = train.n / batch, is_tp = rule >= TP_DTP;
        int total_epochs = sched == TP_ALTERNATING && is_tp ? 2 * epochs : epochs;
        double best = resume_path ? state.best : 1.0, t_start = ex_now();
        int first_epoch = resume_path ? state.epoch : 1;
        tp_diag diag;
        if (!order || !x || !y) { fprintf(stderr, "train: out of memory\n"); return 1; }
        if (max_batches > 0 && max_batches < per_epoch) per_epoch = max_batches;
        for (int e = first_epoch; e <= total_epochs; e++) {
            tp_phase phase = !(sched == TP_ALTERNATING && is_tp) ? TP_PHASE_BOTH :
                             (e % 2 == 1 ? TP_PHASE_INVERSE : TP_PHASE_FORWARD);
            const char *phase_s = phase == TP_PHASE_BOTH ? (is_tp ? "parallel" : "forward") :
                                  phase == TP_PHASE_INVERSE ? "inverse" : "forward";
            double loss = 0, inv = 0, t0 = ex_now(), secs, test_loss, test_err;
            long wrong = 0;
            int start = 0;
            if (resume_path && e == first_epoch && state.batch > 0) {   /* mid-epoch: same order, same sums */
                tp_rng again;
                again.state = state.epoch_rng;
                tp_shuffle(&again, order, train.n);
                start = state.batch; loss = state.loss; inv = state.inv; wrong = (long)state.wrong;
            } else {
                state.epoch_rng = net.rng.state;
                tp_shuffle(&net.rng, order, train.n);
            }
            for (int i = start; i < per_epoch; i++) {
                tp_stats st;
                tp_dataset_batch(&train, order + (size_t)i * batch, batch, x, net.loss == TP_SOFTMAX_XENT ? y : NULL);
                if (net.loss == TP_SQUARED_ERROR) memcpy(y, x, (size_t)batch * train.dim * sizeof(float));
                if (augment && !strcmp(dataset, "cifar10"))
                    tp_augment_crop_flip(&net.rng, x, batch, train.h, train.w, train.c, 4);
                if ((r = tp_train_step(&net, x, y, batch, phase, &st)) != TP_OK) {
                    fprintf(stderr, "%strain: epoch %d, batch %d: %s: %s\n", tty ? "\n" : "", e, i + 1,
                            tp_result_string(r), net.error);
                    if (logf) fclose(logf);
                    return 3;
                }
                loss += st.loss; wrong += st.errors; inv += st.inverse_loss;
                if (ckpt_path && ckpt_every > 0 && (i + 1) % ckpt_every == 0 && i + 1 < per_epoch) {
                    state.epoch = e; state.batch = i + 1; state.wrong = wrong;
                    state.loss = loss; state.inv = inv; state.best = best;
                    if (tp_net_save(&net, ckpt_path, &state, sizeof state) != TP_OK) {
                        fprintf(stderr, "train: checkpoint: %s\n", net.error);
                        return 1;
                    }
                }
                if (tty && !quiet && (i % 8 == 0 || i + 1 == per_epoch)) {
                    int w = 30, fill = (int)((double)(i + 1) / per_epoch * w);
                    printf("\repoch %3d %-8s [%.*s%*s] %3d%%  loss %.4f", e, phase_s, fill,
                           "##############################", w - fill, "", (int)(100.0 * (i + 1) / per_epoch), loss / (i + 1));
                    fflush(stdout);
                }
            }
            secs = ex_now() - t0;
            if ((r = tp_evaluate_dataset(&net, &test, &test_loss, &test_err)) != TP_OK) {
                fprintf(stderr, "train: %s\n", net.error);
                return 1;
            }
            if (phase != TP_PHASE_INVERSE && test_err < best) best = test_err;
            if (diagnostics) {
                tp_dataset_batch(&train, order, batch, x, net.loss == TP_SOFTMAX_XENT ? y : NULL);
                if (net.loss == TP_SQUARED_ERROR) memcpy(y, x, (size_t)batch * train.dim * sizeof(float));
                if ((r = tp_diagnose(&net, x, y, batch, &diag)) != TP_OK) {
                    fprintf(stderr, "train: diagnostics: %s\n", net.error);
                    return 3;
                }
            }
            if (!quiet) {
                printf("%sepoch %3d %-8s loss %.4f train %6.2f%% test %6.2f%% best %6.2f%%  %6.1fs %8.0f ex/s",
                       tty ? "\r" : "", e, phase_s, loss / per_epoch, 100.0 * wrong / ((double)per_epoch * batch),
                       100.0 * test_err, 100.0 * best, ex_now() - t_start, (double)per_epoch * batch / secs);
                if (is_tp) printf("  inverse %.4f", inv / per_epoch);
                printf("%s\n", tty ? "          " : "");
                if (diagnostics) {
                    printf("          angle to BP (deg):");
                    for (int l = 0; l < net.n_layers; l++) printf(" %.1f", (double)diag.angle[l]);
                    printf("\n");
                    if (is_tp) {
                        printf("          ||h - target||^2 / n:");
                        for (int l = 0; l + 1 < net.n_layers; l++) printf(" %.3g", (double)diag.target[l]);
                        printf("\n");
                    }
                }
                fflush(stdout);
            }
            if (logf) {
                fprintf(logf, "%d,%.6f,%.6f,%.6f,%.6f,%.3f,%.1f,%s,%.6f", e, loss / per_epoch,
                        (double)wrong / ((double)per_epoch * batch), test_err, best, ex_now() - t_start,
                        (double)per_epoch * batch / secs, phase_s, inv / per_epoch);
                if (diagnostics) {
                    for (int l = 0; l < net.n_layers; l++) fprintf(logf, ",%.4f", (double)diag.angle[l]);
                    for (int l = 0; l < net.n_layers; l++) fprintf(logf, ",%.6g", (double)diag.recon[l]);
                    for (int l = 0; l < net.n_layers; l++) fprintf(logf, ",%.6g", (double)diag.target[l]);
                }
                fprintf(logf, "\n");
                fflush(logf);
            }
            state.epoch = e + 1; state.batch = 0; state.wrong = 0;
            state.loss = 0; state.inv = 0; state.best = best;
            if (ckpt_path && tp_net_save(&net, ckpt_path, &state, sizeof state) != TP_OK) {
                fprintf(stderr, "train: checkpoint: %s\n", net.error);
                return 1;
            }
        }
        if (save_path && tp_net_save(&net, save_path, &state, sizeof state) != TP_OK) {
            fprintf(stderr, "train: --save: %s\n", net.error);
            return 1;
        }
        if (!quiet) printf("best test error %.2f%%\n", 100.0 * best);
        free(order); free(x); free(y);
    }
    if (logf) fclose(logf);
    tp_dataset_free(&train);
    tp_dataset_free(&test);
    tp_net_destroy(&net);
    return 0;
}
