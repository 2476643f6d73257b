/* train: train a network with any learning rule of targetprop.h and log every epoch.

     cc -O3 -march=native -fopenmp -I. examples/train.c -o train -lm
     ./train --data data/mnist --arch mnist-fc --rule dtp --schedule alternating --log dtp.csv

   A thin program over run.h's ex_train: the options, then the hooks it calls after every batch
   (progress bar, mid-epoch checkpoints) and every epoch (the printed line, the log, the checkpoint).
   Run ./train --help for every option.

   Built with Open MPI, one run trains data-parallel over many processes (one per node or socket,
   OpenMP threads inside each): every process makes each batch whole and trains on its share of
   the rows, and the library sums every gradient over the processes (MPI_Allreduce) before it is
   applied, so all hold the same weights; rank 0 alone prints, logs and writes checkpoints (on a
   file system every node sees, for --resume, which any number of processes can continue).
     mpicc -DTP_MPI -O3 -march=native -fopenmp -I. examples/train.c -o train-mpi -lm
     mpirun -np 4 --map-by node ./train-mpi --threads 8 --arch mnist-lc --rule dtp --checkpoint run.ckpt */
#define _POSIX_C_SOURCE 200809L
#define TARGETPROP_IMPLEMENTATION
#include "targetprop.h"
#include "cli.h"
#include "data.h"
#include "run.h"
#include "csvlog.h"
#ifdef TP_MPI
#include <mpi.h>
#endif

static int g_rank;   /* this process's place in a data-parallel run (-DTP_MPI), among g_ranks */
#ifdef TP_MPI
static int g_ranks = 1;
static int mpi_sum(void *ctx, float *buf, size_t n);
#endif

enum { AFTER_PAPER, OWN_DECAY, OWN_ITERS };

/* The rules of the header's table that the paper has no Table 5 row for (on mnist-fc, where it has one for
   each of its own rules), or those with a forward weight decay or feedback steps per batch of their own (each
   followed by its value), as a list joined by ", ": so the help text follows the table. */
static const char *rules_that(int which, char *buf, size_t n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int r = 0; r < tp_rule_count() && o < n; r++) {
        const tp_rule_desc *d = tp_rule_info((tp_rule)r);
        tp_config cfg = tp_config_default((tp_rule)r);
        if ((which == AFTER_PAPER && tp_config_paper(&cfg, "mnist-fc", (tp_rule)r, TP_PARALLEL, TP_HPARAMS_TABLE5, NULL) == TP_OK) ||
            (which == OWN_DECAY && !(d->decay > 0.0f)) || (which == OWN_ITERS && d->iters <= 1))
            continue;
        o += (size_t)snprintf(buf + o, n - o, "%s%s", o ? ", " : "", d->name);
        if (which == OWN_DECAY && o < n) o += (size_t)snprintf(buf + o, n - o, " %g", (double)d->decay);
        if (which == OWN_ITERS && o < n) o += (size_t)snprintf(buf + o, n - o, " %d", d->iters);
    }
    return buf;
}

/* The help entry of an option whose default is usual but for the rules with one of their own (rules_that). */
static void own_default_item(FILE *f, const char *opt, const char *what, const char *usual, int which)
{
    char list[1024], text[2048];
    rules_that(which, list, sizeof list);
    snprintf(text, sizeof text, "%s (default %s%s%s)", what, usual, list[0] ? ", the rule's own for " : "", list);
    ex_help_item(f, opt, text);
}

static void usage(FILE *f)
{
    char list[1024], text[2048];
    fprintf(f,
"usage: train [options]          (--opt value or --opt=value)\n"
"Train a network of targetprop.h and print one line per epoch.\n"
"\n"
"data and network\n"
"  --dataset NAME        mnist (default), fashion (Fashion-MNIST), cifar10, imagenet32 or imagenet64 (downsampled\n"
"                        ImageNet, converted by tools/imagenet_records.py), records (images of the network's\n"
"                        shape: DIR/train.bin and DIR/val.bin, see the README), or synthetic (random input of\n"
"                        the network's shape, for timing)\n"
"  --data DIR            directory of the data files (default data/NAME, data/imagenet for records)\n"
"  --stream WHEN         yes: read the records of imagenet32, imagenet64 or records from disk batch by batch;\n"
"                        no: load them into memory (a byte a pixel); auto (default): stream a training file\n"
"                        larger than half the machine's memory\n"
"  --arch PRESET|SPEC    mnist-fc (default for mnist), mnist-lc, mnist-conv, cifar-fc (default for\n"
"                        cifar10), cifar-lc, cifar-conv, cifar-vgg, imagenet-lc, imagenet-conv,\n"
"                        imagenet32-vgg (default for imagenet32), imagenet32-lc, imagenet64-vgg (default for\n"
"                        imagenet64), mnist-ae, or a spec such as \"784 fc256x6 fc10\" or\n"
"                        \"28x28x1 lc3x3/32/s2 fc10\"\n"
"  --synthetic-n N       examples in the synthetic set (default 8 batches)\n"
"  --no-augment          no random crops and flips on CIFAR-10 and ImageNet (default: augment)\n"
"\n"
"learning rule (names in any case)\n"
"  --rule R              one of the rules listed at the end (default bp)\n"
"  --schedule S          parallel, alternating or interleaved (default parallel); alternating runs\n"
"                        an epoch of inverse steps only before each forward epoch (numbered as\n"
"                        that one), interleaved one before each parallel epoch (ddtp's, dtpdrl's)\n");
    snprintf(text, sizeof text, "best (default): this library's best measured configuration for the preset, rule and "
             "schedule (the README's results table, with their auxiliary units and initialiser); table5: the paper's "
             "Table 5 row as printed. They differ for SDTP on mnist-fc and mnist-lc, AO-SDTP alternating on mnist-fc, "
             "every rule on cifar-vgg and the rules after the paper (%s), which table5 has no row for: where there is no "
             "row, and for a spec that is no preset, the library's defaults. The options below override either.",
             rules_that(AFTER_PAPER, list, sizeof list));
    ex_help_item(f, "--hparams H", text);
    fprintf(f,
"  --recipe NAME         every setting of a published run (train --list-recipes); an option after it\n"
"                        overrides it, and it prints what it set\n"
"\n"
"optimisers (the forward weights'; --inverse-X: the learned feedback's), with PyTorch's formulas\n"
"  --optimizer O         adam (default), sgd, momentum (heavy ball) or nesterov; --sgd is --optimizer sgd\n"
"  --lr X --beta1 X --beta2 X --eps X    rate, and Adam's constants\n"
"  --momentum X          of momentum and nesterov (default 0.9)\n"
"  --l2 X                coupled weight decay: X * w added to the gradient (torch.optim's weight_decay)\n");
    own_default_item(f, "--decay X", "decoupled weight decay per step: w -= X * (lr_t / lr) * w", "0", OWN_DECAY);
    fprintf(f,
"  --bias-decay yes|no   whether --l2 and --decay reach the biases (default yes)\n"
"  --clip X              gradient norm clipped to X, over all the weights the optimiser trains\n"
"  --inverse-optimizer O --inverse-lr X[,X...] --inverse-beta1 X --inverse-beta2 X --inverse-eps X\n"
"  --inverse-momentum X --inverse-l2 X --inverse-decay X --inverse-clip X   the same for the feedback\n"
"                        (--inverse-lr: a list gives each layer with learned feedback its own rate)\n"
"\n"
"learning-rate schedules, in epochs (each optimiser counts its own steps)\n"
"  --schedule-lr S       constant (default), step or cosine (from lr to lr * --lr-floor)\n"
"  --inverse-schedule-lr S  the feedback's (default constant), with the same shape\n"
"  --warmup N            epochs of linear warm-up before it (default 0)\n"
"  --lr-epochs N         cosine's length (default: --epochs less the warm-up)\n"
"  --lr-floor X          cosine's last rate as a fraction of lr (default 0)\n"
"  --milestones E,E...   step: the epochs at which the rate is multiplied by --gamma (default 0.1)\n"
"  --lr-tick epoch|step  the rate changes once an epoch (default, as PyTorch's schedulers stepped each\n"
"                        epoch) or every step; a resumed run keeps the schedule it was started with\n"
"\n"
"input\n"
"  --normalize           per-channel mean and standard deviation of the training split, subtracted and\n"
"                        divided by in every pass (kept in checkpoints; also --normalise)\n"
"  --norm-mean X,X... --norm-std X,X...   the same with given values, one per input channel\n"
"\n"
"targets and feedback\n"
"  --alpha X             target step: DTP's at the penultimate layer; ddtp's, dtpdrl's and ldrl's\n"
"                        at the output\n"
"  --sigma X[,X...]      noise the inverses (learned feedback) are trained on; a list: per layer\n");
    own_default_item(f, "--iters N[,N...]", "feedback training steps per batch; a list: per layer with learned feedback, "
                     "from the input side", "1", OWN_ITERS);
    fprintf(f,
"  --inverse-decay X     decoupled weight decay of the learned feedback per step (ddtp's damping)\n"
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
"  --seed N              seed of initialisation, shuffling and noise, 0 to 2^64-1 (default 1)\n"
"  --threads N|auto      OpenMP threads, 1 to the processors online; auto (default) times two\n"
"                        batches at 1, 2, 4... threads at the start, again after a minute and\n"
"                        then less and less often, and keeps the fastest (results do not depend\n"
"                        on the count; on a loaded machine threads that wait for each other can\n"
"                        be many times slower than one)\n"
"  --log FILE.csv        CSV log, one line per epoch: epoch,train_loss,train_error,test_error,\n"
"                        best_test_error,seconds,examples_per_s,phase,inverse_loss[,angle_l...,\n"
"                        recon_l...,target_l...,feedback_l...]; epoch counts forward epochs, and an inverse-only\n"
"                        epoch's line (phase inverse) leaves the two test columns empty\n"
"  --diagnostics         per epoch, for each layer: angle to the BP gradient (degrees), the\n"
"                        inverse's reconstruction error, for TP rules the mean squared distance\n"
"                        from the activity to its target, and the angle between the layer's\n"
"                        feedback matrix and W (written to the log)\n"
"  --checkpoint FILE     save the whole training state to FILE (atomically) after every epoch\n"
"  --checkpoint-every N  ... and every N batches\n"
"  --resume FILE         continue the run saved in FILE exactly where it stopped (the network,\n"
"                        rule and hyperparameters come from FILE; give the same data, --epochs\n"
"                        and --max-batches; the log is cut back to match, atomically)\n"
"  --save FILE           save the final state to FILE\n"
"  --quiet               no per-epoch lines\n"
"  --list-rules          print the rules' names, one a line, and exit\n"
"  --list-recipes        print the recipes and the options each stands for, and exit\n"
"  -h, --help            this text\n"
"\n"
"A run stops with exit status 3 when it diverges: a NaN or infinity, or a training loss that\n"
"explodes while finite (the mean of the last %d batch losses over %g times both the loss at the\n"
"start and the lowest such mean: weights driven to 1e20 by --lr 1e6, say), or a collapse to\n"
"chance after learning (a whole epoch at ln C loss and chance's training and test error, after the\n"
"mean of %d batch losses was under %g ln C). The last checkpoint written before is kept. A resumed\n"
"run keeps its checkpoint's net and settings: an option saying otherwise is refused by name.\n"
"Bad options exit with 2, other failures with 1. On a terminal a\n"
"progress bar shows the epoch's examples/s and the time left; it never reaches logs or pipes.\n"
"\n"
"rules\n",
            EX_WINDOW, EX_EXPLODED, EX_WINDOW, EX_LEARNED);
    for (int r = 0; r < tp_rule_count(); r++)
        fprintf(f, "  %-8s %s\n", tp_rule_name((tp_rule)r), tp_rule_info((tp_rule)r)->summary);
}

