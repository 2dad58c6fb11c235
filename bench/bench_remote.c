/* Remote pools across a veth pair (bench/remote/run_remote_bench.sh starts
 * one sender on host A and one receiver on host B per row), beside a plain
 * Cyclone DDS writer/reader of the same bytes with the same QoS: the frame
 * type of the library's IDL, reliable keep-last 16 writer; reader best
 * effort keep-last 1 (latest) or reliable keep-last 16 (every).
 *
 *   send KIND BYTES MODE N HZ DIR   KIND put|loan|dds; MODE latest|every; HZ 0
 *                                   sends N frames as fast as it can (the
 *                                   throughput run), else paces them (the
 *                                   latency run). Warm-up frames go until the
 *                                   receiver writes DIR/ready. put: the
 *                                   frame is copied in by tipc_producer_put;
 *                                   loan: written in place into a loaned slot
 *                                   (tipc_producer_loan/commit), as a driver
 *                                   filling its frame would; dds: the plain
 *                                   writer, whose sample is the buffer.
 *   recv KIND BYTES MODE N DIR      KIND put|loan (the same tensor-ipc
 *                                   consumer) or dds; receives until frame N-1 or 3 s of
 *                                   silence; prints one RESULT line.
 *   putcost N                       local-only put of 64 B frames with the
 *                                   control plane on (so the frame writer
 *                                   exists, unmatched) and off; prints
 *                                   "PUTCOST <ns on> <ns off>". Run it against
 *                                   another build of libtensor_ipc
 *                                   (LD_LIBRARY_PATH) for a before/after.
 * Each frame carries its sequence number and its send time
 * (CLOCK_MONOTONIC, shared by namespaces of one kernel) in its first 16
 * bytes; latency is receive time minus send time. */
#include "tensor_ipc.h"
#include "bench_util.h"
#include "tensor_ipc_msgs.h"

#include <dds/dds.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#define WARMUP UINT64_C(0x8000000000000000)
#define HIST 16

static int file_exists(const char *dir, const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat sb;
    return stat(p, &sb) == 0;
}

static void touch(const char *dir, const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    int fd = open(p, O_CREAT | O_WRONLY, 0644);
    if (fd >= 0)
        close(fd);
}

static void stamp(unsigned char *buf, uint64_t seq)
{
    int64_t t = mono_ns();
    memcpy(buf, &seq, 8);
    memcpy(buf + 8, &t, 8);
}

static tipc_metadata *bench_md(size_t bytes)
{
    char name[64];
    snprintf(name, sizeof name, "rbench_%zu", bytes);
    int64_t dim = (int64_t)bytes;
    tipc_metadata *md = NULL;
    if (tipc_metadata_create(&md, name, TIPC_DTYPE_UINT8, 1, &dim, TIPC_BACKEND_NUMPY, HIST,
                             "cpu") != TIPC_OK) {
        fprintf(stderr, "metadata: %s\n", tipc_last_error());
        exit(2);
    }
    return md;
}

static dds_entity_t dds_participant(void)
{
    const char *dom = getenv("TIPC_DOMAIN_ID");
    return dds_create_participant(dom && *dom ? (dds_domainid_t)atoi(dom) : DDS_DOMAIN_DEFAULT,
                                  NULL, NULL);
}

static dds_entity_t dds_topic(dds_entity_t pp, size_t bytes)
{
    char name[64];
    snprintf(name, sizeof name, "plainbench_%zu", bytes);
    return dds_create_topic(pp, &tensor_ipc_Frame_desc, name, NULL, NULL);
}

