/* csvlog.h: the CSV files of the example programs; not part of the library.
     ex_csv_line, ex_csv_split, ex_csv_column   reading them: lines, fields, columns by name
     ex_log_columns, ex_log_row, ex_log_open    the log of train --log and of search's trials (one row per
                          epoch, which plot reads), rewritten atomically to match a checkpoint on resume
     ex_flushed           whether what was written to a file so far reached it
   Include it after targetprop.h (run.h and cli.h come with it). */
#ifndef EXAMPLES_CSVLOG_H
#define EXAMPLES_CSVLOG_H

#include "run.h"

/* Flushes f and says whether everything written to it so far reached the file. */
EX_FN int ex_flushed(FILE *f) { return fflush(f) == 0 && !ferror(f); }

/* ---------------------------------------------------------------------------------------------
   Reading */

/* One line into buf, without the line ending. Returns 1 for a line, 0 at end of file (an unterminated
   last line is ignored: the file may still be being written), -1 if too long, -2 on a read error. */
EX_FN int ex_csv_line(FILE *f, char *buf, size_t size, size_t *len)
{
    size_t n = 0;
    int c;
    while ((c = getc(f)) != EOF && c != '\n') {
        if (n + 1 >= size) return -1;
        buf[n++] = (char)c;
    }
    if (c == EOF) return ferror(f) ? -2 : 0;
    if (n > 0 && buf[n - 1] == '\r') n--;
    buf[n] = '\0';
    *len = n;
    return 1;
}

EX_FN char *ex__trim(char *s)
{
    char *e = s + strlen(s);
    while (isspace((unsigned char)*s)) s++;
    while (e > s && isspace((unsigned char)e[-1])) e--;
    *e = '\0';
    return s;
}

/* Splits line at commas in place and trims each field; returns the number of fields, -1 if more than max. */
EX_FN int ex_csv_split(char *line, char **fields, int max)
{
    int n = 0;
    for (char *p = line;;) {
        char *c;
        if (n == max) return -1;
        c = strchr(p, ',');
        if (c) *c = '\0';
        fields[n++] = ex__trim(p);
        if (!c) return n;
        p = c + 1;
    }
}

EX_FN int ex_csv_column(char **fields, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(fields[i], name)) return i;
    return -1;
}

/* ---------------------------------------------------------------------------------------------
   The CSV log of train --log and of search's trials: one row per epoch, which plot reads. The epoch column
   counts forward epochs; in the alternating and interleaved schedules each forward or parallel epoch's row
   follows a row of phase "inverse" (a feedback-only epoch) with the same number, whose test_error and
   best_test_error are empty (the forward weights did not change: there is no new test error to report). */

EX_FN void ex_log_columns(char *buf, size_t n, int diag_layers)
{
    size_t o = (size_t)snprintf(buf, n, "epoch,train_loss,train_error,test_error,best_test_error,seconds,examples_per_s,phase,inverse_loss");
    static const char *diag[4] = { "angle", "recon", "target", "feedback" };
    for (int k = 0; k < 4; k++)
        for (int l = 1; l <= diag_layers && o < n; l++) o += (size_t)snprintf(buf + o, n - o, ",%s_%d", diag[k], l);
}

/* One row, with extra (starting with a comma, or "") appended; returns 0 if it could not be written. */
EX_FN int ex_log_row(FILE *f, const ex_progress *p, const char *extra)
{
    double rate = ex_rate(&p->train);
    if (p->inverse_only)
        fprintf(f, "%d,%.6f,%.6f,,,%.3f,%.1f,%s,%.6f%s\n", p->epoch, p->train.loss, p->train.error, p->elapsed,
                rate, p->phase, p->train.inverse_loss, extra);
    else
        fprintf(f, "%d,%.6f,%.6f,%.6f,%.6f,%.3f,%.1f,%s,%.6f%s\n", p->epoch, p->train.loss, p->train.error, p->test_error,
                p->best, p->elapsed, rate, p->phase, p->train.inverse_loss, extra);
    return ex_flushed(f);
}