/* ---------------------------------------------------------------------------------------------
   Options */

enum { F_LR, F_B1, F_B2, F_EPS, F_ILR, F_IB1, F_IB2, F_IEPS, F_ALPHA, F_SIGMA, F_HYBRID, F_DECAY, F_IDECAY,
       F_MOM, F_IMOM, F_L2, F_IL2, F_CLIP, F_ICLIP, F_FLOOR, F_GAMMA, N_FLOAT };
static const struct { const char *name; double lo, hi; const char *open; } float_opts[N_FLOAT] = {
    {"--lr", 0, FLT_MAX, ""}, {"--beta1", 0, 1, ")"}, {"--beta2", 0, 1, ")"}, {"--eps", 0, 1, "("},
    {"--inverse-lr", 0, FLT_MAX, ""}, {"--inverse-beta1", 0, 1, ")"}, {"--inverse-beta2", 0, 1, ")"}, {"--inverse-eps", 0, 1, "("},
    {"--alpha", 0, FLT_MAX, ""}, {"--sigma", 0, FLT_MAX, ""}, {"--hybrid", 0, 1, ""}, {"--decay", 0, 1, ")"},
    {"--inverse-decay", 0, 1, ")"}, {"--momentum", 0, 1, ")"}, {"--inverse-momentum", 0, 1, ")"}, {"--l2", 0, FLT_MAX, ""},
    {"--inverse-l2", 0, FLT_MAX, ""}, {"--clip", 0, FLT_MAX, ""}, {"--inverse-clip", 0, FLT_MAX, ""}, {"--lr-floor", 0, 1, ""},
    {"--gamma", 0, FLT_MAX, "("},
};
/* Settings given per layer as comma lists (a single value: every layer). */
enum { L_ITERS, L_SIGMA, L_ILR, N_LISTS };
static const char *const list_opts[N_LISTS] = { "--iters", "--sigma", "--inverse-lr" };
#define MAX_LIST TP_MAX_LAYERS
/* The options that say which run it is: given with --resume, each must agree with the checkpoint's. */
enum { G_RULE = 1, G_SCHED = 2, G_ARCH = 4, G_BATCH = 8, G_SEED = 16, G_HPARAMS = 32, G_OPTIM = 64, G_AUX = 128, G_ITERS = 256,
       G_INVLOSS = 512, G_INIT = 1024, G_IOPTIM = 2048, G_LRSCHED = 4096, G_ILRSCHED = 8192, G_WARMUP = 16384,
       G_MILESTONES = 32768, G_LREPOCHS = 65536, G_TICK = 131072, G_BIASDECAY = 262144, G_NORM = 524288, G_LISTS = 1048576 };

typedef struct {
    const char *dataset, *data_dir, *arch, *log, *ckpt, *resume, *save;
    char arch_buf[4096];
    tp_rule rule;
    tp_schedule sched;
    tp_hparams hparams;
    int inverse_loss, init;     /* -1: the configuration's */
    int epochs, batch, max_batches, threads, diagnostics, quiet, augment, synthetic_n, aux, ckpt_every, iters;
    int optim[2];               /* forward, inverse: a tp_optimizer, or -1: the configuration's */
    int lr_sched[2];            /* forward, inverse: a tp_lr_kind, or -1: constant */
    int warmup, lr_epochs;      /* epochs (ticks) of warm-up and of the cosine; lr_epochs 0: --epochs less the warm-up */
    int per_step;               /* the schedules tick every step, not every epoch */
    int n_milestones, milestones[TP_MAX_MILESTONES];
    int bias_decay;             /* -1: the configuration's (biases decay) */
    int normalize;              /* 1: the training split's channel statistics; 2: --norm-mean and --norm-std */
    int stream;                 /* records read from disk: 1 yes, 0 no, -1 when the training file is large */
    int n_norm[2];
    float norm[2][TP_MAX_CHANNELS];
    int n_list[N_LISTS];        /* > 1: a value per layer with learned feedback */
    double list[N_LISTS][MAX_LIST];
    const char *recipe;         /* the recipe's name, and the options it stands for, or NULL */
    char recipe_text[1024];
    unsigned given;             /* G_*: the options on the command line that define the run */
    uint64_t seed;
    float f[N_FLOAT];           /* NAN: not given */
} train_opts;

/* ---------------------------------------------------------------------------------------------
   Recipes: the settings of one published run in one word, as the options they stand for. --recipe NAME
   puts them where it stands on the command line, so an option given after it overrides it. */

typedef struct {
    const char *name, *about;
    const char *all;                 /* options for every rule */
    const char *rules[4][2];         /* rule name ("*": any other) and its options after all's; NULL ends */
} recipe;

static const recipe recipes[] = {
    {"ernoult2022",
     "the simple VGG on CIFAR-10 as Ernoult et al. (2022) trained it (the scalingDTP code): SGD with momentum 0.9, lr 0.05, "
     "L2 1e-4 (biases too), a cosine over the epochs to 1e-5, batch 128, 90 epochs, per-channel normalisation, crops and "
     "flips; for ldrl its authors' per-layer feedback (SGD with momentum, rates, iterations and noise per layer) and "
     "target step 0.7 on the summed loss; the forward lr is halved for ldrl, whose hidden losses here are ||h - t||^2 "
     "where its authors' are 1/2 ||h - t||^2",
     "--dataset cifar10 --arch cifar-vgg --epochs 90 --batch 128 --optimizer momentum --momentum 0.9 --lr 0.05 --l2 1e-4 "
     "--schedule-lr cosine --lr-floor 2e-4 --normalize",
     {{"bp", ""},
      {"ldrl", "--lr 0.025 --alpha 0.7 --inverse-optimizer momentum --inverse-momentum 0.9 --inverse-lr 1e-4,3.5e-4,8e-3,8e-3,0.18 "
               "--iters 20,30,35,55,20 --sigma 0.4,0.4,0.2,0.2,0.08"},
      {NULL, NULL}}},
    {"kao2024",
     "the MLP of Kao & Hariharan's (2024) CIFAR-10 table, 3072-1024x3-10 with ELU, as their code trains BP: plain SGD at "
     "lr 1 with the gradient norm clipped to 1, batch 256, 100 epochs, per-channel normalisation, no augmentation (their "
     "layers have no biases; these do). Their code has no other rule: for those, this library's choice (results/README.md): "
     "lr 0.1, at which they learn where lr 1 diverges, and for drtp, which ELU's unbounded units drive to an explosion, "
     "the net's tanh twin with Adam at its MNIST rate; a rule's feedback keeps its own settings",
     "--dataset cifar10 --arch 32x32x3,fc1024x3:elu,fc10 --epochs 100 --batch 256 --optimizer sgd --lr 1 --clip 1 "
     "--normalize --no-augment",
     {{"bp", ""}, {"drtp", "--arch 32x32x3,fc1024x3,fc10 --optimizer adam --lr 8e-4 --clip 0"}, {"*", "--lr 0.1"},
      {NULL, NULL}}},
};
#define N_RECIPES ((int)(sizeof recipes / sizeof recipes[0]))

