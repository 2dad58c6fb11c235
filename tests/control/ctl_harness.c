#include "ctl_harness.h"

#include "ctl_common.h"
#include "tensor_ipc.h"

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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TIPC_CTL_HELPER
#error "TIPC_CTL_HELPER (path of tipc_ctl_helper) must be defined"
#endif

#define MAX_CHILDREN 64
#define MAX_POOLS 32

static ctl_child *g_children[MAX_CHILDREN];
static char g_pools[MAX_POOLS][TIPC_NAME_MAX + 1];
static int g_npools;
static char g_test[64];

void ctl_log(const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "[%s %ld] %s\n", g_test, (long)getpid(), line);
    fflush(stderr);
}

void ctl_begin(const char *test)
{
    snprintf(g_test, sizeof g_test, "%s", test);
    signal(SIGPIPE, SIG_IGN);
    g_npools = 0;
}

int64_t ctl_ms(int64_t ms)
{
    const char *s = getenv("CTL_TIME_SCALE");
    double f = s ? atof(s) : 1.0;
    return (int64_t)((double)ms * (f < 1.0 ? 1.0 : f));
}

const char *ctl_pool_named(const char *name)
{
    CTL_ASSERT(g_npools < MAX_POOLS, "too many pools");
    snprintf(g_pools[g_npools], sizeof g_pools[0], "%s", name);
    return g_pools[g_npools++];
}

const char *ctl_pool(const char *tag)
{
    char name[TIPC_NAME_MAX + 1];
    snprintf(name, sizeof name, "ctl%ld/%s", (long)getpid(), tag);
    return ctl_pool_named(name);
}

int ctl_shm_entries(const char *pool, char *list, size_t cap)
{
    char seg[128];
    ctl_shm_name(seg, sizeof seg, pool);
    const char *base = seg + 1; /* without '/' */
    size_t blen = strlen(base);
    int n = 0;
    size_t off = 0;
    if (list && cap)
        list[0] = '\0';
    DIR *d = opendir("/dev/shm");
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        /* the segment itself, or a temporary "<segment>~<pid>.tmp" */
        if (strncmp(e->d_name, base, blen) != 0 || (e->d_name[blen] && e->d_name[blen] != '~'))
            continue;
        n++;
        if (list && off + 2 < cap)
            off += (size_t)snprintf(list + off, cap - off, "%s%s", off ? " " : "", e->d_name);
    }
    closedir(d);
    return n;
}

void ctl_cleanup_all(void)
{
    for (int i = 0; i < MAX_CHILDREN; i++) {
        ctl_child *c = g_children[i];
        if (c && !c->reaped && c->pid > 0) {
            kill(c->pid, SIGKILL);
            while (waitpid(c->pid, &c->wstatus, 0) < 0 && errno == EINTR) {
            }
            c->reaped = 1;
        }
    }
    for (int i = 0; i < g_npools; i++) {
        char seg[128];
        ctl_shm_name(seg, sizeof seg, g_pools[i]);
        size_t blen = strlen(seg + 1);
        DIR *d = opendir("/dev/shm");
        if (!d)
            continue;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strncmp(e->d_name, seg + 1, blen) == 0 &&
                (!e->d_name[blen] || e->d_name[blen] == '~')) {
                char path[512];
                snprintf(path, sizeof path, "/dev/shm/%s", e->d_name);
                unlink(path);
            }
        }
        closedir(d);
    }
}

