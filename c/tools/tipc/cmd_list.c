/* cmd_list.c - `tipc list` and `tipc info`. */
#include "tipc_cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char list_help[] =
    "Usage: tipc list [--wait S] [--settle S] [--rate-window S] [--json | --names]\n"
    "\n"
    "List every pool announced in the DDS domain: name, shape, dtype, backend,\n"
    "history length, producer pid, host and frame rate. HOST is 'local' for\n"
    "pools of this host (this /dev/shm), else the producer's hostname and the\n"
    "first digits of its host id (docs/remote.md).\n"
    "\n"
    "Discovery ends as soon as it has settled: once pools were seen, when no new\n"
    "one arrived for --settle seconds; at the latest after --wait seconds (also\n"
    "when no pool exists at all).\n"
    "\n"
    "The rate counts the frames published during a short window, read from each\n"
    "pool's shared-memory segment (frame indices, and the producer's commit\n"
    "timestamps as the time base); 0 means no frame arrived in the window. It is\n"
    "'-' (JSON null) when the segment cannot be reached from here (another host,\n"
    "another user, a torch_cuda pool, or a producer that just left).\n"
    "\n"
    "Options:\n"
    "  --wait S         let DDS discovery run at most S seconds (default 1)\n"
    "  --settle S       quiet period that ends discovery early (default 0.25;\n"
    "                   0 = run the whole --wait)\n"
    "  --rate-window S  measure rates over S seconds (default 0.5; 0 = skip)\n"
    "  --json           print a JSON array of objects with the keys name, shape,\n"
    "                   dtype, backend, device, history, pid, shm_name, host_id,\n"
    "                   hostname, local, rate\n"
    "  --names          print the names only, one per line (no rates; for\n"
    "                   scripts and shell completion)\n"
    "  --domain N       DDS domain id (global option)\n"
    "  -h, --help       show this help\n";

static const char info_help[] =
    "Usage: tipc info POOL [--wait S] [--json]\n"
    "\n"
    "Show the full metadata of pool POOL as announced by its producer (shape,\n"
    "dtype, element size, frame bytes, history, total bytes, backend, device,\n"
    "shared-memory name, producer pid) and, when its segment is reachable, the\n"
    "index, timestamp and age of the newest frame, and the pids of the readers\n"
    "attached to it (from the pool's reader table; a process with several\n"
    "consumers appears once per consumer; this tool's own entry is left out).\n"
    "\n"
    "Options:\n"
    "  --wait S     wait up to S seconds for the pool to be announced (default 1)\n"
    "  --json       print one JSON object (readers: an array of pids, or null\n"
    "               when the segment is not reachable)\n"
    "  --domain N   DDS domain id (global option)\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exits 1 when the pool is not announced in the domain, or when its\n"
    "announcement is malformed (the reason is printed; with --json as\n"
    "{\"name\", \"announced\": true, \"malformed\": true, \"error\"}).\n";

enum { OPT_WAIT = 0x200, OPT_JSON, OPT_RATE_WINDOW, OPT_SETTLE, OPT_NAMES };

/* Discovery until it has settled: repeated looks at the DDS directory, ended
 * by --settle seconds without a new name once some pool was seen, or by
 * @p wait_s. The result is the union of the looks (a fresh directory reader
 * may still be receiving what another one already had). */
static int by_name(const void *a, const void *b)
{
    return strcmp(tipc_metadata_name(*(tipc_metadata *const *)a),
                  tipc_metadata_name(*(tipc_metadata *const *)b));
}

static int discover_settled(struct cli *g, double wait_s, double settle_s, tipc_metadata ***list,
                            size_t *count)
{
    if (settle_s <= 0)
        return cli_discover(g, wait_s, list, count);
    const int64_t deadline = cli_mono_ns() + (int64_t)(wait_s * 1e9);
    const int64_t look = 50000000LL; /* each look lets discovery run 50 ms */
    int64_t last_new = -1;
    tipc_metadata **acc = NULL;
    size_t n_acc = 0;
    int rc = CLI_EXIT_OK;
    for (;;) {
        int64_t left = deadline - cli_mono_ns();
        int64_t w = left < look ? (left > 0 ? left : 0) : look;
        tipc_metadata **got = NULL;
        size_t n = 0;
        if ((rc = cli_discover(g, (double)w / 1e9, &got, &n)))
            break;
        tipc_metadata **grown = realloc(acc, (n_acc + n + 1) * sizeof *acc);
        if (!grown) {
            tipc_pool_list_free(got, n);
            rc = cli_fail("out of memory");
            break;
        }
        acc = grown;
        size_t fresh = 0;
        for (size_t i = 0; i < n; i++) {
            size_t k = 0;
            while (k < n_acc && strcmp(tipc_metadata_name(acc[k]), tipc_metadata_name(got[i])))
                k++;
            if (k == n_acc) {
                acc[n_acc++] = got[i];
                fresh++;
            } else { /* the newer announcement (a restarted producer) */
                tipc_metadata_destroy(acc[k]);
                acc[k] = got[i];
            }
        }
        free(got); /* its entries moved to acc */
        int64_t now = cli_mono_ns();
        if (fresh)
            last_new = now;
        if (cli_stop || now >= deadline ||
            (last_new >= 0 && now - last_new >= (int64_t)(settle_s * 1e9)))
            break;
    }
    if (rc) {
        tipc_pool_list_free(acc, n_acc);
        return rc;
    }
    if (n_acc > 1)
        qsort(acc, n_acc, sizeof *acc, by_name);
    *list = acc;
    *count = n_acc;
    return CLI_EXIT_OK;
}

