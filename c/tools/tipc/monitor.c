/* monitor.c - the loop of the commands that watch a pool's frames over time
 * (hz, bw, delay): wait for each new frame, read its info, and report once a
 * second, like `ros2 topic hz/bw/delay`. Public ABI only. */
#include "monitor.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>

int cli_monitor_open(struct cli *g, const char *cmd, const char *help, uint64_t min_window,
                     int argc, char **argv, struct cli_monitor_args *a, tipc_consumer **con)
{
    enum { OPT_WINDOW = 0x200, OPT_COUNT, OPT_WAIT, OPT_JSON };
    static const struct option opts[] = {
        {"window", required_argument, NULL, OPT_WINDOW},
        {"count", required_argument, NULL, OPT_COUNT},
        {"wait", required_argument, NULL, OPT_WAIT},
        {"json", no_argument, NULL, OPT_JSON},
        {"domain", required_argument, NULL, CLI_OPT_DOMAIN},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, rc;
    *con = NULL;
    a->count = 0;
    a->json = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_WINDOW:
            if (cli_parse_u64(optarg, min_window, 10000000, &a->window))
                return cli_usage(cmd, "--window needs an integer in %llu..10000000, got '%s'",
                                 (unsigned long long)min_window, optarg);
            break;
        case OPT_COUNT:
            if (cli_parse_u64(optarg, 1, UINT64_MAX, &a->count))
                return cli_usage(cmd, "--count needs a positive integer, got '%s'", optarg);
            break;
        case OPT_WAIT:
            if (cli_parse_double(optarg, -1, 1e9, &a->wait_s) ||
                (a->wait_s < 0 && a->wait_s != -1))
                return cli_usage(cmd, "--wait needs seconds >= 0, or -1, got '%s'", optarg);
            break;
        case OPT_JSON: a->json = 1; break;
        case CLI_OPT_DOMAIN:
            if ((rc = cli_set_domain(g, cmd, optarg)))
                return rc;
            break;
        case 'h': fputs(help, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error(cmd, c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage(cmd, "missing pool name");
    if (optind + 1 < argc)
        return cli_usage(cmd, "unexpected argument '%s'", argv[optind + 1]);
    a->name = argv[optind];
    cli_install_signals();
    return cli_follow_pool(g, a->name, a->wait_s, con);
}

int cli_monitor_run(tipc_consumer *con, const char *cmd, const char *name, uint64_t count,
                    const struct cli_monitor_ops *ops, void *user)
{
    const int64_t period = 1000000000LL;
    int64_t next_report = -1; /* set by the first frame */
    unsigned busy_warned = 0;
    uint64_t reports = 0, fresh = 0; /* fresh: frames seen since the last report */
    int rc = CLI_EXIT_OK;
    while (!cli_stop && (count == 0 || reports < count)) {
        int64_t now = cli_mono_ns();
        if (next_report >= 0 && now >= next_report) {
            ops->report(user, fresh);
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
        tipc_status st = tipc_consumer_wait(con, slice);
        if (st == TIPC_E_TIMEOUT || st == TIPC_E_NOT_CONNECTED)
            continue;
        if (st == TIPC_E_CLOSED) {
            fprintf(stderr, "tipc %s: pool '%s': the producer is gone; waiting for a new one\n",
                    cmd, name);
            ops->reset(user);
            continue;
        }
        if (st) {
            rc = cli_fail_status(st, "waiting for a frame failed");
            break;
        }
        /* The moment the frame was seen: read before anything else (delay). */
        int64_t seen_ns = tipc_now_ns();
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
                fprintf(stderr, "tipc %s: %s\n", cmd, tipc_last_error());
            continue;
        }
        if (st) {
            rc = cli_fail_status(st, "reading the frame info failed");
            break;
        }
        if (next_report < 0)
            next_report = cli_mono_ns() + period;
        ops->frame(user, &fi, seen_ns);
        fresh++;
    }
    return rc;
}

/* ---- a window of (frames, interval) observations, shared by hz and bw ---- */

int cli_rate_window_init(struct cli_rate_window *w, uint64_t limit)
{
    w->ring = calloc((size_t)limit, sizeof *w->ring);
    w->cap = (size_t)limit;
    w->head = w->len = 0;
    w->frames = 0;
    w->limit = limit;
    w->have_prev = 0;
    w->missed = 0;
    return w->ring ? 0 : -1;
}

void cli_rate_window_free(struct cli_rate_window *w)
{
    free(w->ring);
    w->ring = NULL;
}

void cli_rate_window_reset(struct cli_rate_window *w)
{
    w->head = w->len = 0;
    w->frames = 0;
    w->have_prev = 0;
}

static void window_push(struct cli_rate_window *w, uint64_t frames, int64_t dt_ns)
{
    if (w->len == w->cap) { /* each entry holds >= 1 frame, so cap == limit suffices */
        w->frames -= w->ring[w->head].frames;
        w->head = (w->head + 1) % w->cap;
        w->len--;
    }
    w->ring[(w->head + w->len) % w->cap] = (struct cli_rate_obs){frames, dt_ns};
    w->len++;
    w->frames += frames;
    while (w->len > 1 && w->frames > w->limit) {
        w->frames -= w->ring[w->head].frames;
        w->head = (w->head + 1) % w->cap;
        w->len--;
    }
}

void cli_rate_window_frame(struct cli_rate_window *w, const tipc_frame_info *fi)
{
    if (w->have_prev && fi->index > w->prev.index && fi->timestamp_ns >= w->prev.timestamp_ns) {
        uint64_t frames = fi->index - w->prev.index;
        w->missed += frames - 1;
        window_push(w, frames, fi->timestamp_ns - w->prev.timestamp_ns);
    } else if (w->have_prev) {
        /* Index went back: a new producer. Start over. */
        w->head = w->len = 0;
        w->frames = 0;
    }
    w->prev = *fi;
    w->have_prev = 1;
}

int cli_rate_window_stats(const struct cli_rate_window *w, struct cli_rate_stats *out)
{
    double total_dt = 0;
    for (size_t i = 0; i < w->len; i++)
        total_dt += (double)w->ring[(w->head + i) % w->cap].dt_ns / 1e9;
    if (w->len == 0 || total_dt <= 0)
        return -1;
    double mean = total_dt / (double)w->frames;
    double mn = INFINITY, mx = 0, var = 0;
    for (size_t i = 0; i < w->len; i++) {
        const struct cli_rate_obs *o = &w->ring[(w->head + i) % w->cap];
        double x = (double)o->dt_ns / 1e9 / (double)o->frames;
        mn = x < mn ? x : mn;
        mx = x > mx ? x : mx;
        var += (double)o->frames * (x - mean) * (x - mean);
    }
    out->rate = 1.0 / mean;
    out->min_s = mn;
    out->max_s = mx;
    out->std_s = sqrt(var / (double)w->frames);
    out->frames = w->frames;
    out->missed = w->missed;
    return 0;
}
