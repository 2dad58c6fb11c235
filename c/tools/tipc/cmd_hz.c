/* cmd_hz.c - `tipc hz`: frame rate of a pool, like `ros2 topic hz`. */
#include "tipc_cli.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

enum { OPT_WINDOW = 0x200, OPT_COUNT, OPT_WAIT, OPT_JSON };

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
    static const struct option opts[] = {
        {"window", required_argument, NULL, OPT_WINDOW},
        {"count", required_argument, NULL, OPT_COUNT},
        {"wait", required_argument, NULL, OPT_WAIT},
        {"json", no_argument, NULL, OPT_JSON},
        {"domain", required_argument, NULL, CLI_OPT_DOMAIN},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t window = 10000, count = 0;
    double wait_s = CLI_DEFAULT_WAIT_S;
    int json = 0, c, rc;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_WINDOW:
            if (cli_parse_u64(optarg, 2, 10000000, &window))
                return cli_usage("hz", "--window needs an integer in 2..10000000, got '%s'", optarg);
            break;
        case OPT_COUNT:
            if (cli_parse_u64(optarg, 1, UINT64_MAX, &count))
                return cli_usage("hz", "--count needs a positive integer, got '%s'", optarg);
            break;
        case OPT_WAIT:
            if (cli_parse_double(optarg, -1, 1e9, &wait_s) || (wait_s < 0 && wait_s != -1))
                return cli_usage("hz", "--wait needs seconds >= 0, or -1, got '%s'", optarg);
            break;
        case OPT_JSON: json = 1; break;
        case CLI_OPT_DOMAIN:
            if ((rc = cli_set_domain(g, "hz", optarg)))
                return rc;
            break;
        case 'h': fputs(hz_help, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error("hz", c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage("hz", "missing pool name");
    if (optind + 1 < argc)
        return cli_usage("hz", "unexpected argument '%s'", argv[optind + 1]);
    const char *name = argv[optind];

    cli_install_signals();
    tipc_consumer *con;
    if ((rc = cli_follow_pool(g, name, wait_s, &con)) || !con)
        return rc;
    struct hz h = {name, json, {0}};
    if (cli_rate_window_init(&h.w, window)) {
        tipc_consumer_destroy(con);
        return cli_fail("out of memory for a window of %llu frames", (unsigned long long)window);
    }
    static const struct cli_monitor_ops ops = {hz_frame, hz_report, hz_reset};
    rc = cli_monitor_run(con, "hz", name, count, &ops, &h);
    cli_rate_window_free(&h.w);
    tipc_consumer_destroy(con);
    return rc;
}