struct rate_probe {
    tipc_consumer *c;
    int64_t written0;  /* frames written at the start of the window */
    int64_t stamp0;    /* commit time of the newest frame then (0: none) */
    int64_t t0;        /* CLOCK_MONOTONIC at the start */
    int ok;            /* 1 while the measurement is valid */
    double rate;
};

/* Frames written so far (newest index + 1; 0 before the first) and the commit
 * time of the newest frame. -1 if the segment is unreachable. The newest frame
 * is held only while its info is read. */
static int64_t frames_written(tipc_consumer *c, int64_t *stamp)
{
    uint64_t idx;
    *stamp = 0;
    tipc_status st = tipc_consumer_latest_index(c, &idx);
    if (st == TIPC_E_NO_DATA)
        return 0;
    if (st != TIPC_OK)
        return -1;
    tipc_view *v = NULL;
    tipc_frame_info fi;
    if (tipc_consumer_acquire(c, 1, 0, &v) == TIPC_OK && tipc_view_info(v, 0, &fi) == TIPC_OK &&
        fi.valid) {
        idx = fi.index;
        *stamp = fi.timestamp_ns;
    }
    tipc_view_release(v);
    return (int64_t)idx + 1;
}

/* Rate of each reachable pool: frames published during the window, counted by
 * frame index. When frames arrived, the time base is the producer's commit
 * timestamps of the newest frame at the start and at the end, so a slow pool
 * is not rounded to whole frames per window. */
static void measure_rates(tipc_metadata **list, size_t n, double window_s,
                          struct rate_probe *probes)
{
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        probes[i].ok = 0;
        if (cli_open_local(list[i], &probes[i].c) != TIPC_OK)
            continue;
        probes[i].written0 = frames_written(probes[i].c, &probes[i].stamp0);
        probes[i].t0 = cli_mono_ns();
        if (probes[i].written0 >= 0)
            probes[i].ok = any = 1;
    }
    if (any)
        cli_sleep_ns((int64_t)(window_s * 1e9));
    for (size_t i = 0; i < n; i++) {
        struct rate_probe *pr = &probes[i];
        if (pr->ok) {
            int64_t stamp1;
            int64_t w = frames_written(pr->c, &stamp1);
            int64_t dt = cli_mono_ns() - pr->t0;
            if (w < 0 || w < pr->written0 || dt <= 0)
                pr->ok = 0; /* gone, or replaced by a new producer */
            else if (w > pr->written0 && pr->stamp0 > 0 && stamp1 > pr->stamp0)
                pr->rate = (double)(w - pr->written0) / ((double)(stamp1 - pr->stamp0) / 1e9);
            else
                pr->rate = (double)(w - pr->written0) / ((double)dt / 1e9);
        }
        tipc_consumer_destroy(pr->c);
        pr->c = NULL;
    }
}

