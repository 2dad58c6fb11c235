#include "discovery.h"
#include "metadata.h"
#include "pool.h"
#include "proc.h"
#include "remote.h"
#include "segment.h"
#include "status.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How often a connected consumer re-checks that its producer process lives. */
#define PRODUCER_CHECK_NS 100000000LL
/* Poll period of the segment while waiting for a producer to appear; an
 * announcement over DDS ends the nap sooner (it often lags the segment). */
#define CONNECT_POLL_NS 2000000LL

struct tipc_consumer {
    struct tipc_metadata md;
    pthread_mutex_t lock;
    struct tipc_pool *pool;    /* NULL while not connected */
    struct tipc_dds_sub *follow; /* NULL without control plane */
    int64_t trusted_uid;       /* another owner whose segments are accepted, or -1 */
    /* Pools on another host (remote.h): allowed at all, how they arrive, and
     * the mirror this consumer keeps for its host, if it is the one. */
    int remote;
    int delivery;
    tipc_context *context;
    struct tipc_remote_mirror *mirror;
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

/* Bytes of the options struct of @p version (1 ended before
 * trusted_owner_uid, 2 before remote); 0 for an unknown version. */
static size_t options_bytes(unsigned int version)
{
    if (version == 1)
        return offsetof(tipc_consumer_options, trusted_owner_uid);
    if (version == 2)
        return offsetof(tipc_consumer_options, remote);
    return version == TIPC_CONSUMER_OPTIONS_VERSION ? sizeof(tipc_consumer_options) : 0;
}

tipc_status tipc_consumer_options_init(tipc_consumer_options *opts, unsigned int version)
{
    TIPC_CHECK_ARG(opts, "options are NULL");
    if (!options_bytes(version))
        return tipc__fail(TIPC_E_INVALID, "consumer options version %u is unknown (expected %u)",
                          version, TIPC_CONSUMER_OPTIONS_VERSION);
    tipc_consumer_options def = TIPC_CONSUMER_OPTIONS_INIT;
    def.version = version;
    memcpy(opts, &def, options_bytes(version));
    return TIPC_OK;
}

tipc_status tipc_consumer_create(tipc_consumer **out, const tipc_metadata *md,
                                 const tipc_consumer_options *opts)
{
    TIPC_CHECK_ARG(out, "out is NULL");
    *out = NULL;
    TIPC_CHECK_ARG(md, "metadata is NULL");
    tipc_consumer_options o = TIPC_CONSUMER_OPTIONS_INIT;
    if (opts) {
        if (!options_bytes(opts->version))
            return tipc__fail(TIPC_E_INVALID, "pool '%s': consumer options version %u is unknown",
                              md->name, opts->version);
        memcpy(&o, opts, options_bytes(opts->version));
        if (o.trusted_owner_uid < -1 || o.trusted_owner_uid > (int64_t)UINT32_MAX - 1)
            return tipc__fail(TIPC_E_INVALID,
                              "pool '%s': trusted_owner_uid %lld is not a uid (or -1 for none)",
                              md->name, (long long)o.trusted_owner_uid);
        if ((o.remote != 0 && o.remote != 1) ||
            (o.delivery != TIPC_DELIVERY_LATEST && o.delivery != TIPC_DELIVERY_EVERY))
            return tipc__fail(TIPC_E_INVALID,
                              "pool '%s': remote must be 0 or 1 and delivery a tipc_delivery "
                              "(got %d and %d)", md->name, o.remote, o.delivery);
    }
    tipc_status ust = tipc__mem_usable(md);
    if (ust)
        return ust;
    struct tipc_consumer *c = calloc(1, sizeof *c);
    if (!c)
        return tipc__fail(TIPC_E_NOMEM, "pool '%s': out of memory", md->name);
    c->md = *md;
    c->trusted_uid = o.trusted_owner_uid;
    c->remote = tipc__remote_enabled(o.remote) && o.control_plane;
    c->delivery = o.delivery;
    c->context = o.context;
    if (o.control_plane) {
        tipc_status st = tipc__dds_sub_create(&c->follow, o.context, md);
        if (st) {
            free(c);
            return st;
        }
    }
    pthread_mutex_init(&c->lock, NULL);
    *out = c;
    return TIPC_OK;
}

/* ---- attach by name ---- */

/* Edit distance with adjacent transpositions ("camrea" is 1 from "camera"),
 * in three rows (the library may run on small thread stacks). */
static size_t name_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    size_t rows[3][TIPC_NAME_MAX + 2];
    if (n > TIPC_NAME_MAX || m > TIPC_NAME_MAX)
        return SIZE_MAX;
    size_t *two = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= m; j++)
        prev[j] = j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t best = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                two[j - 2] + 1 < best)
                best = two[j - 2] + 1;
            cur[j] = best;
        }
        size_t *t = two;
        two = prev;
        prev = cur;
        cur = t;
    }
    return prev[m];
}

