/* Shared by the control-plane tests (test_control.c) and their helper
 * executable (tipc_ctl_helper.c): metadata specs and the documented name
 * rules (DDS topic, segment), written independently of the library. Frames
 * carry the pattern of tests/common/frame_pattern.h.
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

#include "frame_pattern.h"
#include "mono_clock.h"

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
