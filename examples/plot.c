/* plot: draw learning curves (error per epoch) from CSV logs written by `train --log` into one SVG.

     cc -std=c99 -O2 examples/plot.c -o plot -lm
     ./plot -o curves.svg --title "MNIST, fully connected" results/mnist-fc-*.csv

   Epochs whose phase is "inverse" (inverse-only epochs of the alternating schedule) are skipped:
   the x axis counts forward epochs. Run ./plot --help for every option. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LOGS 32
#define MAX_LINE 16384
#define MAX_FIELDS 1024
#define MAX_LABEL 64
#define MAX_ROWS 1000000

/* canvas and plot area, in SVG user units */
#define W 800
#define H 500
#define X0 75.0
#define X1 780.0
#define Y0 45.0
#define Y1 445.0

enum { TEST_ERROR, TRAIN_ERROR, TRAIN_LOSS, BOTH };

typedef struct {
    const char *path;
    char label[MAX_LABEL];
    int n, cap;
    double *test, *other; /* per forward epoch: test_error, and train_error or train_loss */
} series;

typedef struct { double lo, hi; int log; } axis;

static const char *palette[10] = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" };

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

/* One line into buf, without the line ending. Returns 1 for a line, 0 at end of file (an unterminated
   last line is ignored: the log may still be being written), -1 if too long, -2 on a read error. */
static int read_line(FILE *f, char *buf, size_t size, size_t *len)
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

/* Splits line at commas in place; returns the number of fields, or -1 if more than max. */
static int split(char *line, char **fields, int max)
{
    int n = 0;
    for (char *p = line;;) {
        if (n == max) return -1;
        fields[n++] = p;
        if (!(p = strchr(p, ','))) return n;
        *p++ = '\0';
    }
}

static char *trim(char *s)
{
    char *e = s + strlen(s);
    while (isspace((unsigned char)*s)) s++;
    while (e > s && isspace((unsigned char)e[-1])) e--;
    *e = '\0';
    return s;
}

static int parse_num(const char *s, double *v)
{
    char *end;
    if (!*s) return 0;
    *v = strtod(s, &end);
    return *end == '\0' && isfinite(*v); /* overflow gives HUGE_VAL; underflow is fine */
}

static int column(char **fields, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(fields[i], name)) return i;
    return -1;
}

/* Reads s->path into s->test and s->other; prints a message and returns 0 if the file is unusable. */
static int load(series *s, int metric)
{
    static char line[MAX_LINE];
    static char *fld[MAX_FIELDS];
    const char *path = s->path, *other = metric == TRAIN_LOSS ? "train_loss" : "train_error";
    int nf, col_test, col_other, col_phase, ok = 0;
    long lineno = 1;
    size_t len;
    FILE *f = fopen(path, "rb");

    if (!f) return fail(path, 0, "cannot open: %s", strerror(errno));
    int r = read_line(f, line, sizeof line, &len);
    if (r == 0) { fail(path, 0, "empty file (expected a header line: epoch,train_loss,...)"); goto done; }
    if (r < 0) { fail(path, 1, r == -1 ? "header line too long" : "read error"); goto done; }
    if ((nf = split(line, fld, MAX_FIELDS)) < 0) { fail(path, 1, "more than %d columns", MAX_FIELDS); goto done; }
    for (int i = 0; i < nf; i++) fld[i] = trim(fld[i]);
    col_test = column(fld, nf, "test_error");
    col_other = metric == TEST_ERROR ? -1 : column(fld, nf, other);
    col_phase = column(fld, nf, "phase");
    if (col_test < 0 || (metric != TEST_ERROR && col_other < 0)) {
        fail(path, 1, "header has no \"%s\" column (expected epoch,train_loss,train_error,test_error,...)",
             col_test < 0 ? "test_error" : other);
        goto done;
    }
    for (char **v = fld;;) { /* the header's names are no longer needed: reuse fld for the values */
        double test, oth = 0;
        lineno++;
        if ((r = read_line(f, line, sizeof line, &len)) == 0) break;
        if (r == -1) { fail(path, lineno, "line longer than %d bytes", MAX_LINE - 1); goto done; }
        if (r < 0) { fail(path, lineno, "read error"); goto done; }
        if (memchr(line, '\0', len)) { fail(path, lineno, "NUL byte in line (not a CSV text file?)"); goto done; }
        if (len == 0) continue;
        int n = split(line, v, MAX_FIELDS);
        if (n != nf) {
            fail(path, lineno, "expected %d comma-separated fields as in the header, found %s%d", nf,
                 n < 0 ? "over " : "", n < 0 ? MAX_FIELDS : n);
            goto done;
        }
        for (int i = 0; i < n; i++) v[i] = trim(v[i]);
        if (col_phase >= 0) {
            if (!strcmp(v[col_phase], "inverse")) continue;
            if (strcmp(v[col_phase], "forward") && strcmp(v[col_phase], "parallel")) {
                fail(path, lineno, "phase is \"%.20s\", expected forward, parallel or inverse", v[col_phase]);
                goto done;
            }
        }
        int bad = !parse_num(v[col_test], &test) ? col_test
                : col_other >= 0 && !parse_num(v[col_other], &oth) ? col_other : -1;
        if (bad >= 0) {
            fail(path, lineno, "%s is \"%.30s\", expected a finite number", bad == col_test ? "test_error" : other, v[bad]);
            goto done;
        }
        if (s->n == s->cap) {
            int cap = s->cap ? 2 * s->cap : 256;
            double *t = cap > MAX_ROWS ? NULL : (double *)realloc(s->test, (size_t)cap * sizeof *t);
            if (t) s->test = t;
            double *o = t ? (double *)realloc(s->other, (size_t)cap * sizeof *o) : NULL;
            if (!o) { fail(path, lineno, "too many rows (out of memory)"); goto done; }
            s->other = o;
            s->cap = cap;
        }
        s->test[s->n] = test;
        s->other[s->n++] = oth;
    }
    if (s->n == 0) fail(path, 0, "no complete forward epochs (only a header, or inverse-only rows)");
    else ok = 1;
done:
    fclose(f);
    return ok;
}

