/* cli.h: the command line of the example programs; not part of the library.
     ex_args, ex_flag, ex_value, ex_values   options as "--opt value" or "--opt=value"; an empty value is refused
     ex_parse_int, ex_parse_float, ex_parse_float_in, ex_parse_u64, ex_parse_threads
                          the one strict number parser of option values: the whole value, finite, in range,
                          or a message naming the option and the range
     ex_parse_num, ex_integer   the number syntax under them (also for numbers read back from files)
     ex_word_is, ex_choose, ex_is_rule   names compared without regard to case: the one place the examples
                          compare the names a user types (rules, schedules, datasets, presets, choices)
     ex_parse_list        a comma-separated list (rules, sizes, nets, thread counts)
     ex_arch              --arch: a preset in any case, or a spec as it is
     ex_output_ok         an output path that can be written, checked at start-up
     ex_help_item         an entry of a --help text made at run time (lists of the rules), word-wrapped
     ex_cpus              the processors online: what --threads is checked against
   Every other header of examples/ builds on this one (EX_FN). Include it after targetprop.h, with
   _POSIX_C_SOURCE 200809L defined before either. */
#ifndef EXAMPLES_CLI_H
#define EXAMPLES_CLI_H

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__GNUC__) || defined(__clang__)
#define EX_FN static __attribute__((unused)) /* not every example uses every helper */
#else
#define EX_FN static
#endif

/* Processors online (at least 1). */
EX_FN int ex_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 4096 ? 4096 : (int)n;
}

/* ---------------------------------------------------------------------------------------------
   Names */

/* Names (rules, schedules, data sets, presets) are equal ignoring case: POSIX's strcasecmp, which in the
   C locale the examples run in compares ASCII letters, as the header's own name lookup does. */
#define ex_word_is(a, b) (strcasecmp((a), (b)) == 0)

/* The value v of option opt as one of names[0 .. n-1] in any case: its index, or -1 after the message
   "prog: opt "v": expected EXPECT". */
EX_FN int ex_choose(const char *prog, const char *opt, const char *v, const char *const *names, int n, const char *expect)
{
    for (int k = 0; k < n; k++) if (ex_word_is(v, names[k])) return k;
    fprintf(stderr, "%s: %s \"%s\": expected %s\n", prog, opt, v, expect);
    return -1;
}

/* Whether s names a rule of the header's table, in any case (tp_rule_parse). */
EX_FN int ex_is_rule(const char *s)
{
    tp_rule r;
    return tp_rule_parse(s, &r, NULL) == TP_OK;
}

/* arch as the preset it names in any case (lowered into buf), or as it is: a spec. */
EX_FN const char *ex_arch(const char *arch, char *buf, size_t n)
{
    size_t k = 0;
    for (; arch[k] && k + 1 < n; k++) buf[k] = (char)tolower((unsigned char)arch[k]);
    buf[k] = '\0';
    return !arch[k] && tp_preset(buf) ? buf : arch;
}

/* ---------------------------------------------------------------------------------------------
   Numbers */

/* The one number syntax of the examples: all of s is a decimal number as strtod reads it, without
   leading space, hexadecimal, "inf" or "nan", and finite (overflow is refused; underflow gives 0). */
EX_FN int ex_parse_num(const char *s, double *v)
{
    char *end;
    if (!*s || isspace((unsigned char)*s)) return 0;
    for (const char *p = s; *p; p++)
        if (isalpha((unsigned char)*p) && *p != 'e' && *p != 'E') return 0;
    *v = strtod(s, &end);
    return *end == '\0' && isfinite(*v);
}

/* A whole number: an optional '-' and decimal digits only, no overflow. */
EX_FN int ex_integer(const char *s, long long *v)
{
    const char *p = s + (*s == '-');
    char *end;
    if (!*p) return 0;
    for (const char *q = p; *q; q++) if (!isdigit((unsigned char)*q)) return 0;
    errno = 0;
    *v = strtoll(s, &end, 10);
    return *end == '\0' && errno == 0;
}

/* Command-line values: parse v, the value of option opt of program prog, into *out; on a bad value
   print "prog: opt "v": expected ..." and return 0. */
EX_FN int ex_parse_int(const char *prog, const char *opt, const char *v, int lo, int hi, int *out)
{
    long long x;
    if (!ex_integer(v, &x) || x < lo || x > hi) {
        fprintf(stderr, "%s: %s \"%s\": expected a whole number from %d to %d\n", prog, opt, v, lo, hi);
        return 0;
    }
    *out = (int)x;
    return 1;
}

