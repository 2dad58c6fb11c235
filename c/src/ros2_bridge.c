/* ROS 2 bridges: a pool copied to a ROS 2 topic (export) or a topic copied
 * into a pool (import), over a DDS participant of their own on the ROS
 * domain (ROS_DOMAIN_ID), separate from the control-plane participant.
 * Message layouts live in ros2_types.c; this file moves frames and bytes. */
#include "metadata.h"
#include "ros2_types.h"
#include "status.h"

#include <dds/dds.h>
#include <dds/ddsi/ddsi_serdata.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOPIC_MAX 256
#define THREAD_SLICE_NS INT64_C(100000000) /* how often a bridge thread checks for stop */
#define TAKE_BATCH 16

struct tipc_ros2_bridge {
    int is_export;
    const tipc__ros2_type *type;
    char topic[TOPIC_MAX]; /* "rt/<name>" */
    char what[TOPIC_MAX + 16]; /* "topic 'rt/<name>'", for sentences */
    dds_entity_t participant, writer, reader, waitset, guard;
    /* export */
    tipc_consumer *consumer;
    tipc__ros2_map *map;
    uint64_t next_index;
    int have_next;
    size_t msg_bytes; /* serialised size of one message: fixed for a pool */
    /* import */
    tipc_producer *producer;
    char pool_name[TIPC_NAME_MAX + 1];
    uint32_t history_len;
    _Atomic(const tipc_metadata *) md; /* export: the consumer's; import: the producer's */
    /* thread */
    int threaded;
    pthread_t thread;
    atomic_int stop;
    /* counters, read by any thread */
    pthread_mutex_t lock;
    tipc_ros2_stats stats;
};

/* ------------------------------------------------------------------------ */
/* Counters                                                                 */
/* ------------------------------------------------------------------------ */

static void count(tipc_ros2_bridge *b, uint64_t frames, uint64_t bytes, uint64_t skipped)
{
    pthread_mutex_lock(&b->lock);
    b->stats.frames += frames;
    b->stats.bytes += bytes;
    b->stats.skipped += skipped;
    pthread_mutex_unlock(&b->lock);
}

/* last_problem = @p sentence (cut to fit); b->lock held. */
static void set_problem_locked(tipc_ros2_bridge *b, const char *sentence)
{
    size_t n = strlen(sentence);
    if (n >= sizeof b->stats.last_problem)
        n = sizeof b->stats.last_problem - 1;
    memcpy(b->stats.last_problem, sentence, n);
    b->stats.last_problem[n] = '\0';
}

/* Count a rejected (shape) or malformed (decode) message with its sentence. */
static void problem(tipc_ros2_bridge *b, int malformed, const char *sentence)
{
    pthread_mutex_lock(&b->lock);
    if (malformed)
        b->stats.malformed++;
    else
        b->stats.rejected++;
    set_problem_locked(b, sentence);
    pthread_mutex_unlock(&b->lock);
}

tipc_status tipc_ros2_bridge_stats(const tipc_ros2_bridge *b, tipc_ros2_stats *out)
{
    TIPC_CHECK_ARG(b && out, "an argument is NULL");
    if (out->version != TIPC_ROS2_STATS_VERSION)
        return tipc__fail(TIPC_E_INVALID, "ROS 2 stats version %u is unknown (this library: %u)",
                          out->version, TIPC_ROS2_STATS_VERSION);
    tipc_ros2_bridge *m = (tipc_ros2_bridge *)b; /* the lock only */
    pthread_mutex_lock(&m->lock);
    *out = b->stats;
    pthread_mutex_unlock(&m->lock);
    if (b->is_export) {
        dds_publication_matched_status_t s;
        if (dds_get_publication_matched_status(b->writer, &s) == DDS_RETCODE_OK)
            out->matched = s.current_count;
    } else {
        dds_subscription_matched_status_t s;
        if (dds_get_subscription_matched_status(b->reader, &s) == DDS_RETCODE_OK)
            out->matched = s.current_count;
    }
    return TIPC_OK;
}

