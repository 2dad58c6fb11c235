#include "discovery.h"
#include "metadata.h"
#include "pool.h"
#include "remote.h"
#include "status.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tipc_producer {
    struct tipc_metadata md;
    struct tipc_pool *pool;
    tipc_producer_options opts;
    struct tipc_dds_pub *announce;   /* NULL without control plane */
    struct tipc_remote_tx *remote;   /* frames for other hosts; NULL for device pools */
    uint64_t next_index;
    int loan_out;
};

tipc_status tipc_producer_options_init(tipc_producer_options *opts, unsigned int version)
{
    TIPC_CHECK_ARG(opts, "options are NULL");
    if (version != TIPC_PRODUCER_OPTIONS_VERSION)
        return tipc__fail(TIPC_E_INVALID, "producer options version %u is unknown (expected %u)",
                          version, TIPC_PRODUCER_OPTIONS_VERSION);
    tipc_producer_options def = TIPC_PRODUCER_OPTIONS_INIT;
    *opts = def;
    return TIPC_OK;
}

tipc_status tipc_producer_create(tipc_producer **out, const tipc_metadata *md,
                                 const tipc_producer_options *opts)
{
    TIPC_CHECK_ARG(out, "out is NULL");
    *out = NULL;
    TIPC_CHECK_ARG(md, "metadata is NULL");
    tipc_producer_options o = TIPC_PRODUCER_OPTIONS_INIT;
    if (opts) {
        if (opts->version != TIPC_PRODUCER_OPTIONS_VERSION)
            return tipc__fail(TIPC_E_INVALID, "pool '%s': producer options version %u is unknown",
                              md->name, opts->version);
        o = *opts;
    }
    if (o.mode == 0)
        o.mode = 0600;
    if (o.mode & ~0666u)
        return tipc__fail(TIPC_E_INVALID, "pool '%s': mode %o may only hold read/write bits",
                          md->name, o.mode);
    if (o.put_timeout_ns < 0 && o.put_timeout_ns != TIPC_TIMEOUT_INFINITE)
        return tipc__fail(TIPC_E_INVALID,
                          "pool '%s': put timeout of %lld ns is negative (only "
                          "TIPC_TIMEOUT_INFINITE, -1, means forever)",
                          md->name, (long long)o.put_timeout_ns);
    struct tipc_producer *p = calloc(1, sizeof *p);
    if (!p)
        return tipc__fail(TIPC_E_NOMEM, "pool '%s': out of memory", md->name);
    p->md = *md;
    p->md.creator_pid = getpid();
    p->opts = o;
    tipc_status st = tipc__pool_create(&p->pool, &p->md, o.mode);
    if (st == TIPC_OK && o.control_plane)
        st = tipc__dds_pub_create(&p->announce, o.context, &p->md, p->pool->seg.incarnation,
                                  o.publish_progress);
    if (st == TIPC_OK && o.control_plane && strcmp(p->md.device, "cpu") == 0)
        st = tipc__remote_tx_create(&p->remote, o.context, &p->md, p->pool->seg.incarnation);
    if (st) {
        tipc__dds_pub_destroy(p->announce);
        if (p->pool) {
            tipc__pool_close(p->pool);
            tipc__pool_unref(p->pool);
        }
        free(p);
        return st;
    }
    *out = p;
    return TIPC_OK;
}

void tipc_producer_destroy(tipc_producer *p)
{
    if (!p)
        return;
    if (p->loan_out)
        tipc__ring_discard(p->pool->ring, p->next_index);
    tipc__remote_tx_destroy(p->remote);
    tipc__dds_pub_destroy(p->announce);
    tipc__pool_close(p->pool);
    tipc__pool_unref(p->pool);
    free(p);
}

const tipc_metadata *tipc_producer_metadata(const tipc_producer *p)
{
    return p ? &p->md : NULL;
}

uint64_t tipc_producer_frames_written(const tipc_producer *p) { return p ? p->next_index : 0; }

tipc_status tipc_producer_check(tipc_producer *p)
{
    TIPC_CHECK_ARG(p, "producer is NULL");
    return p->announce ? tipc__dds_pub_check(p->announce) : TIPC_OK;
}

tipc_status tipc_producer_loan(tipc_producer *p, void **out_data, size_t *out_size)
{
    TIPC_CHECK_ARG(out_data, "out_data is NULL");
    *out_data = NULL;
    TIPC_CHECK_ARG(p, "producer is NULL");
    if (p->loan_out)
        return tipc__fail(TIPC_E_BUSY, "pool '%s': a loan is already outstanding", p->md.name);
    uint32_t slot;
    tipc_status st = tipc__ring_begin_write(p->pool->ring, p->next_index, p->opts.put_timeout_ns,
                                            &slot);
    if (st)
        return st;
    *out_data = tipc__mem_frame(&p->pool->mem, slot);
    p->loan_out = 1;
    if (out_size)
        *out_size = p->md.frame_bytes;
    return TIPC_OK;
}

static tipc_status commit(tipc_producer *p, int have_stamp, int64_t stamp_ns, uint64_t *out_index)
{
    TIPC_CHECK_ARG(p, "producer is NULL");
    if (!p->loan_out)
        return tipc__fail(TIPC_E_INVALID, "pool '%s': commit without a loan", p->md.name);
    /* The frame must be complete before it is published. */
    tipc_status st = tipc__mem_flush(&p->pool->mem, p->md.name);
    if (st)
        return st;
    int64_t stamp = have_stamp ? tipc__ring_commit_at(p->pool->ring, p->next_index, stamp_ns)
                               : tipc__ring_commit(p->pool->ring, p->next_index);
    p->loan_out = 0;
    if (p->announce)
        tipc__dds_pub_progress(p->announce, p->next_index, stamp);
    tipc__remote_tx_frame(p->remote, p->next_index, stamp,
                          tipc__mem_frame(&p->pool->mem,
                                          (uint32_t)(p->next_index % p->md.history_len)));
    if (out_index)
        *out_index = p->next_index;
    p->next_index++;
    return TIPC_OK;
}

tipc_status tipc_producer_commit(tipc_producer *p, uint64_t *out_index)
{
    return commit(p, 0, 0, out_index);
}

tipc_status tipc_producer_commit_at(tipc_producer *p, int64_t timestamp_ns, uint64_t *out_index)
{
    return commit(p, 1, timestamp_ns, out_index);
}

tipc_status tipc_producer_discard(tipc_producer *p)
{
    TIPC_CHECK_ARG(p, "producer is NULL");
    if (!p->loan_out)
        return tipc__fail(TIPC_E_INVALID, "pool '%s': discard without a loan", p->md.name);
    tipc__ring_discard(p->pool->ring, p->next_index);
    p->loan_out = 0;
    return TIPC_OK;
}

tipc_status tipc_producer_put(tipc_producer *p, const void *data, size_t size,
                              uint64_t *out_index)
{
    TIPC_CHECK_ARG(p, "producer is NULL");
    if (!data)
        return tipc__fail(TIPC_E_INVALID, "pool '%s': put of a NULL buffer", p->md.name);
    if (size != p->md.frame_bytes)
        return tipc__fail(TIPC_E_INVALID, "pool '%s': put of %zu bytes, a frame is %zu bytes",
                          p->md.name, size, p->md.frame_bytes);
    void *slot;
    tipc_status st = tipc_producer_loan(p, &slot, NULL);
    if (st)
        return st;
    st = tipc__mem_copy(&p->pool->mem, p->md.name, slot, data, size);
    if (st) {
        tipc_producer_discard(p);
        return st;
    }
    return tipc_producer_commit(p, out_index);
}
