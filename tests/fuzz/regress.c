/* tests/fuzz/regress.c - replays fuzz inputs through the harnesses' entry points, without
   libFuzzer, so any C compiler (and make test) can check past findings:

     cc -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -I. tests/fuzz/regress.c \
        -o build/fuzz-regress -lm && build/fuzz-regress tests/fuzz/crashes tests/fuzz/corpus-min

   Arguments are files or directories (searched recursively; a missing one is skipped). The
   harness for a file is named by its directory (corpus-min/NAME/...) or by its name's
   prefix (crashes/NAME-<hash>), NAME one of idx, cifar, checkpoint, spec. Each file runs in
   a child process, so one crash does not hide the next. Output: a line per failing file,
   then "fuzz-regress: N passed, N failed"; the exit code is 1 when anything failed. */
#define TPFUZZ_NO_MAIN 1
#include "fuzz_idx.c"
#include "fuzz_cifar.c"
#include "fuzz_checkpoint.c"
#include "fuzz_spec.c"

#include <sys/types.h>
#include <sys/wait.h>

/* sanitizer defaults when built without -fno-sanitize-recover: stop at the first report */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void) { return "halt_on_error=1:print_stacktrace=1"; }

typedef int (*tpfuzz_entry)(const uint8_t *, size_t);

static const struct { const char *name; tpfuzz_entry run; } harnesses[] = {
    {"idx", tpfuzz_idx}, {"cifar", tpfuzz_cifar}, {"checkpoint", tpfuzz_checkpoint}, {"spec", tpfuzz_spec},
};

static int passed, failed, unknown;

static tpfuzz_entry pick(const char *path)
{
    const char *base = strrchr(path, '/'), *dirend = base;
    base = base ? base + 1 : path;
    for (size_t h = 0; h < sizeof harnesses / sizeof harnesses[0]; h++) {
        size_t n = strlen(harnesses[h].name);
        if (strncmp(base, harnesses[h].name, n) == 0 && base[n] == '-') return harnesses[h].run;
        if (dirend) {   /* .../NAME/file */
            const char *d = dirend;
            while (d > path && d[-1] != '/') d--;
            if ((size_t)(dirend - d) == n && strncmp(d, harnesses[h].name, n) == 0) return harnesses[h].run;
        }
    }
    return NULL;
}

static void replay(const char *path)
{
    tpfuzz_entry run = pick(path);
    size_t size = 0;
    uint8_t *data;
    pid_t pid;
    int status = 0;
    if (!run) {
        fprintf(stderr, "fuzz-regress: %s: no harness named by its directory or name prefix; skipped\n", path);
        unknown++;
        return;
    }
    if (!(data = tpfuzz_read(path, &size))) {
        fprintf(stderr, "fuzz-regress: %s: cannot read\n", path);
        failed++;
        return;
    }
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        run(data, size);
        exit(0);   /* atexit removes the child's temporary directory */
    }
    free(data);
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("FAIL %s (%s %d)\n", path, pid > 0 && WIFSIGNALED(status) ? "signal" : "exit status",
               pid > 0 && WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        failed++;
    } else {
        passed++;
    }
}

/* Removes DIR's contents, two levels deep (each child's tpfuzz.XXXXXX and its files): a
   child a sanitizer stopped could not run its own atexit cleanup. */
static void clean(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d) return;
    while ((e = readdir(d)) != NULL) {
        char sub[PATH_MAX];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
        if (depth > 0) clean(sub, depth - 1);
        if (unlink(sub) != 0) rmdir(sub);
    }
    closedir(d);
}

static void walk(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    if (stat(path, &st) != 0) return;   /* e.g. no crashes/ yet */
    if (!S_ISDIR(st.st_mode)) { replay(path); return; }
    if (!(d = opendir(path))) return;
    while ((e = readdir(d)) != NULL) {
        char sub[PATH_MAX];
        if (e->d_name[0] == '.') continue;   /* ., .., and hidden files such as .gitignore */
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        walk(sub);
    }
    closedir(d);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR_OR_FILE...   (e.g. tests/fuzz/crashes tests/fuzz/corpus-min)\n", argv[0]);
        return 2;
    }
    {   /* the children's temporary directories go in one of ours, removed at the end */
        const char *base = getenv("TMPDIR");
        static char tmp[PATH_MAX];
        snprintf(tmp, sizeof tmp, "%s/tpfuzz-regress.XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(tmp)) { fprintf(stderr, "fuzz-regress: cannot create %s\n", tmp); return 2; }
        setenv("TPFUZZ_TMPDIR", tmp, 1);
        for (int i = 1; i < argc; i++) walk(argv[i]);
        clean(tmp, 1);
        rmdir(tmp);
    }
    printf("fuzz-regress: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