const char *tipc_ros2_bridge_type(const tipc_ros2_bridge *b)
{
    return b ? tipc__ros2_info(b->type)->name : NULL;
}

const tipc_metadata *tipc_ros2_bridge_metadata(const tipc_ros2_bridge *b)
{
    return b ? atomic_load(&b->md) : NULL;
}

/* ------------------------------------------------------------------------ */
/* DDS entities                                                             */
/* ------------------------------------------------------------------------ */

static tipc_status set_topic(tipc_ros2_bridge *b, const char *topic)
{
    if (!topic)
        return tipc__fail(TIPC_E_INVALID, "ROS 2 topic name is NULL");
    const char *t = topic[0] == '/' ? topic + 1 : topic;
    size_t n = strlen(t);
    int ok = n > 0 && n < TOPIC_MAX - 3 && t[n - 1] != '/' && !strstr(t, "//") &&
             !(t[0] >= '0' && t[0] <= '9');
    for (size_t i = 0; ok && i < n; i++)
        ok = (t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
             (t[i] >= '0' && t[i] <= '9') || t[i] == '_' || t[i] == '/';
    if (!ok)
        return tipc__fail(TIPC_E_INVALID,
                          "ROS 2 topic name '%s' is invalid: letters, digits, '_' and '/' "
                          "separators, not starting with a digit",
                          topic);
    snprintf(b->topic, sizeof b->topic, "rt/%s", t);
    snprintf(b->what, sizeof b->what, "topic '%s'", b->topic);
    return TIPC_OK;
}

static int32_t ros_domain(const tipc_ros2_options *o)
{
    if (o->domain_id >= 0)
        return o->domain_id;
    const char *env = getenv("ROS_DOMAIN_ID");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (!*end && v >= 0 && v <= 232)
            return (int32_t)v;
    }
    return 0;
}

static tipc_status dds_fail(tipc_ros2_bridge *b, const char *what, dds_return_t rc)
{
    return tipc__fail(TIPC_E_SYSTEM, "ROS 2 topic '%s': %s failed: %s", b->topic, what,
                      dds_strretcode(rc));
}

/* Participant on the ROS domain, the topic, and a writer or reader with
 * ROS 2's default QoS (reliable, volatile, keep-last depth). */
static tipc_status make_entities(tipc_ros2_bridge *b, const tipc_ros2_options *o)
{
    int32_t domain = ros_domain(o);
    b->participant = dds_create_participant((dds_domainid_t)domain, NULL, NULL);
    if (b->participant < 0)
        return tipc__fail(TIPC_E_SYSTEM, "ROS 2 topic '%s': no DDS participant on domain %d: %s",
                          b->topic, (int)domain, dds_strretcode(b->participant));
    dds_entity_t topic = dds_create_topic(b->participant, tipc__ros2_descriptor(b->type),
                                          b->topic, NULL, NULL);
    if (topic < 0)
        return dds_fail(b, "creating the topic", topic);
    dds_qos_t *q = dds_create_qos();
    if (!q)
        return tipc__fail(TIPC_E_NOMEM, "ROS 2 topic '%s': out of memory", b->topic);
    if (o->reliable)
        dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE, DDS_MSECS(100));
    else
        dds_qset_reliability(q, DDS_RELIABILITY_BEST_EFFORT, 0);
    dds_qset_durability(q, DDS_DURABILITY_VOLATILE);
    dds_qset_history(q, DDS_HISTORY_KEEP_LAST, (int32_t)o->qos_depth);
    tipc_status st = TIPC_OK;
    if (b->is_export) {
        b->writer = dds_create_writer(b->participant, topic, q, NULL);
        if (b->writer < 0)
            st = dds_fail(b, "creating the writer", b->writer);
    } else {
        b->reader = dds_create_reader(b->participant, topic, q, NULL);
        if (b->reader < 0)
            st = dds_fail(b, "creating the reader", b->reader);
    }
    dds_delete_qos(q);
    if (st)
        return st;
    b->waitset = dds_create_waitset(b->participant);
    b->guard = dds_create_guardcondition(b->participant);
    if (b->waitset < 0 || b->guard < 0)
        return dds_fail(b, "creating a waitset", b->waitset < 0 ? b->waitset : b->guard);
    dds_return_t rc = dds_waitset_attach(b->waitset, b->guard, 0);
    if (rc == DDS_RETCODE_OK && !b->is_export) {
        dds_entity_t rcond = dds_create_readcondition(b->reader, DDS_ANY_STATE);
        rc = rcond < 0 ? rcond : dds_waitset_attach(b->waitset, rcond, 1);
    }
    if (rc != DDS_RETCODE_OK)
        return dds_fail(b, "attaching a condition", rc);
    return TIPC_OK;
}

