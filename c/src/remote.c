#include "remote.h"

#include "cdr_in.h"
#include "discovery.h"
#include "pool.h"
#include "proc.h"
#include "status.h"
#include "tensor_ipc_msgs.h"

#include <dds/dds.h>
#include <dds/ddsi/ddsi_serdata.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"
#define SHM_DIR "/dev/shm"
/* How long a mirror waits for a local reader to let go of the slot it
 * writes next; the frame is dropped after that (a remote stream never
 * waits for one slow local reader longer). */
#define MIRROR_WRITE_TIMEOUT_NS 100000000LL
/* How often the mirror thread checks the remote producer's announcement. */
#define MIRROR_CHECK_NS DDS_MSECS(20)
/* A new mirror's own subscription may take this long to receive the
 * announcement that made the consumer start it. */
#define MIRROR_GRACE_NS DDS_SECS(3)
/* Frame indexes at or beyond this are implausible (the ring keeps a flag in
 * the top bit of index + 1). */
#define INDEX_LIMIT (UINT64_C(1) << 62)

static pthread_mutex_t host_lock = PTHREAD_MUTEX_INITIALIZER;
static char host_cache[TIPC_HOST_ID_LEN + 1];
static _Atomic uint64_t rejected_count, mirrored_count, sent_count;

