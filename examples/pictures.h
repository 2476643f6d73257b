/* pictures.h: the examples' pictures, without any library: not part of targetprop.h.
     ex_svg_lines         line charts (learning curves, sweeps) as SVG, legend placed where it hides least
     ex_svg_histogram     a histogram (or several, overlaid) as SVG
     ex_png_gray          an 8-bit grey PNG (stored deflate: no compression library needed)
   Every writer checks its writes and returns 0 when one failed.
   Include it after targetprop.h. */
#ifndef EXAMPLES_PICTURES_H
#define EXAMPLES_PICTURES_H

#include "cli.h"   /* EX_FN, and the C library's headers */

/* ---------------------------------------------------------------------------------------------
   SVG charts */

#define EX_W 800
#define EX_H 500
#define EX_X0 75.0  /* the plot area, in SVG user units */
#define EX_X1 780.0
#define EX_Y0 45.0
#define EX_Y1 445.0

EX_FN const char *ex_palette[10] = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" };

typedef struct {
    const char *label;     /* legend text; NULL: not in the legend */
    const double *x, *y;   /* n points */
    int n, color, dashed;  /* color: index into ex_palette */
    int markers;           /* a dot at every point */
} ex_series;

typedef struct {
    const char *title, *xlabel, *ylabel;
    int log_y;             /* logarithmic y axis */
    double ymax;           /* > 0: the top of the y axis */
    int whole_x;           /* x ticks at whole numbers only (epochs, sizes) */
    const char *dashed_note, *solid_note; /* extra legend rows explaining the two line styles, or NULL */
} ex_chart;

/* An axis: its ends, and for a linear one its ticks, at (k0 + k) * step for k = 0 .. n - 1, where
   step = nice * 10^e10 and nice is 1, 2, 2.5 or 5. A logarithmic axis draws its own ticks (ex__log_grid). */
typedef struct {
    double lo, hi;
    int log;
    double step, k0, nice;
    int n, e10;
} ex__axis;

enum { EX_LOOSE_LO = 1, EX_LOOSE_HI = 2, EX_WHOLE = 4 }; /* ex__linear: widen an end to a tick; whole-number ticks */
#define EX_MAX_TICKS 12

/* Writes s as XML character data: escapes markup, replaces control bytes and invalid UTF-8 with '?'. */
EX_FN void ex_svg_text(FILE *out, const char *s)
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

EX_FN int ex__text_width(const char *s) /* rough width in pixels at font-size 12 */
{
    int n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xc0) != 0x80;
    return 7 * n;
}

/* The smallest "nice" step at least raw (> 0): 1, 2, 2.5 or 5 times a power of ten, as Heckbert's
   "Nice numbers for graph labels" (Graphics Gems, 1990); *nice gets the factor, *e10 the power. */
EX_FN void ex__nice(double raw, double *nice, int *e10)
{
    int e = (int)floor(log10(raw));
    double f = raw / pow(10, e); /* in [1, 10] but for log10's rounding */
    if (f < 1 - 1e-9) { e--; f *= 10; }
    *nice = f <= 1 + 1e-9 ? 1 : f <= 2 + 1e-9 ? 2 : f <= 2.5 + 1e-9 ? 2.5 : f <= 5 + 1e-9 ? 5 : 10;
    *e10 = e;
    if (*nice == 10) { *nice = 1; *e10 = e + 1; }
}

/* The nice step after nice * 10^e10: 1 -> 2 -> 2.5 -> 5 -> 10. */
EX_FN void ex__nice_next(double *nice, int *e10)
{
    if (*nice == 1) *nice = 2;
    else if (*nice == 2) *nice = 2.5;
    else if (*nice == 2.5) *nice = 5;
    else { *nice = 1; ++*e10; }
}

/* Clamps to the finite doubles (NaN to 0), so that an axis end is always a number. */
EX_FN double ex__finite(double v) { return v != v ? 0 : v > DBL_MAX ? DBL_MAX : v < -DBL_MAX ? -DBL_MAX : v; }

