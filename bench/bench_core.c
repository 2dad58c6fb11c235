/*
 * bench_core.c - tensor-ipc core benchmark, side by side with the machine's floor.
 *
 * One run measures, for frames of 64 B, 64 KiB and 6,220,800 B (1080x1920x3
 * uint8):
 *
 *   put            tipc_producer_put, per call          vs memcpy into a MAP_SHARED region
 *   loan/commit    tipc_producer_loan + commit, per pair (no floor)
 *   acquire        tipc_consumer_acquire(latest) + tipc_view_release (no floor; target < 1 us)
 *   get            tipc_consumer_get(latest), copying   vs memcpy out of a MAP_SHARED region
 *   wake-up        one-way, cross-process: a producer process publishes (put or
 *                  loan/commit), a consumer process blocked in tipc_consumer_wait
 *                  wakes, acquires the latest view and records
 *                  tipc_now_ns() - tipc_frame_info.timestamp_ns
 *                                                      vs a bare futex: process A stores a
 *                  CLOCK_REALTIME stamp and a sequence number in shared memory and
 *                  FUTEX_WAKEs; process B blocked in FUTEX_WAIT records now - stamp
 *   frames/s       6,220,800 B put at full speed        vs memcpy at full speed
 *
 * Floor and tensor-ipc samples of the copies are interleaved call by call, so a
 * noisy neighbour slows both alike. The wake-up floor is measured before and after
 * the tensor-ipc wake-ups and pooled. Every process stamps with CLOCK_REALTIME
 * (tipc_now_ns), the clock of tipc_frame_info.timestamp_ns; durations inside one
 * process use CLOCK_MONOTONIC. Per-call times include one clock read (printed as
 * "clock read" so it can be subtracted by eye).
 *
 * The targets printed at the end are informational: the exit status is 0 whatever
 * the speed; 1 only when a tensor-ipc call fails or a segment is left in /dev/shm;
 * 2 on a bad command line.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tensor_ipc.h"

/* ------------------------------------------------------------------------ */
/* Parameters                                                               */
/* ------------------------------------------------------------------------ */

#define N_SIZES 3
#define HISTORY 4                 /* frames per ring, floor regions alike */
#define WAKE_GAP_NS 200000        /* producer pause before each wake-up sample */
#define CHILD_TIMEOUT_NS 10000000000LL
#define MAX_ROWS 64

typedef struct frame_kind {
    const char *label; /* for the table */
    const char *tag;   /* for pool names */
    tipc_dtype dtype;
    size_t ndim;
    int64_t shape[3];
    size_t bytes;
} frame_kind;

static const frame_kind g_kinds[N_SIZES] = {
    {"64 B", "s64", TIPC_DTYPE_UINT8, 1, {64, 0, 0}, 64},
    {"64 KiB", "s64k", TIPC_DTYPE_FLOAT32, 2, {128, 128, 0}, 65536},
    {"6,220,800 B", "s1080p", TIPC_DTYPE_UINT8, 3, {1080, 1920, 3}, 6220800},
};

typedef struct options {
    size_t iters;     /* samples per latency measurement (64 B, 64 KiB) */
    size_t iters_big; /* samples per latency measurement (6,220,800 B) */
    double tput_s;    /* seconds of each frames/s run */
    int quick;
} options;

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */
/* ------------------------------------------------------------------------ */

