/* Writes the pictures the examples draw, from known data, for tests/examples.sh to check:
     DIR/grid.png        a 301 x 250 grey PNG (more than one stored deflate block), pixel (x, y) = (x * 7 + y * 13) % 256
     DIR/lines.svg       a line chart whose labels need escaping (& < > " and UTF-8), log y axis
     DIR/histogram.svg   two overlaid histograms
   and first checks the ticks of linear axes (ex__linear) over ranges from the tiny to the huge,
   printing "ok pictures-ticks: ..." or a "FAIL pictures-ticks ..." line for each range that fails.
   Usage: pictures DIR */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#define TARGETPROP_IMPLEMENTATION
#include "targetprop.h"
#include "../examples/pictures.h"

/* Checks the axis ex__linear makes of [lo, hi] with these flags: 2 to EX_MAX_TICKS ticks, a step of
   1, 2, 2.5 or 5 times a power of ten, evenly spaced ticks inside the axis, an axis holding the range
   (and not much wider, unless the range is too narrow to label or under the whole step), and labels that are distinct, finite,
   short and read back as their ticks. Prints why and returns 0 if not. */
static int ticks_ok(double lo, double hi, int intervals, int flags)
{
    ex__axis a = ex__linear(lo, hi, intervals, flags);
    char label[EX_MAX_TICKS][40], why[200] = "";
    double tol = a.step * 1e-6, width = a.hi / 2 - a.lo / 2, range = hi / 2 - lo / 2;
    int n = a.n;
    if (n < 2 || n > EX_MAX_TICKS) snprintf(why, sizeof why, "%d ticks", n);
    else if (!(a.step > 0 && isfinite(a.step)) || !(a.nice == 1 || a.nice == 2 || a.nice == 2.5 || a.nice == 5) ||
             fabs(a.step - a.nice * pow(10, a.e10)) > a.step * 1e-12)
        snprintf(why, sizeof why, "step %g is not 1, 2, 2.5 or 5 times a power of ten", a.step);
    else if (!(a.lo <= lo && a.hi >= hi) || !isfinite(a.lo) || !isfinite(a.hi))
        snprintf(why, sizeof why, "axis [%g, %g] does not hold the range", a.lo, a.hi);
    else if (range > (fabs(lo) + fabs(hi)) * 1e-6 && range > DBL_MIN && !((flags & EX_WHOLE) && range < 1) && width > 3 * range)
        snprintf(why, sizeof why, "axis [%g, %g] is more than 3 times the range", a.lo, a.hi);
    for (int k = 0; k < n && !*why; k++) {
        double t = ex__tick(&a, k), back;
        ex__tick_label(&a, k, label[k], sizeof label[k]);
        if (!isfinite(t) || t < a.lo - tol || t > a.hi + tol)
            snprintf(why, sizeof why, "tick %d (%g) is outside the axis [%g, %g]", k, t, a.lo, a.hi);
        else if (k > 0 && fabs((t / 2 - ex__tick(&a, k - 1) / 2) - a.step / 2) > tol)
            snprintf(why, sizeof why, "ticks %d and %d are not one step (%g) apart", k - 1, k, a.step);
        else if (strstr(label[k], "inf") || strstr(label[k], "nan") || strlen(label[k]) > 14)
            snprintf(why, sizeof why, "tick %d is labelled \"%.39s\"", k, label[k]);
        else if ((back = strtod(label[k], NULL), fabs(back / 2 - t / 2) > a.step / 4))
            snprintf(why, sizeof why, "tick %d (%.17g) is labelled \"%.39s\"", k, t, label[k]);
        for (int j = 0; j < k && !*why; j++)
            if (!strcmp(label[j], label[k])) snprintf(why, sizeof why, "ticks %d and %d both labelled \"%.39s\"", j, k, label[k]);
    }
    if (*why) printf("FAIL pictures-ticks [%.17g, %.17g] (%d intervals, flags %d): %s\n", lo, hi, intervals, flags, why);
    return !*why;
}

