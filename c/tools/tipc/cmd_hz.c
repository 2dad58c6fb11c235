/* cmd_hz.c - `tipc hz`: frame rate of a pool, like `ros2 topic hz`. */
#include "monitor.h"

static const char hz_help[] =
    "Usage: tipc hz POOL [--window N] [--count K] [--wait S] [--json]\n"
    "\n"
    "Measure the rate at which frames are published into POOL, like\n"
    "'ros2 topic hz'. Once per second it prints the average rate, the minimum\n"
    "and maximum interval between frames and their standard deviation (jitter)\n"
    "over a sliding window of the last N frames.\n"
    "\n"
    "Intervals come from the producer's commit timestamps, and frames are counted\n"
    "by their index, so frames this reader did not see (a producer faster than\n"
    "the reader) still count; such a gap contributes its average interval.\n"
    "\"missed\" counts the frames published but not observed individually.\n"
    "\n"
    "Options:\n"
    "  --window N   sliding window of N frames (default 10000)\n"
    "  --count K    stop after K reports (default: run until Ctrl-C); a second\n"
    "               with no new frame prints \"no new frames\" and counts too\n"
    "  --wait S     wait up to S seconds for the pool to be announced\n"
    "               (default 1; -1 = forever)\n"
    "  --json       one JSON object per report and line: pool, rate (Hz),\n"
    "               min_s, max_s, std_dev_s, window, missed, new_frames;\n"
    "               the statistics are null while fewer than two frames came\n"
    "  --domain N   DDS domain id (global option)\n"
    "  -h, --help   show this help\n";

struct hz {
    const char *name;
    int json;
    struct cli_rate_window w;
};

static void hz_frame(void *user, const tipc_frame_info *fi, int64_t seen_ns)
{
    (void)seen_ns;
    cli_rate_window_frame(&((struct hz *)user)->w, fi);
}

static void hz_reset(void *user) { cli_rate_window_reset(&((struct hz *)user)->w); }

static void hz_report(void *user, uint64_t fresh)
{
    struct hz *h = user;
    struct cli_rate_stats s;
    int have = fresh > 0 && cli_rate_window_stats(&h->w, &s) == 0;
    if (h->json) {
        fputs("{\"pool\": ", stdout);
        cli_json_string(stdout, h->name);
        if (have)
            printf(", \"rate\": %.6f, \"min_s\": %.9f, \"max_s\": %.9f, \"std_dev_s\": %.9f"
                   ", \"window\": %llu, \"missed\": %llu",
                   s.rate, s.min_s, s.max_s, s.std_s, (unsigned long long)s.frames,
                   (unsigned long long)s.missed);
        else
            printf(", \"rate\": null, \"min_s\": null, \"max_s\": null, \"std_dev_s\": null"
                   ", \"window\": %llu, \"missed\": %llu",
                   (unsigned long long)h->w.frames, (unsigned long long)h->w.missed);
        printf(", \"new_frames\": %llu}\n", (unsigned long long)fresh);
    } else if (fresh == 0) {
        printf("no new frames\n");
    } else if (!have) {
        printf("waiting for a second frame\n");
    } else {
        printf("average rate: %.3f\n\tmin: %.6fs max: %.6fs std dev: %.6fs window: %llu "
               "missed: %llu\n",
               s.rate, s.min_s, s.max_s, s.std_s, (unsigned long long)s.frames,
               (unsigned long long)s.missed);
    }
}

int cli_cmd_hz(struct cli *g, int argc, char **argv)
{
    struct cli_monitor_args a = {.window = 10000, .wait_s = CLI_DEFAULT_WAIT_S};
    tipc_consumer *con;
    int rc = cli_monitor_open(g, "hz", hz_help, 2, argc, argv, &a, &con);
    if (rc || !con)
        return rc;
    struct hz h = {a.name, a.json, {0}};
    if (cli_rate_window_init(&h.w, a.window)) {
        tipc_consumer_destroy(con);
        return cli_fail("out of memory for a window of %llu frames", (unsigned long long)a.window);
    }
    static const struct cli_monitor_ops ops = {hz_frame, hz_report, hz_reset};
    rc = cli_monitor_run(con, "hz", a.name, a.count, &ops, &h);
    cli_rate_window_free(&h.w);
    tipc_consumer_destroy(con);
    return rc;
}