static void list_recipes(FILE *f)
{
    for (int i = 0; i < N_RECIPES; i++) {
        char text[2048];
        size_t o = (size_t)snprintf(text, sizeof text, "%s. Rules:", recipes[i].about);
        for (int k = 0; recipes[i].rules[k][0] && o < sizeof text; k++)
            o += (size_t)snprintf(text + o, sizeof text - o, "%s%s", k ? ", " : " ",
                                  !strcmp(recipes[i].rules[k][0], "*") ? "any" : recipes[i].rules[k][0]);
        ex_help_item(f, recipes[i].name, text);
        ex_help_item(f, "", recipes[i].all);
        for (int k = 0; recipes[i].rules[k][0]; k++)
            if (recipes[i].rules[k][1][0]) {
                snprintf(text, sizeof text, "%s: %s", recipes[i].rules[k][0], recipes[i].rules[k][1]);
                ex_help_item(f, "", text);
            }
    }
}

/* The command line with --recipe NAME replaced by the options it stands for (for the rule given anywhere on
   it, bp by default), into *argv_out (static storage); o->recipe_text says what it set. 0 after a message. */
static int expand_recipe(int argc, char **argv, int *argc_out, char ***argv_out, train_opts *o)
{
    static char words[2048], *out[512];
    const char *name = NULL, *rule = "bp";
    const recipe *rc = NULL;
    int at = -1, skip = 0, n = 0, k;
    char *p;
    *argc_out = argc;
    *argv_out = argv;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int two = i + 1 < argc && (!strcmp(argv[i], "--recipe") || !strcmp(argv[i], "--rule"));
        if (two) v = argv[i + 1];
        else if (!strncmp(argv[i], "--recipe=", 9) || !strncmp(argv[i], "--rule=", 7)) v = strchr(argv[i], '=') + 1;
        if (v && !strncmp(argv[i], "--recipe", 8)) { name = v; at = i; skip = two ? 2 : 1; }
        else if (v) rule = v;
        i += two;
    }
    if (!name) return 1;
    for (k = 0; k < N_RECIPES && strcasecmp(recipes[k].name, name); k++) {}
    if (k == N_RECIPES) {
        fprintf(stderr, "train: --recipe %s: no such recipe; train --list-recipes lists them\n", name);
        return 0;
    }
    rc = &recipes[k];
    for (k = 0; rc->rules[k][0] && strcasecmp(rc->rules[k][0], rule) && strcmp(rc->rules[k][0], "*"); k++) {}
    if (!rc->rules[k][0]) {
        fprintf(stderr, "train: --recipe %s has settings for", rc->name);
        for (k = 0; rc->rules[k][0]; k++) fprintf(stderr, "%s %s", k ? "," : "", rc->rules[k][0]);
        fprintf(stderr, ", not for rule %s\n", rule);
        return 0;
    }
    snprintf(o->recipe_text, sizeof o->recipe_text, "%s%s%s", rc->all, rc->rules[k][1][0] ? " " : "", rc->rules[k][1]);
    o->recipe = rc->name;
    memcpy(words, o->recipe_text, strlen(o->recipe_text) + 1);
    for (int i = 0; i < at; i++) out[n++] = argv[i];
    for (p = strtok(words, " "); p && n < 400; p = strtok(NULL, " ")) out[n++] = p;
    for (int i = at + skip; i < argc && n < 511; i++) out[n++] = argv[i];
    out[n] = NULL;
    *argc_out = n;
    *argv_out = out;
    return 1;
}

/* A comma list of numbers, the value of option opt, into out (up to max); returns the count, or -1 after a
   message. */
static int parse_numbers(const char *opt, const char *v, double lo, double hi, double *out, int max)
{
    char buf[1024], *items[MAX_LIST];
    int n = ex_parse_list("train", opt, v, max < MAX_LIST ? max : MAX_LIST, NULL, "numbers", buf, sizeof buf, items);
    for (int k = 0; k < n; k++)
        if (!ex_parse_num(items[k], &out[k]) || !(out[k] >= lo && out[k] <= hi)) {
            fprintf(stderr, "train: %s \"%s\": item %d, \"%s\", expected a number in [%g, %g]\n", opt, v, k + 1, items[k], lo, hi);
            return -1;
        }
    return n;
}

/* The non-numeric options of the optimisers and schedules; 1 if the current argument was one. */
static int parse_optim_arg(ex_args *a, train_opts *o)
{
    static const char *optims[] = { "adam", "sgd", "momentum", "nesterov" }, *kinds[] = { "constant", "step", "cosine" },
                      *ticks[] = { "epoch", "step" }, *yesno[] = { "no", "yes" };
    const char *v;
    double d[MAX_LIST];
    int k, n;
    if (ex_flag(a, "--sgd")) o->optim[0] = TP_SGD;
    else if ((v = ex_value(a, "--optimizer"))) a->bad |= (o->optim[0] = ex_choose(a->prog, "--optimizer", v, optims, 4,
                                                          "adam, sgd, momentum or nesterov")) < 0;
    else if ((v = ex_value(a, "--inverse-optimizer"))) a->bad |= (o->optim[1] = ex_choose(a->prog, "--inverse-optimizer", v, optims, 4,
                                                                  "adam, sgd, momentum or nesterov")) < 0;
    else if ((v = ex_value(a, "--schedule-lr"))) a->bad |= (o->lr_sched[0] = ex_choose(a->prog, "--schedule-lr", v, kinds, 3,
                                                            "constant, step or cosine")) < 0;
    else if ((v = ex_value(a, "--inverse-schedule-lr"))) a->bad |= (o->lr_sched[1] = ex_choose(a->prog, "--inverse-schedule-lr", v,
                                                                    kinds, 3, "constant, step or cosine")) < 0;
    else if ((v = ex_value(a, "--lr-tick"))) a->bad |= (o->per_step = ex_choose(a->prog, "--lr-tick", v, ticks, 2, "epoch or step")) < 0;
    else if ((v = ex_value(a, "--bias-decay"))) a->bad |= (o->bias_decay = ex_choose(a->prog, "--bias-decay", v, yesno, 2, "yes or no")) < 0;
    else if ((v = ex_value(a, "--warmup"))) a->bad |= !ex_parse_int(a->prog, "--warmup", v, 0, 1000000, &o->warmup);
    else if ((v = ex_value(a, "--lr-epochs"))) a->bad |= !ex_parse_int(a->prog, "--lr-epochs", v, 1, 1000000, &o->lr_epochs);
    else if ((v = ex_value(a, "--milestones"))) {
        if ((n = parse_numbers("--milestones", v, 1, 1000000, d, TP_MAX_MILESTONES)) < 0) return a->bad = 1;
        for (k = 0; k < n; k++) {
            o->milestones[k] = (int)d[k];
            if (d[k] != floor(d[k]) || (k && d[k] <= d[k - 1])) {
                fprintf(stderr, "train: --milestones %s: expected ascending whole epochs\n", v);
                return a->bad = 1;
            }
        }
        o->n_milestones = n;
    } else if (ex_flag(a, "--normalize") || ex_flag(a, "--normalise")) o->normalize = o->normalize ? o->normalize : 1;
    else if ((v = ex_value(a, "--norm-mean")) || (v = ex_value(a, "--norm-std"))) {
        int which = ex_is(a, "--norm-std");
        if ((n = parse_numbers(which ? "--norm-std" : "--norm-mean", v, which ? 1e-30 : -1e30, 1e30, d, TP_MAX_CHANNELS)) < 0)
            return a->bad = 1;
        for (k = 0; k < n; k++) o->norm[which][k] = (float)d[k];
        o->n_norm[which] = n;
        o->normalize = 2;
    } else return 0;
    return 1;
}

/* --iters, --sigma, --inverse-lr: a value, or one per layer with learned feedback; 1 if the current argument
   was one of them. */
