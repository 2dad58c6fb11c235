/* Pools read from another host (internal): the identity of a host, the
 * per-pool frame topic, and the mirror segment that carries a remote pool's
 * frames to the consumers of this host. Owns the tensoripc_<pool>_frames
 * topic; ring, segment and announcement belong to their modules.
 * See docs/remote.md and docs/architecture.md, "Remote pools". */
#ifndef TIPC_REMOTE_H
#define TIPC_REMOTE_H

#include "metadata.h"

#define TIPC_HOST_ID_LEN 32

/* The identity of this process's /dev/shm: 32 lowercase hex digits derived
 * from the kernel's boot id and the device and inode of /dev/shm (no file).
 * Two processes share a host exactly when they can map each other's
 * segments. Cached after the first success. */
tipc_status tipc__host_id(char out[TIPC_HOST_ID_LEN + 1]);

/* 1 when a well-formed host id: exactly 32 lowercase hex digits. */
int tipc__host_id_valid(const char *id);

/* Remote reading is on for a consumer: its option, or TIPC_REMOTE=1. */
int tipc__remote_enabled(int option);

/* ---- producer side ---- */
struct tipc_remote_tx;
/* The frame writer of @p md's pool on @p participant (reliable, keep-last
 * history_len); frames are written only while a reader is matched. */
tipc_status tipc__remote_tx_create(struct tipc_remote_tx **out, tipc_context *ctx,
                                   const struct tipc_metadata *md, uint64_t incarnation);
/* Send a committed frame when a remote reader is matched; else one atomic load. */
void tipc__remote_tx_frame(struct tipc_remote_tx *tx, uint64_t index, int64_t timestamp_ns,
                           const void *data);
/* Readers of frame data matched now (test and tool use). */
uint32_t tipc__remote_tx_matched(const struct tipc_remote_tx *tx);
void tipc__remote_tx_destroy(struct tipc_remote_tx *tx);

/* ---- consumer side ---- */
struct tipc_remote_mirror;
/* Make this process the owner of the mirror of @p md's pool, announced by
 * another host with @p incarnation: a local segment under the pool's name
 * that a thread fills with the frames received over DDS until the remote
 * producer goes (or tipc__remote_mirror_stop). TIPC_E_EXISTS when a live
 * mirror (or pool) is already here: map that one instead. */
tipc_status tipc__remote_mirror_start(struct tipc_remote_mirror **out, tipc_context *ctx,
                                      const struct tipc_metadata *md, uint64_t incarnation,
                                      int delivery);
/* 0 once the remote producer is gone (the mirror is closed then). */
int tipc__remote_mirror_running(const struct tipc_remote_mirror *m);
/* Close the mirror (its readers see the producer gone) and free. NULL ok. */
void tipc__remote_mirror_stop(struct tipc_remote_mirror *m);

/* One frame sample as it travels (tensor_ipc::Frame), parsed without
 * copying its payload: @c data points into the parsed buffer. */
struct tipc__remote_frame {
    char pool[64];
    uint64_t incarnation, frame_index;
    int64_t timestamp_ns;
    uint32_t data_len;
    const uint8_t *data;
};
/* Parse a serialised Frame (any CDR encapsulation and byte order) of @p size
 * bytes, checking every length. TIPC_E_CORRUPT (no message set) when it is
 * truncated, has an unterminated or over-long pool name, or a payload
 * longer than the bytes left. */
tipc_status tipc__remote_frame_parse(struct tipc__remote_frame *f, const void *cdr, size_t size);

/* Frame samples rejected by this process's mirrors (wrong pool, incarnation,
 * size or index): counted, never written. */
uint64_t tipc__remote_rejected(void);
/* Frames written into this process's mirrors. */
uint64_t tipc__remote_mirrored(void);
/* Frame samples this process's producers wrote to the frame topics. */
uint64_t tipc__remote_sent(void);

#endif
