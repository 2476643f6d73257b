/* plot: draw learning curves (error per epoch) from CSV logs written by `train --log` into one SVG.

     cc -O2 -I. examples/plot.c -o plot -lm
     ./plot -o curves.svg --title "MNIST, fully connected" results/mnist-fc-*.csv

   Epochs whose phase is "inverse" (feedback-only epochs of the alternating and interleaved
   schedules) are skipped: the x axis counts forward epochs, or with --x hours the run's time
   (its seconds column) at the end of each. Run ./plot --help for every option. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#define TARGETPROP_IMPLEMENTATION
#include "targetprop.h"
#include "cli.h"
#include "csvlog.h"
#include "pictures.h"

#define MAX_LOGS 32
#define MAX_LINE 16384
#define MAX_FIELDS 1024
#define MAX_LABEL 64
#define MAX_ROWS 1000000   /* forward epochs per log */

enum { TEST_ERROR, TRAIN_ERROR, TRAIN_LOSS, BOTH, COLUMN };   /* COLUMN: any other column, as logged */

typedef struct {
    const char *path;
    char label[MAX_LABEL];
    int color;                    /* index into the palette */
    int n, cap;
    double *epoch, *test, *other; /* per forward epoch: its number (or hours), test_error, and the other metric's value */
} series;

static int fail(const char *path, long line, const char *fmt, ...)
{
    va_list ap;
    if (line > 0) fprintf(stderr, "plot: %s:%ld: ", path, line);
    else fprintf(stderr, "plot: %s: ", path);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 0;
}

/* Makes room for one more row in s: the arrays grow by doubling, up to MAX_ROWS. Prints a message
   naming the file and the limit, and returns 0, when the log has more rows or memory runs out. */
static int grow(series *s, long lineno)
{
    int cap = s->cap == 0 ? 256 : s->cap > MAX_ROWS / 2 ? MAX_ROWS : 2 * s->cap;
    double *t, *o, *x;
    if (s->n < s->cap) return 1;
    if (s->n >= MAX_ROWS)
        return fail(s->path, lineno, "more than %d forward epochs, the most plot reads from a log", MAX_ROWS);
    if ((t = (double *)realloc(s->test, (size_t)cap * sizeof *t))) s->test = t;
    if (t && (o = (double *)realloc(s->other, (size_t)cap * sizeof *o))) s->other = o;
    else o = NULL;
    if (o && (x = (double *)realloc(s->epoch, (size_t)cap * sizeof *x))) s->epoch = x;
    else x = NULL;
    if (!x) return fail(s->path, lineno, "out of memory for %d rows", cap);
    s->cap = cap;
    return 1;
}

/* Reads s->path into s->test and s->other; prints a message and returns 0 if the file is unusable.
   Error rates (test_error, and train_error when drawn) must be fractions from 0 to 1, as train logs them. */
