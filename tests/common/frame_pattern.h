/* The frame pattern every test producer writes and every test consumer
 * checks (multiprocess and control-plane suites, test processes and helpers).
 *
 * Layout, n = frame_bytes / 8 words (frame_bytes at least 24; bytes past the
 * last whole word are zero):
 *   word 0        frame index k (must equal the index the library reports)
 *   word 1        salt (the writing producer: pool and incarnation apart)
 *   words 2..n-2  fp_word(k, salt, i)
 *   word n-1      FNV-1a 64 of bytes [0, 8*(n-1))
 * A frame mixing bytes of two frames, or holding bytes of a write in
 * progress, fails fp_frame_verify. */
#ifndef TIPC_TEST_FRAME_PATTERN_H
#define TIPC_TEST_FRAME_PATTERN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t fp_mix64(uint64_t x)
{
    x += UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

/* The salt is mixed too, so that salts differing in any bit (pids, small
 * constants) change every word. */
static inline uint64_t fp_word(uint64_t k, uint64_t salt, size_t i)
{
    return fp_mix64(k * UINT64_C(0x100000001B3) ^ fp_mix64(salt) ^ (uint64_t)i);
}

static inline uint64_t fp_fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = UINT64_C(0xCBF29CE484222325);
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001B3);
    }
    return h;
}

static inline void fp_frame_fill(void *buf, size_t size, uint64_t k, uint64_t salt)
{
    unsigned char *b = buf;
    size_t n = size / 8;
    uint64_t w;
    memset(b + 8 * n, 0, size - 8 * n);
    memcpy(b, &k, 8);
    memcpy(b + 8, &salt, 8);
    for (size_t i = 2; i + 1 < n; i++) {
        w = fp_word(k, salt, i);
        memcpy(b + 8 * i, &w, 8);
    }
    w = fp_fnv1a(b, 8 * (n - 1));
    memcpy(b + 8 * (n - 1), &w, 8);
}

/* 0 when @p buf is one whole pattern frame. Its counter and salt are stored
 * in *k and *salt (when not NULL) even when it is torn, for the report. */
static inline int fp_frame_verify(const void *buf, size_t size, uint64_t *k, uint64_t *salt)
{
    const unsigned char *b = buf;
    size_t n = size / 8;
    uint64_t kk, ss, w;
    if (n < 3)
        return -1;
    memcpy(&kk, b, 8);
    memcpy(&ss, b + 8, 8);
    if (k)
        *k = kk;
    if (salt)
        *salt = ss;
    for (size_t i = 2; i + 1 < n; i++) {
        memcpy(&w, b + 8 * i, 8);
        if (w != fp_word(kk, ss, i))
            return -1;
    }
    memcpy(&w, b + 8 * (n - 1), 8);
    return w == fp_fnv1a(b, 8 * (n - 1)) ? 0 : -1;
}

/* Whether every byte of @p buf is @p byte (padding is zero, an untouched
 * destination still holds its poison). */
static inline int fp_all_bytes(const void *buf, size_t size, unsigned char byte)
{
    const unsigned char *b = buf;
    for (size_t i = 0; i < size; i++)
        if (b[i] != byte)
            return 0;
    return 1;
}

#endif
