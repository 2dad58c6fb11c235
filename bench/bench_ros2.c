/* ROS 2 bridge benchmark: per-frame cost of export and import beside a plain
 * Cyclone DDS dds_write / dds_take of the same ROS 2 message, and latency
 * pool -> ROS 2 subscriber and ROS 2 publisher -> pool consumer, for a 64 B
 * Float32MultiArray and 640x480 / 1920x1080 rgb8 Images.
 *
 * The ROS 2 side is this program re-executed as a peer process (--peer sub
 * or --peer pub) with plain Cyclone DDS readers and writers of the idlc
 * types; it talks to the benchmark over pipes. Each message carries its send
 * time (CLOCK_REALTIME ns) in its first 8 data bytes, so latencies are
 * measured the same way for the bridge and the baseline. Frames are paced
 * (the next goes when the previous one has arrived) and alternate between
 * the bridge and the baseline, so both see the same machine load.
 *
 *   CYCLONEDDS_URI=file://$PWD/tests/cyclonedds-loopback.xml tipc_bench_ros2 [--quick]
 */
#include "bench_util.h"
#include "sensor_msgs.h"
#include "std_msgs.h"
#include "tensor_ipc.h"

#include <dds/dds.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

struct bcase {
    const char *label;
    const char *type;
    int image;
    tipc_dtype dtype;
    size_t ndim;
    int64_t shape[3];
    int iters;
};

static const struct bcase cases[] = {
    { "64 B Float32MultiArray (16)", "std_msgs/msg/Float32MultiArray", 0, TIPC_DTYPE_FLOAT32, 1,
      { 16 }, 1000 },
    { "640x480 rgb8 Image", "sensor_msgs/msg/Image", 1, TIPC_DTYPE_UINT8, 3, { 480, 640, 3 }, 150 },
    { "1920x1080 rgb8 Image", "sensor_msgs/msg/Image", 1, TIPC_DTYPE_UINT8, 3, { 1080, 1920, 3 },
      40 },
};
#define NCASES (sizeof cases / sizeof cases[0])

static int64_t real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "tipc_bench_ros2: %s: %s\n", what, tipc_last_error());
    exit(1);
}

static int32_t ros_domain(void)
{
    const char *e = getenv("ROS_DOMAIN_ID");
    return e && *e ? atoi(e) : 0;
}

static size_t frame_bytes(const struct bcase *c)
{
    size_t n = c->dtype == TIPC_DTYPE_FLOAT32 ? 4 : 1;
    for (size_t i = 0; i < c->ndim; i++)
        n *= (size_t)c->shape[i];
    return n;
}

/* ------------------------------------------------------------------------ */
/* The plain Cyclone DDS side: the same message the bridge sends            */
/* ------------------------------------------------------------------------ */

struct msg {
    union {
        sensor_msgs_msg_dds__Image_ image;
        std_msgs_msg_dds__Float32MultiArray_ multi;
    } s;
    std_msgs_msg_dds__MultiArrayDimension_ dim;
    uint8_t *data;
};

static const dds_topic_descriptor_t *desc_of(const struct bcase *c)
{
    return c->image ? &sensor_msgs_msg_dds__Image__desc : &std_msgs_msg_dds__Float32MultiArray__desc;
}

static void msg_init(struct msg *m, const struct bcase *c)
{
    memset(m, 0, sizeof *m);
    size_t n = frame_bytes(c);
    m->data = calloc(1, n);
    if (c->image) {
        m->s.image.header.frame_id = "";
        m->s.image.height = (uint32_t)c->shape[0];
        m->s.image.width = (uint32_t)c->shape[1];
        m->s.image.encoding = "rgb8";
        m->s.image.step = (uint32_t)(c->shape[1] * 3);
        m->s.image.data._buffer = m->data;
        m->s.image.data._length = m->s.image.data._maximum = (uint32_t)n;
    } else {
        m->dim.label = "dim0";
        m->dim.size = m->dim.stride = (uint32_t)c->shape[0];
        m->s.multi.layout.dim._buffer = &m->dim;
        m->s.multi.layout.dim._length = m->s.multi.layout.dim._maximum = 1;
        m->s.multi.data._buffer = (float *)(void *)m->data;
        m->s.multi.data._length = m->s.multi.data._maximum = (uint32_t)c->shape[0];
    }
}