static int do_send(const char *kind, size_t bytes, int every, uint64_t n, double hz,
                   const char *dir)
{
    (void)every; /* the writer is the same for both: the reader chooses */
    unsigned char *buf = calloc(1, bytes < 16 ? 16 : bytes);
    tipc_producer *p = NULL;
    tipc_metadata *md = NULL;
    dds_entity_t pp = 0, w = 0;
    tensor_ipc_Frame f;
    memset(&f, 0, sizeof f);
    const int loan = !strcmp(kind, "loan");
    if (strcmp(kind, "dds") != 0) {
        md = bench_md(bytes);
        if (tipc_producer_create(&p, md, NULL) != TIPC_OK)
            return fprintf(stderr, "producer: %s\n", tipc_last_error()), 1;
    } else {
        pp = dds_participant();
        dds_qos_t *q = dds_create_qos();
        dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE, DDS_MSECS(100));
        dds_qset_history(q, DDS_HISTORY_KEEP_LAST, HIST);
        w = dds_create_writer(pp, dds_topic(pp, bytes), q, NULL);
        dds_delete_qos(q);
        snprintf(f.pool, sizeof f.pool, "plain");
        f.data._buffer = buf;
        f.data._length = f.data._maximum = (uint32_t)bytes;
    }
    /* Warm-up until the receiver is ready (it saw a frame). */
    int64_t deadline = mono_ns() + 60 * 1000000000LL;
    while (!file_exists(dir, "ready") && mono_ns() < deadline) {
        stamp(buf, WARMUP);
        if (p)
            tipc_producer_put(p, buf, bytes, NULL);
        else
            dds_write(w, &f);
        sleep_ns(20000000);
    }
    const int64_t period = hz > 0 ? (int64_t)(1e9 / hz) : 0;
    int64_t next = mono_ns();
    for (uint64_t s = 0; s < n; s++) {
        void *slot;
        size_t size;
        if (loan && tipc_producer_loan(p, &slot, &size) == TIPC_OK) {
            stamp(slot, s);
            tipc_producer_commit(p, NULL);
        } else if (p) {
            stamp(buf, s);
            tipc_producer_put(p, buf, bytes, NULL);
        } else {
            stamp(buf, s);
            dds_write(w, &f);
        }
        if (period) {
            next += period;
            int64_t now = mono_ns();
            if (next > now)
                sleep_ns(next - now);
        }
    }
    deadline = mono_ns() + 30 * 1000000000LL;
    while (!file_exists(dir, "done") && mono_ns() < deadline)
        sleep_ns(10000000);
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);
    if (pp)
        dds_delete(pp);
    free(buf);
    return 0;
}

struct rx {
    int64_t *lat;
    uint64_t got, n;
    int64_t first_ns, last_ns;
    uint64_t last_seq;
    int have;
};

/* One received frame; returns 1 when it was the last one. */
static int rx_frame(struct rx *r, const unsigned char *data, const char *dir)
{
    uint64_t seq;
    int64_t sent, now = mono_ns();
    memcpy(&seq, data, 8);
    memcpy(&sent, data + 8, 8);
    if (seq & WARMUP) {
        if (!r->have) {
            touch(dir, "ready");
            r->have = 1;
        }
        return 0;
    }
    if (seq >= r->n || (r->got && seq <= r->last_seq))
        return 0;
    if (!r->got)
        r->first_ns = now;
    r->last_ns = now;
    r->last_seq = seq;
    r->lat[r->got++] = now - sent;
    return seq == r->n - 1;
}