/* A linear axis over the data's range [lo, hi], ticked every nice step, the step chosen from the range
   for about `intervals` (4 to 10) steps, so 2 to EX_MAX_TICKS ticks at any scale. The range is taken
   as hi/2 - lo/2, which cannot overflow. A range too narrow to label (equal ends, or narrower than a
   millionth of its ends, about a float's precision, or than the smallest normal double) is first
   widened about its middle: equal ends by a tenth of their size, [0, 0] to [0, 1].
   flags: EX_LOOSE_LO / EX_LOOSE_HI move that end out to the next tick (where that stays finite);
   EX_WHOLE keeps the step a whole number (epochs, counts), meant with loose ends. */
EX_FN ex__axis ex__linear(double lo, double hi, int intervals, int flags)
{
    ex__axis a;
    double m, half, kl, kh;
    memset(&a, 0, sizeof a);
    lo = ex__finite(lo), hi = ex__finite(hi);
    if (lo > hi) { double t = lo; lo = hi; hi = t; }
    intervals = intervals < 4 ? 4 : intervals > 10 ? 10 : intervals;
    if (lo == hi) {
        double d = lo == 0 ? 0.5 : fabs(lo / 10);
        if (lo == 0) hi = 1;
        else lo = ex__finite(lo - d), hi = ex__finite(hi + d);
    }
    m = fabs(lo) > fabs(hi) ? fabs(lo) : fabs(hi);
    half = hi / 2 - lo / 2;
    if (half < m * 1e-6 || half < DBL_MIN) {
        double mid = lo / 2 + hi / 2, w = m * 1e-6 > DBL_MIN ? m * 1e-6 : DBL_MIN;
        lo = ex__finite(mid - w), hi = ex__finite(mid + w);
        half = hi / 2 - lo / 2;
    }
    ex__nice(half * (2.0 / intervals), &a.nice, &a.e10);
    if ((flags & EX_WHOLE) && a.e10 < 0) a.nice = 1, a.e10 = 0;
    if ((flags & EX_WHOLE) && a.e10 == 0 && a.nice == 2.5) a.nice = 5;
    for (;;) { /* more than EX_MAX_TICKS only by rounding: then the next nice step */
        double count, nice = a.nice;
        int e10 = a.e10;
        a.step = a.nice * pow(10, a.e10);
        kl = floor(lo / a.step + 1e-9), kh = ceil(hi / a.step - 1e-9); /* 1e-9: an end one rounding off a tick is on it */
        a.k0 = (flags & EX_LOOSE_LO) && isfinite(kl * a.step) ? kl : ceil(lo / a.step - 1e-9);
        kh = (flags & EX_LOOSE_HI) && isfinite(kh * a.step) ? kh : floor(hi / a.step + 1e-9);
        if (kh <= a.k0 && (flags & EX_LOOSE_HI)) kh = a.k0 + 1; /* a whole step wider than the range */
        count = kh - a.k0 + 1;
        ex__nice_next(&nice, &e10);
        if (count <= EX_MAX_TICKS || !isfinite(nice * pow(10, e10))) {
            a.n = count < EX_MAX_TICKS ? (int)count : EX_MAX_TICKS;
            break;
        }
        a.nice = nice, a.e10 = e10;
    }
    a.k0 += 0.0; /* no tick at -0 */
    a.lo = (flags & EX_LOOSE_LO) && a.k0 * a.step < lo ? a.k0 * a.step : lo;
    a.hi = (flags & EX_LOOSE_HI) && kh * a.step > hi ? kh * a.step + 0.0 : hi;
    return a;
}

EX_FN double ex__tick(const ex__axis *a, int k) { return (a->k0 + k) * a->step; }

/* The label of tick k, with as many digits as tell the ticks apart (one more for a step of 2.5 times
   a power of ten): fixed-point while the largest tick is from 10^-4 to 10^7 and at most 8 decimals
   are needed, else scientific with the same number of digits on every tick; zero as "0". */