static void msg_stamp(struct msg *m, const struct bcase *c, int64_t t)
{
    memcpy(m->data, &t, 8);
    if (c->image) {
        m->s.image.header.stamp.sec = (int32_t)(t / 1000000000);
        m->s.image.header.stamp.nanosec = (uint32_t)(t % 1000000000);
    }
}

/* The send time in a received sample. */
static int64_t sample_stamp(const void *s, const struct bcase *c)
{
    int64_t t;
    const void *d = c->image ? (const void *)((const sensor_msgs_msg_dds__Image_ *)s)->data._buffer
                             : (const void *)((const std_msgs_msg_dds__Float32MultiArray_ *)s)->data._buffer;
    memcpy(&t, d, 8);
    return t;
}

static dds_entity_t endpoint(dds_entity_t pp, const struct bcase *c, const char *topic, int writer)
{
    char name[200];
    snprintf(name, sizeof name, "rt/%s", topic);
    dds_entity_t tp = dds_create_topic(pp, desc_of(c), name, NULL, NULL);
    dds_qos_t *q = dds_create_qos();
    dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE, DDS_MSECS(100));
    dds_qset_durability(q, DDS_DURABILITY_VOLATILE);
    dds_qset_history(q, DDS_HISTORY_KEEP_LAST, 10);
    dds_entity_t e = writer ? dds_create_writer(pp, tp, q, NULL) : dds_create_reader(pp, tp, q, NULL);
    dds_delete_qos(q);
    if (e < 0) {
        fprintf(stderr, "tipc_bench_ros2: endpoint on %s: %s\n", name, dds_strretcode(e));
        exit(1);
    }
    return e;
}

/* ------------------------------------------------------------------------ */
/* Peer process                                                             */
/* ------------------------------------------------------------------------ */

static int write_all(int fd, const void *p, size_t n)
{
    const char *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w <= 0 && errno != EINTR)
            return -1;
        if (w > 0) {
            b += w;
            n -= (size_t)w;
        }
    }
    return 0;
}

static int read_all(int fd, void *p, size_t n, int timeout_ms)
{
    char *b = p;
    while (n) {
        struct pollfd pf = { fd, POLLIN, 0 };
        if (poll(&pf, 1, timeout_ms) <= 0)
            return -1;
        ssize_t r = read(fd, b, n);
        if (r <= 0 && errno != EINTR)
            return -1;
        if (r > 0) {
            b += r;
            n -= (size_t)r;
        }
    }
    return 0;
}

/* sub: each sample's latency (8 bytes) to stdout, until stdin closes.
 * pub: "r" once matched; then one message per 'g' read from stdin. */