static int do_recv(const char *kind, size_t bytes, int every, uint64_t n, const char *dir)
{
    struct rx r = {calloc(n, sizeof(int64_t)), 0, n, 0, 0, 0, 0};
    unsigned char *buf = malloc(bytes < 16 ? 16 : bytes);
    int64_t idle_deadline = mono_ns() + 60 * 1000000000LL;
    if (strcmp(kind, "dds") != 0) {
        tipc_metadata *md = bench_md(bytes);
        tipc_consumer_options o = TIPC_CONSUMER_OPTIONS_INIT;
        o.remote = 1;
        o.delivery = every ? TIPC_DELIVERY_EVERY : TIPC_DELIVERY_LATEST;
        tipc_consumer *c;
        if (tipc_consumer_create(&c, md, &o) != TIPC_OK)
            return fprintf(stderr, "consumer: %s\n", tipc_last_error()), 1;
        uint64_t next = 0;
        int started = 0, done = 0;
        while (!done && mono_ns() < idle_deadline) {
            if (tipc_consumer_wait(c, 100000000) != TIPC_OK)
                continue;
            uint64_t latest;
            if (tipc_consumer_latest_index(c, &latest) != TIPC_OK)
                continue;
            if (!every || !started || latest - next >= HIST)
                next = latest; /* latest-only, or lapped: the newest */
            started = 1;
            /* One copy per frame, as the plain reader makes: get_frame for
             * every frame, a view of the newest for latest-only (which
             * also marks it seen for the next wait). */
            for (; every && next <= latest && !done; next++) {
                tipc_frame_info fi;
                if (tipc_consumer_get_frame(c, next, buf, bytes, &fi) != TIPC_OK)
                    continue;
                done = rx_frame(&r, buf, dir);
                idle_deadline = mono_ns() + (r.got ? 3 : 60) * 1000000000LL;
            }
            tipc_view *v = NULL;
            if (tipc_consumer_acquire(c, 1, 0, &v) == TIPC_OK && !every && tipc_view_data(v, 0)) {
                memcpy(buf, tipc_view_data(v, 0), bytes);
                done = rx_frame(&r, buf, dir);
                idle_deadline = mono_ns() + (r.got ? 3 : 60) * 1000000000LL;
            }
            tipc_view_release(v);
        }
        tipc_consumer_destroy(c);
        tipc_metadata_destroy(md);
    } else {
        dds_entity_t pp = dds_participant();
        dds_qos_t *q = dds_create_qos();
        if (every) {
            dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE, DDS_SECS(1));
            dds_qset_history(q, DDS_HISTORY_KEEP_LAST, HIST);
        } else {
            dds_qset_reliability(q, DDS_RELIABILITY_BEST_EFFORT, 0);
            dds_qset_history(q, DDS_HISTORY_KEEP_LAST, 1);
        }
        dds_entity_t rd = dds_create_reader(pp, dds_topic(pp, bytes), q, NULL);
        dds_delete_qos(q);
        dds_entity_t ws = dds_create_waitset(pp);
        dds_entity_t cond = dds_create_readcondition(rd, DDS_ANY_STATE);
        dds_waitset_attach(ws, cond, 0);
        int done = 0;
        while (!done && mono_ns() < idle_deadline) {
            dds_waitset_wait(ws, NULL, 0, DDS_MSECS(100));
            void *samples[HIST] = {NULL};
            dds_sample_info_t infos[HIST];
            int k = dds_take(rd, samples, infos, HIST, HIST);
            for (int i = 0; i < k && !done; i++) {
                const tensor_ipc_Frame *f = samples[i];
                if (!infos[i].valid_data || f->data._length != bytes)
                    continue;
                memcpy(buf, f->data._buffer, bytes); /* as a consumer's get would */
                done = rx_frame(&r, buf, dir);
                idle_deadline = mono_ns() + (r.got ? 3 : 60) * 1000000000LL;
            }
            if (k > 0)
                dds_return_loan(rd, samples, k);
        }
        dds_delete(pp);
    }
    touch(dir, "done");
    double secs = r.got > 1 ? (double)(r.last_ns - r.first_ns) / 1e9 : 0;
    double fps = secs > 0 ? (double)(r.got - 1) / secs : 0;
    qsort(r.lat, r.got, sizeof *r.lat, cmp_i64);
    printf("RESULT kind=%s bytes=%zu mode=%s sent=%llu got=%llu fps=%.1f MBps=%.2f "
           "p50_us=%.1f p99_us=%.1f\n",
           kind, bytes, every ? "every" : "latest", (unsigned long long)n,
           (unsigned long long)r.got, fps, fps * (double)bytes / 1e6,
           r.got ? (double)r.lat[r.got / 2] / 1e3 : 0,
           r.got ? (double)r.lat[(r.got * 99) / 100 < r.got ? (r.got * 99) / 100 : r.got - 1] / 1e3
                 : 0);
    free(r.lat);
    free(buf);
    return 0;
}

/* Median ns per put of @p n 64-byte frames, over 11 rounds. */
static double put_ns(int control_plane, uint64_t n)
{
    tipc_metadata *md = bench_md(64);
    tipc_producer_options o = TIPC_PRODUCER_OPTIONS_INIT;
    o.control_plane = control_plane;
    tipc_producer *p;
    if (tipc_producer_create(&p, md, &o) != TIPC_OK) {
        fprintf(stderr, "producer: %s\n", tipc_last_error());
        exit(1);
    }
    unsigned char buf[64] = {0};
    int64_t rounds[11];
    for (int r = 0; r < 11; r++) {
        int64_t t0 = mono_ns();
        for (uint64_t i = 0; i < n; i++)
            tipc_producer_put(p, buf, sizeof buf, NULL);
        rounds[r] = mono_ns() - t0;
    }
    qsort(rounds, 11, sizeof *rounds, cmp_i64);
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);
    return (double)rounds[5] / (double)n;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 8 && !strcmp(argv[1], "send"))
        return do_send(argv[2], strtoull(argv[3], NULL, 10), !strcmp(argv[4], "every"),
                       strtoull(argv[5], NULL, 10), atof(argv[6]), argv[7]);
    if (argc == 7 && !strcmp(argv[1], "recv"))
        return do_recv(argv[2], strtoull(argv[3], NULL, 10), !strcmp(argv[4], "every"),
                       strtoull(argv[5], NULL, 10), argv[6]);
    if (argc == 3 && !strcmp(argv[1], "putcost")) {
        uint64_t n = strtoull(argv[2], NULL, 10);
        double with = put_ns(1, n), without = put_ns(0, n);
        printf("PUTCOST %.1f %.1f\n", with, without);
        return 0;
    }
    fprintf(stderr, "usage: see the top of bench_remote.c\n");
    return 2;
}
