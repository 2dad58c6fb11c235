/* Test-side harness of the control-plane tests: tests/common/proc_harness.h
 * with the conventions of tipc_ctl_helper (its argv, the pool names), and
 * answers kept in the child (c->line). */
#ifndef TIPC_CTL_HARNESS_H
#define TIPC_CTL_HARNESS_H

#include <stdint.h>

#include "proc_harness.h"

/* "ctl<pid>/<tag>": unique per test process; tracked for cleanup and for
 * the final /dev/shm check. */
const char *ctl_pool(const char *tag);
/* Track an explicitly named pool (must contain the pid). */
const char *ctl_pool_named(const char *name);

/* Timeouts in ms, multiplied by $CTL_TIME_SCALE (default 1). */
static inline int64_t ctl_ms(int64_t ms) { return ph_scale_ms("CTL_TIME_SCALE", ms); }

/* Start the helper with these arguments (NULL-terminated). */
ph_child *ctl_spawn(const char *what, ...);
/* Start "agent" and wait for nothing (it answers only to commands). */
ph_child *ctl_agent(const char *what);

/* The ph_ line calls, answering into c->line (valid until the next one). */
#define ctl_expect_line(c, timeout_ms, what)                                   \
    ph_expect_line((c), (c)->line, sizeof (c)->line, (timeout_ms), (what))
#define ctl_cmd(c, timeout_ms, ...)                                            \
    ph_request((c), (c)->line, sizeof (c)->line, (timeout_ms), 0, __VA_ARGS__)
#define ctl_cmd_ok(c, timeout_ms, ...)                                         \
    ph_request((c), (c)->line, sizeof (c)->line, (timeout_ms), 1, __VA_ARGS__)

#endif
