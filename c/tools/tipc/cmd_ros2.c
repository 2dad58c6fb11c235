/* cmd_ros2.c - `tipc ros2`: bridges between pools and ROS 2 topics, and the
 * table of supported message types. */
#include "tipc_cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char ros2_help[] =
    "Usage: tipc ros2 export POOL TOPIC [--type T] [--encoding E] [--frame-id ID]\n"
    "       tipc ros2 import TOPIC POOL --type T [--history N] [--shape D,D,..] [--dtype D]\n"
    "       tipc ros2 types\n"
    "\n"
    "Bridge tensor-ipc pools and ROS 2 topics, with or without a ROS 2 install:\n"
    "ROS 2 over DDS is topic rt/TOPIC with type <pkg>::msg::dds_::<Msg>_ (XCDR1).\n"
    "\n"
    "  export   publish each new frame of POOL on TOPIC (only while a ROS 2\n"
    "           subscriber is matched; frames meanwhile count as skipped). The\n"
    "           type is inferred for the obvious pools (uint8 (H,W,3): Image rgb8,\n"
    "           float32 (N,3): PointCloud2, ...); otherwise the error lists the\n"
    "           types that fit and --type picks one.\n"
    "  import   write each message of TOPIC into a new pool POOL, stamped with\n"
    "           header.stamp. The pool takes its shape and dtype from the first\n"
    "           message, or from --shape (and --dtype) at once; a message of\n"
    "           another shape is rejected and counted, one that does not decode\n"
    "           is counted as malformed.\n"
    "  types    print the supported message types and the pool shapes each takes.\n"
    "\n"
    "export and import run until Ctrl-C or SIGTERM and print once per second:\n"
    "frames/s, MB/s, the skipped/rejected/malformed counts and matched peers.\n"
    "\n"
    "Options:\n"
    "  --type T        ROS 2 type: sensor_msgs/msg/Image, sensor_msgs/Image, ...\n"
    "  --encoding E    export: Image encoding (bgr8, mono16, 32FC1, ...)\n"
    "  --frame-id ID   export: header.frame_id (default empty)\n"
    "  --joint-names L export: JointState names, comma-separated\n"
    "  --history N     import: history_len of the pool (default 8)\n"
    "  --shape D,D,..  import: the pool's shape, made at once\n"
    "  --dtype D       import: the pool's dtype with --shape (default: the one\n"
    "                  the type takes)\n"
    "  --depth N       keep-last depth of the DDS endpoint (default 10)\n"
    "  --best-effort   best-effort instead of reliable (ROS 2 sensor-data QoS)\n"
    "  --ros-domain N  ROS 2 domain (default: $ROS_DOMAIN_ID, else 0)\n"
    "  --wait S        export: wait up to S seconds for POOL to be announced\n"
    "                  (default 1; -1 = forever)\n"
    "  --count K       stop after K reports (default: until Ctrl-C)\n"
    "  --domain N      tensor-ipc DDS domain (global option)\n"
    "  -h, --help      show this help\n";

enum {
    OPT_TYPE = 0x200,
    OPT_ENCODING,
    OPT_FRAME_ID,
    OPT_JOINTS,
    OPT_HISTORY,
    OPT_SHAPE,
    OPT_DTYPE,
    OPT_DEPTH,
    OPT_BEST_EFFORT,
    OPT_ROS_DOMAIN,
    OPT_WAIT,
    OPT_COUNT
};

static int types_table(void)
{
    printf("%-32s %s\n", "ROS 2 TYPE", "POOL SHAPES AND DTYPES");
    for (size_t i = 0; i < tipc_ros2_type_count(); i++) {
        const tipc_ros2_type_info *t = tipc_ros2_type_at(i);
        printf("%-32s %s\n", t->name, t->shapes);
    }
    return CLI_EXIT_OK;
}

/* "480,640,3" into @p shape. 0 ok. */
static int parse_shape(const char *s, int64_t *shape, size_t *ndim)
{
    *ndim = 0;
    while (*s) {
        char *end;
        long long v = strtoll(s, &end, 10);
        if (end == s || v <= 0 || *ndim == TIPC_MAX_DIMS || (*end && *end != ','))
            return -1;
        shape[(*ndim)++] = v;
        s = *end ? end + 1 : end;
    }
    return *ndim ? 0 : -1;
}

