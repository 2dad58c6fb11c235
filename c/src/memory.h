/* Where a pool's frames live (internal): host shared memory (numpy, torch)
 * or one device allocation shared by CUDA IPC (torch_cuda). The one place
 * that tells the two apart; the rest of the library copies, zeroes and
 * publishes frames through these calls. */
#ifndef TIPC_MEMORY_H
#define TIPC_MEMORY_H

#include "metadata.h"

#include <stdint.h>
#include <string.h>
#include <sys/types.h>

struct tipc_mem {
    int ordinal;            /* CUDA device of a torch_cuda pool, else -1 */
    unsigned char *frames;  /* first frame: in the segment, or on the device */
    size_t stride;          /* bytes between frames */
    dev_t dev;              /* the segment's file, which names the device mapping */
    ino_t ino;
};

/* Bytes between frames, and bytes the frames need inside the segment (0 for
 * device pools, whose frames are on the GPU). */
size_t tipc__mem_stride(const struct tipc_metadata *md);
size_t tipc__mem_segment_bytes(const struct tipc_metadata *md);

/* Whether this process can use the pool's memory at all (CUDA present). */
tipc_status tipc__mem_usable(const struct tipc_metadata *md);

/* Check a backend payload read from a segment or DDS: a device pool's must
 * describe its ring, a host pool carries none. TIPC_E_CORRUPT names the cause. */
tipc_status tipc__mem_payload_check(const struct tipc_metadata *md, const void *payload,
                                    size_t size);

/* Producer: set up the frames (@p host_frames: their place in the segment).
 * A device pool allocates its ring and writes its payload into @p md. */
tipc_status tipc__mem_create(struct tipc_mem *m, struct tipc_metadata *md,
                             unsigned char *host_frames, dev_t dev, ino_t ino);
/* Reader: map the frames described by @p payload (checked beforehand). */
tipc_status tipc__mem_attach(struct tipc_mem *m, const struct tipc_metadata *md,
                             const void *payload, unsigned char *host_frames, dev_t dev, ino_t ino);
/* Let go of the device allocation or mapping; nothing for host pools. */
void tipc__mem_release(struct tipc_mem *m);

static inline int tipc__mem_on_device(const struct tipc_mem *m) { return m->ordinal >= 0; }

static inline unsigned char *tipc__mem_frame(const struct tipc_mem *m, uint32_t slot)
{
    return m->frames + (size_t)slot * m->stride;
}

tipc_status tipc__mem_copy_slow(const struct tipc_mem *m, const char *pool, void *dst,
                                const void *src, size_t bytes);

/* Copy between frame memory and any host or device address. */
static inline tipc_status tipc__mem_copy(const struct tipc_mem *m, const char *pool, void *dst,
                                         const void *src, size_t bytes)
{
    if (m->ordinal < 0) {
        memcpy(dst, src, bytes);
        return TIPC_OK;
    }
    return tipc__mem_copy_slow(m, pool, dst, src, bytes);
}

/* Zero @p bytes at @p dst (memory of the pool's kind, or host memory). */
tipc_status tipc__mem_zero(const struct tipc_mem *m, const char *pool, void *dst, size_t bytes);

tipc_status tipc__mem_flush_slow(const struct tipc_mem *m, const char *pool);

/* Make writes into a loaned frame complete before it is published. */
static inline tipc_status tipc__mem_flush(const struct tipc_mem *m, const char *pool)
{
    return m->ordinal < 0 ? TIPC_OK : tipc__mem_flush_slow(m, pool);
}

#endif