static int peer(const char *mode, const char *topic, int ci)
{
    const struct bcase *c = &cases[ci];
    dds_entity_t pp = dds_create_participant((dds_domainid_t)ros_domain(), NULL, NULL);
    if (!strcmp(mode, "sub")) {
        dds_entity_t rd = endpoint(pp, c, topic, 0);
        dds_entity_t ws = dds_create_waitset(pp);
        dds_waitset_attach(ws, dds_create_readcondition(rd, DDS_ANY_STATE), 0);
        write_all(1, "r", 1);
        for (;;) {
            struct pollfd pf = { 0, POLLIN, 0 };
            if (poll(&pf, 1, 0) > 0)
                break; /* EOF or anything on stdin: done */
            dds_waitset_wait(ws, NULL, 0, DDS_MSECS(20));
            void *s[8] = { NULL };
            dds_sample_info_t si[8];
            dds_return_t n = dds_take(rd, s, si, 8, 8);
            int64_t now = real_ns();
            for (dds_return_t i = 0; i < n; i++)
                if (si[i].valid_data) {
                    int64_t lat = now - sample_stamp(s[i], c);
                    write_all(1, &lat, 8);
                }
            if (n > 0)
                dds_return_loan(rd, s, n);
        }
    } else {
        dds_entity_t wr = endpoint(pp, c, topic, 1);
        dds_publication_matched_status_t st = { 0 };
        int64_t deadline = mono_ns() + 10000000000LL;
        while (dds_get_publication_matched_status(wr, &st) == 0 && !st.current_count &&
               mono_ns() < deadline)
            sleep_ns(1000000);
        write_all(1, "r", 1);
        struct msg m;
        msg_init(&m, c);
        char cmd;
        while (read(0, &cmd, 1) == 1 && cmd == 'g') {
            msg_stamp(&m, c, real_ns());
            dds_write(wr, &m.s);
        }
        free(m.data);
    }
    dds_delete(pp);
    return 0;
}

struct child {
    pid_t pid;
    int to, from;
};