struct hint {
    const char *wanted;
    size_t best;
    char name[TIPC_NAME_MAX + 1];
};

/* Keep the closest name: at most 2 edits, and fewer than the name's length
 * (so that "a" does not suggest "b"); ties go to the first in byte order. */
static void hint_consider(const char *name, void *user)
{
    struct hint *h = user;
    size_t d = name_distance(h->wanted, name);
    size_t len = strlen(h->wanted);
    if (d == 0 || d > 2 || d >= len)
        return;
    if (d < h->best || (d == h->best && strcmp(name, h->name) < 0)) {
        h->best = d;
        snprintf(h->name, sizeof h->name, "%s", name);
    }
}

/* The pool names this process can see now (local segments, and the DDS
 * directory when @p dds), the closest to @p wanted in @p h. */
static void find_hint(struct hint *h, const char *wanted, int dds, tipc_context *ctx)
{
    h->wanted = wanted;
    h->best = SIZE_MAX;
    h->name[0] = '\0';
    tipc__segment_names(hint_consider, h);
    if (!dds)
        return;
    tipc_metadata **list = NULL;
    size_t n = 0;
    /* A fresh directory reader needs a moment to receive what the domain
     * already announced (transient-local history). */
    if (tipc_discover_pools(ctx, 100000000LL, &list, &n) == TIPC_OK)
        for (size_t i = 0; i < n; i++)
            hint_consider(list[i]->name, h);
    tipc_pool_list_free(list, n);
}

tipc_status tipc_consumer_open(tipc_consumer **out, const char *pool, int64_t wait_ns,
                               const tipc_consumer_options *opts)
{
    TIPC_CHECK_ARG(out, "out is NULL");
    *out = NULL;
    TIPC_CHECK_ARG(pool, "pool name is NULL");
    tipc_status st = tipc__check_name(pool);
    if (st)
        return st;
    if (wait_ns < 0 && wait_ns != TIPC_TIMEOUT_INFINITE)
        return tipc__fail(TIPC_E_INVALID,
                          "pool '%s': wait of %lld ns is negative (only TIPC_TIMEOUT_INFINITE, "
                          "-1, means forever)", pool, (long long)wait_ns);
    tipc_consumer_options o = TIPC_CONSUMER_OPTIONS_INIT;
    if (opts) {
        if (!options_bytes(opts->version))
            return tipc__fail(TIPC_E_INVALID, "pool '%s': consumer options version %u is unknown",
                              pool, opts->version);
        memcpy(&o, opts, options_bytes(opts->version));
        if (o.trusted_owner_uid < -1 || o.trusted_owner_uid > (int64_t)UINT32_MAX - 1)
            return tipc__fail(TIPC_E_INVALID,
                              "pool '%s': trusted_owner_uid %lld is not a uid (or -1 for none)",
                              pool, (long long)o.trusted_owner_uid);
    }
    const int64_t start = tipc__mono_ns();
    const int64_t deadline = wait_ns < 0 ? INT64_MAX : start + wait_ns;
    struct tipc_metadata md;
    tipc_status local = TIPC_E_NOT_CONNECTED, announced = TIPC_E_NOT_CONNECTED;
    char why[512] = "";
    for (;;) {
        /* A live segment here is the producer's own word; the announcement
         * serves when there is none (yet) or it is not ours to read. */
        local = tipc__segment_peek(pool, o.trusted_owner_uid, &md);
        if (local == TIPC_OK)
            break;
        if (local != TIPC_E_NOT_CONNECTED)
            snprintf(why, sizeof why, "%s", tipc_last_error());
        int64_t now = tipc__mono_ns();
        int64_t left = deadline - now > 0 ? deadline - now : 0;
        int64_t slice = left < 100000000LL ? left : 100000000LL;
        if (o.control_plane) {
            tipc_metadata *found = NULL;
            announced = tipc_discover_pool(o.context, pool, slice, &found);
            if (announced == TIPC_OK) {
                md = *found;
                tipc_metadata_destroy(found);
                break;
            }
            if (announced == TIPC_E_CORRUPT)
                snprintf(why, sizeof why, "%s", tipc_last_error());
            else if (announced != TIPC_E_NOT_CONNECTED)
                return announced; /* the control plane itself failed */
        } else if (slice > 0) {
            struct timespec ts = {0, (long)(slice < 10000000LL ? slice : 10000000LL)};
            nanosleep(&ts, NULL);
        }
        if (tipc__mono_ns() >= deadline)
            break;
    }
    if (local == TIPC_OK || announced == TIPC_OK)
        return tipc_consumer_create(out, &md, opts);
    if (local != TIPC_E_NOT_CONNECTED && local != TIPC_E_TIMEOUT)
        return tipc__fail(local, "%s", why);
    if (announced == TIPC_E_CORRUPT)
        return tipc__fail(announced, "%s", why);
    struct hint h;
    find_hint(&h, pool, o.control_plane, o.context);
    double waited = (double)(tipc__mono_ns() - start) / 1e9;
    if (h.name[0])
        return tipc__fail(TIPC_E_NOT_CONNECTED,
                          "no producer of '%s' (waited %.2f s); did you mean '%s'?", pool, waited,
                          h.name);
    return tipc__fail(TIPC_E_NOT_CONNECTED, "no producer of '%s' (waited %.2f s)", pool, waited);
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
    tipc__remote_mirror_stop(c->mirror);
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
    if (announced == TIPC_E_UNSUPPORTED)
        return tipc__fail(TIPC_E_NOT_CONNECTED, "pool '%s': no producer (%s)", c->md.name, cause);
    return tipc__fail(TIPC_E_NOT_CONNECTED, "pool '%s': no producer (ignored a %s announcement: %s)",
                      c->md.name, announced == TIPC_E_MISMATCH ? "mismatching" : "malformed",
                      cause);
}