EX_FN void ex__tick_label(const ex__axis *a, int k, char *buf, size_t size)
{
    double v = ex__tick(a, k), first = fabs(ex__tick(a, 0)), last = fabs(ex__tick(a, a->n - 1));
    double big = first > last ? first : last;
    int last_digit = a->e10 - (a->nice == 2.5); /* the power of ten of the step's last digit */
    if (v == 0) snprintf(buf, size, "0");
    else if (big >= 1e-4 && big < 1e7 && last_digit >= -8) snprintf(buf, size, "%.*f", last_digit < 0 ? -last_digit : 0, v);
    else {
        int digits = (int)floor(log10(big)) - last_digit;
        snprintf(buf, size, "%.*e", digits > 0 ? digits : 0, v);
    }
}

/* Position of v on the axis as a fraction of its length, bounded so that coordinates stay small
   (NaN: off the low end). A linear axis works in halves, so that no difference overflows. */
EX_FN double ex__frac(const ex__axis *a, double v)
{
    double t = a->log ? (log10(v > a->lo ? v : a->lo) - log10(a->lo)) / (log10(a->hi) - log10(a->lo))
                      : (v / 2 - a->lo / 2) / (a->hi / 2 - a->lo / 2);
    return !(t >= -10) ? -10 : t > 10 ? 10 : t;
}

EX_FN double ex__px(const ex__axis *a, double v) { return EX_X0 + (EX_X1 - EX_X0) * ex__frac(a, v); }
EX_FN double ex__py(const ex__axis *a, double v) { return EX_Y1 - (EX_Y1 - EX_Y0) * ex__frac(a, v); }

/* The grid lines, tick marks and tick labels of a linear axis: the x axis if horizontal, else the y axis. */
EX_FN void ex__linear_grid(FILE *out, const ex__axis *a, int horizontal)
{
    char buf[40];
    for (int k = 0; k < a->n; k++) {
        double t = ex__tick(a, k);
        ex__tick_label(a, k, buf, sizeof buf);
        if (horizontal) {
            double p = ex__px(a, t);
            fprintf(out, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n", p, EX_Y0, p, EX_Y1);
            fprintf(out, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"black\"/>\n", p, EX_Y1, p, EX_Y1 + 5);
            fprintf(out, "<text x=\"%.2f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", p, EX_Y1 + 19, buf);
        } else {
            double p = ex__py(a, t);
            fprintf(out, "<line x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" stroke=\"#e0e0e0\"/>\n", EX_X0, p, EX_X1, p);
            fprintf(out, "<line x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" stroke=\"black\"/>\n", EX_X0 - 5, p, EX_X0, p);
            fprintf(out, "<text x=\"%.1f\" y=\"%.2f\" text-anchor=\"end\">%s</text>\n", EX_X0 - 8, p + 4, buf);
        }
    }
}

/* The grid and labels of a logarithmic y axis (its ends positive and finite). Labels at powers of ten:
   every decade, or every 2nd, 5th, 10th, ... (a whole nice step) so that at most EX_MAX_TICKS are
   labelled; also at 2 and 5 times them over at most two decades. Thin lines at the other multiples
   when every decade is labelled. */
EX_FN void ex__log_grid(FILE *out, const ex__axis *y)
{
    char buf[32];
    double d0 = log10(y->lo), d1 = log10(y->hi);
    ex__axis decades = ex__linear(d0, d1, 10, EX_WHOLE);
    int few = d1 - d0 < 2.0001, every = (int)decades.step;
    for (int e = (int)floor(d0 + 1e-9); e <= (int)ceil(d1 - 1e-9); e++) {
        if (e % every) continue;
        for (int m = 1; m <= (every == 1 ? 9 : 1); m++) {
            double v = m * pow(10, e), p = ex__py(y, v);
            int label = m == 1 || (few && (m == 2 || m == 5));
            if (v < y->lo * 0.9999) continue;
            if (v > y->hi * 1.0001) break;
            fprintf(out, "<line x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" stroke=\"%s\"/>\n",
                    EX_X0, p, EX_X1, p, label ? "#e0e0e0" : "#f2f2f2");
            if (!label) continue;
            if (e < -4 || e > 5) snprintf(buf, sizeof buf, "%de%d", m, e);
            else snprintf(buf, sizeof buf, "%.*f", e < 0 ? -e : 0, v);
            fprintf(out, "<line x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" stroke=\"black\"/>\n", EX_X0 - 5, p, EX_X0, p);
            fprintf(out, "<text x=\"%.1f\" y=\"%.2f\" text-anchor=\"end\">%s</text>\n", EX_X0 - 8, p + 4, buf);
        }
    }
}

/* Opens path and writes the canvas, the title, the grid with tick labels, the frame and the axis titles. */
EX_FN FILE *ex__svg_begin(const char *path, const char *title, const char *xlabel, const char *ylabel,
                           const ex__axis *x, const ex__axis *y)
{
    FILE *out = fopen(path, "w");
    if (!out) return NULL;
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
                 "font-family=\"sans-serif\" font-size=\"12\">\n", EX_W, EX_H, EX_W, EX_H);
    fprintf(out, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", EX_W, EX_H);
    fprintf(out, "<defs><clipPath id=\"area\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/></clipPath></defs>\n",
            EX_X0, EX_Y0, EX_X1 - EX_X0, EX_Y1 - EX_Y0);
    fprintf(out, "<text x=\"%.1f\" y=\"28\" text-anchor=\"middle\" font-size=\"16\">", (EX_X0 + EX_X1) / 2);
    ex_svg_text(out, title);
    fprintf(out, "</text>\n");
    ex__linear_grid(out, x, 1);
    if (y->log) ex__log_grid(out, y);
    else ex__linear_grid(out, y, 0);
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"black\"/>\n",
            EX_X0, EX_Y0, EX_X1 - EX_X0, EX_Y1 - EX_Y0);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\">", (EX_X0 + EX_X1) / 2, EX_Y1 + 40);
    ex_svg_text(out, xlabel);
    fprintf(out, "</text>\n<text transform=\"translate(20 %.1f) rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">",
            (EX_Y0 + EX_Y1) / 2);
    ex_svg_text(out, ylabel);
    fprintf(out, "</text>\n");
    return out;
}