/* ticks_ok over ranges at every scale, each with tight ends, loose ends, and whole steps. */
static int ticks_all(void)
{
    static const double ranges[][2] = {
        { 0, 1 }, { 0, 1e-18 }, { 1e-30, 3e-30 }, { -1e308, 1e308 }, { -DBL_MAX, DBL_MAX }, { FLT_MIN, 2 * FLT_MIN },
        { DBL_MIN, 4 * DBL_MIN }, { 0, DBL_MIN }, { 0, 1e-310 }, { 5, 5 }, { 0, 0 }, { -3, -3 }, { DBL_MAX, DBL_MAX },
        { -DBL_MAX, -DBL_MAX }, { 1e-10, 2e-10 }, { -7, -3 }, { -1, 0 }, { -2e-20, -1e-20 }, { -1e300, -1e299 },
        { 0, 100 }, { 0, 7 }, { 1, 600000 }, { 75, 100 }, { 0, 2.5 }, { -3, 1e6 }, { 1e15, 1e15 + 1 },
        { 1, 1 + 1e-15 }, { 0.1, 0.3 }, { 0, 1.1 }, { 0, 1e300 }, { 1e-300, 1e300 }
    };
    static const int flags[] = { 0, EX_LOOSE_LO | EX_LOOSE_HI, EX_LOOSE_LO | EX_LOOSE_HI | EX_WHOLE };
    int ok = 1, cases = 0;
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++)
        for (int f = 0; f < 3; f++)
            for (int intervals = 4; intervals <= 10; intervals += 2, cases++)
                ok &= ticks_ok(ranges[r][0], ranges[r][1], intervals, flags[f]);
    if (ok) printf("ok pictures-ticks: %d axes over %d ranges from [DBL_MIN, 4 DBL_MIN] to [-DBL_MAX, DBL_MAX]\n",
                   cases, (int)(sizeof ranges / sizeof ranges[0]));
    return ok;
}

int main(int argc, char **argv)
{
    char path[1024];
    static unsigned char pix[250][301];
    double x[50], y1[50], y2[50], a[40], b[30];
    const double *sets[2] = { a, b };
    int n[2] = { 40, 30 };
    const char *labels[2] = { "DTP <alternating>", "SDTP & \"AO\" \xc3\xa9" };
    ex_chart c = { "Chart: A & B <\xe2\x80\x94> \"quoted\"", "epoch", "error (%)", 1, 0, 1, "train (dashed)", "test (solid)" };
    ex_series s[3];
    if (argc != 2) { fprintf(stderr, "usage: pictures DIR\n"); return 2; }
    if (!ticks_all()) return 1;
    for (int r = 0; r < 250; r++)
        for (int q = 0; q < 301; q++) pix[r][q] = (unsigned char)((q * 7 + r * 13) % 256);
    snprintf(path, sizeof path, "%s/grid.png", argv[1]);
    if (!ex_png_gray(path, 301, 250, &pix[0][0])) { fprintf(stderr, "pictures: %s: cannot write\n", path); return 1; }
    for (int i = 0; i < 50; i++) { x[i] = i + 1; y1[i] = 50.0 / (i + 1); y2[i] = 2 + 40.0 / (i + 2); }
    memset(s, 0, sizeof s);
    s[0].label = "rule & <one>"; s[0].x = x; s[0].y = y1; s[0].n = 50;
    s[1].x = x; s[1].y = y2; s[1].n = 50; s[1].dashed = 1;
    s[2].label = "\xff invalid UTF-8"; s[2].x = x; s[2].y = y2; s[2].n = 1; s[2].color = 1;
    snprintf(path, sizeof path, "%s/lines.svg", argv[1]);
    if (!ex_svg_lines(path, &c, s, 3)) { fprintf(stderr, "pictures: %s: cannot write\n", path); return 1; }
    for (int i = 0; i < 40; i++) a[i] = 90 + (i % 9);
    for (int i = 0; i < 30; i++) b[i] = 80 + (i % 13);
    snprintf(path, sizeof path, "%s/histogram.svg", argv[1]);
    if (!ex_svg_histogram(path, "Histogram <&>", "best test accuracy (%)", 2, sets, n, labels, 75, 100, 25)) {
        fprintf(stderr, "pictures: %s: cannot write\n", path);
        return 1;
    }
    return 0;
}