/* No segment here (its sentence is set), and a validated announcement of
 * the pool: when it comes from another host (another /dev/shm) and remote
 * reading is on, become the owner of this host's mirror of it (or find that
 * another consumer already is) and map the mirror like any pool. Called
 * with c->lock held. */
static tipc_status remote_connect(struct tipc_consumer *c, uint64_t incarnation)
{
    const char *host = tipc__dds_sub_host(c->follow);
    char here[TIPC_HOST_ID_LEN + 1];
    if (!host[0] || tipc__host_id(here) != TIPC_OK || strcmp(host, here) == 0)
        return TIPC_E_NOT_CONNECTED; /* segment_open's sentence stands */
    if (!c->remote)
        return tipc__fail(TIPC_E_NOT_CONNECTED,
                          "pool '%s': no producer on this host; it is announced by host %s; "
                          "reading pools of other hosts is off (set TIPC_REMOTE=1 or the "
                          "consumer option remote)", c->md.name, host);
    if (c->mirror && !tipc__remote_mirror_running(c->mirror)) {
        tipc__remote_mirror_stop(c->mirror);
        c->mirror = NULL;
    }
    if (!c->mirror) {
        tipc_status st = tipc__remote_mirror_start(&c->mirror, c->context, &c->md, incarnation,
                                                   c->delivery);
        if (st && st != TIPC_E_EXISTS)
            return st;
    }
    tipc_status st = tipc__pool_open(&c->pool, &c->md, c->trusted_uid);
    if (st == TIPC_OK) {
        atomic_store(&c->seen, 0);
        c->next_check_ns = tipc__mono_ns() + PRODUCER_CHECK_NS;
    }
    return st;
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
        int gone = tipc__ring_closed(c->pool->ring);
        if (!gone && now >= c->next_check_ns) {
            c->next_check_ns = now + PRODUCER_CHECK_NS;
            gone = !tipc__ring_live(c->pool->ring);
        }
        if (gone) {
            drop_locked(c);
            if (dropped)
                *dropped = 1;
        }
    }
    if (!c->pool) {
        st = tipc__pool_open(&c->pool, &c->md, c->trusted_uid);
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
            else if (peer == TIPC_PEER_ALIVE)
                st = remote_connect(c, incarnation);
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
    int yes = m->pool && tipc__ring_live(m->pool->ring);
    pthread_mutex_unlock(&m->lock);
    return yes;
}

