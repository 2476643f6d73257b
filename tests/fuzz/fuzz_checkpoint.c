/* tests/fuzz/fuzz_checkpoint.c - libFuzzer harness for tp_net_load.

   Input: a checkpoint file. It is loaded as it is; when its last four bytes are not the
   CRC-32 of the rest (almost every mutation), it is loaded a second time with that CRC
   written in, so the fuzzer gets past the checksum into the fields behind it.

   On success: the net is saved (with the user blob it came with), loaded and saved again;
   the two saves must be byte-identical, and identical to the input when the input's spec
   is already the normalised one (as tp_net_save writes it). Small nets then take a
   training step (tpfuzz_exercise) from the loaded state.

   tp_net_load builds the net from the stored spec with tp_net_create, so a huge spec is a
   huge allocation: fuzz_common.h caps TP_MALLOC. Build and run: tests/fuzz/run.sh. */
#include "fuzz_common.h"

#define TPFUZZ_USER_CAP 65536

static uint32_t tpfuzz_crc32(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xffffffffu;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static uint32_t tpfuzz_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void tpfuzz_loaded(tp_net *net, const uint8_t *file, size_t size, const uint8_t *user, size_t ulen)
{
    tp_net again;
    tp_result r;
    size_t n2 = 0, n3 = 0, ulen2 = 0;
    uint8_t *b2, *b3, *user2 = (uint8_t *)malloc(TPFUZZ_USER_CAP);
    const char *p2 = tpfuzz_path("save2.tpck"), *p3 = tpfuzz_path("save3.tpck");
    TPFUZZ_CHECK(net->params && net->n_layers >= 1, "loaded net has no parameters");
    r = tp_net_save(net, p2, user, ulen);
    TPFUZZ_CHECK(r == TP_OK, "tp_net_save of a loaded net returned %d (%s)", (int)r, net->error);
    r = tp_net_load(&again, p2, user2, TPFUZZ_USER_CAP, &ulen2);
    TPFUZZ_CHECK(r == TP_OK || r == TP_ERROR_NOMEM, "reloading a saved net returned %d (%s); spec \"%s\"", (int)r,
                 again.error, net->spec);
    if (r == TP_OK) {
        TPFUZZ_CHECK(ulen2 == ulen && (ulen == 0 || memcmp(user, user2, ulen) == 0), "user blob changed");
        r = tp_net_save(&again, p3, user2, ulen2);
        TPFUZZ_CHECK(r == TP_OK, "second tp_net_save returned %d (%s)", (int)r, again.error);
        b2 = tpfuzz_read(p2, &n2);
        b3 = tpfuzz_read(p3, &n3);
        TPFUZZ_CHECK(b2 && b3 && n2 == n3 && memcmp(b2, b3, n2) == 0, "save, load, save: %zu and %zu bytes differ",
                     n2, n3);
        {   /* the input's spec: u32 at 8, text at 12 (the load succeeded, so it is there); a file of
               an older version is saved in the current one */
            uint32_t slen = tpfuzz_le32(file + 8);
            if (tpfuzz_le32(file + 4) == TP_CHECKPOINT_VERSION && slen == strlen(net->spec) &&
                memcmp(file + 12, net->spec, slen) == 0)
                TPFUZZ_CHECK(n2 == size && memcmp(b2, file, size) == 0, "load then save changed the file "
                             "(%zu bytes in, %zu out)", size, n2);
        }
        free(b2);
        free(b3);
        tp_net_destroy(&again);
    }
    free(user2);
}

static int tpfuzz_checkpoint(const uint8_t *data, size_t size)
{
    tp_net net;
    tp_result r;
    size_t ulen = 0;
    uint8_t *user = (uint8_t *)malloc(TPFUZZ_USER_CAP), *fixed = NULL;
    const uint8_t *file = data;
    const char *path = tpfuzz_write("in.tpck", data, size);
    r = tp_net_load(&net, path, user, TPFUZZ_USER_CAP, &ulen);
    if (r != TP_OK && size >= 12 && tpfuzz_crc32(data, size - 4) != tpfuzz_le32(data + size - 4)) {
        uint32_t crc;
        TPFUZZ_CHECK(r == TP_ERROR_FORMAT, "bad CRC gave %d, expected TP_ERROR_FORMAT (%s)", (int)r, net.error);
        fixed = (uint8_t *)malloc(size);
        memcpy(fixed, data, size);
        crc = tpfuzz_crc32(fixed, size - 4);
        for (int i = 0; i < 4; i++) fixed[size - 4 + i] = (uint8_t)(crc >> (8 * i));
        file = fixed;
        path = tpfuzz_write("in.tpck", fixed, size);
        r = tp_net_load(&net, path, user, TPFUZZ_USER_CAP, &ulen);
    }
    TPFUZZ_CHECK(r == TP_OK || r == TP_ERROR_FORMAT || r == TP_ERROR_NOMEM || (r == TP_ERROR_ARGUMENT && ulen > TPFUZZ_USER_CAP),
                 "tp_net_load returned %d (%s), user blob %zu bytes", (int)r, net.error, ulen);
    if (r == TP_OK) {
        TPFUZZ_CHECK(ulen <= TPFUZZ_USER_CAP, "user blob of %zu bytes in a %d-byte buffer", ulen, TPFUZZ_USER_CAP);
        tpfuzz_loaded(&net, file, size, user, ulen);
        tpfuzz_exercise(&net, size);
        tp_net_destroy(&net);
    } else {
        TPFUZZ_CHECK(net.params == NULL && net.work == NULL && net.error[0], "failed load left memory or no error");
    }
    free(fixed);
    free(user);
    return 0;
}

#ifndef TPFUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return tpfuzz_checkpoint(data, size); }
#endif
