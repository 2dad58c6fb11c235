/* Test-side harness of the multiprocess tests: tests/common/proc_harness.h
 * with the conventions of tipc_mp_helper (its argv, the pool names). */
#ifndef TIPC_MP_HARNESS_H
#define TIPC_MP_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "mp_common.h"
#include "proc_harness.h"

/* "mp/<tag>-<pid>-p": unique per test process (the "-p" ends the pid, so no
 * name is a prefix of another); tracked for cleanup and ph_finish. */
void mp_pool_name(char *out, size_t cap, const char *tag);

/* Timings are multiplied by this (env MP_TIME_SCALE, default 1; the
 * sanitizer build sets nothing: the defaults are already generous). */
static inline int64_t mp_ms(int64_t ms) { return ph_scale_ms("MP_TIME_SCALE", ms); }

/* Start the helper: argv[1] is the helper command (producer, consumer, ...),
 * the pool, history_len, frame_bytes and extra args follow. NULL-terminated. */
ph_child *mp_spawn(const char *what, const char *cmd, const char *pool, uint32_t hist,
                   size_t frame_bytes, ...);

/* A test-process producer of the standard pattern. */
struct tipc_producer;
tipc_status mp_put(struct tipc_producer *p, size_t frame_bytes, uint64_t *out_index,
                   int64_t *elapsed_ns);

#endif