/* A legend box at (lx, ly) of rows: label, colour (palette index, -1 grey), sample (0 line, 1 dashed line,
   2 thin line, 3 filled box). */
EX_FN void ex__legend(FILE *out, double lx, double ly, double lw, int rows, const char *const *labels,
                       const int *colors, const int *styles)
{
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                 "fill=\"white\" fill-opacity=\"0.9\" stroke=\"#999999\"/>\n", lx, ly, lw, 18.0 * rows + 8);
    for (int r = 0; r < rows; r++) {
        double yy = ly + 15 + 18 * r;
        const char *color = colors[r] < 0 ? "#444444" : ex_palette[colors[r] % 10];
        if (styles[r] == 3)
            fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"26\" height=\"10\" fill=\"%s\" fill-opacity=\"0.6\"/>\n",
                    lx + 8, yy - 9, color);
        else
            fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%s\"%s/>\n",
                    lx + 8, yy - 4, lx + 34, yy - 4, color, styles[r] == 0 ? "2.5" : "1.5",
                    styles[r] == 1 ? " stroke-dasharray=\"6,3\"" : "");
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">", lx + 40, yy);
        ex_svg_text(out, labels[r]);
        fprintf(out, "</text>\n");
    }
}

EX_FN int ex__svg_end(FILE *out)
{
    int werr;
    fprintf(out, "</svg>\n");
    werr = ferror(out);
    return fclose(out) == 0 && !werr;
}

/* How many sampled points of a series fall in the rectangle (four samples per segment). */
EX_FN int ex__hidden(const ex__axis *x, const ex__axis *y, const ex_series *s, double rx, double ry, double rw, double rh)
{
    int count = 0;
    for (int i = 0; i < s->n; i++)
        for (int k = 0; k < (i + 1 < s->n ? 4 : 1); k++) {
            double t = k / 4.0;
            int j = i + 1 < s->n ? i + 1 : i;
            double qx = (1 - t) * ex__px(x, s->x[i]) + t * ex__px(x, s->x[j]);
            double qy = (1 - t) * ex__py(y, s->y[i]) + t * ex__py(y, s->y[j]);
            count += qx >= rx && qx <= rx + rw && qy >= ry && qy <= ry + rh;
        }
    return count;
}

/* The points of a polyline of s: at most four per pixel column (the first, lowest, highest and last of
   the consecutive points that fall in it, in their order), which draw the same line at this size
   from any number of points. */
