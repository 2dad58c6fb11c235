/* Monotonic clock and sleeps for the multiprocess test suites and their
 * helpers: every wait there is a deadline on this clock. */
#ifndef TIPC_TEST_MONO_CLOCK_H
#define TIPC_TEST_MONO_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sleeps the whole time, even when signals interrupt it. */
static inline void mono_sleep_ns(int64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000), (long)(ns % 1000000000) };
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static inline void mono_sleep_ms(int64_t ms) { mono_sleep_ns(ms * 1000000); }

#endif