/* ------------------------------------------------------------------------ */
/* Export                                                                   */
/* ------------------------------------------------------------------------ */

static int readers_matched(tipc_ros2_bridge *b)
{
    dds_publication_matched_status_t s;
    return dds_get_publication_matched_status(b->writer, &s) == DDS_RETCODE_OK &&
           s.current_count > 0;
}

/* Serialise and send one held frame. 1 when sent. */
static int publish(tipc_ros2_bridge *b, const tipc_view *v)
{
    tipc_frame_info info;
    const void *data = tipc_view_data(v, 0);
    if (!data || tipc_view_info(v, 0, &info) != TIPC_OK)
        return 0;
    const void *sample;
    if (tipc__ros2_map_sample(b->map, &sample, data, info.timestamp_ns) != TIPC_OK) {
        problem(b, 0, tipc_last_error());
        return 0;
    }
    if (!b->msg_bytes)
        b->msg_bytes = tipc__ros2_map_serialized_size(b->map);
    dds_return_t rc = dds_write(b->writer, sample);
    if (rc != DDS_RETCODE_OK) {
        char s[TOPIC_MAX + 128];
        snprintf(s, sizeof s, "ROS 2 topic '%s': write failed: %.40s", b->topic,
                 dds_strretcode(rc));
        problem(b, 0, s);
        return 0;
    }
    return 1;
}

/* Publish (or, with no reader matched, skip) every frame written since the
 * last call, up to the newest, which is acquired with marking so that the
 * next wait blocks until a newer one exists. */
static tipc_status export_once(tipc_ros2_bridge *b, int64_t timeout_ns, uint64_t *moved)
{
    *moved = 0;
    tipc_status st = tipc_consumer_wait(b->consumer, timeout_ns);
    if (st == TIPC_E_CLOSED) {
        b->have_next = 0; /* a new producer starts its indices at 0 */
        return TIPC_E_TIMEOUT;
    }
    if (st == TIPC_E_NOT_CONNECTED || st == TIPC_E_TIMEOUT)
        return TIPC_E_TIMEOUT;
    if (st)
        return st;
    tipc_view *newest;
    st = tipc_consumer_acquire(b->consumer, 1, 0, &newest);
    if (st)
        return st == TIPC_E_NO_DATA || st == TIPC_E_NOT_CONNECTED || st == TIPC_E_CLOSED
                   ? TIPC_E_TIMEOUT
                   : st;
    tipc_frame_info info;
    tipc_view_info(newest, 0, &info);
    const uint64_t last = info.index;
    const uint32_t hist = tipc_metadata_history_len(tipc_consumer_metadata(b->consumer));
    if (!b->have_next || b->next_index > last) {
        b->next_index = last;
        b->have_next = 1;
    }
    uint64_t skipped = 0, sent = 0;
    if (last - b->next_index >= hist) { /* overwritten before we got to them */
        skipped += last - b->next_index - (hist - 1);
        b->next_index = last - (hist - 1);
    }
    const int matched = readers_matched(b);
    for (uint64_t i = b->next_index; i < last; i++) {
        tipc_view *v;
        if (!matched || tipc_consumer_acquire_frame(b->consumer, i, &v) != TIPC_OK) {
            skipped++;
            continue;
        }
        if (publish(b, v))
            sent++;
        else
            skipped++;
        tipc_view_release(v);
    }
    if (matched && publish(b, newest))
        sent++;
    else
        skipped++;
    tipc_view_release(newest);
    b->next_index = last + 1;
    count(b, sent, sent * b->msg_bytes, skipped);
    *moved = sent;
    return TIPC_OK;
}

