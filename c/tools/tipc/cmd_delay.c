/* cmd_delay.c - `tipc delay`: age of each frame when seen, like `ros2 topic delay`. */
#include "monitor.h"

#include <math.h>
#include <stdlib.h>

static const char delay_help[] =
    "Usage: tipc delay POOL [--window N] [--count K] [--wait S] [--json]\n"
    "\n"
    "Measure the delay between each frame's stamp (the producer's commit time,\n"
    "CLOCK_REALTIME, or the stamp a producer gave with tipc_producer_commit_at)\n"
    "and the moment this reader, blocked in wait, sees it, like\n"
    "'ros2 topic delay' (which uses header.stamp). Once per second it prints\n"
    "the mean, minimum, maximum and standard deviation over a sliding window of\n"
    "the last N frames seen. Frames published faster than this reader wakes\n"
    "are not seen, and do not count.\n"
    "\n"
    "Options:\n"
    "  --window N   sliding window of N frames (default 10000, like ros2 topic delay)\n"
    "  --count K    stop after K reports (default: run until Ctrl-C); a second\n"
    "               with no new frame prints \"no new frames\" and counts too\n"
    "  --wait S     wait up to S seconds for the pool to be announced\n"
    "               (default 1; -1 = forever)\n"
    "  --json       one JSON object per report and line: pool, mean_s, min_s,\n"
    "               max_s, std_dev_s, window, new_frames (statistics null\n"
    "               while no frame was seen)\n"
    "  --domain N   DDS domain id (global option)\n"
    "  -h, --help   show this help\n";

struct delay {
    const char *name;
    int json;
    int64_t *ring; /* delays in ns */
    size_t cap, head, len;
};

static void delay_frame(void *user, const tipc_frame_info *fi, int64_t seen_ns)
{
    struct delay *d = user;
    if (d->len == d->cap) {
        d->head = (d->head + 1) % d->cap;
        d->len--;
    }
    d->ring[(d->head + d->len) % d->cap] = seen_ns - fi->timestamp_ns;
    d->len++;
}

static void delay_reset(void *user)
{
    struct delay *d = user;
    d->head = d->len = 0;
}

static void delay_report(void *user, uint64_t fresh)
{
    struct delay *d = user;
    double mean = 0, mn = INFINITY, mx = -INFINITY, var = 0;
    for (size_t i = 0; i < d->len; i++) {
        double x = (double)d->ring[(d->head + i) % d->cap] / 1e9;
        mean += x;
        mn = x < mn ? x : mn;
        mx = x > mx ? x : mx;
    }
    if (d->len)
        mean /= (double)d->len;
    for (size_t i = 0; i < d->len; i++) {
        double x = (double)d->ring[(d->head + i) % d->cap] / 1e9 - mean;
        var += x * x;
    }
    double sd = d->len ? sqrt(var / (double)d->len) : 0;
    int have = fresh > 0 && d->len > 0;
    if (d->json) {
        fputs("{\"pool\": ", stdout);
        cli_json_string(stdout, d->name);
        if (have)
            printf(", \"mean_s\": %.9f, \"min_s\": %.9f, \"max_s\": %.9f, \"std_dev_s\": %.9f",
                   mean, mn, mx, sd);
        else
            fputs(", \"mean_s\": null, \"min_s\": null, \"max_s\": null, \"std_dev_s\": null",
                  stdout);
        printf(", \"window\": %zu, \"new_frames\": %llu}\n", d->len, (unsigned long long)fresh);
    } else if (!have) {
        printf("no new frames\n");
    } else {
        printf("average delay: %.6f\n\tmin: %.6fs max: %.6fs std dev: %.6fs window: %zu\n", mean,
               mn, mx, sd, d->len);
    }
}

int cli_cmd_delay(struct cli *g, int argc, char **argv)
{
    struct cli_monitor_args a = {.window = 10000, .wait_s = CLI_DEFAULT_WAIT_S};
    tipc_consumer *con;
    int rc = cli_monitor_open(g, "delay", delay_help, 1, argc, argv, &a, &con);
    if (rc || !con)
        return rc;
    struct delay d = {a.name, a.json, calloc((size_t)a.window, sizeof(int64_t)), (size_t)a.window,
                      0, 0};
    if (!d.ring) {
        tipc_consumer_destroy(con);
        return cli_fail("out of memory for a window of %llu frames", (unsigned long long)a.window);
    }
    static const struct cli_monitor_ops ops = {delay_frame, delay_report, delay_reset};
    rc = cli_monitor_run(con, "delay", a.name, a.count, &ops, &d);
    free(d.ring);
    tipc_consumer_destroy(con);
    return rc;
}
