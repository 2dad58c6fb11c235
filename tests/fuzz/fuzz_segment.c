/* Fuzz target: the bytes of a pool segment, as any local user could leave
 * them at a pool's path (or scribble into a shared one).
 *
 * The bytes are copied to 64-byte-aligned memory (a mapping is page
 * aligned, and the ring's atomics need it) and validated as a consumer does
 * before touching anything (tipc__segment_validate). The target checks what
 * acceptance promises, and aborts when a promise is broken:
 *  - an accepted segment's metadata is valid and equals itself, its layout
 *    fits in the bytes given, and validating it again against that
 *    metadata accepts it;
 *  - a rejected one is TIPC_E_CORRUPT (or TIPC_E_MISMATCH against an
 *    expectation) with a sentence that names the pool.
 * An accepted segment's ring is then used as a reader would: claim a reader
 * entry (reclaiming dead ones when the table is full), reclaim whatever
 * entries name dead processes, and give the entry back. */
#include "metadata.h"
#include "ring.h"
#include "segment.h"

#define FUZZ_TARGET_NAME "fuzz_segment"
#include "fuzz_promise.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (16u << 20))
        return 0;
    unsigned char *seg = aligned_alloc(64, (size + 127) / 64 * 64);
    if (!seg)
        return 0;
    memcpy(seg, data, size);
    struct tipc_metadata md;
    tipc_status st = tipc__segment_validate(seg, size, NULL, &md);
    if (st != TIPC_OK) {
        const char *why = tipc_last_error();
        PROMISE(st == TIPC_E_CORRUPT, "rejected with %s: %s", tipc_status_name(st), why);
        PROMISE(strncmp(why, "pool '", 6) == 0, "the sentence does not name the pool: '%s'", why);
        free(seg);
        return 0;
    }
    const struct tipc_seg_header *h = (const void *)seg;
    struct tipc_metadata again = md;
    again.element_size = again.frame_bytes = again.total_bytes = 0;
    PROMISE(tipc__metadata_finish(&again) == TIPC_OK, "accepted metadata is invalid: %s",
            tipc_last_error());
    PROMISE(again.frame_bytes == md.frame_bytes && again.total_bytes == md.total_bytes,
            "accepted sizes differ from the recomputed ones");
    PROMISE(tipc_metadata_compare(&md, &md) == TIPC_OK, "metadata differs from itself");
    PROMISE(h->segment_bytes <= size && h->segment_bytes == tipc__segment_bytes(&md),
            "accepted layout of %llu bytes in %zu", (unsigned long long)h->segment_bytes, size);
    PROMISE(h->ring_offset + tipc__ring_bytes(md.history_len) <= h->segment_bytes,
            "ring outside the segment");
    st = tipc__segment_validate(seg, size, &md, NULL);
    PROMISE(st == TIPC_OK, "rejected against its own metadata: %s", tipc_last_error());

    /* The reader's side of the ring, on these bytes. */
    struct tipc_ring *ring = NULL;
    st = tipc__ring_open(&ring, seg + h->ring_offset, md.history_len, md.name, h->producer_pid,
                         h->producer_start, 1);
    PROMISE(st == TIPC_OK || st == TIPC_E_LIMIT, "attach returned %s: %s", tipc_status_name(st),
            tipc_last_error());
    if (st == TIPC_OK) {
        tipc__ring_reclaim(ring, 0); /* owners of every kind, dead or forged */
        tipc__ring_free(ring);
    }
    free(seg);
    return 0;
}