static int g_failed; /* a tensor-ipc call failed: exit status 1 */
static int g_pid;

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ns(int64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static long futex_wait(_Atomic uint32_t *addr, uint32_t expected, int64_t timeout_ns)
{
    struct timespec ts = {(time_t)(timeout_ns / 1000000000LL), (long)(timeout_ns % 1000000000LL)};
    return syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT, expected, &ts, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *addr)
{
    syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static void *map_shared(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    memset(p, 0, bytes); /* fault every page in now */
    return p;
}

static void *alloc_private(size_t bytes, int fill)
{
    size_t rounded = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, rounded);
    if (p)
        memset(p, fill, rounded);
    return p;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

typedef struct stats {
    double p50, p99, mean; /* nanoseconds */
    size_t n;
} stats;

/* Sorts v in place. */
static stats stats_of(int64_t *v, size_t n)
{
    stats s = {0, 0, 0, n};
    if (n == 0)
        return s;
    qsort(v, n, sizeof *v, cmp_i64);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)v[i];
    s.mean = sum / (double)n;
    s.p50 = (double)v[(n - 1) / 2];
    size_t i99 = (n * 99 + 99) / 100; /* ceil(0.99 n) */
    s.p99 = (double)v[i99 > 0 ? i99 - 1 : 0];
    return s;
}

static void report_tipc_error(const char *what, tipc_status st)
{
    fprintf(stderr, "bench_core: %s failed: %s: %s\n", what, tipc_status_name(st),
            tipc_last_error());
    g_failed = 1;
}

#define TRY(what, call)                           \
    do {                                          \
        tipc_status st_ = (call);                 \
        if (st_ != TIPC_OK) {                     \
            report_tipc_error((what), st_);       \
            goto out;                             \
        }                                         \
    } while (0)

/* ------------------------------------------------------------------------ */
/* Segment registry: names to remove if a signal ends the run               */
/* ------------------------------------------------------------------------ */

#define MAX_LIVE 4
static char g_live[MAX_LIVE][128];
static volatile sig_atomic_t g_live_used[MAX_LIVE];
static volatile pid_t g_child = -1;

static void live_add(const char *shm_name)
{
    for (int i = 0; i < MAX_LIVE; i++) {
        if (!g_live_used[i]) {
            snprintf(g_live[i], sizeof g_live[i], "%s", shm_name);
            g_live_used[i] = 1;
            return;
        }
    }
}

static void live_remove(const char *shm_name)
{
    for (int i = 0; i < MAX_LIVE; i++)
        if (g_live_used[i] && strcmp(g_live[i], shm_name) == 0)
            g_live_used[i] = 0;
}

static void on_signal(int sig)
{
    if (g_child > 0)
        kill(g_child, SIGKILL);
    for (int i = 0; i < MAX_LIVE; i++)
        if (g_live_used[i])
            shm_unlink(g_live[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Producer creation that registers the segment name first. */
static tipc_status producer_create(tipc_producer **out, const tipc_metadata *md)
{
    live_add(tipc_metadata_shm_name(md));
    tipc_status st = tipc_producer_create(out, md, NULL);
    if (st != TIPC_OK)
        live_remove(tipc_metadata_shm_name(md));
    return st;
}

static void producer_destroy(tipc_producer *p, const tipc_metadata *md)
{
    if (!p)
        return;
    tipc_producer_destroy(p);
    live_remove(tipc_metadata_shm_name(md));
}

static tipc_status make_md(tipc_metadata **out, const frame_kind *k, const char *what)
{
    char name[TIPC_NAME_MAX + 1];
    snprintf(name, sizeof name, "tipcbench%d/%s/%s", g_pid, what, k->tag);
    return tipc_metadata_create(out, name, k->dtype, k->ndim, k->shape, TIPC_BACKEND_NUMPY,
                                HISTORY, "cpu");
}

/* ------------------------------------------------------------------------ */
/* Result table                                                             */
/* ------------------------------------------------------------------------ */

typedef struct row {
    char meas[64];
    char size[16];
    char tipc[24];
    char floor[24];
    char ratio[16];
} row;

static row g_rows[MAX_ROWS];
static size_t g_nrows;

static void fmt_us(char *buf, size_t n, double ns)
{
    if (ns < 0)
        snprintf(buf, n, "-");
    else if (ns < 10000.0)
        snprintf(buf, n, "%.3f us", ns / 1000.0);
    else
        snprintf(buf, n, "%.1f us", ns / 1000.0);
}

/* kind: 't' time in ns (ratio = tipc / floor), 'r' rate in 1/s (ratio = floor / tipc).
 * A negative value means "none". The ratio is always cost(tipc) / cost(floor). */
static void add_row(const char *meas, const char *size, char kind, double tipc, double floor)
{
    if (g_nrows == MAX_ROWS)
        return;
    row *r = &g_rows[g_nrows++];
    snprintf(r->meas, sizeof r->meas, "%s", meas);
    snprintf(r->size, sizeof r->size, "%s", size);
    if (kind == 't') {
        fmt_us(r->tipc, sizeof r->tipc, tipc);
        fmt_us(r->floor, sizeof r->floor, floor);
    } else {
        if (tipc < 0)
            snprintf(r->tipc, sizeof r->tipc, "-");
        else
            snprintf(r->tipc, sizeof r->tipc, "%.1f /s", tipc);
        if (floor < 0)
            snprintf(r->floor, sizeof r->floor, "-");
        else
            snprintf(r->floor, sizeof r->floor, "%.1f /s", floor);
    }
    if (tipc > 0 && floor > 0)
        snprintf(r->ratio, sizeof r->ratio, "%.2fx", kind == 't' ? tipc / floor : floor / tipc);
    else
        snprintf(r->ratio, sizeof r->ratio, "-");
}

static void print_table(void)
{
    static const char *head[5] = {"measurement", "size", "tensor-ipc", "floor", "ratio"};
    size_t w[5];
    for (int c = 0; c < 5; c++)
        w[c] = strlen(head[c]);
    for (size_t i = 0; i < g_nrows; i++) {
        const char *cells[5] = {g_rows[i].meas, g_rows[i].size, g_rows[i].tipc,
                                g_rows[i].floor, g_rows[i].ratio};
        for (int c = 0; c < 5; c++)
            if (strlen(cells[c]) > w[c])
                w[c] = strlen(cells[c]);
    }
    printf("| %-*s | %-*s | %*s | %*s | %*s |\n", (int)w[0], head[0], (int)w[1], head[1],
           (int)w[2], head[2], (int)w[3], head[3], (int)w[4], head[4]);
    printf("|");
    for (int c = 0; c < 5; c++) {
        printf("%s", c == 0 || c == 1 ? ":" : "-");
        for (size_t k = 0; k < w[c]; k++)
            putchar('-');
        printf("%s|", c >= 2 ? ":" : "-");
    }
    printf("\n");
    for (size_t i = 0; i < g_nrows; i++) {
        row *r = &g_rows[i];
        printf("| %-*s | %-*s | %*s | %*s | %*s |\n", (int)w[0], r->meas, (int)w[1], r->size,
               (int)w[2], r->tipc, (int)w[3], r->floor, (int)w[4], r->ratio);
    }
}

/* ------------------------------------------------------------------------ */
/* Shared control block for the two-process measurements                    */
/* ------------------------------------------------------------------------ */

typedef struct ctl {
    _Alignas(64) _Atomic uint32_t seq; /* floor: the futex word */
    _Atomic int64_t stamp;             /* floor: CLOCK_REALTIME of the wake */
    _Alignas(64) _Atomic uint32_t ack; /* child -> parent: 1 = ready, +1 per sample */
    _Atomic uint32_t go;               /* parent -> child: the pool exists */
    _Atomic uint32_t stop;             /* parent -> child: finish */
    _Atomic uint64_t frames_seen;      /* child: frames acquired (frames/s run) */
    _Atomic uint64_t bad;              /* child: samples whose frame was not the expected one */
    char err[256];                     /* child: what failed */
    int64_t lat[];                     /* child: samples, ns */
} ctl;

static ctl *ctl_new(size_t n)
{
    return map_shared(sizeof(ctl) + n * sizeof(int64_t));
}

static void ctl_free(ctl *c, size_t n)
{
    if (c)
        munmap(c, sizeof(ctl) + n * sizeof(int64_t));
}

static void ctl_bump(_Atomic uint32_t *w)
{
    atomic_fetch_add(w, 1);
    futex_wake(w);
}

/* Wait until *w >= target. 0 ok, -1 timeout or the child ended. */
static int ctl_wait(_Atomic uint32_t *w, uint32_t target, pid_t child)
{
    int64_t deadline = mono_ns() + CHILD_TIMEOUT_NS;
    for (;;) {
        uint32_t v = atomic_load(w);
        if (v >= target)
            return 0;
        if (mono_ns() > deadline)
            return -1;
        if (child > 0) {
            /* look, do not reap: reap() wants the exit status */
            siginfo_t si;
            memset(&si, 0, sizeof si);
            if (waitid(P_PID, (id_t)child, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
                si.si_pid == child)
                return atomic_load(w) >= target ? 0 : -1;
        }
        futex_wait(w, v, 100000000LL);
    }
}

static void child_fail(ctl *c, const char *what, tipc_status st)
{
    snprintf(c->err, sizeof c->err, "%s: %s: %s", what, tipc_status_name(st), tipc_last_error());
    _exit(1);
}

/* Reap the child; kill it if it does not end within a few seconds. Returns its
 * exit status, or -1. */
static int reap(pid_t child)
{
    int status = 0;
    if (child <= 0)
        return -1;
    int64_t deadline = mono_ns() + 3000000000LL;
    for (;;) {
        pid_t r = waitpid(child, &status, WNOHANG);
        if (r == child || (r < 0 && errno == ECHILD))
            break;
        if (mono_ns() > deadline) {
            kill(child, SIGKILL);
            waitpid(child, &status, 0);
            break;
        }
        sleep_ns(1000000);
    }
    g_child = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static pid_t fork_child(void)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() == 1)
            _exit(1);
        return 0;
    }
    if (pid > 0)
        g_child = pid;
    return pid;
}

/* ------------------------------------------------------------------------ */
/* Floor: futex one-way wake-up                                             */
/* ------------------------------------------------------------------------ */

static void floor_wake_child(ctl *c, size_t n)
{
    uint32_t last = 0;
    ctl_bump(&c->ack);
    for (size_t i = 0; i < n; i++) {
        uint32_t s;
        int64_t deadline = mono_ns() + CHILD_TIMEOUT_NS;
        while ((s = atomic_load(&c->seq)) == last) {
            if (mono_ns() > deadline) {
                snprintf(c->err, sizeof c->err, "floor futex: no wake-up");
                _exit(1);
            }
            futex_wait(&c->seq, last, 1000000000LL);
        }
        int64_t now = real_ns();
        last = s;
        c->lat[i] = now - atomic_load(&c->stamp);
        ctl_bump(&c->ack);
    }
    _exit(0);
}

/* Appends n samples to out. Returns 0 on success. */
static int floor_wake(size_t n, int64_t *out)
{
    ctl *c = ctl_new(n);
    if (!c)
        return -1;
    int rc = -1;
    pid_t child = fork_child();
    if (child < 0)
        goto done;
    if (child == 0)
        floor_wake_child(c, n);
    if (ctl_wait(&c->ack, 1, child) != 0)
        goto done;
    for (size_t i = 0; i < n; i++) {
        sleep_ns(WAKE_GAP_NS);
        atomic_store(&c->stamp, real_ns());
        atomic_store(&c->seq, (uint32_t)(i + 1));
        futex_wake(&c->seq);
        if (ctl_wait(&c->ack, (uint32_t)(i + 2), child) != 0)
            goto done;
    }
    memcpy(out, c->lat, n * sizeof *out);
    rc = 0;
done:
    if (child > 0 && reap(child) != 0)
        rc = -1;
    if (rc != 0)
        fprintf(stderr, "bench_core: floor futex wake-up failed%s%s\n", c->err[0] ? ": " : "",
                c->err);
    ctl_free(c, n);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* tensor-ipc: cross-process wake-up                                        */
/* ------------------------------------------------------------------------ */

enum write_path { PATH_PUT = 0, PATH_LOAN = 1 };

/* Consumer process: wait, acquire latest, record now - stamp.
 * lat[i]     : now - tipc_frame_info.timestamp_ns (library's commit stamp)
 * lat[n + i] : now - stamp the producer wrote into the frame just before
 *              commit (loan path and frames >= 16 B only; else 0) */
static void tipc_wake_child(ctl *c, const tipc_metadata *md, size_t n, int path)
{
    tipc_consumer *con = NULL;
    tipc_status st;
    while (!atomic_load(&c->go))
        futex_wait(&c->go, 0, 100000000LL);
    st = tipc_consumer_create(&con, md, NULL);
    if (st != TIPC_OK)
        child_fail(c, "tipc_consumer_create", st);
    int64_t deadline = mono_ns() + CHILD_TIMEOUT_NS;
    while ((st = tipc_consumer_connect(con)) == TIPC_E_NOT_CONNECTED && mono_ns() < deadline)
        sleep_ns(1000000);
    if (st != TIPC_OK)
        child_fail(c, "tipc_consumer_connect", st);
    ctl_bump(&c->ack);
    for (size_t i = 0; i < n; i++) {
        tipc_view *v = NULL;
        tipc_frame_info info;
        st = tipc_consumer_wait(con, CHILD_TIMEOUT_NS);
        if (st != TIPC_OK)
            child_fail(c, "tipc_consumer_wait", st);
        st = tipc_consumer_acquire(con, 1, 0, &v);
        if (st != TIPC_OK)
            child_fail(c, "tipc_consumer_acquire", st);
        st = tipc_view_info(v, 0, &info);
        const unsigned char *data = tipc_view_data(v, 0);
        int64_t now = tipc_now_ns();
        if (st != TIPC_OK || data == NULL) {
            tipc_view_release(v);
            child_fail(c, "tipc_view_info", st);
        }
        int64_t own[2] = {0, 0};
        if (tipc_metadata_frame_bytes(md) >= sizeof own)
            memcpy(own, data, sizeof own);
        tipc_view_release(v);
        c->lat[i] = now - info.timestamp_ns;
        c->lat[n + i] = (path == PATH_LOAN && own[1] != 0) ? now - own[1] : 0;
        if (info.index != i || (tipc_metadata_frame_bytes(md) >= sizeof own && own[0] != (int64_t)i))
            atomic_fetch_add(&c->bad, 1);
        ctl_bump(&c->ack);
    }
    tipc_consumer_destroy(con);
    _exit(0);
}

/* Fills lat_info[n] and lat_own[n]. Returns 0 on success. */
static int tipc_wake(const frame_kind *k, int path, size_t n, int64_t *lat_info, int64_t *lat_own)
{
    tipc_metadata *md = NULL;
    tipc_producer *p = NULL;
    ctl *c = NULL;
    unsigned char *src = NULL;
    pid_t child = -1;
    int rc = -1;

    TRY("tipc_metadata_create", make_md(&md, k, path == PATH_PUT ? "wakeput" : "wakeloan"));
    c = ctl_new(2 * n);
    src = alloc_private(k->bytes, 0x5a);
    if (!c || !src) {
        fprintf(stderr, "bench_core: out of memory\n");
        goto out;
    }
    /* Fork before the producer exists: the child starts from a process with no
     * tensor-ipc state but its metadata. */
    child = fork_child();
    if (child < 0) {
        perror("bench_core: fork");
        goto out;
    }
    if (child == 0)
        tipc_wake_child(c, md, n, path);
    TRY("tipc_producer_create", producer_create(&p, md));
    ctl_bump(&c->go);
    if (ctl_wait(&c->ack, 1, child) != 0)
        goto child_failed;
    for (size_t i = 0; i < n; i++) {
        uint64_t idx = 0;
        int64_t own[2];
        sleep_ns(WAKE_GAP_NS);
        if (path == PATH_PUT) {
            own[0] = (int64_t)i;
            own[1] = 0;
            if (k->bytes >= sizeof own)
                memcpy(src, own, sizeof own);
            TRY("tipc_producer_put", tipc_producer_put(p, src, k->bytes, &idx));
        } else {
            void *slot = NULL;
            TRY("tipc_producer_loan", tipc_producer_loan(p, &slot, NULL));
            if (k->bytes >= sizeof own) {
                own[0] = (int64_t)i;
                own[1] = tipc_now_ns();
                memcpy(slot, own, sizeof own);
            }
            TRY("tipc_producer_commit", tipc_producer_commit(p, &idx));
        }
        if (ctl_wait(&c->ack, (uint32_t)(i + 2), child) != 0)
            goto child_failed;
    }
    memcpy(lat_info, c->lat, n * sizeof *lat_info);
    memcpy(lat_own, c->lat + n, n * sizeof *lat_own);
    if (atomic_load(&c->bad) != 0)
        fprintf(stderr, "bench_core: warning: %s %s wake-up: %llu samples saw another frame "
                        "than the one just published\n",
                k->label, path == PATH_PUT ? "put" : "loan/commit",
                (unsigned long long)atomic_load(&c->bad));
    rc = 0;
    goto out;
child_failed:
    fprintf(stderr, "bench_core: %s wake-up consumer failed: %s\n", k->label,
            c->err[0] ? c->err : "timeout");
    g_failed = 1;
out:
    if (child > 0 && p == NULL) {
        atomic_store(&c->stop, 1);
        kill(child, SIGKILL);
    }
    producer_destroy(p, md); /* wakes the consumer with TIPC_E_CLOSED if it still waits */
    if (child > 0 && reap(child) != 0 && rc == 0) {
        fprintf(stderr, "bench_core: %s wake-up consumer failed: %s\n", k->label, c->err);
        g_failed = 1;
        rc = -1;
    }
    tipc_metadata_destroy(md);
    ctl_free(c, 2 * n);
    free(src);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* In-process: put / loan+commit / acquire / get, floor interleaved          */
/* ------------------------------------------------------------------------ */

typedef struct copy_result {
    stats put, memcpy_in, loan, acquire, get, memcpy_out, clock;
    int ok;
} copy_result;

static copy_result bench_copies(const frame_kind *k, size_t n)
{
    copy_result r;
    memset(&r, 0, sizeof r);
    tipc_metadata *md = NULL;
    tipc_producer *p = NULL;
    tipc_consumer *con = NULL;
    unsigned char *floor_ring = NULL, *src = NULL, *dst = NULL;
    int64_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    size_t warm = n / 10 + 2;

    if (!a || !b) {
        fprintf(stderr, "bench_core: out of memory\n");
        goto out;
    }
    floor_ring = map_shared(HISTORY * k->bytes);
    src = alloc_private(k->bytes, 0x5a);
    dst = alloc_private(k->bytes, 0);
    if (!floor_ring || !src || !dst) {
        fprintf(stderr, "bench_core: out of memory\n");
        goto out;
    }
    TRY("tipc_metadata_create", make_md(&md, k, "copy"));
    TRY("tipc_producer_create", producer_create(&p, md));
    TRY("tipc_consumer_create", tipc_consumer_create(&con, md, NULL));
    TRY("tipc_consumer_connect", tipc_consumer_connect(con));

    /* clock read: the cost included in every per-call sample */
    for (size_t i = 0; i < n; i++) {
        int64_t t0 = mono_ns();
        a[i] = mono_ns() - t0;
    }
    r.clock = stats_of(a, n);

    /* put vs memcpy into a shared ring, interleaved call by call */
    for (size_t i = 0; i < warm + n; i++) {
        size_t slot = i % HISTORY;
        int64_t t0 = mono_ns();
        memcpy(floor_ring + slot * k->bytes, src, k->bytes);
        int64_t t1 = mono_ns();
        TRY("tipc_producer_put", tipc_producer_put(p, src, k->bytes, NULL));
        int64_t t2 = mono_ns();
        if (i >= warm) {
            a[i - warm] = t2 - t1;
            b[i - warm] = t1 - t0;
        }
    }
    r.put = stats_of(a, n);
    r.memcpy_in = stats_of(b, n);

    /* loan + commit, writing 8 bytes of the slot */
    for (size_t i = 0; i < warm + n; i++) {
        void *slot = NULL;
        int64_t t0 = mono_ns();
        TRY("tipc_producer_loan", tipc_producer_loan(p, &slot, NULL));
        memcpy(slot, &i, k->bytes < sizeof i ? k->bytes : sizeof i);
        TRY("tipc_producer_commit", tipc_producer_commit(p, NULL));
        int64_t t1 = mono_ns();
        if (i >= warm)
            a[i - warm] = t1 - t0;
    }
    r.loan = stats_of(a, n);

    /* refresh the latest frame with a full copy, then read it back */
    TRY("tipc_producer_put", tipc_producer_put(p, src, k->bytes, NULL));
    memcpy(floor_ring, src, k->bytes);

    /* acquire(latest) + release */
    for (size_t i = 0; i < warm + n; i++) {
        tipc_view *v = NULL;
        int64_t t0 = mono_ns();
        TRY("tipc_consumer_acquire", tipc_consumer_acquire(con, 1, 0, &v));
        tipc_view_release(v);
        int64_t t1 = mono_ns();
        if (i >= warm)
            a[i - warm] = t1 - t0;
    }
    r.acquire = stats_of(a, n);

    /* copying get vs memcpy out of the shared ring, interleaved */
    for (size_t i = 0; i < warm + n; i++) {
        int64_t t0 = mono_ns();
        memcpy(dst, floor_ring, k->bytes);
        int64_t t1 = mono_ns();
        TRY("tipc_consumer_get", tipc_consumer_get(con, dst, k->bytes, 1, 0, NULL));
        int64_t t2 = mono_ns();
        if (i >= warm) {
            a[i - warm] = t2 - t1;
            b[i - warm] = t1 - t0;
        }
    }
    r.get = stats_of(a, n);
    r.memcpy_out = stats_of(b, n);
    if (memcmp(dst, src, k->bytes) != 0) {
        fprintf(stderr, "bench_core: %s: get returned other bytes than the last put\n", k->label);
        g_failed = 1;
        goto out;
    }
    r.ok = 1;
out:
    tipc_consumer_destroy(con);
    producer_destroy(p, md);
    tipc_metadata_destroy(md);
    if (floor_ring)
        munmap(floor_ring, HISTORY * k->bytes);
    free(src);
    free(dst);
    free(a);
    free(b);
    return r;
}

/* ------------------------------------------------------------------------ */
/* Frames/s of the largest frame                                            */
/* ------------------------------------------------------------------------ */

static double floor_rate(const frame_kind *k, double seconds)
{
    unsigned char *ring = map_shared(HISTORY * k->bytes);
    unsigned char *src = alloc_private(k->bytes, 0x33);
    double rate = -1;
    if (ring && src) {
        uint64_t count = 0;
        int64_t t0 = mono_ns(), end = t0 + (int64_t)(seconds * 1e9), t;
        do {
            memcpy(ring + (count % HISTORY) * k->bytes, src, k->bytes);
            count++;
        } while ((t = mono_ns()) < end);
        rate = (double)count * 1e9 / (double)(t - t0);
    }
    if (ring)
        munmap(ring, HISTORY * k->bytes);
    free(src);
    return rate;
}

static void rate_child(ctl *c, const tipc_metadata *md)
{
    tipc_consumer *con = NULL;
    tipc_status st;
    while (!atomic_load(&c->go))
        futex_wait(&c->go, 0, 100000000LL);
    st = tipc_consumer_create(&con, md, NULL);
    if (st != TIPC_OK)
        child_fail(c, "tipc_consumer_create", st);
    int64_t deadline = mono_ns() + CHILD_TIMEOUT_NS;
    while ((st = tipc_consumer_connect(con)) == TIPC_E_NOT_CONNECTED && mono_ns() < deadline)
        sleep_ns(1000000);
    if (st != TIPC_OK)
        child_fail(c, "tipc_consumer_connect", st);
    ctl_bump(&c->ack);
    while (!atomic_load(&c->stop)) {
        st = tipc_consumer_wait(con, 100000000LL);
        if (st == TIPC_E_TIMEOUT)
            continue;
        if (st == TIPC_E_CLOSED || st == TIPC_E_NOT_CONNECTED)
            break;
        if (st != TIPC_OK)
            child_fail(c, "tipc_consumer_wait", st);
        tipc_view *v = NULL;
        st = tipc_consumer_acquire(con, 1, 0, &v);
        if (st == TIPC_E_CLOSED || st == TIPC_E_NOT_CONNECTED)
            break;
        if (st != TIPC_OK)
            child_fail(c, "tipc_consumer_acquire", st);
        tipc_view_release(v);
        atomic_fetch_add(&c->frames_seen, 1);
    }
    tipc_consumer_destroy(con);
    _exit(0);
}

/* frames/s of put at full speed; with_consumer: a second process waits and
 * acquires each frame it can. *seen_rate receives that process's frames/s. */
static double tipc_rate(const frame_kind *k, double seconds, int with_consumer, double *seen_rate)
{
    tipc_metadata *md = NULL;
    tipc_producer *p = NULL;
    unsigned char *src = alloc_private(k->bytes, 0x33);
    ctl *c = NULL;
    pid_t child = -1;
    double rate = -1;
    *seen_rate = -1;

    if (!src)
        goto out;
    TRY("tipc_metadata_create", make_md(&md, k, with_consumer ? "rate1" : "rate0"));
    if (with_consumer) {
        c = ctl_new(0);
        if (!c)
            goto out;
        child = fork_child();
        if (child < 0)
            goto out;
        if (child == 0)
            rate_child(c, md);
    }
    TRY("tipc_producer_create", producer_create(&p, md));
    if (with_consumer) {
        ctl_bump(&c->go);
        if (ctl_wait(&c->ack, 1, child) != 0) {
            fprintf(stderr, "bench_core: frames/s consumer failed: %s\n",
                    c->err[0] ? c->err : "timeout");
            g_failed = 1;
            goto out;
        }
    }
    uint64_t count = 0;
    int64_t t0 = mono_ns(), end = t0 + (int64_t)(seconds * 1e9), t;
    do {
        TRY("tipc_producer_put", tipc_producer_put(p, src, k->bytes, NULL));
        count++;
    } while ((t = mono_ns()) < end);
    rate = (double)count * 1e9 / (double)(t - t0);
    if (with_consumer) {
        atomic_store(&c->stop, 1);
        *seen_rate = (double)atomic_load(&c->frames_seen) * 1e9 / (double)(t - t0);
    }
out:
    if (c)
        atomic_store(&c->stop, 1);
    if (child > 0 && p == NULL)
        kill(child, SIGKILL); /* it would wait for a pool that never comes */
    producer_destroy(p, md);  /* wakes the consumer with TIPC_E_CLOSED */
    if (child > 0 && reap(child) != 0 && p != NULL) {
        fprintf(stderr, "bench_core: frames/s consumer failed: %s\n", c->err);
        g_failed = 1;
    }
    tipc_metadata_destroy(md);
    ctl_free(c, 0);
    free(src);
    return rate;
}

/* ------------------------------------------------------------------------ */
/* Leftovers                                                                */
/* ------------------------------------------------------------------------ */

/* Count (and remove) entries of /dev/shm that belong to this run. */
static int check_leftovers(void)
{
    char tag[32];
    int found = 0;
    snprintf(tag, sizeof tag, "tipcbench%d", g_pid);
    DIR *d = opendir("/dev/shm");
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strstr(e->d_name, tag)) {
            char path[300];
            fprintf(stderr, "bench_core: LEAK: /dev/shm/%s left behind (removed now)\n",
                    e->d_name);
            snprintf(path, sizeof path, "/dev/shm/%s", e->d_name);
            unlink(path);
            found++;
        }
    }
    closedir(d);
    return found;
}

/* ------------------------------------------------------------------------ */
/* Main                                                                     */
/* ------------------------------------------------------------------------ */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tipc_bench_core [--quick] [--iters N] [--help]\n"
            "\n"
            "Measures tensor-ipc (put, loan/commit, acquire, get, cross-process wake-up,\n"
            "frames/s) for 64 B, 64 KiB and 6,220,800 B frames, side by side with the\n"
            "machine's floor (memcpy into shared memory, futex wake-up between processes),\n"
            "and prints a table and the targets met (PASS) or missed (MISS).\n"
            "\n"
            "  --quick     fewer samples and shorter runs (a smoke run of a few seconds)\n"
            "  --iters N   samples per latency measurement (default 2000, quick 200);\n"
            "              the 6,220,800 B frame takes N/4 (at least 20)\n"
            "  --help      this text\n"
            "\n"
            "Exit status: 0 whatever the speed; 1 if a tensor-ipc call failed or a\n"
            "segment was left in /dev/shm; 2 on a bad command line.\n");
}

static void cpu_model(char *buf, size_t n)
{
    snprintf(buf, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *colon = strchr(line, ':');
            if (colon) {
                colon++;
                while (*colon == ' ')
                    colon++;
                colon[strcspn(colon, "\n")] = '\0';
                snprintf(buf, n, "%s", colon);
            }
            break;
        }
    }
    fclose(f);
}