EX_FN void ex__polyline_points(FILE *out, const ex__axis *x, const ex__axis *y, const ex_series *s)
{
    int written = 0;
    for (int i = 0, j; i < s->n; i = j) {
        double col = floor(ex__px(x, s->x[i]));
        int lo = i, hi = i, keep[4];
        if (!isfinite(s->x[i]) || !isfinite(s->y[i])) { j = i + 1; continue; }   /* a value not defined: no point */
        for (j = i + 1; j < s->n && isfinite(s->x[j]) && isfinite(s->y[j]) && floor(ex__px(x, s->x[j])) == col; j++) {
            if (ex__py(y, s->y[j]) > ex__py(y, s->y[hi])) hi = j;
            if (ex__py(y, s->y[j]) < ex__py(y, s->y[lo])) lo = j;
        }
        keep[0] = i, keep[1] = lo < hi ? lo : hi, keep[2] = lo < hi ? hi : lo, keep[3] = j - 1;
        for (int k = 0; k < 4; k++) {
            if (k > 0 && keep[k] == keep[k - 1]) continue;
            fprintf(out, "%s%.2f,%.2f", written++ ? " " : "", ex__px(x, s->x[keep[k]]), ex__py(y, s->y[keep[k]]));
        }
    }
}

/* Line chart of ns series into path; the legend goes in the corner of the plot area where it hides
   least of the curves. The linear y axis runs from 0 (or the lowest value, if negative) to the highest
   value or c->ymax; non-finite values are drawn off the chart and do not set the axes.
   Returns 1, or 0 if the file cannot be written (errno tells why). */
