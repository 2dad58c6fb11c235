/* Shared by the control-plane tests (test_control.c) and their helper
 * executable (tipc_ctl_helper.c): the frame pattern, metadata specs and the
 * DDS topic-name rule, written independently of the library.
 *
 * Frame pattern (frame_bytes a multiple of 8, at least 24):
 *   word 0        frame index k
 *   word 1        salt: identifies the pool and the producer incarnation
 *   words 2..n-2  ctl_word(k, salt, i)
 *   word n-1      FNV-1a 64 of bytes [0, 8*(n-1))
 *
 * Metadata spec: "<dtype>:<shape>:<backend>:<history_len>", shape "AxBxC"
 * ("-" for a scalar frame), e.g. "float32:3x5x8:torch:3".
 */
#ifndef TIPC_CTL_COMMON_H
#define TIPC_CTL_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline uint64_t ctl_mix64(uint64_t x)
{
    x += UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

static inline uint64_t ctl_word(uint64_t k, uint64_t salt, size_t i)
{
    return ctl_mix64(k * UINT64_C(0x100000001B3) ^ ctl_mix64(salt) ^ (uint64_t)i);
}

static inline uint64_t ctl_fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = UINT64_C(0xCBF29CE484222325);
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001B3);
    }
    return h;
}

static inline void ctl_frame_fill(void *buf, size_t size, uint64_t k, uint64_t salt)
{
    unsigned char *b = buf;
    size_t n = size / 8;
    uint64_t w;
    memset(b, 0, size);
    memcpy(b, &k, 8);
    memcpy(b + 8, &salt, 8);
    for (size_t i = 2; i + 1 < n; i++) {
        w = ctl_word(k, salt, i);
        memcpy(b + 8 * i, &w, 8);
    }
    w = ctl_fnv1a(b, 8 * (n - 1));
    memcpy(b + 8 * (n - 1), &w, 8);
}

/* 0 when @p buf is one whole pattern frame; *k and *salt receive its words. */
static inline int ctl_frame_verify(const void *buf, size_t size, uint64_t *k, uint64_t *salt)
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
        if (w != ctl_word(kk, ss, i))
            return -1;
    }
    memcpy(&w, b + 8 * (n - 1), 8);
    return w == ctl_fnv1a(b, 8 * (n - 1)) ? 0 : -1;
}

static inline int64_t ctl_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void ctl_sleep_ms(int64_t ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* Parse "AxBxC" (or "-" for no dimensions) into @p shape; values may be any
 * int64 (the announcer lies on purpose). Returns ndim, or -1. */
static inline int ctl_parse_shape(const char *s, int64_t *shape, int max)
{
    if (!strcmp(s, "-"))
        return 0;
    int n = 0;
    while (*s) {
        char *end;
        long long v = strtoll(s, &end, 10);
        if (end == s || n >= max)
            return -1;
        shape[n++] = v;
        s = end;
        if (*s == 'x')
            s++;
        else if (*s)
            return -1;
    }
    return n;
}

/* The documented topic-name rule (discovery.c): "tensoripc_" + pool with
 * '/' -> "__" and '-' -> '_' + "_" + suffix. */
static inline void ctl_topic_name(char *buf, size_t size, const char *pool, const char *suffix)
{
    size_t n = (size_t)snprintf(buf, size, "tensoripc_");
    for (const char *p = pool; *p && n + 3 < size; p++) {
        if (*p == '/') {
            buf[n++] = '_';
            buf[n++] = '_';
        } else {
            buf[n++] = *p == '-' ? '_' : *p;
        }
    }
    snprintf(buf + n, size - n, "_%s", suffix);
}

/* The documented segment name: "/tipc." + pool with '/' -> '.'. */
static inline void ctl_shm_name(char *buf, size_t size, const char *pool)
{
    size_t n = 0;
    for (const char *p = "/tipc."; *p && n + 1 < size; p++)
        buf[n++] = *p;
    for (const char *p = pool; *p && n + 1 < size; p++)
        buf[n++] = *p == '/' ? '.' : *p;
    if (size)
        buf[n] = '\0';
}

#endif
