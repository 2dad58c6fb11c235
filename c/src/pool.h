/* The pool: one shared-memory segment holding a ring of frames, the slot
 * states, the reader table and the wake-up word. Knows nothing of DDS.
 * See docs/architecture.md for the protocol. */
#ifndef TIPC_POOL_H
#define TIPC_POOL_H

#include "metadata.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#define TIPC_SEG_MAGIC "TIPCPOOL"
#define TIPC_SEG_LAYOUT_VERSION 1u
#define TIPC_SEG_MAX_READERS 64
#define TIPC_SEG_WRITING (UINT64_C(1) << 63)

enum { TIPC_SEG_LIVE = 1, TIPC_SEG_CLOSED = 2 };

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
 * is alive and reclaim it. */
struct tipc_seg_header {
    char magic[8];
    uint32_t layout_version;
    int32_t producer_pid;
    uint64_t producer_start;
    uint64_t incarnation;

    uint64_t header_bytes;
    uint64_t segment_bytes;
    uint64_t slots_offset;
    uint64_t readers_offset;
    uint64_t frames_offset;
    uint64_t frame_stride;
    uint32_t max_readers;
    uint32_t reserved0;
    int64_t created_ns;
    struct tipc_seg_meta meta;
    uint32_t payload_bytes;       /* backend payload (CUDA IPC handle), never trusted */
    unsigned char payload[TIPC_PAYLOAD_MAX];

    _Alignas(64) _Atomic uint32_t state;
    _Atomic uint32_t notify;      /* futex word, bumped on each commit */
    _Atomic uint32_t waiters;     /* readers inside FUTEX_WAIT (may overcount after a crash) */
    _Atomic uint32_t reap_request;/* a reader found the reader table full */
    _Alignas(64) _Atomic uint64_t write_seq; /* frames published */
};

struct tipc_seg_slot {
    _Atomic uint64_t seq;         /* frame index + 1; 0 empty; | WRITING while written */
    _Atomic uint64_t readers;     /* bit i: reader entry i holds this frame */
    _Atomic int64_t timestamp_ns;
    uint64_t reserved[5];
};

/* owner = generation << 32 | pid; pid 0 = free, UINT32_MAX = being reclaimed. */
struct tipc_seg_reader {
    _Atomic uint64_t owner;
    _Atomic uint64_t start_time;  /* 0 while the owner is still registering */
    uint64_t reserved[6];
};

/* A process's mapping of a segment. Reference counted: consumers' views keep
 * it alive after the consumer is gone. */
struct tipc_pool {
    _Atomic long refs;
    void *base;
    size_t size;
    struct tipc_seg_header *hdr;
    struct tipc_seg_slot *slots;
    struct tipc_seg_reader *readers;
    unsigned char *frames;
    uint32_t history_len;
    size_t frame_bytes;
    size_t stride;
    dev_t dev;
    ino_t ino;
    int ordinal;                  /* CUDA device of a torch_cuda pool, else -1 */
    uint64_t device_base;         /* its ring on the device (frames points there) */
    char name[TIPC_NAME_MAX + 1];
    char path[TIPC_SHM_NAME_MAX + 16];

    /* Reader side only: this process's entry and how often it holds each slot. */
    int reader_index;             /* -1 for the producer */
    pthread_mutex_t hold_lock;
    uint32_t *holds;
};

/* Producer side. */
/* Fills md->payload for device pools. */
tipc_status tipc__pool_create(struct tipc_pool **out, struct tipc_metadata *md,
                              unsigned int mode);
tipc_status tipc__pool_begin_write(struct tipc_pool *pool, uint64_t index, int64_t timeout_ns,
                                   void **out_ptr);
void tipc__pool_discard_write(struct tipc_pool *pool, uint64_t index);
void tipc__pool_commit(struct tipc_pool *pool, uint64_t index);
void tipc__pool_reap_readers(struct tipc_pool *pool, uint64_t only_mask);
void tipc__pool_close(struct tipc_pool *pool);

/* Reader side. */
tipc_status tipc__pool_open(struct tipc_pool **out, const struct tipc_metadata *md);
int tipc__pool_producer_alive(const struct tipc_pool *pool);
int tipc__pool_hold(struct tipc_pool *pool, uint64_t index);
void tipc__pool_unhold(struct tipc_pool *pool, uint64_t index);
/* Wait for write_seq > seen: OK, TIMEOUT or CLOSED. */
tipc_status tipc__pool_wait(struct tipc_pool *pool, uint64_t seen, int64_t deadline_mono_ns);

void tipc__pool_ref(struct tipc_pool *pool);
void tipc__pool_unref(struct tipc_pool *pool);

static inline struct tipc_seg_slot *tipc__pool_slot(struct tipc_pool *pool, uint64_t index)
{
    return &pool->slots[index % pool->history_len];
}

static inline unsigned char *tipc__pool_frame(struct tipc_pool *pool, uint64_t index)
{
    return pool->frames + (size_t)(index % pool->history_len) * pool->stride;
}

#endif