int cli_cmd_list(struct cli *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"wait", required_argument, NULL, OPT_WAIT},
        {"rate-window", required_argument, NULL, OPT_RATE_WINDOW},
        {"settle", required_argument, NULL, OPT_SETTLE},
        {"json", no_argument, NULL, OPT_JSON},
        {"names", no_argument, NULL, OPT_NAMES},
        {"domain", required_argument, NULL, CLI_OPT_DOMAIN},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    double wait_s = CLI_DEFAULT_WAIT_S, window_s = 0.5, settle_s = 0.25;
    int json = 0, names = 0, c, rc;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_WAIT:
            if (cli_parse_double(optarg, 0, 3600, &wait_s))
                return cli_usage("list", "--wait needs seconds in 0..3600, got '%s'", optarg);
            break;
        case OPT_RATE_WINDOW:
            if (cli_parse_double(optarg, 0, 60, &window_s))
                return cli_usage("list", "--rate-window needs seconds in 0..60, got '%s'", optarg);
            break;
        case OPT_SETTLE:
            if (cli_parse_double(optarg, 0, 3600, &settle_s))
                return cli_usage("list", "--settle needs seconds in 0..3600, got '%s'", optarg);
            break;
        case OPT_JSON: json = 1; break;
        case OPT_NAMES: names = 1; break;
        case CLI_OPT_DOMAIN:
            if ((rc = cli_set_domain(g, "list", optarg)))
                return rc;
            break;
        case 'h': fputs(list_help, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error("list", c, argv);
        }
    }
    if (optind < argc)
        return cli_usage("list", "unexpected argument '%s'", argv[optind]);
    if (json && names)
        return cli_usage("list", "--json and --names exclude each other");

    cli_install_signals();
    tipc_metadata **list = NULL;
    size_t n = 0;
    if ((rc = discover_settled(g, wait_s, settle_s, &list, &n)))
        return rc;
    if (names) {
        for (size_t i = 0; i < n; i++)
            puts(tipc_metadata_name(list[i]));
        tipc_pool_list_free(list, n);
        return CLI_EXIT_OK;
    }
    struct rate_probe *probes = calloc(n ? n : 1, sizeof *probes);
    if (!probes) {
        tipc_pool_list_free(list, n);
        return cli_fail("out of memory");
    }
    if (window_s > 0)
        measure_rates(list, n, window_s, probes);

    if (json) {
        fputs("[", stdout);
        for (size_t i = 0; i < n; i++) {
            const tipc_metadata *md = list[i];
            printf("%s\n  {\"name\": ", i ? "," : "");
            cli_json_string(stdout, tipc_metadata_name(md));
            fputs(", \"shape\": ", stdout);
            cli_shape_json(stdout, md);
            printf(", \"dtype\": \"%s\", \"backend\": \"%s\", \"device\": ",
                   tipc_dtype_name(tipc_metadata_dtype(md)),
                   tipc_backend_name(tipc_metadata_backend(md)));
            cli_json_string(stdout, tipc_metadata_device(md));
            printf(", \"history\": %u, \"pid\": %lld, \"shm_name\": ",
                   (unsigned)tipc_metadata_history_len(md),
                   (long long)tipc_metadata_creator_pid(md));
            cli_json_string(stdout, tipc_metadata_shm_name(md));
            fputs(", \"host_id\": ", stdout);
            cli_json_string(stdout, tipc_metadata_host_id(md));
            fputs(", \"hostname\": ", stdout);
            cli_json_string(stdout, tipc_metadata_hostname(md));
            printf(", \"local\": %s", cli_host_local(md) ? "true" : "false");
            if (probes[i].ok)
                printf(", \"rate\": %.3f}", probes[i].rate);
            else
                fputs(", \"rate\": null}", stdout);
        }
        fputs(n ? "\n]\n" : "]\n", stdout);
    } else if (n == 0) {
        printf("no pools announced in DDS domain %d\n", (int)tipc_context_domain_id(g->ctx));
    } else {
        enum { NCOL = 8 };
        static const char *head[NCOL] = {"NAME", "SHAPE", "DTYPE", "BACKEND",
                                         "HISTORY", "PID", "HOST", "RATE(Hz)"};
        char(*cells)[NCOL][96] = calloc(n, sizeof *cells);
        if (!cells) {
            free(probes);
            tipc_pool_list_free(list, n);
            return cli_fail("out of memory");
        }
        size_t width[NCOL];
        for (int k = 0; k < NCOL; k++)
            width[k] = strlen(head[k]);
        for (size_t i = 0; i < n; i++) {
            const tipc_metadata *md = list[i];
            snprintf(cells[i][0], sizeof cells[i][0], "%s", tipc_metadata_name(md));
            cli_shape_str(md, cells[i][1], sizeof cells[i][1]);
            snprintf(cells[i][2], sizeof cells[i][2], "%s", tipc_dtype_name(tipc_metadata_dtype(md)));
            snprintf(cells[i][3], sizeof cells[i][3], "%s",
                     tipc_backend_name(tipc_metadata_backend(md)));
            snprintf(cells[i][4], sizeof cells[i][4], "%u", (unsigned)tipc_metadata_history_len(md));
            snprintf(cells[i][5], sizeof cells[i][5], "%lld", (long long)tipc_metadata_creator_pid(md));
            cli_host_str(md, cells[i][6], sizeof cells[i][6]);
            if (probes[i].ok)
                snprintf(cells[i][7], sizeof cells[i][7], "%.1f", probes[i].rate);
            else
                snprintf(cells[i][7], sizeof cells[i][7], "-");
            for (int k = 0; k < NCOL; k++)
                if (strlen(cells[i][k]) > width[k])
                    width[k] = strlen(cells[i][k]);
        }
        /* Text columns left-aligned, numbers right-aligned. */
        static const int right[NCOL] = {0, 0, 0, 0, 1, 1, 0, 1};
        for (size_t i = 0; i <= n; i++) {
            for (int k = 0; k < NCOL; k++) {
                const char *s = i == 0 ? head[k] : cells[i - 1][k];
                int w = (int)width[k];
                const char *sep = k == NCOL - 1 ? "\n" : "  ";
                if (right[k])
                    printf("%*s%s", w, s, sep);
                else if (k == NCOL - 1)
                    printf("%s%s", s, sep); /* no trailing blanks */
                else
                    printf("%-*s%s", w, s, sep);
            }
        }
        free(cells);
    }
    free(probes);
    tipc_pool_list_free(list, n);
    return CLI_EXIT_OK;
}

