/* Shared by the multiprocess tests and their helper executable: the frame
 * pattern every producer writes and every consumer checks, plus small
 * utilities (clocks, metadata of the test pools).
 *
 * Frame layout (frame_bytes is a multiple of 8, at least 32):
 *   word 0        frame counter k (must equal the frame's index)
 *   word 1        salt (the writing producer's pid: tells incarnations apart)
 *   words 2..n-2  mp_word(k, salt, i)
 *   word n-1      FNV-1a 64 of bytes [0, 8*(n-1))
 * A frame mixing bytes of two different frames, or with bytes of a write in
 * progress (e.g. the 0xEE half of an abandoned loan), fails mp_frame_verify.
 */
#ifndef TIPC_MP_COMMON_H
#define TIPC_MP_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "tensor_ipc.h"

#define MP_TORN_BYTE 0xEE

static inline uint64_t mp_mix64(uint64_t x)
{
    x += UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

static inline uint64_t mp_word(uint64_t k, uint64_t salt, size_t i)
{
    return mp_mix64(k * UINT64_C(0x100000001B3) ^ (salt << 20) ^ (uint64_t)i);
}

static inline uint64_t mp_fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = UINT64_C(0xCBF29CE484222325);
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001B3);
    }
    return h;
}

static inline void mp_frame_fill(void *buf, size_t size, uint64_t k, uint64_t salt)
{
    unsigned char *b = buf;
    size_t n = size / 8;
    uint64_t w;
    memcpy(b, &k, 8);
    memcpy(b + 8, &salt, 8);
    for (size_t i = 2; i + 1 < n; i++) {
        w = mp_word(k, salt, i);
        memcpy(b + 8 * i, &w, 8);
    }
    w = mp_fnv1a(b, 8 * (n - 1));
    memcpy(b + 8 * (n - 1), &w, 8);
}

/* 0 when @p buf is one whole frame of the pattern; its counter and salt are
 * stored in *k and *salt (when not NULL) even when it is torn. */
static inline int mp_frame_verify(const void *buf, size_t size, uint64_t *k, uint64_t *salt)
{
    const unsigned char *b = buf;
    size_t n = size / 8;
    uint64_t kk, ss, w;
    memcpy(&kk, b, 8);
    memcpy(&ss, b + 8, 8);
    if (k)
        *k = kk;
    if (salt)
        *salt = ss;
    for (size_t i = 2; i + 1 < n; i++) {
        memcpy(&w, b + 8 * i, 8);
        if (w != mp_word(kk, ss, i))
            return -1;
    }
    memcpy(&w, b + 8 * (n - 1), 8);
    return w == mp_fnv1a(b, 8 * (n - 1)) ? 0 : -1;
}

static inline int mp_all_zero(const void *buf, size_t size)
{
    const unsigned char *b = buf;
    for (size_t i = 0; i < size; i++)
        if (b[i])
            return 0;
    return 1;
}

static inline int64_t mp_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void mp_sleep_ns(int64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000), (long)(ns % 1000000000) };
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* The test pools: uint8 frames of @p frame_bytes, numpy backend, cpu. */
static inline tipc_status mp_metadata(tipc_metadata **out, const char *pool,
                                      uint32_t history_len, size_t frame_bytes)
{
    int64_t shape[1] = { (int64_t)frame_bytes };
    return tipc_metadata_create(out, pool, TIPC_DTYPE_UINT8, 1, shape, TIPC_BACKEND_NUMPY,
                                history_len, "cpu");
}

#endif
