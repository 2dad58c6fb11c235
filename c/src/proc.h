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

/* Monotonic clock, nanoseconds. */
int64_t tipc__mono_ns(void);

#endif
