/* tipc_ros2.i - the ROS 2 section of the C ABI (tensor_ipc.h "ROS 2 bridge"),
 * included by tensor_ipc.i after its %exception, so every call here reports
 * its status the same way. Ros2Bridge wraps tipc_ros2_bridge (export or
 * import, created by its constructor, destroyed by its destructor);
 * Ros2Stats and Ros2TypeInfo are read-only records. The byte-level codec
 * (encode/decode into caller buffers) is per language: python/tipc_python_ros2.i. */

%{
typedef struct tipc_ros2_bridge Ros2Bridge;
typedef tipc_ros2_stats Ros2Stats;
typedef tipc_ros2_type_info Ros2TypeInfo;

/* Options of a bridge or of the codec from the wrapped calls' arguments
 * (strings are borrowed for the duration of the call). */
static tipc_ros2_options tipc_swig_ros2_opts(const char *msg_type, const char *encoding,
                                             const char *frame_id, const char *joint_names)
{
    tipc_ros2_options o = TIPC_ROS2_OPTIONS_INIT;
    o.msg_type = msg_type;
    o.encoding = encoding;
    o.frame_id = frame_id;
    o.joint_names = joint_names;
    return o;
}
%}

/* ------------------------------------------------------------ Ros2TypeInfo */

%nodefaultctor Ros2TypeInfo;
%nodefaultdtor Ros2TypeInfo;
%immutable;
typedef struct {
    const char *name;
    const char *dds_name;
    const char *shapes;
    const char *definition;
} Ros2TypeInfo;
%mutable;

%rename(ros2_type_count) tipc_ros2_type_count;
size_t tipc_ros2_type_count(void);

%inline %{
/* Supported type @p i (static data), or NULL past the end. */
const Ros2TypeInfo *ros2_type_at(size_t i) { return tipc_ros2_type_at(i); }
/* The type named @p name (ROS or DDS spelling); raises listing the supported names. */
const Ros2TypeInfo *ros2_type_find(const char *name) {
    const tipc_ros2_type_info *t = tipc_ros2_type_find(name);
    if (!t)
        TIPC_TRY(TIPC_E_INVALID);
    return t;
}
/* The ROS 2 type a pool maps to (msg_type NULL: inferred; else checked). */
const char *ros2_infer_type(const Metadata *md, const char *msg_type) {
    const char *type = NULL, *enc = NULL;
    TIPC_TRY(tipc_ros2_infer(&type, &enc, md, msg_type));
    return type;
}
/* The sensor_msgs/Image encoding a pool maps to; NULL for other types. */
const char *ros2_infer_encoding(const Metadata *md, const char *msg_type) {
    const char *type = NULL, *enc = NULL;
    TIPC_TRY(tipc_ros2_infer(&type, &enc, md, msg_type));
    return enc;
}
%}

/* --------------------------------------------------------------- Ros2Stats */

%nodefaultctor Ros2Stats;
%immutable;
typedef struct {
    uint64_t frames;
    uint64_t bytes;
    uint64_t skipped;
    uint64_t rejected;
    uint64_t malformed;
    uint32_t matched;
    char last_problem[256];
} Ros2Stats;
%mutable;

/* -------------------------------------------------------------- Ros2Bridge */

%constant int ROS2_EXPORT = 0;
%constant int ROS2_IMPORT = 1;

%nodefaultctor Ros2Bridge;
%newobject Ros2Bridge::stats;
%newobject Ros2Bridge::metadata;
typedef struct {} Ros2Bridge;

%extend Ros2Bridge {
    /* direction ROS2_EXPORT: pool -> topic (pool required); ROS2_IMPORT:
     * topic -> a pool this bridge produces (pool, or NULL and pool_name to
     * take the shape from the first message). manual: no thread, poll(). */
    Ros2Bridge(int direction, const char *topic, const Metadata *pool, const char *pool_name,
               const char *msg_type = NULL, const char *encoding = NULL,
               const char *frame_id = NULL, const char *joint_names = NULL,
               int32_t domain_id = -1, uint32_t qos_depth = 10, int32_t reliable = 1,
               uint32_t history_len = 8, int manual = 0) {
        tipc_ros2_options o = tipc_swig_ros2_opts(msg_type, encoding, frame_id, joint_names);
        o.domain_id = domain_id;
        o.qos_depth = qos_depth;
        o.reliable = reliable;
        o.history_len = history_len;
        o.flags = manual ? TIPC_ROS2_MANUAL : 0u;
        tipc_ros2_bridge *b = NULL;
        if (direction == 0)
            TIPC_TRY(tipc_ros2_export_create(&b, pool, topic, &o));
        else
            TIPC_TRY(tipc_ros2_import_create(&b, topic, pool_name, pool, &o));
        return b;
    }
    ~Ros2Bridge() { tipc_ros2_bridge_destroy($self); }
    /* Frames moved by a manual bridge within timeout_ns (0: none waited
     * for); 0 when nothing came in time (no error to raise per call). */
    uint64_t poll(int64_t timeout_ns) {
        uint64_t n = 0;
        tipc_status st = tipc_ros2_bridge_poll($self, timeout_ns, &n);
        if (st != TIPC_E_TIMEOUT)
            TIPC_TRY(st);
        return n;
    }
    Ros2Stats *stats() {
        Ros2Stats *s = calloc(1, sizeof *s);
        if (!s) {
            TIPC_TRY(TIPC_E_NOMEM);
            return NULL;
        }
        s->version = TIPC_ROS2_STATS_VERSION;
        if (TIPC_TRY(tipc_ros2_bridge_stats($self, s)) != TIPC_OK) {
            free(s);
            return NULL;
        }
        return s;
    }
    const char *type() { return tipc_ros2_bridge_type($self); }
    /* A copy of the pool's metadata; NULL before an import's first message. */
    Metadata *metadata() {
        const tipc_metadata *md = tipc_ros2_bridge_metadata($self);
        tipc_metadata *copy = NULL;
        if (md)
            TIPC_TRY(tipc_metadata_clone(&copy, md));
        return copy;
    }
}

/* Producer.commit_at: publish a loan with a given stamp (a message's header.stamp). */
%extend Producer {
    uint64_t commit_at(int64_t timestamp_ns) {
        uint64_t index = 0;
        TIPC_TRY(tipc_producer_commit_at($self, timestamp_ns, &index));
        return index;
    }
}

#if defined(SWIGPYTHON)
%include "python/tipc_python_ros2.i"
#endif