/* A float in [lo, hi], or with open = "(", ")" or "()" the interval open at that end (eps > 0, beta < 1). */
EX_FN int ex_parse_float_in(const char *prog, const char *opt, const char *v, double lo, double hi, const char *open,
                            float *out)
{
    double x;
    int lo_open = strchr(open, '(') != NULL, hi_open = strchr(open, ')') != NULL;
    if (!ex_parse_num(v, &x) || !(lo_open ? x > lo : x >= lo) || !(hi_open ? x < hi : x <= hi) || fabs(x) > FLT_MAX ||
        (hi_open && (float)x >= (float)hi) || (lo_open && (float)x <= (float)lo)) {   /* as the float it becomes */
        fprintf(stderr, "%s: %s \"%s\": expected a number %s%g, %g%s\n", prog, opt, v, lo_open ? "in (" : "in [", lo,
                hi < FLT_MAX ? hi : FLT_MAX, hi_open ? ")" : "]");
        return 0;
    }
    *out = (float)x;
    return 1;
}

EX_FN int ex_parse_float(const char *prog, const char *opt, const char *v, double lo, double hi, float *out)
{
    return ex_parse_float_in(prog, opt, v, lo, hi, "", out);
}

/* 0 .. 2^64-1, decimal digits without a sign (seeds). */
EX_FN int ex_parse_u64(const char *prog, const char *opt, const char *v, uint64_t *out)
{
    uint64_t x = 0;
    const char *p = v;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (x > (UINT64_MAX - (uint64_t)(*p - '0')) / 10) break;
        x = 10 * x + (uint64_t)(*p - '0');
    }
    if (p == v || *p) {
        fprintf(stderr, "%s: %s \"%s\": expected a whole number from 0 to 18446744073709551615, without a sign\n", prog, opt, v);
        return 0;
    }
    *out = x;
    return 1;
}

/* --threads: 1 .. the processors online; with allow_auto also "auto" (*out = 0). */
EX_FN int ex_parse_threads(const char *prog, const char *opt, const char *v, int allow_auto, int *out)
{
    long long x;
    if (allow_auto && ex_word_is(v, "auto")) { *out = 0; return 1; }
    if (!ex_integer(v, &x) || x < 1 || x > ex_cpus()) {
        fprintf(stderr, "%s: %s \"%s\": expected %sa whole number from 1 to %d (the processors online)\n", prog, opt, v,
                allow_auto ? "auto or " : "", ex_cpus());
        return 0;
    }
    *out = (int)x;
    return 1;
}

/* ---------------------------------------------------------------------------------------------
   Lists */

/* The comma-separated list v, the value of option opt: copied into buf (size bytes) and split there into
   items[0 .. n-1], each of which ok accepts (ok NULL: any). A comma at the end is allowed. An empty item
   (",a", "a,,b"), more than max items, a list longer than buf or an item ok refuses is refused with
   "prog: opt "v": expected up to MAX EXPECT, separated by commas". Returns n (at least 1), or -1 after that
   message. */
EX_FN int ex_parse_list(const char *prog, const char *opt, const char *v, int max, int (*ok)(const char *item),
                        const char *expect, char *buf, size_t size, char **items)
{
    int n = 0, bad = strlen(v) >= size;
    char *p = buf;
    if (!bad) memcpy(buf, v, strlen(v) + 1);
    while (!bad && *p) {
        size_t len = strcspn(p, ",");
        char *next = p + len + (p[len] == ',');
        p[len] = '\0';
        if (n == max || len == 0 || (ok && !ok(p))) bad = 1;
        else items[n++] = p;
        p = next;
    }
    if (!bad && n > 0) return n;
    fprintf(stderr, "%s: %s \"%s\": expected up to %d %s, separated by commas\n", prog, opt, v, max, expect);
    return -1;
}

/* ---------------------------------------------------------------------------------------------
   The command line: options as "--opt value" or "--opt=value"; other arguments as they are.
       ex_args a;
       for (ex_args_init(&a, "prog", argc, argv); ex_next(&a);) {
           if (ex_flag(&a, "--quiet")) quiet = 1;
           else if ((v = ex_value(&a, "--epochs"))) a.bad |= !ex_parse_int(a.prog, "--epochs", v, 1, 99, &n);
           else ex_unknown(&a);
       }
       if (a.bad) return 2;
   Each call after the first error does nothing, so one message is printed. */
typedef struct {
    const char *prog;
    int argc, i;
    char **argv;
    char *arg;           /* the current argument */
    char *eq;            /* the value after its '=', or NULL */
    size_t len;          /* the length of its name (before any '=') */
    int bad;             /* an error was printed */
} ex_args;