/* Writes s as XML character data: escapes markup, replaces control bytes and invalid UTF-8 with '?'. */
static void put_text(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        int n = c < 0x80 ? 1 : c < 0xc2 ? 0 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf5 ? 4 : 0;
        int ok = n > 0;
        for (int i = 1; ok && i < n; i++) ok = (p[i] & 0xc0) == 0x80;
        if (ok && n > 1) /* overlong forms, surrogates, code points above U+10FFFF, U+FFFE and U+FFFF */
            ok = !(c == 0xe0 && p[1] < 0xa0) && !(c == 0xed && p[1] >= 0xa0) && !(c == 0xf0 && p[1] < 0x90)
                 && !(c == 0xf4 && p[1] >= 0x90) && !(c == 0xef && p[1] == 0xbf && p[2] >= 0xbe);
        if (!ok || (c < 0x20 && c != '\t')) { fputc('?', out); p++; continue; }
        if (c == '&') fputs("&amp;", out);
        else if (c == '<') fputs("&lt;", out);
        else if (c == '>') fputs("&gt;", out);
        else if (c == '"') fputs("&quot;", out);
        else fwrite(p, 1, (size_t)n, out);
        p += n;
    }
}

static int text_width(const char *s) /* rough width in pixels at font-size 12 */
{
    int n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xc0) != 0x80;
    return 7 * n;
}

static double nice_step(double range, int target)
{
    double raw = range / target, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/* Position of v on the axis as a fraction of its length, bounded so that coordinates stay small. */
static double frac(const axis *a, double v)
{
    double t = a->log ? (log10(v > a->lo ? v : a->lo) - log10(a->lo)) / (log10(a->hi) - log10(a->lo))
                      : (v - a->lo) / (a->hi - a->lo);
    return t < -10 ? -10 : t > 10 ? 10 : t;
}

static double px(const axis *a, double v) { return X0 + (X1 - X0) * frac(a, v); }
static double py(const axis *a, double v) { return Y1 - (Y1 - Y0) * frac(a, v); }

/* A grid line at v; with a label, also a tick mark and the label (NULL: a light, minor grid line). */
static void ytick(FILE *out, const axis *y, double v, const char *label)
{
    double p = py(y, v);
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" stroke=\"%s\"/>\n",
            X0, p, X1, p, label ? "#e0e0e0" : "#f2f2f2");
    if (!label) return;
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" stroke=\"black\"/>\n", X0 - 5, p, X0, p);
    fprintf(out, "<text x=\"%.1f\" y=\"%.2f\" text-anchor=\"end\">%s</text>\n", X0 - 8, p + 4, label);
}

