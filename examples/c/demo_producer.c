/* demo_producer: publishes 480x640x3 uint8 camera-like frames into a pool at a
 * fixed rate, written in place with loan/commit, for demo_consumer to read.
 * Run `demo_producer --help`. */
#define _POSIX_C_SOURCE 200809L
#include "demo_common.h"

static void usage(FILE *to)
{
    fprintf(to,
            "usage: demo_producer [--pool NAME] [--duration S] [--rate HZ] [--peer-timeout S]\n"
            "\n"
            "Publishes %dx%dx%d uint8 frames into pool NAME (default '%s') with\n"
            "loan/commit, each carrying a counter, a timestamp and a checkable pattern.\n"
            "Waits up to --peer-timeout seconds (default 5) for demo_consumer, which\n"
            "answers on NAME/ack, then publishes for --duration seconds (default 5) at\n"
            "--rate frames per second (default 60), waits for the consumer to see the\n"
            "last frame, closes the pool and prints what it sent.\n"
            "Exit status: 0 done, 1 failure (e.g. no consumer in time), 2 bad usage.\n",
            DEMO_HEIGHT, DEMO_WIDTH, DEMO_CHANNELS, DEMO_DEFAULT_POOL);
}

/* Reads the consumer's newest acknowledgement. Returns the tipc status. */
static tipc_status read_ack(tipc_consumer *ack, int64_t out[DEMO_ACK_LEN])
{
    return tipc_consumer_get(ack, out, DEMO_ACK_LEN * sizeof(int64_t), 1, 0, NULL);
}

/* Waits until the consumer's newest ack satisfies last_index >= @p want_index
 * (want_index < 0: any ack at all). Returns 0, or -1 after printing why not. */
static int wait_for_ack(tipc_consumer *ack, int64_t want_index, double timeout_s,
                        const char *pool, int64_t out[DEMO_ACK_LEN])
{
    const int64_t deadline = demo_mono_ns() + (int64_t)(timeout_s * 1e9);
    for (;;) {
        tipc_status st = read_ack(ack, out);
        if (st == TIPC_OK && out[ACK_LAST_INDEX] >= want_index)
            return 0;
        if (demo_stop) {
            fprintf(stderr, "demo_producer: interrupted\n");
            return -1;
        }
        int64_t left = deadline - demo_mono_ns();
        if (left <= 0)
            break;
        /* Short slices so Ctrl-C is noticed; the wake-up itself is a futex. */
        st = tipc_consumer_wait(ack, left < 100000000 ? left : 100000000);
        if (st != TIPC_OK && st != TIPC_E_TIMEOUT && st != TIPC_E_NOT_CONNECTED &&
            st != TIPC_E_CLOSED) {
            fprintf(stderr, "demo_producer: reading the consumer's acks: %s\n",
                    tipc_last_error());
            return -1;
        }
    }
    if (want_index < 0)
        fprintf(stderr,
                "demo_producer: no consumer: pool '%s/ack' did not appear within %.1f s; "
                "start `demo_consumer --pool %s`\n",
                pool, timeout_s, pool);
    else
        fprintf(stderr,
                "demo_producer: the consumer did not acknowledge frame %lld within %.1f s "
                "(it stopped or died)\n",
                (long long)want_index, timeout_s);
    return -1;
}