static int load(series *s, int metric, const char *column, int hours)
{
    static char line[MAX_LINE];
    static char *fld[MAX_FIELDS];
    const char *path = s->path, *other = metric == COLUMN ? column : metric == TRAIN_LOSS ? "train_loss" : "train_error";
    int nf, col_test, col_other, col_phase, col_sec, ok = 0;
    double sec_prev = 0, sec_base = 0;   /* --x hours: a run resumed from a checkpoint logs from 0 again */
    long lineno = 1;
    size_t len;
    FILE *f = fopen(path, "rb");

    if (!f) return fail(path, 0, "cannot open: %s", strerror(errno));
    int r = ex_csv_line(f, line, sizeof line, &len);
    if (r == 0) { fail(path, 0, "empty file (expected a header line: epoch,train_loss,...)"); goto done; }
    if (r < 0) { fail(path, 1, r == -1 ? "header line too long" : "read error"); goto done; }
    if ((nf = ex_csv_split(line, fld, MAX_FIELDS)) < 0) { fail(path, 1, "more than %d columns", MAX_FIELDS); goto done; }
    col_test = ex_csv_column(fld, nf, "test_error");
    col_other = metric == TEST_ERROR ? -1 : ex_csv_column(fld, nf, other);
    col_phase = ex_csv_column(fld, nf, "phase");
    col_sec = ex_csv_column(fld, nf, "seconds");
    if (hours && col_sec < 0) { fail(path, 1, "header has no \"seconds\" column, which --x hours plots"); goto done; }
    if (col_test < 0 || (metric != TEST_ERROR && col_other < 0)) {
        fail(path, 1, "header has no \"%s\" column (expected epoch,train_loss,train_error,test_error,...%s)",
             col_test < 0 ? "test_error" : other, metric == COLUMN ? "; the diagnostic columns come with train --diagnostics" : "");
        goto done;
    }
    for (char **v = fld;;) { /* the header's names are no longer needed: reuse fld for the values */
        double test, oth = 0;
        lineno++;
        if ((r = ex_csv_line(f, line, sizeof line, &len)) == 0) break;
        if (r == -1) { fail(path, lineno, "line longer than %d bytes", MAX_LINE - 1); goto done; }
        if (r < 0) { fail(path, lineno, "read error"); goto done; }
        if (memchr(line, '\0', len)) { fail(path, lineno, "NUL byte in line (not a CSV text file?)"); goto done; }
        if (len == 0) continue;
        int n = ex_csv_split(line, v, MAX_FIELDS);
        if (n != nf) {
            fail(path, lineno, "expected %d comma-separated fields as in the header, found %s%d", nf,
                 n < 0 ? "over " : "", n < 0 ? MAX_FIELDS : n);
            goto done;
        }
        if (hours) {
            double sec;
            if (!ex_parse_num(v[col_sec], &sec) || sec < 0) {
                fail(path, lineno, "seconds is \"%.30s\", expected a number >= 0", v[col_sec]);
                goto done;
            }
            if (sec < sec_prev) sec_base += sec_prev;   /* resumed: this process's clock started at 0 */
            sec_prev = sec;
            if (!isfinite(sec_base + sec_prev)) {
                fail(path, lineno, "the seconds add up to more than a double holds");
                goto done;
            }
        }
        if (col_phase >= 0) {
            if (!strcmp(v[col_phase], "inverse")) continue;
            if (strcmp(v[col_phase], "forward") && strcmp(v[col_phase], "parallel")) {
                fail(path, lineno, "phase is \"%.20s\", expected forward, parallel or inverse", v[col_phase]);
                goto done;
            }
        }
        int rate = metric == TRAIN_ERROR || metric == BOTH;   /* the other column is an error rate too */
        int undefined = col_other >= 0 && ex_word_is(v[col_other], "nan");   /* an angle of a zero gradient: no point */
        int bad = !ex_parse_num(v[col_test], &test) ? col_test
                : col_other >= 0 && !undefined && !ex_parse_num(v[col_other], &oth) ? col_other : -1;
        if (bad >= 0) {
            fail(path, lineno, "%s is \"%.30s\", expected a finite number", bad == col_test ? "test_error" : other, v[bad]);
            goto done;
        }
        if (undefined) oth = NAN;
        bad = !(test >= 0 && test <= 1) ? col_test : rate && !undefined && !(oth >= 0 && oth <= 1) ? col_other : -1;
        if (bad >= 0) {
            fail(path, lineno, "%s is \"%.30s\", expected an error rate from 0 to 1", bad == col_test ? "test_error" : other, v[bad]);
            goto done;
        }
        if (!grow(s, lineno)) goto done;
        s->epoch[s->n] = hours ? (sec_base + sec_prev) / 3600.0 : s->n + 1;
        s->test[s->n] = 100 * test;
        s->other[s->n++] = rate ? 100 * oth : oth;
    }
    if (s->n == 0) fail(path, 0, "no complete forward epochs (only a header, or inverse-only rows)");
    else ok = 1;
done:
    fclose(f);
    return ok;
}

static int usage(FILE *f, int code)
{
    fprintf(f,
"usage: plot [options] LOG.csv [LOG.csv ...]\n"
"Draws learning curves from CSV logs written by `train --log` into one SVG file.\n"
"  -o FILE.svg     output file (default plot.svg)\n"
"  --title TEXT    title (default \"Learning curves\")\n"
"  --label TEXT    legend label for the next LOG (default: its file name without .csv)\n"
"  --ylabel TEXT   y axis title (default: the metric's)\n"
"  --color N       palette colour 0..9 of the next LOG (default: its position; from the 11th\n"
"                  LOG on the colours repeat, dashed), to match\n"
"                  colours across charts\n"
"  --metric M      test_error (default), train_error, train_loss, both (train dashed, test solid),\n"
"                  or any other column of the logs as it is, e.g. angle_1 or target_6 of\n"
"                  train --diagnostics\n"
"  --log-y         logarithmic y axis\n"
"  --ymax X        upper end of the y axis, in axis units (percent for errors)\n"
"  --x AXIS        epoch (default) or hours: the run's time at the end of each epoch, from the\n"
"                  logs' seconds column (a run resumed from a checkpoint logs from 0 again:\n"
"                  its segments are added up, without the time lost to the interruption)\n"
"  -h, --help      this help\n"
"Epochs with phase \"inverse\" are skipped (their time counts with --x hours). A log may have up to\n"
"%d forward epochs; error rates in it are fractions from 0 to 1.\n", MAX_ROWS);
    return code;
}

