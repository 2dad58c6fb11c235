/* cmd_pub.c - `tipc pub`: a synthetic producer for testing consumers. */
#include "tipc_cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char pub_help[] =
    "Usage: tipc pub POOL --shape D1,D2,... [--dtype T] [--rate HZ] [--history N]\n"
    "                [--count K] [--backend B] [--mode OCTAL] [--value V]\n"
    "       tipc pub POOL --from FILE.npy [--shape S] [--dtype T] [options]\n"
    "\n"
    "Create pool POOL and publish frames into it, for testing consumers.\n"
    "By default the frames are synthetic: element i of frame k holds\n"
    "sin(0.1*k + 0.25*i) for floating dtypes (complex: plus i*cos of the same),\n"
    "k + i (wrapped to the type's width) for integer dtypes, and (k + i) mod 2\n"
    "for bool. --value fills every element with one value instead; --from\n"
    "publishes the array of a .npy file: the pool takes the file's shape and\n"
    "dtype (or, with --shape, the file holds one frame of that shape or a\n"
    "sequence of them on a leading axis, published in turn and repeated).\n"
    "The file must hold a C-order array in this host's byte order of a pool\n"
    "dtype, matching --shape and --dtype when given; anything else is refused\n"
    "with the reason.\n"
    "\n"
    "Runs until K frames are published, or until SIGINT/SIGTERM (Ctrl-C), then\n"
    "closes the pool cleanly (consumers are told, the segment is removed).\n"
    "\n"
    "Options:\n"
    "  --shape S     frame shape: comma-separated sizes, e.g. 480,640,3 or (2,3);\n"
    "                '' or () for a scalar per frame (required)\n"
    "  --dtype T     element type: bool, int8..int64, uint8..uint64, float16,\n"
    "                bfloat16, float32, float64, complex64, complex128\n"
    "                (numpy or torch names; default float32)\n"
    "  --rate HZ     frames per second (default 10; 0 = as fast as possible)\n"
    "  --history N   frames in the ring (default 4)\n"
    "  --count K     stop after K frames (default: run until stopped)\n"
    "  --backend B   numpy or torch (default numpy; torch_cuda needs CUDA)\n"
    "  --mode OCTAL  permissions of the segment (default 0600)\n"
    "  --value V     fill every element with V: an integer in the dtype's range\n"
    "                for integer dtypes, true/false/1/0 for bool, a number for\n"
    "                floating dtypes (nan, inf allowed), complex as re or re+imj\n"
    "  --from FILE   publish the array in FILE.npy (see above)\n"
    "  --domain N    DDS domain id (global option)\n"
    "  -h, --help    show this help\n"
    "\n"
    "Exits 1 if the pool cannot be created (e.g. a live producer owns the name).\n";

enum {
    OPT_SHAPE = 0x200, OPT_DTYPE, OPT_RATE, OPT_HISTORY, OPT_COUNT, OPT_BACKEND, OPT_MODE,
    OPT_VALUE, OPT_FROM
};

/* One element of @p dt holding the text @p s, into @p out (16 bytes). 0 on
 * success; else -1 with the reason in @p why. */
