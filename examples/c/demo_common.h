/* Shared by demo_producer.c and demo_consumer.c: the frame layout, the
 * acknowledgement pool, option parsing and clocks. Not part of the library. */
#ifndef TIPC_DEMO_COMMON_H
#define TIPC_DEMO_COMMON_H

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tensor_ipc.h>

#define DEMO_DEFAULT_POOL "demo/camera"
#define DEMO_HEIGHT 480
#define DEMO_WIDTH 640
#define DEMO_CHANNELS 3
#define DEMO_HISTORY 8

/* Every frame starts with this header; the rest is a byte pattern derived from
 * the counter, so a torn or stale frame is detected by the consumer. */
#define DEMO_MAGIC UINT64_C(0x544950434652414d) /* "TIPCFRAM" */
#define DEMO_FLAG_LAST 1u
typedef struct demo_frame_header {
    uint64_t magic;
    uint64_t counter;    /* producer's own count; must equal the frame index */
    int64_t written_ns;  /* tipc_now_ns() when the producer started writing */
    uint64_t flags;      /* DEMO_FLAG_LAST on the final frame */
} demo_frame_header;

/* The consumer answers on "<pool>/ack", a pool of DEMO_ACK_LEN int64 values,
 * after every frame. The producer uses it to know that a consumer exists and
 * that it has seen the last frame before the pool is closed. */
enum { ACK_RECEIVED, ACK_LAST_INDEX, ACK_DROPS, ACK_CORRUPT, DEMO_ACK_LEN };
#define DEMO_ACK_HISTORY 4

static inline uint8_t demo_pattern(uint64_t counter, size_t i)
{
    return (uint8_t)(counter + i);
}

static inline int64_t demo_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Set by SIGINT/SIGTERM so both programs close their pools on Ctrl-C. */
static volatile sig_atomic_t demo_stop;

static inline void demo_on_signal(int sig)
{
    (void)sig;
    demo_stop = 1;
}

static inline void demo_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = demo_on_signal; /* no SA_RESTART: sleeps return early */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Accepts "--name value" and "--name=value". Returns the value, or NULL if
 * argv[*i] is not this option. Exits with status 2 on a missing value. */
static inline const char *demo_opt(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    const char *arg = argv[*i];
    if (strncmp(arg, name, n) != 0)
        return NULL;
    if (arg[n] == '=')
        return arg + n + 1;
    if (arg[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        fprintf(stderr, "%s needs a value (see --help)\n", name);
        exit(2);
    }
    return argv[++*i];
}

/* Parses a positive finite number or exits with status 2. */
static inline double demo_positive(const char *name, const char *text)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !isfinite(v) || v <= 0) {
        fprintf(stderr, "%s: '%s' is not a positive number\n", name, text);
        exit(2);
    }
    return v;
}

/* Builds the frame and ack metadata for @p pool. Returns 0, or prints why not. */
static inline int demo_metadata(const char *prog, const char *pool, tipc_metadata **frames,
                                tipc_metadata **ack)
{
    const int64_t shape[3] = {DEMO_HEIGHT, DEMO_WIDTH, DEMO_CHANNELS};
    const int64_t ack_shape[1] = {DEMO_ACK_LEN};
    char ack_name[TIPC_NAME_MAX + 16];
    snprintf(ack_name, sizeof ack_name, "%s/ack", pool);
    if (tipc_metadata_create(frames, pool, TIPC_DTYPE_UINT8, 3, shape, TIPC_BACKEND_NUMPY,
                             DEMO_HISTORY, NULL) != TIPC_OK ||
        tipc_metadata_create(ack, ack_name, TIPC_DTYPE_INT64, 1, ack_shape,
                             TIPC_BACKEND_NUMPY, DEMO_ACK_HISTORY, NULL) != TIPC_OK) {
        fprintf(stderr, "%s: bad pool name '%s': %s\n", prog, pool, tipc_last_error());
        tipc_metadata_destroy(*frames);
        *frames = NULL;
        return -1;
    }
    return 0;
}

#endif /* TIPC_DEMO_COMMON_H */
