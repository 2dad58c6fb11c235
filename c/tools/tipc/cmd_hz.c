/* cmd_hz.c - `tipc hz`: frame rate of a pool, like `ros2 topic hz`. */
#include "tipc_cli.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char hz_help[] =
    "Usage: tipc hz POOL [--window N] [--count K] [--wait S]\n"
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
    "  --domain N   DDS domain id (global option)\n"
    "  -h, --help   show this help\n";

enum { OPT_WINDOW = 0x200, OPT_COUNT, OPT_WAIT };

/* One observation: @p frames frames were published in @p dt_ns. */
struct obs {
    uint64_t frames;
    int64_t dt_ns;
};

struct window {
    struct obs *ring;
    size_t cap, head, len; /* entries ring[head .. head+len) */
    uint64_t frames;       /* sum of frames over the entries */
    uint64_t limit;        /* most frames kept */
};

static void window_push(struct window *w, uint64_t frames, int64_t dt_ns)
{
    if (w->len == w->cap) { /* each entry holds >= 1 frame, so cap == limit suffices */
        w->frames -= w->ring[w->head].frames;
        w->head = (w->head + 1) % w->cap;
        w->len--;
    }
    w->ring[(w->head + w->len) % w->cap] = (struct obs){frames, dt_ns};
    w->len++;
    w->frames += frames;
    while (w->len > 1 && w->frames > w->limit) {
        w->frames -= w->ring[w->head].frames;
        w->head = (w->head + 1) % w->cap;
        w->len--;
    }
}

static void window_reset(struct window *w)
{
    w->head = w->len = 0;
    w->frames = 0;
}

static void report(const struct window *w, uint64_t missed)
{
    double total_dt = 0;
    for (size_t i = 0; i < w->len; i++)
        total_dt += (double)w->ring[(w->head + i) % w->cap].dt_ns / 1e9;
    if (w->len == 0 || total_dt <= 0) {
        printf("waiting for a second frame\n");
        return;
    }
    double mean = total_dt / (double)w->frames;
    double mn = INFINITY, mx = 0, var = 0;
    for (size_t i = 0; i < w->len; i++) {
        const struct obs *o = &w->ring[(w->head + i) % w->cap];
        double x = (double)o->dt_ns / 1e9 / (double)o->frames;
        mn = x < mn ? x : mn;
        mx = x > mx ? x : mx;
        var += (double)o->frames * (x - mean) * (x - mean);
    }
    double sd = sqrt(var / (double)w->frames);
    printf("average rate: %.3f\n\tmin: %.6fs max: %.6fs std dev: %.6fs window: %llu missed: %llu\n",
           1.0 / mean, mn, mx, sd, (unsigned long long)w->frames, (unsigned long long)missed);
}

int cli_cmd_hz(struct cli *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"window", required_argument, NULL, OPT_WINDOW},
        {"count", required_argument, NULL, OPT_COUNT},
        {"wait", required_argument, NULL, OPT_WAIT},
        {"domain", required_argument, NULL, CLI_OPT_DOMAIN},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t window = 10000, count = 0;
    double wait_s = CLI_DEFAULT_WAIT_S;
    int c, rc;
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
    tipc_status st;

    struct window w = {calloc((size_t)window, sizeof(struct obs)), (size_t)window, 0, 0, 0, window};
    if (!w.ring) {
        tipc_consumer_destroy(con);
        return cli_fail("out of memory for a window of %llu frames", (unsigned long long)window);
    }
    const int64_t period = 1000000000LL;
    int64_t next_report = -1; /* set by the first frame */
    int have_prev = 0;
    unsigned busy_warned = 0;
    tipc_frame_info prev = {0, 0, 0, 0};
    uint64_t reports = 0, missed = 0, fresh = 0; /* fresh: frames seen since the last report */
    rc = CLI_EXIT_OK;
    while (!cli_stop && (count == 0 || reports < count)) {
        int64_t now = cli_mono_ns();
        if (next_report >= 0 && now >= next_report) {
            if (fresh == 0)
                printf("no new frames\n");
            else
                report(&w, missed);
            reports++;
            fresh = 0;
            next_report += period;
            if (next_report <= now) /* we fell behind: keep the cadence from now */
                next_report = now + period;
            continue;
        }
        int64_t slice = 100000000LL; /* wake at least every 100 ms for Ctrl-C */
        if (next_report >= 0 && next_report - now < slice)
            slice = next_report - now;
        st = tipc_consumer_wait(con, slice);
        if (st == TIPC_E_TIMEOUT || st == TIPC_E_NOT_CONNECTED)
            continue;
        if (st == TIPC_E_CLOSED) {
            fprintf(stderr, "tipc hz: pool '%s': the producer is gone; waiting for a new one\n", name);
            have_prev = 0;
            window_reset(&w);
            continue;
        }
        if (st) {
            rc = cli_fail_status(st, "waiting for a frame failed");
            break;
        }
        tipc_view *v = NULL;
        tipc_frame_info fi;
        st = tipc_consumer_acquire(con, 1, 0, &v);
        if (st == TIPC_OK)
            st = tipc_view_info(v, 0, &fi);
        tipc_view_release(v);
        if (st == TIPC_E_NOT_CONNECTED || st == TIPC_E_NO_DATA || st == TIPC_E_CLOSED)
            continue;
        if (st == TIPC_E_BUSY) { /* lapped by a fast producer: try the next frame */
            if (!busy_warned++)
                fprintf(stderr, "tipc hz: %s\n", tipc_last_error());
            continue;
        }
        if (st) {
            rc = cli_fail_status(st, "reading the frame info failed");
            break;
        }
        if (next_report < 0)
            next_report = cli_mono_ns() + period;
        if (have_prev && fi.index > prev.index && fi.timestamp_ns >= prev.timestamp_ns) {
            uint64_t frames = fi.index - prev.index;
            missed += frames - 1;
            window_push(&w, frames, fi.timestamp_ns - prev.timestamp_ns);
        } else if (have_prev) {
            /* Index went back: a new producer. Start over. */
            window_reset(&w);
        }
        prev = fi;
        have_prev = 1;
        fresh++;
    }
    free(w.ring);
    tipc_consumer_destroy(con);
    return rc;
}