static struct child spawn_peer(const char *self, const char *mode, const char *topic, int ci)
{
    int in[2], out[2];
    /* Close-on-exec: a later peer must not hold an earlier one's stdin open. */
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) {
        perror("pipe");
        exit(1);
    }
    struct child ch = { fork(), in[1], out[0] };
    if (ch.pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        char cis[8];
        snprintf(cis, sizeof cis, "%d", ci);
        execl(self, self, "--peer", mode, topic, cis, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    char r;
    if (read_all(ch.from, &r, 1, 15000) || r != 'r') {
        fprintf(stderr, "tipc_bench_ros2: the %s peer did not start\n", mode);
        exit(1);
    }
    return ch;
}

static void end_peer(struct child *ch)
{
    close(ch->to);
    close(ch->from);
    waitpid(ch->pid, NULL, 0);
}

/* ------------------------------------------------------------------------ */
/* Measurements                                                             */
/* ------------------------------------------------------------------------ */

struct series {
    int64_t *v;
    int n;
};

static int64_t pct(struct series *s, double p)
{
    qsort(s->v, (size_t)s->n, sizeof *s->v, cmp_i64);
    int i = (int)(p * (s->n - 1) + 0.5);
    return s->v[i];
}

static void wait_matched(tipc_ros2_bridge *b)
{
    tipc_ros2_stats s = { .version = TIPC_ROS2_STATS_VERSION };
    int64_t deadline = mono_ns() + 10000000000LL;
    while (tipc_ros2_bridge_stats(b, &s) == TIPC_OK && !s.matched && mono_ns() < deadline)
        sleep_ns(1000000);
    if (!s.matched) {
        fprintf(stderr, "tipc_bench_ros2: the bridge matched no peer\n");
        exit(1);
    }
}

static void put_stamped(tipc_producer *p)
{
    void *slot;
    size_t size;
    if (tipc_producer_loan(p, &slot, &size))
        die("loan");
    int64_t t = real_ns();
    memcpy(slot, &t, 8);
    if (tipc_producer_commit_at(p, t, NULL))
        die("commit");
}

static void recv_latency(struct child *ch, struct series *lat)
{
    int64_t l;
    if (read_all(ch->from, &l, 8, 10000)) {
        fprintf(stderr, "tipc_bench_ros2: a message did not arrive within 10 s\n");
        exit(1);
    }
    if (lat)
        lat->v[lat->n++] = l;
}

/* A thread driving a TIPC_ROS2_MANUAL bridge, as the library's own thread
 * does (poll with a 100 ms slice until told to stop). */
struct driver {
    tipc_ros2_bridge *b;
    atomic_int stop;
    pthread_t thread;
};

static void *drive(void *arg)
{
    struct driver *d = arg;
    while (!atomic_load(&d->stop))
        tipc_ros2_bridge_poll(d->b, 100000000, NULL);
    return NULL;
}

static void driver_start(struct driver *d, tipc_ros2_bridge *b)
{
    d->b = b;
    atomic_store(&d->stop, 0);
    pthread_create(&d->thread, NULL, drive, d);
}

static void driver_stop(struct driver *d)
{
    atomic_store(&d->stop, 1);
    pthread_join(d->thread, NULL);
}

/* Export, bridge and plain writer side by side, frames alternating:
 * out[0] bridge poll cost, out[1] dds_write cost, then, with the bridge
 * driven by a thread, out[2] and out[3] the latencies to the subscribers. */
static void bench_export(const char *self, int ci, int iters, struct series out[4])
{
    const struct bcase *c = &cases[ci];
    char pool[64], topic[96], plain_topic[96];
    snprintf(pool, sizeof pool, "bench_ros2_%d_exp%d", (int)getpid(), ci);
    snprintf(topic, sizeof topic, "bench_ros2_%d/exp%d", (int)getpid(), ci);
    snprintf(plain_topic, sizeof plain_topic, "bench_ros2_%d/plain_exp%d", (int)getpid(), ci);
    tipc_metadata *md;
    if (tipc_metadata_create(&md, pool, c->dtype, c->ndim, c->shape, TIPC_BACKEND_NUMPY, 4, NULL))
        die("metadata");
    tipc_producer *p;
    if (tipc_producer_create(&p, md, NULL))
        die("producer");
    tipc_ros2_options o = TIPC_ROS2_OPTIONS_INIT;
    o.msg_type = c->type;
    o.flags = TIPC_ROS2_MANUAL;
    tipc_ros2_bridge *b;
    if (tipc_ros2_export_create(&b, md, topic, &o))
        die("export");
    dds_entity_t pp = dds_create_participant((dds_domainid_t)ros_domain(), NULL, NULL);
    dds_entity_t wr = endpoint(pp, c, plain_topic, 1);
    struct child sa = spawn_peer(self, "sub", topic, ci);
    struct child sb = spawn_peer(self, "sub", plain_topic, ci);
    wait_matched(b);
    dds_publication_matched_status_t ms = { 0 };
    while (dds_get_publication_matched_status(wr, &ms) == 0 && !ms.current_count)
        sleep_ns(1000000);
    struct msg m;
    msg_init(&m, c);
    for (int i = 0; i < iters + 5; i++) {
        put_stamped(p);
        uint64_t n = 0;
        int64_t t0 = mono_ns();
        tipc_status st = tipc_ros2_bridge_poll(b, 1000000000, &n);
        int64_t dt = mono_ns() - t0;
        if (st || n != 1)
            die("export poll");
        recv_latency(&sa, NULL);
        msg_stamp(&m, c, real_ns());
        t0 = mono_ns();
        dds_write(wr, &m.s);
        int64_t dp = mono_ns() - t0;
        recv_latency(&sb, NULL);
        if (i >= 5) {
            out[0].v[out[0].n++] = dt;
            out[1].v[out[1].n++] = dp;
        }
    }
    struct driver d;
    driver_start(&d, b);
    for (int i = 0; i < iters + 5; i++) {
        put_stamped(p);
        recv_latency(&sa, i >= 5 ? &out[2] : NULL);
        msg_stamp(&m, c, real_ns());
        dds_write(wr, &m.s);
        recv_latency(&sb, i >= 5 ? &out[3] : NULL);
    }
    driver_stop(&d);
    free(m.data);
    end_peer(&sa);
    end_peer(&sb);
    dds_delete(pp);
    tipc_ros2_bridge_destroy(b);
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);
}

