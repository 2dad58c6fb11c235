#include "proc.h"

#include "tensor_ipc.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t tipc__proc_start_time(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* The command name may hold spaces and ')': fields restart after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return 0;
    p += 2;
    char state = *p;
    if (state == 'Z' || state == 'X' || state == 'x')
        return 0;
    /* p is at field 3 (state); start time is field 22. */
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (!p)
            return 0;
        p++;
    }
    return strtoull(p, NULL, 10);
}

int tipc__proc_alive(pid_t pid, uint64_t start_time)
{
    if (pid <= 0)
        return 0;
    uint64_t t = tipc__proc_start_time(pid);
    return t != 0 && t == start_time;
}

static _Atomic pid_t cached_pid;
static _Atomic uint64_t cached_start;

uint64_t tipc__proc_self_start_time(void)
{
    pid_t self = getpid();
    if (atomic_load(&cached_pid) == self)
        return atomic_load(&cached_start);
    uint64_t t = tipc__proc_start_time(self);
    atomic_store(&cached_start, t);
    atomic_store(&cached_pid, self);
    return t;
}

uint64_t tipc__proc_identity(pid_t pid, uint64_t start_time)
{
    if (pid <= 0 || (uint64_t)pid >> TIPC_PROC_ID_PID_BITS || start_time == 0)
        return 0;
    return ((start_time << TIPC_PROC_ID_PID_BITS) & TIPC_PROC_ID_MASK) | (uint64_t)pid;
}

uint64_t tipc__proc_self_identity(void)
{
    return tipc__proc_identity(getpid(), tipc__proc_self_start_time());
}

int tipc__proc_identity_alive(uint64_t id)
{
    id &= TIPC_PROC_ID_MASK;
    pid_t pid = tipc__proc_identity_pid(id);
    if (pid <= 0)
        return 0;
    uint64_t start = tipc__proc_start_time(pid);
    return start != 0 && tipc__proc_identity(pid, start) == id;
}

int64_t tipc__mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t tipc__deadline_after(int64_t timeout_ns)
{
    if (timeout_ns < 0)
        return -1;
    int64_t now = tipc__mono_ns();
    return timeout_ns > INT64_MAX - now ? INT64_MAX : now + timeout_ns;
}

int64_t tipc_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
