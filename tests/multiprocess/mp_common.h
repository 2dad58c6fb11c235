/* Shared by the multiprocess tests and their helper executable: the metadata
 * of the test pools and the byte of a write in progress. Frames carry the
 * pattern of tests/common/frame_pattern.h; a frame holding bytes of a write
 * in progress (e.g. the MP_TORN_BYTE half of an abandoned loan) fails
 * fp_frame_verify. */
#ifndef TIPC_MP_COMMON_H
#define TIPC_MP_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "frame_pattern.h"
#include "mono_clock.h"
#include "tensor_ipc.h"

#define MP_TORN_BYTE 0xEE

/* The test pools: uint8 frames of @p frame_bytes, numpy backend, cpu. */
static inline tipc_status mp_metadata(tipc_metadata **out, const char *pool,
                                      uint32_t history_len, size_t frame_bytes)
{
    int64_t shape[1] = { (int64_t)frame_bytes };
    return tipc_metadata_create(out, pool, TIPC_DTYPE_UINT8, 1, shape, TIPC_BACKEND_NUMPY,
                                history_len, "cpu");
}

#endif