EX_FN int ex_svg_lines(const char *path, const ex_chart *c, const ex_series *s, int ns)
{
    double xmin = HUGE_VAL, xmax = -HUGE_VAL, vmin = 0, vmax = 0, vmin_pos = HUGE_VAL;
    double ymax = c->ymax > 0 && c->ymax <= DBL_MAX ? c->ymax : 0;
    ex__axis x, y;
    const char *labels[40];
    int colors[40], styles[40], rows = 0, least = -1, wmax = 0;
    double lw, lh, lx = 0, ly = 0;
    FILE *out;
    for (int i = 0; i < ns; i++)
        for (int k = 0; k < s[i].n; k++) {
            double u = s[i].x[k], v = s[i].y[k];
            if (u < xmin && isfinite(u)) xmin = u;
            if (u > xmax && isfinite(u)) xmax = u;
            if (!isfinite(v)) continue;
            if (v > vmax) vmax = v;
            if (v < vmin) vmin = v;
            if (v > 0 && v < vmin_pos) vmin_pos = v;
        }
    if (!(xmin <= xmax)) xmin = 0, xmax = 1;

    x = ex__linear(xmin >= 0 ? 0 : xmin, xmax, 8, EX_LOOSE_LO | EX_LOOSE_HI | (c->whole_x ? EX_WHOLE : 0));
    if (c->log_y) {
        memset(&y, 0, sizeof y);
        y.log = 1;
        if (ymax > 1e300) ymax = 1e300; /* keeps the axis arithmetic finite */
        if (ymax > 0 && ymax < 1e-300) ymax = 1e-300;
        if (vmax > 1e300) vmax = 1e300;
        if (vmin_pos < 1e-300) vmin_pos = 1e-300;
        if (vmin_pos == HUGE_VAL) vmin_pos = ymax > 0 ? ymax / 10 : 1;
        y.lo = pow(10, floor(log10(vmin_pos)));
        if (ymax > 0) y.hi = ymax;
        else { /* 1, 2, 5 or 10 times a power of ten */
            double top = vmax > vmin_pos ? vmax : vmin_pos, d = pow(10, floor(log10(top)));
            y.hi = d * (top <= d * 1.0001 ? 1 : top <= 2 * d ? 2 : top <= 5 * d ? 5 : 10);
        }
        while (y.hi < 10 * y.lo * 0.9999) y.lo /= 10; /* at least one decade */
    } else
        y = ex__linear(vmin, ymax > 0 ? ymax : vmax, 6, EX_LOOSE_LO | (ymax > 0 ? 0 : EX_LOOSE_HI));

    if (!(out = ex__svg_begin(path, c->title, c->xlabel, c->ylabel, &x, &y))) return 0;
    fprintf(out, "<g clip-path=\"url(#area)\" fill=\"none\" stroke-width=\"1.5\" stroke-linejoin=\"round\">\n");
    for (int i = 0; i < ns; i++) {
        const char *color = ex_palette[s[i].color % 10];
        if (s[i].n == 1) {
            fprintf(out, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2.5\" fill=\"%s\"/>\n", ex__px(&x, s[i].x[0]),
                    ex__py(&y, s[i].y[0]), color);
            continue;
        }
        if (s[i].n == 0) continue;
        fprintf(out, "<polyline stroke=\"%s\"%s points=\"", color, s[i].dashed ? " stroke-dasharray=\"6,3\"" : "");
        ex__polyline_points(out, &x, &y, &s[i]);
        fprintf(out, "\"/>\n");
        for (int k = 0; s[i].markers && k < s[i].n; k++)
            if (isfinite(s[i].x[k]) && isfinite(s[i].y[k])) fprintf(out, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3.5\" fill=\"%s\" stroke=\"none\"/>\n",
                    ex__px(&x, s[i].x[k]), ex__py(&y, s[i].y[k]), color);
    }
    fprintf(out, "</g>\n");

    for (int i = 0; i < ns && rows < 38; i++)
        if (s[i].label) { labels[rows] = s[i].label; colors[rows] = s[i].color; styles[rows++] = s[i].dashed; }
    if (c->dashed_note) { labels[rows] = c->dashed_note; colors[rows] = -1; styles[rows++] = 1; }
    if (c->solid_note) { labels[rows] = c->solid_note; colors[rows] = -1; styles[rows++] = 2; }
    if (rows > 0) {
        for (int r = 0; r < rows; r++) if (ex__text_width(labels[r]) > wmax) wmax = ex__text_width(labels[r]);
        lw = 46 + wmax;
        lh = 18.0 * rows + 8;
        for (int corner = 0; corner < 4 && least != 0; corner++) {
            double cx = corner & 1 ? EX_X0 + 10 : EX_X1 - 10 - lw, cy = corner & 2 ? EX_Y1 - 10 - lh : EX_Y0 + 10;
            int n = 0;
            for (int i = 0; i < ns; i++) n += ex__hidden(&x, &y, &s[i], cx, cy, lw, lh);
            if (least < 0 || n < least) { least = n; lx = cx; ly = cy; }
        }
        ex__legend(out, lx, ly, lw, rows, labels, colors, styles);
    }
    return ex__svg_end(out);
}

/* Histograms of ns sets of values (set i: v[i][0 .. n[i]-1], named labels[i]) over `bins` equal bins
   of [lo, hi], drawn as translucent bars over each other. Returns 1, or 0 if the file cannot be written. */
EX_FN int ex_svg_histogram(const char *path, const char *title, const char *xlabel, int ns,
                            const double *const *v, const int *n, const char *const *labels,
                            double lo, double hi, int bins)
{
    ex__axis x = ex__linear(lo, hi, 8, 0), y;
    int counts[10][200], top = 1, colors[10], styles[10], wmax = 0;
    double bw = (hi - lo) / bins;
    FILE *out;
    if (ns > 10) ns = 10;
    if (bins > 200) bins = 200;
    for (int i = 0; i < ns; i++) {
        memset(counts[i], 0, sizeof counts[i]);
        for (int k = 0; k < n[i]; k++) {
            int b = (int)floor((v[i][k] - lo) / bw);
            if (!(v[i][k] >= lo && v[i][k] <= hi)) continue;
            if (b >= bins) b = bins - 1;
            if (++counts[i][b] > top) top = counts[i][b];
        }
        colors[i] = i;
        styles[i] = 3;
        if (ex__text_width(labels[i]) > wmax) wmax = ex__text_width(labels[i]);
    }
    y = ex__linear(0, 1.1 * top, 5, EX_LOOSE_HI | EX_WHOLE);
    if (!(out = ex__svg_begin(path, title, xlabel, "trials", &x, &y))) return 0;
    for (int i = 0; i < ns; i++)
        for (int b = 0; b < bins; b++) {
            double x0 = ex__px(&x, lo + b * bw), x1 = ex__px(&x, lo + (b + 1) * bw), y0 = ex__py(&y, counts[i][b]);
            if (!counts[i][b]) continue;
            fprintf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\" fill-opacity=\"%s\" "
                         "stroke=\"%s\"/>\n", x0, y0, x1 - x0, EX_Y1 - y0, ex_palette[i], ns > 1 ? "0.45" : "0.8",
                    ns > 1 ? ex_palette[i] : "white");
        }
    if (ns > 1) ex__legend(out, EX_X0 + 10, EX_Y0 + 10, 46.0 + wmax, ns, labels, colors, styles);
    return ex__svg_end(out);
}

