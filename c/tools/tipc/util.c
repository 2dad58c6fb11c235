/* util.c - helpers shared by the tipc subcommands. Public ABI only. */
#include "tipc_cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

volatile sig_atomic_t cli_stop = 0;

static void on_stop_signal(int sig)
{
    (void)sig;
    cli_stop = 1;
}

void cli_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: sleeps return early */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ------------------------------------------------------------------------ */
/* Messages                                                                 */
/* ------------------------------------------------------------------------ */

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "tipc%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'tipc%s%s --help'.\n", cmd ? " " : "", cmd ? cmd : "");
    return CLI_EXIT_USAGE;
}

int cli_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("tipc: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_EXIT_FAIL;
}

int cli_fail_status(tipc_status st, const char *what)
{
    const char *why = tipc_last_error();
    return cli_fail("%s: %s (%s)", what, *why ? why : "failed", tipc_status_name(st));
}

int cli_getopt_error(const char *cmd, int c, char *const argv[])
{
    if (c == ':') {
        if (optopt)
            return cli_usage(cmd, "option '-%c' needs a value", optopt);
        return cli_usage(cmd, "option '%s' needs a value", argv[optind - 1]);
    }
    if (optopt)
        return cli_usage(cmd, "unknown option '-%c'", optopt);
    return cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
}

