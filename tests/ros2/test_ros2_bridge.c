/* ROS 2 bridges with real separate processes: a raw Cyclone DDS reader and
 * writer of sensor_msgs/msg/Image (tipc_ros2_helper, written against the IDL
 * only), a tensor-ipc consumer in another process, and a peer publishing a
 * different layout under the Image type name (tipc_ros2_hostile). */
#include "proc_harness.h"
#include "ros2_pattern.h"
#include "tensor_ipc.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef TIPC_ROS2_HELPER
#error "TIPC_ROS2_HELPER must be defined"
#endif
#ifndef TIPC_ROS2_HOSTILE
#error "TIPC_ROS2_HOSTILE must be defined"
#endif

#define T_CMD 10000 /* ms for a helper to answer */
#define T_SEE 10000 /* ms for DDS to match or deliver */

static ph_child *spawn(const char *what, const char *exe, ...)
{
    const char *head[] = { exe };
    va_list ap;
    va_start(ap, exe);
    ph_child *c = ph_vspawn(what, head, 1, ap);
    va_end(ap);
    return c;
}

static const char *pool_named(const char *tag)
{
    char name[TIPC_NAME_MAX + 1], stem[TIPC_NAME_MAX + 8];
    snprintf(name, sizeof name, "r2b%ld_%s", (long)getpid(), tag);
    snprintf(stem, sizeof stem, "tipc.%s", name);
    const char *pool = ph_track_pool(name, stem, 1);
    PH_ASSERT(pool != NULL, "too many pools");
    return pool;
}

static void topic_named(char *buf, size_t size, const char *tag)
{
    snprintf(buf, size, "tipc_test/r2b%ld_%s", (long)getpid(), tag);
}

static tipc_ros2_stats stats_of(const tipc_ros2_bridge *b)
{
    tipc_ros2_stats s;
    memset(&s, 0, sizeof s);
    s.version = TIPC_ROS2_STATS_VERSION;
    PH_ASSERT(tipc_ros2_bridge_stats(b, &s) == TIPC_OK, "stats: %s", tipc_last_error());
    return s;
}

enum field { F_FRAMES, F_SKIPPED, F_REJECTED, F_MALFORMED, F_MATCHED };

static uint64_t field_of(const tipc_ros2_stats *s, enum field f)
{
    switch (f) {
    case F_FRAMES: return s->frames;
    case F_SKIPPED: return s->skipped;
    case F_REJECTED: return s->rejected;
    case F_MALFORMED: return s->malformed;
    case F_MATCHED: return s->matched;
    }
    return 0;
}

/* Wait until counter @p f of @p b reaches @p want; fails the test at the deadline. */
static tipc_ros2_stats wait_stat(const tipc_ros2_bridge *b, enum field f, uint64_t want,
                                 const char *what)
{
    int64_t deadline = mono_ns() + ph_scale_ms("TIPC_TEST_SCALE", T_SEE) * 1000000;
    tipc_ros2_stats s = stats_of(b);
    while (field_of(&s, f) < want && mono_ns() < deadline) {
        mono_sleep_ms(2);
        s = stats_of(b);
    }
    PH_ASSERT(field_of(&s, f) >= want,
              "%s: counter stayed at %llu, expected %llu (frames %llu skipped %llu rejected "
              "%llu malformed %llu matched %u; last problem: %s)",
              what, (unsigned long long)field_of(&s, f), (unsigned long long)want,
              (unsigned long long)s.frames, (unsigned long long)s.skipped,
              (unsigned long long)s.rejected, (unsigned long long)s.malformed, s.matched,
              s.last_problem);
    return s;
}

static char *cmd_ok(ph_child *c, char *line, size_t cap, const char *fmt, const char *a,
                    const char *b)
{
    return ph_cmd_ok(c, line, cap, T_CMD + T_SEE, fmt, a, b);
}

/* Put frame @p seed (an Image of the pattern) with stamp @p stamp. */
static void put_frame(tipc_producer *p, unsigned seed, int64_t stamp, uint64_t *hash)
{
    const tipc_metadata *md = tipc_producer_metadata(p);
    void *slot;
    size_t size;
    PH_ASSERT(tipc_producer_loan(p, &slot, &size) == TIPC_OK, "loan: %s", tipc_last_error());
    size_t rows = (size_t)tipc_metadata_dim(md, 0);
    ros2_fill(slot, rows, size / rows, seed);
    *hash = ros2_hash(slot, size);
    PH_ASSERT(tipc_producer_commit_at(p, stamp, NULL) == TIPC_OK, "commit_at: %s",
              tipc_last_error());
}