int cli_cmd_info(struct cli *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"wait", required_argument, NULL, OPT_WAIT},
        {"json", no_argument, NULL, OPT_JSON},
        {"domain", required_argument, NULL, CLI_OPT_DOMAIN},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    double wait_s = CLI_DEFAULT_WAIT_S;
    int json = 0, c, rc;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_WAIT:
            if (cli_parse_double(optarg, 0, 3600, &wait_s))
                return cli_usage("info", "--wait needs seconds in 0..3600, got '%s'", optarg);
            break;
        case OPT_JSON: json = 1; break;
        case CLI_OPT_DOMAIN:
            if ((rc = cli_set_domain(g, "info", optarg)))
                return rc;
            break;
        case 'h': fputs(info_help, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error("info", c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage("info", "missing pool name");
    if (optind + 1 < argc)
        return cli_usage("info", "unexpected argument '%s'", argv[optind + 1]);
    const char *name = argv[optind];

    tipc_metadata *md;
    char why[1024];
    tipc_status found = cli_lookup_pool(g, name, wait_s, &md, why, sizeof why);
    if (found == TIPC_E_CORRUPT && json) {
        /* Announced, but the announcement failed validation: say so, and why. */
        fputs("{\"name\": ", stdout);
        cli_json_string(stdout, name);
        fputs(", \"announced\": true, \"malformed\": true, \"error\": ", stdout);
        cli_json_string(stdout, why);
        fputs("}\n", stdout);
        return CLI_EXIT_FAIL;
    }
    if (found != TIPC_OK)
        return cli_find_pool_report(g, name, found, why);

    /* The newest frame, read from the segment without copying it. */
    char reason[512] = "";
    int reachable = 0, have_frame = 0;
    tipc_frame_info fi = {0, 0, 0, 0};
    tipc_consumer *con = NULL;
    int64_t readers[64];
    size_t n_readers = 0;
    tipc_status st = cli_open_local(md, &con);
    if (st == TIPC_OK) {
        reachable = 1;
        size_t n = 0;
        if (tipc_consumer_readers(con, readers, 64, &n) == TIPC_OK) {
            int self_seen = 0; /* our own consumer's entry */
            for (size_t i = 0; i < n && i < 64; i++)
                if (readers[i] == (int64_t)getpid() && !self_seen)
                    self_seen = 1;
                else
                    readers[n_readers++] = readers[i];
        }
        tipc_view *v = NULL;
        st = tipc_consumer_acquire(con, 1, 0, &v);
        if (st == TIPC_OK && tipc_view_info(v, 0, &fi) == TIPC_OK && fi.valid)
            have_frame = 1;
        else if (st != TIPC_OK && st != TIPC_E_NO_DATA)
            snprintf(reason, sizeof reason, "%s (%s)", tipc_last_error(), tipc_status_name(st));
        tipc_view_release(v);
        tipc_consumer_destroy(con);
    } else {
        snprintf(reason, sizeof reason, "%s (%s)", tipc_last_error(), tipc_status_name(st));
    }
    double age_s = have_frame ? (double)(tipc_now_ns() - fi.timestamp_ns) / 1e9 : 0;

    char shape[256];
    cli_shape_str(md, shape, sizeof shape);
    size_t payload = 0;
    tipc_metadata_payload(md, &payload);
    const char *dtype = tipc_dtype_name(tipc_metadata_dtype(md));
    const char *backend = tipc_backend_name(tipc_metadata_backend(md));
    if (json) {
        fputs("{\"name\": ", stdout);
        cli_json_string(stdout, tipc_metadata_name(md));
        fputs(", \"shape\": ", stdout);
        cli_shape_json(stdout, md);
        printf(", \"ndim\": %zu, \"dtype\": \"%s\", \"element_size\": %zu, \"frame_bytes\": %zu"
               ", \"history\": %u, \"total_bytes\": %zu, \"backend\": \"%s\", \"device\": ",
               tipc_metadata_ndim(md), dtype, tipc_metadata_element_size(md),
               tipc_metadata_frame_bytes(md), (unsigned)tipc_metadata_history_len(md),
               tipc_metadata_total_bytes(md), backend);
        cli_json_string(stdout, tipc_metadata_device(md));
        fputs(", \"shm_name\": ", stdout);
        cli_json_string(stdout, tipc_metadata_shm_name(md));
        fputs(", \"host_id\": ", stdout);
        cli_json_string(stdout, tipc_metadata_host_id(md));
        fputs(", \"hostname\": ", stdout);
        cli_json_string(stdout, tipc_metadata_hostname(md));
        printf(", \"local\": %s", cli_host_local(md) ? "true" : "false");
        printf(", \"pid\": %lld, \"payload_bytes\": %zu, \"announced\": true, \"malformed\": false"
               ", \"reachable\": %s, \"readers\": ",
               (long long)tipc_metadata_creator_pid(md), payload, reachable ? "true" : "false");
        if (reachable) {
            fputs("[", stdout);
            for (size_t i = 0; i < n_readers; i++)
                printf("%s%lld", i ? ", " : "", (long long)readers[i]);
            fputs("]", stdout);
        } else {
            fputs("null", stdout);
        }
        fputs(", \"error\": ", stdout);
        if (*reason)
            cli_json_string(stdout, reason);
        else
            fputs("null", stdout);
        if (have_frame)
            printf(", \"latest_index\": %llu, \"latest_timestamp_ns\": %lld, \"latest_age_s\": %.6f}\n",
                   (unsigned long long)fi.index, (long long)fi.timestamp_ns, age_s);
        else
            fputs(", \"latest_index\": null, \"latest_timestamp_ns\": null, \"latest_age_s\": null}\n",
                  stdout);
    } else {
        printf("pool:           %s\n", tipc_metadata_name(md));
        printf("shape:          %s\n", shape);
        printf("ndim:           %zu\n", tipc_metadata_ndim(md));
        printf("dtype:          %s\n", dtype);
        printf("element size:   %zu bytes\n", tipc_metadata_element_size(md));
        printf("frame bytes:    %zu\n", tipc_metadata_frame_bytes(md));
        printf("history:        %u frames\n", (unsigned)tipc_metadata_history_len(md));
        printf("total bytes:    %zu (frame bytes x history)\n", tipc_metadata_total_bytes(md));
        printf("backend:        %s\n", backend);
        printf("device:         %s\n", tipc_metadata_device(md));
        printf("shm name:       %s\n", tipc_metadata_shm_name(md));
        printf("producer pid:   %lld\n", (long long)tipc_metadata_creator_pid(md));
        char host[96];
        cli_host_str(md, host, sizeof host);
        printf("host:           %s%s%s\n", host, *tipc_metadata_host_id(md) ? " " : "",
               tipc_metadata_host_id(md));
        printf("payload bytes:  %zu\n", payload);
        printf("reachable:      %s%s%s\n", reachable ? "yes" : "no", *reason ? ": " : "", reason);
        if (reachable) {
            printf("readers:        %zu%s", n_readers, n_readers ? " (pids" : "");
            for (size_t i = 0; i < n_readers; i++)
                printf(" %lld", (long long)readers[i]);
            printf("%s\n", n_readers ? ")" : "");
        } else {
            printf("readers:        -\n");
        }
        if (have_frame) {
            printf("latest frame:   %llu (%llu frames written)\n", (unsigned long long)fi.index,
                   (unsigned long long)fi.index + 1);
            printf("latest stamp:   %lld.%09lld (CLOCK_REALTIME)\n",
                   (long long)(fi.timestamp_ns / 1000000000),
                   (long long)(fi.timestamp_ns % 1000000000));
            printf("latest age:     %.3f s\n", age_s);
        } else {
            printf("latest frame:   %s\n", reachable ? "none written yet" : "-");
        }
    }
    tipc_metadata_destroy(md);
    return CLI_EXIT_OK;
}
