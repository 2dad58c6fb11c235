#include "proc_harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PH_MAX_CHILDREN 256
#define PH_MAX_POOLS 32
#define PH_MAX_ARGS 32

struct ph_pool {
    char name[128];
    char stem[160]; /* /dev/shm name of the segment, without '/' */
    int whole;
};

static ph_child *g_children[PH_MAX_CHILDREN];
static struct ph_pool g_pools[PH_MAX_POOLS];
static int g_npools;
static char g_test[64];
static char g_soft[4096]; /* ph_soft_fail messages */
static int g_nsoft;

void ph_note(int failure, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "[%s %ld] %s%s\n", g_test, (long)getpid(),
            failure ? "FAILURE (test continues): " : "", msg);
    fflush(stderr);
    size_t len = strlen(g_soft);
    if (failure && len + 8 < sizeof g_soft)
        snprintf(g_soft + len, sizeof g_soft - len, "%s[%d] %s", len ? "; " : "", ++g_nsoft, msg);
}

void ph_begin(const char *test)
{
    snprintf(g_test, sizeof g_test, "%s", test);
    signal(SIGPIPE, SIG_IGN);
    g_npools = 0;
    g_nsoft = 0;
    g_soft[0] = '\0';
}

int64_t ph_scale_ms(const char *env, int64_t ms)
{
    const char *s = getenv(env);
    double f = s ? atof(s) : 1.0;
    return (int64_t)((double)ms * (f < 1.0 ? 1.0 : f));
}

/* ------------------------------------------------------------ /dev/shm --- */

const char *ph_track_pool(const char *pool, const char *stem, int whole)
{
    if (g_npools == PH_MAX_POOLS)
        return NULL;
    struct ph_pool *p = &g_pools[g_npools++];
    snprintf(p->name, sizeof p->name, "%s", pool);
    snprintf(p->stem, sizeof p->stem, "%s", stem);
    p->whole = whole;
    return p->name;
}

static const struct ph_pool *tracked(const char *pool)
{
    for (int i = 0; i < g_npools; i++)
        if (!strcmp(g_pools[i].name, pool))
            return &g_pools[i];
    PH_ASSERT(0, "pool '%s' is not tracked (ph_track_pool)", pool);
    return NULL;
}

static int belongs(const struct ph_pool *p, const char *entry)
{
    size_t n = strlen(p->stem);
    if (strncmp(entry, p->stem, n) != 0)
        return 0;
    return !p->whole || !entry[n] || entry[n] == '~';
}

/* Visit (count, list, and with @p unlink_them remove) the pool's entries. */
static int shm_scan(const struct ph_pool *p, char *list, size_t cap, int unlink_them)
{
    int n = 0;
    size_t off = 0;
    if (list && cap)
        list[0] = '\0';
    DIR *d = opendir("/dev/shm");
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!belongs(p, e->d_name))
            continue;
        n++;
        if (list && off + 2 < cap)
            off += (size_t)snprintf(list + off, cap - off, "%s%s", off ? " " : "", e->d_name);
        if (unlink_them) {
            char path[512];
            snprintf(path, sizeof path, "/dev/shm/%s", e->d_name);
            unlink(path);
        }
    }
    closedir(d);
    return n;
}

int ph_shm_entries(const char *pool, char *list, size_t cap)
{
    return shm_scan(tracked(pool), list, cap, 0);
}

static void assert_none(const struct ph_pool *p, const char *when)
{
    char list[1024];
    int n = shm_scan(p, list, sizeof list, 0);
    PH_ASSERT(n == 0, "%s: /dev/shm still holds %d entr%s of pool '%s': %s", when, n,
              n == 1 ? "y" : "ies", p->name, list);
}

void ph_assert_no_shm(const char *pool, const char *when) { assert_none(tracked(pool), when); }

int ph_maps_pool(pid_t pid, const char *pool)
{
    const struct ph_pool *p = tracked(pool);
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%ld/maps", (long)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    int found = 0;
    size_t sl = strlen(p->stem);
    while (!found && fgets(line, sizeof line, f)) {
        /* the segment itself, mapped or mapped and unlinked (" (deleted)") */
        const char *s = strstr(line, "/dev/shm/");
        if (s && !strncmp(s + 9, p->stem, sl) &&
            (s[9 + sl] == '\n' || s[9 + sl] == ' ' || s[9 + sl] == '\0'))
            found = 1;
    }
    fclose(f);
    return found;
}

/* ------------------------------------------------------------ children --- */

static void kill_and_reap(ph_child *c)
{
    kill(c->pid, SIGKILL);
    while (waitpid(c->pid, &c->wstatus, 0) < 0 && errno == EINTR) {
    }
    c->reaped = 1;
}

