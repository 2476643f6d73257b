/* ckpt-edit: rewrite one field of a checkpoint written by train (or search) and recompute its CRC-32, so
   that the checkpoint is intact as a file but says something wrong: what tests/examples.sh feeds
   train --resume to see it refused. The run record is found by its magic, "tp-run1". Fields: the run record's (run.h's ex_state) step, batch,
   batches, batch_size, wrong, loss, inv, best, start, low, seen, magic; and the config's max_batch.
     ckpt-edit FILE FIELD VALUE
   The checkpoint format is documented in targetprop.h, section 11. */
#define _POSIX_C_SOURCE 200809L
#define TARGETPROP_IMPLEMENTATION
#include "targetprop.h"
#include "../examples/run.h"

#include <stddef.h>

static uint32_t get32(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static void put32(unsigned char *p, uint32_t v) { for (int k = 0; k < 4; k++) p[k] = (unsigned char)(v >> 8 * k); }

int main(int argc, char **argv)
{
    static const struct { const char *name; size_t off; char type; } fields[] = {
        {"step", offsetof(ex_state, step), 'i'}, {"batch", offsetof(ex_state, batch), 'i'},
        {"batches", offsetof(ex_state, batches), 'i'}, {"batch_size", offsetof(ex_state, batch_size), 'i'},
        {"wrong", offsetof(ex_state, wrong), 'l'}, {"loss", offsetof(ex_state, loss), 'd'},
        {"inv", offsetof(ex_state, inv), 'd'}, {"best", offsetof(ex_state, best), 'd'},
        {"start", offsetof(ex_state, start), 'd'}, {"low", offsetof(ex_state, low), 'd'},
        {"seen", offsetof(ex_state, seen), 'l'}, {"magic", offsetof(ex_state, magic), 's'},
    };
    FILE *f;
    unsigned char *b;
    long n;
    size_t spec_len, cfg, user, k;
    if (argc != 4) { fprintf(stderr, "usage: ckpt-edit FILE FIELD VALUE\n"); return 2; }
    if (!(f = fopen(argv[1], "rb")) || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 200 || fseek(f, 0, SEEK_SET) ||
        !(b = (unsigned char *)malloc((size_t)n)) || fread(b, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "ckpt-edit: %s: cannot read\n", argv[1]);
        return 1;
    }
    fclose(f);
    spec_len = get32(b + 8);
    cfg = 12 + spec_len;                  /* rule, schedule, inverse_loss | alpha, sigma, hybrid | n_aux, max_batch */
    for (user = cfg; user + 8 <= (size_t)n && memcmp(b + user, "tp-run1", 8); user++) {} /* the run record */
    if (memcmp(b, "TPCK", 4) || cfg + 32 > (size_t)n) { fprintf(stderr, "ckpt-edit: %s: not a checkpoint\n", argv[1]); return 1; }
    if (!strcmp(argv[2], "max_batch")) put32(b + cfg + 28, (uint32_t)strtoul(argv[3], NULL, 10));
    else {
        for (k = 0; k < sizeof fields / sizeof fields[0] && strcmp(argv[2], fields[k].name); k++) {}
        if (k == sizeof fields / sizeof fields[0] || user + sizeof(ex_state) > (size_t)n) {
            fprintf(stderr, "ckpt-edit: no field %s\n", argv[2]);
            return 2;
        }
        unsigned char *p = b + user + fields[k].off;
        if (fields[k].type == 'i') { int32_t v = (int32_t)strtol(argv[3], NULL, 10); memcpy(p, &v, 4); }
        else if (fields[k].type == 'l') { int64_t v = strtoll(argv[3], NULL, 10); memcpy(p, &v, 8); }
        else if (fields[k].type == 'd') { double v = strtod(argv[3], NULL); memcpy(p, &v, 8); }
        else strncpy((char *)p, argv[3], 8);
    }
    put32(b + n - 4, tp_crc32(0, b, (size_t)n - 4));
    if (!(f = fopen(argv[1], "wb")) || fwrite(b, 1, (size_t)n, f) != (size_t)n || fclose(f)) {
        fprintf(stderr, "ckpt-edit: %s: cannot write\n", argv[1]);
        return 1;
    }
    free(b);
    return 0;
}
