/* cmd_echo.c - `tipc echo`: print each new frame of a pool. */
#include "tipc_cli.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char echo_help[] =
    "Usage: tipc echo POOL [--count K] [--wait S]\n"
    "\n"
    "Print each new frame of POOL: its index, age, shape, dtype and the minimum,\n"
    "maximum and mean of its elements, and the values themselves when the frame\n"
    "has at most 16 elements. Statistics convert every dtype to double: bool as\n"
    "0/1, float16 and bfloat16 widened, complex as the magnitude. NaN elements\n"
    "are left out of the statistics and counted.\n"
    "\n"
    "Frames published faster than this reader prints are skipped: each report is\n"
    "the newest frame at that moment.\n"
    "\n"
    "Options:\n"
    "  --count K    stop after K frames (default: run until Ctrl-C)\n"
    "  --wait S     wait up to S seconds for the pool to be announced\n"
    "               (default 1; -1 = forever)\n"
    "  --domain N   DDS domain id (global option)\n"
    "  -h, --help   show this help\n";

enum { OPT_COUNT = 0x200, OPT_WAIT };

#define ECHO_MAX_VALUES 16

/* Values nested by shape: [[1, 2], [3, 4]]. */
static void print_values(const tipc_metadata *md, const unsigned char *data, size_t esz,
                         size_t axis, size_t *pos)
{
    tipc_dtype dt = tipc_metadata_dtype(md);
    if (axis == tipc_metadata_ndim(md)) {
        cli_elem_print(stdout, dt, data + *pos * esz);
        (*pos)++;
        return;
    }
    fputc('[', stdout);
    for (int64_t i = 0; i < tipc_metadata_dim(md, axis); i++) {
        if (i)
            fputs(", ", stdout);
        print_values(md, data, esz, axis + 1, pos);
    }
    fputc(']', stdout);
}

static void print_frame(const tipc_metadata *md, const unsigned char *data,
                        const tipc_frame_info *fi, const char *shape)
{
    tipc_dtype dt = tipc_metadata_dtype(md);
    size_t esz = tipc_metadata_element_size(md);
    size_t n = esz ? tipc_metadata_frame_bytes(md) / esz : 0;
    double mn = INFINITY, mx = -INFINITY, sum = 0;
    size_t finite = 0, nans = 0;
    for (size_t i = 0; i < n; i++) {
        double x = cli_elem_to_double(dt, data + i * esz);
        if (isnan(x)) {
            nans++;
            continue;
        }
        mn = x < mn ? x : mn;
        mx = x > mx ? x : mx;
        sum += x;
        finite++;
    }
    double age = (double)(tipc_now_ns() - fi->timestamp_ns) / 1e9;
    printf("frame: %llu  age: %.3fs  shape: %s  dtype: %s\n", (unsigned long long)fi->index, age,
           shape, tipc_dtype_name(dt));
    if (finite)
        printf("min: %.6g  max: %.6g  mean: %.6g", mn, mx, sum / (double)finite);
    else
        printf("min: nan  max: nan  mean: nan");
    if (nans)
        printf("  nan: %zu", nans);
    fputc('\n', stdout);
    if (n <= ECHO_MAX_VALUES) {
        size_t pos = 0;
        fputs("values: ", stdout);
        print_values(md, data, esz, 0, &pos);
        fputc('\n', stdout);
    }
    puts("---");
}

int cli_cmd_echo(struct cli *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"count", required_argument, NULL, OPT_COUNT},
        {"wait", required_argument, NULL, OPT_WAIT},
        {"domain", required_argument, NULL, CLI_OPT_DOMAIN},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t count = 0;
    double wait_s = CLI_DEFAULT_WAIT_S;
    int c, rc;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_COUNT:
            if (cli_parse_u64(optarg, 1, UINT64_MAX, &count))
                return cli_usage("echo", "--count needs a positive integer, got '%s'", optarg);
            break;
        case OPT_WAIT:
            if (cli_parse_double(optarg, -1, 1e9, &wait_s) || (wait_s < 0 && wait_s != -1))
                return cli_usage("echo", "--wait needs seconds >= 0, or -1, got '%s'", optarg);
            break;
        case CLI_OPT_DOMAIN:
            if ((rc = cli_set_domain(g, "echo", optarg)))
                return rc;
            break;
        case 'h': fputs(echo_help, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error("echo", c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage("echo", "missing pool name");
    if (optind + 1 < argc)
        return cli_usage("echo", "unexpected argument '%s'", argv[optind + 1]);
    const char *name = argv[optind];

    cli_install_signals();
    tipc_consumer *con;
    if ((rc = cli_follow_pool(g, name, wait_s, &con)) || !con)
        return rc;
    tipc_status st;
    const tipc_metadata *cmd = tipc_consumer_metadata(con);
    char shape[256];
    cli_shape_str(cmd, shape, sizeof shape);
    size_t fb = tipc_metadata_frame_bytes(cmd);
    unsigned char *buf = malloc(fb ? fb : 1);
    if (!buf) {
        tipc_consumer_destroy(con);
        return cli_fail("out of memory for a frame of %zu bytes", fb);
    }
    uint64_t printed = 0;
    unsigned busy_warned = 0;
    rc = CLI_EXIT_OK;
    while (!cli_stop && (count == 0 || printed < count)) {
        st = tipc_consumer_wait(con, 100000000LL); /* 100 ms slices for Ctrl-C */
        if (st == TIPC_E_TIMEOUT || st == TIPC_E_NOT_CONNECTED)
            continue;
        if (st == TIPC_E_CLOSED) {
            fprintf(stderr, "tipc echo: pool '%s': the producer is gone; waiting for a new one\n",
                    name);
            continue;
        }
        if (st) {
            rc = cli_fail_status(st, "waiting for a frame failed");
            break;
        }
        tipc_frame_info fi;
        st = tipc_consumer_get(con, buf, fb, 1, 0, &fi);
        if (st == TIPC_E_NOT_CONNECTED || st == TIPC_E_NO_DATA || st == TIPC_E_CLOSED)
            continue;
        if (st == TIPC_E_BUSY) { /* lapped by a fast producer: try the next frame */
            if (!busy_warned++)
                fprintf(stderr, "tipc echo: %s\n", tipc_last_error());
            continue;
        }
        if (st) {
            rc = cli_fail_status(st, "reading a frame failed");
            break;
        }
        print_frame(cmd, buf, &fi, shape);
        printed++;
    }
    free(buf);
    tipc_consumer_destroy(con);
    return rc;
}