EX_FN void ex_args_init(ex_args *a, const char *prog, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->prog = prog;
    a->argc = argc;
    a->argv = argv;
}

EX_FN int ex_next(ex_args *a)
{
    char *e;
    if (a->bad || ++a->i >= a->argc) return 0;
    a->arg = a->argv[a->i];
    e = a->arg[0] == '-' && a->arg[1] == '-' ? strchr(a->arg, '=') : NULL;
    a->eq = e ? e + 1 : NULL;
    a->len = e ? (size_t)(e - a->arg) : strlen(a->arg);
    return 1;
}

/* Whether the current argument is option name (with or without its value). */
EX_FN int ex_is(const ex_args *a, const char *name)
{
    return !a->bad && a->len == strlen(name) && !strncmp(a->arg, name, a->len);
}

EX_FN int ex_flag(ex_args *a, const char *name)
{
    if (!ex_is(a, name)) return 0;
    if (a->eq) { fprintf(stderr, "%s: %s takes no value (see --help)\n", a->prog, name); a->bad = 1; return 0; }
    return 1;
}

/* The n values of option name if it is the current argument (consumed), else NULL: "--opt v" or "--opt=v" for
   one value, "--opt v1 v2 ..." for several. A missing or an empty value is refused. */
EX_FN char **ex_values(ex_args *a, const char *name, int n)
{
    char **v = a->eq ? &a->eq : a->argv + a->i + 1;   /* "--opt=v": one value, the rest of the argument */
    int have = a->eq ? 1 : a->argc - a->i - 1, k = 0;
    if (!ex_is(a, name)) return NULL;
    while (k < n && k < have && *v[k]) k++;
    if (k == n) {
        if (!a->eq) a->i += n;
        return v;
    }
    if (k < have) fprintf(stderr, "%s: %s \"\": the value is empty\n", a->prog, name);
    else if (n == 1) fprintf(stderr, "%s: %s needs a value (see --help)\n", a->prog, name);
    else fprintf(stderr, "%s: %s needs %d values (see --help)\n", a->prog, name, n);
    a->bad = 1;
    return NULL;
}

/* The value of option name if it is the current argument (consumed), else NULL. */
EX_FN const char *ex_value(ex_args *a, const char *name)
{
    char **v = ex_values(a, name, 1);
    return v ? v[0] : NULL;
}

EX_FN void ex_unknown(ex_args *a)
{
    if (a->bad) return;
    fprintf(stderr, "%s: unknown option %.*s (see --help)\n", a->prog, (int)a->len, a->arg);
    a->bad = 1;
}

/* One entry of a --help text made at run time: "  opt" in a column of 24, then text word-wrapped into lines of
   at most 96 columns, each further line starting at column 24. */
EX_FN void ex_help_item(FILE *f, const char *opt, const char *text)
{
    int col = fprintf(f, "  %-21s ", opt);
    while (*text) {
        int w = (int)strcspn(text, " ");
        if (col > 24 && col + 1 + w > 96) col = fprintf(f, "\n%24s", "") - 1;
        else if (col > 24) col += fprintf(f, " ");
        col += fprintf(f, "%.*s", w, text);
        for (text += w; *text == ' '; text++) {}
    }
    fprintf(f, "\n");
}

/* ---------------------------------------------------------------------------------------------
   Output files */

/* Whether path can be written, checked before a run starts rather than at its first write: what is there
   is a regular file, nothing, or a symbolic link to a regular file (which is then what is written:
   tp_output_path; a directory, device or FIFO is refused, never replaced or written into), and the
   directory it is in exists and is writable. Prints "prog: opt path: why" and returns 0 if not. */
EX_FN int ex_output_ok(const char *prog, const char *opt, const char *path)
{
    char file[4096], dir[4096], why[TP_ERROR_LEN];
    const char *slash;
    struct stat st;
    int n;
    if (tp_output_path(path, file, sizeof file, why) != TP_OK) {
        fprintf(stderr, "%s: %s %s\n", prog, opt, why);
        return 0;
    }
    slash = strrchr(file, '/');
    n = slash ? (int)(slash - file) : 1;
    snprintf(dir, sizeof dir, "%.*s", n > 0 ? n : 1, slash ? (n > 0 ? file : "/") : ".");
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "%s: %s %s: the directory %s does not exist\n", prog, opt, path, dir);
        return 0;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        fprintf(stderr, "%s: %s %s: the directory %s is not writable\n", prog, opt, path, dir);
        return 0;
    }
    return 1;
}

#endif /* EXAMPLES_CLI_H */
