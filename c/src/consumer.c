#include "cuda.h"
#include "discovery.h"
#include "metadata.h"
#include "pool.h"
#include "proc.h"
#include "status.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How often a connected consumer re-checks that its producer process lives. */
#define PRODUCER_CHECK_NS 100000000LL
/* How long a read keeps retrying while the producer overwrites its frames. */
#define READ_RETRY_NS 1000000000LL
/* Poll period of the segment while waiting for a producer to appear; an
 * announcement over DDS ends the nap sooner (it often lags the segment). */
#define CONNECT_POLL_NS 2000000LL

struct tipc_consumer {
    struct tipc_metadata md;
    pthread_mutex_t lock;
    struct tipc_pool *pool;    /* NULL while not connected */
    struct tipc_dds_sub *follow; /* NULL without control plane */
    int64_t next_check_ns;
    _Atomic uint64_t seen;     /* newest frame returned, as index + 1 */

    pthread_t cb_thread;
    int cb_running;
    _Atomic int cb_stop;
    tipc_frame_callback cb_fn;
    void *cb_user;
};

struct tipc_view {
    struct tipc_pool *pool;
    _Atomic int held;
    uint32_t count;
    size_t frame_bytes;
    tipc_frame_info *infos;
    const void **data;
};

tipc_status tipc_consumer_options_init(tipc_consumer_options *opts, unsigned int version)
{
    TIPC_CHECK_ARG(opts, "options are NULL");
    if (version != TIPC_CONSUMER_OPTIONS_VERSION)
        return tipc__fail(TIPC_E_INVALID, "consumer options version %u is unknown (expected %u)",
                          version, TIPC_CONSUMER_OPTIONS_VERSION);
    tipc_consumer_options def = TIPC_CONSUMER_OPTIONS_INIT;
    *opts = def;
    return TIPC_OK;
}

tipc_status tipc_consumer_create(tipc_consumer **out, const tipc_metadata *md,
                                 const tipc_consumer_options *opts)
{
    TIPC_CHECK_ARG(out, "out is NULL");
    *out = NULL;
    TIPC_CHECK_ARG(md, "metadata is NULL");
    if (opts && opts->version != TIPC_CONSUMER_OPTIONS_VERSION)
        return tipc__fail(TIPC_E_INVALID, "pool '%s': consumer options version %u is unknown",
                          md->name, opts->version);
    if (md->backend == TIPC_BACKEND_TORCH_CUDA) {
        tipc_status st = tipc__cuda_available(md->name, tipc__cuda_ordinal(md->device));
        if (st)
            return st;
    }
    struct tipc_consumer *c = calloc(1, sizeof *c);
    if (!c)
        return tipc__fail(TIPC_E_NOMEM, "pool '%s': out of memory", md->name);
    c->md = *md;
    if (!opts || opts->control_plane) {
        tipc_status st = tipc__dds_sub_create(&c->follow, opts ? opts->context : NULL, md);
        if (st) {
            free(c);
            return st;
        }
    }
    pthread_mutex_init(&c->lock, NULL);
    *out = c;
    return TIPC_OK;
}

static void drop_locked(struct tipc_consumer *c)
{
    tipc__pool_unref(c->pool);
    c->pool = NULL;
}