int tipc__host_id_valid(const char *id)
{
    for (int i = 0; i < TIPC_HOST_ID_LEN; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return 0;
    return id[TIPC_HOST_ID_LEN] == '\0';
}

/* A host is its /dev/shm: two processes share one exactly when they see the
 * same tmpfs, i.e. can map each other's segments. The identity is derived,
 * never stored: the kernel's boot id (random per boot, per machine; shared
 * by containers of one kernel) with the device and inode of /dev/shm
 * (unique per mounted tmpfs on that kernel) folded into its two halves.
 * Nothing is written, so nothing is left behind and no file can be planted. */
static tipc_status derive_host_id(char out[TIPC_HOST_ID_LEN + 1])
{
    char boot[64];
    FILE *f = fopen(BOOT_ID_PATH, "re");
    if (!f)
        return tipc__fail_errno(TIPC_E_SYSTEM, errno, "cannot read %s", BOOT_ID_PATH);
    size_t n = fread(boot, 1, sizeof boot - 1, f);
    fclose(f);
    boot[n] = '\0';
    uint8_t raw[16];
    size_t k = 0;
    for (const char *c = boot; *c && *c != '\n' && k < 32; c++) {
        int v = *c >= '0' && *c <= '9' ? *c - '0' : *c >= 'a' && *c <= 'f' ? *c - 'a' + 10 : -1;
        if (*c == '-')
            continue;
        if (v < 0)
            break;
        raw[k / 2] = (uint8_t)(k % 2 ? raw[k / 2] | v : v << 4);
        k++;
    }
    if (k != 32)
        return tipc__fail(TIPC_E_SYSTEM, "%s does not hold a boot id", BOOT_ID_PATH);
    struct stat sb;
    if (stat(SHM_DIR, &sb) != 0)
        return tipc__fail_errno(TIPC_E_SYSTEM, errno, "cannot stat %s", SHM_DIR);
    uint64_t hi = 0, lo = 0;
    for (int i = 0; i < 8; i++) {
        hi = hi << 8 | raw[i];
        lo = lo << 8 | raw[8 + i];
    }
    hi ^= (uint64_t)sb.st_dev;
    lo ^= (uint64_t)sb.st_ino;
    snprintf(out, TIPC_HOST_ID_LEN + 1, "%016llx%016llx", (unsigned long long)hi,
             (unsigned long long)lo);
    return TIPC_OK;
}

tipc_status tipc__host_id(char out[TIPC_HOST_ID_LEN + 1])
{
    pthread_mutex_lock(&host_lock);
    tipc_status st = TIPC_OK;
    if (!host_cache[0] && (st = derive_host_id(host_cache)) != TIPC_OK)
        host_cache[0] = '\0';
    if (st == TIPC_OK)
        memcpy(out, host_cache, TIPC_HOST_ID_LEN + 1);
    pthread_mutex_unlock(&host_lock);
    return st;
}

tipc_status tipc_host_id(char *buf, size_t size)
{
    TIPC_CHECK_ARG(buf, "buf is NULL");
    if (size < TIPC_HOST_ID_LEN + 1)
        return tipc__fail(TIPC_E_INVALID, "a host id needs a %d-byte buffer, got %zu",
                          TIPC_HOST_ID_LEN + 1, size);
    return tipc__host_id(buf);
}

int tipc__remote_enabled(int option)
{
    const char *e = getenv("TIPC_REMOTE");
    return option == 1 || (e && strcmp(e, "1") == 0);
}

uint64_t tipc__remote_rejected(void) { return atomic_load(&rejected_count); }
uint64_t tipc__remote_mirrored(void) { return atomic_load(&mirrored_count); }
uint64_t tipc__remote_sent(void) { return atomic_load(&sent_count); }

/* ------------------------------------------------------------------------ */
/* Producer side                                                            */
/* ------------------------------------------------------------------------ */

struct tipc_remote_tx {
    dds_entity_t topic, writer;
    _Atomic uint32_t matched;
    size_t frame_bytes;
    tensor_ipc_Frame msg;
};

static void on_frames_matched(dds_entity_t writer, const dds_publication_matched_status_t st,
                              void *arg)
{
    (void)writer;
    struct tipc_remote_tx *tx = arg;
    atomic_store(&tx->matched, st.current_count);
}

tipc_status tipc__remote_tx_create(struct tipc_remote_tx **out, tipc_context *ctx,
                                   const struct tipc_metadata *md, uint64_t incarnation)
{
    *out = NULL;
    dds_entity_t pp;
    tipc_status st = tipc__dds_participant(ctx, &pp);
    if (st)
        return st;
    struct tipc_remote_tx *tx = calloc(1, sizeof *tx);
    if (!tx)
        return tipc__fail(TIPC_E_NOMEM, "pool '%s': out of memory", md->name);
    char name[160];
    tipc__dds_topic_name(name, sizeof name, md->name, "frames");
    dds_qos_t *q = dds_create_qos();
    /* A reliable reader lagging blocks a put at most this long, then the
     * frame is not delivered to it (every-frame is bounded by history). */
    dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE, DDS_MSECS(100));
    dds_qset_history(q, DDS_HISTORY_KEEP_LAST, (int32_t)md->history_len);
    dds_listener_t *l = dds_create_listener(tx);
    dds_lset_publication_matched(l, on_frames_matched);
    dds_return_t rc = tx->topic = dds_create_topic(pp, &tensor_ipc_Frame_desc, name, NULL, NULL);
    if (rc >= 0)
        rc = tx->writer = dds_create_writer(pp, tx->topic, q, l);
    dds_delete_listener(l);
    dds_delete_qos(q);
    if (rc < 0) {
        st = tipc__fail(TIPC_E_SYSTEM, "pool '%s': DDS frame writer failed: %s", md->name,
                        dds_strretcode(rc));
        tipc__remote_tx_destroy(tx);
        return st;
    }
    tx->frame_bytes = md->frame_bytes;
    snprintf(tx->msg.pool, sizeof tx->msg.pool, "%s", md->name);
    tx->msg.incarnation = incarnation;
    *out = tx;
    return TIPC_OK;
}

void tipc__remote_tx_frame(struct tipc_remote_tx *tx, uint64_t index, int64_t timestamp_ns,
                           const void *data)
{
    if (!tx || !atomic_load_explicit(&tx->matched, memory_order_relaxed))
        return;
    tx->msg.frame_index = index;
    tx->msg.timestamp_ns = timestamp_ns;
    tx->msg.data._buffer = (uint8_t *)data;
    tx->msg.data._length = (uint32_t)tx->frame_bytes;
    tx->msg.data._maximum = (uint32_t)tx->frame_bytes;
    tx->msg.data._release = false;
    if (dds_write(tx->writer, &tx->msg) == DDS_RETCODE_OK)
        atomic_fetch_add_explicit(&sent_count, 1, memory_order_relaxed);
}

uint32_t tipc__remote_tx_matched(const struct tipc_remote_tx *tx)
{
    return tx ? atomic_load(&((struct tipc_remote_tx *)tx)->matched) : 0;
}