/* Take one message from the plain reader: its take cost and latency. */
static void plain_take(dds_entity_t rd, dds_entity_t ws, const struct bcase *c, int wait,
                       int64_t *cost, int64_t *lat)
{
    void *s[1] = { NULL };
    dds_sample_info_t si;
    dds_return_t n = 0;
    int64_t deadline = mono_ns() + 10000000000LL;
    while (n <= 0 && mono_ns() < deadline) {
        if (wait)
            dds_waitset_wait(ws, NULL, 0, DDS_MSECS(100));
        int64_t t0 = mono_ns();
        n = dds_take(rd, s, &si, 1, 1);
        *cost = mono_ns() - t0;
        if (n > 0) {
            *lat = real_ns() - sample_stamp(s[0], c);
            dds_return_loan(rd, s, n);
        }
    }
    if (n <= 0) {
        fprintf(stderr, "tipc_bench_ros2: plain take got nothing\n");
        exit(1);
    }
}

/* Import, bridge and plain reader side by side, messages alternating:
 * out[0] the cost of the bridge poll that writes a message into the pool,
 * out[1] dds_take's; then, with the bridge driven by a thread and a consumer
 * waiting on the pool, out[2] and out[3] the latencies from the publishers. */
static void bench_import(const char *self, int ci, int iters, struct series out[4])
{
    const struct bcase *c = &cases[ci];
    char pool[64], topic[96], plain_topic[96];
    snprintf(pool, sizeof pool, "bench_ros2_%d_imp%d", (int)getpid(), ci);
    snprintf(topic, sizeof topic, "bench_ros2_%d/imp%d", (int)getpid(), ci);
    snprintf(plain_topic, sizeof plain_topic, "bench_ros2_%d/plain_imp%d", (int)getpid(), ci);
    tipc_metadata *md;
    if (tipc_metadata_create(&md, pool, c->dtype, c->ndim, c->shape, TIPC_BACKEND_NUMPY, 4, NULL))
        die("metadata");
    tipc_ros2_options o = TIPC_ROS2_OPTIONS_INIT;
    o.msg_type = c->type;
    o.flags = TIPC_ROS2_MANUAL;
    tipc_ros2_bridge *b;
    if (tipc_ros2_import_create(&b, topic, NULL, md, &o))
        die("import");
    tipc_consumer *con;
    if (tipc_consumer_create(&con, md, NULL))
        die("consumer");
    dds_entity_t pp = dds_create_participant((dds_domainid_t)ros_domain(), NULL, NULL);
    dds_entity_t rd = endpoint(pp, c, plain_topic, 0);
    dds_entity_t ws = dds_create_waitset(pp);
    dds_waitset_attach(ws, dds_create_readcondition(rd, DDS_ANY_STATE), 0);
    struct child pa = spawn_peer(self, "pub", topic, ci);
    struct child pb = spawn_peer(self, "pub", plain_topic, ci);
    for (int i = 0; i < iters + 5; i++) {
        write_all(pa.to, "g", 1);
        uint64_t n = 0;
        int64_t dt = 0, deadline = mono_ns() + 10000000000LL;
        while (!n && mono_ns() < deadline) {
            int64_t t0 = mono_ns();
            tipc_ros2_bridge_poll(b, 0, &n);
            dt = mono_ns() - t0;
        }
        if (!n)
            die("import poll");
        write_all(pb.to, "g", 1);
        int64_t dp, lat;
        plain_take(rd, ws, c, 0, &dp, &lat);
        if (i >= 5) {
            out[0].v[out[0].n++] = dt;
            out[1].v[out[1].n++] = dp;
        }
    }
    tipc_consumer_wait(con, 0); /* mark what the cost loop wrote as seen */
    tipc_view *v;
    if (tipc_consumer_acquire(con, 1, 0, &v) == TIPC_OK)
        tipc_view_release(v);
    struct driver d;
    driver_start(&d, b);
    for (int i = 0; i < iters + 5; i++) {
        write_all(pa.to, "g", 1);
        if (tipc_consumer_wait(con, 10000000000LL))
            die("consumer wait");
        if (tipc_consumer_acquire(con, 1, 0, &v))
            die("acquire");
        int64_t t;
        memcpy(&t, tipc_view_data(v, 0), 8);
        int64_t lat = real_ns() - t;
        tipc_view_release(v);
        write_all(pb.to, "g", 1);
        int64_t dp, plat;
        plain_take(rd, ws, c, 1, &dp, &plat);
        if (i >= 5) {
            out[2].v[out[2].n++] = lat;
            out[3].v[out[3].n++] = plat;
        }
    }
    driver_stop(&d);
    end_peer(&pa);
    end_peer(&pb);
    dds_delete(pp);
    tipc_consumer_destroy(con);
    tipc_ros2_bridge_destroy(b);
    tipc_metadata_destroy(md);
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "--peer"))
        return peer(argv[2], argv[3], atoi(argv[4]));
    int quick = argc > 1 && !strcmp(argv[1], "--quick");
    signal(SIGPIPE, SIG_IGN);
    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    time_t now = time(NULL);
    char date[64];
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    printf("tipc_bench_ros2 %s: %s, %ld CPUs, ROS domain %d%s\n", date, cpu,
           sysconf(_SC_NPROCESSORS_ONLN), (int)ros_domain(), quick ? " (quick)" : "");
    printf("cost per frame: median (p99) us; latency: p50 / p99 us; ratio = bridge / plain "
           "(medians)\n\n");
    for (size_t ci = 0; ci < NCASES; ci++) {
        int iters = quick ? cases[ci].iters / 10 + 5 : cases[ci].iters;
        struct series e[4], im[4];
        for (int k = 0; k < 4; k++) {
            e[k].v = calloc((size_t)iters, sizeof(int64_t));
            im[k].v = calloc((size_t)iters, sizeof(int64_t));
            e[k].n = im[k].n = 0;
        }
        bench_export(argv[0], (int)ci, iters, e);
        bench_import(argv[0], (int)ci, iters, im);
        printf("%s, %d frames\n", cases[ci].label, iters);
        double em = (double)pct(&e[0], 0.5), pm = (double)pct(&e[1], 0.5);
        printf("  export: bridge poll %8.1f (%8.1f)   plain dds_write %8.1f (%8.1f)   ratio %.2f\n",
               em / 1e3, (double)pct(&e[0], 0.99) / 1e3, pm / 1e3,
               (double)pct(&e[1], 0.99) / 1e3, em / pm);
        double im_ = (double)pct(&im[0], 0.5), pt = (double)pct(&im[1], 0.5);
        printf("  import: bridge poll %8.1f (%8.1f)   plain dds_take  %8.1f (%8.1f)   ratio %.2f\n",
               im_ / 1e3, (double)pct(&im[0], 0.99) / 1e3, pt / 1e3,
               (double)pct(&im[1], 0.99) / 1e3, im_ / pt);
        printf("  latency pool -> ROS subscriber:   bridge %8.1f / %8.1f   plain %8.1f / %8.1f\n",
               (double)pct(&e[2], 0.5) / 1e3, (double)pct(&e[2], 0.99) / 1e3,
               (double)pct(&e[3], 0.5) / 1e3, (double)pct(&e[3], 0.99) / 1e3);
        printf("  latency ROS publisher -> pool:    bridge %8.1f / %8.1f   plain %8.1f / %8.1f\n\n",
               (double)pct(&im[2], 0.5) / 1e3, (double)pct(&im[2], 0.99) / 1e3,
               (double)pct(&im[3], 0.5) / 1e3, (double)pct(&im[3], 0.99) / 1e3);
        for (int k = 0; k < 4; k++) {
            free(e[k].v);
            free(im[k].v);
        }
    }
    char tag[48];
    snprintf(tag, sizeof tag, "bench_ros2_%d_", (int)getpid());
    return check_leftovers_tagged("tipc_bench_ros2", tag) ? 1 : 0;
}
