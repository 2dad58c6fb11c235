#include "mp_harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TIPC_MP_HELPER
#error "TIPC_MP_HELPER (path of tipc_mp_helper) must be defined"
#endif

#define MP_MAX_CHILDREN 256
#define MP_MAX_POOLS 16

static mp_child *g_children[MP_MAX_CHILDREN];
static char g_pools[MP_MAX_POOLS][TIPC_NAME_MAX + 1];
static int g_npools;
static char g_test[64];
static char g_soft[4096]; /* mp_soft_fail messages */
static int g_nsoft;

void mp_log(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "[%s %ld] %s\n", g_test, (long)getpid(), line);
    fflush(stderr);
}

void mp_begin(const char *test)
{
    snprintf(g_test, sizeof g_test, "%s", test);
    signal(SIGPIPE, SIG_IGN);
    g_npools = 0;
    g_nsoft = 0;
    g_soft[0] = '\0';
}

int64_t mp_ms(int64_t ms)
{
    const char *s = getenv("MP_TIME_SCALE");
    double f = s ? atof(s) : 1.0;
    if (f < 1.0)
        f = 1.0;
    return (int64_t)((double)ms * f);
}

void mp_pool_name(char *out, size_t cap, const char *tag)
{
    snprintf(out, cap, "mp/%s-%ld-p", tag, (long)getpid());
    if (g_npools < MP_MAX_POOLS)
        snprintf(g_pools[g_npools++], sizeof g_pools[0], "%s", out);
}

static void segment_prefix(const char *pool, char *out, size_t cap)
{
    /* The library's own name for it, e.g. "/tipc.a.b" -> "tipc.a.b". */
    tipc_metadata *md = NULL;
    out[0] = '\0';
    if (mp_metadata(&md, pool, 1, 64) == TIPC_OK) {
        const char *n = tipc_metadata_shm_name(md);
        if (n) {
            while (*n == '/')
                n++;
            snprintf(out, cap, "%s", n);
        }
    }
    tipc_metadata_destroy(md);
    if (!out[0]) {
        /* documented layout: '/' becomes '.' */
        snprintf(out, cap, "tipc.%s", pool);
        for (char *p = out; *p; p++)
            if (*p == '/')
                *p = '.';
    }
}

int mp_shm_entries(const char *pool, char *list, size_t cap)
{
    char prefix[256];
    segment_prefix(pool, prefix, sizeof prefix);
    size_t plen = strlen(prefix);
    int n = 0;
    size_t off = 0;
    if (list && cap)
        list[0] = '\0';
    DIR *d = opendir("/dev/shm");
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, plen) != 0)
            continue;
        n++;
        if (list && off + 2 < cap)
            off += (size_t)snprintf(list + off, cap - off, "%s%s", off ? " " : "", e->d_name);
    }
    closedir(d);
    return n;
}

void mp_cleanup_all(void)
{
    for (int i = 0; i < MP_MAX_CHILDREN; i++) {
        mp_child *c = g_children[i];
        if (!c)
            continue;
        if (!c->reaped && c->pid > 0) {
            kill(c->pid, SIGKILL);
            while (waitpid(c->pid, &c->wstatus, 0) < 0 && errno == EINTR) {
            }
            c->reaped = 1;
        }
    }
    for (int i = 0; i < g_npools; i++) {
        char prefix[256], path[600];
        segment_prefix(g_pools[i], prefix, sizeof prefix);
        size_t plen = strlen(prefix);
        DIR *d = opendir("/dev/shm");
        if (!d)
            continue;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strncmp(e->d_name, prefix, plen) == 0) {
                snprintf(path, sizeof path, "/dev/shm/%s", e->d_name);
                unlink(path);
            }
        }
        closedir(d);
    }
}

