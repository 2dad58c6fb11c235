/* Helpers shared by the C benchmarks (header-only: each benchmark is one
 * program). */
#ifndef TIPC_BENCH_UTIL_H
#define TIPC_BENCH_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void sleep_ns(int64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static inline int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The CPU's model name from /proc/cpuinfo, for the report's header. */
static inline void cpu_model(char *buf, size_t n)
{
    snprintf(buf, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *colon = strchr(line, ':');
            if (colon) {
                colon++;
                while (*colon == ' ')
                    colon++;
                colon[strcspn(colon, "\n")] = '\0';
                snprintf(buf, n, "%s", colon);
            }
            break;
        }
    }
    fclose(f);
}

/* Count (and remove) the entries of /dev/shm whose name holds @p tag: a run's
 * pools carry it, so anything found is a leak of that run. */
static inline int check_leftovers_tagged(const char *program, const char *tag)
{
    int found = 0;
    DIR *d = opendir("/dev/shm");
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strstr(e->d_name, tag)) {
            char path[300];
            fprintf(stderr, "%s: LEAK: /dev/shm/%s left behind (removed now)\n", program,
                    e->d_name);
            snprintf(path, sizeof path, "/dev/shm/%s", e->d_name);
            unlink(path);
            found++;
        }
    }
    closedir(d);
    return found;
}

#endif