void tipc_consumer_destroy(tipc_consumer *c)
{
    if (!c)
        return;
    tipc_consumer_set_callback(c, NULL, NULL);
    if (c->pool)
        drop_locked(c);
    tipc__dds_sub_destroy(c->follow);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

const tipc_metadata *tipc_consumer_metadata(const tipc_consumer *c) { return c ? &c->md : NULL; }

/* No segment here, and the announcement of the pool failed validation with
 * @p announced (its sentence set). Only a local segment or a validated
 * announcement decides: a malformed one (anyone in the domain can send it)
 * is only mentioned, never an error; a well-formed one that disagrees with us
 * (e.g. from a producer on another host) is an error for a single try, but
 * does not end a wait (@p waiting): the right producer may still come. */
static tipc_status announcement_seen(struct tipc_consumer *c, tipc_status announced, int waiting)
{
    if (announced == TIPC_E_MISMATCH && !waiting)
        return announced;
    const char *cause = tipc_last_error();
    size_t n = strlen(c->md.name);
    if (strncmp(cause, "pool '", 6) == 0 && strncmp(cause + 6, c->md.name, n) == 0 &&
        strncmp(cause + 6 + n, "': ", 3) == 0)
        cause += 9 + n; /* the pool is named once */
    return tipc__fail(TIPC_E_NOT_CONNECTED, "pool '%s': no producer (ignored a %s announcement: %s)",
                      c->md.name, announced == TIPC_E_MISMATCH ? "mismatching" : "malformed",
                      cause);
}

/* A counted reference to the live connection, connecting if needed.
 * *dropped (optional) tells whether a dead connection was let go; @p waiting
 * says the caller waits for its producer (see announcement_seen). */
static tipc_status connection_ex(struct tipc_consumer *c, struct tipc_pool **out, int *dropped,
                                 int waiting)
{
    tipc_status st = TIPC_OK;
    pthread_mutex_lock(&c->lock);
    if (c->pool) {
        int64_t now = tipc__mono_ns();
        int gone = atomic_load(&c->pool->hdr->state) != TIPC_SEG_LIVE;
        if (!gone && now >= c->next_check_ns) {
            c->next_check_ns = now + PRODUCER_CHECK_NS;
            gone = !tipc__pool_producer_alive(c->pool);
        }
        if (gone) {
            drop_locked(c);
            if (dropped)
                *dropped = 1;
        }
    }
    if (!c->pool) {
        st = tipc__pool_open(&c->pool, &c->md);
        if (st == TIPC_OK) {
            atomic_store(&c->seen, 0); /* a new producer counts from 0 */
            c->next_check_ns = tipc__mono_ns() + PRODUCER_CHECK_NS;
        } else if (st == TIPC_E_NOT_CONNECTED && c->follow) {
            /* No segment here: an announcement that disagrees with us is
             * worth reporting. A segment on this host, when there is one,
             * always decides. */
            enum tipc_dds_peer peer;
            uint64_t incarnation = 0;
            tipc_status announced = tipc__dds_sub_poll(c->follow, &peer, &incarnation);
            if (announced != TIPC_OK)
                st = announcement_seen(c, announced, waiting);
        }
    }
    if (c->pool) {
        tipc__pool_ref(c->pool);
        *out = c->pool;
    }
    pthread_mutex_unlock(&c->lock);
    return st;
}

static tipc_status connection(struct tipc_consumer *c, struct tipc_pool **out)
{
    return connection_ex(c, out, NULL, 0);
}

tipc_status tipc_consumer_connect(tipc_consumer *c)
{
    TIPC_CHECK_ARG(c, "consumer is NULL");
    struct tipc_pool *pool = NULL;
    tipc_status st = connection(c, &pool);
    if (st == TIPC_OK)
        tipc__pool_unref(pool);
    return st;
}

int tipc_consumer_is_connected(const tipc_consumer *c)
{
    if (!c)
        return 0;
    struct tipc_consumer *m = (struct tipc_consumer *)c;
    pthread_mutex_lock(&m->lock);
    int yes = m->pool && tipc__pool_producer_alive(m->pool);
    pthread_mutex_unlock(&m->lock);
    return yes;
}

static void note_seen(struct tipc_consumer *c, uint64_t w)
{
    uint64_t cur = atomic_load(&c->seen);
    while (cur < w && !atomic_compare_exchange_weak(&c->seen, &cur, w))
        ;
}

static tipc_status check_read_args(const struct tipc_consumer *c, uint32_t count)
{
    TIPC_CHECK_ARG(c, "consumer is NULL");
    if (count < 1 || count > c->md.history_len)
        return tipc__fail(TIPC_E_INVALID, "pool '%s': cannot read %u frames from a history of %u",
                          c->md.name, count, c->md.history_len);
    return TIPC_OK;
}

/* Back off while the producer laps the reader; give up after READ_RETRY_NS. */
static tipc_status lapped(struct tipc_pool *pool, int64_t *deadline, unsigned attempt)
{
    int64_t now = tipc__mono_ns();
    if (attempt == 1)
        *deadline = now + READ_RETRY_NS;
    else if (attempt % 1024 == 0 && !tipc__pool_producer_alive(pool))
        return tipc__fail(TIPC_E_CLOSED, "pool '%s': the producer died while writing",
                          pool->name);
    else if (now >= *deadline)
        return tipc__fail(TIPC_E_BUSY,
                          "pool '%s': the producer overwrote the frames being read for %lld ms; "
                          "raise history_len", pool->name, READ_RETRY_NS / 1000000);
    if (attempt > 8)
        sched_yield();
    return TIPC_OK;
}

/* The frame @p index is gone for good, so it reads as padding instead of
 * making the reader retry: the producer is writing the next frame into its
 * slot (even if the producer dies now), or discarded a loan of that slot. Only
 * the oldest frame of a full-history read can be in this state. */
static int frame_lost(struct tipc_pool *pool, uint64_t index)
{
    uint64_t seq = atomic_load(&tipc__pool_slot(pool, index)->seq);
    return seq == 0 ||
           ((seq & TIPC_SEG_WRITING) && (seq & ~TIPC_SEG_WRITING) == index + pool->history_len + 1);
}

/* The newest frame's slot was emptied by a discarded loan (history_len 1). */
static int latest_discarded(struct tipc_pool *pool, uint64_t w)
{
    return atomic_load(&tipc__pool_slot(pool, w - 1)->seq) == 0 &&
           atomic_load(&pool->hdr->write_seq) == w;
}

static tipc_status no_data(struct tipc_pool *pool)
{
    return tipc__fail(TIPC_E_NO_DATA, "pool '%s': no frame written yet", pool->name);
}

static tipc_status read_copy(struct tipc_consumer *c, struct tipc_pool *pool, unsigned char *dst,
                             uint32_t count, unsigned int flags, tipc_frame_info *infos)
{
    const size_t fb = pool->frame_bytes;
    const int oldest_first = flags & TIPC_READ_OLDEST_FIRST;
    int64_t deadline = 0;
    uint64_t w;
    uint32_t avail;
    for (unsigned attempt = 0;; attempt++) {
        w = atomic_load(&pool->hdr->write_seq);
        if (w == 0)
            return no_data(pool);
        avail = w < count ? (uint32_t)w : count;
        int ok = 1;
        /* Oldest first: it is the frame the producer will overwrite next. */
        for (uint32_t k = avail; ok && k-- > 0;) {
            uint64_t idx = w - 1 - k;
            uint32_t pos = oldest_first ? count - 1 - k : k;
            if (!tipc__pool_hold(pool, idx)) {
                if (k > 0 && k == avail - 1 && frame_lost(pool, idx)) {
                    avail--;
                    continue;
                }
                if (k == 0 && latest_discarded(pool, w))
                    return tipc__fail(TIPC_E_NO_DATA, "pool '%s': the newest frame was discarded",
                                      pool->name);
                ok = 0;
                break;
            }
            tipc_status cst = TIPC_OK;
            if (pool->ordinal >= 0)
                cst = tipc__cuda_copy(pool->name, pool->ordinal, dst + (size_t)pos * fb,
                                      tipc__pool_frame(pool, idx), fb);
            else
                memcpy(dst + (size_t)pos * fb, tipc__pool_frame(pool, idx), fb);
            int64_t ts = atomic_load_explicit(&tipc__pool_slot(pool, idx)->timestamp_ns,
                                              memory_order_relaxed);
            tipc__pool_unhold(pool, idx);
            if (cst)
                return cst;
            if (infos)
                infos[pos] = (tipc_frame_info){idx, ts, 1, 0};
        }
        if (ok)
            break;
        tipc_status st = lapped(pool, &deadline, attempt + 1);
        if (st)
            return st;
    }
    uint32_t oldest_pos = oldest_first ? count - avail : avail - 1;
    for (uint32_t k = avail; k < count; k++) {
        uint32_t pos = oldest_first ? count - 1 - k : k;
        unsigned char *at = dst + (size_t)pos * fb;
        tipc_status pst = TIPC_OK;
        if (pool->ordinal >= 0 && (flags & TIPC_READ_PAD_FILL) && avail > 0)
            pst = tipc__cuda_copy(pool->name, pool->ordinal, at, dst + (size_t)oldest_pos * fb, fb);
        else if (pool->ordinal >= 0)
            pst = tipc__cuda_zero(pool->name, pool->ordinal, at, fb);
        else if ((flags & TIPC_READ_PAD_FILL) && avail > 0)
            memcpy(at, dst + (size_t)oldest_pos * fb, fb);
        else
            memset(at, 0, fb);
        if (pst)
            return pst;
        if (infos)
            infos[pos] = (tipc_frame_info){0, 0, 0, 0};
    }
    if (!(flags & TIPC_READ_NO_MARK))
        note_seen(c, w);
    return TIPC_OK;
}

tipc_status tipc_consumer_get(tipc_consumer *c, void *dst, size_t dst_size, uint32_t count,
                              unsigned int flags, tipc_frame_info *out_info)
{
    tipc_status st = check_read_args(c, count);
    if (st)
        return st;
    if (!dst)
        return tipc__fail(TIPC_E_INVALID, "pool '%s': get into a NULL buffer", c->md.name);
    if (dst_size != (size_t)count * c->md.frame_bytes)
        return tipc__fail(TIPC_E_INVALID,
                          "pool '%s': get of %u frames needs a %zu-byte buffer, got %zu bytes",
                          c->md.name, count, (size_t)count * c->md.frame_bytes, dst_size);
    struct tipc_pool *pool = NULL;
    st = connection(c, &pool);
    if (st)
        return st;
    st = read_copy(c, pool, dst, count, flags, out_info);
    tipc__pool_unref(pool);
    return st;
}

static void view_unhold(struct tipc_view *v)
{
    for (uint32_t i = 0; i < v->count; i++)
        if (v->infos[i].valid)
            tipc__pool_unhold(v->pool, v->infos[i].index);
}

tipc_status tipc_consumer_acquire(tipc_consumer *c, uint32_t count, unsigned int flags,
                                  tipc_view **out)
{
    TIPC_CHECK_ARG(out, "out is NULL");
    *out = NULL;
    tipc_status st = check_read_args(c, count);
    if (st)
        return st;
    struct tipc_view *v = malloc(sizeof *v + count * (sizeof *v->infos + sizeof *v->data));
    if (!v)
        return tipc__fail(TIPC_E_NOMEM, "pool '%s': out of memory", c->md.name);
    v->infos = (tipc_frame_info *)(v + 1);
    v->data = (const void **)(v->infos + count);
    v->count = count;
    v->frame_bytes = c->md.frame_bytes;
    st = connection(c, &v->pool);
    if (st) {
        free(v);
        return st;
    }
    struct tipc_pool *pool = v->pool;
    const int oldest_first = flags & TIPC_READ_OLDEST_FIRST;
    int64_t deadline = 0;
    uint64_t w;
    for (unsigned attempt = 0;; attempt++) {
        w = atomic_load(&pool->hdr->write_seq);
        if (w == 0) {
            st = no_data(pool);
            break;
        }
        int ok = 1;
        memset(v->infos, 0, count * sizeof *v->infos);
        memset(v->data, 0, count * sizeof *v->data);
        for (uint32_t k = 0; k < count && k < w && ok; k++) {
            uint32_t pos = oldest_first ? count - 1 - k : k;
            uint64_t idx = w - 1 - k;
            if (!tipc__pool_hold(pool, idx)) {
                if (k == 0 && latest_discarded(pool, w)) {
                    st = tipc__fail(TIPC_E_NO_DATA, "pool '%s': the newest frame was discarded",
                                    pool->name);
                    ok = 0;
                    break;
                }
                if (k == 0 || k != count - 1 || !frame_lost(pool, idx))
                    ok = 0;
                continue;
            }
            v->data[pos] = tipc__pool_frame(pool, idx);
            v->infos[pos] = (tipc_frame_info){
                idx,
                atomic_load_explicit(&tipc__pool_slot(pool, idx)->timestamp_ns,
                                     memory_order_relaxed),
                1, 0};
        }
        if (ok)
            break;
        view_unhold(v);
        if (st == TIPC_OK)
            st = lapped(pool, &deadline, attempt + 1);
        if (st)
            break;
    }
    if (st) {
        tipc__pool_unref(pool);
        free(v);
        return st;
    }
    if (!(flags & TIPC_READ_NO_MARK))
        note_seen(c, w);
    atomic_init(&v->held, 1);
    *out = v;
    return TIPC_OK;
}

tipc_status tipc_consumer_wait(tipc_consumer *c, int64_t timeout_ns)
{
    TIPC_CHECK_ARG(c, "consumer is NULL");
    if (timeout_ns < 0 && timeout_ns != TIPC_TIMEOUT_INFINITE)
        return tipc__fail(TIPC_E_INVALID,
                          "pool '%s': wait timeout of %lld ns is negative (use "
                          "TIPC_TIMEOUT_INFINITE to wait forever)",
                          c->md.name, (long long)timeout_ns);
    int64_t deadline = timeout_ns < 0 ? -1 : tipc__mono_ns() + timeout_ns;
    for (;;) {
        struct tipc_pool *pool = NULL;
        int dropped = 0;
        tipc_status st = connection_ex(c, &pool, &dropped, 1);
        if (st == TIPC_E_NOT_CONNECTED && dropped)
            return tipc__fail(TIPC_E_CLOSED, "pool '%s': the producer is gone", c->md.name);
        if (st == TIPC_E_NOT_CONNECTED) {
            int64_t now = tipc__mono_ns();
            if (deadline >= 0 && now >= deadline)
                return st;
            int64_t slice = CONNECT_POLL_NS;
            if (deadline >= 0 && deadline - now < slice)
                slice = deadline - now;
            if (c->follow) { /* an announcement ends the nap at once */
                tipc__dds_sub_wait(c->follow, slice);
            } else {
                struct timespec ts = {0, (long)slice};
                nanosleep(&ts, NULL);
            }
            continue;
        }
        if (st)
            return st;
        st = tipc__pool_wait(pool, atomic_load(&c->seen), deadline);
        if (st == TIPC_E_CLOSED) {
            pthread_mutex_lock(&c->lock);
            if (c->pool == pool)
                drop_locked(c);
            pthread_mutex_unlock(&c->lock);
        }
        tipc__pool_unref(pool);
        return st;
    }
}

tipc_status tipc_consumer_latest_index(tipc_consumer *c, uint64_t *out_index)
{
    TIPC_CHECK_ARG(c && out_index, "consumer or out_index is NULL");
    struct tipc_pool *pool = NULL;
    tipc_status st = connection(c, &pool);
    if (st)
        return st;
    uint64_t w = atomic_load(&pool->hdr->write_seq);
    st = w ? TIPC_OK : no_data(pool);
    if (w)
        *out_index = w - 1;
    tipc__pool_unref(pool);
    return st;
}

uint32_t tipc_view_count(const tipc_view *v) { return v ? v->count : 0; }

const void *tipc_view_data(const tipc_view *v, uint32_t i)
{
    return v && i < v->count ? v->data[i] : NULL;
}

size_t tipc_view_frame_bytes(const tipc_view *v) { return v ? v->frame_bytes : 0; }

tipc_status tipc_view_info(const tipc_view *v, uint32_t i, tipc_frame_info *out)
{
    TIPC_CHECK_ARG(v && out, "view or out is NULL");
    if (i >= v->count)
        return tipc__fail(TIPC_E_INVALID, "pool '%s': frame %u of a %u-frame view",
                          v->pool->name, i, v->count);
    *out = v->infos[i];
    return TIPC_OK;
}

void tipc_view_unhold(tipc_view *v)
{
    if (v && atomic_exchange(&v->held, 0))
        view_unhold(v);
}

void tipc_view_release(tipc_view *v)
{
    if (!v)
        return;
    tipc_view_unhold(v);
    tipc__pool_unref(v->pool);
    free(v);
}

/* The callback thread keeps its own notion of "seen", independent of what
 * get/acquire return, so user reads never hide frames from it. */
static void *callback_main(void *arg)
{
    struct tipc_consumer *c = arg;
    uint64_t seen = 0;
    struct tipc_pool *current = NULL;
    while (!atomic_load(&c->cb_stop)) {
        struct tipc_pool *pool = NULL;
        if (connection(c, &pool) != TIPC_OK) {
            struct timespec ts = {0, CONNECT_POLL_NS};
            nanosleep(&ts, NULL);
            continue;
        }
        if (pool != current) { /* a new producer counts from 0 */
            current = pool;
            seen = 0;
        }
        uint64_t w = atomic_load(&pool->hdr->write_seq);
        if (w > seen) {
            seen = w;
            c->cb_fn(c, w - 1, c->cb_user);
        } else {
            tipc__pool_wait(pool, seen, tipc__mono_ns() + PRODUCER_CHECK_NS);
        }
        tipc__pool_unref(pool);
    }
    return NULL;
}

tipc_status tipc_consumer_set_callback(tipc_consumer *c, tipc_frame_callback fn, void *user)
{
    TIPC_CHECK_ARG(c, "consumer is NULL");
    if (c->cb_running) {
        atomic_store(&c->cb_stop, 1);
        pthread_join(c->cb_thread, NULL);
        c->cb_running = 0;
    }
    if (!fn)
        return TIPC_OK;
    c->cb_fn = fn;
    c->cb_user = user;
    atomic_store(&c->cb_stop, 0);
    int err = pthread_create(&c->cb_thread, NULL, callback_main, c);
    if (err)
        return tipc__fail_errno(TIPC_E_SYSTEM, err, "pool '%s': cannot start the callback thread",
                                c->md.name);
    c->cb_running = 1;
    return TIPC_OK;
}