static const char *verdict(int ok)
{
    return ok ? "PASS" : "MISS";
}

int main(int argc, char **argv)
{
    options o = {2000, 0, 1.5, 0};
    long iters_arg = -1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--quick") == 0) {
            o.quick = 1;
        } else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc) {
            char *end = NULL;
            errno = 0;
            iters_arg = strtol(argv[++i], &end, 10);
            if (errno || !end || *end || iters_arg < 1 || iters_arg > 10000000) {
                fprintf(stderr, "bench_core: --iters needs a number from 1 to 10000000\n");
                return 2;
            }
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (o.quick) {
        o.iters = 200;
        o.tput_s = 0.3;
    }
    if (iters_arg > 0)
        o.iters = (size_t)iters_arg;
    o.iters_big = o.iters / 4 < 20 ? 20 : o.iters / 4;
    if (o.iters_big > o.iters)
        o.iters_big = o.iters;

    g_pid = (int)getpid();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    char model[256];
    cpu_model(model, sizeof model);
    printf("tensor-ipc %s core benchmark: %ld online CPUs, %s\n", tipc_version_string(),
           sysconf(_SC_NPROCESSORS_ONLN), model);
    printf("samples: %zu per latency (%zu for 6,220,800 B), frames/s runs of %.1f s, "
           "ring of %d frames, wake-up gap %d us%s\n\n",
           o.iters, o.iters_big, o.tput_s, HISTORY, WAKE_GAP_NS / 1000,
           o.quick ? " (--quick)" : "");
    fflush(stdout);

    copy_result cr[N_SIZES];
    stats wake_put[N_SIZES], wake_loan[N_SIZES], wake_own[N_SIZES];
    int wake_ok[N_SIZES][2];
    stats floor_wake_s;
    int floor_ok = 0;
    double put_rate = -1, put_rate_c = -1, seen_rate = -1, mem_rate = -1;

    memset(wake_put, 0, sizeof wake_put);
    memset(wake_loan, 0, sizeof wake_loan);
    memset(wake_own, 0, sizeof wake_own);
    memset(wake_ok, 0, sizeof wake_ok);

    /* 1. copies, in process */
    for (int s = 0; s < N_SIZES; s++)
        cr[s] = bench_copies(&g_kinds[s], s == N_SIZES - 1 ? o.iters_big : o.iters);

    /* 2. wake-ups: floor before and after, tensor-ipc in between */
    int64_t *floor_lat = malloc(2 * o.iters * sizeof *floor_lat);
    int64_t *lat_a = malloc(2 * o.iters * sizeof *lat_a);
    if (!floor_lat || !lat_a) {
        fprintf(stderr, "bench_core: out of memory\n");
        return 1;
    }
    floor_ok = floor_wake(o.iters, floor_lat) == 0;
    for (int s = 0; s < N_SIZES; s++) {
        size_t n = s == N_SIZES - 1 ? o.iters_big : o.iters;
        for (int path = 0; path < 2; path++) {
            if (tipc_wake(&g_kinds[s], path, n, lat_a, lat_a + n) != 0)
                continue;
            wake_ok[s][path] = 1;
            if (path == PATH_PUT) {
                wake_put[s] = stats_of(lat_a, n);
            } else {
                wake_loan[s] = stats_of(lat_a, n);
                if (g_kinds[s].bytes >= 16)
                    wake_own[s] = stats_of(lat_a + n, n);
            }
        }
    }
    floor_ok = floor_ok && floor_wake(o.iters, floor_lat + o.iters) == 0;
    if (floor_ok)
        floor_wake_s = stats_of(floor_lat, 2 * o.iters);
    else
        memset(&floor_wake_s, 0, sizeof floor_wake_s);
    double fw50 = floor_ok ? floor_wake_s.p50 : -1, fw99 = floor_ok ? floor_wake_s.p99 : -1;

    /* 3. frames/s of the largest frame */
    const frame_kind *big = &g_kinds[N_SIZES - 1];
    mem_rate = floor_rate(big, o.tput_s);
    put_rate = tipc_rate(big, o.tput_s, 0, &seen_rate);
    put_rate_c = tipc_rate(big, o.tput_s, 1, &seen_rate);

    /* table */
    double clock_ns = cr[0].ok ? cr[0].clock.p50 : -1;
    add_row("clock read (in every per-call time)", "-", 't', clock_ns, -1);
    for (int s = 0; s < N_SIZES; s++) {
        const char *sz = g_kinds[s].label;
        copy_result *r = &cr[s];
        if (!r->ok) {
            add_row("put/loan/acquire/get: FAILED", sz, 't', -1, -1);
            continue;
        }
        add_row("put p50 | memcpy to shm", sz, 't', r->put.p50, r->memcpy_in.p50);
        add_row("put p99 | memcpy to shm", sz, 't', r->put.p99, r->memcpy_in.p99);
        add_row("loan+commit p50", sz, 't', r->loan.p50, -1);
        add_row("loan+commit p99", sz, 't', r->loan.p99, -1);
        add_row("acquire+release p50", sz, 't', r->acquire.p50, -1);
        add_row("acquire+release p99", sz, 't', r->acquire.p99, -1);
        add_row("get p50 | memcpy from shm", sz, 't', r->get.p50, r->memcpy_out.p50);
        add_row("get p99 | memcpy from shm", sz, 't', r->get.p99, r->memcpy_out.p99);
    }
    for (int s = 0; s < N_SIZES; s++) {
        const char *sz = g_kinds[s].label;
        if (wake_ok[s][PATH_PUT]) {
            add_row("wake-up put p50 | futex", sz, 't', wake_put[s].p50, fw50);
            add_row("wake-up put p99 | futex", sz, 't', wake_put[s].p99, fw99);
        } else {
            add_row("wake-up put: FAILED", sz, 't', -1, fw50);
        }
        if (wake_ok[s][PATH_LOAN]) {
            add_row("wake-up loan/commit p50 | futex", sz, 't', wake_loan[s].p50, fw50);
            add_row("wake-up loan/commit p99 | futex", sz, 't', wake_loan[s].p99, fw99);
            if (g_kinds[s].bytes >= 16)
                add_row("  same, from commit() call p50", sz, 't', wake_own[s].p50, fw50);
        } else {
            add_row("wake-up loan/commit: FAILED", sz, 't', -1, fw50);
        }
    }
    add_row("frames/s put | memcpy", big->label, 'r', put_rate, mem_rate);
    add_row("frames/s put, 1 consumer | memcpy", big->label, 'r', put_rate_c, mem_rate);
    add_row("  frames/s the consumer acquired", big->label, 'r', seen_rate, -1);

    printf("ratio = cost(tensor-ipc) / cost(floor): 1.00x is as fast as the floor.\n"
           "floor: memcpy to/from a MAP_SHARED ring of %d frames; futex = one-way\n"
           "FUTEX_WAKE -> FUTEX_WAIT return between two processes.\n\n",
           HISTORY);
    print_table();

    /* targets */
    printf("\ntargets (informational, never asserted):\n");
    const copy_result *rb = &cr[N_SIZES - 1];
    if (rb->ok)
        printf("  %s put 6,220,800 B p50 within 1.2x of memcpy: %.2fx\n",
               verdict(rb->put.p50 <= 1.2 * rb->memcpy_in.p50), rb->put.p50 / rb->memcpy_in.p50);
    else
        printf("  MISS put 6,220,800 B p50 within 1.2x of memcpy: not measured\n");
    for (int s = 0; s < N_SIZES; s++) {
        if (!wake_ok[s][PATH_LOAN] || !floor_ok) {
            printf("  MISS wake-up loan/commit %s: not measured\n", g_kinds[s].label);
            continue;
        }
        printf("  %s wake-up loan/commit %s p50 within 1.5x of futex: %.2fx (%.1f us vs %.1f us)\n",
               verdict(wake_loan[s].p50 <= 1.5 * fw50), g_kinds[s].label, wake_loan[s].p50 / fw50,
               wake_loan[s].p50 / 1000, fw50 / 1000);
        printf("  %s wake-up loan/commit %s p99 < 50 us: %.1f us\n",
               verdict(wake_loan[s].p99 < 50000), g_kinds[s].label, wake_loan[s].p99 / 1000);
    }
    for (int s = 0; s < N_SIZES; s++) {
        if (!cr[s].ok) {
            printf("  MISS acquire+release %s < 1 us: not measured\n", g_kinds[s].label);
            continue;
        }
        printf("  %s acquire+release %s p50 < 1 us: %.3f us (p99 %.3f us)\n",
               verdict(cr[s].acquire.p50 < 1000), g_kinds[s].label, cr[s].acquire.p50 / 1000,
               cr[s].acquire.p99 / 1000);
    }

    int leaks = check_leftovers();
    printf("\n/dev/shm after the run: %s\n", leaks ? "segments were LEFT (see stderr)" : "clean");
    free(floor_lat);
    free(lat_a);
    return (g_failed || leaks) ? 1 : 0;
}