void ph_cleanup_all(void)
{
    for (int i = 0; i < PH_MAX_CHILDREN; i++) {
        ph_child *c = g_children[i];
        if (c && !c->reaped && c->pid > 0)
            kill_and_reap(c);
    }
    for (int i = 0; i < g_npools; i++)
        shm_scan(&g_pools[i], NULL, 0, 1);
}

ph_child *ph_vspawn(const char *what, const char *const *head, int n, va_list extra)
{
    const char *argv[PH_MAX_ARGS];
    int argc = 0;
    for (; argc < n && argc < PH_MAX_ARGS - 1; argc++)
        argv[argc] = head[argc];
    const char *a;
    while ((a = va_arg(extra, const char *)) != NULL && argc < PH_MAX_ARGS - 1)
        argv[argc++] = a;
    argv[argc] = NULL;

    int slot = -1;
    for (int i = 0; i < PH_MAX_CHILDREN; i++)
        if (!g_children[i]) {
            slot = i;
            break;
        }
    PH_ASSERT(slot >= 0, "too many children");
    ph_child *c = calloc(1, sizeof *c);
    PH_ASSERT(c != NULL, "out of memory");
    snprintf(c->what, sizeof c->what, "%s", what);
    int in[2], out[2];
    PH_ASSERT(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0, "pipe2: %s",
              strerror(errno));
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    PH_ASSERT(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        /* async-signal-safe calls only; a parent that died before the
         * prctl would leave the child running */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
            _exit(127);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    c->pid = pid;
    c->to = in[1];
    c->from = out[0];
    g_children[slot] = c;
    return c;
}

/* ---------------------------------------------------------- line I/O --- */

int ph_send(ph_child *c, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line - 1 || c->to < 0)
        return -1;
    line[n++] = '\n';
    size_t off = 0;
    while (off < (size_t)n) {
        ssize_t w = write(c->to, line + off, (size_t)n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        off += (size_t)w;
    }
    return 0;
}

int ph_recv(ph_child *c, char *line, size_t cap, int64_t timeout_ms)
{
    int64_t deadline = mono_ns() + timeout_ms * 1000000;
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);
        if (nl) {
            size_t n = (size_t)(nl - c->buf);
            size_t k = n < cap - 1 ? n : cap - 1;
            memcpy(line, c->buf, k);
            line[k] = '\0';
            memmove(c->buf, nl + 1, c->len - n - 1);
            c->len -= n + 1;
            return 0;
        }
        if (c->len == sizeof c->buf)
            return -1;
        int64_t left = (deadline - mono_ns()) / 1000000;
        if (left <= 0)
            return -2;
        struct pollfd pfd = { c->from, POLLIN, 0 };
        if (poll(&pfd, 1, left > 1000 ? 1000 : (int)left) <= 0)
            continue; /* EINTR or a slice of the deadline passed */
        ssize_t r = read(c->from, c->buf + c->len, sizeof c->buf - c->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        c->len += (size_t)r;
    }
}

char *ph_expect_line(ph_child *c, char *line, size_t cap, int64_t timeout_ms, const char *what)
{
    int r = ph_recv(c, line, cap, timeout_ms);
    PH_ASSERT(r == 0, "%s (pid %ld): %s while waiting for %s (%lld ms)", c->what, (long)c->pid,
              r == -1 ? "exited / closed its output" : "no answer", what, (long long)timeout_ms);
    return line;
}

char *ph_expect_ok(ph_child *c, char *line, size_t cap, int64_t timeout_ms)
{
    ph_expect_line(c, line, cap, timeout_ms, "an answer");
    PH_ASSERT(ph_starts(line, "ok"), "%s (pid %ld) answered '%s'", c->what, (long)c->pid, line);
    return line;
}

char *ph_request(ph_child *c, char *line, size_t cap, int64_t timeout_ms, int need_ok,
                 const char *fmt, ...)
{
    char req[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(req, sizeof req, fmt, ap);
    va_end(ap);
    PH_ASSERT(ph_send(c, "%s", req) == 0, "%s (pid %ld): cannot send '%s' (it exited?)", c->what,
              (long)c->pid, req);
    int r = ph_recv(c, line, cap, timeout_ms);
    PH_ASSERT(r == 0, "%s (pid %ld): %s answering '%s' within %lld ms", c->what, (long)c->pid,
              r == -1 ? "exited/closed stdout without" : "no answer", req, (long long)timeout_ms);
    PH_ASSERT(!need_ok || ph_starts(line, "ok"), "%s (pid %ld): '%s' answered '%s'", c->what,
              (long)c->pid, req, line);
    return line;
}

int ph_starts(const char *line, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(line, prefix, n) == 0 && (line[n] == ' ' || line[n] == '\0');
}

/* ----------------------------------------------------- kill and reap --- */

void ph_kill9(ph_child *c)
{
    if (!c->reaped)
        kill(c->pid, SIGKILL);
}

int ph_wait_zombie(ph_child *c, int64_t timeout_ms)
{
    int64_t deadline = mono_ns() + timeout_ms * 1000000;
    for (;;) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == c->pid)
            return 0;
        if (mono_ns() > deadline)
            return -1;
        mono_sleep_ns(200000);
    }
}