static int parse_list_arg(ex_args *a, train_opts *o)
{
    const char *v = NULL;
    int k, n, whole = 1;
    for (k = 0; k < N_LISTS && !(v = ex_value(a, list_opts[k])); k++) {}
    if (k == N_LISTS) return 0;
    n = parse_numbers(list_opts[k], v, k == L_ITERS ? 1 : 0, k == L_ITERS ? 10000 : FLT_MAX, o->list[k], MAX_LIST);
    for (int i = 0; i < n; i++) whole &= o->list[k][i] == floor(o->list[k][i]);
    if (n < 0) a->bad = 1;
    else if (k == L_ITERS && !whole) fprintf(stderr, "train: --iters %s: expected whole numbers\n", v), a->bad = 1;
    else if (n == 1 && k == L_ITERS) o->iters = (int)o->list[k][0], o->n_list[k] = 0;
    else if (n == 1) o->f[k == L_SIGMA ? F_SIGMA : F_ILR] = (float)o->list[k][0], o->n_list[k] = 0;
    else o->n_list[k] = n;
    return 1;
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, train_opts *o)
{
    static const char *datasets[] = { "mnist", "fashion", "cifar10", "imagenet32", "imagenet64", "records", "synthetic" },
                      *losses[] = { "preserve", "denoise" }, *inits[] = { "glorot", "lecun" }, *hparams[] = { "best", "table5" },
                      *whens[] = { "no", "yes", "auto" };
    char err[TP_ERROR_LEN];
    const char *v;
    ex_args a;
    int k;
    memset(o, 0, sizeof *o);
    o->dataset = "mnist"; o->rule = TP_BP; o->sched = TP_PARALLEL; o->hparams = TP_HPARAMS_BEST;
    o->inverse_loss = o->init = o->aux = o->bias_decay = o->stream = -1;
    o->optim[0] = o->optim[1] = o->lr_sched[0] = o->lr_sched[1] = -1;
    o->epochs = 10; o->batch = 128; o->augment = 1; o->seed = 1;
    for (k = 0; k < N_FLOAT; k++) o->f[k] = NAN;
    if (!expand_recipe(argc, argv, &argc, &argv, o)) return 2;
    for (ex_args_init(&a, "train", argc, argv); ex_next(&a);) {
        if (ex_flag(&a, "-h") || ex_flag(&a, "--help")) { usage(stdout); return 0; }
        if (ex_flag(&a, "--list-rules")) {   /* one name a line, for scripts */
            for (int r = 0; r < tp_rule_count(); r++) printf("%s\n", tp_rule_name((tp_rule)r));
            return 0;
        }
        if (ex_flag(&a, "--list-recipes")) { list_recipes(stdout); return 0; }
        else if (ex_flag(&a, "--diagnostics")) o->diagnostics = 1;
        else if (ex_flag(&a, "--quiet")) o->quiet = 1;
        else if (ex_flag(&a, "--no-augment")) o->augment = 0;
        else if (parse_optim_arg(&a, o)) {}
        else if ((v = ex_value(&a, "--dataset"))) a.bad |= (k = ex_choose(a.prog, "--dataset", v, datasets, 7,
                                                             "mnist, fashion, cifar10, imagenet32, imagenet64, records or synthetic")) < 0,
                                                  o->dataset = k < 0 ? v : datasets[k];
        else if ((v = ex_value(&a, "--stream"))) a.bad |= (k = ex_choose(a.prog, "--stream", v, whens, 3, "yes, no or auto")) < 0,
                                                 o->stream = k == 2 ? -1 : k;
        else if ((v = ex_value(&a, "--data"))) o->data_dir = v;
        else if ((v = ex_value(&a, "--arch"))) o->arch = v;
        else if ((v = ex_value(&a, "--log"))) o->log = v;
        else if ((v = ex_value(&a, "--checkpoint"))) o->ckpt = v;
        else if ((v = ex_value(&a, "--resume"))) o->resume = v;
        else if ((v = ex_value(&a, "--save"))) o->save = v;
        else if ((v = ex_value(&a, "--recipe"))) {}   /* expanded above */
        else if ((v = ex_value(&a, "--rule"))) {
            if (tp_rule_parse(v, &o->rule, err) != TP_OK) fprintf(stderr, "train: --rule: %s\n", err), a.bad = 1;
        } else if ((v = ex_value(&a, "--schedule"))) {
            if (tp_schedule_parse(v, &o->sched, err) != TP_OK) fprintf(stderr, "train: --schedule: %s\n", err), a.bad = 1;
        }
        else if ((v = ex_value(&a, "--hparams"))) a.bad |= (k = ex_choose(a.prog, "--hparams", v, hparams, 2, "best or table5")) < 0,
                                                  o->hparams = k == 1 ? TP_HPARAMS_TABLE5 : TP_HPARAMS_BEST;
        else if ((v = ex_value(&a, "--inverse-loss"))) a.bad |= (o->inverse_loss = ex_choose(a.prog, "--inverse-loss", v, losses, 2,
                                                                 "preserve or denoise")) < 0;
        else if ((v = ex_value(&a, "--init"))) a.bad |= (o->init = ex_choose(a.prog, "--init", v, inits, 2, "glorot or lecun")) < 0;
        else if ((v = ex_value(&a, "--epochs"))) a.bad |= !ex_parse_int(a.prog, "--epochs", v, 1, 1000000, &o->epochs);
        else if ((v = ex_value(&a, "--batch"))) a.bad |= !ex_parse_int(a.prog, "--batch", v, 1, 1 << 20, &o->batch);
        else if ((v = ex_value(&a, "--max-batches"))) a.bad |= !ex_parse_int(a.prog, "--max-batches", v, 0, 1 << 30, &o->max_batches);
        else if ((v = ex_value(&a, "--synthetic-n"))) a.bad |= !ex_parse_int(a.prog, "--synthetic-n", v, 1, 1 << 26, &o->synthetic_n);
        else if ((v = ex_value(&a, "--aux"))) a.bad |= !ex_parse_int(a.prog, "--aux", v, 0, 100000, &o->aux);
        else if ((v = ex_value(&a, "--checkpoint-every"))) a.bad |= !ex_parse_int(a.prog, "--checkpoint-every", v, 1, 1 << 30, &o->ckpt_every);
        else if ((v = ex_value(&a, "--threads"))) a.bad |= !ex_parse_threads(a.prog, "--threads", v, 1, &o->threads);
        else if ((v = ex_value(&a, "--seed"))) a.bad |= !ex_parse_u64(a.prog, "--seed", v, &o->seed);
        else if (parse_list_arg(&a, o)) {}
        else {
            for (k = 0; k < N_FLOAT && !(v = ex_value(&a, float_opts[k].name)); k++) {}
            if (k < N_FLOAT && v) a.bad |= !ex_parse_float_in(a.prog, float_opts[k].name, v, float_opts[k].lo, float_opts[k].hi,
                                                              float_opts[k].open, &o->f[k]);
            else if (k == N_FLOAT) ex_unknown(&a);
        }
        o->given |= (ex_is(&a, "--rule") ? G_RULE : 0) | (ex_is(&a, "--schedule") ? G_SCHED : 0) | (ex_is(&a, "--arch") ? G_ARCH : 0) |
                    (ex_is(&a, "--batch") ? G_BATCH : 0) | (ex_is(&a, "--seed") ? G_SEED : 0) | (ex_is(&a, "--hparams") ? G_HPARAMS : 0) |
                    (ex_is(&a, "--sgd") || ex_is(&a, "--optimizer") ? G_OPTIM : 0) | (ex_is(&a, "--aux") ? G_AUX : 0) |
                    (ex_is(&a, "--iters") ? G_ITERS : 0) | (ex_is(&a, "--inverse-loss") ? G_INVLOSS : 0) |
                    (ex_is(&a, "--init") ? G_INIT : 0) | (ex_is(&a, "--inverse-optimizer") ? G_IOPTIM : 0) |
                    (ex_is(&a, "--schedule-lr") ? G_LRSCHED : 0) | (ex_is(&a, "--inverse-schedule-lr") ? G_ILRSCHED : 0) |
                    (ex_is(&a, "--warmup") ? G_WARMUP : 0) | (ex_is(&a, "--milestones") ? G_MILESTONES : 0) |
                    (ex_is(&a, "--lr-epochs") ? G_LREPOCHS : 0) | (ex_is(&a, "--lr-tick") ? G_TICK : 0) |
                    (ex_is(&a, "--bias-decay") ? G_BIASDECAY : 0) |
                    (ex_is(&a, "--normalize") || ex_is(&a, "--normalise") || ex_is(&a, "--norm-mean") || ex_is(&a, "--norm-std") ? G_NORM : 0) |
                    (ex_is(&a, "--sigma") || ex_is(&a, "--inverse-lr") || ex_is(&a, "--iters") ? G_LISTS : 0);
    }
    if (a.bad) return 2;
    if (o->normalize == 2 && (o->n_norm[0] != o->n_norm[1] || o->n_norm[0] == 0)) {
        fprintf(stderr, "train: --norm-mean and --norm-std give %d and %d values, expected one per input channel for both\n",
                o->n_norm[0], o->n_norm[1]);
        return 2;
    }
    if (!o->arch) o->arch = !strcmp(o->dataset, "cifar10") ? "cifar-fc" : !strcmp(o->dataset, "imagenet32") ? "imagenet32-vgg" :
                            !strcmp(o->dataset, "imagenet64") ? "imagenet64-vgg" : "mnist-fc";
    o->arch = ex_arch(o->arch, o->arch_buf, sizeof o->arch_buf);
    if (o->ckpt_every && !o->ckpt) { fprintf(stderr, "train: --checkpoint-every needs --checkpoint\n"); return 2; }
    if ((o->log && !ex_output_ok("train", "--log", o->log)) || (o->ckpt && !ex_output_ok("train", "--checkpoint", o->ckpt)) ||
        (o->save && !ex_output_ok("train", "--save", o->save)))
        return 2;
    return -1;
}

