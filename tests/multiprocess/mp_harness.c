#include "mp_harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef TIPC_MP_HELPER
#error "TIPC_MP_HELPER (path of tipc_mp_helper) must be defined"
#endif

/* The library's own name for the segment, e.g. "/tipc.a.b" -> "tipc.a.b";
 * the documented layout if the library does not give one. */
static void segment_prefix(const char *pool, char *out, size_t cap)
{
    tipc_metadata *md = NULL;
    out[0] = '\0';
    if (mp_metadata(&md, pool, 1, 64) == TIPC_OK) {
        const char *n = tipc_metadata_shm_name(md);
        if (n) {
            while (*n == '/')
                n++;
            snprintf(out, cap, "%s", n);
        }
    }
    tipc_metadata_destroy(md);
    if (!out[0]) {
        snprintf(out, cap, "tipc.%s", pool);
        for (char *p = out; *p; p++)
            if (*p == '/')
                *p = '.';
    }
}

void mp_pool_name(char *out, size_t cap, const char *tag)
{
    char prefix[256];
    snprintf(out, cap, "mp/%s-%ld-p", tag, (long)getpid());
    segment_prefix(out, prefix, sizeof prefix);
    /* every name starting with the prefix: the "-p" makes it unambiguous */
    ph_track_pool(out, prefix, 0);
}

ph_child *mp_spawn(const char *what, const char *cmd, const char *pool, uint32_t hist,
                   size_t frame_bytes, ...)
{
    char hs[16], fs[24];
    snprintf(hs, sizeof hs, "%u", hist);
    snprintf(fs, sizeof fs, "%zu", frame_bytes);
    const char *head[] = { TIPC_MP_HELPER, cmd, pool, hs, fs };
    va_list ap;
    va_start(ap, frame_bytes);
    ph_child *c = ph_vspawn(what, head, 5, ap);
    va_end(ap);
    return c;
}

tipc_status mp_put(struct tipc_producer *p, size_t frame_bytes, uint64_t *out_index,
                   int64_t *elapsed_ns)
{
    static unsigned char *buf;
    static size_t cap;
    if (cap < frame_bytes) {
        free(buf);
        buf = malloc(frame_bytes);
        cap = buf ? frame_bytes : 0;
        if (!buf)
            return TIPC_E_NOMEM;
    }
    uint64_t k = tipc_producer_frames_written(p);
    fp_frame_fill(buf, frame_bytes, k, (uint64_t)getpid());
    int64_t t0 = mono_ns();
    tipc_status st = tipc_producer_put(p, buf, frame_bytes, out_index);
    if (elapsed_ns)
        *elapsed_ns = mono_ns() - t0;
    return st;
}