START_TEST(export_waits_for_reader)
{
    ph_begin("export_waits_for_reader");
    const char *pool = pool_named("exp");
    char topic[128], line[2048];
    topic_named(topic, sizeof topic, "exp");
    int64_t shape[] = { 4, 6, 3 };
    tipc_metadata *md;
    ck_assert_int_eq(tipc_metadata_create(&md, pool, TIPC_DTYPE_UINT8, 3, shape,
                                          TIPC_BACKEND_NUMPY, 4, NULL),
                     TIPC_OK);
    tipc_producer *p;
    PH_ASSERT(tipc_producer_create(&p, md, NULL) == TIPC_OK, "%s", tipc_last_error());
    tipc_ros2_options o = TIPC_ROS2_OPTIONS_INIT;
    o.frame_id = "camera_link";
    tipc_ros2_bridge *b;
    PH_ASSERT(tipc_ros2_export_create(&b, md, topic, &o) == TIPC_OK, "%s", tipc_last_error());
    PH_ASSERT(!strcmp(tipc_ros2_bridge_type(b), "sensor_msgs/msg/Image"), "type %s",
              tipc_ros2_bridge_type(b));

    /* No reader: frames are skipped, none sent. */
    uint64_t h;
    for (unsigned i = 0; i < 5; i++) {
        put_frame(p, i, INT64_C(1000000000) * (i + 1), &h);
        wait_stat(b, F_SKIPPED, i + 1, "frames skipped without a reader");
    }
    tipc_ros2_stats s = stats_of(b);
    PH_ASSERT(s.frames == 0 && s.matched == 0, "sent %llu frames with %u readers",
              (unsigned long long)s.frames, s.matched);

    /* A raw DDS reader joins: it gets the frames written from then on, exactly. */
    ph_child *r = spawn("reader", TIPC_ROS2_HELPER, NULL);
    cmd_ok(r, line, sizeof line, "reader %s%s", topic, "");
    wait_stat(b, F_MATCHED, 1, "the reader matched");
    ph_cmd_ok(r, line, sizeof line, T_CMD + T_SEE, "rmatched %d", T_SEE);
    ph_cmd_ok(r, line, sizeof line, T_CMD, "available");
    PH_ASSERT(!strcmp(line, "ok 0"), "the late reader saw old frames: %s", line);
    for (unsigned i = 0; i < 3; i++) {
        int64_t stamp = INT64_C(1700000000) * 1000000000 + 123456789 + i;
        put_frame(p, 100 + i, stamp, &h);
        ph_cmd_ok(r, line, sizeof line, T_CMD + T_SEE, "take %d", T_SEE);
        char want[512];
        snprintf(want, sizeof want,
                 "ok sec=1700000000 nsec=%u h=4 w=6 enc=rgb8 step=18 big=0 frame_id=camera_link "
                 "len=72 hash=%016llx",
                 123456789 + i, (unsigned long long)h);
        PH_ASSERT(!strcmp(line, want), "frame %u: got '%s', want '%s'", i, line, want);
    }
    s = wait_stat(b, F_FRAMES, 3, "frames sent");
    PH_ASSERT(s.frames == 3 && s.skipped == 5, "frames %llu skipped %llu",
              (unsigned long long)s.frames, (unsigned long long)s.skipped);
    PH_ASSERT(s.bytes == 3 * (s.bytes / 3) && s.bytes / 3 > 72, "bytes %llu",
              (unsigned long long)s.bytes);

    ph_quit(r, T_CMD);
    tipc_ros2_bridge_destroy(b);
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);
    ph_finish();
}
END_TEST

