#include "helper_io.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mono_clock.h"
#include "tensor_ipc.h"

static char in_buf[8192];
static size_t in_len;
static int in_eof;

int hio_read_line(char *line, size_t cap, int timeout_ms)
{
    for (;;) {
        char *nl = memchr(in_buf, '\n', in_len);
        if (nl) {
            size_t n = (size_t)(nl - in_buf);
            size_t c = n < cap - 1 ? n : cap - 1;
            memcpy(line, in_buf, c);
            line[c] = '\0';
            memmove(in_buf, nl + 1, in_len - n - 1);
            in_len -= n + 1;
            return 1;
        }
        if (in_eof || in_len == sizeof in_buf)
            return 0;
        struct pollfd pfd = { 0, POLLIN, 0 };
        int pr = poll(&pfd, 1, timeout_ms);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr == 0)
            return 2;
        ssize_t r = read(0, in_buf + in_len, sizeof in_buf - in_len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            in_eof = 1;
        else
            in_len += (size_t)r;
    }
}

int hio_eof(void) { return in_eof; }

void hio_reply(const char *fmt, ...)
{
    static char line[12288];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n > sizeof line - 2)
        n = (int)sizeof line - 2;
    for (int i = 0; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[n++] = '\n';
    size_t off = 0;
    while (off < (size_t)n) {
        ssize_t w = write(1, line + off, (size_t)n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(5);
        off += (size_t)w;
    }
}

const char *hio_last_error(void)
{
    const char *e = tipc_last_error();
    return e && *e ? e : "(no sentence)";
}

void hio_wait(struct tipc_consumer *c, int64_t timeout_ns)
{
    int64_t t0 = mono_ns();
    tipc_status st = tipc_consumer_wait(c, timeout_ns);
    int64_t dt = mono_ns() - t0;
    if (st == TIPC_OK)
        hio_reply("ok %lld", (long long)dt);
    else
        hio_reply("err %s %lld %s", tipc_status_name(st), (long long)dt, hio_last_error());
}

int hio_request(char *line, size_t cap, char **tok, int max)
{
    int n = 0;
    while (n == 0 && hio_read_line(line, cap, -1) == 1) {
        char *save = NULL, *t;
        while (n < max && (t = strtok_r(n ? NULL : line, " ", &save)) != NULL)
            tok[n++] = t;
    }
    for (int i = n; i < max; i++)
        tok[i] = NULL;
    return n;
}