/* Report the counters once per second until Ctrl-C or @p count reports. */
static int run_bridge(tipc_ros2_bridge *b, const char *title, uint64_t count)
{
    tipc_ros2_stats prev = {.version = TIPC_ROS2_STATS_VERSION}, s = prev;
    uint64_t reports = 0;
    int64_t t0 = cli_mono_ns();
    printf("%s\n", title);
    while (!cli_stop && (count == 0 || reports < count)) {
        cli_sleep_ns(1000000000LL - (cli_mono_ns() - t0) % 1000000000LL);
        if (cli_stop)
            break;
        s.version = TIPC_ROS2_STATS_VERSION;
        tipc_status st = tipc_ros2_bridge_stats(b, &s);
        if (st)
            return cli_fail_status(st, "reading the bridge counters failed");
        printf("%llu frames/s %.2f MB/s frames %llu skipped %llu rejected %llu malformed %llu "
               "matched %u\n",
               (unsigned long long)(s.frames - prev.frames), (double)(s.bytes - prev.bytes) / 1e6,
               (unsigned long long)s.frames, (unsigned long long)s.skipped,
               (unsigned long long)s.rejected, (unsigned long long)s.malformed, s.matched);
        if (s.last_problem[0] && strcmp(s.last_problem, prev.last_problem))
            fprintf(stderr, "tipc ros2: %s\n", s.last_problem);
        prev = s;
        reports++;
    }
    return CLI_EXIT_OK;
}

/* The bridge's own consumer or producer uses the process's default context:
 * give it the domain chosen with --domain. */
static void default_domain(const struct cli *g)
{
    if (g->domain >= 0) {
        char d[16];
        snprintf(d, sizeof d, "%d", (int)g->domain);
        setenv("TIPC_DOMAIN_ID", d, 1);
    }
}

