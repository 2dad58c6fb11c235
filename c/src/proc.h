/* Process identity and liveness (internal). A pid alone can be recycled, so a
 * process is identified by its pid and its start time (field 22 of
 * /proc/<pid>/stat, in clock ticks since boot). */
#ifndef TIPC_PROC_H
#define TIPC_PROC_H

#include <stdint.h>
#include <sys/types.h>

/* Start time of @p pid; 0 if the process does not exist or is a zombie. */
uint64_t tipc__proc_start_time(pid_t pid);

/* 1 when @p pid is alive (not a zombie) and started at @p start_time. */
int tipc__proc_alive(pid_t pid, uint64_t start_time);

/* Start time of the calling process, cached per process (fork-safe). */
uint64_t tipc__proc_self_start_time(void);

/* A process named for good in one 64-bit word, so shared tables can claim
 * and release entries with a single compare-and-swap: bits 0-21 the pid
 * (Linux caps pids below 2^22), bits 22-62 the start time (41 bits of clock
 * ticks: centuries at 100 Hz), bit 63 left free for the tables' own use.
 * 0 names nobody. */
#define TIPC_PROC_ID_PID_BITS 22
#define TIPC_PROC_ID_MASK (~(UINT64_C(1) << 63))

uint64_t tipc__proc_identity(pid_t pid, uint64_t start_time);
/* The calling process's identity (0 if /proc cannot tell its start time). */
uint64_t tipc__proc_self_identity(void);
/* 1 when the process @p id names is alive (bit 63 ignored). */
int tipc__proc_identity_alive(uint64_t id);
static inline pid_t tipc__proc_identity_pid(uint64_t id)
{
    return (pid_t)(id & ((UINT64_C(1) << TIPC_PROC_ID_PID_BITS) - 1));
}

/* Monotonic clock, nanoseconds. */
int64_t tipc__mono_ns(void);

/* The monotonic deadline @p timeout_ns from now: -1 (never) for a negative
 * timeout, INT64_MAX where the sum would overflow. */
int64_t tipc__deadline_after(int64_t timeout_ns);

#endif
