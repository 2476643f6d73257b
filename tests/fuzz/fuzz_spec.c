/* tests/fuzz/fuzz_spec.c - libFuzzer harness for the network spec parser, tp_net_create.

   Input: one option byte, then the spec (or a preset name) as text; a NUL ends it early.
   The option byte o picks cfg.rule = o % 6, for AO-SDTP n_aux = 1 + (o / 6) % 3, and
   max_batch = 1 + (o / 18) % 2. Allocations are capped (fuzz_common.h), so a spec too big
   for the cap must come back as TP_ERROR_NOMEM.

   On success the normalised spec the net records (net.spec, what tp_net_save stores) must
   build the same net again, and small nets take a training step, the diagnostic and an
   evaluation (tpfuzz_exercise). Build and run: tests/fuzz/run.sh. */
#include "fuzz_common.h"

static int tpfuzz_spec(const uint8_t *data, size_t size)
{
    tp_net net, again;
    tp_config cfg;
    tp_result r;
    char *spec;
    unsigned o;
    if (size < 1) return 0;
    o = data[0];
    cfg = tp_config_default((tp_rule)(o % 6));
    cfg.n_aux = cfg.rule == TP_AOSDTP ? 1 + (int)(o / 6) % 3 : 0;
    cfg.max_batch = 1 + (int)(o / 18) % 2;
    spec = (char *)malloc(size);
    memcpy(spec, data + 1, size - 1);
    spec[size - 1] = 0;
    r = tp_net_create(&net, spec, &cfg);
    TPFUZZ_CHECK(r == TP_OK || r == TP_ERROR_SPEC || r == TP_ERROR_NOMEM, "tp_net_create returned %d (%s)",
                 (int)r, net.error);
    if (r != TP_OK) {
        TPFUZZ_CHECK(net.params == NULL && net.work == NULL && net.error[0], "failed create left memory or no error");
        free(spec);
        return 0;
    }
    TPFUZZ_CHECK(net.n_layers >= 1 && net.n_layers <= TP_MAX_LAYERS && net.n_in >= 1 && net.n_out >= 1,
                 "%d layers, %d inputs, %d outputs", net.n_layers, net.n_in, net.n_out);
    for (int l = 0; l < net.n_layers; l++) {
        const tp_layer *ly = &net.layers[l];
        TPFUZZ_CHECK(ly->n_in == (l ? net.layers[l - 1].n_out : net.n_in) &&
                     (long long)ly->n_in == (long long)ly->in_h * ly->in_w * ly->in_c &&
                     (long long)ly->n_out == (long long)ly->out_h * ly->out_w * ly->out_c,
                     "layer %d: shapes %dx%dx%d=%d -> %dx%dx%d=%d", l + 1, ly->in_h, ly->in_w, ly->in_c, ly->n_in,
                     ly->out_h, ly->out_w, ly->out_c, ly->n_out);
    }
    r = tp_net_create(&again, net.spec, &cfg);
    TPFUZZ_CHECK(r == TP_OK || r == TP_ERROR_NOMEM, "the normalised spec \"%s\" of \"%s\" does not build: %s",
                 net.spec, spec, again.error);
    if (r == TP_OK) {
        TPFUZZ_CHECK(strcmp(again.spec, net.spec) == 0 && again.n_layers == net.n_layers &&
                     again.n_params == net.n_params && again.n_iparams == net.n_iparams &&
                     again.n_fixed == net.n_fixed && again.loss == net.loss,
                     "spec \"%s\" normalised to \"%s\", which builds \"%s\"", spec, net.spec, again.spec);
        tp_net_destroy(&again);
    }
    tpfuzz_exercise(&net, o);
    tp_net_destroy(&net);
    free(spec);
    return 0;
}

#ifndef TPFUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return tpfuzz_spec(data, size); }
#endif