int cli_set_domain(struct cli *g, const char *cmd, const char *arg)
{
    uint64_t d;
    if (cli_parse_u64(arg, 0, 232, &d) != 0)
        return cli_usage(cmd, "--domain needs an integer in 0..232, got '%s'", arg);
    g->domain = (int32_t)d;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Numbers                                                                  */
/* ------------------------------------------------------------------------ */

int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

int cli_parse_double(const char *s, double min, double max, double *out)
{
    if (!s || !*s || *s == ' ')
        return -1;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || *end || isnan(v) || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Control plane                                                            */
/* ------------------------------------------------------------------------ */

tipc_context *cli_context(struct cli *g)
{
    if (g->ctx)
        return g->ctx;
    tipc_context_options o;
    tipc_context_options_init(&o, TIPC_CONTEXT_OPTIONS_VERSION);
    o.domain_id = g->domain;
    tipc_status st = tipc_context_create(&g->ctx, &o);
    if (st) {
        cli_fail_status(st, "cannot join the DDS domain");
        g->ctx = NULL;
    }
    return g->ctx;
}

void cli_cleanup(struct cli *g)
{
    tipc_context_destroy(g->ctx);
    g->ctx = NULL;
}

static int by_name(const void *a, const void *b)
{
    const tipc_metadata *const *x = a, *const *y = b;
    return strcmp(tipc_metadata_name(*x), tipc_metadata_name(*y));
}

int cli_discover(struct cli *g, double wait_s, tipc_metadata ***list, size_t *count)
{
    tipc_context *ctx = cli_context(g);
    if (!ctx)
        return CLI_EXIT_FAIL;
    tipc_status st = tipc_discover_pools(ctx, (int64_t)(wait_s * 1e9), list, count);
    if (st)
        return cli_fail_status(st, "pool discovery failed");
    if (*count > 1)
        qsort(*list, *count, sizeof **list, by_name);
    return CLI_EXIT_OK;
}

tipc_status cli_lookup_pool(struct cli *g, const char *name, double wait_s, tipc_metadata **out,
                            char *why, size_t why_size)
{
    *out = NULL;
    why[0] = '\0';
    tipc_context *ctx = cli_context(g);
    if (!ctx) {
        snprintf(why, why_size, "no DDS context");
        return TIPC_E_SYSTEM;
    }
    /* In slices, so that Ctrl-C ends the search. A malformed announcement
     * is reported only if no valid one arrives within the wait. */
    const int64_t slice = 200000000LL;
    const int64_t start = cli_mono_ns();
    const int64_t deadline = wait_s < 0 ? -1 : start + (int64_t)(wait_s * 1e9);
    char malformed[1024] = "";
    tipc_status st;
    for (;;) {
        int64_t now = cli_mono_ns();
        int64_t w = slice;
        if (deadline >= 0 && deadline - now < w)
            w = deadline - now > 0 ? deadline - now : 0;
        st = tipc_discover_pool(ctx, name, w, out);
        if (st == TIPC_E_CORRUPT) {
            /* The sentence names the pool first; it is named by the caller. */
            const char *e = tipc_last_error();
            size_t n = strlen(name);
            if (strncmp(e, "pool '", 6) == 0 && strncmp(e + 6, name, n) == 0 &&
                strncmp(e + 6 + n, "': ", 3) == 0)
                e += 9 + n;
            snprintf(malformed, sizeof malformed, "%s", e);
        } else if (st != TIPC_E_NOT_CONNECTED) {
            if (st != TIPC_OK)
                snprintf(why, why_size, "%s", tipc_last_error());
            return st;
        }
        if (cli_stop || (deadline >= 0 && cli_mono_ns() >= deadline))
            break;
    }
    if (malformed[0]) {
        snprintf(why, why_size, "%s", malformed);
        return TIPC_E_CORRUPT;
    }
    snprintf(why, why_size, "not found in DDS domain %d (waited %.1f s; see 'tipc list')",
             (int)tipc_context_domain_id(ctx), (double)(cli_mono_ns() - start) / 1e9);
    return TIPC_E_NOT_CONNECTED;
}

int cli_find_pool_report(struct cli *g, const char *name, tipc_status st, const char *why)
{
    if (st == TIPC_OK)
        return CLI_EXIT_OK;
    if (st == TIPC_E_NOT_CONNECTED)
        return cli_fail("pool '%s' %s", name, why);
    if (st == TIPC_E_CORRUPT)
        return cli_fail("pool '%s' is announced, but its announcement is malformed: %s (%s)", name,
                        why, tipc_status_name(st));
    if (!g->ctx)
        return CLI_EXIT_FAIL; /* cli_context printed why */
    return cli_fail("pool '%s': discovery failed: %s (%s)", name, why, tipc_status_name(st));
}

int cli_find_pool(struct cli *g, const char *name, double wait_s, tipc_metadata **out)
{
    char why[1024];
    tipc_status st = cli_lookup_pool(g, name, wait_s, out, why, sizeof why);
    return cli_find_pool_report(g, name, st, why);
}

tipc_status cli_open_local(const tipc_metadata *md, tipc_consumer **out)
{
    tipc_consumer_options o;
    tipc_consumer_options_init(&o, TIPC_CONSUMER_OPTIONS_VERSION);
    o.control_plane = 0; /* shared memory only: no extra DDS reader */
    tipc_status st = tipc_consumer_create(out, md, &o);
    if (st)
        return st;
    st = tipc_consumer_connect(*out);
    if (st) {
        tipc_consumer_destroy(*out);
        *out = NULL;
    }
    return st;
}

/* ------------------------------------------------------------------------ */
/* Formatting                                                               */
/* ------------------------------------------------------------------------ */

int cli_host_local(const tipc_metadata *md)
{
    char here[TIPC_HOST_ID_SIZE];
    const char *id = tipc_metadata_host_id(md);
    return !*id || (tipc_host_id(here, sizeof here) == TIPC_OK && strcmp(id, here) == 0);
}

void cli_host_str(const tipc_metadata *md, char *buf, size_t size)
{
    const char *id = tipc_metadata_host_id(md);
    if (!*id)
        snprintf(buf, size, "?"); /* a producer that states no host identity */
    else if (cli_host_local(md))
        snprintf(buf, size, "local");
    else
        snprintf(buf, size, "%s/%.8s", *tipc_metadata_hostname(md) ? tipc_metadata_hostname(md) : "?",
                 id);
}

void cli_shape_str(const tipc_metadata *md, char *buf, size_t size)
{
    size_t nd = tipc_metadata_ndim(md), n = 0;
    if (size == 0)
        return;
    buf[0] = '\0';
    n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "(");
    for (size_t i = 0; i < nd; i++)
        n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%lld", i ? "," : "",
                              (long long)tipc_metadata_dim(md, i));
    snprintf(buf + n, n < size ? size - n : 0, nd == 1 ? ",)" : ")");
}

void cli_shape_json(FILE *f, const tipc_metadata *md)
{
    size_t nd = tipc_metadata_ndim(md);
    fputc('[', f);
    for (size_t i = 0; i < nd; i++)
        fprintf(f, "%s%lld", i ? "," : "", (long long)tipc_metadata_dim(md, i));
    fputc(']', f);
}

void cli_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void cli_json_number(FILE *f, double v, int digits)
{
    if (isfinite(v))
        fprintf(f, "%.*g", digits, v);
    else
        fputs("null", f);
}

/* ------------------------------------------------------------------------ */
/* Elements                                                                 */
/* ------------------------------------------------------------------------ */

double cli_half_to_double(uint16_t h)
{
    int sign = h >> 15, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    double v;
    if (exp == 0)
        v = ldexp((double)man, -24); /* subnormal */
    else if (exp == 31)
        v = man ? NAN : INFINITY;
    else
        v = ldexp((double)(man | 0x400), exp - 25);
    return sign ? -v : v;
}

