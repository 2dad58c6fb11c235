/* cmd_echo.c - `tipc echo`: print each new frame of a pool. */
#include "tipc_cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char echo_help[] =
    "Usage: tipc echo POOL [--once | -n N | --count N] [--slice EXPR] [--csv | --json]\n"
    "                 [--wait S]\n"
    "\n"
    "Print each new frame of POOL: its index, age, shape, dtype and the minimum,\n"
    "maximum and mean of its elements, and the values themselves when the frame\n"
    "has at most 16 elements (or --slice is given). Statistics convert every dtype\n"
    "to double: bool as 0/1, float16 and bfloat16 widened, complex as the\n"
    "magnitude. NaN elements are left out of the statistics and counted.\n"
    "\n"
    "Frames published faster than this reader prints are skipped: each report is\n"
    "the newest frame at that moment.\n"
    "\n"
    "Options:\n"
    "  --once       print one frame and exit (like ros2 topic echo --once)\n"
    "  -n, --count N  stop after N frames (default: run until Ctrl-C)\n"
    "  --slice EXPR numpy-style selection of each frame, one item per axis,\n"
    "               comma-separated: an index (i, -1) drops the axis, a range\n"
    "               start:stop[:step] keeps it; missing axes are taken whole.\n"
    "               e.g. 0:2,:,1 (rows 0 and 1, every column, channel 1)\n"
    "  --csv        one line per frame: index,timestamp_ns and every value of\n"
    "               the (sliced) frame in C order, after a header line naming\n"
    "               the columns (v[i][j] are indices into the frame)\n"
    "  --json       one JSON object per frame and line: pool, index,\n"
    "               timestamp_ns, age_s, shape, dtype, slice, values_shape, min,\n"
    "               max, mean, nan, values (nested lists; complex as [re, im];\n"
    "               NaN and infinities as null)\n"
    "  --wait S     wait up to S seconds for the pool to be announced\n"
    "               (default 1; -1 = forever)\n"
    "  --domain N   DDS domain id (global option)\n"
    "  -h, --help   show this help\n";

enum { OPT_COUNT = 0x200, OPT_WAIT, OPT_ONCE, OPT_SLICE, OPT_CSV, OPT_JSON };

#define ECHO_MAX_VALUES 16

enum format { FMT_TEXT, FMT_CSV, FMT_JSON };

/* The selection of each frame: element offsets in C order and the result's
 * shape. Without --slice, the whole frame. */
struct selection {
    size_t count;          /* elements selected */
    size_t *offset;        /* element offsets into the frame */
    size_t ndim;           /* result dimensions */
    int64_t shape[TIPC_MAX_DIMS];
    int64_t *src;          /* count x frame ndim source indices (for CSV headers) */
};

struct axis_sel {
    int64_t start, step, n;
    int keep;
};