void tipc__remote_tx_destroy(struct tipc_remote_tx *tx)
{
    if (!tx)
        return;
    if (tx->writer > 0)
        dds_delete(tx->writer);
    if (tx->topic > 0)
        dds_delete(tx->topic);
    free(tx);
}

/* ------------------------------------------------------------------------ */
/* Consumer side: the mirror                                                */
/* ------------------------------------------------------------------------ */

/* Small frames reach the mirror in Cyclone's delivery thread (a
 * data-available listener), so a received frame wakes the local readers
 * directly, as a plain DDS reader's application would be woken: no
 * hand-over to a thread on the way. A listener must not block Cyclone's
 * delivery, though: when the slot to write is held by a local reader, the
 * listener leaves that frame (and the ones after it, in the reader's
 * history) to the mirror thread, which may wait for the slot
 * (MIRROR_WRITE_TIMEOUT_NS). Frames above INLINE_FRAME_BYTES always go to
 * the thread: their copy takes longer than a thread's wake-up, and Cyclone's
 * receive thread reassembles the next frame meanwhile. Whoever writes holds
 * take_lock; `slow` says the thread has the stream. */
#define INLINE_FRAME_BYTES (64 * 1024)
struct tipc_remote_mirror {
    struct tipc_metadata md;
    uint64_t incarnation;
    struct tipc_pool *pool; /* this process writes it */
    struct tipc_dds_sub *follow;
    dds_entity_t topic, reader, kick, waitset;
    pthread_t thread;
    _Atomic int stop, running;
    _Atomic int slow, again;
    pthread_mutex_t take_lock;
    struct ddsi_serdata *pending; /* taken, its slot was busy (under take_lock) */
    int have_last;
    uint64_t last_remote, next;
};

enum { ACCEPT_DROPPED = 0, ACCEPT_WRITTEN = 1, ACCEPT_BUSY = -1 };

static int reject(void)
{
    atomic_fetch_add(&rejected_count, 1);
    return ACCEPT_DROPPED;
}

tipc_status tipc__remote_frame_parse(struct tipc__remote_frame *f, const void *cdr, size_t size)
{
    struct cdr_in r;
    const char *pool;
    uint32_t pool_len, data_len;
    uint64_t ts;
    if (!cdr_in_open(&r, cdr, size) || !cdr_in_string(&r, &pool, &pool_len) ||
        pool_len >= sizeof f->pool || !cdr_in_u64(&r, &f->incarnation) ||
        !cdr_in_u64(&r, &f->frame_index) || !cdr_in_u64(&r, &ts) ||
        !cdr_in_seq(&r, 1, &data_len, &f->data))
        return TIPC_E_CORRUPT;
    memcpy(f->pool, pool, pool_len + 1);
    f->timestamp_ns = (int64_t)ts;
    f->data_len = data_len;
    return TIPC_OK;
}

/* One received sample, still serialised: parsed and validated in full, then
 * its payload copied once, straight into the mirror's next slot. The sender
 * is any DDS peer: nothing in it is trusted. With @p timeout_ns 0 a held
 * slot gives ACCEPT_BUSY (try again later); otherwise the frame is dropped
 * once the wait times out. */
static int mirror_accept(struct tipc_remote_mirror *m, struct ddsi_serdata *sd, int64_t timeout_ns)
{
    uint32_t size = ddsi_serdata_size(sd);
    ddsrt_iovec_t ref;
    struct ddsi_serdata *held = ddsi_serdata_to_ser_ref(sd, 0, size, &ref);
    struct tipc__remote_frame f;
    int result = ACCEPT_DROPPED;
    uint32_t slot;
    if (tipc__remote_frame_parse(&f, ref.iov_base, ref.iov_len) != TIPC_OK ||
        strcmp(f.pool, m->md.name) != 0 || f.incarnation != m->incarnation ||
        f.data_len != m->md.frame_bytes || f.frame_index >= INDEX_LIMIT ||
        (m->have_last && f.frame_index <= m->last_remote)) {
        result = reject();
    } else {
        if (!m->have_last)
            m->next = f.frame_index; /* a mirror counts from the first frame it sees */
        if (tipc__ring_begin_write(m->pool->ring, m->next, timeout_ns, &slot) != TIPC_OK) {
            result = timeout_ns == 0 ? ACCEPT_BUSY : ACCEPT_DROPPED;
        } else {
            memcpy(tipc__mem_frame(&m->pool->mem, slot), f.data, m->md.frame_bytes);
            tipc__ring_commit(m->pool->ring, m->next);
            m->next++;
            m->have_last = 1;
            m->last_remote = f.frame_index;
            atomic_fetch_add(&mirrored_count, 1);
            result = ACCEPT_WRITTEN;
        }
    }
    ddsi_serdata_to_ser_unref(held, &ref);
    return result;
}