START_TEST(import_into_pool)
{
    ph_begin("import_into_pool");
    const char *pool = pool_named("imp");
    char topic[128], line[2048];
    topic_named(topic, sizeof topic, "imp");
    tipc_ros2_options o = TIPC_ROS2_OPTIONS_INIT;
    o.msg_type = "sensor_msgs/msg/Image";
    o.history_len = 4;
    tipc_ros2_bridge *b;
    PH_ASSERT(tipc_ros2_import_create(&b, topic, pool, NULL, &o) == TIPC_OK, "%s",
              tipc_last_error());
    PH_ASSERT(tipc_ros2_bridge_metadata(b) == NULL, "a pool before the first message");

    ph_child *w = spawn("writer", TIPC_ROS2_HELPER, NULL);
    cmd_ok(w, line, sizeof line, "writer %s%s", topic, "");
    wait_stat(b, F_MATCHED, 1, "the writer matched");
    ph_cmd_ok(w, line, sizeof line, T_CMD, "matched %d", T_SEE);

    /* First message: 4x6 rgb8 with 2 bytes of row padding; the pool takes its shape. */
    ph_cmd_ok(w, line, sizeof line, T_CMD, "write 4 6 rgb8 3 20 1700000000 5 7");
    wait_stat(b, F_FRAMES, 1, "the first image written");
    const tipc_metadata *md = tipc_ros2_bridge_metadata(b);
    PH_ASSERT(md && tipc_metadata_ndim(md) == 3 && tipc_metadata_dim(md, 0) == 4 &&
                  tipc_metadata_dim(md, 1) == 6 && tipc_metadata_dim(md, 2) == 3 &&
                  tipc_metadata_dtype(md) == TIPC_DTYPE_UINT8 &&
                  tipc_metadata_history_len(md) == 4,
              "pool made from the first message is wrong");

    uint8_t img[72];
    ph_child *c = spawn("consumer", TIPC_ROS2_HELPER, NULL);
    ph_cmd_ok(c, line, sizeof line, T_CMD + T_SEE, "consumer %s %d", pool, T_SEE);
    ph_cmd_ok(c, line, sizeof line, T_CMD + T_SEE, "get %d", T_SEE);
    ros2_fill(img, 4, 18, 7);
    char want[256];
    snprintf(want, sizeof want, "ok index=0 stamp=1700000000000000005 hash=%016llx bytes=72",
             (unsigned long long)ros2_hash(img, 72));
    PH_ASSERT(!strcmp(line, want), "consumer read '%s', want '%s'", line, want);

    /* Wrong shape: rejected and counted, never written. */
    ph_cmd_ok(w, line, sizeof line, T_CMD, "write 5 6 rgb8 3 18 1 0 1");
    tipc_ros2_stats s = wait_stat(b, F_REJECTED, 1, "a 5x6 image rejected");
    PH_ASSERT(strstr(s.last_problem, "(5,6,3)") && strstr(s.last_problem, "(4,6,3)"),
              "last problem: %s", s.last_problem);
    /* Malformed: data shorter than step * height. */
    ph_cmd_ok(w, line, sizeof line, T_CMD, "write 4 6 rgb8 3 18 1 0 1 50");
    s = wait_stat(b, F_MALFORMED, 1, "a short image counted malformed");
    PH_ASSERT(strstr(s.last_problem, "data holds 50 bytes"), "last problem: %s", s.last_problem);

    /* Another layout under the Image name: Cyclone's validation drops it on
     * receipt, or the bridge counts it; either way nothing reaches the pool. */
    ph_child *x = spawn("hostile", TIPC_ROS2_HOSTILE, NULL);
    cmd_ok(x, line, sizeof line, "writer %s%s", topic, "");
    ph_cmd_ok(x, line, sizeof line, T_CMD + T_SEE, "matched %d", T_SEE);
    ph_cmd_ok(x, line, sizeof line, T_CMD, "write AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    ph_cmd_ok(x, line, sizeof line, T_CMD, "write B");

    /* The bridge keeps running: the next valid message is frame 1, big-endian
     * flag irrelevant for 8-bit data, stamp exact. */
    ph_cmd_ok(w, line, sizeof line, T_CMD, "write 4 6 rgb8 3 18 1700000001 999999999 9");
    ph_cmd_ok(c, line, sizeof line, T_CMD + T_SEE, "get %d", T_SEE);
    ros2_fill(img, 4, 18, 9);
    snprintf(want, sizeof want, "ok index=1 stamp=1700000001999999999 hash=%016llx bytes=72",
             (unsigned long long)ros2_hash(img, 72));
    PH_ASSERT(!strcmp(line, want), "consumer read '%s', want '%s'", line, want);
    s = wait_stat(b, F_FRAMES, 2, "the counter of frames written"); /* counted after commit */
    PH_ASSERT(s.frames == 2 && s.rejected + s.malformed >= 2, "frames %llu rejected %llu "
              "malformed %llu", (unsigned long long)s.frames, (unsigned long long)s.rejected,
              (unsigned long long)s.malformed);
    ph_log("after the hostile peer: rejected %llu malformed %llu (%s)",
           (unsigned long long)s.rejected, (unsigned long long)s.malformed, s.last_problem);

    ph_quit(x, T_CMD);
    ph_quit(w, T_CMD);
    ph_quit(c, T_CMD);
    tipc_ros2_bridge_destroy(b);
    ph_finish();
}
END_TEST

START_TEST(manual_bridges_and_errors)
{
    ph_begin("manual_bridges_and_errors");
    const char *pool = pool_named("man");
    const char *pool2 = pool_named("man2");
    char topic[128];
    topic_named(topic, sizeof topic, "man");
    tipc_ros2_bridge *b = (tipc_ros2_bridge *)1;
    tipc_ros2_options o = TIPC_ROS2_OPTIONS_INIT;

    /* Import needs a type; bad topics and pools are refused. */
    PH_ASSERT(tipc_ros2_import_create(&b, topic, pool, NULL, &o) == TIPC_E_INVALID && !b,
              "import without a type");
    o.msg_type = "sensor_msgs/msg/Nope";
    PH_ASSERT(tipc_ros2_import_create(&b, topic, pool, NULL, &o) == TIPC_E_INVALID,
              "import of an unknown type");
    o.msg_type = "geometry_msgs/msg/Twist";
    PH_ASSERT(tipc_ros2_import_create(&b, "bad topic", pool, NULL, &o) == TIPC_E_INVALID,
              "a topic with a space");
    PH_ASSERT(tipc_ros2_import_create(&b, topic, "bad name!", NULL, &o) == TIPC_E_INVALID,
              "a bad pool name");

    /* An import into a given pool, driven by poll, fed by a manual export in
     * this process; Twist (2,3) pools on both sides. */
    int64_t shape[] = { 2, 3 };
    tipc_metadata *src, *dst;
    ck_assert_int_eq(tipc_metadata_create(&src, pool, TIPC_DTYPE_FLOAT64, 2, shape,
                                          TIPC_BACKEND_NUMPY, 2, NULL), TIPC_OK);
    ck_assert_int_eq(tipc_metadata_create(&dst, pool2, TIPC_DTYPE_FLOAT64, 2, shape,
                                          TIPC_BACKEND_NUMPY, 2, NULL), TIPC_OK);
    o.flags = TIPC_ROS2_MANUAL;
    o.msg_type = NULL;
    PH_ASSERT(tipc_ros2_export_create(&b, src, topic, &o) == TIPC_E_UNSUPPORTED && !b,
              "float64 (2,3) has no obvious type: %s", tipc_last_error());
    PH_ASSERT(strstr(tipc_last_error(), "geometry_msgs/msg/Twist"), "%s", tipc_last_error());
    o.msg_type = "geometry_msgs/msg/Twist";
    tipc_ros2_bridge *exp, *imp;
    PH_ASSERT(tipc_ros2_export_create(&exp, src, topic, &o) == TIPC_OK, "%s", tipc_last_error());
    PH_ASSERT(tipc_ros2_import_create(&imp, topic, pool, dst, &o) == TIPC_E_INVALID,
              "pool name differs from the pool");
    PH_ASSERT(tipc_ros2_import_create(&imp, topic, NULL, dst, &o) == TIPC_OK, "%s",
              tipc_last_error());
    PH_ASSERT(tipc_metadata_compare(dst, tipc_ros2_bridge_metadata(imp)) == TIPC_OK,
              "given pool: %s", tipc_last_error());
    uint64_t n = 99;
    PH_ASSERT(tipc_ros2_bridge_poll(exp, 0, &n) == TIPC_E_TIMEOUT && n == 0, "poll, no frames");
    PH_ASSERT(tipc_ros2_bridge_poll(exp, -5, &n) == TIPC_E_INVALID, "negative timeout");
    wait_stat(exp, F_MATCHED, 1, "export matched the import");

    tipc_producer *p;
    PH_ASSERT(tipc_producer_create(&p, src, NULL) == TIPC_OK, "%s", tipc_last_error());
    const double v[6] = { 1, 2, 3, -4, -5, 6.5 };
    PH_ASSERT(tipc_producer_put(p, v, sizeof v, NULL) == TIPC_OK, "%s", tipc_last_error());
    PH_ASSERT(tipc_ros2_bridge_poll(exp, 5000000000, &n) == TIPC_OK && n == 1, "export poll: %s",
              tipc_last_error());
    PH_ASSERT(tipc_ros2_bridge_poll(imp, 5000000000, &n) == TIPC_OK && n == 1, "import poll: %s",
              tipc_last_error());
    tipc_consumer *c;
    PH_ASSERT(tipc_consumer_create(&c, dst, NULL) == TIPC_OK, "%s", tipc_last_error());
    double got[6];
    tipc_frame_info info;
    int64_t before = tipc_now_ns();
    PH_ASSERT(tipc_consumer_get(c, got, sizeof got, 1, 0, &info) == TIPC_OK, "%s",
              tipc_last_error());
    PH_ASSERT(!memcmp(got, v, sizeof v), "Twist values differ");
    /* A Twist has no header: the import stamps it when written. */
    PH_ASSERT(info.timestamp_ns <= before && info.timestamp_ns > before - INT64_C(60000000000),
              "stamp %lld", (long long)info.timestamp_ns);

    /* commit_at: the stamp given is the frame's. */
    void *slot;
    PH_ASSERT(tipc_producer_loan(p, &slot, NULL) == TIPC_OK, "loan");
    memcpy(slot, v, sizeof v);
    uint64_t idx;
    PH_ASSERT(tipc_producer_commit_at(p, 42, &idx) == TIPC_OK && idx == 1, "commit_at");
    PH_ASSERT(tipc_producer_commit_at(p, 43, &idx) == TIPC_E_INVALID, "commit_at without a loan");
    tipc_consumer *sc;
    PH_ASSERT(tipc_consumer_create(&sc, src, NULL) == TIPC_OK, "consumer");
    PH_ASSERT(tipc_consumer_get(sc, got, sizeof got, 1, 0, &info) == TIPC_OK &&
                  info.timestamp_ns == 42 && info.index == 1,
              "commit_at stamp %lld", (long long)info.timestamp_ns);
    tipc_consumer_destroy(sc);

    /* A threaded bridge refuses poll; stats check their version. */
    tipc_ros2_options t = TIPC_ROS2_OPTIONS_INIT;
    t.msg_type = "geometry_msgs/Twist";
    tipc_ros2_bridge *th;
    PH_ASSERT(tipc_ros2_export_create(&th, src, topic, &t) == TIPC_OK, "%s", tipc_last_error());
    PH_ASSERT(tipc_ros2_bridge_poll(th, 0, &n) == TIPC_E_BUSY, "poll of a threaded bridge");
    tipc_ros2_stats s;
    s.version = 77;
    PH_ASSERT(tipc_ros2_bridge_stats(th, &s) == TIPC_E_INVALID, "stats version");
    tipc_ros2_bridge_destroy(th);

    /* An export of the pool's name with another shape: the bridge says why
     * in last_problem and keeps trying (the pool may be recreated). */
    int64_t six[] = { 6 };
    tipc_metadata *other;
    ck_assert_int_eq(tipc_metadata_create(&other, pool, TIPC_DTYPE_FLOAT64, 1, six,
                                          TIPC_BACKEND_NUMPY, 2, NULL), TIPC_OK);
    PH_ASSERT(tipc_ros2_export_create(&th, other, topic, &t) == TIPC_OK, "%s", tipc_last_error());
    int64_t deadline = mono_ns() + INT64_C(10000000000);
    s.version = TIPC_ROS2_STATS_VERSION;
    while (tipc_ros2_bridge_stats(th, &s) == TIPC_OK && !strstr(s.last_problem, "shape") &&
           mono_ns() < deadline)
        mono_sleep_ms(5);
    PH_ASSERT(strstr(s.last_problem, "shape") && s.frames == 0, "export of a mismatching pool: "
              "'%s'", s.last_problem);
    tipc_ros2_bridge_destroy(th);
    tipc_metadata_destroy(other);

    tipc_consumer_destroy(c);
    tipc_producer_destroy(p);
    tipc_ros2_bridge_destroy(exp);
    tipc_ros2_bridge_destroy(imp);
    tipc_ros2_bridge_destroy(NULL);
    tipc_metadata_destroy(src);
    tipc_metadata_destroy(dst);
    ph_finish();
}
END_TEST

static Suite *bridge_suite(void)
{
    Suite *s = suite_create("ros2_bridge");
    TCase *tc;
#define CASE(name, fn)                                                                        \
    tc = tcase_create(name);                                                                  \
    ph_add_case(s, tc, fn, 0)
    CASE("export_waits_for_reader", export_waits_for_reader);
    CASE("import_into_pool", import_into_pool);
    CASE("manual_bridges_and_errors", manual_bridges_and_errors);
#undef CASE
    return s;
}

int main(void) { return ph_run_suite(bridge_suite()); }