tipc_status tipc_consumer_readers(tipc_consumer *c, int64_t *pids, size_t cap, size_t *out_count)
{
    TIPC_CHECK_ARG(c && out_count, "consumer or out_count is NULL");
    TIPC_CHECK_ARG(pids || cap == 0, "pids is NULL with a capacity above 0");
    *out_count = 0;
    struct tipc_pool *pool = NULL;
    tipc_status st = connection(c, &pool);
    if (st)
        return st;
    *out_count = tipc__ring_reader_pids(pool->ring, pids, cap);
    tipc__pool_unref(pool);
    return TIPC_OK;
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

/* Copying reads: each frame is copied while held, then let go. */
struct copy_ctx {
    struct tipc_pool *pool;
    unsigned char *dst;
    tipc_frame_info *infos;
};

static tipc_status copy_frame(void *arg, const struct tipc_ring_frame *f)
{
    struct copy_ctx *x = arg;
    struct tipc_pool *pool = x->pool;
    tipc_status st = tipc__mem_copy(&pool->mem, pool->name, x->dst + (size_t)f->pos * pool->frame_bytes,
                                    tipc__mem_frame(&pool->mem, f->slot), pool->frame_bytes);
    if (x->infos)
        x->infos[f->pos] = (tipc_frame_info){f->index, f->timestamp_ns, 1, 0};
    return st;
}

static tipc_status read_copy(struct tipc_consumer *c, struct tipc_pool *pool, unsigned char *dst,
                             uint32_t count, unsigned int flags, tipc_frame_info *infos)
{
    const size_t fb = pool->frame_bytes;
    const int oldest_first = (flags & TIPC_READ_OLDEST_FIRST) != 0;
    struct copy_ctx x = {pool, dst, infos};
    uint64_t w;
    uint32_t avail;
    tipc_status st = tipc__ring_read(pool->ring, count, oldest_first, 0, copy_frame, &x, &w, &avail);
    if (st)
        return st;
    /* Missing history: zeros, or the oldest frame read. */
    uint32_t oldest_pos = oldest_first ? count - avail : avail - 1;
    for (uint32_t k = avail; k < count && st == TIPC_OK; k++) {
        uint32_t pos = oldest_first ? count - 1 - k : k;
        unsigned char *at = dst + (size_t)pos * fb;
        if ((flags & TIPC_READ_PAD_FILL) && avail > 0)
            st = tipc__mem_copy(&pool->mem, pool->name, at, dst + (size_t)oldest_pos * fb, fb);
        else
            st = tipc__mem_zero(&pool->mem, pool->name, at, fb);
        if (infos)
            infos[pos] = (tipc_frame_info){0, 0, 0, 0};
    }
    if (st == TIPC_OK && !(flags & TIPC_READ_NO_MARK))
        note_seen(c, w);
    return st;
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

tipc_status tipc_consumer_get_frame(tipc_consumer *c, uint64_t index, void *dst,
                                    size_t dst_size, tipc_frame_info *out_info)
{
    TIPC_CHECK_ARG(c, "consumer is NULL");
    if (!dst || dst_size != c->md.frame_bytes)
        return tipc__fail(TIPC_E_INVALID,
                          "pool '%s': get_frame needs a %zu-byte buffer, got %zu bytes%s",
                          c->md.name, c->md.frame_bytes, dst_size, dst ? "" : " (NULL)");
    struct tipc_pool *pool = NULL;
    tipc_status st = connection(c, &pool);
    if (st)
        return st;
    struct copy_ctx x = {pool, dst, out_info};
    st = tipc__ring_read_one(pool->ring, index, 0, copy_frame, &x);
    tipc__pool_unref(pool);
    return st;
}

static void view_unhold(struct tipc_view *v)
{
    for (uint32_t i = 0; i < v->count; i++)
        if (v->infos[i].valid)
            tipc__ring_unhold(v->pool->ring, v->infos[i].index);
}

/* Zero-copy reads: the holds stay with the view. */
static tipc_status keep_frame(void *arg, const struct tipc_ring_frame *f)
{
    struct tipc_view *v = arg;
    v->data[f->pos] = tipc__mem_frame(&v->pool->mem, f->slot);
    v->infos[f->pos] = (tipc_frame_info){f->index, f->timestamp_ns, 1, 0};
    return TIPC_OK;
}

/* A view of @p count frames on the consumer's connection (connecting if
 * needed), nothing held yet. */
static tipc_status view_open(struct tipc_consumer *c, uint32_t count, struct tipc_view **out)
{
    struct tipc_view *v = calloc(1, sizeof *v + count * (sizeof *v->infos + sizeof *v->data));
    if (!v)
        return tipc__fail(TIPC_E_NOMEM, "pool '%s': out of memory", c->md.name);
    v->infos = (tipc_frame_info *)(v + 1);
    v->data = (const void **)(v->infos + count);
    v->count = count;
    v->frame_bytes = c->md.frame_bytes;
    tipc_status st = connection(c, &v->pool);
    if (st) {
        free(v);
        return st;
    }
    *out = v;
    return TIPC_OK;
}

/* Give up a view whose read failed (it holds nothing). */
static tipc_status view_abandon(struct tipc_view *v, tipc_status st)
{
    tipc__pool_unref(v->pool);
    free(v);
    return st;
}

tipc_status tipc_consumer_acquire(tipc_consumer *c, uint32_t count, unsigned int flags,
                                  tipc_view **out)
{
    TIPC_CHECK_ARG(out, "out is NULL");
    *out = NULL;
    tipc_status st = check_read_args(c, count);
    if (st)
        return st;
    struct tipc_view *v;
    if ((st = view_open(c, count, &v)))
        return st;
    uint64_t w;
    uint32_t avail;
    st = tipc__ring_read(v->pool->ring, count, (flags & TIPC_READ_OLDEST_FIRST) != 0, 1,
                         keep_frame, v, &w, &avail);
    if (st)
        return view_abandon(v, st);
    /* A retried read may leave entries of an earlier attempt: positions not
     * visited by the successful one are padding. */
    const int oldest_first = (flags & TIPC_READ_OLDEST_FIRST) != 0;
    for (uint32_t k = avail; k < count; k++) {
        uint32_t pos = oldest_first ? count - 1 - k : k;
        v->data[pos] = NULL;
        v->infos[pos] = (tipc_frame_info){0, 0, 0, 0};
    }
    if (!(flags & TIPC_READ_NO_MARK))
        note_seen(c, w);
    atomic_init(&v->held, 1);
    *out = v;
    return TIPC_OK;
}

tipc_status tipc_consumer_acquire_frame(tipc_consumer *c, uint64_t index, tipc_view **out)
{
    TIPC_CHECK_ARG(out, "out is NULL");
    *out = NULL;
    TIPC_CHECK_ARG(c, "consumer is NULL");
    struct tipc_view *v;
    tipc_status st = view_open(c, 1, &v);
    if (st)
        return st;
    if ((st = tipc__ring_read_one(v->pool->ring, index, 1, keep_frame, v)))
        return view_abandon(v, st);
    atomic_init(&v->held, 1);
    *out = v;
    return TIPC_OK;
}

tipc_status tipc_consumer_wait(tipc_consumer *c, int64_t timeout_ns)
{
    TIPC_CHECK_ARG(c, "consumer is NULL");
    if (timeout_ns < 0 && timeout_ns != TIPC_TIMEOUT_INFINITE)
        return tipc__fail(TIPC_E_INVALID,
                          "pool '%s': wait timeout of %lld ns is negative (only "
                          "TIPC_TIMEOUT_INFINITE, -1, means forever)",
                          c->md.name, (long long)timeout_ns);
    int64_t deadline = tipc__deadline_after(timeout_ns);
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
        st = tipc__ring_wait(pool->ring, atomic_load(&c->seen), deadline);
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
    uint64_t w = tipc__ring_written(pool->ring);
    st = w ? TIPC_OK : tipc__fail(TIPC_E_NO_DATA, "pool '%s': no frame written yet", pool->name);
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
 * get/acquire return, so user reads never hide frames from it. It calls once
 * per frame, in order; frames overwritten before their turn are skipped. */
static void *callback_main(void *arg)
{
    struct tipc_consumer *c = arg;
    uint64_t seen = 0, incarnation = 0;
    while (!atomic_load(&c->cb_stop)) {
        struct tipc_pool *pool = NULL;
        if (connection(c, &pool) != TIPC_OK) {
            struct timespec ts = {0, CONNECT_POLL_NS};
            nanosleep(&ts, NULL);
            continue;
        }
        if (pool->seg.incarnation != incarnation) { /* a new producer counts from 0 */
            incarnation = pool->seg.incarnation;
            seen = 0;
        }
        uint64_t w = tipc__ring_written(pool->ring);
        if (w > seen) {
            if (w - seen > pool->history_len)
                seen = w - pool->history_len;
            while (seen < tipc__ring_written(pool->ring) && !atomic_load(&c->cb_stop)) {
                uint64_t now = tipc__ring_written(pool->ring);
                if (now - seen > pool->history_len)
                    seen = now - pool->history_len;
                c->cb_fn(c, seen++, c->cb_user);
            }
        } else {
            tipc__ring_wait(pool->ring, seen, tipc__mono_ns() + PRODUCER_CHECK_NS);
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