uint16_t cli_double_to_half(double d)
{
    uint16_t sign = signbit(d) ? 0x8000 : 0;
    double a = fabs(d);
    if (isnan(d))
        return 0x7e00;
    if (a >= 65520.0) /* rounds to infinity */
        return sign | 0x7c00;
    if (a < ldexp(1.0, -14)) { /* subnormal: units of 2^-24, round to nearest even */
        double m = nearbyint(a * ldexp(1.0, 24));
        return sign | (uint16_t)m; /* m == 1024 becomes the smallest normal */
    }
    int e;
    double fr = frexp(a, &e);                         /* a = fr * 2^e, fr in [0.5,1) */
    double m = nearbyint(ldexp(fr, 11));              /* 11 significant bits */
    if (m >= 2048.0) {
        m /= 2.0;
        e++;
    }
    int biased = e - 1 + 15;
    if (biased >= 31)
        return sign | 0x7c00;
    return sign | (uint16_t)(biased << 10) | (uint16_t)((uint32_t)m & 0x3ff);
}

double cli_bf16_to_double(uint16_t b)
{
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

uint16_t cli_double_to_bf16(double d)
{
    float f = (float)d;
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if (isnan(f))
        return (uint16_t)((u >> 16) | 0x40);
    u += 0x7fff + ((u >> 16) & 1); /* round to nearest even */
    return (uint16_t)(u >> 16);
}

/* Unaligned-safe loads: frames are aligned, but the tool does not rely on it. */
#define DEFINE_LOAD(T)                              \
    static T load_##T(const void *p)                \
    {                                               \
        T v;                                        \
        memcpy(&v, p, sizeof v);                    \
        return v;                                   \
    }
DEFINE_LOAD(int8_t)
DEFINE_LOAD(int16_t)
DEFINE_LOAD(int32_t)
DEFINE_LOAD(int64_t)
DEFINE_LOAD(uint8_t)
DEFINE_LOAD(uint16_t)
DEFINE_LOAD(uint32_t)
DEFINE_LOAD(uint64_t)
DEFINE_LOAD(float)
DEFINE_LOAD(double)
#define LOAD(T, p) load_##T(p)

double cli_elem_to_double(tipc_dtype dt, const void *p)
{
    switch (dt) {
    case TIPC_DTYPE_BOOL: return *(const unsigned char *)p ? 1.0 : 0.0;
    case TIPC_DTYPE_INT8: return (double)LOAD(int8_t, p);
    case TIPC_DTYPE_INT16: return (double)LOAD(int16_t, p);
    case TIPC_DTYPE_INT32: return (double)LOAD(int32_t, p);
    case TIPC_DTYPE_INT64: return (double)LOAD(int64_t, p);
    case TIPC_DTYPE_UINT8: return (double)LOAD(uint8_t, p);
    case TIPC_DTYPE_UINT16: return (double)LOAD(uint16_t, p);
    case TIPC_DTYPE_UINT32: return (double)LOAD(uint32_t, p);
    case TIPC_DTYPE_UINT64: return (double)LOAD(uint64_t, p);
    case TIPC_DTYPE_FLOAT16: return cli_half_to_double(LOAD(uint16_t, p));
    case TIPC_DTYPE_BFLOAT16: return cli_bf16_to_double(LOAD(uint16_t, p));
    case TIPC_DTYPE_FLOAT32: return (double)LOAD(float, p);
    case TIPC_DTYPE_FLOAT64: return LOAD(double, p);
    case TIPC_DTYPE_COMPLEX64: {
        float c[2];
        memcpy(c, p, sizeof c);
        return hypot(c[0], c[1]);
    }
    case TIPC_DTYPE_COMPLEX128: {
        double c[2];
        memcpy(c, p, sizeof c);
        return hypot(c[0], c[1]);
    }
    default: return NAN;
    }
}

void cli_elem_print(FILE *f, tipc_dtype dt, const void *p)
{
    switch (dt) {
    case TIPC_DTYPE_BOOL: fputs(*(const unsigned char *)p ? "True" : "False", f); break;
    case TIPC_DTYPE_INT8: fprintf(f, "%d", (int)LOAD(int8_t, p)); break;
    case TIPC_DTYPE_INT16: fprintf(f, "%d", (int)LOAD(int16_t, p)); break;
    case TIPC_DTYPE_INT32: fprintf(f, "%ld", (long)LOAD(int32_t, p)); break;
    case TIPC_DTYPE_INT64: fprintf(f, "%lld", (long long)LOAD(int64_t, p)); break;
    case TIPC_DTYPE_UINT8: fprintf(f, "%u", (unsigned)LOAD(uint8_t, p)); break;
    case TIPC_DTYPE_UINT16: fprintf(f, "%u", (unsigned)LOAD(uint16_t, p)); break;
    case TIPC_DTYPE_UINT32: fprintf(f, "%lu", (unsigned long)LOAD(uint32_t, p)); break;
    case TIPC_DTYPE_UINT64: fprintf(f, "%llu", (unsigned long long)LOAD(uint64_t, p)); break;
    case TIPC_DTYPE_FLOAT16:
    case TIPC_DTYPE_BFLOAT16:
    case TIPC_DTYPE_FLOAT32: fprintf(f, "%.6g", cli_elem_to_double(dt, p)); break;
    case TIPC_DTYPE_FLOAT64: fprintf(f, "%.10g", LOAD(double, p)); break;
    case TIPC_DTYPE_COMPLEX64: {
        float c[2];
        memcpy(c, p, sizeof c);
        fprintf(f, "%.6g%+.6gj", (double)c[0], (double)c[1]);
        break;
    }
    case TIPC_DTYPE_COMPLEX128: {
        double c[2];
        memcpy(c, p, sizeof c);
        fprintf(f, "%.10g%+.10gj", c[0], c[1]);
        break;
    }
    default: fputs("?", f); break;
    }
}

#define STORE(T, p, v) do { T v_ = (T)(v); memcpy((p), &v_, sizeof v_); } while (0)

void cli_elem_store(tipc_dtype dt, void *p, double re, double im, uint64_t ramp)
{
    switch (dt) {
    case TIPC_DTYPE_BOOL: *(unsigned char *)p = (unsigned char)(ramp & 1); break;
    case TIPC_DTYPE_INT8: STORE(uint8_t, p, ramp); break; /* wraps like a C cast */
    case TIPC_DTYPE_INT16: STORE(uint16_t, p, ramp); break;
    case TIPC_DTYPE_INT32: STORE(uint32_t, p, ramp); break;
    case TIPC_DTYPE_INT64: STORE(uint64_t, p, ramp); break;
    case TIPC_DTYPE_UINT8: STORE(uint8_t, p, ramp); break;
    case TIPC_DTYPE_UINT16: STORE(uint16_t, p, ramp); break;
    case TIPC_DTYPE_UINT32: STORE(uint32_t, p, ramp); break;
    case TIPC_DTYPE_UINT64: STORE(uint64_t, p, ramp); break;
    case TIPC_DTYPE_FLOAT16: STORE(uint16_t, p, cli_double_to_half(re)); break;
    case TIPC_DTYPE_BFLOAT16: STORE(uint16_t, p, cli_double_to_bf16(re)); break;
    case TIPC_DTYPE_FLOAT32: STORE(float, p, re); break;
    case TIPC_DTYPE_FLOAT64: STORE(double, p, re); break;
    case TIPC_DTYPE_COMPLEX64: {
        float c[2] = {(float)re, (float)im};
        memcpy(p, c, sizeof c);
        break;
    }
    case TIPC_DTYPE_COMPLEX128: {
        double c[2] = {re, im};
        memcpy(p, c, sizeof c);
        break;
    }
    default: break;
    }
}

/* ------------------------------------------------------------------------ */
/* Time                                                                     */
/* ------------------------------------------------------------------------ */

int64_t cli_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void cli_sleep_ns(int64_t ns)
{
    if (ns <= 0)
        return;
    int64_t deadline = cli_mono_ns() + ns;
    struct timespec ts = {(time_t)(deadline / 1000000000), (long)(deadline % 1000000000)};
    while (!cli_stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

int cli_follow_pool(struct cli *g, const char *name, double wait_s, tipc_consumer **out)
{
    *out = NULL;
    tipc_metadata *md;
    int rc = cli_find_pool(g, name, wait_s, &md);
    if (rc)
        return cli_stop ? CLI_EXIT_OK : rc;
    /* A pool of another host is read only when TIPC_REMOTE=1 says so (the
     * library's rule); without it a follower would wait in silence. */
    if (!cli_host_local(md)) {
        char host[96];
        cli_host_str(md, host, sizeof host);
        const char *env = getenv("TIPC_REMOTE");
        if (!env || strcmp(env, "1") != 0) {
            tipc_metadata_destroy(md);
            return cli_fail("pool '%s' is on host %s (another /dev/shm); set TIPC_REMOTE=1 to "
                            "read it over DDS (docs/remote.md)", name, host);
        }
        fprintf(stderr, "tipc: pool '%s' is on host %s: reading it over DDS\n", name, host);
    }
    tipc_consumer_options o;
    tipc_consumer_options_init(&o, TIPC_CONSUMER_OPTIONS_VERSION);
    o.context = g->ctx;
    tipc_status st = tipc_consumer_create(out, md, &o);
    tipc_metadata_destroy(md);
    return st ? cli_fail_status(st, "cannot read the pool") : CLI_EXIT_OK;
}