/* The field of cfg that float option k sets. */
static float *cfg_float(tp_config *cfg, int k)
{
    float *dst[N_FLOAT] = { &cfg->forward.lr, &cfg->forward.beta1, &cfg->forward.beta2, &cfg->forward.eps, &cfg->inverse.lr,
                            &cfg->inverse.beta1, &cfg->inverse.beta2, &cfg->inverse.eps, &cfg->alpha, &cfg->sigma, &cfg->hybrid,
                            &cfg->forward.decay, &cfg->inverse.decay, &cfg->forward.momentum, &cfg->inverse.momentum,
                            &cfg->forward.l2, &cfg->inverse.l2, &cfg->forward.clip, &cfg->inverse.clip,
                            &cfg->forward.schedule.floor, &cfg->forward.schedule.gamma };
    return dst[k];
}

/* The schedules in epochs, as ticks: the steps per tick (every) come with the data (set_ticks). The feedback's
   schedule takes its own kind and the forward one's shape. */
static void make_schedules(const train_opts *o, tp_config *cfg)
{
    for (int i = 0; i < 2; i++) {
        tp_lr_schedule *s = i ? &cfg->inverse.schedule : &cfg->forward.schedule;
        s->kind = o->lr_sched[i] >= 0 ? (tp_lr_kind)o->lr_sched[i] : TP_LR_CONSTANT;
        s->warmup = o->warmup;
        s->length = o->lr_epochs ? o->lr_epochs : o->epochs - o->warmup > 0 ? o->epochs - o->warmup : 1;
        s->n_milestones = o->n_milestones;
        for (int k = 0; k < o->n_milestones; k++) s->milestones[k] = o->milestones[k];
        if (i) { s->floor = cfg->forward.schedule.floor; s->gamma = cfg->forward.schedule.gamma; }
    }
}

/* Feedback iterations a step takes: the most any layer does. */
static long feedback_iters(const tp_config *cfg, const tp_net *net)
{
    int k = cfg->iters;
    for (int l = 0; l < net->n_layers; l++) k = k > cfg->layer_iters[l] ? k : cfg->layer_iters[l];
    return k;
}

/* Each schedule's steps per tick: a tick is an epoch of that optimiser's steps (the feedback's: cfg iterations
   per batch, twice per forward epoch in the interleaved schedule), or with --lr-tick step one step (the ticks
   then counted in steps). */
static void set_ticks(const train_opts *o, tp_config *cfg, const tp_net *net, int batches)
{
    long k = feedback_iters(cfg, net);
    for (int i = 0; i < 2; i++) {
        tp_lr_schedule *s = i ? &cfg->inverse.schedule : &cfg->forward.schedule;
        long per_epoch = (long)batches * (i ? k * (cfg->schedule == TP_INTERLEAVED ? 2 : 1) : 1);
        if (!o->per_step) { s->every = per_epoch; continue; }
        s->every = 1;
        s->warmup *= per_epoch;
        s->length *= per_epoch;
        for (int m = 0; m < s->n_milestones; m++) s->milestones[m] *= per_epoch;
    }
}

/* The hyperparameters: the preset's row (--hparams), then the command line on top. With warn, a preset
   without a row for a rule and schedule that go together is said to take the library's defaults. The per-layer
   lists need the net: spec. Returns 0 after a message. */
static int make_config(const train_opts *o, const char *spec, int warn, tp_config *out)
{
    tp_config cfg = tp_config_default(o->rule), pair = cfg;
    char err[TP_ERROR_LEN];
    pair.schedule = o->sched;
    if (tp_config_paper(&cfg, o->arch, o->rule, o->sched, o->hparams, err) != TP_OK && tp_preset(o->arch) && warn &&
        tp_config_check(&pair, NULL) == TP_OK)
        fprintf(stderr, "train: %s; using the library defaults\n", err);
    cfg.rule = o->rule;
    cfg.schedule = o->sched;
    cfg.max_batch = o->batch;
    cfg.seed = o->seed;
    if (o->aux >= 0) cfg.n_aux = o->aux;
    if (o->iters > 0) cfg.iters = o->iters;
    if (o->inverse_loss >= 0) cfg.inverse_loss = (tp_inverse_loss)o->inverse_loss;
    if (o->init >= 0) cfg.init = (tp_init)o->init;
    for (int k = 0; k < N_FLOAT; k++) if (!isnan(o->f[k])) *cfg_float(&cfg, k) = o->f[k];
    for (int i = 0; i < 2; i++) {
        tp_optim *p = i ? &cfg.inverse : &cfg.forward;
        if (o->optim[i] >= 0) p->kind = (tp_optimizer)o->optim[i];
        if (p->kind >= TP_MOMENTUM && isnan(o->f[i ? F_IMOM : F_MOM])) p->momentum = 0.9f;   /* torch's usual choice */
        if (o->bias_decay >= 0) p->decay_biases = o->bias_decay;
    }
    make_schedules(o, &cfg);
    if (o->normalize == 2) {
        cfg.norm_channels = o->n_norm[0];
        memcpy(cfg.norm_mean, o->norm[0], sizeof cfg.norm_mean);
        memcpy(cfg.norm_std, o->norm[1], sizeof cfg.norm_std);
    }
    for (int k = 0; k < N_LISTS; k++)
        if (o->n_list[k] > 1 && tp_config_layers(&cfg, spec, (tp_layer_setting)k, o->list[k], o->n_list[k], err) != TP_OK) {
            fprintf(stderr, "train: %s: %s\n", list_opts[k], err);
            return 0;
        }
    *out = cfg;
    return 1;
}

/* Which option given with --resume says otherwise than the checkpoint's configuration have about the optimisers,
   schedules, normalisation and per-layer settings (want: what the options make), or NULL. The schedule's length
   that follows from --epochs is not compared: a resumed run keeps its schedule. */
static const char *recipe_disagrees(unsigned given, const tp_config *want, const tp_config *have)
{
    unsigned h = given & G_HPARAMS;
    for (int i = 0; i < 2; i++) {
        const tp_optim *w = i ? &want->inverse : &want->forward, *v = i ? &have->inverse : &have->forward;
        const tp_lr_schedule *ws = &w->schedule, *vs = &v->schedule;
        int same_ms = ws->n_milestones == vs->n_milestones;
        for (int k = 0; same_ms && k < ws->n_milestones; k++) same_ms = ws->milestones[k] == vs->milestones[k];
        if ((given & (i ? G_IOPTIM : G_OPTIM)) && w->kind != v->kind) return i ? "--inverse-optimizer" : "--optimizer";
        if ((given & (i ? G_ILRSCHED : G_LRSCHED)) && ws->kind != vs->kind) return i ? "--inverse-schedule-lr" : "--schedule-lr";
        if ((given & G_TICK) && ws->every != vs->every) return "--lr-tick";
        if ((given & G_WARMUP) && ws->warmup != vs->warmup) return "--warmup";
        if ((given & G_MILESTONES) && !same_ms) return "--milestones";
        if ((given & G_LREPOCHS) && ws->length != vs->length) return "--lr-epochs";
        if ((given & G_BIASDECAY) && w->decay_biases != v->decay_biases) return "--bias-decay";
    }
    if ((given & G_NORM) && ((want->norm_channels > 0) != (have->norm_channels > 0) ||
                             (want->norm_channels > 0 && (memcmp(want->norm_mean, have->norm_mean, sizeof want->norm_mean) ||
                                                          memcmp(want->norm_std, have->norm_std, sizeof want->norm_std)))))
        return "--normalize";
    if ((given & (G_LISTS | h)) && (memcmp(want->layer_iters, have->layer_iters, sizeof want->layer_iters) ||
                                    memcmp(want->layer_sigma, have->layer_sigma, sizeof want->layer_sigma) ||
                                    memcmp(want->layer_lr, have->layer_lr, sizeof want->layer_lr)))
        return given & G_LISTS ? "--iters, --sigma or --inverse-lr" : "--hparams";
    return NULL;
}

/* On --resume the checkpoint holds the run: an option given with it that says otherwise is refused by name
   (the run's own command line with --resume added, and a larger --epochs, is how to continue it). batches:
   the run's batches per epoch. */
