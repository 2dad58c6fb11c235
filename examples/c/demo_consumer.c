/* demo_consumer: reads the frames demo_producer publishes, blocking on
 * tipc_consumer_wait, checks every byte, and measures the latency from commit
 * to "frame copied out". Run `demo_consumer --help`. */
#define _POSIX_C_SOURCE 200809L
#include "demo_common.h"

static void usage(FILE *to)
{
    fprintf(to,
            "usage: demo_consumer [--pool NAME] [--peer-timeout S]\n"
            "\n"
            "Reads the frames demo_producer publishes into pool NAME (default '%s'),\n"
            "blocking until each new frame, verifies its content, acknowledges it on\n"
            "NAME/ack, and prints frames, MB, rate, latency percentiles and drops\n"
            "(gaps in the frame index) after the producer's last frame.\n"
            "Fails if no producer appears, or no frame arrives, within --peer-timeout\n"
            "seconds (default 5).\n"
            "Exit status: 0 done, 1 failure, 2 bad usage.\n",
            DEMO_DEFAULT_POOL);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted values. */
static int64_t percentile(const int64_t *sorted, size_t n, double p)
{
    size_t rank = (size_t)ceil(p / 100.0 * (double)n);
    return sorted[rank > 0 ? rank - 1 : 0];
}

/* Checks the header and every pattern byte. Returns 1 when the frame is intact. */
static int frame_ok(const uint8_t *frame, size_t bytes, const tipc_frame_info *info,
                    demo_frame_header *h)
{
    memcpy(h, frame, sizeof *h);
    if (h->magic != DEMO_MAGIC || h->counter != info->index || !info->valid)
        return 0;
    for (size_t i = sizeof *h; i < bytes; i++)
        if (frame[i] != demo_pattern(h->counter, i))
            return 0;
    return 1;
}

int main(int argc, char **argv)
{
    const char *pool = DEMO_DEFAULT_POOL;
    double peer_timeout = 5;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if ((v = demo_opt(argc, argv, &i, "--pool"))) {
            pool = v;
        } else if ((v = demo_opt(argc, argv, &i, "--peer-timeout"))) {
            peer_timeout = demo_positive("--peer-timeout", v);
        } else {
            fprintf(stderr, "demo_consumer: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    demo_install_signals();

    int rc = 1, saw_last = 0, connected = 0;
    tipc_metadata *md = NULL, *ack_md = NULL;
    tipc_consumer *cons = NULL;
    tipc_producer *ack = NULL;
    uint8_t *frame = NULL;
    int64_t *latency = NULL;
    size_t n_latency = 0, cap_latency = 0;
    int64_t acked[DEMO_ACK_LEN] = {0, -1, 0, 0};
    int64_t first_ns = 0, last_ns = 0;
    const int64_t slice_ns = 100000000; /* wait in slices so Ctrl-C is noticed */
    const int64_t peer_ns = (int64_t)(peer_timeout * 1e9);

    if (demo_metadata("demo_consumer", pool, &md, &ack_md) != 0)
        goto out;
    const size_t frame_bytes = tipc_metadata_frame_bytes(md);
    if (!(frame = malloc(frame_bytes))) {
        fprintf(stderr, "demo_consumer: out of memory\n");
        goto out;
    }
    if (tipc_consumer_create(&cons, md, NULL) != TIPC_OK ||
        tipc_producer_create(&ack, ack_md, NULL) != TIPC_OK ||
        tipc_producer_put(ack, acked, sizeof acked, NULL) != TIPC_OK) {
        fprintf(stderr, "demo_consumer: %s\n", tipc_last_error());
        goto out;
    }
    printf("demo_consumer: waiting up to %.1f s for demo_producer on pool '%s'\n",
           peer_timeout, pool);
    fflush(stdout);

    /* Deadline for the next frame: the producer's start-up, then any stall. */
    int64_t deadline = demo_mono_ns() + peer_ns;
    while (!saw_last) {
        if (demo_stop) {
            fprintf(stderr, "demo_consumer: interrupted\n");
            goto out;
        }
        int64_t left = deadline - demo_mono_ns();
        if (left <= 0) {
            if (!connected)
                fprintf(stderr, "demo_consumer: no producer for pool '%s' within %.1f s; "
                        "start `demo_producer --pool %s`\n", pool, peer_timeout, pool);
            else
                fprintf(stderr, "demo_consumer: no frame for %.1f s after frame %lld; "
                        "the producer stalled\n", peer_timeout,
                        (long long)acked[ACK_LAST_INDEX]);
            goto out;
        }
        tipc_status st = tipc_consumer_wait(cons, left < slice_ns ? left : slice_ns);
        if (st == TIPC_E_TIMEOUT || st == TIPC_E_NOT_CONNECTED || demo_stop)
            continue; /* the loop's top reports an interruption */
        if (st == TIPC_E_CLOSED && !demo_stop) {
            fprintf(stderr, "demo_consumer: the producer closed or died before its last "
                    "frame (after %lld frames)\n", (long long)acked[ACK_RECEIVED]);
            goto out;
        }
        tipc_frame_info info;
        if (st == TIPC_OK)
            st = tipc_consumer_get(cons, frame, frame_bytes, 1, 0, &info);
        if (st != TIPC_OK) {
            fprintf(stderr, "demo_consumer: %s\n", tipc_last_error());
            goto out;
        }
        /* Latency: commit on the producer to the frame copied out here. */
        const int64_t now = tipc_now_ns();
        if (!connected) {
            connected = 1;
            first_ns = demo_mono_ns();
        }
        last_ns = demo_mono_ns();
        deadline = last_ns + peer_ns;

        demo_frame_header h;
        if (!frame_ok(frame, frame_bytes, &info, &h)) {
            acked[ACK_CORRUPT]++;
            fprintf(stderr, "demo_consumer: frame %llu is corrupt (counter %llu)\n",
                    (unsigned long long)info.index, (unsigned long long)h.counter);
        }
        /* Frames skipped between two reads are drops (the consumer was late). */
        acked[ACK_DROPS] += (int64_t)info.index - (acked[ACK_LAST_INDEX] + 1);
        acked[ACK_LAST_INDEX] = (int64_t)info.index;
        acked[ACK_RECEIVED]++;
        saw_last = (h.flags & DEMO_FLAG_LAST) != 0;

        if (n_latency == cap_latency) {
            size_t cap = cap_latency ? 2 * cap_latency : 1024;
            int64_t *grown = realloc(latency, cap * sizeof *grown);
            if (!grown) {
                fprintf(stderr, "demo_consumer: out of memory\n");
                goto out;
            }
            latency = grown;
            cap_latency = cap;
        }
        latency[n_latency++] = now - info.timestamp_ns;

        if (tipc_producer_put(ack, acked, sizeof acked, NULL) != TIPC_OK) {
            fprintf(stderr, "demo_consumer: acknowledging: %s\n", tipc_last_error());
            goto out;
        }
    }

    /* The producer closes once it has read our last ack; stay until then so it
     * can read it. Either status below means the pool is gone. */
    deadline = demo_mono_ns() + peer_ns;
    for (;;) {
        tipc_status st = tipc_consumer_wait(cons, slice_ns);
        if (st == TIPC_E_CLOSED || st == TIPC_E_NOT_CONNECTED)
            break;
        if (demo_stop) {
            fprintf(stderr, "demo_consumer: interrupted\n");
            goto out;
        }
        if (demo_mono_ns() > deadline) {
            fprintf(stderr, "demo_consumer: the producer did not close the pool within "
                    "%.1f s of its last frame\n", peer_timeout);
            goto out;
        }
        if (st == TIPC_OK) { /* not expected after the last frame: consume it */
            if (tipc_consumer_get(cons, frame, frame_bytes, 1, 0, NULL) != TIPC_OK)
                break;
        }
    }

    qsort(latency, n_latency, sizeof *latency, cmp_i64);
    /* Rate over the intervals between the first and the last frame received. */
    const double secs = (double)(last_ns - first_ns) / 1e9;
    const double fps = secs > 0 ? (double)(acked[ACK_RECEIVED] - 1) / secs : 0.0;
    printf("demo_consumer: received %lld frames, %.1f MB in %.2f s: %.1f frames/s, "
           "%.1f MB/s\n", (long long)acked[ACK_RECEIVED],
           (double)acked[ACK_RECEIVED] * (double)frame_bytes / 1e6, secs, fps,
           fps * (double)frame_bytes / 1e6);
    printf("demo_consumer: latency commit->copied p50 %.1f us, p99 %.1f us, max %.1f us; "
           "drops %lld (index gaps); corrupt %lld\n",
           (double)percentile(latency, n_latency, 50) / 1e3,
           (double)percentile(latency, n_latency, 99) / 1e3,
           (double)latency[n_latency - 1] / 1e3, (long long)acked[ACK_DROPS],
           (long long)acked[ACK_CORRUPT]);
    rc = acked[ACK_CORRUPT] == 0 ? 0 : 1;
out:
    tipc_producer_destroy(ack);
    tipc_consumer_destroy(cons);
    tipc_metadata_destroy(ack_md);
    tipc_metadata_destroy(md);
    free(latency);
    free(frame);
    return rc;
}