ctl_child *ctl_spawn(const char *what, ...)
{
    const char *argv[16];
    int argc = 0;
    argv[argc++] = TIPC_CTL_HELPER;
    va_list ap;
    va_start(ap, what);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && argc < 15)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    int slot = -1;
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (!g_children[i]) {
            slot = i;
            break;
        }
    CTL_ASSERT(slot >= 0, "too many children");
    ctl_child *c = calloc(1, sizeof *c);
    CTL_ASSERT(c != NULL, "out of memory");
    snprintf(c->what, sizeof c->what, "%s", what);
    int in[2], out[2];
    CTL_ASSERT(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0, "pipe2: %s",
               strerror(errno));
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    CTL_ASSERT(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
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

ctl_child *ctl_agent(const char *what) { return ctl_spawn(what, "agent", NULL); }

int ctl_send(ctl_child *c, const char *fmt, ...)
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

int ctl_recv(ctl_child *c, int64_t timeout_ms)
{
    int64_t deadline = ctl_mono_ns() + timeout_ms * 1000000;
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);
        if (nl) {
            size_t n = (size_t)(nl - c->buf);
            size_t k = n < sizeof c->line - 1 ? n : sizeof c->line - 1;
            memcpy(c->line, c->buf, k);
            c->line[k] = '\0';
            memmove(c->buf, nl + 1, c->len - n - 1);
            c->len -= n + 1;
            return 0;
        }
        if (c->len == sizeof c->buf)
            return -1;
        int64_t left = (deadline - ctl_mono_ns()) / 1000000;
        if (left <= 0)
            return -2;
        struct pollfd pfd = { c->from, POLLIN, 0 };
        int pr = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
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

const char *ctl_expect_line(ctl_child *c, int64_t timeout_ms, const char *what)
{
    int r = ctl_recv(c, timeout_ms);
    CTL_ASSERT(r == 0, "%s (pid %ld): %s while waiting for %s (%lld ms)", c->what,
               (long)c->pid, r == -1 ? "exited / closed its output" : "no answer", what,
               (long long)timeout_ms);
    return c->line;
}

static const char *vcmd(ctl_child *c, int64_t timeout_ms, int need_ok, const char *fmt,
                        va_list ap)
{
    char req[2048];
    vsnprintf(req, sizeof req, fmt, ap);
    CTL_ASSERT(ctl_send(c, "%s", req) == 0, "%s (pid %ld): cannot send '%s'", c->what,
               (long)c->pid, req);
    int r = ctl_recv(c, timeout_ms);
    CTL_ASSERT(r == 0, "%s (pid %ld): %s answering '%s' within %lld ms", c->what, (long)c->pid,
               r == -1 ? "exited without" : "no answer", req, (long long)timeout_ms);
    CTL_ASSERT(!need_ok || ctl_starts(c->line, "ok"), "%s (pid %ld): '%s' answered '%s'",
               c->what, (long)c->pid, req, c->line);
    return c->line;
}

const char *ctl_cmd(ctl_child *c, int64_t timeout_ms, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *l = vcmd(c, timeout_ms, 0, fmt, ap);
    va_end(ap);
    return l;
}

const char *ctl_cmd_ok(ctl_child *c, int64_t timeout_ms, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *l = vcmd(c, timeout_ms, 1, fmt, ap);
    va_end(ap);
    return l;
}

int ctl_starts(const char *line, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(line, prefix, n) == 0 && (line[n] == ' ' || line[n] == '\0');
}

void ctl_kill9(ctl_child *c)
{
    if (!c->reaped)
        kill(c->pid, SIGKILL);
}

int ctl_reap(ctl_child *c, int64_t timeout_ms)
{
    if (c->reaped)
        return 0;
    int64_t deadline = ctl_mono_ns() + timeout_ms * 1000000;
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
        if (ctl_mono_ns() > deadline)
            return -1;
        ctl_sleep_ms(1);
    }
}

void ctl_quit(ctl_child *c, int64_t timeout_ms)
{
    if (c->to >= 0) {
        ctl_send(c, "quit");
        close(c->to);
        c->to = -1;
    }
    CTL_ASSERT(ctl_reap(c, timeout_ms) == 0, "%s (pid %ld) did not exit within %lld ms of quit",
               c->what, (long)c->pid, (long long)timeout_ms);
    CTL_ASSERT(WIFEXITED(c->wstatus) && WEXITSTATUS(c->wstatus) == 0,
               "%s (pid %ld) ended with %s %d", c->what, (long)c->pid,
               WIFEXITED(c->wstatus) ? "exit status" : "signal",
               WIFEXITED(c->wstatus) ? WEXITSTATUS(c->wstatus) : WTERMSIG(c->wstatus));
}

void ctl_child_free(ctl_child *c)
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
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (g_children[i] == c)
            g_children[i] = NULL;
    free(c);
}

void ctl_finish(void)
{
    for (int i = 0; i < MAX_CHILDREN; i++) {
        ctl_child *c = g_children[i];
        if (c) {
            CTL_ASSERT(c->reaped, "%s (pid %ld) still running at the end of the test", c->what,
                       (long)c->pid);
            ctl_child_free(c);
        }
    }
    for (int i = 0; i < g_npools; i++) {
        char list[1024];
        int n = ctl_shm_entries(g_pools[i], list, sizeof list);
        CTL_ASSERT(n == 0, "end of test: /dev/shm still holds %d entr%s of pool '%s': %s", n,
                   n == 1 ? "y" : "ies", g_pools[i], list);
    }
}

int ctl_mentions_num(const char *text, long long num)
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

int ctl_field(const char *line, const char *key, char *out, size_t cap)
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

int ctl_in_futex(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%ld/task/%ld/syscall", (long)pid, (long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    if (buf[0] < '0' || buf[0] > '9')
        return buf[0] == 'r' ? 0 : -1; /* "running" */
    return atol(buf) == SYS_futex;
}

int ctl_maps_segment(pid_t pid, const char *pool)
{
    char path[64], seg[160], line[1024];
    snprintf(path, sizeof path, "/proc/%ld/maps", (long)pid);
    ctl_shm_name(seg, sizeof seg, pool);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    int found = 0;
    size_t sl = strlen(seg);
    while (!found && fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "/dev/shm");
        if (p && !strncmp(p + 8, seg, sl) && (p[8 + sl] == '\n' || p[8 + sl] == ' ' ||
                                              p[8 + sl] == '\0'))
            found = 1;
    }
    fclose(f);
    return found;
}
