/* cmd_bw.c - `tipc bw`: bandwidth of a pool, like `ros2 topic bw`. */
#include "monitor.h"

static const char bw_help[] =
    "Usage: tipc bw POOL [--window N] [--count K] [--wait S] [--json]\n"
    "\n"
    "Measure the bytes per second published into POOL, like 'ros2 topic bw'.\n"
    "Once per second it prints the average bandwidth over a sliding window of\n"
    "the last N frames: the frame rate (as 'tipc hz' measures it: frames counted\n"
    "by index, timed by the producer's commit stamps) times the frame size,\n"
    "which is fixed for a pool.\n"
    "\n"
    "Units are decimal (1 KB = 1000 B), as in ros2 topic bw.\n"
    "\n"
    "Options:\n"
    "  --window N   sliding window of N frames (default 100, like ros2 topic bw)\n"
    "  --count K    stop after K reports (default: run until Ctrl-C); a second\n"
    "               with no new frame prints \"no new frames\" and counts too\n"
    "  --wait S     wait up to S seconds for the pool to be announced\n"
    "               (default 1; -1 = forever)\n"
    "  --json       one JSON object per report and line: pool, bytes_per_s,\n"
    "               frame_bytes, rate (Hz), window, missed, new_frames\n"
    "               (bytes_per_s and rate null while fewer than two frames came)\n"
    "  --domain N   DDS domain id (global option)\n"
    "  -h, --help   show this help\n";

struct bw {
    const char *name;
    int json;
    size_t frame_bytes;
    struct cli_rate_window w;
};

static void bw_frame(void *user, const tipc_frame_info *fi, int64_t seen_ns)
{
    (void)seen_ns;
    cli_rate_window_frame(&((struct bw *)user)->w, fi);
}

static void bw_reset(void *user) { cli_rate_window_reset(&((struct bw *)user)->w); }

/* "12.34 MB" style, decimal units. */
static void human_bytes(char *buf, size_t size, double b)
{
    static const char *unit[] = {"B", "KB", "MB", "GB", "TB"};
    int u = 0;
    while (b >= 1000.0 && u < 4) {
        b /= 1000.0;
        u++;
    }
    snprintf(buf, size, "%.2f %s", b, unit[u]);
}

static void bw_report(void *user, uint64_t fresh)
{
    struct bw *b = user;
    struct cli_rate_stats s;
    int have = fresh > 0 && cli_rate_window_stats(&b->w, &s) == 0;
    double bps = have ? s.rate * (double)b->frame_bytes : 0;
    if (b->json) {
        fputs("{\"pool\": ", stdout);
        cli_json_string(stdout, b->name);
        if (have)
            printf(", \"bytes_per_s\": %.3f, \"frame_bytes\": %zu, \"rate\": %.6f", bps,
                   b->frame_bytes, s.rate);
        else
            printf(", \"bytes_per_s\": null, \"frame_bytes\": %zu, \"rate\": null", b->frame_bytes);
        printf(", \"window\": %llu, \"missed\": %llu, \"new_frames\": %llu}\n",
               (unsigned long long)b->w.frames, (unsigned long long)b->w.missed,
               (unsigned long long)fresh);
    } else if (fresh == 0) {
        printf("no new frames\n");
    } else if (!have) {
        printf("waiting for a second frame\n");
    } else {
        char avg[32], fb[32];
        human_bytes(avg, sizeof avg, bps);
        human_bytes(fb, sizeof fb, (double)b->frame_bytes);
        printf("average: %s/s\n\tframe: %zu B", avg, b->frame_bytes);
        if (b->frame_bytes >= 1000)
            printf(" (%s)", fb);
        printf("  rate: %.3f Hz  window: %llu  missed: %llu\n", s.rate,
               (unsigned long long)s.frames, (unsigned long long)s.missed);
    }
}

int cli_cmd_bw(struct cli *g, int argc, char **argv)
{
    struct cli_monitor_args a = {.window = 100, .wait_s = CLI_DEFAULT_WAIT_S};
    tipc_consumer *con;
    int rc = cli_monitor_open(g, "bw", bw_help, 2, argc, argv, &a, &con);
    if (rc || !con)
        return rc;
    struct bw b = {a.name, a.json, tipc_metadata_frame_bytes(tipc_consumer_metadata(con)), {0}};
    if (cli_rate_window_init(&b.w, a.window)) {
        tipc_consumer_destroy(con);
        return cli_fail("out of memory for a window of %llu frames", (unsigned long long)a.window);
    }
    static const struct cli_monitor_ops ops = {bw_frame, bw_report, bw_reset};
    rc = cli_monitor_run(con, "bw", a.name, a.count, &ops, &b);
    cli_rate_window_free(&b.w);
    tipc_consumer_destroy(con);
    return rc;
}