int cli_cmd_ros2(struct cli *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"type", required_argument, NULL, OPT_TYPE},
        {"encoding", required_argument, NULL, OPT_ENCODING},
        {"frame-id", required_argument, NULL, OPT_FRAME_ID},
        {"joint-names", required_argument, NULL, OPT_JOINTS},
        {"history", required_argument, NULL, OPT_HISTORY},
        {"shape", required_argument, NULL, OPT_SHAPE},
        {"dtype", required_argument, NULL, OPT_DTYPE},
        {"depth", required_argument, NULL, OPT_DEPTH},
        {"best-effort", no_argument, NULL, OPT_BEST_EFFORT},
        {"ros-domain", required_argument, NULL, OPT_ROS_DOMAIN},
        {"wait", required_argument, NULL, OPT_WAIT},
        {"count", required_argument, NULL, OPT_COUNT},
        {"domain", required_argument, NULL, CLI_OPT_DOMAIN},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    tipc_ros2_options o;
    tipc_ros2_options_init(&o, TIPC_ROS2_OPTIONS_VERSION);
    const char *shape_arg = NULL, *dtype_arg = NULL;
    uint64_t v, count = 0;
    double wait_s = CLI_DEFAULT_WAIT_S;
    int c, rc;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_TYPE:
            if (!tipc_ros2_type_find(optarg))
                return cli_usage("ros2", "%s", tipc_last_error());
            o.msg_type = optarg;
            break;
        case OPT_ENCODING: o.encoding = optarg; break;
        case OPT_FRAME_ID: o.frame_id = optarg; break;
        case OPT_JOINTS: o.joint_names = optarg; break;
        case OPT_HISTORY:
            if (cli_parse_u64(optarg, 1, TIPC_MAX_HISTORY, &v))
                return cli_usage("ros2", "--history needs an integer in 1..%d, got '%s'",
                                 TIPC_MAX_HISTORY, optarg);
            o.history_len = (uint32_t)v;
            break;
        case OPT_SHAPE: shape_arg = optarg; break;
        case OPT_DTYPE: dtype_arg = optarg; break;
        case OPT_DEPTH:
            if (cli_parse_u64(optarg, 1, 100000, &v))
                return cli_usage("ros2", "--depth needs an integer in 1..100000, got '%s'", optarg);
            o.qos_depth = (uint32_t)v;
            break;
        case OPT_BEST_EFFORT: o.reliable = 0; break;
        case OPT_ROS_DOMAIN:
            if (cli_parse_u64(optarg, 0, 232, &v))
                return cli_usage("ros2", "--ros-domain needs an integer in 0..232, got '%s'", optarg);
            o.domain_id = (int32_t)v;
            break;
        case OPT_WAIT:
            if (cli_parse_double(optarg, -1, 1e9, &wait_s) || (wait_s < 0 && wait_s != -1))
                return cli_usage("ros2", "--wait needs seconds >= 0, or -1, got '%s'", optarg);
            break;
        case OPT_COUNT:
            if (cli_parse_u64(optarg, 1, UINT64_MAX, &count))
                return cli_usage("ros2", "--count needs a positive integer, got '%s'", optarg);
            break;
        case CLI_OPT_DOMAIN:
            if ((rc = cli_set_domain(g, "ros2", optarg)))
                return rc;
            break;
        case 'h': fputs(ros2_help, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error("ros2", c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage("ros2", "missing subcommand (export, import or types)");
    const char *sub = argv[optind++];
    int nargs = argc - optind;
    if (!strcmp(sub, "types")) {
        if (nargs)
            return cli_usage("ros2", "unexpected argument '%s'", argv[optind]);
        return types_table();
    }
    int is_export = !strcmp(sub, "export");
    if (!is_export && strcmp(sub, "import"))
        return cli_usage("ros2", "unknown subcommand '%s' (export, import or types)", sub);
    if (nargs != 2)
        return cli_usage("ros2", "%s takes %s", sub, is_export ? "POOL TOPIC" : "TOPIC POOL");
    if (is_export && (shape_arg || dtype_arg))
        return cli_usage("ros2", "--shape and --dtype are options of import");
    if (!is_export && (o.encoding || o.frame_id || o.joint_names))
        return cli_usage("ros2", "--encoding, --frame-id and --joint-names are options of export");
    if (!is_export && !o.msg_type)
        return cli_usage("ros2", "import needs --type (tipc ros2 types lists them)");
    if (dtype_arg && !shape_arg)
        return cli_usage("ros2", "--dtype needs --shape");
    default_domain(g);
    cli_install_signals();

    tipc_ros2_bridge *b = NULL;
    tipc_status st;
    char title[512];
    if (is_export) {
        const char *pool = argv[optind], *topic = argv[optind + 1];
        tipc_metadata *md;
        if ((rc = cli_find_pool(g, pool, wait_s, &md)))
            return rc;
        st = tipc_ros2_export_create(&b, md, topic, &o);
        tipc_metadata_destroy(md);
        if (st)
            return cli_fail_status(st, "cannot export the pool");
        snprintf(title, sizeof title, "exporting pool '%s' to ROS 2 topic '%s' as %s", pool, topic,
                 tipc_ros2_bridge_type(b));
    } else {
        const char *topic = argv[optind], *pool = argv[optind + 1];
        tipc_metadata *md = NULL;
        if (shape_arg) {
            int64_t shape[TIPC_MAX_DIMS];
            size_t nd;
            if (parse_shape(shape_arg, shape, &nd))
                return cli_usage("ros2", "--shape needs positive sizes separated by ',', got '%s'",
                                 shape_arg);
            /* Without --dtype: the first dtype the type takes for this shape. */
            static const tipc_dtype guesses[] = {
                TIPC_DTYPE_UINT8, TIPC_DTYPE_FLOAT64, TIPC_DTYPE_FLOAT32, TIPC_DTYPE_INT8,
                TIPC_DTYPE_UINT16, TIPC_DTYPE_INT16, TIPC_DTYPE_INT32, TIPC_DTYPE_UINT32,
                TIPC_DTYPE_INT64, TIPC_DTYPE_UINT64 };
            size_t n = dtype_arg ? 1 : sizeof guesses / sizeof guesses[0];
            for (size_t i = 0; i < n; i++) {
                tipc_dtype dt = dtype_arg ? tipc_dtype_from_name(dtype_arg) : guesses[i];
                if (dt == TIPC_DTYPE_INVALID)
                    return cli_usage("ros2", "unknown dtype '%s'", dtype_arg);
                st = tipc_metadata_create(&md, pool, dt, nd, shape, TIPC_BACKEND_NUMPY,
                                          o.history_len, NULL);
                if (st)
                    return cli_fail_status(st, "bad pool description");
                const char *t, *e;
                st = tipc_ros2_infer(&t, &e, md, o.msg_type);
                if (st == TIPC_OK)
                    break;
                tipc_metadata_destroy(md);
                md = NULL;
            }
            if (!md)
                return cli_fail_status(st, "the shape does not fit the type");
        }
        st = tipc_ros2_import_create(&b, topic, md ? NULL : pool, md, &o);
        tipc_metadata_destroy(md);
        if (st)
            return cli_fail_status(st, "cannot import the topic");
        snprintf(title, sizeof title, "importing ROS 2 topic '%s' (%s) into pool '%s'", topic,
                 tipc_ros2_bridge_type(b), pool);
    }
    rc = run_bridge(b, title, count);
    tipc_ros2_bridge_destroy(b);
    return rc;
}