/* ------------------------------------------------------------------------ */
/* Import                                                                   */
/* ------------------------------------------------------------------------ */

static tipc_status make_producer(tipc_ros2_bridge *b, const tipc_ros2_array *a)
{
    tipc_metadata *md;
    tipc_status st = tipc_metadata_create(&md, b->pool_name, a->dtype, a->ndim, a->shape,
                                          TIPC_BACKEND_NUMPY, b->history_len, NULL);
    if (st)
        return st;
    st = tipc_producer_create(&b->producer, md, NULL);
    tipc_metadata_destroy(md);
    if (st)
        return st;
    atomic_store(&b->md, tipc_producer_metadata(b->producer));
    return TIPC_OK;
}

/* Write one message into the pool: shape from the decoder, bytes straight
 * into the loaned slot. 1 when written. */
static int import_message(tipc_ros2_bridge *b, const void *cdr, size_t size)
{
    const char *what = b->what;
    tipc_ros2_array a;
    tipc_status st = tipc__ros2_decode(b->type, &a, NULL, 0, cdr, size, what);
    if (st) {
        problem(b, 1, tipc_last_error());
        return 0;
    }
    if (!b->producer && make_producer(b, &a) != TIPC_OK) {
        problem(b, 0, tipc_last_error());
        return 0;
    }
    if (tipc__ros2_fits(&a, tipc_producer_metadata(b->producer)) != TIPC_OK) {
        char s[sizeof b->what + 256];
        snprintf(s, sizeof s, "%s: %.250s", what, tipc_last_error());
        problem(b, 0, s);
        return 0;
    }
    void *slot;
    size_t slot_size;
    st = tipc_producer_loan(b->producer, &slot, &slot_size);
    if (st) {
        count(b, 0, 0, 1);
        return 0;
    }
    st = tipc__ros2_decode(b->type, &a, slot, slot_size, cdr, size, what);
    if (st) { /* cannot happen after the first pass; never publish a partial frame */
        tipc_producer_discard(b->producer);
        problem(b, 1, tipc_last_error());
        return 0;
    }
    st = a.stamp_ns ? tipc_producer_commit_at(b->producer, a.stamp_ns, NULL)
                    : tipc_producer_commit(b->producer, NULL);
    if (st)
        return 0;
    count(b, 1, size, 0);
    return 1;
}

/* Take what the reader holds; the samples stay serialised (validated and put
 * in host order by Cyclone on receipt) and are decoded once, into the pool. */
static uint64_t import_take(tipc_ros2_bridge *b)
{
    uint64_t moved = 0;
    for (;;) {
        struct ddsi_serdata *sd[TAKE_BATCH];
        dds_sample_info_t si[TAKE_BATCH];
        dds_return_t n = dds_takecdr(b->reader, sd, TAKE_BATCH, si, DDS_ANY_STATE);
        if (n <= 0)
            return moved;
        for (dds_return_t i = 0; i < n; i++) {
            if (si[i].valid_data) {
                uint32_t size = ddsi_serdata_size(sd[i]);
                ddsrt_iovec_t ref;
                struct ddsi_serdata *held = ddsi_serdata_to_ser_ref(sd[i], 0, size, &ref);
                moved += (uint64_t)import_message(b, ref.iov_base, ref.iov_len);
                ddsi_serdata_to_ser_unref(held, &ref);
            }
            ddsi_serdata_unref(sd[i]);
        }
        if (n < TAKE_BATCH)
            return moved;
    }
}

