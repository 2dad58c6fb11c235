/* The ring protocol (internal): frame slots, the reader table, holds, reaping
 * of dead readers, the wake-up word and the one read loop that copying and
 * zero-copy reads share. The ring lives in a region of the pool's segment;
 * its layout is known to ring.c alone. Knows nothing of files, DDS or where
 * the frame bytes are (host or device): it hands out slot numbers.
 * See docs/architecture.md, "The ring", for the protocol and its proofs. */
#ifndef TIPC_RING_H
#define TIPC_RING_H

#include "tensor_ipc.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TIPC_RING_MAX_READERS 64

/* A process's handle on one mapped ring: the producer's, or one reader's
 * (which owns one entry of the reader table while it lives). */
struct tipc_ring;

/* Bytes the region needs for @p history_len slots (a multiple of 64). */
size_t tipc__ring_bytes(uint32_t history_len);

/* Initialise a fresh region (producer, before the segment is published). */
void tipc__ring_format(void *region, uint32_t history_len);

/* Check a region that another process wrote: every word the protocol relies
 * on must be one the protocol can produce. TIPC_E_CORRUPT names the cause. */
tipc_status tipc__ring_validate(const void *region, uint32_t history_len, const char *pool);

/* Wrap a mapped region. @p producer_pid / @p producer_start identify the
 * writer (for liveness checks); @p reader claims a reader entry, reclaiming
 * dead readers' entries when the table is full (TIPC_E_LIMIT if none). */
tipc_status tipc__ring_open(struct tipc_ring **out, void *region, uint32_t history_len,
                            const char *pool, int32_t producer_pid, uint64_t producer_start,
                            int reader);
/* Give the reader entry back (clearing this handle's holds) and free. NULL ok. */
void tipc__ring_free(struct tipc_ring *ring);

/* ---- writer (one thread) ---- */

/* Take slot index % history_len (*out_slot) for frame @p index: waits (up to
 * @p timeout_ns, < 0 forever) only for live readers holding that very slot,
 * reclaiming dead ones. On TIPC_E_TIMEOUT the slot keeps its old frame. */
tipc_status tipc__ring_begin_write(struct tipc_ring *ring, uint64_t index, int64_t timeout_ns,
                                   uint32_t *out_slot);
/* Publish frame @p index, stamped now (returned); wakes waiting readers. */
int64_t tipc__ring_commit(struct tipc_ring *ring, uint64_t index);
/* The same with the frame's stamp given (a ROS 2 header.stamp, a replay). */
int64_t tipc__ring_commit_at(struct tipc_ring *ring, uint64_t index, int64_t stamp);
/* Give the slot back unpublished: its old frame is dropped (it may be overwritten). */
void tipc__ring_discard(struct tipc_ring *ring, uint64_t index);
/* Mark the ring closed and wake every waiter. */
void tipc__ring_close(struct tipc_ring *ring);
/* Reader entries owned by live processes (dead ones are reclaimed first). */
unsigned tipc__ring_attached(struct tipc_ring *ring);

/* ---- both sides ---- */

/* Frames published so far. */
uint64_t tipc__ring_written(const struct tipc_ring *ring);
/* The close flag alone (cheap). */
int tipc__ring_closed(const struct tipc_ring *ring);
/* Not closed, and the producer process lives (reads /proc). */
int tipc__ring_live(const struct tipc_ring *ring);
/* Reclaim the entries of dead readers among @p mask (0 = all). Any process
 * may call it: a reclaim is claimed by compare-and-swap and one left by a
 * reclaimer that died is taken over. Returns the number freed. */
unsigned tipc__ring_reclaim(struct tipc_ring *ring, uint64_t mask);

/* ---- reader ---- */

/* Wait until more than @p seen frames are published: TIPC_OK, TIPC_E_TIMEOUT
 * (@p deadline_mono_ns passed; < 0 never) or TIPC_E_CLOSED. */
tipc_status tipc__ring_wait(struct tipc_ring *ring, uint64_t seen, int64_t deadline_mono_ns);

/* One frame met by tipc__ring_read, held while the visitor runs. */
struct tipc_ring_frame {
    uint32_t pos;         /* position in the caller's result */
    uint32_t slot;
    uint64_t index;
    int64_t timestamp_ns;
};
typedef tipc_status (*tipc_ring_visit_fn)(void *ctx, const struct tipc_ring_frame *frame);

/* The read loop: hold the latest @p count frames (oldest first, since the
 * oldest is the next to be overwritten), calling @p visit for each. With
 * @p keep the holds stay (zero copy; tipc__ring_unhold each index later),
 * else each frame is let go after its visit. A frame the producer overtakes
 * mid-read restarts the read (for at most 1 s: then TIPC_E_BUSY); the oldest
 * frame of a full-length read that the producer is already overwriting reads
 * as missing instead. On TIPC_OK, *out_written is the write count the read
 * was based on and *out_avail how many frames (the newest) were visited; the
 * caller pads the rest. A visitor's error ends the read with that status. */
tipc_status tipc__ring_read(struct tipc_ring *ring, uint32_t count, int oldest_first, int keep,
                            tipc_ring_visit_fn visit, void *ctx, uint64_t *out_written,
                            uint32_t *out_avail);
void tipc__ring_unhold(struct tipc_ring *ring, uint64_t index);

/* Hold frame @p index alone (not necessarily the newest) and visit it; one
 * attempt: TIPC_E_NO_DATA when it is not written yet or already overwritten. */
tipc_status tipc__ring_read_one(struct tipc_ring *ring, uint64_t index, int keep,
                                tipc_ring_visit_fn visit, void *ctx);

/* Test-only pause points between the steps of shared-memory updates (built
 * into the white-box library only, see tests/multiprocess). */
#ifdef TIPC_TEST_HOOKS
extern void (*tipc__test_hook)(const char *point);
#define TIPC_HOOK(point)                                                     \
    do {                                                                     \
        if (tipc__test_hook)                                                 \
            tipc__test_hook(point);                                          \
    } while (0)
/* White-box access to a region's words, for tests that forge states. */
#include <stdatomic.h>
_Atomic uint64_t *tipc__test_ring_owner(void *region, uint32_t history_len, int entry);
_Atomic uint64_t *tipc__test_ring_holders(void *region, uint32_t history_len, uint32_t slot);
_Atomic uint64_t *tipc__test_ring_seq(void *region, uint32_t history_len, uint32_t slot);
#else
#define TIPC_HOOK(point) ((void)0)
#endif

#endif