/* Opens the log at path for appending rows, with header as its first line. A new run (rows < 0) starts it
   afresh. A run resumed after `rows` epochs keeps the header and the first `rows` rows, written to path.tmp
   and renamed over path (a crash leaves the old log or the new one); a log that is missing gets the header
   alone. A log whose header differs, or with fewer than `rows` complete rows, or rows out of sequence (a
   rewrite cut short, another run's log) is refused. Prints "prog: path: why" and returns NULL on failure. */
EX_FN FILE *ex_log_open(const char *prog, const char *path, const char *header, int rows, const tp_net *net)
{
    static char line[1 << 16];
    char tmp[4200], file[4096], why[TP_ERROR_LEN];
    size_t len;
    int have = 0, r = 1;
    FILE *in, *out;
    struct stat sb;
    if (rows < 0 || !(in = fopen(path, "r"))) {
        if (rows >= 0 && errno != ENOENT) { fprintf(stderr, "%s: %s: cannot read: %s\n", prog, path, strerror(errno)); return NULL; }
        if (!(out = fopen(path, "w")) || fprintf(out, "%s\n", header) < 0 || !ex_flushed(out)) {
            fprintf(stderr, "%s: %s: cannot write: %s\n", prog, path, strerror(errno));
            if (out) fclose(out);
            return NULL;
        }
        return out;
    }
    if (fstat(fileno(in), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fprintf(stderr, "%s: %s: not a regular file, so it cannot be rewritten to match the checkpoint\n", prog, path);
        fclose(in);
        return NULL;
    }
    if (ex_csv_line(in, line, sizeof line, &len) != 1 || strcmp(line, header)) {
        fprintf(stderr, "%s: %s: its header is not this run's columns (%s)\n", prog, path, header);
        fclose(in);
        return NULL;
    }
    if (tp_output_path(path, file, sizeof file, why) != TP_OK) { /* a link: rewrite the file it points to */
        fprintf(stderr, "%s: %s\n", prog, why);
        fclose(in);
        return NULL;
    }
    path = file;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!(out = fopen(tmp, "w"))) {
        fprintf(stderr, "%s: %s: cannot write: %s\n", prog, tmp, strerror(errno));
        fclose(in);
        return NULL;
    }
    fprintf(out, "%s\n", header);
    while (have < rows && (r = ex_csv_line(in, line, sizeof line, &len)) == 1) {
        char *comma = strchr(line, ','), want[32];
        long long e;
        int epoch;
        const char *phase = ex_epoch_phase(net, have, NULL, &epoch);
        snprintf(want, sizeof want, ",%s,", phase);
        if (comma) *comma = '\0';
        if (!comma || !ex_integer(line, &e) || e != epoch || !strstr(comma + 1, want)) {
            fprintf(stderr, "%s: %s:%d: expected the row of epoch %d, phase %s: the log is not this run's\n", prog, path,
                    have + 2, epoch, phase);
            fclose(in); fclose(out); remove(tmp);
            return NULL;
        }
        *comma = ',';
        fprintf(out, "%s\n", line);
        have++;
    }
    fclose(in);
    if (have < rows) {
        fprintf(stderr, "%s: %s: %s after %d of the %d rows the checkpoint has run (cut short?)\n", prog, path,
                r < 0 ? "unreadable" : "ends", have, rows);
        fclose(out); remove(tmp);
        return NULL;
    }
    if (!ex_flushed(out) || fsync(fileno(out)) != 0 || fclose(out) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "%s: %s: cannot rewrite: %s\n", prog, path, strerror(errno));
        remove(tmp);
        return NULL;
    }
    if (!(out = fopen(path, "a"))) fprintf(stderr, "%s: %s: cannot append: %s\n", prog, path, strerror(errno));
    return out;
}

#endif /* EXAMPLES_CSVLOG_H */