int main(int argc, char **argv)
{
    static series logs[MAX_LOGS];
    const char *out_path = "plot.svg", *title = "Learning curves", *label = NULL, *ylabel = NULL;
    int color = -1;
    int nlogs = 0, metric = TEST_ERROR, log_y = 0, hours = 0, ok = 1;
    const char *column = NULL;
    double ymax = 0;
    ex_args a;

    for (ex_args_init(&a, "plot", argc, argv); ex_next(&a);) {
        const char *v;
        if (ex_flag(&a, "-h") || ex_flag(&a, "--help")) return usage(stdout, 0);
        else if (ex_flag(&a, "--log-y")) log_y = 1;
        else if (a.arg[0] != '-' || !a.arg[1]) { /* a log file */
            if (nlogs == MAX_LOGS) { fprintf(stderr, "plot: at most %d logs\n", MAX_LOGS); return 1; }
            series *s = &logs[nlogs++];
            s->path = a.arg;
            if (label) snprintf(s->label, sizeof s->label, "%s", label);
            else {
                const char *base = strrchr(a.arg, '/') ? strrchr(a.arg, '/') + 1 : a.arg;
                size_t n = strlen(base);
                if (n > 4 && !strcmp(base + n - 4, ".csv")) n -= 4;
                snprintf(s->label, sizeof s->label, "%.*s", (int)(n < MAX_LABEL ? n : MAX_LABEL - 1), base);
            }
            s->color = color >= 0 ? color : nlogs - 1;
            label = NULL;
            color = -1;
        }
        else if ((v = ex_value(&a, "-o"))) out_path = v;
        else if ((v = ex_value(&a, "--title"))) title = v;
        else if ((v = ex_value(&a, "--label"))) label = v;
        else if ((v = ex_value(&a, "--ylabel"))) ylabel = v;
        else if ((v = ex_value(&a, "--color"))) a.bad |= !ex_parse_int("plot", "--color", v, 0, 9, &color);
        else if ((v = ex_value(&a, "--metric"))) {
            static const char *names[] = { "test_error", "train_error", "train_loss", "both" };
            for (metric = 0; metric < 4 && strcmp(v, names[metric]); metric++) {}
            if (metric == 4) { metric = COLUMN; column = v; }   /* checked against each log's header */
        } else if ((v = ex_value(&a, "--x"))) {
            if (strcmp(v, "epoch") && strcmp(v, "hours")) {
                fprintf(stderr, "plot: --x \"%s\": expected epoch or hours\n", v);
                return 1;
            }
            hours = !strcmp(v, "hours");
        } else if ((v = ex_value(&a, "--ymax"))) {
            if (!ex_parse_num(v, &ymax) || ymax < 1e-300 || ymax > 1e300) {
                fprintf(stderr, "plot: --ymax \"%s\": expected a positive number\n", v);
                return 1;
            }
        } else ex_unknown(&a);
    }
    if (a.bad) return 1;
    if (label) { fprintf(stderr, "plot: --label \"%s\" is not followed by a LOG\n", label); return 1; }
    if (color >= 0) { fprintf(stderr, "plot: --color %d is not followed by a LOG\n", color); return 1; }
    if (nlogs == 0) return usage(stderr, 1);
    if (!ex_output_ok("plot", "-o", out_path)) return 1;   /* a FIFO or device is refused, not written into */
    for (int i = 0; i < nlogs; i++) ok &= load(&logs[i], metric, column, hours);
    if (!ok) return 1;

    /* summary, then the chart: one colour per log, train dashed and test solid when both */
    static ex_series lines[2 * MAX_LOGS];
    int nlines = 0;
    for (int i = 0; i < nlogs; i++) {
        series *s = &logs[i];
        int best = 0;
        for (int e = 0; e < s->n; e++) if (s->test[e] < s->test[best]) best = e;
        printf("%s: %d forward epoch%s, best test error %.2f%% (epoch %d)\n",
               s->label, s->n, s->n == 1 ? "" : "s", s->test[best], best + 1);
        if (metric != TEST_ERROR) {
            ex_series t = { metric == BOTH ? NULL : s->label, s->epoch, s->other, s->n, s->color, 0, 0 };
            t.dashed = metric == BOTH || s->color >= 10;   /* the palette's second round dashed */
            lines[nlines++] = t;
        }
        if (metric == TEST_ERROR || metric == BOTH) {
            ex_series t = { s->label, s->epoch, s->test, s->n, s->color, 0, 0 };
            t.dashed = metric != BOTH && s->color >= 10;
            lines[nlines++] = t;
        }
    }
    static const char *ytitles[] = { "test error (%)", "train error (%)", "train loss", "error (%)" };
    ex_chart chart = { title, hours ? "hours" : "epoch", ylabel ? ylabel : metric == COLUMN ? column : ytitles[metric], log_y, ymax, !hours,
                       metric == BOTH ? "train (dashed)" : NULL, metric == BOTH ? "test (solid)" : NULL };
    if (!ex_svg_lines(out_path, &chart, lines, nlines)) {
        fprintf(stderr, "plot: %s: cannot write: %s\n", out_path, strerror(errno));
        return 1;
    }
    for (int i = 0; i < nlogs; i++) { free(logs[i].epoch); free(logs[i].test); free(logs[i].other); }
    return 0;
}
