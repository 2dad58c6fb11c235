/* A pool as one process holds it (internal): its segment file, the ring in
 * it and the frame memory, composed. Reference counted: consumers' views keep
 * a mapping alive after the consumer is gone. Knows nothing of DDS. */
#ifndef TIPC_POOL_H
#define TIPC_POOL_H

#include "memory.h"
#include "metadata.h"
#include "ring.h"
#include "segment.h"

#include <stdatomic.h>

struct tipc_pool {
    _Atomic long refs;
    char name[TIPC_NAME_MAX + 1];
    uint32_t history_len;
    size_t frame_bytes;
    struct tipc_segment seg;
    struct tipc_ring *ring;
    struct tipc_mem mem;
};

/* Producer: create and publish the pool (fills md->payload for device pools). */
tipc_status tipc__pool_create(struct tipc_pool **out, struct tipc_metadata *md,
                              unsigned int mode);
/* Producer: close the ring, remove the name and, for device pools, wait
 * (bounded) for readers to let go of the device memory. */
void tipc__pool_close(struct tipc_pool *pool);

/* Reader: open a live pool and claim a reader entry. */
tipc_status tipc__pool_open(struct tipc_pool **out, const struct tipc_metadata *md,
                            int64_t trusted_uid);

void tipc__pool_ref(struct tipc_pool *pool);
void tipc__pool_unref(struct tipc_pool *pool);

#endif
