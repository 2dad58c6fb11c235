/* The segment file of a pool (internal): its name under /dev/shm, its header
 * layout, and its life: created under a temporary name, published atomically,
 * opened and validated by readers, reclaimed when its producer is dead.
 * Knows nothing of DDS; the ring region and the frames inside the file
 * belong to ring.c and memory.c. */
#ifndef TIPC_SEGMENT_H
#define TIPC_SEGMENT_H

#include "metadata.h"

#include <stdint.h>
#include <sys/types.h>

#define TIPC_SEG_MAGIC "TIPCPOOL"
/* 2: the ring (control words, slots, reader table) moved into its own region
 * and reader entries are claimed by one compare-and-swap of an identity. */
#define TIPC_SEG_LAYOUT_VERSION 2u

/* Metadata as stored in the segment: fixed widths, never trusted on read. */
struct tipc_seg_meta {
    char name[TIPC_NAME_MAX + 1];
    char device[16];
    int32_t dtype;
    int32_t backend;
    uint32_t ndim;
    uint32_t history_len;
    int64_t shape[TIPC_MAX_DIMS];
    uint64_t frame_bytes;
};

/* The first 32 bytes (magic, version, producer identity) keep this layout in
 * every future version, so any library can tell whether a segment's producer
 * is alive and reclaim it (tipc_pool_reclaim). Written once before the
 * segment is published; read-only afterwards. */
struct tipc_seg_header {
    char magic[8];
    uint32_t layout_version;
    int32_t producer_pid;
    uint64_t producer_start;
    uint64_t incarnation;

    uint64_t header_bytes;
    uint64_t segment_bytes;
    uint64_t ring_offset;
    uint64_t ring_bytes;
    uint64_t frames_offset;
    uint64_t frame_stride;
    int64_t created_ns;
    struct tipc_seg_meta meta;
    uint32_t payload_bytes;       /* backend payload (CUDA IPC handle), never trusted */
    unsigned char payload[TIPC_PAYLOAD_MAX];
};

/* One process's mapping of a segment. */
struct tipc_segment {
    void *base;
    size_t size;
    dev_t dev;
    ino_t ino;
    int32_t producer_pid;
    uint64_t producer_start;
    uint64_t incarnation;
    void *ring;                   /* the ring region */
    unsigned char *frames;        /* host frames (unused by device pools) */
    char path[TIPC_SHM_NAME_MAX + 16];
    /* While being created only. */
    int fd;
    char tmp[TIPC_SHM_NAME_MAX + 48];
};

/* Producer: create the file under a temporary name with every byte reserved,
 * and map it. Nothing is visible under the pool's name yet. */
tipc_status tipc__segment_prepare(struct tipc_segment *seg, const struct tipc_metadata *md,
                                  unsigned int mode);
/* Write the header (with md's payload) and an empty ring, then publish the
 * file under the pool's name, reclaiming a dead producer's segment. */
tipc_status tipc__segment_publish(struct tipc_segment *seg, const struct tipc_metadata *md);
/* Undo a prepare (or a failed publish). */
void tipc__segment_abandon(struct tipc_segment *seg);
/* Remove the pool's name if it is still this segment's. */
void tipc__segment_unlink(const struct tipc_segment *seg);
void tipc__segment_unmap(struct tipc_segment *seg);

/* Reader: open, map and validate the segment of @p md's pool. Only a regular
 * file owned by this user, root or @p trusted_uid (-1: nobody else) is
 * accepted. A segment whose producer is gone is TIPC_E_NOT_CONNECTED (and
 * its file is removed if the producer is dead). */
tipc_status tipc__segment_open(struct tipc_segment *seg, const struct tipc_metadata *md,
                               int64_t trusted_uid);
/* Reader: the metadata of pool @p name's segment, as its live producer wrote
 * it (validated; same owner rule as tipc__segment_open), without keeping it
 * mapped. TIPC_E_NOT_CONNECTED when there is no live segment. */
tipc_status tipc__segment_peek(const char *name, int64_t trusted_uid, struct tipc_metadata *out);
/* Call @p fn with the pool name of each segment file in /dev/shm (live or
 * not; temporary files skipped). For hints only: nothing is opened. */
void tipc__segment_names(void (*fn)(const char *name, void *user), void *user);
/* The backend payload of an opened segment (validated). */
const void *tipc__segment_payload(const struct tipc_segment *seg);

/* Validate @p size bytes of a segment (header, layout, metadata, payload and
 * ring tables): every field is checked, nothing is trusted. With @p expect,
 * the metadata must match it (TIPC_E_MISMATCH names the fields). On TIPC_OK,
 * @p out (optional) receives the segment's metadata. */
tipc_status tipc__segment_validate(const void *bytes, size_t size,
                                   const struct tipc_metadata *expect,
                                   struct tipc_metadata *out);

/* Size of the segment of @p md's pool. */
size_t tipc__segment_bytes(const struct tipc_metadata *md);

#endif