mp_child *mp_spawn(const char *what, const char *cmd, const char *pool, uint32_t hist,
                   size_t frame_bytes, ...)
{
    char hs[16], fs[24];
    const char *argv[32];
    int argc = 0;
    snprintf(hs, sizeof hs, "%u", hist);
    snprintf(fs, sizeof fs, "%zu", frame_bytes);
    argv[argc++] = TIPC_MP_HELPER;
    argv[argc++] = cmd;
    argv[argc++] = pool;
    argv[argc++] = hs;
    argv[argc++] = fs;
    va_list ap;
    va_start(ap, frame_bytes);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && argc < 31)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;

    int slot = -1;
    for (int i = 0; i < MP_MAX_CHILDREN; i++)
        if (!g_children[i]) {
            slot = i;
            break;
        }
    MP_ASSERT(slot >= 0, "too many children");
    mp_child *c = calloc(1, sizeof *c);
    MP_ASSERT(c != NULL, "out of memory");
    snprintf(c->what, sizeof c->what, "%s", what);
    int in[2], out[2];
    MP_ASSERT(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0, "pipe2: %s",
              strerror(errno));
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    MP_ASSERT(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        /* async-signal-safe calls only */
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

int mp_send(mp_child *c, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line - 1)
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

int mp_recv(mp_child *c, char *line, size_t cap, int64_t timeout_ms)
{
    int64_t deadline = mp_mono_ns() + timeout_ms * 1000000;
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
        int64_t left = (deadline - mp_mono_ns()) / 1000000;
        if (left <= 0)
            return -2;
        struct pollfd pfd = { c->from, POLLIN, 0 };
        int pr = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            continue;
        ssize_t r = read(c->from, c->buf + c->len, sizeof c->buf - c->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        c->len += (size_t)r;
    }
}

static char *vcmd(mp_child *c, char *line, size_t cap, int64_t timeout_ms, int need_ok,
                  const char *fmt, va_list ap)
{
    char req[512];
    vsnprintf(req, sizeof req, fmt, ap);
    MP_ASSERT(mp_send(c, "%s", req) == 0, "%s (pid %ld): cannot send '%s' (it exited?)", c->what,
              (long)c->pid, req);
    int r = mp_recv(c, line, cap, timeout_ms);
    MP_ASSERT(r == 0, "%s (pid %ld): %s answering '%s' within %lld ms", c->what, (long)c->pid,
              r == -1 ? "exited/closed stdout without" : "no answer", req, (long long)timeout_ms);
    MP_ASSERT(!need_ok || strncmp(line, "ok", 2) == 0, "%s (pid %ld): '%s' answered '%s'",
              c->what, (long)c->pid, req, line);
    return line;
}

char *mp_cmd(mp_child *c, char *line, size_t cap, int64_t timeout_ms, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vcmd(c, line, cap, timeout_ms, 0, fmt, ap);
    va_end(ap);
    return line;
}

char *mp_cmd_ok(mp_child *c, char *line, size_t cap, int64_t timeout_ms, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vcmd(c, line, cap, timeout_ms, 1, fmt, ap);
    va_end(ap);
    return line;
}

char *mp_expect_ok(mp_child *c, char *line, size_t cap, int64_t timeout_ms)
{
    int r = mp_recv(c, line, cap, timeout_ms);
    MP_ASSERT(r == 0, "%s (pid %ld): %s within %lld ms", c->what, (long)c->pid,
              r == -1 ? "exited without answering" : "no answer", (long long)timeout_ms);
    MP_ASSERT(strncmp(line, "ok", 2) == 0, "%s (pid %ld) answered '%s'", c->what, (long)c->pid,
              line);
    return line;
}

void mp_kill9(mp_child *c)
{
    if (!c->reaped)
        kill(c->pid, SIGKILL);
}

int mp_wait_zombie(mp_child *c, int64_t timeout_ms)
{
    int64_t deadline = mp_mono_ns() + timeout_ms * 1000000;
    for (;;) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == c->pid)
            return 0;
        if (mp_mono_ns() > deadline)
            return -1;
        mp_sleep_ns(200000);
    }
}

int mp_reap(mp_child *c, int64_t timeout_ms)
{
    if (c->reaped)
        return 0;
    int64_t deadline = mp_mono_ns() + timeout_ms * 1000000;
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
        if (mp_mono_ns() > deadline)
            return -1;
        mp_sleep_ns(200000);
    }
}