static tipc_status import_once(tipc_ros2_bridge *b, int64_t timeout_ns, uint64_t *moved)
{
    *moved = import_take(b);
    if (*moved || timeout_ns == 0)
        return *moved ? TIPC_OK : TIPC_E_TIMEOUT;
    dds_duration_t t = timeout_ns == TIPC_TIMEOUT_INFINITE ? DDS_INFINITY : timeout_ns;
    dds_waitset_wait(b->waitset, NULL, 0, t);
    *moved = import_take(b);
    return *moved ? TIPC_OK : TIPC_E_TIMEOUT;
}

/* ------------------------------------------------------------------------ */
/* Life cycle                                                               */
/* ------------------------------------------------------------------------ */

/* Keep the sentence of a failure that is not about one message (the pool
 * exists with other metadata, ...) without counting a message. */
static void note(tipc_ros2_bridge *b, const char *sentence)
{
    pthread_mutex_lock(&b->lock);
    set_problem_locked(b, sentence);
    pthread_mutex_unlock(&b->lock);
}

static void *bridge_thread(void *arg)
{
    tipc_ros2_bridge *b = arg;
    while (!atomic_load(&b->stop)) {
        uint64_t moved;
        tipc_status st = b->is_export ? export_once(b, THREAD_SLICE_NS, &moved)
                                      : import_once(b, THREAD_SLICE_NS, &moved);
        if (st && st != TIPC_E_TIMEOUT) { /* e.g. a mismatching pool: retry, not spin */
            note(b, tipc_last_error());
            struct timespec ts = { 0, THREAD_SLICE_NS };
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

tipc_status tipc_ros2_bridge_poll(tipc_ros2_bridge *b, int64_t timeout_ns, uint64_t *out_count)
{
    if (out_count)
        *out_count = 0;
    TIPC_CHECK_ARG(b, "bridge is NULL");
    if (b->threaded)
        return tipc__fail(TIPC_E_BUSY, "ROS 2 topic '%s': the bridge has its own thread (poll "
                                       "only bridges made with TIPC_ROS2_MANUAL)",
                          b->topic);
    if (timeout_ns < 0 && timeout_ns != TIPC_TIMEOUT_INFINITE)
        return tipc__fail(TIPC_E_INVALID, "ROS 2 topic '%s': poll timeout %lld ns is negative",
                          b->topic, (long long)timeout_ns);
    uint64_t moved = 0;
    tipc_status st = b->is_export ? export_once(b, timeout_ns, &moved)
                                  : import_once(b, timeout_ns, &moved);
    if (out_count)
        *out_count = moved;
    if (st == TIPC_E_TIMEOUT)
        return tipc__fail(TIPC_E_TIMEOUT, "ROS 2 topic '%s': nothing arrived in time", b->topic);
    return st;
}

void tipc_ros2_bridge_destroy(tipc_ros2_bridge *b)
{
    if (!b)
        return;
    if (b->threaded) {
        atomic_store(&b->stop, 1);
        if (b->guard > 0)
            dds_set_guardcondition(b->guard, true);
        pthread_join(b->thread, NULL);
    }
    if (b->participant > 0)
        dds_delete(b->participant);
    tipc_consumer_destroy(b->consumer);
    tipc_producer_destroy(b->producer);
    tipc__ros2_map_destroy(b->map);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

static tipc_status bridge_new(tipc_ros2_bridge **out, int is_export, const char *topic)
{
    tipc_ros2_bridge *b = calloc(1, sizeof *b);
    if (!b)
        return tipc__fail(TIPC_E_NOMEM, "out of memory for a ROS 2 bridge");
    b->is_export = is_export;
    pthread_mutex_init(&b->lock, NULL);
    b->stats.version = TIPC_ROS2_STATS_VERSION;
    tipc_status st = set_topic(b, topic);
    if (st) {
        tipc_ros2_bridge_destroy(b);
        return st;
    }
    *out = b;
    return TIPC_OK;
}

static tipc_status start(tipc_ros2_bridge *b, const tipc_ros2_options *o)
{
    if (o->flags & TIPC_ROS2_MANUAL)
        return TIPC_OK;
    int rc = pthread_create(&b->thread, NULL, bridge_thread, b);
    if (rc)
        return tipc__fail_errno(TIPC_E_SYSTEM, rc, "ROS 2 topic '%s': the bridge thread", b->topic);
    b->threaded = 1;
    return TIPC_OK;
}

/* The end of both creates: @p st is how the bridge's own part went; then its
 * DDS entities and its thread. Any failure destroys the bridge, so a failed
 * create leaves nothing behind. */
static tipc_status finish(tipc_ros2_bridge **out, tipc_ros2_bridge *b, tipc_status st,
                          const tipc_ros2_options *o)
{
    if (!st && !(st = make_entities(b, o)))
        st = start(b, o);
    if (st) {
        tipc_ros2_bridge_destroy(b);
        return st;
    }
    *out = b;
    return TIPC_OK;
}

tipc_status tipc_ros2_export_create(tipc_ros2_bridge **out, const tipc_metadata *pool,
                                    const char *topic, const tipc_ros2_options *opts)
{
    TIPC_CHECK_ARG(out, "out is NULL");
    *out = NULL;
    TIPC_CHECK_ARG(pool, "pool metadata is NULL");
    tipc_ros2_options o;
    tipc_status st = tipc__ros2_options_check(&o, opts);
    if (st)
        return st;
    tipc_ros2_bridge *b;
    if ((st = bridge_new(&b, 1, topic)))
        return st;
    if (!(st = tipc__ros2_map_create(&b->map, pool, &o))) {
        b->type = tipc__ros2_map_type(b->map);
        if (!(st = tipc_consumer_create(&b->consumer, pool, NULL)))
            atomic_store(&b->md, tipc_consumer_metadata(b->consumer));
    }
    return finish(out, b, st, &o);
}

tipc_status tipc_ros2_import_create(tipc_ros2_bridge **out, const char *topic,
                                    const char *pool_name, const tipc_metadata *pool,
                                    const tipc_ros2_options *opts)
{
    TIPC_CHECK_ARG(out, "out is NULL");
    *out = NULL;
    tipc_ros2_options o;
    tipc_status st = tipc__ros2_options_check(&o, opts);
    if (st)
        return st;
    if (!o.msg_type)
        return tipc__fail(TIPC_E_INVALID,
                          "ROS 2 import of '%s': the message type (msg_type) is required",
                          topic ? topic : "(null)");
    const tipc__ros2_type *t = tipc__ros2_lookup(o.msg_type);
    if (!t) {
        tipc_ros2_type_find(o.msg_type); /* its sentence lists the names */
        return TIPC_E_INVALID;
    }
    const char *name = pool ? tipc_metadata_name(pool) : pool_name;
    if (pool && pool_name && strcmp(pool_name, name))
        return tipc__fail(TIPC_E_INVALID, "ROS 2 import: pool_name '%s' differs from the pool's '%s'",
                          pool_name, name);
    if (!name)
        return tipc__fail(TIPC_E_INVALID, "ROS 2 import: neither a pool nor a pool name given");
    if ((st = tipc__check_name(name)))
        return st;
    if (pool) {
        const char *type, *enc;
        if ((st = tipc_ros2_infer(&type, &enc, pool, o.msg_type)))
            return st;
    }
    tipc_ros2_bridge *b;
    if ((st = bridge_new(&b, 0, topic)))
        return st;
    b->type = t;
    snprintf(b->pool_name, sizeof b->pool_name, "%s", name);
    b->history_len = o.history_len;
    if (pool && !(st = tipc_producer_create(&b->producer, pool, NULL)))
        atomic_store(&b->md, tipc_producer_metadata(b->producer));
    return finish(out, b, st, &o);
}
