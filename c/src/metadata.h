/* Pool metadata (internal layout). */
#ifndef TIPC_METADATA_H
#define TIPC_METADATA_H

#include "tensor_ipc.h"

#define TIPC_DEVICE_MAX 15
/* "/tipc." + name: NAME_MAX + 7 bytes with the NUL. */
#define TIPC_SHM_NAME_MAX (TIPC_NAME_MAX + 8)

struct tipc_metadata {
    char name[TIPC_NAME_MAX + 1];
    char device[TIPC_DEVICE_MAX + 1];
    char shm_name[TIPC_SHM_NAME_MAX];
    tipc_dtype dtype;
    tipc_backend backend;
    uint32_t ndim;
    uint32_t history_len;
    int64_t shape[TIPC_MAX_DIMS];
    size_t element_size;
    size_t frame_bytes;
    size_t total_bytes;
    int64_t creator_pid;
    size_t payload_size;
    unsigned char payload[TIPC_PAYLOAD_MAX];
    /* Where an announcement came from (empty otherwise): the identity of
     * the producer's /dev/shm (remote.h) and its hostname, for display. */
    char host_id[33];
    char hostname[64];
};

/* Validate a pool name; on error the sentence says why. */
tipc_status tipc__check_name(const char *name);

/* The segment name of pool @p name ("/tipc." + name, '/' as '.'). */
void tipc__shm_name(char *buf, size_t size, const char *name);

/* Validate every field and derive the sizes; used by create and by readers of
 * untrusted copies (segment headers, DDS samples). */
tipc_status tipc__metadata_finish(struct tipc_metadata *md);

/* "(480,640,3)" into buf. */
void tipc__format_shape(char *buf, size_t size, uint32_t ndim, const int64_t *shape);

#endif
