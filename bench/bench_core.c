/*
 * bench_core.c - tensor-ipc core benchmark, side by side with the machine's floor.
 *
 * One run measures, for frames of 64 B, 64 KiB and 6,220,800 B (1080x1920x3
 * uint8), each against the same work done without tensor-ipc ("floor"):
 *
 *   put          tipc_producer_put, per call            vs memcpy into a MAP_SHARED ring
 *                (also with publish_progress = 0, i.e. without the DDS progress sample)
 *   loan/commit  tipc_producer_loan + 8-byte write + tipc_producer_commit (no floor)
 *   acquire      tipc_consumer_acquire(latest) + tipc_view_release (no floor; target < 1 us)
 *   get          tipc_consumer_get(latest), copying     vs memcpy out of a MAP_SHARED ring
 *   wake-up      one-way, cross-process: the producer process publishes (put, or
 *                loan/commit); a consumer process blocked in tipc_consumer_wait wakes,
 *                acquires the latest view and records
 *                tipc_now_ns() - tipc_frame_info.timestamp_ns (the commit stamp)
 *                                                      vs futex: the same two processes,
 *                after the same pause, do the same copy (put path) or none (loan path),
 *                store a CLOCK_REALTIME stamp and FUTEX_WAKE; the waiter blocked in
 *                FUTEX_WAIT records now - stamp. Floor and tensor-ipc samples alternate.
 *   frames/s     6,220,800 B put at full speed (alone, and with one consumer process
 *                waiting and acquiring every frame) vs memcpy at full speed
 *
 * A bare futex one-way latency between two fresh processes is printed as a
 * reference. --sweep also times put/get vs memcpy at five more frame sizes
 * (1 KiB to 2,764,800 B); --json FILE writes every figure, with each latency's
 * distribution (quantiles), for bench/plot.py. Floor and tensor-ipc copies are interleaved call by call, so a
 * noisy neighbour slows both alike. Cross-process stamps use CLOCK_REALTIME
 * (tipc_now_ns, the clock of tipc_frame_info.timestamp_ns); durations inside
 * one process use CLOCK_MONOTONIC. Per-call times include one clock read
 * (printed as "clock read").
 *
 * Consumer processes are this program re-executed with --child (fork + exec):
 * the library runs DDS threads, so a fork()ed copy of a process that already
 * used it could not use it again. Pool names carry the pid; every segment is
 * removed on every path (and on SIGINT/SIGTERM/SIGHUP), and /dev/shm is checked
 * at the end.
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

#include "bench_util.h"
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

/* --sweep: the in-process copies (put/get vs memcpy) at more sizes, so a plot
 * spans 64 B to 6 MB; no wake-ups (those keep to g_kinds). */
#define N_SWEEP 5
static const frame_kind g_sweep[N_SWEEP] = {
    {"1 KiB", "w1k", TIPC_DTYPE_UINT8, 1, {1024, 0, 0}, 1024},
    {"16 KiB", "w16k", TIPC_DTYPE_UINT8, 1, {16384, 0, 0}, 16384},
    {"256 KiB", "w256k", TIPC_DTYPE_FLOAT32, 2, {256, 256, 0}, 262144},
    {"921,600 B", "w480p", TIPC_DTYPE_UINT8, 3, {480, 640, 3}, 921600},
    {"2,764,800 B", "w720p", TIPC_DTYPE_UINT8, 3, {720, 1280, 3}, 2764800},
};

typedef struct options {
    size_t iters;     /* samples per latency measurement (64 B, 64 KiB) */
    size_t iters_big; /* samples per latency measurement (6,220,800 B) */
    double tput_s;    /* seconds of each frames/s run */
    int quick;
    int sweep;             /* --sweep */
    const char *json_path; /* --json FILE, or NULL */
} options;

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */
/* ------------------------------------------------------------------------ */

static int g_failed; /* a tensor-ipc call failed: exit status 1 */
static int g_pid;

static int64_t real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
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

/* Quantiles kept of each latency for --json (a CDF to plot): q = i/200 for
 * i = 0..199, then 0.999 and 1 (the maximum). */
#define N_QUANT 202

static double quantile_q(int i)
{
    return i < 200 ? i / 200.0 : (i == 200 ? 0.999 : 1.0);
}

typedef struct stats {
    double p50, p99, mean; /* nanoseconds */
    size_t n;
    double q[N_QUANT]; /* nanoseconds at quantile_q(i) */
} stats;