static int resume_agrees(const train_opts *o, const tp_net *net, int batches)
{
    train_opts as = *o;
    tp_config want, have = net->cfg;
    char spec[sizeof net->spec], why[TP_ERROR_LEN];
    const char *bad = NULL;
    unsigned given = o->given;
    if (!(given & G_RULE)) as.rule = have.rule;
    if (!(given & G_SCHED)) as.sched = have.schedule;
    /* --hparams names rows by preset: without --arch they are known only if the net is the default preset's */
    if ((given & G_HPARAMS) && !(given & G_ARCH) &&
        (tp_spec_normalise(o->arch, spec, sizeof spec, NULL) != TP_OK || strcmp(spec, net->spec)))
        given &= ~(unsigned)G_HPARAMS;
    if (o->normalize == 1 && have.norm_channels > 0) {   /* statistics of the same data: the checkpoint's */
        as.normalize = 2;
        as.n_norm[0] = as.n_norm[1] = have.norm_channels;
        memcpy(as.norm[0], have.norm_mean, sizeof as.norm[0]);
        memcpy(as.norm[1], have.norm_std, sizeof as.norm[1]);
    }
    if (!make_config(&as, net->spec, 0, &want)) return 0;
    set_ticks(&as, &want, net, batches);
    if (given & G_RULE && o->rule != have.rule) bad = "--rule";
    else if (given & G_SCHED && o->sched != have.schedule) bad = "--schedule";
    else if (given & G_BATCH && o->batch != have.max_batch) bad = "--batch";
    else if (given & G_SEED && o->seed != have.seed) bad = "--seed";
    else if (given & G_ARCH && (tp_spec_normalise(o->arch, spec, sizeof spec, why) != TP_OK || strcmp(spec, net->spec)))
        bad = "--arch";
    else if ((given & (G_OPTIM | G_HPARAMS)) && want.forward.kind != have.forward.kind) bad = given & G_OPTIM ? "--optimizer" : "--hparams";
    else if ((given & (G_AUX | G_HPARAMS)) && want.n_aux != have.n_aux) bad = given & G_AUX ? "--aux" : "--hparams";
    else if ((given & (G_ITERS | G_HPARAMS)) && want.iters != have.iters) bad = given & G_ITERS ? "--iters" : "--hparams";
    else if ((given & (G_INVLOSS | G_HPARAMS)) && want.inverse_loss != have.inverse_loss)
        bad = given & G_INVLOSS ? "--inverse-loss" : "--hparams";
    else if ((given & (G_INIT | G_HPARAMS)) && want.init != have.init) bad = given & G_INIT ? "--init" : "--hparams";
    else if ((given & G_NORM) && o->normalize == 1 && have.norm_channels == 0) bad = "--normalize";
    else bad = recipe_disagrees(given, &want, &have);
    for (int k = 0; k < N_FLOAT && !bad; k++)
        if ((!isnan(o->f[k]) || given & G_HPARAMS) && *cfg_float(&want, k) != *cfg_float(&have, k))
            bad = !isnan(o->f[k]) ? float_opts[k].name : "--hparams";
    if (!bad) return 1;
    fprintf(stderr, "train: --resume %s: %s says otherwise than the run in the checkpoint (%s, %s, batch %d, seed %llu, lr %g)%s%s; "
            "a resumed run keeps its own settings: leave %s out, or start a new run\n", o->resume, bad, net->spec,
            tp_rule_name(have.rule), have.max_batch, (unsigned long long)have.seed, (double)have.forward.lr,
            o->recipe ? ", which --recipe " : "", o->recipe ? o->recipe : "", bad);
    return 0;
}

/* The data the net trains on; prints why not and returns 0 on failure. */
static int load_data(const train_opts *o, const tp_net *net, tp_dataset *train, tp_dataset *test)
{
    char why[512];
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if (!strcmp(o->dataset, "records") || !strncmp(o->dataset, "imagenet", 8)) {   /* files of records */
        char p[2][4200], dflt[32];
        const char *tr[1] = { p[0] }, *te[1] = { p[1] }, *dir = o->data_dir;
        int own = !strcmp(o->dataset, "records"), side = own ? 0 : atoi(o->dataset + 8), stream = o->stream;
        tp_result (*load)(tp_dataset *, const char *const *, int, int, int, int, int);
        snprintf(dflt, sizeof dflt, "data/%s", own ? "imagenet" : o->dataset);
        if (!dir) dir = dflt;
        snprintf(p[0], sizeof p[0], "%s/train.bin", dir);
        snprintf(p[1], sizeof p[1], "%s/val.bin", dir);
        if (stream < 0) stream = ex_file_bytes(p[0]) > ex_memory_bytes() / 2;
        load = stream ? tp_open_records : tp_load_records;
        if (load(train, tr, 1, own ? net->in_h : side, own ? net->in_w : side, own ? net->in_c : 3, own ? net->n_out : 1000) != TP_OK ||
            load(test, te, 1, own ? net->in_h : side, own ? net->in_w : side, own ? net->in_c : 3, own ? net->n_out : 1000) != TP_OK) {
            fprintf(stderr, "train: %s\n  (%s)\n", train->error[0] ? train->error : test->error,
                    own ? "see the README, \"Data\", for the record format"
                        : "tools/imagenet_records.py converts the downsampled ImageNet files: see the README, \"Data\"");
            return 0;
        }
    } else if (!strcmp(o->dataset, "synthetic")) {
        if (!ex_synthetic(train, net, o->synthetic_n > 0 ? o->synthetic_n : 8 * net->cfg.max_batch, o->seed + 99) ||
            !ex_synthetic(test, net, net->cfg.max_batch < 1024 ? net->cfg.max_batch : 1024, o->seed + 100)) {
            fprintf(stderr, "train: out of memory for the synthetic data\n");
            return 0;
        }
    } else if (!ex_load_data("train", o->dataset, o->data_dir, train, test)) return 0;
    if (!ex_net_fits(net, o->resume ? net->spec : o->arch, train, o->dataset, why, sizeof why)) {
        fprintf(stderr, "train: %s\n", why);
        tp_dataset_free(train);
        tp_dataset_free(test);
        return 0;
    }
    return 1;
}

/* The configuration's data-dependent parts: the normalisation of --normalize (the training split's channel
   statistics) and the schedules' steps per tick. 0 after a message. */
static int settle_config(const train_opts *o, tp_config *cfg, const tp_net *net, tp_dataset *train, int batches)
{
    if (o->normalize == 1) {
        if (train->c > TP_MAX_CHANNELS || tp_dataset_channel_stats(train, cfg->norm_mean, cfg->norm_std) != TP_OK) {
            fprintf(stderr, "train: --normalize: %s\n", train->c > TP_MAX_CHANNELS ? "too many channels" : train->error);
            return 0;
        }
        cfg->norm_channels = train->c;
        for (int k = 0; k < train->c; k++)
            if (!(cfg->norm_std[k] > 0.0f)) {
                fprintf(stderr, "train: --normalize: channel %d of the training data is constant (%g): nothing to scale by\n",
                        k, (double)cfg->norm_mean[k]);
                return 0;
            }
    }
    set_ticks(o, cfg, net, batches);
    return 1;
}

/* The net, new or from --resume with its run record checked against this run; 0 after a message. A new net is
   made twice: once to know its input, which the data is checked against, and once with the configuration the
   data completes (the same weights: the same seed). */