static int parse_i64(const char *s, size_t len, int64_t *out)
{
    char buf[32];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

/* One axis item of --slice ("3", "-1", ":", "1:", "::2", "5:0:-1"). */
static int parse_axis(const char *item, size_t len, int64_t n, size_t axis, struct axis_sel *a,
                      char *why, size_t size)
{
    const char *c1 = memchr(item, ':', len);
    if (!c1) {
        int64_t i;
        if (parse_i64(item, len, &i))
            return snprintf(why, size, "'%.*s' is not an index or a range", (int)len, item), -1;
        if (i < -n || i >= n)
            return snprintf(why, size, "index %lld is out of bounds for axis %zu with size %lld",
                            (long long)i, axis, (long long)n), -1;
        *a = (struct axis_sel){i < 0 ? i + n : i, 1, 1, 0};
        return 0;
    }
    const char *rest = c1 + 1, *endp = item + len;
    const char *c2 = memchr(rest, ':', (size_t)(endp - rest));
    int64_t start = 0, stop = 0, step = 1;
    int has_start = c1 > item, has_stop = (c2 ? c2 : endp) > rest, has_step = c2 && endp > c2 + 1;
    if ((has_start && parse_i64(item, (size_t)(c1 - item), &start)) ||
        (has_stop && parse_i64(rest, (size_t)((c2 ? c2 : endp) - rest), &stop)) ||
        (has_step && parse_i64(c2 + 1, (size_t)(endp - c2 - 1), &step)) ||
        (c2 && memchr(c2 + 1, ':', (size_t)(endp - c2 - 1))))
        return snprintf(why, size, "'%.*s' is not a range start:stop[:step]", (int)len, item), -1;
    if (step == 0)
        return snprintf(why, size, "slice step cannot be zero ('%.*s')", (int)len, item), -1;
    /* numpy's rules: negative bounds count from the end, then clamp. */
    if (step > 0) {
        start = !has_start ? 0 : start < 0 ? (start + n < 0 ? 0 : start + n) : (start > n ? n : start);
        stop = !has_stop ? n : stop < 0 ? (stop + n < 0 ? 0 : stop + n) : (stop > n ? n : stop);
        a->n = stop > start ? (stop - start + step - 1) / step : 0;
    } else {
        start = !has_start ? n - 1 : start < 0 ? (start + n < -1 ? -1 : start + n)
                                               : (start > n - 1 ? n - 1 : start);
        stop = !has_stop ? -1 : stop < 0 ? (stop + n < -1 ? -1 : stop + n)
                                         : (stop > n - 1 ? n - 1 : stop);
        a->n = start > stop ? (start - stop + (-step) - 1) / (-step) : 0;
    }
    a->start = start;
    a->step = step;
    a->keep = 1;
    return 0;
}

static int selection_make(struct selection *sel, const tipc_metadata *md, const char *expr,
                          char *why, size_t size)
{
    size_t nd = tipc_metadata_ndim(md);
    struct axis_sel ax[TIPC_MAX_DIMS];
    for (size_t i = 0; i < nd; i++)
        ax[i] = (struct axis_sel){0, 1, tipc_metadata_dim(md, i), 1};
    if (expr) {
        const char *p = expr;
        size_t axis = 0;
        for (;;) {
            size_t len = strcspn(p, ",");
            while (len && *p == ' ')
                p++, len--;
            while (len && p[len - 1] == ' ')
                len--;
            if (len == 3 && !strncmp(p, "...", 3))
                return snprintf(why, size, "'...' is not supported; give each axis"), -1;
            if (axis >= nd)
                return snprintf(why, size, "%zu items for a frame of %zu dimensions", axis + 1,
                                nd), -1;
            if (parse_axis(p, len, tipc_metadata_dim(md, axis), axis, &ax[axis], why, size))
                return -1;
            axis++;
            p += strcspn(p, ",");
            if (!*p)
                break;
            p++;
        }
    }
    size_t count = 1;
    sel->ndim = 0;
    for (size_t i = 0; i < nd; i++) {
        count *= (size_t)ax[i].n;
        if (ax[i].keep)
            sel->shape[sel->ndim++] = ax[i].n;
    }
    sel->count = count;
    sel->offset = malloc((count ? count : 1) * sizeof *sel->offset);
    sel->src = malloc((count ? count : 1) * (nd ? nd : 1) * sizeof *sel->src);
    if (!sel->offset || !sel->src)
        return snprintf(why, size, "out of memory"), -1;
    size_t stride[TIPC_MAX_DIMS];
    for (size_t i = nd; i-- > 0;)
        stride[i] = i + 1 == nd ? 1 : stride[i + 1] * (size_t)tipc_metadata_dim(md, i + 1);
    int64_t k[TIPC_MAX_DIMS] = {0};
    for (size_t e = 0; e < count; e++) {
        size_t off = 0;
        for (size_t i = 0; i < nd; i++) {
            int64_t src = ax[i].start + k[i] * ax[i].step;
            sel->src[e * nd + i] = src;
            off += (size_t)src * stride[i];
        }
        sel->offset[e] = off;
        for (size_t i = nd; i-- > 0;) { /* odometer, last axis fastest */
            if (++k[i] < ax[i].n)
                break;
            k[i] = 0;
        }
    }
    return 0;
}

static void selection_free(struct selection *sel)
{
    free(sel->offset);
    free(sel->src);
}

/* Values nested by the selection's shape: [[1, 2], [3, 4]]. */
static void print_values(const struct selection *sel, tipc_dtype dt, const unsigned char *data,
                         size_t esz, size_t axis, size_t *pos, int json)
{
    if (axis == sel->ndim) {
        const unsigned char *p = data + sel->offset[(*pos)++] * esz;
        if (!json) {
            cli_elem_print(stdout, dt, p);
        } else if (dt == TIPC_DTYPE_BOOL) {
            fputs(*p ? "true" : "false", stdout);
        } else if (dt == TIPC_DTYPE_COMPLEX64 || dt == TIPC_DTYPE_COMPLEX128) {
            double re, im;
            if (dt == TIPC_DTYPE_COMPLEX64) {
                float c[2];
                memcpy(c, p, sizeof c);
                re = c[0], im = c[1];
            } else {
                double c[2];
                memcpy(c, p, sizeof c);
                re = c[0], im = c[1];
            }
            fputc('[', stdout);
            cli_json_number(stdout, re, 17);
            fputs(", ", stdout);
            cli_json_number(stdout, im, 17);
            fputc(']', stdout);
        } else if (dt == TIPC_DTYPE_FLOAT16 || dt == TIPC_DTYPE_BFLOAT16 ||
                   dt == TIPC_DTYPE_FLOAT32 || dt == TIPC_DTYPE_FLOAT64) {
            cli_json_number(stdout, cli_elem_to_double(dt, p), 17); /* the exact value */
        } else {
            cli_elem_print(stdout, dt, p); /* integers, exactly */
        }
        return;
    }
    fputc('[', stdout);
    for (int64_t i = 0; i < sel->shape[axis]; i++) {
        if (i)
            fputs(", ", stdout);
        print_values(sel, dt, data, esz, axis + 1, pos, json);
    }
    fputc(']', stdout);
}

/* One element as a CSV field: integers exactly, floats round-trip. */
static void csv_value(tipc_dtype dt, const unsigned char *p)
{
    switch (dt) {
    case TIPC_DTYPE_FLOAT16:
    case TIPC_DTYPE_BFLOAT16:
    case TIPC_DTYPE_FLOAT32: printf("%.9g", cli_elem_to_double(dt, p)); break;
    case TIPC_DTYPE_FLOAT64: printf("%.17g", cli_elem_to_double(dt, p)); break;
    case TIPC_DTYPE_COMPLEX64: {
        float c[2];
        memcpy(c, p, sizeof c);
        printf("%.9g%+.9gj", (double)c[0], (double)c[1]);
        break;
    }
    case TIPC_DTYPE_COMPLEX128: {
        double c[2];
        memcpy(c, p, sizeof c);
        printf("%.17g%+.17gj", c[0], c[1]);
        break;
    }
    default: cli_elem_print(stdout, dt, p); break;
    }
}

static void csv_header(const struct selection *sel, size_t nd)
{
    fputs("index,timestamp_ns", stdout);
    for (size_t e = 0; e < sel->count; e++) {
        fputs(",v", stdout);
        for (size_t i = 0; i < nd; i++)
            printf("[%lld]", (long long)sel->src[e * nd + i]);
    }
    fputc('\n', stdout);
}

static void shape_text(char *buf, size_t size, size_t nd, const int64_t *shape)
{
    size_t n = (size_t)snprintf(buf, size, "(");
    for (size_t i = 0; i < nd && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%lld", i ? "," : "", (long long)shape[i]);
    if (n < size)
        snprintf(buf + n, size - n, nd == 1 ? ",)" : ")");
}

static void print_frame(const char *pool, const tipc_metadata *md, const struct selection *sel,
                        const char *slice, enum format fmt, const unsigned char *data,
                        const tipc_frame_info *fi, const char *shape)
{
    tipc_dtype dt = tipc_metadata_dtype(md);
    size_t esz = tipc_metadata_element_size(md);
    if (fmt == FMT_CSV) {
        printf("%llu,%lld", (unsigned long long)fi->index, (long long)fi->timestamp_ns);
        for (size_t e = 0; e < sel->count; e++) {
            fputc(',', stdout);
            csv_value(dt, data + sel->offset[e] * esz);
        }
        fputc('\n', stdout);
        return;
    }
    double mn = INFINITY, mx = -INFINITY, sum = 0;
    size_t finite = 0, nans = 0;
    for (size_t e = 0; e < sel->count; e++) {
        double x = cli_elem_to_double(dt, data + sel->offset[e] * esz);
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
    size_t pos = 0;
    if (fmt == FMT_JSON) {
        fputs("{\"pool\": ", stdout);
        cli_json_string(stdout, pool);
        printf(", \"index\": %llu, \"timestamp_ns\": %lld, \"age_s\": %.6f, \"shape\": ",
               (unsigned long long)fi->index, (long long)fi->timestamp_ns, age);
        cli_shape_json(stdout, md);
        printf(", \"dtype\": \"%s\", \"slice\": ", tipc_dtype_name(dt));
        if (slice)
            cli_json_string(stdout, slice);
        else
            fputs("null", stdout);
        fputs(", \"values_shape\": [", stdout);
        for (size_t i = 0; i < sel->ndim; i++)
            printf("%s%lld", i ? "," : "", (long long)sel->shape[i]);
        fputs("], \"min\": ", stdout);
        cli_json_number(stdout, finite ? mn : NAN, 17);
        fputs(", \"max\": ", stdout);
        cli_json_number(stdout, finite ? mx : NAN, 17);
        fputs(", \"mean\": ", stdout);
        cli_json_number(stdout, finite ? sum / (double)finite : NAN, 17);
        printf(", \"nan\": %zu, \"values\": ", nans);
        print_values(sel, dt, data, esz, 0, &pos, 1);
        fputs("}\n", stdout);
        return;
    }
    printf("frame: %llu  age: %.3fs  shape: %s  dtype: %s\n", (unsigned long long)fi->index, age,
           shape, tipc_dtype_name(dt));
    if (slice) {
        char ss[160];
        shape_text(ss, sizeof ss, sel->ndim, sel->shape);
        printf("slice: %s  shape: %s\n", slice, ss);
    }
    if (finite)
        printf("min: %.6g  max: %.6g  mean: %.6g", mn, mx, sum / (double)finite);
    else
        printf("min: nan  max: nan  mean: nan");
    if (nans)
        printf("  nan: %zu", nans);
    fputc('\n', stdout);
    if (slice || sel->count <= ECHO_MAX_VALUES) {
        fputs("values: ", stdout);
        print_values(sel, dt, data, esz, 0, &pos, 0);
        fputc('\n', stdout);
    }
    puts("---");
}

int cli_cmd_echo(struct cli *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"count", required_argument, NULL, OPT_COUNT},
        {"once", no_argument, NULL, OPT_ONCE},
        {"slice", required_argument, NULL, OPT_SLICE},
        {"csv", no_argument, NULL, OPT_CSV},
        {"json", no_argument, NULL, OPT_JSON},
        {"wait", required_argument, NULL, OPT_WAIT},
        {"domain", required_argument, NULL, CLI_OPT_DOMAIN},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t count = 0;
    double wait_s = CLI_DEFAULT_WAIT_S;
    const char *slice = NULL;
    enum format fmt = FMT_TEXT;
    int c, rc, formats = 0;
    while ((c = getopt_long(argc, argv, ":hn:", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
        case OPT_COUNT:
            if (cli_parse_u64(optarg, 1, UINT64_MAX, &count))
                return cli_usage("echo", "%s needs a positive integer, got '%s'",
                                 c == 'n' ? "-n" : "--count", optarg);
            break;
        case OPT_ONCE: count = 1; break;
        case OPT_SLICE: slice = optarg; break;
        case OPT_CSV: fmt = FMT_CSV; formats++; break;
        case OPT_JSON: fmt = FMT_JSON; formats++; break;
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
    if (formats > 1)
        return cli_usage("echo", "--csv and --json exclude each other");
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
    struct selection sel = {0};
    char why[256];
    if (selection_make(&sel, cmd, slice, why, sizeof why)) {
        selection_free(&sel);
        tipc_consumer_destroy(con);
        return cli_usage("echo", "--slice '%s': %s", slice, why);
    }
    char shape[256];
    cli_shape_str(cmd, shape, sizeof shape);
    size_t fb = tipc_metadata_frame_bytes(cmd);
    unsigned char *buf = malloc(fb ? fb : 1);
    if (!buf) {
        selection_free(&sel);
        tipc_consumer_destroy(con);
        return cli_fail("out of memory for a frame of %zu bytes", fb);
    }
    if (fmt == FMT_CSV)
        csv_header(&sel, tipc_metadata_ndim(cmd));
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
        print_frame(name, cmd, &sel, slice, fmt, buf, &fi, shape);
        printed++;
    }
    free(buf);
    selection_free(&sel);
    tipc_consumer_destroy(con);
    return rc;
}