/* Sorts v in place. */
static stats stats_of(int64_t *v, size_t n)
{
    stats s;
    memset(&s, 0, sizeof s);
    s.n = n;
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
    for (int i = 0; i < N_QUANT; i++) {
        /* the smallest sample with at least q n samples at or below it */
        double want = quantile_q(i) * (double)n;
        size_t k = (size_t)want;
        if ((double)k < want)
            k++;
        s.q[i] = (double)v[k > 0 ? k - 1 : 0];
    }
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

/* Producer creation that registers the segment name first. progress: the
 * default DDS progress sample after each put (1), or none (0). */
static tipc_status producer_create(tipc_producer **out, const tipc_metadata *md, int progress)
{
    tipc_producer_options opts;
    tipc_status st = tipc_producer_options_init(&opts, TIPC_PRODUCER_OPTIONS_VERSION);
    if (st != TIPC_OK)
        return st;
    opts.publish_progress = progress;
    live_add(tipc_metadata_shm_name(md));
    st = tipc_producer_create(out, md, &opts);
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

/* The block lives in a memfd so that an exec'd child can map it too. */
static int g_ctl_fd = -1;

static size_t ctl_bytes(size_t n)
{
    return sizeof(ctl) + n * sizeof(int64_t);
}

static ctl *ctl_map_fd(int fd, size_t n)
{
    void *p = mmap(NULL, ctl_bytes(n), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* One block at a time; its fd is inherited by children (no close-on-exec). */
static ctl *ctl_new(size_t n)
{
    int fd = memfd_create("tipcbench-ctl", 0);
    if (fd < 0)
        return NULL;
    if (ftruncate(fd, (off_t)ctl_bytes(n)) != 0) {
        close(fd);
        return NULL;
    }
    ctl *c = ctl_map_fd(fd, n);
    if (!c) {
        close(fd);
        return NULL;
    }
    g_ctl_fd = fd;
    return c;
}

static void ctl_free(ctl *c, size_t n)
{
    if (c)
        munmap(c, ctl_bytes(n));
    if (g_ctl_fd >= 0)
        close(g_ctl_fd);
    g_ctl_fd = -1;
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

/* fork() only: the child must touch nothing but the control block (the parent
 * may run library threads, e.g. DDS, that the child does not inherit). */
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

/* fork() + exec of this program as a consumer process ("--child ..."): a
 * fresh process with its own library state, as a real consumer would be. */
static pid_t spawn_consumer(ctl *c, const char *mode, int kind, const char *what, int path,
                            size_t n)
{
    char a_kind[16], a_path[16], a_n[32], a_fd[16], a_pid[16];
    snprintf(a_kind, sizeof a_kind, "%d", kind);
    snprintf(a_path, sizeof a_path, "%d", path);
    snprintf(a_n, sizeof a_n, "%zu", n);
    snprintf(a_fd, sizeof a_fd, "%d", g_ctl_fd);
    snprintf(a_pid, sizeof a_pid, "%d", g_pid);
    pid_t pid = fork_child();
    if (pid == 0) {
        execl("/proc/self/exe", "tipc_bench_core", "--child", mode, a_kind, what, a_path, a_n,
              a_fd, a_pid, (char *)NULL);
        snprintf(c->err, sizeof c->err, "exec /proc/self/exe: %s", strerror(errno));
        _exit(127);
    }
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
static const char *const wake_what[2] = {"wakeput", "wakeloan"};

/*
 * Each sample pairs a tensor-ipc wake-up with a floor wake-up in the same two
 * processes, after the same pause, in alternating order:
 *   floor put path:  memcpy the frame into a MAP_SHARED ring, stamp, FUTEX_WAKE
 *   floor loan path: write 16 bytes into that ring, stamp, FUTEX_WAKE
 * Layout of c->lat for N samples:
 *   [0, N)    now - tipc_frame_info.timestamp_ns (the library's commit stamp)
 *   [N, 2N)   now - stamp written into the frame just before commit() (loan path)
 *   [2N, 3N)  floor: now - stamp
 */
static int floor_first(size_t i)
{
    return (i % 2) == 0;
}

static void floor_sample(ctl *c, size_t i, size_t n)
{
    uint32_t s, want = (uint32_t)(i + 1);
    int64_t deadline = mono_ns() + CHILD_TIMEOUT_NS;
    while ((s = atomic_load(&c->seq)) != want) {
        if (mono_ns() > deadline) {
            snprintf(c->err, sizeof c->err, "floor futex: no wake-up for sample %zu", i);
            _exit(1);
        }
        futex_wait(&c->seq, s, 1000000000LL);
    }
    int64_t now = real_ns();
    c->lat[2 * n + i] = now - atomic_load(&c->stamp);
    ctl_bump(&c->ack);
}

static void tipc_sample(ctl *c, tipc_consumer *con, const tipc_metadata *md, size_t i, size_t n,
                        int path)
{
    tipc_view *v = NULL;
    tipc_frame_info info;
    tipc_status st = tipc_consumer_wait(con, CHILD_TIMEOUT_NS);
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
    int has_own = tipc_metadata_frame_bytes(md) >= sizeof own;
    if (has_own)
        memcpy(own, data, sizeof own);
    tipc_view_release(v);
    c->lat[i] = now - info.timestamp_ns;
    c->lat[n + i] = (path == PATH_LOAN && own[1] != 0) ? now - own[1] : 0;
    if (info.index != i || (has_own && own[0] != (int64_t)i))
        atomic_fetch_add(&c->bad, 1);
    ctl_bump(&c->ack);
}

/* Consumer process of a wake-up run. */
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
        if (floor_first(i)) {
            floor_sample(c, i, n);
            tipc_sample(c, con, md, i, n, path);
        } else {
            tipc_sample(c, con, md, i, n, path);
            floor_sample(c, i, n);
        }
    }
    tipc_consumer_destroy(con);
    _exit(0);
}

typedef struct wake_result {
    stats info, own, floor;
    int ok;
} wake_result;

static wake_result tipc_wake(const frame_kind *k, int path, size_t n)
{
    wake_result r;
    memset(&r, 0, sizeof r);
    tipc_metadata *md = NULL;
    tipc_producer *p = NULL;
    ctl *c = NULL;
    unsigned char *src = NULL, *ring = NULL;
    pid_t child = -1;
    size_t warm = n / 10 + 2, total = warm + n;
    uint32_t acks = 1;

    TRY("tipc_metadata_create", make_md(&md, k, wake_what[path]));
    c = ctl_new(3 * total);
    src = alloc_private(k->bytes, 0x5a);
    ring = map_shared(HISTORY * k->bytes);
    if (!c || !src || !ring) {
        fprintf(stderr, "bench_core: out of memory\n");
        goto out;
    }
    child = spawn_consumer(c, "wake", (int)(k - g_kinds), wake_what[path], path, total);
    if (child < 0) {
        perror("bench_core: fork");
        goto out;
    }
    TRY("tipc_producer_create", producer_create(&p, md, 1));
    ctl_bump(&c->go);
    if (ctl_wait(&c->ack, acks, child) != 0)
        goto child_failed;
    for (size_t i = 0; i < total; i++) {
        int64_t own[2] = {(int64_t)i, 0};
        for (int turn = 0; turn < 2; turn++) {
            sleep_ns(WAKE_GAP_NS);
            if ((turn == 0) == (floor_first(i) != 0)) {
                /* floor: the same work without tensor-ipc */
                unsigned char *slot = ring + (i % HISTORY) * k->bytes;
                if (path == PATH_PUT)
                    memcpy(slot, src, k->bytes);
                else
                    memcpy(slot, own, k->bytes < sizeof own ? k->bytes : sizeof own);
                atomic_store(&c->stamp, real_ns());
                atomic_store(&c->seq, (uint32_t)(i + 1));
                futex_wake(&c->seq);
            } else if (path == PATH_PUT) {
                if (k->bytes >= sizeof own)
                    memcpy(src, own, sizeof own);
                TRY("tipc_producer_put", tipc_producer_put(p, src, k->bytes, NULL));
            } else {
                void *slot = NULL;
                TRY("tipc_producer_loan", tipc_producer_loan(p, &slot, NULL));
                if (k->bytes >= sizeof own) {
                    own[1] = tipc_now_ns();
                    memcpy(slot, own, sizeof own);
                }
                TRY("tipc_producer_commit", tipc_producer_commit(p, NULL));
            }
            if (ctl_wait(&c->ack, ++acks, child) != 0)
                goto child_failed;
        }
    }
    r.info = stats_of(c->lat + warm, n);
    r.own = stats_of(c->lat + total + warm, n);
    r.floor = stats_of(c->lat + 2 * total + warm, n);
    if (atomic_load(&c->bad) != 0)
        fprintf(stderr, "bench_core: warning: %s %s wake-up: %llu samples saw another frame "
                        "than the one just published\n",
                k->label, path == PATH_PUT ? "put" : "loan/commit",
                (unsigned long long)atomic_load(&c->bad));
    r.ok = 1;
    goto out;
child_failed:
    fprintf(stderr, "bench_core: %s wake-up consumer failed: %s\n", k->label,
            c->err[0] ? c->err : "timeout");
    g_failed = 1;
out:
    if (child > 0 && p == NULL)
        kill(child, SIGKILL); /* it would wait for a pool that never comes */
    producer_destroy(p, md);  /* wakes the consumer with TIPC_E_CLOSED if it still waits */
    if (child > 0 && reap(child) != 0 && r.ok) {
        fprintf(stderr, "bench_core: %s wake-up consumer failed: %s\n", k->label, c->err);
        g_failed = 1;
        r.ok = 0;
    }
    tipc_metadata_destroy(md);
    ctl_free(c, 3 * total);
    if (ring)
        munmap(ring, HISTORY * k->bytes);
    free(src);
    return r;
}

/* ------------------------------------------------------------------------ */
/* In-process: put / loan+commit / acquire / get, floor interleaved          */
/* ------------------------------------------------------------------------ */

typedef struct copy_result {
    stats put, memcpy_in, loan, acquire, get, memcpy_out, clock;
    stats put_np, loan_np; /* producer with publish_progress = 0 */
    int ok;
} copy_result;

static copy_result bench_copies(const frame_kind *k, size_t n)
{
    copy_result r;
    memset(&r, 0, sizeof r);
    tipc_metadata *md = NULL;
    tipc_metadata *md_np = NULL;
    tipc_producer *p = NULL, *p_np = NULL;
    tipc_consumer *con = NULL;
    unsigned char *floor_ring = NULL, *src = NULL, *dst = NULL;
    int64_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *d = malloc(n * sizeof *d);
    size_t warm = n / 10 + 2;

    if (!a || !b || !d) {
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
    TRY("tipc_producer_create", producer_create(&p, md, 1));
    TRY("tipc_metadata_create", make_md(&md_np, k, "copynp"));
    TRY("tipc_producer_create", producer_create(&p_np, md_np, 0));
    TRY("tipc_consumer_create", tipc_consumer_create(&con, md, NULL));
    TRY("tipc_consumer_connect", tipc_consumer_connect(con));

    /* clock read: the cost included in every per-call sample */
    for (size_t i = 0; i < n; i++) {
        int64_t t0 = mono_ns();
        a[i] = mono_ns() - t0;
    }
    r.clock = stats_of(a, n);

    /* put (with and without DDS progress) vs memcpy into a shared ring,
     * interleaved call by call */
    for (size_t i = 0; i < warm + n; i++) {
        size_t slot = i % HISTORY;
        int64_t t0 = mono_ns();
        memcpy(floor_ring + slot * k->bytes, src, k->bytes);
        int64_t t1 = mono_ns();
        TRY("tipc_producer_put", tipc_producer_put(p, src, k->bytes, NULL));
        int64_t t2 = mono_ns();
        TRY("tipc_producer_put", tipc_producer_put(p_np, src, k->bytes, NULL));
        int64_t t3 = mono_ns();
        if (i >= warm) {
            a[i - warm] = t2 - t1;
            b[i - warm] = t1 - t0;
            d[i - warm] = t3 - t2;
        }
    }
    r.put = stats_of(a, n);
    r.memcpy_in = stats_of(b, n);
    r.put_np = stats_of(d, n);

    /* loan + commit, writing 8 bytes of the slot */
    for (size_t i = 0; i < warm + n; i++) {
        void *slot = NULL;
        int64_t t0 = mono_ns();
        TRY("tipc_producer_loan", tipc_producer_loan(p, &slot, NULL));
        memcpy(slot, &i, k->bytes < sizeof i ? k->bytes : sizeof i);
        TRY("tipc_producer_commit", tipc_producer_commit(p, NULL));
        int64_t t1 = mono_ns();
        TRY("tipc_producer_loan", tipc_producer_loan(p_np, &slot, NULL));
        memcpy(slot, &i, k->bytes < sizeof i ? k->bytes : sizeof i);
        TRY("tipc_producer_commit", tipc_producer_commit(p_np, NULL));
        int64_t t2 = mono_ns();
        if (i >= warm) {
            a[i - warm] = t1 - t0;
            d[i - warm] = t2 - t1;
        }
    }
    r.loan = stats_of(a, n);
    r.loan_np = stats_of(d, n);

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
    producer_destroy(p_np, md_np);
    tipc_metadata_destroy(md);
    tipc_metadata_destroy(md_np);
    if (floor_ring)
        munmap(floor_ring, HISTORY * k->bytes);
    free(src);
    free(dst);
    free(a);
    free(b);
    free(d);
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
        child = spawn_consumer(c, "rate", (int)(k - g_kinds), "rate1", 0, 0);
        if (child < 0)
            goto out;
    }
    TRY("tipc_producer_create", producer_create(&p, md, 1));
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
    snprintf(tag, sizeof tag, "tipcbench%d", g_pid);
    return check_leftovers_tagged("bench_core", tag);
}

/* ------------------------------------------------------------------------ */
/* --json: every figure, for bench/plot.py                                  */
/* ------------------------------------------------------------------------ */

static void json_str(FILE *f, const char *v)
{
    fputc('"', f);
    for (; *v; v++) {
        if (*v == '"' || *v == '\\')
            fputc('\\', f);
        if ((unsigned char)*v >= 0x20)
            fputc(*v, f);
    }
    fputc('"', f);
}

/* "name": {"n": .., "mean_ns": .., "p50_ns": .., "p99_ns": .., "quantiles_ns": [..]} */
static void json_stats(FILE *f, const char *name, const stats *s, int last)
{
    fprintf(f, "      \"%s\": {\"n\": %zu, \"mean_ns\": %.1f, \"p50_ns\": %.1f, \"p99_ns\": %.1f, "
               "\"quantiles_ns\": [",
            name, s->n, s->mean, s->p50, s->p99);
    for (int i = 0; i < N_QUANT; i++)
        fprintf(f, "%s%.0f", i ? ", " : "", s->q[i]);
    fprintf(f, "]}%s\n", last ? "" : ",");
}

static void json_copy(FILE *f, const frame_kind *k, const copy_result *r, int last)
{
    fprintf(f, "    {\"bytes\": %zu, \"label\": ", k->bytes);
    json_str(f, k->label);
    fprintf(f, ",\n");
    json_stats(f, "put", &r->put, 0);
    json_stats(f, "put_no_progress", &r->put_np, 0);
    json_stats(f, "memcpy_to_shm", &r->memcpy_in, 0);
    json_stats(f, "loan_commit", &r->loan, 0);
    json_stats(f, "loan_commit_no_progress", &r->loan_np, 0);
    json_stats(f, "acquire_release", &r->acquire, 0);
    json_stats(f, "get", &r->get, 0);
    json_stats(f, "memcpy_from_shm", &r->memcpy_out, 1);
    fprintf(f, "    }%s\n", last ? "" : ",");
}

typedef struct json_run {
    const options *o;
    const char *model;
    stats clock, bare;
    int bare_ok;
    const copy_result *cr, *sweep; /* N_SIZES, N_SWEEP (sweep NULL without --sweep) */
    const wake_result (*wk)[2];
    double put_rate, put_rate_c, seen_rate, mem_rate;
} json_run;

/* Writes the run to path (via a temporary file, renamed). 0 on success. */
static int write_json(const char *path, const json_run *j)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp%d", path, g_pid);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "bench_core: cannot write %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    fprintf(f, "{\n  \"benchmark\": \"tipc_bench_core\",\n  \"schema\": 1,\n");
    fprintf(f, "  \"tensor_ipc_version\": ");
    json_str(f, tipc_version_string());
    fprintf(f, ",\n  \"finished_utc\": \"%s\",\n  \"online_cpus\": %ld,\n  \"cpu_model\": ", when,
            sysconf(_SC_NPROCESSORS_ONLN));
    json_str(f, j->model);
    fprintf(f, ",\n  \"quick\": %s,\n  \"iters\": %zu,\n  \"iters_big\": %zu,\n"
               "  \"ring_frames\": %d,\n  \"wake_gap_ns\": %d,\n",
            j->o->quick ? "true" : "false", j->o->iters, j->o->iters_big, HISTORY, WAKE_GAP_NS);
    fprintf(f, "  \"quantiles\": [");
    for (int i = 0; i < N_QUANT; i++)
        fprintf(f, "%s%g", i ? ", " : "", quantile_q(i));
    fprintf(f, "],\n  \"reference\": {\n");
    json_stats(f, "clock_read", &j->clock, !j->bare_ok);
    if (j->bare_ok)
        json_stats(f, "futex_bare", &j->bare, 1);
    fprintf(f, "  },\n");

    /* copies of every size measured, smallest first */
    const frame_kind *kinds[N_SIZES + N_SWEEP];
    const copy_result *res[N_SIZES + N_SWEEP];
    size_t nk = 0;
    for (int s = 0; s < N_SIZES; s++)
        if (j->cr[s].ok) {
            kinds[nk] = &g_kinds[s];
            res[nk++] = &j->cr[s];
        }
    for (int s = 0; j->sweep && s < N_SWEEP; s++)
        if (j->sweep[s].ok) {
            kinds[nk] = &g_sweep[s];
            res[nk++] = &j->sweep[s];
        }
    for (size_t a = 1; a < nk; a++)
        for (size_t b = a; b > 0 && kinds[b - 1]->bytes > kinds[b]->bytes; b--) {
            const frame_kind *tk = kinds[b];
            const copy_result *tr = res[b];
            kinds[b] = kinds[b - 1];
            res[b] = res[b - 1];
            kinds[b - 1] = tk;
            res[b - 1] = tr;
        }
    fprintf(f, "  \"copies\": [\n");
    for (size_t i = 0; i < nk; i++)
        json_copy(f, kinds[i], res[i], i + 1 == nk);
    fprintf(f, "  ],\n  \"wakeups\": [\n");
    int first = 1;
    for (int s = 0; s < N_SIZES; s++)
        for (int wp = 0; wp < 2; wp++) {
            const wake_result *w = &j->wk[s][wp];
            if (!w->ok)
                continue;
            fprintf(f, "%s    {\"bytes\": %zu, \"label\": ", first ? "" : ",\n", g_kinds[s].bytes);
            json_str(f, g_kinds[s].label);
            fprintf(f, ", \"path\": \"%s\",\n", wp == PATH_PUT ? "put" : "loan_commit");
            int own = wp == PATH_LOAN && g_kinds[s].bytes >= 16;
            json_stats(f, "tipc", &w->info, 0);
            if (own)
                json_stats(f, "tipc_from_commit_call", &w->own, 0);
            json_stats(f, "floor", &w->floor, 1);
            fprintf(f, "    }");
            first = 0;
        }
    fprintf(f, "\n  ],\n  \"frames_per_s\": {\"bytes\": %zu, \"put\": %.1f, "
               "\"put_one_consumer\": %.1f, \"acquired_by_consumer\": %.1f, \"memcpy\": %.1f}\n}\n",
            g_kinds[N_SIZES - 1].bytes, j->put_rate, j->put_rate_c, j->seen_rate, j->mem_rate);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "bench_core: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Main                                                                     */
/* ------------------------------------------------------------------------ */

/* The consumer process: tipc_bench_core --child MODE KIND WHAT PATH N FD PARENT_PID */
static int child_main(int argc, char **argv)
{
    if (argc != 9)
        return 2;
    const char *mode = argv[2];
    int kind = atoi(argv[3]);
    const char *what = argv[4];
    int path = atoi(argv[5]);
    size_t n = (size_t)strtoull(argv[6], NULL, 10);
    int fd = atoi(argv[7]);
    g_pid = atoi(argv[8]);
    if (kind < 0 || kind >= N_SIZES)
        return 2;
    ctl *c = ctl_map_fd(fd, strcmp(mode, "wake") == 0 ? 3 * n : 0);
    if (!c)
        return 3;
    close(fd);
    tipc_metadata *md = NULL;
    tipc_status st = make_md(&md, &g_kinds[kind], what);
    if (st != TIPC_OK)
        child_fail(c, "tipc_metadata_create", st);
    if (strcmp(mode, "wake") == 0)
        tipc_wake_child(c, md, n, path);
    else
        rate_child(c, md);
    return 0; /* not reached: the children _exit */
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tipc_bench_core [--quick] [--iters N] [--sweep] [--json FILE] [--help]\n"
            "\n"
            "Measures tensor-ipc (put, loan/commit, acquire, get, cross-process wake-up,\n"
            "frames/s) for 64 B, 64 KiB and 6,220,800 B frames, side by side with the\n"
            "machine's floor (memcpy into shared memory, futex wake-up between processes),\n"
            "and prints a table and the targets met (PASS) or missed (MISS).\n"
            "\n"
            "  --quick     fewer samples and shorter runs (a smoke run of a few seconds)\n"
            "  --iters N   samples per latency measurement (default 2000, quick 200);\n"
            "              the 6,220,800 B frame takes N/4 (at least 20)\n"
            "  --sweep     also time put/get vs memcpy at 1 KiB, 16 KiB, 256 KiB,\n"
            "              921,600 B and 2,764,800 B (a second table)\n"
            "  --json FILE also write every figure, with each latency's quantiles, to\n"
            "              FILE (for bench/plot.py)\n"
            "  --help      this text\n"
            "\n"
            "Exit status: 0 whatever the speed; 1 if a tensor-ipc call failed or a\n"
            "segment was left in /dev/shm; 2 on a bad command line.\n");
}

static const char *verdict(int ok)
{
    return ok ? "PASS" : "MISS";
}

int main(int argc, char **argv)
{
    options o = {2000, 0, 1.5, 0, 0, NULL};
    long iters_arg = -1;

    if (argc > 1 && strcmp(argv[1], "--child") == 0)
        return child_main(argc, argv);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--quick") == 0) {
            o.quick = 1;
        } else if (strcmp(argv[i], "--sweep") == 0) {
            o.sweep = 1;
        } else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
            o.json_path = argv[++i];
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

    copy_result cr[N_SIZES], sw[N_SWEEP];
    wake_result wk[N_SIZES][2];
    stats bare;
    int bare_ok;
    double put_rate = -1, put_rate_c = -1, seen_rate = -1, mem_rate = -1;
    const frame_kind *big = &g_kinds[N_SIZES - 1];

    /* 1. copies, in process */
    for (int s = 0; s < N_SIZES; s++)
        cr[s] = bench_copies(&g_kinds[s], s == N_SIZES - 1 ? o.iters_big : o.iters);
    for (int s = 0; o.sweep && s < N_SWEEP; s++)
        sw[s] = bench_copies(&g_sweep[s], g_sweep[s].bytes >= 900000 ? o.iters_big : o.iters);

    /* 2. wake-ups, each paired with its floor */
    int64_t *bare_lat = malloc(o.iters * sizeof *bare_lat);
    if (!bare_lat) {
        fprintf(stderr, "bench_core: out of memory\n");
        return 1;
    }
    bare_ok = floor_wake(o.iters, bare_lat) == 0;
    bare = stats_of(bare_lat, bare_ok ? o.iters : 0);
    free(bare_lat);
    for (int s = 0; s < N_SIZES; s++)
        for (int path = 0; path < 2; path++)
            wk[s][path] = tipc_wake(&g_kinds[s], path, s == N_SIZES - 1 ? o.iters_big : o.iters);

    /* 3. frames/s of the largest frame */
    mem_rate = floor_rate(big, o.tput_s);
    put_rate = tipc_rate(big, o.tput_s, 0, &seen_rate);
    put_rate_c = tipc_rate(big, o.tput_s, 1, &seen_rate);

    /* table */
    add_row("clock read (in every per-call time)", "-", 't', cr[0].ok ? cr[0].clock.p50 : -1,
            -1);
    add_row("futex one-way p50, bare (reference)", "-", 't', -1, bare_ok ? bare.p50 : -1);
    add_row("futex one-way p99, bare (reference)", "-", 't', -1, bare_ok ? bare.p99 : -1);
    for (int s = 0; s < N_SIZES; s++) {
        const char *sz = g_kinds[s].label;
        copy_result *r = &cr[s];
        if (!r->ok) {
            add_row("put/loan/acquire/get: FAILED", sz, 't', -1, -1);
            continue;
        }
        add_row("put p50 vs memcpy to shm", sz, 't', r->put.p50, r->memcpy_in.p50);
        add_row("put p99 vs memcpy to shm", sz, 't', r->put.p99, r->memcpy_in.p99);
        add_row("put p50, no DDS progress vs memcpy", sz, 't', r->put_np.p50, r->memcpy_in.p50);
        add_row("loan+commit p50", sz, 't', r->loan.p50, -1);
        add_row("loan+commit p99", sz, 't', r->loan.p99, -1);
        add_row("loan+commit p50, no DDS progress", sz, 't', r->loan_np.p50, -1);
        add_row("acquire+release p50", sz, 't', r->acquire.p50, -1);
        add_row("acquire+release p99", sz, 't', r->acquire.p99, -1);
        add_row("get p50 vs memcpy from shm", sz, 't', r->get.p50, r->memcpy_out.p50);
        add_row("get p99 vs memcpy from shm", sz, 't', r->get.p99, r->memcpy_out.p99);
    }
    for (int s = 0; s < N_SIZES; s++) {
        const char *sz = g_kinds[s].label;
        wake_result *w = wk[s];
        if (w[PATH_PUT].ok) {
            add_row("wake-up put p50 vs memcpy+futex", sz, 't', w[PATH_PUT].info.p50,
                    w[PATH_PUT].floor.p50);
            add_row("wake-up put p99 vs memcpy+futex", sz, 't', w[PATH_PUT].info.p99,
                    w[PATH_PUT].floor.p99);
        } else {
            add_row("wake-up put: FAILED", sz, 't', -1, -1);
        }
        if (w[PATH_LOAN].ok) {
            add_row("wake-up loan/commit p50 vs futex", sz, 't', w[PATH_LOAN].info.p50,
                    w[PATH_LOAN].floor.p50);
            add_row("wake-up loan/commit p99 vs futex", sz, 't', w[PATH_LOAN].info.p99,
                    w[PATH_LOAN].floor.p99);
            if (g_kinds[s].bytes >= 16)
                add_row("wake-up loan/commit p50, from commit() call", sz, 't', w[PATH_LOAN].own.p50,
                        w[PATH_LOAN].floor.p50);
        } else {
            add_row("wake-up loan/commit: FAILED", sz, 't', -1, -1);
        }
    }
    add_row("frames/s put vs memcpy", big->label, 'r', put_rate, mem_rate);
    add_row("frames/s put, 1 consumer vs memcpy", big->label, 'r', put_rate_c, mem_rate);
    add_row("frames/s acquired by that consumer", big->label, 'r', seen_rate, -1);

    printf("ratio = cost(tensor-ipc) / cost(floor): 1.00x is as fast as the floor.\n"
           "floor: memcpy to/from a MAP_SHARED ring of %d frames; wake-ups: the same\n"
           "process pair, after the same pause, doing the same copy (put) or none\n"
           "(loan/commit), then CLOCK_REALTIME stamp + FUTEX_WAKE -> FUTEX_WAIT return.\n\n",
           HISTORY);
    print_table();

    if (o.sweep) {
        /* every size measured, smallest first: the g_kinds sizes interleave */
        g_nrows = 0;
        const frame_kind *order[N_SIZES + N_SWEEP];
        const copy_result *res[N_SIZES + N_SWEEP];
        size_t nk = 0;
        for (int s = 0; s < N_SIZES; s++, nk++) {
            order[nk] = &g_kinds[s];
            res[nk] = &cr[s];
        }
        for (int s = 0; s < N_SWEEP; s++, nk++) {
            order[nk] = &g_sweep[s];
            res[nk] = &sw[s];
        }
        for (size_t a = 1; a < nk; a++)
            for (size_t b = a; b > 0 && order[b - 1]->bytes > order[b]->bytes; b--) {
                const frame_kind *tk = order[b];
                const copy_result *tr = res[b];
                order[b] = order[b - 1];
                res[b] = res[b - 1];
                order[b - 1] = tk;
                res[b - 1] = tr;
            }
        for (size_t i = 0; i < nk; i++) {
            if (!res[i]->ok) {
                add_row("put/get: FAILED", order[i]->label, 't', -1, -1);
                continue;
            }
            add_row("put p50 vs memcpy to shm", order[i]->label, 't', res[i]->put.p50,
                    res[i]->memcpy_in.p50);
            add_row("get p50 vs memcpy from shm", order[i]->label, 't', res[i]->get.p50,
                    res[i]->memcpy_out.p50);
        }
        printf("\n--sweep: put and get by frame size (in process, interleaved with memcpy)\n\n");
        print_table();
    }

    /* targets */
    printf("\ntargets (informational, never asserted):\n");
    const copy_result *rb = &cr[N_SIZES - 1];
    if (rb->ok)
        printf("  %s put 6,220,800 B p50 within 1.2x of memcpy: %.2fx (%.1f us vs %.1f us)\n",
               verdict(rb->put.p50 <= 1.2 * rb->memcpy_in.p50), rb->put.p50 / rb->memcpy_in.p50,
               rb->put.p50 / 1000, rb->memcpy_in.p50 / 1000);
    else
        printf("  MISS put 6,220,800 B p50 within 1.2x of memcpy: not measured\n");
    for (int s = 0; s < N_SIZES; s++) {
        const wake_result *w = &wk[s][PATH_LOAN];
        if (!w->ok) {
            printf("  MISS wake-up loan/commit %s: not measured\n", g_kinds[s].label);
            continue;
        }
        printf("  %s wake-up loan/commit %s p50 within 1.5x of futex: %.2fx (%.1f us vs %.1f us)\n",
               verdict(w->info.p50 <= 1.5 * w->floor.p50), g_kinds[s].label,
               w->info.p50 / w->floor.p50, w->info.p50 / 1000, w->floor.p50 / 1000);
        printf("  %s wake-up loan/commit %s p99 < 50 us: %.1f us (floor p99 %.1f us)\n",
               verdict(w->info.p99 < 50000), g_kinds[s].label, w->info.p99 / 1000,
               w->floor.p99 / 1000);
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

    if (o.json_path) {
        json_run j = {&o, model, cr[0].clock, bare, bare_ok, cr, o.sweep ? sw : NULL, wk,
                      put_rate, put_rate_c, seen_rate, mem_rate};
        if (write_json(o.json_path, &j) != 0)
            g_failed = 1;
        else
            printf("\nwrote %s\n", o.json_path);
    }

    int leaks = check_leftovers();
    printf("\n/dev/shm after the run: %s\n", leaks ? "segments were LEFT (see stderr)" : "clean");
    return (g_failed || leaks) ? 1 : 0;
}
