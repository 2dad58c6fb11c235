/* Fuzz target: a pool announcement (tensor_ipc::PoolMeta) from the network.
 *
 * The bytes go through Cyclone's own CDR normalisation and deserialisation
 * (fuzz_cdr.h), exactly what a DDS reader does before the library sees a
 * sample, then through the library's validation (tipc__dds_meta_from_msg)
 * and comparison (tipc_metadata_compare, as a consumer's subscription does).
 *
 * Besides crashes and sanitizer reports, the target checks what acceptance
 * promises, and aborts when a promise is broken:
 *  - an accepted announcement is message version 1, has a valid pool name,
 *    carries a payload only for torch_cuda, and its sizes and shm name are
 *    the ones recomputed from its fields;
 *  - a rejected one is TIPC_E_CORRUPT with a sentence that names the pool;
 *  - comparing with any metadata is TIPC_OK or TIPC_E_MISMATCH, and a
 *    metadata equals itself. */
#include "discovery.h"
#include "fuzz_cdr.h"
#include "metadata.h"
#include "tensor_ipc_msgs.h"

#define FUZZ_TARGET_NAME "fuzz_dds_meta"
#include "fuzz_promise.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void check_accepted(const tensor_ipc_PoolMeta *m, const struct tipc_metadata *md)
{
    PROMISE(m->version == 1, "accepted message version %u", (unsigned)m->version);
    PROMISE(tipc__check_name(md->name) == TIPC_OK, "accepted pool name '%s'", md->name);
    PROMISE(strcmp(md->name, m->pool) == 0, "name '%s' is not the key '%s'", md->name, m->pool);
    PROMISE(md->backend == TIPC_BACKEND_TORCH_CUDA || md->payload_size == 0,
            "a %s pool accepted with a %zu-byte payload", tipc_backend_name(md->backend),
            md->payload_size);
    /* Recompute every derived field from a copy of the primary ones. */
    struct tipc_metadata again = *md;
    again.element_size = again.frame_bytes = again.total_bytes = 0;
    memset(again.shm_name, 0, sizeof again.shm_name);
    PROMISE(tipc__metadata_finish(&again) == TIPC_OK, "accepted metadata fails validation: %s",
            tipc_last_error());
    PROMISE(again.element_size == md->element_size && again.frame_bytes == md->frame_bytes &&
                again.total_bytes == md->total_bytes &&
                strcmp(again.shm_name, md->shm_name) == 0,
            "accepted sizes differ from the recomputed ones");
    PROMISE(m->frame_bytes == md->frame_bytes && m->total_bytes == md->total_bytes &&
                m->element_size == md->element_size,
            "accepted sizes differ from the announced ones");
    PROMISE(md->frame_bytes > 0 && md->total_bytes / md->history_len == md->frame_bytes,
            "accepted sizes overflow");
    PROMISE(tipc_metadata_compare(md, md) == TIPC_OK, "metadata differs from itself: %s",
            tipc_last_error());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint32_t *ops = tensor_ipc_PoolMeta_desc.m_ops;
    tensor_ipc_PoolMeta m;
    if (!fuzz_cdr_to_sample(data, size, ops, &m, sizeof m))
        return 0; /* Cyclone drops it: the library never sees it */

    struct tipc_metadata md;
    tipc_status st = tipc__dds_meta_from_msg(&md, &m);
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("TIPC_FUZZ_VERBOSE") != NULL;
    if (verbose)
        fprintf(stderr, "fuzz_dds_meta: %s %s\n", tipc_status_name(st),
                st ? tipc_last_error() : md.name);
    if (st == TIPC_OK) {
        check_accepted(&m, &md);
    } else {
        const char *why = tipc_last_error();
        PROMISE(st == TIPC_E_CORRUPT, "rejected with %s, not TIPC_E_CORRUPT: %s",
                tipc_status_name(st), why);
        PROMISE(strncmp(why, "pool '", 6) == 0 && strlen(why) > 10,
                "the rejection sentence does not name the pool: '%s'", why);
    }

    /* What a consumer of a pool of this name does with it (sub_poll). */
    if (memchr(m.pool, '\0', sizeof m.pool) && tipc__check_name(m.pool) == TIPC_OK) {
        static const int64_t shape[] = {480, 640, 3};
        tipc_metadata *mine = NULL;
        if (tipc_metadata_create(&mine, m.pool, TIPC_DTYPE_UINT8, 3, shape, TIPC_BACKEND_NUMPY,
                                 4, NULL) == TIPC_OK) {
            if (st == TIPC_OK) {
                tipc_status cmp = tipc_metadata_compare(mine, &md);
                PROMISE(cmp == TIPC_OK || cmp == TIPC_E_MISMATCH, "compare returned %s: %s",
                        tipc_status_name(cmp), tipc_last_error());
                PROMISE(cmp == TIPC_OK || strstr(tipc_last_error(), m.pool),
                        "the mismatch sentence does not name the pool: %s", tipc_last_error());
            }
            tipc_metadata_destroy(mine);
        }
    }
    dds_stream_free_sample(&m, ops);
    return 0;
}