/* ---------------------------------------------------------------------------------------------
   PNG: 8-bit greyscale, zlib stream of stored (uncompressed) deflate blocks */

EX_FN void ex__be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}

EX_FN int ex__chunk(FILE *f, const char *type, const unsigned char *data, size_t n)
{
    unsigned char head[8], tail[4];
    uint32_t crc;
    ex__be32(head, (uint32_t)n);
    memcpy(head + 4, type, 4);
    crc = tp_crc32(tp_crc32(0, head + 4, 4), data, n);
    ex__be32(tail, crc);
    return fwrite(head, 1, 8, f) == 8 && (n == 0 || fwrite(data, 1, n, f) == n) && fwrite(tail, 1, 4, f) == 4;
}

/* Writes the w x h image pix (row-major, one byte per pixel, 0 black .. 255 white) to path.
   Returns 1, or 0 if the file cannot be written or memory runs out. */
EX_FN int ex_png_gray(const char *path, int w, int h, const unsigned char *pix)
{
    static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    size_t raw_n = (size_t)h * (w + 1), blocks = raw_n / 65535 + 1, z_n = 2 + raw_n + 5 * blocks + 4, o = 0;
    unsigned char ihdr[13], *raw = (unsigned char *)malloc(raw_n), *z = (unsigned char *)malloc(z_n);
    uint32_t a = 1, b = 0;
    FILE *f;
    int ok;
    if (!raw || !z || w <= 0 || h <= 0) { free(raw); free(z); return 0; }
    for (int r = 0; r < h; r++) { /* each row: filter type 0 (none), then the pixels */
        raw[(size_t)r * (w + 1)] = 0;
        memcpy(raw + (size_t)r * (w + 1) + 1, pix + (size_t)r * w, (size_t)w);
    }
    z[o++] = 0x78; z[o++] = 0x01;                       /* zlib: deflate, 32K window, no dictionary */
    for (size_t done = 0; done < raw_n;) {              /* stored blocks of at most 65535 bytes */
        size_t len = raw_n - done < 65535 ? raw_n - done : 65535;
        z[o++] = done + len == raw_n;                   /* BFINAL, BTYPE 00 */
        z[o++] = (unsigned char)len; z[o++] = (unsigned char)(len >> 8);
        z[o++] = (unsigned char)~len; z[o++] = (unsigned char)(~len >> 8);
        memcpy(z + o, raw + done, len);
        o += len;
        done += len;
    }
    for (size_t i = 0; i < raw_n; i++) { a = (a + raw[i]) % 65521; b = (b + a) % 65521; }
    ex__be32(z + o, b << 16 | a);
    o += 4;
    ex__be32(ihdr, (uint32_t)w);
    ex__be32(ihdr + 4, (uint32_t)h);
    ihdr[8] = 8; ihdr[9] = 0; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0; /* 8 bits, grey, deflate, no filter, no interlace */
    if (!(f = fopen(path, "wb"))) { free(raw); free(z); return 0; }
    ok = fwrite(sig, 1, 8, f) == 8 && ex__chunk(f, "IHDR", ihdr, 13) && ex__chunk(f, "IDAT", z, o) && ex__chunk(f, "IEND", NULL, 0);
    ok &= !ferror(f);
    ok &= fclose(f) == 0;
    free(raw);
    free(z);
    return ok;
}

#endif /* EXAMPLES_PICTURES_H */