int ph_reap(ph_child *c, int64_t timeout_ms)
{
    if (c->reaped)
        return 0;
    int64_t deadline = mono_ns() + timeout_ms * 1000000;
    for (;;) {
        pid_t r = waitpid(c->pid, &c->wstatus, WNOHANG);
        if (r == c->pid) {
            c->reaped = 1;
            return 0;
        }
        if (r < 0 && errno != EINTR) {
            c->reaped = 1;
            c->wstatus = -1;
            return 0;
        }
        if (mono_ns() > deadline)
            return -1;
        mono_sleep_ns(200000);
    }
}

void ph_quit(ph_child *c, int64_t timeout_ms)
{
    if (c->to >= 0) {
        ph_send(c, "quit");
        close(c->to);
        c->to = -1;
    }
    PH_ASSERT(ph_reap(c, timeout_ms) == 0, "%s (pid %ld) did not exit within %lld ms of quit",
              c->what, (long)c->pid, (long long)timeout_ms);
    PH_ASSERT(WIFEXITED(c->wstatus) && WEXITSTATUS(c->wstatus) == 0,
              "%s (pid %ld) ended with %s %d", c->what, (long)c->pid,
              WIFEXITED(c->wstatus) ? "exit status" : "signal",
              WIFEXITED(c->wstatus) ? WEXITSTATUS(c->wstatus) : WTERMSIG(c->wstatus));
}

void ph_child_free(ph_child *c)
{
    if (!c)
        return;
    if (c->to >= 0)
        close(c->to);
    if (c->from >= 0)
        close(c->from);
    c->to = c->from = -1;
    if (!c->reaped)
        kill_and_reap(c);
    for (int i = 0; i < PH_MAX_CHILDREN; i++)
        if (g_children[i] == c)
            g_children[i] = NULL;
    free(c);
}

/* --------------------------------------------------------------- /proc --- */

/* The first line of a small /proc file into @p buf; its length or -1. */
static ssize_t read_proc(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return n;
}

char ph_proc_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    if (read_proc(path, buf, sizeof buf) < 0)
        return '?';
    /* the command name in parentheses may hold anything, ')' included */
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : '?';
}

int ph_in_futex(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%ld/task/%ld/syscall", (long)pid, (long)pid);
    if (read_proc(path, buf, sizeof buf) < 0)
        return -1;
    if (buf[0] < '0' || buf[0] > '9')
        return buf[0] == 'r' ? 0 : -1; /* "running" */
    return atol(buf) == SYS_futex;
}

/* ------------------------------------------------------------- verdict --- */

void ph_finish(void)
{
    for (int i = 0; i < PH_MAX_CHILDREN; i++) {
        ph_child *c = g_children[i];
        if (c) {
            PH_ASSERT(c->reaped, "%s (pid %ld) still running at the end of the test", c->what,
                      (long)c->pid);
            ph_child_free(c);
        }
    }
    for (int i = 0; i < g_npools; i++)
        assert_none(&g_pools[i], "end of test");
    PH_ASSERT(g_nsoft == 0, "%d failure(s) recorded during the test: %s", g_nsoft, g_soft);
}

/* ------------------------------------------------------------- answers --- */

int ph_mentions_num(const char *text, long long num)
{
    char s[32];
    snprintf(s, sizeof s, "%lld", num);
    size_t n = strlen(s);
    for (const char *p = strstr(text, s); p; p = strstr(p + 1, s)) {
        int before = p > text && p[-1] >= '0' && p[-1] <= '9';
        int after = p[n] >= '0' && p[n] <= '9';
        if (!before && !after)
            return 1;
    }
    return 0;
}

int ph_field(const char *line, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *p = line; (p = strstr(p, key)) != NULL; p++) {
        if ((p == line || p[-1] == ' ') && p[kl] == '=') {
            const char *v = p + kl + 1;
            size_t n = strcspn(v, " ");
            if (n >= cap)
                n = cap - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return 0;
        }
    }
    if (cap)
        out[0] = '\0';
    return -1;
}

/* ---------------------------------------------------------------- suite --- */

void ph_add_case(Suite *s, TCase *tc, const TTest *t, int timeout_s)
{
    if (timeout_s > 0)
        tcase_set_timeout(tc, timeout_s);
    tcase_add_test(tc, t);
    suite_add_tcase(s, tc);
}

int ph_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