static int open_net(const train_opts *o, tp_net *net, tp_dataset *train, tp_dataset *test, ex_run *run, ex_state *st)
{
    tp_config cfg;
    size_t len = 0;
    char why[400];
    tp_result r;
    int batches;
    if (!o->resume && o->sched != TP_PARALLEL && !tp_rule_info(o->rule)->learned_grads)
        fprintf(stderr, "train: %s learns no feedback, so every epoch of --schedule %s trains its forward weights, as "
                "parallel does\n", tp_rule_name(o->rule), tp_schedule_name(o->sched));
    if (o->resume) {
        if ((r = tp_net_load(net, o->resume, st, sizeof *st, &len)) != TP_OK || len != sizeof *st) {
            if (r == TP_OK || len > sizeof *st)
                fprintf(stderr, "train: --resume %s: its run record (%zu bytes of user data) is not one this version of train "
                        "writes (%zu bytes)\n", o->resume, len, sizeof *st);
            else fprintf(stderr, "train: --resume %s: %s\n", o->resume, net->error);
            if (r == TP_OK) tp_net_destroy(net);
            return 0;
        }
    } else if (!make_config(o, o->arch, 1, &cfg)) {
        return 0;
    } else if ((r = tp_config_check(&cfg, why)) != TP_OK) {   /* the options, not the net: say so */
        fprintf(stderr, "train: the options %s%s%sgive an impossible configuration: %s\n", o->given & G_RULE ? "--rule " : "",
                o->given & G_SCHED ? "--schedule " : "", o->given & G_HPARAMS ? "--hparams " : "", why);
        return 0;
    } else if ((r = tp_net_create(net, o->arch, &cfg)) != TP_OK) {
        fprintf(stderr, "train: --arch %s: %s\n", o->arch, net->error);
        return 0;
    }
    if (!load_data(o, net, train, test)) { tp_net_destroy(net); return 0; }
    ex_run_init(run, train, test, o->epochs, net->cfg.max_batch, o->max_batches, o->threads);
#ifdef TP_MPI
    run->rank = g_rank; run->ranks = g_ranks; run->sum = mpi_sum;
    if (g_ranks > net->cfg.max_batch) {
        fprintf(stderr, "train: %d processes share batches of %d rows: at least a row each is needed\n", g_ranks,
                net->cfg.max_batch);
        tp_net_destroy(net);
        return 0;
    }
#endif
    run->augment = o->augment && (!strcmp(o->dataset, "cifar10") || !strncmp(o->dataset, "imagenet", 8));
    run->watch = 1;
    batches = ex_batches(train, run->batch, run->max_batches);
    if (o->resume && !ex_state_check(st, net, run, why, sizeof why)) {
        fprintf(stderr, "train: --resume %s: the checkpoint's run record is wrong: %s\n", o->resume, why);
    } else if (o->resume && !resume_agrees(o, net, batches)) {
        /* said why */
    } else if (train->n < run->batch) {
        fprintf(stderr, "train: %d training examples, fewer than one batch of %d\n", train->n, run->batch);
    } else if (o->resume) {
        return 1;
    } else if (settle_config(o, &cfg, net, train, batches)) {
        tp_net_destroy(net);
        if ((r = tp_net_create(net, o->arch, &cfg)) == TP_OK) {
            ex_state_init(st, run);
            return 1;
        }
        fprintf(stderr, "train: --arch %s: %s\n", o->arch, net->error);
        tp_dataset_free(train);
        tp_dataset_free(test);
        return 0;
    }
    tp_net_destroy(net);
    tp_dataset_free(train);
    tp_dataset_free(test);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
   The hooks */

typedef struct {
    const train_opts *o;
    tp_dataset *train;
    FILE *log, *bar;            /* bar: the terminal the progress bar is drawn on, or NULL */
    int steps, drawn;
    int failed;                 /* a hook could not write a checkpoint, log or diagnostics (and said so) */
    double bar_t, epoch_t;      /* last redraw; when the epoch's timing started (0: not yet) */
    int epoch_b;                /* the batch it started from */
} train_ctx;

/* The number of the forward epoch under way in st (a feedback-only epoch has the number of the one it
   precedes), and whether it is a feedback-only one (feedback_only may be NULL). */
static int epoch_under_way(const tp_net *net, const ex_state *st, int *feedback_only)
{
    tp_phase phase;
    int epoch;
    ex_epoch_phase(net, st->step - 1, &phase, &epoch);
    if (feedback_only) *feedback_only = phase == TP_PHASE_INVERSE;
    return epoch;
}

static void clear_bar(train_ctx *c)
{
    if (c->drawn) { fputs("\r\033[K", c->bar); fflush(c->bar); c->drawn = 0; }
}

static int save(tp_net *net, const char *opt, const char *path, const ex_state *st)
{
    if (tp_net_save(net, path, st, sizeof *st) == TP_OK) return 1;
    fprintf(stderr, "train: %s %s: %s\n", opt, path, net->error);
    return 0;
}

static int after_batch(void *ctx, tp_net *net, const ex_state *st)
{
    train_ctx *c = (train_ctx *)ctx;
    double now = ex_now(), rate, left;
    int w = 24, fill, feedback_only, epoch;
    if (c->o->ckpt && c->o->ckpt_every && st->batch % c->o->ckpt_every == 0 && !save(net, "--checkpoint", c->o->ckpt, st)) return c->failed = 1;
    if (!c->bar) return 0;
    if (c->epoch_t == 0) { c->epoch_t = now; c->epoch_b = st->batch; return 0; } /* the epoch's first batch here */
    if (now - c->bar_t < 0.25) return 0;
    c->bar_t = now;
    rate = (st->batch - c->epoch_b) / (now - c->epoch_t); /* batches per second */
    left = (st->batches - st->batch) / rate;
    fill = (int)((double)st->batch / st->batches * w);
    epoch = epoch_under_way(net, st, &feedback_only);
    fprintf(c->bar, "\r\033[Kepoch %d/%d%s [%.*s%*s] %3d%%  %.0f ex/s  %.0f s left, run ~%.0f min", epoch, c->o->epochs,
            feedback_only ? " inverse" : "", fill, "########################",
            w - fill, "", 100 * st->batch / st->batches, rate * st->batch_size, left,
            (left + (double)(c->steps - st->step) * st->batches / rate) / 60);
    fflush(c->bar);
    c->drawn = 1;
    return 0;
}

/* train --diagnostics on the epoch's first batch: into *d, and as log columns into extra. */
static int diagnose(train_ctx *c, tp_net *net, const ex_progress *p, tp_diag *d, char *extra, size_t n)
{
    int b = p->state->batch_size, autoenc = net->loss == TP_SQUARED_ERROR;
    float *x = (float *)malloc((size_t)b * net->n_in * sizeof(float));
    float *y = (float *)malloc((size_t)b * (net->n_out > net->n_in ? net->n_out : net->n_in) * sizeof(float));
    tp_result r = !x || !y ? TP_ERROR_NOMEM : tp_dataset_batch(c->train, p->order, b, x, autoenc ? NULL : y);
    size_t o = 0;
    if (r == TP_OK) {
        if (autoenc) memcpy(y, x, (size_t)b * net->n_in * sizeof(float));
        r = tp_diagnose(net, x, y, b, d);
    }
    free(x);
    free(y);
    if (r != TP_OK) { fprintf(stderr, "train: --diagnostics: %s\n", r == TP_ERROR_NOMEM ? "out of memory" : net->error); return 0; }
    for (int l = 0; l < net->n_layers && o < n; l++) o += (size_t)snprintf(extra + o, n - o, ",%.4f", (double)d->angle[l]);
    for (int l = 0; l < net->n_layers && o < n; l++) o += (size_t)snprintf(extra + o, n - o, ",%.6g", (double)d->recon[l]);
    for (int l = 0; l < net->n_layers && o < n; l++) o += (size_t)snprintf(extra + o, n - o, ",%.6g", (double)d->target[l]);
    for (int l = 0; l < net->n_layers && o < n; l++) o += (size_t)snprintf(extra + o, n - o, ",%.4f", (double)d->feedback[l]);
    return 1;
}

/* An optimiser in a few words: "Adam lr 0.001 b1 0.9 b2 0.999 eps 1e-08", then its decays, clipping and schedule. */
static void print_optim(const tp_optim *p, long per_epoch)
{
    static const char *kinds[] = { "Adam", "SGD", "SGD momentum", "SGD Nesterov momentum" };
    const tp_lr_schedule *s = &p->schedule;
    const char *unit = s->every == per_epoch ? "epoch" : s->every <= 1 ? "step" : "tick";
    printf("%s lr %g", kinds[p->kind], (double)p->lr);
    if (p->kind == TP_ADAM) printf(" b1 %g b2 %g eps %g", (double)p->beta1, (double)p->beta2, (double)p->eps);
    else if (p->kind != TP_SGD) printf(" %g", (double)p->momentum);
    if (p->l2 > 0.0f) printf(", L2 %g", (double)p->l2);
    if (p->decay > 0.0f) printf(", decay %g", (double)p->decay);
    if ((p->l2 > 0.0f || p->decay > 0.0f) && !p->decay_biases) printf(" (not the biases)");
    if (p->clip > 0.0f) printf(", gradient norm clipped to %g", (double)p->clip);
    if (s->warmup > 0) printf(", %ld %s%s of warm-up", s->warmup, unit, s->warmup > 1 ? "s" : "");
    if (s->kind == TP_LR_COSINE) printf(", cosine over %ld %ss to %g of it", s->length, unit, (double)s->floor);
    if (s->kind == TP_LR_STEP) {
        printf(", x%g at %s", (double)s->gamma, unit);
        for (int k = 0; k < s->n_milestones; k++) printf("%s%ld", k ? "," : " ", s->milestones[k]);
    }
}

static void print_header(const train_opts *o, const tp_net *net, const tp_dataset *train, const tp_dataset *test, const ex_state *st)
{
    const tp_config *cfg = &net->cfg;
    int feedback_only, epoch = epoch_under_way(net, st, &feedback_only), lists = 0;
    long batches = st->batches;
    if (o->recipe) printf("recipe %s for %s: %s\n", o->recipe, tp_rule_name(cfg->rule), o->recipe_text);
    printf("net    %s\n       %.2f M parameters, %.1f MB, %.2f M multiply-adds per example\n", net->spec,
           (double)(net->n_params + net->n_iparams) / 1e6, (double)tp_net_bytes(net) / 1048576.0, tp_net_macs(net) / 1e6);
    printf("rule   %s, %s, ", tp_rule_name(cfg->rule), tp_schedule_name(cfg->schedule));
    print_optim(&cfg->forward, batches);
    if (tp_rule_info(cfg->rule)->targets || ex_learns_feedback(net))
        printf(", %s alpha %g sigma %g aux %d hybrid %g", cfg->inverse_loss == TP_INVERSE_PRESERVE ? "preserve" : "denoise",
               (double)cfg->alpha, (double)cfg->sigma, tp_rule_info(cfg->rule)->n_aux > 0 ? cfg->n_aux : 0, (double)cfg->hybrid);
    if (cfg->iters > 1) printf(", %d feedback steps per batch", cfg->iters);
    if (cfg->init == TP_INIT_LECUN) printf(", lecun init");
    if (ex_learns_feedback(net) && !(tp_rule_info(cfg->rule)->flags & TP_RULE_WITH_FORWARD)) {
        printf("\nfeedback ");
        print_optim(&cfg->inverse, batches * feedback_iters(cfg, net) * (cfg->schedule == TP_INTERLEAVED ? 2 : 1));
    }
    for (int l = 0; l < net->n_layers; l++) lists |= cfg->layer_iters[l] || cfg->layer_sigma[l] > 0 || cfg->layer_lr[l] > 0;
    if (lists) {
        printf("\nper layer (feedback iterations/sigma/lr; - the single value):");
        for (int l = 0; l < net->n_layers; l++) {
            char it[16] = "-", sg[32] = "-", lr[32] = "-";
            if (!cfg->layer_iters[l] && !(cfg->layer_sigma[l] > 0) && !(cfg->layer_lr[l] > 0)) continue;
            if (cfg->layer_iters[l]) snprintf(it, sizeof it, "%d", cfg->layer_iters[l]);
            if (cfg->layer_sigma[l] > 0) snprintf(sg, sizeof sg, "%g", (double)cfg->layer_sigma[l]);
            if (cfg->layer_lr[l] > 0) snprintf(lr, sizeof lr, "%g", (double)cfg->layer_lr[l]);
            printf(" %d: %s/%s/%s", l + 1, it, sg, lr);
        }
    }
    if (cfg->norm_channels > 0) {
        printf("\ninput  normalised per channel, mean");
        for (int k = 0; k < cfg->norm_channels && k < 4; k++) printf(" %.4g", (double)cfg->norm_mean[k]);
        printf("%s std", cfg->norm_channels > 4 ? " ..." : "");
        for (int k = 0; k < cfg->norm_channels && k < 4; k++) printf(" %.4g", (double)cfg->norm_std[k]);
        if (cfg->norm_channels > 4) printf(" ...");
    }
    printf("\ndata   %s: %d training, %d test examples; batch %d, ", o->dataset, train->n, test->n, cfg->max_batch);
    if (o->threads) printf("%d thread%s\n", o->threads, o->threads > 1 ? "s" : "");
    else printf("threads auto (1 to %d, the fastest by timing)\n", ex_cpus());
    if (o->resume) printf("resume %s: epoch %d%s, batch %d of %d\n", o->resume, epoch, feedback_only ? " (inverse)" : "", st->batch,
                          st->batches);
    fflush(stdout);
}

static int after_epoch(void *ctx, tp_net *net, const ex_progress *p)
{
    train_ctx *c = (train_ctx *)ctx;
    const ex_state *st = p->state;
    char extra[4096] = "";
    tp_diag d;
    clear_bar(c);
    c->epoch_t = 0;
    if (c->o->diagnostics && !diagnose(c, net, p, &d, extra, sizeof extra)) return c->failed = 1;
    if (!c->o->quiet) {
        if (p->inverse_only)
            printf("epoch %3d inverse  loss %.4f train %6.2f%%  inverse weights only (no new test error)  %6.1fs %8.0f ex/s  inverse %.4f\n",
                   p->epoch, p->train.loss, 100 * p->train.error, p->elapsed, ex_rate(&p->train), p->train.inverse_loss);
        else {
            printf("epoch %3d %-8s loss %.4f train %6.2f%% test %6.2f%% best %6.2f%%  %6.1fs %8.0f ex/s", p->epoch, p->phase,
                   p->train.loss, 100 * p->train.error, 100 * p->test_error, 100 * p->best, p->elapsed, ex_rate(&p->train));
            if (ex_learns_feedback(net)) printf("  inverse %.4f", p->train.inverse_loss);
            printf("\n");
        }
        if (c->o->diagnostics) {
            printf("          angle to BP (deg):");
            for (int l = 0; l < net->n_layers; l++) printf(" %.1f", (double)d.angle[l]);
            printf("\n");
            if (tp_rule_info(net->cfg.rule)->targets) {
                printf("          ||h - target||^2 / n:");
                for (int l = 0; l + 1 < net->n_layers; l++) printf(" %.3g", (double)d.target[l]);
                printf("\n");
            }
            if (d.feedback[net->n_layers - 1] >= 0.0f) {
                printf("          feedback to W (deg):");
                for (int l = 0; l < net->n_layers; l++)
                    if (d.feedback[l] >= 0.0f) printf(" %.1f", (double)d.feedback[l]); else printf(" -");
                printf("\n");
            }
        }
        fflush(stdout);
    }
    if (c->log && !ex_log_row(c->log, p, extra)) {
        fprintf(stderr, "train: --log %s: cannot write: %s\n", c->o->log, strerror(errno));
        return c->failed = 1;
    }
    if (c->o->ckpt && !save(net, "--checkpoint", c->o->ckpt, st)) return c->failed = 1;
    return 0;
}

/* ---------------------------------------------------------------------------------------------
   Main */

static int train_main(int argc, char **argv)
{
    train_opts o;
    tp_net net;
    tp_dataset train, test;
    ex_run run;
    ex_state st;
    train_ctx c;
    char header[4096];
    tp_result r;
    int code = parse_args(argc, argv, &o);
    if (code >= 0) return code;
    if (g_rank > 0) { o.quiet = 1; o.log = o.ckpt = o.save = NULL; }   /* rank 0 speaks and writes for the run */
    if (!open_net(&o, &net, &train, &test, &run, &st)) return 1;

    memset(&c, 0, sizeof c);
    c.o = &o;
    c.train = &train;
    c.steps = ex_steps(&net, o.epochs);
    c.bar = o.quiet ? NULL : isatty(2) ? stderr : isatty(1) ? stdout : NULL;
    ex_log_columns(header, sizeof header, o.diagnostics ? net.n_layers : 0);
    if (o.log && !(c.log = ex_log_open("train", o.log, header, o.resume ? st.step - 1 : -1, &net))) return 1;
    run.after_epoch = after_epoch;
    run.after_batch = after_batch;
    run.ctx = &c;
    if (!o.quiet) print_header(&o, &net, &train, &test, &st);

    r = ex_train(&net, &run, &st);
    clear_bar(&c);
    if (c.log && fclose(c.log) != 0 && r == TP_OK) { fprintf(stderr, "train: --log %s: cannot write\n", o.log); r = TP_ERROR_IO; }
    if (r != TP_OK) fprintf(stderr, "train: epoch %d, batch %d: %s%s%s%s%s\n", epoch_under_way(&net, &st, NULL), st.batch,
                            r == TP_ERROR_DIVERGED ? "" : tp_result_string(r), r == TP_ERROR_DIVERGED ? "" : ": ", net.error,
                            o.ckpt ? "; the checkpoint written before is kept: " : "", o.ckpt ? o.ckpt : "");
    else if (c.failed || st.step <= c.steps) r = TP_ERROR_IO; /* a hook stopped the run after its message (at the last
                                                                 epoch too: its checkpoint or log row is missing) */
    else if (o.save && !save(&net, "--save", o.save, &st)) r = TP_ERROR_IO;
    else if (!o.quiet) {
        printf("best test error %.2f%%\n", 100.0 * st.best);
        if (o.log) printf("log:        %s\n", o.log);
        if (o.ckpt) printf("checkpoint: %s (continue with --resume %s and a larger --epochs)\n", o.ckpt, o.ckpt);
        if (o.save) printf("saved:      %s\n", o.save);
    }
    tp_dataset_free(&train);
    tp_dataset_free(&test);
    tp_net_destroy(&net);
    return r == TP_OK ? 0 : r == TP_ERROR_DIVERGED ? 3 : 1;
}

#ifdef TP_MPI
/* The processes' sum of buf, in place, in pieces MPI's int count holds. */
static int mpi_sum(void *ctx, float *buf, size_t n)
{
    (void)ctx;
    for (size_t at = 0; at < n;) {
        int k = n - at > (size_t)1 << 30 ? 1 << 30 : (int)(n - at);
        if (MPI_Allreduce(MPI_IN_PLACE, buf + at, k, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS) return 1;
        at += (size_t)k;
    }
    return 0;
}

/* Every process runs train_main; a process that fails takes the job down (the others would wait for it
   in a sum), with a non-zero status and rank 0's last checkpoint intact. */
int main(int argc, char **argv)
{
    int provided = 0, code;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_ranks);
    if (g_rank > 0 && !freopen("/dev/null", "w", stdout)) return 1;
    code = train_main(argc, argv);
    if (code != 0) {
        fprintf(stderr, "train: process %d of %d stops the run (exit status %d)\n", g_rank, g_ranks, code);
        fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, code);
    }
    MPI_Finalize();
    return 0;
}
#else
int main(int argc, char **argv) { return train_main(argc, argv); }
#endif