int main(int argc, char **argv)
{
    const char *pool = DEMO_DEFAULT_POOL;
    double duration = 5, rate = 60, peer_timeout = 5;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if ((v = demo_opt(argc, argv, &i, "--pool"))) {
            pool = v;
        } else if ((v = demo_opt(argc, argv, &i, "--duration"))) {
            duration = demo_positive("--duration", v);
        } else if ((v = demo_opt(argc, argv, &i, "--rate"))) {
            rate = demo_positive("--rate", v);
        } else if ((v = demo_opt(argc, argv, &i, "--peer-timeout"))) {
            peer_timeout = demo_positive("--peer-timeout", v);
        } else {
            fprintf(stderr, "demo_producer: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    demo_install_signals();

    int rc = 1;
    tipc_metadata *md = NULL, *ack_md = NULL;
    tipc_producer *prod = NULL;
    tipc_consumer *ack = NULL;
    int64_t acked[DEMO_ACK_LEN] = {0};
    if (demo_metadata("demo_producer", pool, &md, &ack_md) != 0)
        goto out;
    if (tipc_producer_create(&prod, md, NULL) != TIPC_OK ||
        tipc_consumer_create(&ack, ack_md, NULL) != TIPC_OK) {
        fprintf(stderr, "demo_producer: %s\n", tipc_last_error());
        goto out;
    }
    const size_t frame_bytes = tipc_metadata_frame_bytes(md);
    printf("demo_producer: pool '%s' ready (%zu bytes a frame); waiting up to %.1f s "
           "for demo_consumer\n", pool, frame_bytes, peer_timeout);
    fflush(stdout);
    if (wait_for_ack(ack, -1, peer_timeout, pool, acked) != 0)
        goto out;

    /* Absolute deadlines on the monotonic clock: pacing does not drift, and a
     * late frame is counted instead of shifting all later ones. */
    const double frames_d = ceil(duration * rate);
    const uint64_t total = frames_d < 1 ? 1 : (uint64_t)frames_d;
    const int64_t period_ns = (int64_t)(1e9 / rate);
    const int64_t t0 = demo_mono_ns();
    uint64_t late = 0, last_index = 0;
    for (uint64_t n = 0; n < total; n++) {
        const int64_t due = t0 + (int64_t)n * period_ns;
        struct timespec ts = {(time_t)(due / 1000000000), (long)(due % 1000000000)};
        while (!demo_stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            ;
        if (demo_stop) {
            fprintf(stderr, "demo_producer: interrupted after %llu frames\n",
                    (unsigned long long)n);
            goto out;
        }
        if (demo_mono_ns() - due > period_ns)
            late++;

        void *slot = NULL;
        if (tipc_producer_loan(prod, &slot, NULL) != TIPC_OK) {
            fprintf(stderr, "demo_producer: loan of frame %llu: %s\n", (unsigned long long)n,
                    tipc_last_error());
            goto out;
        }
        uint8_t *bytes = slot;
        for (size_t i = sizeof(demo_frame_header); i < frame_bytes; i++)
            bytes[i] = demo_pattern(n, i);
        demo_frame_header h = {DEMO_MAGIC, n, tipc_now_ns(), n + 1 == total ? DEMO_FLAG_LAST : 0};
        memcpy(bytes, &h, sizeof h);
        if (tipc_producer_commit(prod, &last_index) != TIPC_OK) {
            fprintf(stderr, "demo_producer: commit of frame %llu: %s\n", (unsigned long long)n,
                    tipc_last_error());
            goto out;
        }
        if (last_index != n) {
            fprintf(stderr, "demo_producer: frame %llu was published as index %llu\n",
                    (unsigned long long)n, (unsigned long long)last_index);
            goto out;
        }
    }
    const double elapsed_s = (double)(demo_mono_ns() - t0) / 1e9;

    /* Close only once the consumer has seen the last frame; closing earlier
     * could take it away before it is read. */
    if (wait_for_ack(ack, (int64_t)last_index, peer_timeout, pool, acked) != 0)
        goto out;

    /* Rate over the intervals between the first and the last frame, as the
     * consumer measures it. */
    const double fps = total > 1 && elapsed_s > 0 ? (double)(total - 1) / elapsed_s : 0.0;
    printf("demo_producer: sent %llu frames, %.1f MB in %.2f s: %.1f frames/s, %.1f MB/s; "
           "%llu late ticks\n",
           (unsigned long long)total, (double)total * (double)frame_bytes / 1e6, elapsed_s,
           fps, fps * (double)frame_bytes / 1e6, (unsigned long long)late);
    printf("demo_producer: consumer acknowledged %lld frames, %lld dropped, %lld corrupt\n",
           (long long)acked[ACK_RECEIVED], (long long)acked[ACK_DROPS],
           (long long)acked[ACK_CORRUPT]);
    rc = acked[ACK_CORRUPT] == 0 ? 0 : 1;
out:
    tipc_producer_destroy(prod); /* wakes the consumer with TIPC_E_CLOSED */
    tipc_consumer_destroy(ack);
    tipc_metadata_destroy(ack_md);
    tipc_metadata_destroy(md);
    return rc;
}