static void polyline(FILE *out, const axis *x, const axis *y, const double *v, int n, double scale,
                     const char *color, int dashed)
{
    if (n == 1) {
        fprintf(out, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2.5\" fill=\"%s\"/>\n",
                px(x, 1), py(y, v[0] * scale), color);
        return;
    }
    fprintf(out, "<polyline stroke=\"%s\"%s points=\"", color, dashed ? " stroke-dasharray=\"6,3\"" : "");
    for (int i = 0; i < n; i++) fprintf(out, "%s%.2f,%.2f", i ? " " : "", px(x, i + 1), py(y, v[i] * scale));
    fprintf(out, "\"/>\n");
}

/* How much of a curve falls in the rectangle (samples along each segment, in pixels). */
static int hidden(const axis *x, const axis *y, const double *v, int n, double scale,
                  double rx, double ry, double rw, double rh)
{
    int count = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < (i + 1 < n ? 4 : 1); k++) {
            double t = k / 4.0, j = i + 1 < n ? i + 1 : i;
            double qx = (1 - t) * px(x, i + 1) + t * px(x, j + 1);
            double qy = (1 - t) * py(y, v[i] * scale) + t * py(y, v[(int)j] * scale);
            count += qx >= rx && qx <= rx + rw && qy >= ry && qy <= ry + rh;
        }
    return count;
}

static int usage(FILE *f, int code)
{
    fprintf(f,
"usage: plot [options] LOG.csv [LOG.csv ...]\n"
"Draws learning curves from CSV logs written by `train --log` into one SVG file.\n"
"  -o FILE.svg     output file (default plot.svg)\n"
"  --title TEXT    title (default \"Learning curves\")\n"
"  --label TEXT    legend label for the next LOG (default: its file name without .csv)\n"
"  --metric M      test_error (default), train_error, train_loss, or both (train dashed, test solid)\n"
"  --log-y         logarithmic y axis\n"
"  --ymax X        upper end of the y axis, in axis units (percent for errors)\n"
"  -h, --help      this help\n"
"Epochs with phase \"inverse\" are skipped; the x axis counts forward epochs.\n");
    return code;
}