/* Write the pending frame, then take and write what the reader holds, one
 * sample at a time, in order. Caller holds take_lock. Returns 1 when it
 * stopped at a busy slot (@p timeout_ns 0 only): that sample is pending. */
static int mirror_drain(struct tipc_remote_mirror *m, int64_t timeout_ns)
{
    if (m->pending) {
        if (mirror_accept(m, m->pending, timeout_ns) == ACCEPT_BUSY)
            return 1;
        ddsi_serdata_unref(m->pending);
        m->pending = NULL;
    }
    while (!atomic_load_explicit(&m->stop, memory_order_relaxed)) {
        struct ddsi_serdata *sd;
        dds_sample_info_t si;
        if (dds_takecdr(m->reader, &sd, 1, &si, DDS_ANY_STATE) <= 0)
            break;
        if (si.valid_data && mirror_accept(m, sd, timeout_ns) == ACCEPT_BUSY) {
            m->pending = sd;
            atomic_store(&m->slow, 1);
            return 1;
        }
        ddsi_serdata_unref(sd);
    }
    return 0;
}

/* Cyclone's delivery thread, on new frame samples: the fast path. Anything
 * it cannot finish without waiting goes to the thread (again + kick). */
static void on_frames(dds_entity_t reader, void *arg)
{
    (void)reader;
    struct tipc_remote_mirror *m = arg;
    if (m->md.frame_bytes <= INLINE_FRAME_BYTES && !atomic_load(&m->slow) &&
        pthread_mutex_trylock(&m->take_lock) == 0) {
        int busy = mirror_drain(m, 0);
        pthread_mutex_unlock(&m->take_lock);
        if (!busy)
            return;
    }
    atomic_store(&m->again, 1);
    dds_set_guardcondition(m->kick, true);
}

/* The remote producer is still the one this mirror follows. */
static int producer_still_there(struct tipc_remote_mirror *m, dds_time_t started)
{
    enum tipc_dds_peer peer;
    uint64_t inc = 0;
    tipc_status st = tipc__dds_sub_poll(m->follow, &peer, &inc);
    if (st == TIPC_OK && peer == TIPC_PEER_ALIVE)
        return inc == m->incarnation;
    if (peer == TIPC_PEER_GONE)
        return 0;
    return dds_time() - started < MIRROR_GRACE_NS;
}

/* The slow path (frames whose slot a local reader holds, and what arrived
 * meanwhile) and the producer's liveness. */
static void *mirror_main(void *arg)
{
    struct tipc_remote_mirror *m = arg;
    const dds_time_t started = dds_time();
    dds_time_t next_check = 0;
    while (!atomic_load(&m->stop)) {
        dds_waitset_wait(m->waitset, NULL, 0, MIRROR_CHECK_NS);
        bool kicked;
        dds_take_guardcondition(m->kick, &kicked);
        while (atomic_exchange(&m->again, 0) && !atomic_load(&m->stop)) {
            pthread_mutex_lock(&m->take_lock);
            mirror_drain(m, MIRROR_WRITE_TIMEOUT_NS);
            atomic_store(&m->slow, 0);
            pthread_mutex_unlock(&m->take_lock);
        }
        dds_time_t now = dds_time();
        if (now >= next_check) {
            next_check = now + MIRROR_CHECK_NS;
            if (!producer_still_there(m, started))
                break;
        }
    }
    /* No listener call is in progress after this returns, and none follows. */
    dds_set_listener(m->reader, NULL);
    /* Local readers see the producer gone, as they would for a local pool. */
    tipc__pool_close(m->pool);
    atomic_store(&m->running, 0);
    return NULL;
}

