/* tests/extra-rule.c - a rule added from outside the header, through the documented steps
   alone (targetprop.h, HOW TO ADD A RULE): "signbp", backprop whose every gradient entry is
   replaced by its sign. The program defines the rule's functions over the public building
   blocks, describes it in TP_EXTRA_RULES, and then uses it as any other rule: by name,
   through tp_train_step, tp_diagnose, tp_step_macs and a checkpoint.

     cc -O2 -Wall -Wextra -I. tests/extra-rule.c -o /tmp/extra-rule -lm && /tmp/extra-rule */
#include "targetprop.h"
#include <stdio.h>
#include <string.h>

/* 1. its functions */
static void signbp_grads(tp_net *net, const float *y, int batch)
{
    tp_rule_bp(net, y, batch);
    for (size_t i = 0; i < net->n_params; i++)
        net->grads[i] = (float)((net->grads[i] > 0.0f) - (net->grads[i] < 0.0f));
}

static void signbp_cost(const tp_net *net, int l, tp_cost *c)   /* BP's: the error through A^T of layers L..2 */
{
    const tp_layer *ly = &net->layers[l - 1];
    if (l > 1) c->prop = tp_layer_macs(ly, ly->out_c);
}

/* 2 and 3. its row, every field named (C99; a field left out is 0 or NULL): no fixed or learned feedback,
   so no learned_grads; no targets; no flags */
#define TP_EXTRA_RULES                                                              \
    {.name = "signbp",                                                              \
     .summary = "backprop's gradient signs",                                        \
     .fixed = {TP_SHAPE_NONE, 0, 0},                                                \
     .learned = {TP_SHAPE_NONE, 0, 0},                                              \
     .inverse_loss = TP_INVERSE_DENOISE,                                            \
     .n_aux = 0,                                                                    \
     .decay = 0.0f,                                                                 \
     .iters = 1,                                                                    \
     .flags = 0,                                                                    \
     .grads = signbp_grads,                                                         \
     .learned_grads = NULL,                                                         \
     .targets = NULL,                                                               \
     .cost = signbp_cost},
#define TARGETPROP_IMPLEMENTATION
#include "targetprop.h"

static int passed, failed;
#define CHECK(cond, ...) do { if (cond) passed++; else { failed++; printf("FAIL line %d: ", __LINE__); \
                              printf(__VA_ARGS__); printf("\n"); } } while (0)

int main(void)
{
    tp_rule r;
    char why[TP_ERROR_LEN];
    tp_config cfg, bcfg;
    tp_net net, bp, back;
    tp_diag d;
    tp_cost cost[TP_MAX_LAYERS], bcost[TP_MAX_LAYERS];
    float x[8 * 5], y[8 * 3];
    const char *path = "/tmp/tp-extra-rule.ckpt";

    CHECK(tp_rule_count() == TP_RULE_USER + 1, "rule count %d", tp_rule_count());
    CHECK(tp_rule_parse("SignBP", &r, why) == TP_OK && r == TP_RULE_USER, "parse: %s", why);
    {   /* the list ends with it, after the last built-in rule, whichever that is */
        char tail[64];
        size_t n;
        snprintf(tail, sizeof tail, "%s, signbp", tp_rule_name((tp_rule)(TP_RULE_USER - 1)));
        n = strlen(tp_rule_list(why, sizeof why));
        CHECK(strcmp(tp_rule_name(TP_RULE_USER), "signbp") == 0 && n >= strlen(tail) && !strcmp(why + n - strlen(tail), tail),
              "names: %s", why);
    }
    CHECK(tp_rule_info(TP_RULE_USER) && tp_rule_info(TP_RULE_USER)->grads == signbp_grads, "tp_rule_info");

    cfg = tp_config_default(TP_RULE_USER);
    bcfg = tp_config_default(TP_BP);
    cfg.max_batch = bcfg.max_batch = 8;
    if (tp_net_create(&net, "5 fc7 fc6 fc3", &cfg) != TP_OK || tp_net_create(&bp, "5 fc7 fc6 fc3", &bcfg) != TP_OK) {
        printf("FAIL create: %s %s\n1 passed, 1 failed\n", net.error, bp.error);
        return 1;
    }
    for (int i = 0; i < 8 * 5; i++) x[i] = (float)((i * 37) % 11) / 11.0f - 0.5f;
    for (int b = 0; b < 8; b++) for (int j = 0; j < 3; j++) y[b * 3 + j] = (float)(j == b % 3);

    /* its gradients are the signs of BP's, from the same weights */
    CHECK(memcmp(net.params, bp.params, net.n_params * sizeof(float)) == 0, "the two nets start apart");
    CHECK(tp_gradients(&net, x, y, 8, TP_PHASE_BOTH, NULL) == TP_OK && tp_gradients(&bp, x, y, 8, TP_PHASE_BOTH, NULL) == TP_OK,
          "gradients: %s %s", net.error, bp.error);
    {
        int bad = 0;
        for (size_t i = 0; i < net.n_params; i++) bad += net.grads[i] != (float)((bp.grads[i] > 0) - (bp.grads[i] < 0));
        CHECK(bad == 0, "%d gradients are not BP's signs", bad);
    }
    /* the diagnostics compare it with BP: acute angles, no inverses, no targets */
    CHECK(tp_diagnose(&net, x, y, 8, &d) == TP_OK, "diagnose: %s", net.error);
    for (int l = 0; l < 3; l++)
        CHECK(d.angle[l] > 0.0f && d.angle[l] < 60.0f && d.recon[l] == -1.0f && d.target[l] == -1.0f,
              "layer %d: angle %g recon %g target %g", l + 1, (double)d.angle[l], (double)d.recon[l], (double)d.target[l]);
    /* its cost is BP's */
    CHECK(tp_step_macs(&net, cost) == tp_step_macs(&bp, bcost) && cost[1].prop == bcost[1].prop && cost[0].prop == 0.0,
          "cost %g vs BP %g", tp_step_macs(&net, cost), tp_step_macs(&bp, bcost));
    /* it trains, and a checkpoint keeps it */
    {
        tp_stats first, last;
        tp_result res = tp_train_step(&net, x, y, 8, TP_PHASE_BOTH, &first);
        for (int s = 0; s < 300 && res == TP_OK; s++) res = tp_train_step(&net, x, y, 8, TP_PHASE_BOTH, &last);
        CHECK(res == TP_OK && last.loss < 0.7 * first.loss, "training: %s, loss %g then %g", net.error, first.loss, last.loss);
    }
    CHECK(tp_net_save(&net, path, NULL, 0) == TP_OK, "save: %s", net.error);
    CHECK(tp_net_load(&back, path, NULL, 0, NULL) == TP_OK && back.cfg.rule == TP_RULE_USER &&
          memcmp(back.params, net.params, net.n_params * sizeof(float)) == 0, "load: %s", back.error);
    remove(path);
    tp_net_destroy(&back);
    tp_net_destroy(&net);
    tp_net_destroy(&bp);
    printf("extra-rule: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