int main(int argc, char **argv)
{
    static series logs[MAX_LOGS];
    const char *out_path = "plot.svg", *title = "Learning curves", *label = NULL;
    int nlogs = 0, metric = TEST_ERROR, log_y = 0, ok = 1;
    double ymax = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout, 0);
        if (!strcmp(a, "--log-y")) { log_y = 1; continue; }
        if (a[0] != '-' || !a[1]) { /* a log file */
            if (nlogs == MAX_LOGS) { fprintf(stderr, "plot: at most %d logs\n", MAX_LOGS); return 1; }
            series *s = &logs[nlogs++];
            s->path = a;
            if (label) snprintf(s->label, sizeof s->label, "%s", label);
            else {
                const char *base = strrchr(a, '/') ? strrchr(a, '/') + 1 : a;
                size_t n = strlen(base);
                if (n > 4 && !strcmp(base + n - 4, ".csv")) n -= 4;
                snprintf(s->label, sizeof s->label, "%.*s", (int)(n < MAX_LABEL ? n : MAX_LABEL - 1), base);
            }
            label = NULL;
            continue;
        }
        if (i + 1 >= argc) { fprintf(stderr, "plot: %s needs a value (see --help)\n", a); return 1; }
        const char *v = argv[++i];
        if (!strcmp(a, "-o")) out_path = v;
        else if (!strcmp(a, "--title")) title = v;
        else if (!strcmp(a, "--label")) label = v;
        else if (!strcmp(a, "--metric")) {
            static const char *names[] = { "test_error", "train_error", "train_loss", "both" };
            for (metric = 0; metric < 4 && strcmp(v, names[metric]); metric++) {}
            if (metric == 4) {
                fprintf(stderr, "plot: unknown metric \"%s\" (test_error, train_error, train_loss, both)\n", v);
                return 1;
            }
        } else if (!strcmp(a, "--ymax")) {
            if (!parse_num(v, &ymax) || ymax < 1e-300 || ymax > 1e300) {
                fprintf(stderr, "plot: --ymax \"%s\": expected a positive number\n", v);
                return 1;
            }
        } else { fprintf(stderr, "plot: unknown option %s (see --help)\n", a); return 1; }
    }
    if (label) { fprintf(stderr, "plot: --label \"%s\" is not followed by a LOG\n", label); return 1; }
    if (nlogs == 0) return usage(stderr, 1);
    for (int i = 0; i < nlogs; i++) ok &= load(&logs[i], metric);
    if (!ok) return 1;

    /* summary, and the ranges of the data */
    double scale = metric == TRAIN_LOSS ? 1 : 100, vmax = 0, vmin_pos = HUGE_VAL;
    int nmax = 1;
    for (int i = 0; i < nlogs; i++) {
        series *s = &logs[i];
        int best = 0;
        for (int e = 0; e < s->n; e++) {
            if (s->test[e] < s->test[best]) best = e;
            for (int k = 0; k < 2; k++) { /* k = 0: train_error or train_loss, 1: test_error */
                double v = (k ? s->test[e] : s->other[e]) * scale;
                if (k == 0 ? metric == TEST_ERROR : metric == TRAIN_ERROR || metric == TRAIN_LOSS) continue;
                if (v > vmax) vmax = v;
                if (v > 0 && v < vmin_pos) vmin_pos = v;
            }
        }
        if (s->n > nmax) nmax = s->n;
        if (vmax > 1e300) vmax = 1e300; /* keeps the axis arithmetic finite */
        if (vmin_pos < 1e-300) vmin_pos = 1e-300;
        printf("%s: %d forward epoch%s, best test error %.2f%% (epoch %d)\n",
               s->label, s->n, s->n == 1 ? "" : "s", 100 * s->test[best], best + 1);
    }

    axis x = { 0, 0, 0 }, y = { 0, 0, log_y };
    double xstep = nice_step(nmax, 8) < 1 ? 1 : nice_step(nmax, 8), ystep = 0;
    x.hi = ceil(nmax / xstep - 1e-9) * xstep;
    if (log_y) {
        if (vmin_pos == HUGE_VAL) vmin_pos = ymax > 0 ? ymax / 10 : 1;
        y.lo = pow(10, floor(log10(vmin_pos)));
        if (ymax > 0) y.hi = ymax;
        else { /* 1, 2, 5 or 10 times a power of ten */
            double top = vmax > vmin_pos ? vmax : vmin_pos, d = pow(10, floor(log10(top)));
            y.hi = d * (top <= d * 1.0001 ? 1 : top <= 2 * d ? 2 : top <= 5 * d ? 5 : 10);
        }
        while (y.hi < 10 * y.lo * 0.9999) y.lo /= 10; /* at least one decade */
    } else {
        y.hi = ymax > 0 ? ymax : vmax > 0 ? vmax : 1;
        ystep = nice_step(y.hi, 6);
        if (ymax == 0) y.hi = ceil(y.hi / ystep - 1e-9) * ystep;
    }

    FILE *out = fopen(out_path, "w");
    if (!out) { fprintf(stderr, "plot: %s: cannot open for writing: %s\n", out_path, strerror(errno)); return 1; }
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
                 "font-family=\"sans-serif\" font-size=\"12\">\n", W, H, W, H);
    fprintf(out, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H);
    fprintf(out, "<defs><clipPath id=\"area\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/></clipPath></defs>\n",
            X0, Y0, X1 - X0, Y1 - Y0);
    fprintf(out, "<text x=\"%.1f\" y=\"28\" text-anchor=\"middle\" font-size=\"16\">", (X0 + X1) / 2);
    put_text(out, title);
    fprintf(out, "</text>\n");

    /* grid, ticks and tick labels */
    for (int k = 0; k * xstep <= x.hi + 1e-9; k++) {
        double t = k * xstep, p = px(&x, t);
        fprintf(out, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n", p, Y0, p, Y1);
        fprintf(out, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"black\"/>\n", p, Y1, p, Y1 + 5);
        fprintf(out, "<text x=\"%.2f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>\n", p, Y1 + 19, t);
    }
    char buf[32];
    if (log_y) { /* labels at powers of ten (and at 2 and 5 times them over at most two decades) */
        int few = log10(y.hi / y.lo) < 2.0001;
        for (int e = (int)floor(log10(y.lo) + 1e-9); e <= (int)ceil(log10(y.hi) - 1e-9); e++)
            for (int m = 1; m <= 9; m++) {
                double v = m * pow(10, e);
                if (v < y.lo * 0.9999) continue;
                if (v > y.hi * 1.0001) break;
                if (e < -4 || e > 5) snprintf(buf, sizeof buf, "%de%d", m, e);
                else snprintf(buf, sizeof buf, "%.*f", e < 0 ? -e : 0, v);
                ytick(out, &y, v, m == 1 || (few && (m == 2 || m == 5)) ? buf : NULL);
            }
    } else {
        int decimals = ystep >= 1 ? 0 : (int)ceil(-log10(ystep) - 1e-9);
        for (int k = 0; k * ystep <= y.hi * (1 + 1e-9); k++) {
            snprintf(buf, sizeof buf, "%.*f", decimals, k * ystep);
            ytick(out, &y, k * ystep, buf);
        }
    }
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"black\"/>\n",
            X0, Y0, X1 - X0, Y1 - Y0);
    static const char *ytitles[] = { "test error (%)", "train error (%)", "train loss", "error (%)" };
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\">epoch</text>\n", (X0 + X1) / 2, Y1 + 40);
    fprintf(out, "<text transform=\"translate(20 %.1f) rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">%s</text>\n",
            (Y0 + Y1) / 2, ytitles[metric]);

    /* the curves, clipped to the plot area */
    fprintf(out, "<g clip-path=\"url(#area)\" fill=\"none\" stroke-width=\"1.5\" stroke-linejoin=\"round\">\n");
    for (int i = 0; i < nlogs; i++) {
        const char *color = palette[i % 10];
        if (metric != TEST_ERROR) polyline(out, &x, &y, logs[i].other, logs[i].n, scale, color, metric == BOTH);
        if (metric == TEST_ERROR || metric == BOTH) polyline(out, &x, &y, logs[i].test, logs[i].n, scale, color, 0);
    }
    fprintf(out, "</g>\n");

    /* legend, in the corner of the plot area where it hides least of the curves (top right if none) */
    int rows = nlogs + (metric == BOTH ? 2 : 0), wmax = metric == BOTH ? text_width("train (dashed)") : 0, least = -1;
    for (int i = 0; i < nlogs; i++) if (text_width(logs[i].label) > wmax) wmax = text_width(logs[i].label);
    double lw = 46 + wmax, lh = 18 * rows + 8, lx = 0, ly = 0;
    for (int c = 0; c < 4 && least != 0; c++) {
        double cx = c & 1 ? X0 + 10 : X1 - 10 - lw, cy = c & 2 ? Y1 - 10 - lh : Y0 + 10;
        int n = 0;
        for (int i = 0; i < nlogs; i++) {
            if (metric != TEST_ERROR) n += hidden(&x, &y, logs[i].other, logs[i].n, scale, cx, cy, lw, lh);
            if (metric == TEST_ERROR || metric == BOTH) n += hidden(&x, &y, logs[i].test, logs[i].n, scale, cx, cy, lw, lh);
        }
        if (least < 0 || n < least) { least = n; lx = cx; ly = cy; }
    }
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                 "fill=\"white\" fill-opacity=\"0.9\" stroke=\"#999999\"/>\n", lx, ly, lw, lh);
    for (int r = 0; r < rows; r++) {
        double yy = ly + 15 + 18 * r;
        int style = r < nlogs ? 0 : r - nlogs + 1; /* 0: a log, 1: train sample, 2: test sample */
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%s\"%s/>\n",
                lx + 8, yy - 4, lx + 34, yy - 4, style ? "#444444" : palette[r % 10], style ? "1.5" : "2.5",
                style == 1 ? " stroke-dasharray=\"6,3\"" : "");
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">", lx + 40, yy);
        put_text(out, style == 0 ? logs[r].label : style == 1 ? "train (dashed)" : "test (solid)");
        fprintf(out, "</text>\n");
    }
    fprintf(out, "</svg>\n");

    int werr = ferror(out);
    if (fclose(out) != 0 || werr) { fprintf(stderr, "plot: %s: write error\n", out_path); return 1; }
    for (int i = 0; i < nlogs; i++) { free(logs[i].test); free(logs[i].other); }
    return 0;
}