static void mirror_free(struct tipc_remote_mirror *m)
{
    dds_entity_t entities[] = {m->waitset, m->kick, m->reader, m->topic};
    for (size_t i = 0; i < sizeof entities / sizeof entities[0]; i++)
        if (entities[i] > 0)
            dds_delete(entities[i]);
    if (m->pending)
        ddsi_serdata_unref(m->pending);
    pthread_mutex_destroy(&m->take_lock);
    tipc__dds_sub_destroy(m->follow);
    tipc__pool_unref(m->pool);
    free(m);
}

tipc_status tipc__remote_mirror_start(struct tipc_remote_mirror **out, tipc_context *ctx,
                                      const struct tipc_metadata *md, uint64_t incarnation,
                                      int delivery)
{
    *out = NULL;
    if (strcmp(md->device, "cpu") != 0)
        return tipc__fail(TIPC_E_UNSUPPORTED,
                          "pool '%s': a %s pool on another host cannot be read here (only host "
                          "memory pools travel over DDS)", md->name, md->device);
    dds_entity_t pp;
    tipc_status st = tipc__dds_participant(ctx, &pp);
    if (st)
        return st;
    struct tipc_remote_mirror *m = calloc(1, sizeof *m);
    if (!m)
        return tipc__fail(TIPC_E_NOMEM, "pool '%s': out of memory", md->name);
    m->md = *md;
    m->md.creator_pid = getpid();
    m->incarnation = incarnation;
    st = tipc__pool_create(&m->pool, &m->md, 0600);
    if (st) {
        free(m);
        return st;
    }
    st = tipc__dds_sub_create(&m->follow, ctx, md);
    char name[160];
    tipc__dds_topic_name(name, sizeof name, md->name, "frames");
    dds_qos_t *q = dds_create_qos();
    if (delivery == TIPC_DELIVERY_EVERY) {
        dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE, DDS_SECS(1));
        dds_qset_history(q, DDS_HISTORY_KEEP_LAST, (int32_t)md->history_len);
    } else {
        dds_qset_reliability(q, DDS_RELIABILITY_BEST_EFFORT, 0);
        dds_qset_history(q, DDS_HISTORY_KEEP_LAST, 1);
    }
    pthread_mutex_init(&m->take_lock, NULL);
    dds_listener_t *l = dds_create_listener(m);
    dds_lset_data_available(l, on_frames);
    dds_return_t rc = 0;
    if (st == TIPC_OK)
        rc = m->topic = dds_create_topic(pp, &tensor_ipc_Frame_desc, name, NULL, NULL);
    if (st == TIPC_OK && rc >= 0)
        rc = m->kick = dds_create_guardcondition(pp);
    if (st == TIPC_OK && rc >= 0)
        rc = m->waitset = dds_create_waitset(pp);
    if (st == TIPC_OK && rc >= 0)
        rc = dds_waitset_attach(m->waitset, m->kick, 0);
    if (st == TIPC_OK && rc >= 0)
        rc = m->reader = dds_create_reader(pp, m->topic, q, l);
    dds_delete_listener(l);
    dds_delete_qos(q);
    if (st == TIPC_OK && rc < 0)
        st = tipc__fail(TIPC_E_SYSTEM, "pool '%s': DDS frame reader failed: %s", md->name,
                        dds_strretcode(rc));
    if (st == TIPC_OK) {
        atomic_init(&m->running, 1);
        int err = pthread_create(&m->thread, NULL, mirror_main, m);
        if (err)
            st = tipc__fail_errno(TIPC_E_SYSTEM, err, "pool '%s': cannot start the mirror thread",
                                  md->name);
    }
    if (st) {
        if (m->reader > 0)
            dds_set_listener(m->reader, NULL);
        tipc__pool_close(m->pool);
        mirror_free(m);
        return st;
    }
    *out = m;
    return TIPC_OK;
}

int tipc__remote_mirror_running(const struct tipc_remote_mirror *m)
{
    return m && atomic_load(&((struct tipc_remote_mirror *)m)->running);
}

void tipc__remote_mirror_stop(struct tipc_remote_mirror *m)
{
    if (!m)
        return;
    atomic_store(&m->stop, 1);
    dds_set_guardcondition(m->kick, true);
    pthread_join(m->thread, NULL);
    mirror_free(m);
}
