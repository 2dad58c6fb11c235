#include "pool.h"
#include "proc.h"
#include "status.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How long a closing device pool waits for its readers to let go of the
 * GPU allocation before freeing it anyway. */
#define DEVICE_DRAIN_NS 1000000000LL

static struct tipc_pool *pool_new(const struct tipc_metadata *md)
{
    struct tipc_pool *pool = calloc(1, sizeof *pool);
    if (!pool) {
        tipc__fail(TIPC_E_NOMEM, "pool '%s': out of memory", md->name);
        return NULL;
    }
    atomic_init(&pool->refs, 1);
    memcpy(pool->name, md->name, sizeof pool->name);
    pool->history_len = md->history_len;
    pool->frame_bytes = md->frame_bytes;
    pool->mem.ordinal = -1;
    return pool;
}

static void pool_free(struct tipc_pool *pool)
{
    tipc__ring_free(pool->ring);
    tipc__mem_release(&pool->mem);
    tipc__segment_unmap(&pool->seg);
    free(pool);
}

tipc_status tipc__pool_create(struct tipc_pool **out, struct tipc_metadata *md,
                              unsigned int mode)
{
    *out = NULL;
    tipc_status st = tipc__mem_usable(md);
    if (st)
        return st;
    struct tipc_pool *pool = pool_new(md);
    if (!pool)
        return TIPC_E_NOMEM;
    st = tipc__segment_prepare(&pool->seg, md, mode);
    if (st) {
        free(pool);
        return st;
    }
    st = tipc__mem_create(&pool->mem, md, pool->seg.frames, pool->seg.dev, pool->seg.ino);
    if (st == TIPC_OK)
        st = tipc__segment_publish(&pool->seg, md);
    if (st == TIPC_OK)
        st = tipc__ring_open(&pool->ring, pool->seg.ring, md->history_len, md->name,
                             pool->seg.producer_pid, pool->seg.producer_start, 0);
    if (st) {
        if (pool->seg.tmp[0] == '\0') /* published: take the name back */
            tipc__segment_unlink(&pool->seg);
        tipc__segment_abandon(&pool->seg);
        tipc__mem_release(&pool->mem);
        free(pool);
        return st;
    }
    *out = pool;
    return TIPC_OK;
}

void tipc__pool_close(struct tipc_pool *pool)
{
    tipc__ring_close(pool->ring);
    tipc__segment_unlink(&pool->seg);
    if (!tipc__mem_on_device(&pool->mem))
        return;
    /* Readers map the GPU ring through IPC; keep it until they have seen the
     * closed state and detached (bounded); dead readers do not count. */
    int64_t deadline = tipc__mono_ns() + DEVICE_DRAIN_NS;
    while (tipc__ring_attached(pool->ring) && tipc__mono_ns() < deadline) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

tipc_status tipc__pool_open(struct tipc_pool **out, const struct tipc_metadata *md,
                            int64_t trusted_uid)
{
    *out = NULL;
    struct tipc_pool *pool = pool_new(md);
    if (!pool)
        return TIPC_E_NOMEM;
    tipc_status st = tipc__segment_open(&pool->seg, md, trusted_uid);
    if (st) {
        free(pool);
        return st;
    }
    st = tipc__ring_open(&pool->ring, pool->seg.ring, md->history_len, md->name,
                         pool->seg.producer_pid, pool->seg.producer_start, 1);
    if (st == TIPC_OK && tipc__ring_closed(pool->ring))
        st = tipc__fail(TIPC_E_NOT_CONNECTED, "pool '%s': the producer (pid %d) closed it",
                        md->name, (int)pool->seg.producer_pid);
    if (st == TIPC_OK)
        st = tipc__mem_attach(&pool->mem, md, tipc__segment_payload(&pool->seg), pool->seg.frames,
                              pool->seg.dev, pool->seg.ino);
    if (st) {
        pool_free(pool);
        return st;
    }
    *out = pool;
    return TIPC_OK;
}

void tipc__pool_ref(struct tipc_pool *pool) { atomic_fetch_add(&pool->refs, 1); }

void tipc__pool_unref(struct tipc_pool *pool)
{
    if (pool && atomic_fetch_sub(&pool->refs, 1) == 1)
        pool_free(pool);
}