void mp_quit(mp_child *c, int64_t timeout_ms)
{
    if (c->to >= 0) {
        mp_send(c, "quit");
        close(c->to);
        c->to = -1;
    }
    MP_ASSERT(mp_reap(c, timeout_ms) == 0, "%s (pid %ld) did not exit within %lld ms of quit",
              c->what, (long)c->pid, (long long)timeout_ms);
    MP_ASSERT(WIFEXITED(c->wstatus) && WEXITSTATUS(c->wstatus) == 0,
              "%s (pid %ld) ended with %s %d", c->what, (long)c->pid,
              WIFEXITED(c->wstatus) ? "exit status" : "signal",
              WIFEXITED(c->wstatus) ? WEXITSTATUS(c->wstatus) : WTERMSIG(c->wstatus));
}

void mp_child_free(mp_child *c)
{
    if (!c)
        return;
    if (c->to >= 0)
        close(c->to);
    if (c->from >= 0)
        close(c->from);
    c->to = c->from = -1;
    if (!c->reaped) {
        kill(c->pid, SIGKILL);
        while (waitpid(c->pid, &c->wstatus, 0) < 0 && errno == EINTR) {
        }
        c->reaped = 1;
    }
    for (int i = 0; i < MP_MAX_CHILDREN; i++)
        if (g_children[i] == c)
            g_children[i] = NULL;
    free(c);
}

char mp_proc_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return '?';
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return '?';
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : '?';
}

void mp_assert_no_shm(const char *pool, const char *when)
{
    char list[1024];
    int n = mp_shm_entries(pool, list, sizeof list);
    MP_ASSERT(n == 0, "%s: /dev/shm still holds %d entr%s of pool '%s': %s", when, n,
              n == 1 ? "y" : "ies", pool, list);
}

void mp_soft_fail(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    mp_log("FAILURE (test continues): %s", msg);
    size_t len = strlen(g_soft);
    if (len + 8 < sizeof g_soft)
        snprintf(g_soft + len, sizeof g_soft - len, "%s[%d] %s", len ? "; " : "", ++g_nsoft, msg);
}

void mp_finish(const char *pool)
{
    for (int i = 0; i < MP_MAX_CHILDREN; i++) {
        mp_child *c = g_children[i];
        if (c) {
            MP_ASSERT(c->reaped, "%s (pid %ld) still running at the end of the test", c->what,
                      (long)c->pid);
            mp_child_free(c);
        }
    }
    mp_assert_no_shm(pool, "end of test");
    MP_ASSERT(g_nsoft == 0, "%d failure(s) recorded during the test: %s", g_nsoft, g_soft);
}

int mp_mentions_pid(const char *text, long pid)
{
    char num[32];
    snprintf(num, sizeof num, "%ld", pid);
    size_t n = strlen(num);
    for (const char *p = strstr(text, num); p; p = strstr(p + 1, num)) {
        int before = p > text && p[-1] >= '0' && p[-1] <= '9';
        int after = p[n] >= '0' && p[n] <= '9';
        if (!before && !after)
            return 1;
    }
    return 0;
}

tipc_status mp_put(struct tipc_producer *p, size_t frame_bytes, uint64_t *out_index,
                   int64_t *elapsed_ns)
{
    static unsigned char *buf;
    static size_t cap;
    if (cap < frame_bytes) {
        free(buf);
        buf = malloc(frame_bytes);
        cap = buf ? frame_bytes : 0;
        if (!buf)
            return TIPC_E_NOMEM;
    }
    uint64_t k = tipc_producer_frames_written(p);
    mp_frame_fill(buf, frame_bytes, k, (uint64_t)getpid());
    int64_t t0 = mp_mono_ns();
    tipc_status st = tipc_producer_put(p, buf, frame_bytes, out_index);
    if (elapsed_ns)
        *elapsed_ns = mp_mono_ns() - t0;
    return st;
}