static int parse_value(tipc_dtype dt, const char *s, unsigned char *out, char *why, size_t size)
{
    char *end;
    errno = 0;
    switch (dt) {
    case TIPC_DTYPE_BOOL:
        if (!strcmp(s, "1") || !strcasecmp(s, "true"))
            out[0] = 1;
        else if (!strcmp(s, "0") || !strcasecmp(s, "false"))
            out[0] = 0;
        else
            return snprintf(why, size, "'%s' is not a bool (true, false, 1, 0)", s), -1;
        return 0;
    case TIPC_DTYPE_INT8:
    case TIPC_DTYPE_INT16:
    case TIPC_DTYPE_INT32:
    case TIPC_DTYPE_INT64: {
        long long v = strtoll(s, &end, 10);
        int bits = (int)tipc_dtype_size(dt) * 8;
        long long lo = bits == 64 ? INT64_MIN : -(1LL << (bits - 1));
        long long hi = bits == 64 ? INT64_MAX : (1LL << (bits - 1)) - 1;
        if (!*s || *end || errno || v < lo || v > hi)
            return snprintf(why, size, "'%s' is not an integer in %lld..%lld (%s)", s, lo, hi,
                            tipc_dtype_name(dt)), -1;
        cli_elem_store(dt, out, 0, 0, (uint64_t)v);
        return 0;
    }
    case TIPC_DTYPE_UINT8:
    case TIPC_DTYPE_UINT16:
    case TIPC_DTYPE_UINT32:
    case TIPC_DTYPE_UINT64: {
        int bits = (int)tipc_dtype_size(dt) * 8;
        uint64_t hi = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1, v;
        if (cli_parse_u64(s, 0, hi, &v))
            return snprintf(why, size, "'%s' is not an integer in 0..%llu (%s)", s,
                            (unsigned long long)hi, tipc_dtype_name(dt)), -1;
        cli_elem_store(dt, out, 0, 0, v);
        return 0;
    }
    default: break;
    }
    double re = strtod(s, &end), im = 0;
    if (end == s || errno == ERANGE)
        return snprintf(why, size, "'%s' is not a number", s), -1;
    if ((dt == TIPC_DTYPE_COMPLEX64 || dt == TIPC_DTYPE_COMPLEX128) && (*end == '+' || *end == '-')) {
        const char *ip = end;
        im = strtod(ip, &end);
        if (end == ip || *end != 'j')
            return snprintf(why, size, "'%s' is not a complex number (re or re+imj)", s), -1;
        end++;
    }
    if (*end)
        return snprintf(why, size, "'%s' is not a number", s), -1;
    cli_elem_store(dt, out, re, im, 0);
    return 0;
}

/* "2,3", "(2,3)", "[2, 3]", "5", "", "()". 0 on success. */
static int parse_shape(const char *s, int64_t *shape, size_t *ndim)
{
    char buf[256];
    size_t n = 0;
    for (const char *p = s; *p; p++)
        if (*p != ' ' && *p != '(' && *p != ')' && *p != '[' && *p != ']') {
            if (n + 1 >= sizeof buf)
                return -1;
            buf[n++] = *p;
        }
    buf[n] = '\0';
    *ndim = 0;
    if (n == 0)
        return 0;
    if (buf[n - 1] == ',') { /* "(5,)" */
        buf[--n] = '\0';
        if (n == 0)
            return -1;
    }
    /* ",," or a leading comma give fewer tokens than commas + 1 */
    size_t commas = 0;
    for (size_t i = 0; i < n; i++)
        commas += buf[i] == ',';
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        uint64_t d;
        if (*ndim >= TIPC_MAX_DIMS || cli_parse_u64(tok, 1, INT64_MAX, &d))
            return -1;
        shape[(*ndim)++] = (int64_t)d;
    }
    return commas + 1 == *ndim ? 0 : -1;
}

static void fill_frame(tipc_dtype dt, unsigned char *dst, size_t nelem, size_t esz, uint64_t k)
{
    for (size_t i = 0; i < nelem; i++) {
        double ph = 0.1 * (double)k + 0.25 * (double)i;
        cli_elem_store(dt, dst + i * esz, sin(ph), cos(ph), k + i);
    }
}

