/* Device memory for torch_cuda pools, through the CUDA driver API loaded at
 * run time (dlopen of libcuda.so.1), so one build runs with and without CUDA.
 * The ring lives in one device allocation shared with CUDA IPC; a process
 * keeps one mapping per pool (an IPC handle opens only once per process and
 * never in the process that made it). */
#ifndef TIPC_CUDA_H
#define TIPC_CUDA_H

#include "tensor_ipc.h"

#include <stdint.h>
#include <sys/types.h>

#define TIPC_CUDA_ALIGN 256 /* frame stride alignment on the device */

/* The backend payload of a torch_cuda pool, as carried in the metadata and
 * the segment header. Never trusted: tipc__cuda_payload_check validates it. */
struct tipc_cuda_payload {
    char magic[8];      /* "TIPCCUDA" */
    uint32_t version;   /* 1 */
    int32_t device;     /* ordinal, as in the pool's "cuda:N" */
    uint64_t bytes;     /* size of the allocation: history_len * stride */
    uint64_t stride;    /* bytes between frames */
    unsigned char handle[64]; /* CUipcMemHandle */
};

/* Parse "cuda:N". */
int tipc__cuda_ordinal(const char *device);

/* Check a payload against the pool it claims to describe. */
tipc_status tipc__cuda_payload_check(const char *pool, const void *payload, size_t size,
                                     int ordinal, uint64_t frame_bytes, uint32_t history_len);

/* Load the driver and check the device; TIPC_E_UNSUPPORTED with
 * "CUDA not available: ..." when it cannot be used. */
tipc_status tipc__cuda_available(const char *pool, int ordinal);

/* Allocate @p bytes on the device and export them; fills @p payload. The
 * allocation is registered under (dev, ino) of the pool's segment. */
tipc_status tipc__cuda_create(const char *pool, int ordinal, uint64_t bytes, uint64_t stride,
                              dev_t dev, ino_t ino, struct tipc_cuda_payload *payload,
                              uint64_t *out_base);

/* Map the allocation described by @p payload (or reuse this process's
 * mapping of the same segment). */
tipc_status tipc__cuda_attach(const char *pool, const struct tipc_cuda_payload *payload,
                              dev_t dev, ino_t ino, uint64_t *out_base);

/* Drop one reference to the mapping of (dev, ino); the last one frees the
 * allocation (producer) or closes the IPC mapping (consumer). */
void tipc__cuda_detach(dev_t dev, ino_t ino);

/* Copy between any two addresses (host or device, unified addressing) and
 * wait until the copy is complete. */
tipc_status tipc__cuda_copy(const char *pool, int ordinal, void *dst, const void *src,
                            size_t bytes);

/* Zero @p bytes at @p dst, host or device memory. */
tipc_status tipc__cuda_zero(const char *pool, int ordinal, void *dst, size_t bytes);

/* Wait for all work in the device's context (a loaned frame's writes). */
tipc_status tipc__cuda_sync(const char *pool, int ordinal);

#endif
