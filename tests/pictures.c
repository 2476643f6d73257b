/* Writes the pictures the examples draw, from known data, for tests/examples.sh to check:
     DIR/grid.png        a 301 x 250 grey PNG (more than one stored deflate block), pixel (x, y) = (x * 7 + y * 13) % 256
     DIR/lines.svg       a line chart whose labels need escaping (& < > " and UTF-8), log y axis
     DIR/histogram.svg   two overlaid histograms
   Usage: pictures DIR */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#define TARGETPROP_IMPLEMENTATION
#include "targetprop.h"
#include "../examples/common.h"
#include "../examples/pictures.h"

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