int cli_cmd_pub(struct cli *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"shape", required_argument, NULL, OPT_SHAPE},
        {"dtype", required_argument, NULL, OPT_DTYPE},
        {"rate", required_argument, NULL, OPT_RATE},
        {"history", required_argument, NULL, OPT_HISTORY},
        {"count", required_argument, NULL, OPT_COUNT},
        {"backend", required_argument, NULL, OPT_BACKEND},
        {"mode", required_argument, NULL, OPT_MODE},
        {"value", required_argument, NULL, OPT_VALUE},
        {"from", required_argument, NULL, OPT_FROM},
        {"domain", required_argument, NULL, CLI_OPT_DOMAIN},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int64_t shape[TIPC_MAX_DIMS];
    size_t ndim = 0;
    int have_shape = 0, have_dtype = 0, c, rc;
    const char *value = NULL, *from = NULL;
    tipc_dtype dtype = TIPC_DTYPE_FLOAT32;
    tipc_backend backend = TIPC_BACKEND_NUMPY;
    double rate = 10;
    uint64_t history = 4, count = 0;
    unsigned mode = 0600;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_SHAPE:
            if (parse_shape(optarg, shape, &ndim))
                return cli_usage("pub",
                                 "--shape needs up to %d comma-separated positive sizes, got '%s'",
                                 TIPC_MAX_DIMS, optarg);
            have_shape = 1;
            break;
        case OPT_DTYPE:
            dtype = tipc_dtype_from_name(optarg);
            if (dtype == TIPC_DTYPE_INVALID)
                return cli_usage("pub", "unknown dtype '%s'", optarg);
            have_dtype = 1;
            break;
        case OPT_VALUE: value = optarg; break;
        case OPT_FROM: from = optarg; break;
        case OPT_RATE:
            if (cli_parse_double(optarg, 0, 1e9, &rate))
                return cli_usage("pub", "--rate needs a frequency >= 0 in Hz, got '%s'", optarg);
            break;
        case OPT_HISTORY:
            if (cli_parse_u64(optarg, 1, TIPC_MAX_HISTORY, &history))
                return cli_usage("pub", "--history needs an integer in 1..%d, got '%s'",
                                 TIPC_MAX_HISTORY, optarg);
            break;
        case OPT_COUNT:
            if (cli_parse_u64(optarg, 1, UINT64_MAX, &count))
                return cli_usage("pub", "--count needs a positive integer, got '%s'", optarg);
            break;
        case OPT_BACKEND:
            backend = tipc_backend_from_name(optarg);
            if (backend == TIPC_BACKEND_INVALID)
                return cli_usage("pub", "unknown backend '%s' (numpy, torch, torch_cuda)", optarg);
            break;
        case OPT_MODE: {
            char *end;
            errno = 0;
            unsigned long m = strtoul(optarg, &end, 8);
            if (errno || !*optarg || *end || m == 0 || (m & ~0666ul))
                return cli_usage("pub", "--mode needs octal read/write bits such as 0644, got '%s'",
                                 optarg);
            mode = (unsigned)m;
            break;
        }
        case CLI_OPT_DOMAIN:
            if ((rc = cli_set_domain(g, "pub", optarg)))
                return rc;
            break;
        case 'h': fputs(pub_help, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error("pub", c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage("pub", "missing pool name");
    if (optind + 1 < argc)
        return cli_usage("pub", "unexpected argument '%s'", argv[optind + 1]);
    if (value && from)
        return cli_usage("pub", "--value and --from exclude each other");
    if (!have_shape && !from)
        return cli_usage("pub", "missing --shape (or --from FILE.npy)");
    const char *name = argv[optind];

    /* The frames' content: a .npy file, one value, or the synthetic pattern. */
    struct cli_npy npy = {0};
    size_t file_frames = 0;
    unsigned char fill[16];
    if (from) {
        char why[512];
        if (cli_npy_read(from, &npy, why, sizeof why))
            return cli_fail("cannot publish %s: %s", from, why);
        if (have_dtype && dtype != npy.dtype) {
            cli_npy_free(&npy);
            return cli_fail("cannot publish %s: its dtype is %s, the pool's (--dtype) %s", from,
                            tipc_dtype_name(npy.dtype), tipc_dtype_name(dtype));
        }
        dtype = npy.dtype;
        if (!have_shape) {
            if (npy.ndim > TIPC_MAX_DIMS) {
                cli_npy_free(&npy);
                return cli_fail("cannot publish %s: %zu dimensions, a frame has at most %d "
                                "(give --shape to publish a sequence of frames)",
                                from, npy.ndim, TIPC_MAX_DIMS);
            }
            ndim = npy.ndim;
            memcpy(shape, npy.shape, ndim * sizeof shape[0]);
            file_frames = 1;
        } else if (npy.ndim == ndim && !memcmp(npy.shape, shape, ndim * sizeof shape[0])) {
            file_frames = 1;
        } else if (npy.ndim == ndim + 1 && !memcmp(npy.shape + 1, shape, ndim * sizeof shape[0])) {
            file_frames = (size_t)npy.shape[0];
        } else {
            char fs[160] = "(", ps[160] = "(";
            for (size_t i = 0; i < npy.ndim; i++)
                snprintf(fs + strlen(fs), sizeof fs - strlen(fs), "%s%lld", i ? "," : "",
                         (long long)npy.shape[i]);
            for (size_t i = 0; i < ndim; i++)
                snprintf(ps + strlen(ps), sizeof ps - strlen(ps), "%s%lld", i ? "," : "",
                         (long long)shape[i]);
            cli_npy_free(&npy);
            return cli_fail("cannot publish %s: its shape %s%s is neither the frame shape "
                            "(--shape) %s%s nor a sequence of such frames (N,%s)",
                            from, fs, npy.ndim == 1 ? ",)" : ")", ps, ndim == 1 ? ",)" : ")",
                            ps + 1);
        }
    } else if (value) {
        char why[256];
        if (parse_value(dtype, value, fill, why, sizeof why))
            return cli_usage("pub", "--value: %s", why);
    }

    tipc_metadata *md;
    tipc_status st = tipc_metadata_create(&md, name, dtype, ndim, shape, backend,
                                          (uint32_t)history, NULL);
    if (st) {
        cli_npy_free(&npy);
        if (st == TIPC_E_INVALID)
            return cli_usage("pub", "%s", tipc_last_error());
        return cli_fail_status(st, "cannot describe the pool");
    }

    cli_install_signals();
    signal(SIGPIPE, SIG_IGN); /* a closed stdout must not skip the clean shutdown */
    tipc_context *ctx = cli_context(g);
    if (!ctx) {
        tipc_metadata_destroy(md);
        cli_npy_free(&npy);
        return CLI_EXIT_FAIL;
    }
    tipc_producer_options o;
    tipc_producer_options_init(&o, TIPC_PRODUCER_OPTIONS_VERSION);
    o.context = ctx;
    o.mode = mode;
    tipc_producer *p;
    st = tipc_producer_create(&p, md, &o);
    if (st) {
        tipc_metadata_destroy(md);
        cli_npy_free(&npy);
        return cli_fail_status(st, "cannot create the pool");
    }
    char desc[256];
    tipc_metadata_describe(md, desc, sizeof desc);
    if (rate > 0)
        printf("publishing %s at %g Hz (pid %d); Ctrl-C to stop\n", desc, rate, (int)getpid());
    else
        printf("publishing %s as fast as possible (pid %d); Ctrl-C to stop\n", desc, (int)getpid());

    size_t esz = tipc_metadata_element_size(md), fb = tipc_metadata_frame_bytes(md);
    size_t nelem = esz ? fb / esz : 0;
    const int64_t period = rate > 0 ? (int64_t)(1e9 / rate) : 0;
    int64_t next = cli_mono_ns();
    uint64_t k = 0, timeouts = 0;
    rc = CLI_EXIT_OK;
    while (!cli_stop && (count == 0 || k < count)) {
        if (period > 0) {
            cli_sleep_ns(next - cli_mono_ns());
            if (cli_stop)
                break;
            next += period;
            int64_t now = cli_mono_ns();
            if (now - next > 10 * period) /* far behind (suspended?): do not burst */
                next = now;
        }
        void *slot;
        st = tipc_producer_loan(p, &slot, NULL);
        if (st == TIPC_E_TIMEOUT) {
            if (timeouts++ == 0)
                fprintf(stderr, "tipc pub: %s; frame skipped\n", tipc_last_error());
            continue;
        }
        if (st) {
            rc = cli_fail_status(st, "cannot publish");
            break;
        }
        if (from)
            memcpy(slot, npy.data + (size_t)(k % file_frames) * fb, fb);
        else if (value)
            for (size_t i = 0; i < nelem; i++)
                memcpy((unsigned char *)slot + i * esz, fill, esz);
        else
            fill_frame(dtype, slot, nelem, esz, k);
        st = tipc_producer_commit(p, NULL);
        if (st) {
            rc = cli_fail_status(st, "cannot publish");
            break;
        }
        k++;
    }
    tipc_producer_destroy(p);
    tipc_metadata_destroy(md);
    cli_npy_free(&npy);
    printf("published %llu frames", (unsigned long long)k);
    if (timeouts)
        printf(" (%llu skipped: a reader held the slot too long)", (unsigned long long)timeouts);
    printf("\n");
    return rc;
}
