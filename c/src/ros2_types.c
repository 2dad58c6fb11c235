/* The supported ROS 2 message types: their table, the pool shapes each maps
 * to (ros2_numpy's array forms), serialisation of frames through the
 * idlc-generated samples and Cyclone's CDR writer, and a bounds-checked
 * reader of serialised messages. */
#include "ros2_types.h"

#include "cdr_in.h"

#include "metadata.h"
#include "status.h"

#include "builtin_interfaces.h"
#include "geometry_msgs.h"
#include "nav_msgs.h"
#include "sensor_msgs.h"
#include "std_msgs.h"

#include <dds/ddsi/ddsi_cdrstream.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* The type table                                                           */
/* ------------------------------------------------------------------------ */

enum kind {
    K_IMAGE,
    K_JOINT,
    K_IMU,
    K_CLOUD,
    K_GRID,
    K_TWIST,
    K_POSE,
    K_POINT,
    K_VECTOR3,
    K_QUAT,
    K_MULTI
};

struct tipc__ros2_type {
    tipc_ros2_type_info info;
    const dds_topic_descriptor_t *desc;
    enum kind kind;
    tipc_dtype dtype; /* element type of a MultiArray */
};

/* MCAP "ros2msg" schema text: the type's fields, then each dependency after
 * a line of 80 '=' and "MSG: pkg/Name". */
#define SEP "================================================================================\n"
#define DEP_TIME SEP "MSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec\n"
#define DEP_HEADER SEP "MSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id\n"
#define DEP_POINT SEP "MSG: geometry_msgs/Point\nfloat64 x\nfloat64 y\nfloat64 z\n"
#define DEP_VECTOR3 SEP "MSG: geometry_msgs/Vector3\nfloat64 x\nfloat64 y\nfloat64 z\n"
#define DEP_QUAT SEP "MSG: geometry_msgs/Quaternion\nfloat64 x\nfloat64 y\nfloat64 z\nfloat64 w\n"
#define DEP_POSE                                                                             \
    SEP "MSG: geometry_msgs/Pose\ngeometry_msgs/Point position\n"                            \
        "geometry_msgs/Quaternion orientation\n"
#define DEP_LAYOUT                                                                           \
    SEP "MSG: std_msgs/MultiArrayLayout\nstd_msgs/MultiArrayDimension[] dim\n"               \
        "uint32 data_offset\n" SEP                                                           \
        "MSG: std_msgs/MultiArrayDimension\nstring label\nuint32 size\nuint32 stride\n"
#define MULTI(pkgname, ddsname, elem, dt, desc)                                              \
    { { "std_msgs/msg/" pkgname, "std_msgs::msg::dds_::" ddsname,                            \
        dt " array, any shape (layout.dim from the shape, labels dim0.., C-order strides)",  \
        "std_msgs/MultiArrayLayout layout\n" elem "[] data\n" DEP_LAYOUT },                  \
      &desc, K_MULTI, 0 }

static struct tipc__ros2_type types[] = {
    { { "sensor_msgs/msg/Image", "sensor_msgs::msg::dds_::Image_",
        "(H,W) or (H,W,C), C 1..4, of uint8/int8/uint16/int16/int32/float32/float64; encoding "
        "from dtype and C (uint8: mono8, rgb8, rgba8; uint16: mono16; else <bits><U|S|F>C<C>) "
        "or given (bgr8, bgra8, 16UC3, ...); row padding (step) accepted on import",
        "std_msgs/Header header\nuint32 height\nuint32 width\nstring encoding\n"
        "uint8 is_bigendian\nuint32 step\nuint8[] data\n" DEP_HEADER DEP_TIME },
      &sensor_msgs_msg_dds__Image__desc, K_IMAGE, 0 },
    { { "sensor_msgs/msg/JointState", "sensor_msgs::msg::dds_::JointState_",
        "float64 (N,) = position, or (3,N) = position, velocity, effort; names from "
        "joint_names, else joint_0..",
        "std_msgs/Header header\nstring[] name\nfloat64[] position\nfloat64[] velocity\n"
        "float64[] effort\n" DEP_HEADER DEP_TIME },
      &sensor_msgs_msg_dds__JointState__desc, K_JOINT, 0 },
    { { "sensor_msgs/msg/Imu", "sensor_msgs::msg::dds_::Imu_",
        "float64 (10,) = orientation x,y,z,w, angular velocity x,y,z, linear acceleration "
        "x,y,z; covariances exported as zeros (unknown)",
        "std_msgs/Header header\ngeometry_msgs/Quaternion orientation\n"
        "float64[9] orientation_covariance\ngeometry_msgs/Vector3 angular_velocity\n"
        "float64[9] angular_velocity_covariance\ngeometry_msgs/Vector3 linear_acceleration\n"
        "float64[9] linear_acceleration_covariance\n" DEP_HEADER DEP_TIME DEP_QUAT DEP_VECTOR3 },
      &sensor_msgs_msg_dds__Imu__desc, K_IMU, 0 },
    { { "sensor_msgs/msg/PointCloud2", "sensor_msgs::msg::dds_::PointCloud2_",
        "float32 (N,3) = x,y,z or (N,4) = x,y,z,intensity; import takes float32 x,y,z "
        "[,intensity] fields at any offset",
        "std_msgs/Header header\nuint32 height\nuint32 width\n"
        "sensor_msgs/PointField[] fields\nbool is_bigendian\nuint32 point_step\n"
        "uint32 row_step\nuint8[] data\nbool is_dense\n" DEP_HEADER DEP_TIME SEP
        "MSG: sensor_msgs/PointField\nuint8 INT8=1\nuint8 UINT8=2\nuint8 INT16=3\n"
        "uint8 UINT16=4\nuint8 INT32=5\nuint8 UINT32=6\nuint8 FLOAT32=7\nuint8 FLOAT64=8\n"
        "string name\nuint32 offset\nuint8 datatype\nuint32 count\n" },
      &sensor_msgs_msg_dds__PointCloud2__desc, K_CLOUD, 0 },
    { { "nav_msgs/msg/OccupancyGrid", "nav_msgs::msg::dds_::OccupancyGrid_",
        "int8 (H,W); exported with resolution 1.0, origin at zero with identity "
        "orientation, map_load_time = stamp",
        "std_msgs/Header header\nnav_msgs/MapMetaData info\nint8[] data\n" DEP_HEADER DEP_TIME
        SEP "MSG: nav_msgs/MapMetaData\nbuiltin_interfaces/Time map_load_time\n"
        "float32 resolution\nuint32 width\nuint32 height\ngeometry_msgs/Pose origin\n"
        DEP_POSE DEP_POINT DEP_QUAT },
      &nav_msgs_msg_dds__OccupancyGrid__desc, K_GRID, 0 },
    { { "geometry_msgs/msg/Twist", "geometry_msgs::msg::dds_::Twist_",
        "float64 (6,) or (2,3) = linear x,y,z, angular x,y,z",
        "geometry_msgs/Vector3 linear\ngeometry_msgs/Vector3 angular\n" DEP_VECTOR3 },
      &geometry_msgs_msg_dds__Twist__desc, K_TWIST, 0 },
    { { "geometry_msgs/msg/Pose", "geometry_msgs::msg::dds_::Pose_",
        "float64 (4,4) = the homogeneous transform of the pose (as ros2_numpy)",
        "geometry_msgs/Point position\ngeometry_msgs/Quaternion orientation\n" DEP_POINT
        DEP_QUAT },
      &geometry_msgs_msg_dds__Pose__desc, K_POSE, 0 },
    { { "geometry_msgs/msg/Point", "geometry_msgs::msg::dds_::Point_", "float64 (3,) = x,y,z",
        "float64 x\nfloat64 y\nfloat64 z\n" },
      &geometry_msgs_msg_dds__Point__desc, K_POINT, 0 },
    { { "geometry_msgs/msg/Vector3", "geometry_msgs::msg::dds_::Vector3_",
        "float64 (3,) = x,y,z", "float64 x\nfloat64 y\nfloat64 z\n" },
      &geometry_msgs_msg_dds__Vector3__desc, K_VECTOR3, 0 },
    { { "geometry_msgs/msg/Quaternion", "geometry_msgs::msg::dds_::Quaternion_",
        "float64 (4,) = x,y,z,w", "float64 x\nfloat64 y\nfloat64 z\nfloat64 w\n" },
      &geometry_msgs_msg_dds__Quaternion__desc, K_QUAT, 0 },
    MULTI("Float32MultiArray", "Float32MultiArray_", "float32", "float32",
          std_msgs_msg_dds__Float32MultiArray__desc),
    MULTI("Float64MultiArray", "Float64MultiArray_", "float64", "float64",
          std_msgs_msg_dds__Float64MultiArray__desc),
    MULTI("Int8MultiArray", "Int8MultiArray_", "int8", "int8",
          std_msgs_msg_dds__Int8MultiArray__desc),
    MULTI("UInt8MultiArray", "UInt8MultiArray_", "uint8", "uint8",
          std_msgs_msg_dds__UInt8MultiArray__desc),
    MULTI("Int16MultiArray", "Int16MultiArray_", "int16", "int16",
          std_msgs_msg_dds__Int16MultiArray__desc),
    MULTI("UInt16MultiArray", "UInt16MultiArray_", "uint16", "uint16",
          std_msgs_msg_dds__UInt16MultiArray__desc),
    MULTI("Int32MultiArray", "Int32MultiArray_", "int32", "int32",
          std_msgs_msg_dds__Int32MultiArray__desc),
    MULTI("UInt32MultiArray", "UInt32MultiArray_", "uint32", "uint32",
          std_msgs_msg_dds__UInt32MultiArray__desc),
    MULTI("Int64MultiArray", "Int64MultiArray_", "int64", "int64",
          std_msgs_msg_dds__Int64MultiArray__desc),
    MULTI("UInt64MultiArray", "UInt64MultiArray_", "uint64", "uint64",
          std_msgs_msg_dds__UInt64MultiArray__desc),
    MULTI("ByteMultiArray", "ByteMultiArray_", "byte", "uint8 (bytes)",
          std_msgs_msg_dds__ByteMultiArray__desc),
};
#define NTYPES (sizeof types / sizeof types[0])

/* The element dtypes of the MULTI rows above, in order (a designated
 * initialiser per row would hide the table). */
static const tipc_dtype multi_dtypes[] = {
    TIPC_DTYPE_FLOAT32, TIPC_DTYPE_FLOAT64, TIPC_DTYPE_INT8,   TIPC_DTYPE_UINT8,
    TIPC_DTYPE_INT16,   TIPC_DTYPE_UINT16,  TIPC_DTYPE_INT32,  TIPC_DTYPE_UINT32,
    TIPC_DTYPE_INT64,   TIPC_DTYPE_UINT64,  TIPC_DTYPE_UINT8,
};
#define FIRST_MULTI 10

static tipc_dtype multi_dtype(const tipc__ros2_type *t)
{
    return multi_dtypes[(size_t)(t - types) - FIRST_MULTI];
}

size_t tipc_ros2_type_count(void)
{
    return NTYPES;
}

const tipc_ros2_type_info *tipc_ros2_type_at(size_t i)
{
    return i < NTYPES ? &types[i].info : NULL;
}

/* "sensor_msgs/msg/Image" matches "sensor_msgs/Image", "sensor_msgs/msg/Image"
 * and "sensor_msgs::msg::dds_::Image_". */
const tipc__ros2_type *tipc__ros2_lookup(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < NTYPES; i++) {
        const char *full = types[i].info.name;
        if (!strcmp(name, full) || !strcmp(name, types[i].info.dds_name))
            return &types[i];
        const char *slash = strchr(full, '/');
        size_t pkg = (size_t)(slash - full);
        if (!strncmp(name, full, pkg + 1) && !strcmp(name + pkg + 1, slash + 5))
            return &types[i];
    }
    return NULL;
}

static void list_names(char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < NTYPES && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", types[i].info.name);
}

static tipc_status unknown_type(const char *name)
{
    char names[1024];
    list_names(names, sizeof names);
    return tipc__fail(TIPC_E_INVALID, "unknown ROS 2 message type '%s': supported are %s",
                      name ? name : "(null)", names);
}

const tipc_ros2_type_info *tipc_ros2_type_find(const char *name)
{
    const tipc__ros2_type *t = tipc__ros2_lookup(name);
    if (!t) {
        unknown_type(name);
        return NULL;
    }
    return &t->info;
}

const tipc_ros2_type_info *tipc__ros2_info(const tipc__ros2_type *t)
{
    return &t->info;
}

const dds_topic_descriptor_t *tipc__ros2_descriptor(const tipc__ros2_type *t)
{
    return t->desc;
}

/* ------------------------------------------------------------------------ */
/* Options                                                                  */
/* ------------------------------------------------------------------------ */

tipc_status tipc_ros2_options_init(tipc_ros2_options *opts, unsigned int version)
{
    TIPC_CHECK_ARG(opts, "options are NULL");
    if (version != TIPC_ROS2_OPTIONS_VERSION)
        return tipc__fail(TIPC_E_INVALID, "ROS 2 options version %u is unknown (this library: %u)",
                          version, TIPC_ROS2_OPTIONS_VERSION);
    const tipc_ros2_options d = TIPC_ROS2_OPTIONS_INIT;
    *opts = d;
    return TIPC_OK;
}

tipc_status tipc__ros2_options_check(tipc_ros2_options *out, const tipc_ros2_options *opts)
{
    const tipc_ros2_options d = TIPC_ROS2_OPTIONS_INIT;
    if (!opts) {
        *out = d;
        return TIPC_OK;
    }
    if (opts->version != TIPC_ROS2_OPTIONS_VERSION)
        return tipc__fail(TIPC_E_INVALID, "ROS 2 options version %u is unknown (this library: %u)",
                          opts->version, TIPC_ROS2_OPTIONS_VERSION);
    if (opts->domain_id < -1 || opts->domain_id > 232)
        return tipc__fail(TIPC_E_INVALID, "ROS 2 domain id %d is out of range (0..232, or -1)",
                          (int)opts->domain_id);
    if (opts->flags & ~TIPC_ROS2_MANUAL)
        return tipc__fail(TIPC_E_INVALID, "unknown ROS 2 option flags 0x%x", opts->flags);
    if (opts->history_len > TIPC_MAX_HISTORY)
        return tipc__fail(TIPC_E_INVALID, "history_len %u exceeds %d", opts->history_len,
                          TIPC_MAX_HISTORY);
    *out = *opts;
    if (!out->qos_depth)
        out->qos_depth = 10;
    if (!out->history_len)
        out->history_len = 8;
    return TIPC_OK;
}

/* ------------------------------------------------------------------------ */
/* Pool shapes: which types carry which pools                               */
/* ------------------------------------------------------------------------ */

struct encoding {
    const char *name;
    tipc_dtype dtype;
    int channels;
};

static const struct encoding encodings[] = {
    { "mono8", TIPC_DTYPE_UINT8, 1 },   { "mono16", TIPC_DTYPE_UINT16, 1 },
    { "rgb8", TIPC_DTYPE_UINT8, 3 },    { "bgr8", TIPC_DTYPE_UINT8, 3 },
    { "rgba8", TIPC_DTYPE_UINT8, 4 },   { "bgra8", TIPC_DTYPE_UINT8, 4 },
    { "rgb16", TIPC_DTYPE_UINT16, 3 },  { "bgr16", TIPC_DTYPE_UINT16, 3 },
    { "rgba16", TIPC_DTYPE_UINT16, 4 }, { "bgra16", TIPC_DTYPE_UINT16, 4 },
    { "bayer_rggb8", TIPC_DTYPE_UINT8, 1 },   { "bayer_bggr8", TIPC_DTYPE_UINT8, 1 },
    { "bayer_gbrg8", TIPC_DTYPE_UINT8, 1 },   { "bayer_grbg8", TIPC_DTYPE_UINT8, 1 },
    { "bayer_rggb16", TIPC_DTYPE_UINT16, 1 }, { "bayer_bggr16", TIPC_DTYPE_UINT16, 1 },
    { "bayer_gbrg16", TIPC_DTYPE_UINT16, 1 }, { "bayer_grbg16", TIPC_DTYPE_UINT16, 1 },
};

/* "<bits><U|S|F>C<n>": the generic OpenCV-style encodings. */
static const struct {
    const char *prefix;
    tipc_dtype dtype;
} generic_encodings[] = {
    { "8UC", TIPC_DTYPE_UINT8 },   { "8SC", TIPC_DTYPE_INT8 },   { "16UC", TIPC_DTYPE_UINT16 },
    { "16SC", TIPC_DTYPE_INT16 },  { "32SC", TIPC_DTYPE_INT32 }, { "32FC", TIPC_DTYPE_FLOAT32 },
    { "64FC", TIPC_DTYPE_FLOAT64 },
};

/* Static storage for the generic names returned by image_encoding_name. */
static const char *const generic_names[7][4] = {
    { "8UC1", "8UC2", "8UC3", "8UC4" },     { "8SC1", "8SC2", "8SC3", "8SC4" },
    { "16UC1", "16UC2", "16UC3", "16UC4" }, { "16SC1", "16SC2", "16SC3", "16SC4" },
    { "32SC1", "32SC2", "32SC3", "32SC4" }, { "32FC1", "32FC2", "32FC3", "32FC4" },
    { "64FC1", "64FC2", "64FC3", "64FC4" },
};

/* The dtype and channels of @p name, and its static spelling; 0 if unknown. */
static int parse_encoding(const char *name, size_t len, tipc_dtype *dtype, int *channels,
                          const char **canonical)
{
    for (size_t i = 0; i < sizeof encodings / sizeof encodings[0]; i++)
        if (strlen(encodings[i].name) == len && !memcmp(name, encodings[i].name, len)) {
            *dtype = encodings[i].dtype;
            *channels = encodings[i].channels;
            *canonical = encodings[i].name;
            return 1;
        }
    for (size_t i = 0; i < sizeof generic_encodings / sizeof generic_encodings[0]; i++) {
        size_t pl = strlen(generic_encodings[i].prefix);
        if (len == pl + 1 && !memcmp(name, generic_encodings[i].prefix, pl) &&
            name[pl] >= '1' && name[pl] <= '4') {
            *dtype = generic_encodings[i].dtype;
            *channels = name[pl] - '0';
            *canonical = generic_names[i][*channels - 1];
            return 1;
        }
    }
    return 0;
}

/* The encoding a pool gets when none is given. */
static const char *default_encoding(tipc_dtype dtype, int channels)
{
    if (dtype == TIPC_DTYPE_UINT8 && channels == 1)
        return "mono8";
    if (dtype == TIPC_DTYPE_UINT8 && channels == 3)
        return "rgb8";
    if (dtype == TIPC_DTYPE_UINT8 && channels == 4)
        return "rgba8";
    if (dtype == TIPC_DTYPE_UINT16 && channels == 1)
        return "mono16";
    for (size_t i = 0; i < sizeof generic_encodings / sizeof generic_encodings[0]; i++)
        if (generic_encodings[i].dtype == dtype)
            return generic_names[i][channels - 1];
    return NULL;
}

static size_t count_names(const char *list)
{
    size_t n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    return n;
}

/* Can @p t carry pool @p md? On success *enc is the Image encoding (or
 * NULL); otherwise @p why says what does not fit. Sets no error. */
static int fits(const tipc__ros2_type *t, const tipc_metadata *md, const tipc_ros2_options *opts,
                const char **enc, char *why, size_t whysize)
{
    const size_t nd = md->ndim;
    const int64_t *s = md->shape;
    const tipc_dtype dt = md->dtype;
    *enc = NULL;
    switch (t->kind) {
    case K_IMAGE: {
        int ch = nd == 2 ? 1 : (nd == 3 && s[2] >= 1 && s[2] <= 4) ? (int)s[2] : 0;
        if (ch < 1 || ch > 4) {
            snprintf(why, whysize, "an Image is (H,W) or (H,W,C) with C 1..4");
            return 0;
        }
        if ((uint64_t)s[0] > UINT32_MAX || (uint64_t)s[1] > UINT32_MAX ||
            (uint64_t)s[1] * (uint64_t)ch * md->element_size > UINT32_MAX) {
            snprintf(why, whysize, "an Image's height and step are 32-bit");
            return 0;
        }
        if (opts && opts->encoding) {
            tipc_dtype edt;
            int ech;
            const char *canon;
            if (!parse_encoding(opts->encoding, strlen(opts->encoding), &edt, &ech, &canon)) {
                snprintf(why, whysize, "Image encoding '%s' is not supported", opts->encoding);
                return 0;
            }
            if (edt != dt || ech != ch) {
                snprintf(why, whysize, "Image encoding '%s' needs %s with %d channel%s",
                         opts->encoding, tipc_dtype_name(edt), ech, ech > 1 ? "s" : "");
                return 0;
            }
            *enc = canon;
            return 1;
        }
        *enc = default_encoding(dt, ch);
        if (!*enc) {
            snprintf(why, whysize, "no Image encoding holds %s", tipc_dtype_name(dt));
            return 0;
        }
        return 1;
    }
    case K_JOINT:
        if (dt != TIPC_DTYPE_FLOAT64 || !(nd == 1 || (nd == 2 && s[0] == 3))) {
            snprintf(why, whysize, "a JointState is float64 (N,) or (3,N)");
            return 0;
        }
        if (opts && opts->joint_names &&
            count_names(opts->joint_names) != (size_t)s[nd - 1]) {
            snprintf(why, whysize, "%zu joint names given for %lld joints",
                     count_names(opts->joint_names), (long long)s[nd - 1]);
            return 0;
        }
        if ((uint64_t)s[nd - 1] > UINT32_MAX) {
            snprintf(why, whysize, "too many joints");
            return 0;
        }
        return 1;
    case K_IMU:
        if (dt != TIPC_DTYPE_FLOAT64 || nd != 1 || s[0] != 10) {
            snprintf(why, whysize, "an Imu is float64 (10,)");
            return 0;
        }
        return 1;
    case K_CLOUD:
        if (dt != TIPC_DTYPE_FLOAT32 || nd != 2 || (s[1] != 3 && s[1] != 4)) {
            snprintf(why, whysize, "a PointCloud2 is float32 (N,3) or (N,4)");
            return 0;
        }
        if ((uint64_t)s[0] * (uint64_t)s[1] * 4 > UINT32_MAX) {
            snprintf(why, whysize, "a PointCloud2's row_step is 32-bit");
            return 0;
        }
        return 1;
    case K_GRID:
        if (dt != TIPC_DTYPE_INT8 || nd != 2 || (uint64_t)s[0] > UINT32_MAX ||
            (uint64_t)s[1] > UINT32_MAX) {
            snprintf(why, whysize, "an OccupancyGrid is int8 (H,W)");
            return 0;
        }
        return 1;
    case K_TWIST:
        if (dt != TIPC_DTYPE_FLOAT64 ||
            !((nd == 1 && s[0] == 6) || (nd == 2 && s[0] == 2 && s[1] == 3))) {
            snprintf(why, whysize, "a Twist is float64 (6,) or (2,3)");
            return 0;
        }
        return 1;
    case K_POSE:
        if (dt != TIPC_DTYPE_FLOAT64 || nd != 2 || s[0] != 4 || s[1] != 4) {
            snprintf(why, whysize, "a Pose is float64 (4,4), its homogeneous transform");
            return 0;
        }
        return 1;
    case K_POINT:
    case K_VECTOR3:
    case K_QUAT: {
        int n = t->kind == K_QUAT ? 4 : 3;
        if (dt != TIPC_DTYPE_FLOAT64 || nd != 1 || s[0] != n) {
            snprintf(why, whysize, "a %s is float64 (%d,)", strrchr(t->info.name, '/') + 1, n);
            return 0;
        }
        return 1;
    }
    case K_MULTI:
        if (dt != multi_dtype(t)) {
            snprintf(why, whysize, "a %s holds %s", strrchr(t->info.name, '/') + 1,
                     tipc_dtype_name(multi_dtype(t)));
            return 0;
        }
        for (size_t i = 0; i < nd; i++)
            if ((uint64_t)s[i] > UINT32_MAX) {
                snprintf(why, whysize, "a MultiArray's dims are 32-bit");
                return 0;
            }
        if (md->frame_bytes / md->element_size > UINT32_MAX) {
            snprintf(why, whysize, "a MultiArray holds at most 2^32-1 elements");
            return 0;
        }
        return 1;
    }
    return 0;
}

static void describe_pool(const tipc_metadata *md, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "pool '%s' %s (", md->name, tipc_dtype_name(md->dtype));
    for (size_t i = 0; i < md->ndim && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%lld", i ? "," : "", (long long)md->shape[i]);
    if (n < size)
        snprintf(buf + n, size - n, md->ndim == 1 ? ",)" : ")");
}

/* The obvious type of a pool, by ros2_numpy's forms; NULL when there is none. */
static const tipc__ros2_type *obvious(const tipc_metadata *md)
{
    const size_t nd = md->ndim;
    const int64_t *s = md->shape;
    switch (md->dtype) {
    case TIPC_DTYPE_UINT8:
    case TIPC_DTYPE_UINT16:
        if (nd == 2 || (nd == 3 && (s[2] == 1 || s[2] == 3 || s[2] == 4)))
            return &types[K_IMAGE];
        return NULL;
    case TIPC_DTYPE_FLOAT32:
        if (nd == 2 && (s[1] == 3 || s[1] == 4))
            return &types[K_CLOUD];
        return NULL;
    case TIPC_DTYPE_INT8:
        return nd == 2 ? &types[K_GRID] : NULL;
    default:
        return NULL;
    }
}

static tipc_status infer(const tipc__ros2_type **out_t, const char **out_enc,
                         const tipc_metadata *md, const char *msg_type,
                         const tipc_ros2_options *opts)
{
    char why[160], pool[160];
    describe_pool(md, pool, sizeof pool);
    if (!msg_type && opts && opts->encoding)
        msg_type = types[K_IMAGE].info.name; /* only Images have an encoding */
    if (msg_type) {
        const tipc__ros2_type *t = tipc__ros2_lookup(msg_type);
        if (!t)
            return unknown_type(msg_type);
        if (!fits(t, md, opts, out_enc, why, sizeof why))
            return tipc__fail(TIPC_E_MISMATCH, "%s cannot be a %s: %s", pool, t->info.name, why);
        *out_t = t;
        return TIPC_OK;
    }
    const tipc__ros2_type *t = obvious(md);
    if (t && fits(t, md, opts, out_enc, why, sizeof why)) {
        *out_t = t;
        return TIPC_OK;
    }
    char list[1024];
    size_t n = 0;
    list[0] = '\0';
    for (size_t i = 0; i < NTYPES && n < sizeof list; i++) {
        const char *enc;
        if (fits(&types[i], md, opts, &enc, why, sizeof why))
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "",
                                  types[i].info.name);
    }
    if (!n)
        return tipc__fail(TIPC_E_UNSUPPORTED,
                          "%s fits no supported ROS 2 message type (`tipc ros2 types` lists "
                          "the shapes each takes)",
                          pool);
    return tipc__fail(TIPC_E_UNSUPPORTED,
                      "%s has no obvious ROS 2 message type: choose one of %s", pool, list);
}

tipc_status tipc_ros2_infer(const char **out_type, const char **out_encoding,
                            const tipc_metadata *md, const char *msg_type)
{
    TIPC_CHECK_ARG(out_type && md, "an argument is NULL");
    *out_type = NULL;
    if (out_encoding)
        *out_encoding = NULL;
    const tipc__ros2_type *t;
    const char *enc;
    tipc_status st = infer(&t, &enc, md, msg_type, NULL);
    if (st)
        return st;
    *out_type = t->info.name;
    if (out_encoding)
        *out_encoding = enc;
    return TIPC_OK;
}

/* ------------------------------------------------------------------------ */
/* Frames to samples                                                        */
/* ------------------------------------------------------------------------ */

#define MAX_DIM_LABEL 24 /* "dim" and a size_t: never cut */

struct tipc__ros2_map {
    const tipc__ros2_type *type;
    tipc_metadata md;
    const char *encoding;
    char *frame_id;
    char **names;      /* JointState names (pointers into names_buf) */
    char *names_buf;
    uint32_t njoints;
    char labels[TIPC_MAX_DIMS][MAX_DIM_LABEL];
    std_msgs_msg_dds__MultiArrayDimension_ dims[TIPC_MAX_DIMS];
    sensor_msgs_msg_dds__PointField_ fields[4];
    union {
        sensor_msgs_msg_dds__Image_ image;
        sensor_msgs_msg_dds__JointState_ joint;
        sensor_msgs_msg_dds__Imu_ imu;
        sensor_msgs_msg_dds__PointCloud2_ cloud;
        nav_msgs_msg_dds__OccupancyGrid_ grid;
        geometry_msgs_msg_dds__Twist_ twist;
        geometry_msgs_msg_dds__Pose_ pose;
        geometry_msgs_msg_dds__Point_ point;
        geometry_msgs_msg_dds__Vector3_ vector3;
        geometry_msgs_msg_dds__Quaternion_ quat;
        std_msgs_msg_dds__Float32MultiArray_ multi; /* every MultiArray has this layout */
    } s;
};

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void tipc__ros2_map_destroy(tipc__ros2_map *m)
{
    if (!m)
        return;
    free(m->frame_id);
    free(m->names);
    free(m->names_buf);
    free(m);
}

static int is_host_big_endian(void)
{
    return __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
}

static tipc_status make_names(tipc__ros2_map *m, const char *list)
{
    const uint32_t n = m->njoints;
    m->names = calloc(n ? n : 1, sizeof *m->names);
    if (!m->names)
        return tipc__fail(TIPC_E_NOMEM, "out of memory for %u joint names", n);
    if (list) {
        m->names_buf = dup_str(list);
        if (!m->names_buf)
            return tipc__fail(TIPC_E_NOMEM, "out of memory for joint names");
        char *p = m->names_buf;
        for (uint32_t i = 0; i < n; i++) {
            m->names[i] = p;
            p += strcspn(p, ",");
            if (*p)
                *p++ = '\0';
        }
        return TIPC_OK;
    }
    /* "joint_<i>" with i below 2^32: at most 17 bytes each. */
    m->names_buf = malloc((size_t)n * 17 + 1);
    if (!m->names_buf)
        return tipc__fail(TIPC_E_NOMEM, "out of memory for %u joint names", n);
    char *p = m->names_buf;
    for (uint32_t i = 0; i < n; i++) {
        m->names[i] = p;
        p += snprintf(p, 17, "joint_%u", i) + 1;
    }
    return TIPC_OK;
}

tipc_status tipc__ros2_map_create(tipc__ros2_map **out, const tipc_metadata *md,
                                  const tipc_ros2_options *opts)
{
    *out = NULL;
    const tipc__ros2_type *t;
    const char *enc;
    tipc_status st = infer(&t, &enc, md, opts ? opts->msg_type : NULL, opts);
    if (st)
        return st;
    tipc__ros2_map *m = calloc(1, sizeof *m);
    if (!m)
        return tipc__fail(TIPC_E_NOMEM, "out of memory for a ROS 2 mapping");
    m->type = t;
    m->md = *md;
    m->encoding = enc;
    m->frame_id = dup_str(opts && opts->frame_id ? opts->frame_id : "");
    if (!m->frame_id) {
        tipc__ros2_map_destroy(m);
        return tipc__fail(TIPC_E_NOMEM, "out of memory for a ROS 2 mapping");
    }
    const int64_t *s = md->shape;
    const size_t nd = md->ndim;
    switch (t->kind) {
    case K_IMAGE: {
        sensor_msgs_msg_dds__Image_ *im = &m->s.image;
        int ch = nd == 3 ? (int)s[2] : 1;
        im->height = (uint32_t)s[0];
        im->width = (uint32_t)s[1];
        im->encoding = (char *)enc;
        im->is_bigendian = (uint8_t)is_host_big_endian();
        im->step = (uint32_t)((size_t)s[1] * (size_t)ch * md->element_size);
        im->data._length = im->data._maximum = (uint32_t)md->frame_bytes;
        break;
    }
    case K_JOINT:
        m->njoints = (uint32_t)s[nd - 1];
        st = make_names(m, opts ? opts->joint_names : NULL);
        if (st) {
            tipc__ros2_map_destroy(m);
            return st;
        }
        m->s.joint.name._buffer = m->names;
        m->s.joint.name._length = m->s.joint.name._maximum = m->njoints;
        m->s.joint.position._length = m->s.joint.position._maximum = m->njoints;
        if (nd == 2) {
            m->s.joint.velocity._length = m->s.joint.velocity._maximum = m->njoints;
            m->s.joint.effort._length = m->s.joint.effort._maximum = m->njoints;
        }
        break;
    case K_CLOUD: {
        static const char *const names[4] = { "x", "y", "z", "intensity" };
        sensor_msgs_msg_dds__PointCloud2_ *c = &m->s.cloud;
        uint32_t nf = (uint32_t)s[1];
        for (uint32_t i = 0; i < nf; i++) {
            m->fields[i].name = (char *)names[i];
            m->fields[i].offset = 4 * i;
            m->fields[i].datatype = 7; /* PointField.FLOAT32 */
            m->fields[i].count = 1;
        }
        c->fields._buffer = m->fields;
        c->fields._length = c->fields._maximum = nf;
        c->height = 1;
        c->width = (uint32_t)s[0];
        c->is_bigendian = is_host_big_endian();
        c->point_step = 4 * nf;
        c->row_step = c->point_step * c->width;
        c->data._length = c->data._maximum = (uint32_t)md->frame_bytes;
        break;
    }
    case K_GRID: {
        nav_msgs_msg_dds__OccupancyGrid_ *g = &m->s.grid;
        g->info.resolution = 1.0f;
        g->info.height = (uint32_t)s[0];
        g->info.width = (uint32_t)s[1];
        g->info.origin.orientation.w = 1.0;
        g->data._length = g->data._maximum = (uint32_t)md->frame_bytes;
        break;
    }
    case K_MULTI: {
        uint64_t stride = md->frame_bytes / md->element_size;
        for (size_t i = 0; i < nd; i++) {
            snprintf(m->labels[i], MAX_DIM_LABEL, "dim%zu", i);
            m->dims[i].label = m->labels[i];
            m->dims[i].size = (uint32_t)s[i];
            m->dims[i].stride = (uint32_t)stride;
            stride /= (uint64_t)s[i];
        }
        m->s.multi.layout.dim._buffer = m->dims;
        m->s.multi.layout.dim._length = m->s.multi.layout.dim._maximum = (uint32_t)nd;
        m->s.multi.data._length = m->s.multi.data._maximum =
            (uint32_t)(md->frame_bytes / md->element_size);
        break;
    }
    default:
        break;
    }
    *out = m;
    return TIPC_OK;
}

const tipc__ros2_type *tipc__ros2_map_type(const tipc__ros2_map *m)
{
    return m->type;
}

static tipc_status set_header(std_msgs_msg_dds__Header_ *h, const char *frame_id,
                              int64_t stamp_ns)
{
    int64_t sec = stamp_ns / 1000000000;
    int64_t nsec = stamp_ns % 1000000000;
    if (nsec < 0) {
        nsec += 1000000000;
        sec--;
    }
    if (sec < INT32_MIN || sec > INT32_MAX)
        return tipc__fail(TIPC_E_INVALID, "stamp %lld ns is outside header.stamp's range",
                          (long long)stamp_ns);
    h->stamp.sec = (int32_t)sec;
    h->stamp.nanosec = (uint32_t)nsec;
    h->frame_id = (char *)frame_id;
    return TIPC_OK;
}

/* A Pose travels as position + unit quaternion; its array form is the 4x4
 * homogeneous transform, as ros2_numpy gives it. The rotation part's
 * quaternion by Shepperd's method (the numerically stable branch for each
 * case), sign chosen so that w >= 0: q and -q are the same rotation. */
static void quaternion_from_matrix(double q[4], const double *m)
{
    const double r00 = m[0], r01 = m[1], r02 = m[2];
    const double r10 = m[4], r11 = m[5], r12 = m[6];
    const double r20 = m[8], r21 = m[9], r22 = m[10];
    const double tr = r00 + r11 + r22;
    double x, y, z, w, s;
    if (tr > 0) {
        s = sqrt(tr + 1.0) * 2;
        w = s / 4, x = (r21 - r12) / s, y = (r02 - r20) / s, z = (r10 - r01) / s;
    } else if (r00 > r11 && r00 > r22) {
        s = sqrt(1.0 + r00 - r11 - r22) * 2;
        w = (r21 - r12) / s, x = s / 4, y = (r01 + r10) / s, z = (r02 + r20) / s;
    } else if (r11 > r22) {
        s = sqrt(1.0 + r11 - r00 - r22) * 2;
        w = (r02 - r20) / s, x = (r01 + r10) / s, y = s / 4, z = (r12 + r21) / s;
    } else {
        s = sqrt(1.0 + r22 - r00 - r11) * 2;
        w = (r10 - r01) / s, x = (r02 + r20) / s, y = (r12 + r21) / s, z = s / 4;
    }
    if (w < 0)
        x = -x, y = -y, z = -z, w = -w;
    q[0] = x, q[1] = y, q[2] = z, q[3] = w;
}

tipc_status tipc__ros2_map_sample(tipc__ros2_map *m, const void **out_sample, const void *frame,
                                  int64_t stamp_ns)
{
    const double *d = frame;
    uint8_t *bytes = (uint8_t *)(uintptr_t)frame; /* the sample type is not const-qualified */
    tipc_status st = TIPC_OK;
    switch (m->type->kind) {
    case K_IMAGE:
        st = set_header(&m->s.image.header, m->frame_id, stamp_ns);
        m->s.image.data._buffer = bytes;
        break;
    case K_JOINT:
        st = set_header(&m->s.joint.header, m->frame_id, stamp_ns);
        m->s.joint.position._buffer = (double *)(uintptr_t)d;
        if (m->md.ndim == 2) {
            m->s.joint.velocity._buffer = (double *)(uintptr_t)(d + m->njoints);
            m->s.joint.effort._buffer = (double *)(uintptr_t)(d + 2 * (size_t)m->njoints);
        }
        break;
    case K_IMU: {
        sensor_msgs_msg_dds__Imu_ *u = &m->s.imu;
        st = set_header(&u->header, m->frame_id, stamp_ns);
        u->orientation.x = d[0];
        u->orientation.y = d[1];
        u->orientation.z = d[2];
        u->orientation.w = d[3];
        u->angular_velocity.x = d[4];
        u->angular_velocity.y = d[5];
        u->angular_velocity.z = d[6];
        u->linear_acceleration.x = d[7];
        u->linear_acceleration.y = d[8];
        u->linear_acceleration.z = d[9];
        break;
    }
    case K_CLOUD: {
        const float *f = frame;
        size_t n = m->md.frame_bytes / sizeof(float);
        int dense = 1;
        for (size_t i = 0; i < n && dense; i++)
            dense = isfinite(f[i]);
        st = set_header(&m->s.cloud.header, m->frame_id, stamp_ns);
        m->s.cloud.is_dense = dense;
        m->s.cloud.data._buffer = bytes;
        break;
    }
    case K_GRID:
        st = set_header(&m->s.grid.header, m->frame_id, stamp_ns);
        m->s.grid.info.map_load_time = m->s.grid.header.stamp;
        m->s.grid.data._buffer = (int8_t *)bytes;
        break;
    case K_TWIST:
        m->s.twist.linear.x = d[0];
        m->s.twist.linear.y = d[1];
        m->s.twist.linear.z = d[2];
        m->s.twist.angular.x = d[3];
        m->s.twist.angular.y = d[4];
        m->s.twist.angular.z = d[5];
        break;
    case K_POSE: {
        double q[4];
        quaternion_from_matrix(q, d);
        m->s.pose.position.x = d[3];
        m->s.pose.position.y = d[7];
        m->s.pose.position.z = d[11];
        m->s.pose.orientation.x = q[0];
        m->s.pose.orientation.y = q[1];
        m->s.pose.orientation.z = q[2];
        m->s.pose.orientation.w = q[3];
        break;
    }
    case K_POINT:
    case K_VECTOR3:
        m->s.point.x = d[0];
        m->s.point.y = d[1];
        m->s.point.z = d[2];
        break;
    case K_QUAT:
        m->s.quat.x = d[0];
        m->s.quat.y = d[1];
        m->s.quat.z = d[2];
        m->s.quat.w = d[3];
        break;
    case K_MULTI:
        m->s.multi.data._buffer = (float *)(uintptr_t)frame; /* element type as the descriptor says */
        break;
    }
    if (st)
        return st;
    *out_sample = &m->s;
    return TIPC_OK;
}

size_t tipc__ros2_map_serialized_size(const tipc__ros2_map *m)
{
    dds_ostreamLE_t os;
    dds_ostreamLE_init(&os, (uint32_t)(m->md.frame_bytes + 256), CDR_ENC_VERSION_1);
    dds_stream_writeLE(&os, (const char *)&m->s, m->type->desc->m_ops);
    size_t n = 4 + os.x.m_index;
    dds_ostreamLE_fini(&os);
    return n;
}

tipc_status tipc_ros2_encode(void *buf, size_t cap, size_t *out_size, const tipc_metadata *md,
                             const void *frame, int64_t stamp_ns, const tipc_ros2_options *opts)
{
    TIPC_CHECK_ARG(out_size && md && frame, "an argument is NULL");
    *out_size = 0;
    tipc_ros2_options o;
    tipc_status st = tipc__ros2_options_check(&o, opts);
    if (st)
        return st;
    tipc__ros2_map *m;
    st = tipc__ros2_map_create(&m, md, &o);
    if (st)
        return st;
    const void *sample;
    st = tipc__ros2_map_sample(m, &sample, frame, stamp_ns);
    if (st) {
        tipc__ros2_map_destroy(m);
        return st;
    }
    dds_ostreamLE_t os;
    /* Room for the frame and the fields around it, so the stream rarely grows. */
    dds_ostreamLE_init(&os, (uint32_t)(md->frame_bytes + 256), CDR_ENC_VERSION_1);
    dds_stream_writeLE(&os, sample, m->type->desc->m_ops);
    size_t body = os.x.m_index;
    *out_size = 4 + body;
    if (buf && cap >= 4 + body) {
        static const uint8_t hdr[4] = { 0x00, 0x01, 0x00, 0x00 }; /* CDR_LE, no options */
        memcpy(buf, hdr, 4);
        memcpy((uint8_t *)buf + 4, os.x.m_buffer, body);
    } else if (buf) {
        st = tipc__fail(TIPC_E_LIMIT, "%s of pool '%s' needs %zu bytes, the buffer has %zu",
                        m->type->info.name, md->name, 4 + body, cap);
    }
    dds_ostreamLE_fini(&os);
    tipc__ros2_map_destroy(m);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Messages to arrays                                                       */
/* ------------------------------------------------------------------------ */

static int rd_header(struct cdr_in *r, int64_t *stamp_ns)
{
    uint32_t sec, nsec, len;
    const char *frame_id;
    r->field = "header.stamp";
    if (!cdr_in_u32(r, &sec) || !cdr_in_u32(r, &nsec))
        return 0;
    r->field = "header.frame_id";
    if (!cdr_in_string(r, &frame_id, &len))
        return 0;
    *stamp_ns = (int64_t)(int32_t)sec * 1000000000 + (int64_t)nsec;
    return 1;
}

/* What a message decodes to, before any byte is copied. */
struct plan {
    enum { COPY, ROWS, POINTS, VALUES, JOINTS } how;
    const uint8_t *src;
    size_t esize;  /* element size, for byte swapping */
    int swap;      /* the array's byte order differs from the host's */
    size_t rows, row_bytes, stride;                 /* ROWS */
    size_t npoints, width, point_step, row_step;    /* POINTS */
    uint32_t offsets[4];
    int nfields;
    double values[16];                              /* VALUES */
    const uint8_t *jp, *jv, *je;                    /* JOINTS */
    size_t njoints;
};

static void copy_swapped(uint8_t *dst, const uint8_t *src, size_t bytes, size_t esize, int swap)
{
    if (!swap || esize == 1) {
        memcpy(dst, src, bytes);
        return;
    }
    for (size_t i = 0; i < bytes; i += esize)
        for (size_t k = 0; k < esize; k++)
            dst[i + k] = src[i + esize - 1 - k];
}

static void emit(const struct plan *p, const tipc_ros2_array *a, uint8_t *dst)
{
    switch (p->how) {
    case COPY:
        copy_swapped(dst, p->src, a->bytes, p->esize, p->swap);
        break;
    case ROWS:
        for (size_t r = 0; r < p->rows; r++)
            copy_swapped(dst + r * p->row_bytes, p->src + r * p->stride, p->row_bytes, p->esize,
                         p->swap);
        break;
    case POINTS:
        for (size_t i = 0; i < p->npoints; i++) {
            const uint8_t *pt = p->src + (i / p->width) * p->row_step + (i % p->width) * p->point_step;
            for (int f = 0; f < p->nfields; f++, dst += 4)
                copy_swapped(dst, pt + p->offsets[f], 4, 4, p->swap);
        }
        break;
    case VALUES:
        memcpy(dst, p->values, a->bytes);
        break;
    case JOINTS: {
        size_t row = p->njoints * 8;
        const double nan = NAN;
        copy_swapped(dst, p->jp, row, 8, p->swap);
        if (a->ndim == 2) {
            const uint8_t *rest[2] = { p->jv, p->je };
            for (int k = 0; k < 2; k++) {
                uint8_t *d = dst + (size_t)(k + 1) * row;
                if (rest[k])
                    copy_swapped(d, rest[k], row, 8, p->swap);
                else
                    for (size_t j = 0; j < p->njoints; j++)
                        memcpy(d + 8 * j, &nan, 8);
            }
        }
        break;
    }
    }
}

/* Sentences of the decoder: the error and the place. */
#define CORRUPT(...) (snprintf(why, whysize, __VA_ARGS__), TIPC_E_CORRUPT)
#define UNSUPP(...) (snprintf(why, whysize, __VA_ARGS__), TIPC_E_UNSUPPORTED)

static tipc_status truncated(struct cdr_in *r, char *why, size_t whysize)
{
    return CORRUPT("truncated or inconsistent at byte %zu of %zu (field %s)", r->off + 4, r->n + 4,
                   r->field);
}

static tipc_status parse_image(struct cdr_in *r, tipc_ros2_array *a, struct plan *p, char *why,
                               size_t whysize)
{
    uint32_t h, w, step, enclen, n;
    uint8_t big;
    const char *enc;
    if (!rd_header(r, &a->stamp_ns))
        return truncated(r, why, whysize);
    r->field = "height/width";
    if (!cdr_in_u32(r, &h) || !cdr_in_u32(r, &w))
        return truncated(r, why, whysize);
    r->field = "encoding";
    if (!cdr_in_string(r, &enc, &enclen))
        return truncated(r, why, whysize);
    r->field = "is_bigendian/step";
    if (!cdr_in_u8(r, &big) || !cdr_in_u32(r, &step))
        return truncated(r, why, whysize);
    r->field = "data";
    if (!cdr_in_seq(r, 1, &n, &p->src))
        return truncated(r, why, whysize);
    tipc_dtype dt;
    int ch;
    const char *canon;
    if (strlen(enc) != enclen || !parse_encoding(enc, enclen, &dt, &ch, &canon))
        return UNSUPP("Image encoding '%.32s' has no array form here", enc);
    if (h == 0 || w == 0)
        return UNSUPP("an empty Image (%ux%u) has no array form", h, w);
    size_t es = tipc_dtype_size(dt);
    uint64_t row = (uint64_t)w * (uint64_t)ch * es;
    if (step < row)
        return CORRUPT("Image step %u is shorter than a row of %ux%d %s (%llu bytes)", step, w, ch,
                       canon, (unsigned long long)row);
    if ((uint64_t)step * h > n)
        return CORRUPT("Image data holds %u bytes, %u rows of step %u need %llu", n, h, step,
                       (unsigned long long)step * h);
    a->dtype = dt;
    a->ndim = ch == 1 ? 2 : 3;
    a->shape[0] = h;
    a->shape[1] = w;
    a->shape[2] = ch;
    a->bytes = (size_t)row * h;
    p->how = step == row ? COPY : ROWS;
    p->rows = h;
    p->row_bytes = (size_t)row;
    p->stride = step;
    p->esize = es;
    p->swap = (big != 0) != is_host_big_endian();
    return TIPC_OK;
}

static tipc_status parse_joint(struct cdr_in *r, tipc_ros2_array *a, struct plan *p, char *why,
                               size_t whysize)
{
    uint32_t nn, np, nv, ne;
    if (!rd_header(r, &a->stamp_ns))
        return truncated(r, why, whysize);
    r->field = "name";
    if (!cdr_in_u32(r, &nn))
        return truncated(r, why, whysize);
    for (uint32_t i = 0; i < nn; i++) {
        const char *s;
        uint32_t len;
        if (!cdr_in_string(r, &s, &len))
            return truncated(r, why, whysize);
    }
    r->field = "position";
    if (!cdr_in_seq(r, 8, &np, &p->jp))
        return truncated(r, why, whysize);
    r->field = "velocity";
    if (!cdr_in_seq(r, 8, &nv, &p->jv))
        return truncated(r, why, whysize);
    r->field = "effort";
    if (!cdr_in_seq(r, 8, &ne, &p->je))
        return truncated(r, why, whysize);
    if ((nv && nv != np) || (ne && ne != np))
        return CORRUPT("JointState has %u positions, %u velocities and %u efforts", np, nv, ne);
    if (np == 0)
        return UNSUPP("a JointState without positions has no array form");
    if (!nv)
        p->jv = NULL;
    if (!ne)
        p->je = NULL;
    a->dtype = TIPC_DTYPE_FLOAT64;
    p->njoints = np;
    if (nv || ne) {
        a->ndim = 2;
        a->shape[0] = 3;
        a->shape[1] = np;
    } else {
        a->ndim = 1;
        a->shape[0] = np;
    }
    a->bytes = (size_t)np * 8 * (a->ndim == 2 ? 3 : 1);
    p->how = JOINTS;
    p->swap = r->swap;
    return TIPC_OK;
}

/* @p n doubles at the current place (struct members, each aligned). */
static int rd_doubles(struct cdr_in *r, double *v, int n)
{
    for (int i = 0; i < n; i++)
        if (!cdr_in_f64(r, &v[i]))
            return 0;
    return 1;
}

static tipc_status parse_imu(struct cdr_in *r, tipc_ros2_array *a, struct plan *p, char *why,
                             size_t whysize)
{
    double cov[9];
    if (!rd_header(r, &a->stamp_ns))
        return truncated(r, why, whysize);
    r->field = "orientation";
    if (!rd_doubles(r, p->values, 4) || !rd_doubles(r, cov, 9))
        return truncated(r, why, whysize);
    r->field = "angular_velocity";
    if (!rd_doubles(r, p->values + 4, 3) || !rd_doubles(r, cov, 9))
        return truncated(r, why, whysize);
    r->field = "linear_acceleration";
    if (!rd_doubles(r, p->values + 7, 3) || !rd_doubles(r, cov, 9))
        return truncated(r, why, whysize);
    a->dtype = TIPC_DTYPE_FLOAT64;
    a->ndim = 1;
    a->shape[0] = 10;
    a->bytes = 80;
    p->how = VALUES;
    return TIPC_OK;
}

static tipc_status parse_cloud(struct cdr_in *r, tipc_ros2_array *a, struct plan *p, char *why,
                               size_t whysize)
{
    static const char *const want[4] = { "x", "y", "z", "intensity" };
    uint32_t h, w, nf, ps, rs, n;
    uint8_t big, dense;
    int found[4] = { 0, 0, 0, 0 };
    if (!rd_header(r, &a->stamp_ns))
        return truncated(r, why, whysize);
    r->field = "height/width";
    if (!cdr_in_u32(r, &h) || !cdr_in_u32(r, &w))
        return truncated(r, why, whysize);
    r->field = "fields";
    if (!cdr_in_u32(r, &nf))
        return truncated(r, why, whysize);
    for (uint32_t i = 0; i < nf; i++) {
        const char *name;
        uint32_t len, off, count;
        uint8_t dt;
        if (!cdr_in_string(r, &name, &len) || !cdr_in_u32(r, &off) || !cdr_in_u8(r, &dt) || !cdr_in_u32(r, &count))
            return truncated(r, why, whysize);
        for (int k = 0; k < 4; k++)
            if (strlen(name) == len && !strcmp(name, want[k])) {
                if (dt != 7 || count > 1)
                    return UNSUPP("PointCloud2 field '%s' is not one float32 (datatype %u, "
                                  "count %u)", want[k], dt, count);
                p->offsets[k] = off;
                found[k] = 1;
            }
    }
    r->field = "is_bigendian/point_step/row_step";
    if (!cdr_in_u8(r, &big) || !cdr_in_u32(r, &ps) || !cdr_in_u32(r, &rs))
        return truncated(r, why, whysize);
    r->field = "data";
    if (!cdr_in_seq(r, 1, &n, &p->src))
        return truncated(r, why, whysize);
    r->field = "is_dense";
    if (!cdr_in_u8(r, &dense))
        return truncated(r, why, whysize);
    if (!found[0] || !found[1] || !found[2])
        return UNSUPP("PointCloud2 without float32 x, y and z fields has no array form");
    p->nfields = found[3] ? 4 : 3;
    for (int k = 0; k < p->nfields; k++)
        if ((uint64_t)p->offsets[k] + 4 > ps)
            return CORRUPT("PointCloud2 field '%s' at offset %u lies past point_step %u", want[k],
                           p->offsets[k], ps);
    if ((uint64_t)w * ps > rs)
        return CORRUPT("PointCloud2 row_step %u is shorter than %u points of %u bytes", rs, w, ps);
    if ((uint64_t)rs * h > n)
        return CORRUPT("PointCloud2 data holds %u bytes, %u rows of row_step %u need %llu", n, h,
                       rs, (unsigned long long)rs * h);
    if ((uint64_t)w * h == 0)
        return UNSUPP("an empty PointCloud2 has no array form");
    p->npoints = (size_t)w * h;
    p->width = w;
    p->point_step = ps;
    p->row_step = rs;
    p->swap = (big != 0) != is_host_big_endian();
    p->how = POINTS;
    a->dtype = TIPC_DTYPE_FLOAT32;
    a->ndim = 2;
    a->shape[0] = (int64_t)p->npoints;
    a->shape[1] = p->nfields;
    a->bytes = p->npoints * (size_t)p->nfields * 4;
    return TIPC_OK;
}

static tipc_status parse_grid(struct cdr_in *r, tipc_ros2_array *a, struct plan *p, char *why,
                              size_t whysize)
{
    uint32_t sec, nsec, w, h, n;
    float res;
    double origin[7];
    if (!rd_header(r, &a->stamp_ns))
        return truncated(r, why, whysize);
    r->field = "info";
    if (!cdr_in_u32(r, &sec) || !cdr_in_u32(r, &nsec) || !cdr_in_f32(r, &res) || !cdr_in_u32(r, &w) ||
        !cdr_in_u32(r, &h) || !rd_doubles(r, origin, 7))
        return truncated(r, why, whysize);
    r->field = "data";
    if (!cdr_in_seq(r, 1, &n, &p->src))
        return truncated(r, why, whysize);
    if ((uint64_t)w * h != n)
        return CORRUPT("OccupancyGrid data holds %u cells, info says %ux%u", n, h, w);
    if (n == 0)
        return UNSUPP("an empty OccupancyGrid has no array form");
    a->dtype = TIPC_DTYPE_INT8;
    a->ndim = 2;
    a->shape[0] = h;
    a->shape[1] = w;
    a->bytes = n;
    p->how = COPY;
    p->esize = 1;
    return TIPC_OK;
}

static tipc_status parse_values(struct cdr_in *r, tipc_ros2_array *a, struct plan *p, int n,
                                char *why, size_t whysize)
{
    r->field = "values";
    if (!rd_doubles(r, p->values, n))
        return truncated(r, why, whysize);
    a->dtype = TIPC_DTYPE_FLOAT64;
    a->ndim = 1;
    a->shape[0] = n;
    a->bytes = (size_t)n * 8;
    a->stamp_ns = 0;
    p->how = VALUES;
    return TIPC_OK;
}

/* Position x,y,z and quaternion x,y,z,w (in p->values) become the 4x4
 * transform. The quaternion is normalised first; a zero one is no rotation. */
static void pose_to_matrix(tipc_ros2_array *a, struct plan *p)
{
    const double px = p->values[0], py = p->values[1], pz = p->values[2];
    const double x = p->values[3], y = p->values[4], z = p->values[5], w = p->values[6];
    const double n = x * x + y * y + z * z + w * w;
    const double s = n > 0 ? 2.0 / n : 0.0;
    const double m[16] = {
        1 - s * (y * y + z * z), s * (x * y - z * w),     s * (x * z + y * w),     px,
        s * (x * y + z * w),     1 - s * (x * x + z * z), s * (y * z - x * w),     py,
        s * (x * z - y * w),     s * (y * z + x * w),     1 - s * (x * x + y * y), pz,
        0,                       0,                       0,                       1,
    };
    memcpy(p->values, m, sizeof m);
    a->ndim = 2;
    a->shape[0] = 4;
    a->shape[1] = 4;
    a->bytes = sizeof m;
}

static tipc_status parse_multi(const tipc__ros2_type *t, struct cdr_in *r, tipc_ros2_array *a,
                               struct plan *p, char *why, size_t whysize)
{
    uint32_t nd, offset, n;
    uint64_t size[TIPC_MAX_DIMS], stride[TIPC_MAX_DIMS];
    int strides_set = 0;
    r->field = "layout.dim";
    if (!cdr_in_u32(r, &nd))
        return truncated(r, why, whysize);
    for (uint32_t i = 0; i < nd; i++) {
        const char *label;
        uint32_t len, sz, st;
        if (!cdr_in_string(r, &label, &len) || !cdr_in_u32(r, &sz) || !cdr_in_u32(r, &st))
            return truncated(r, why, whysize);
        if (i < TIPC_MAX_DIMS) {
            size[i] = sz;
            stride[i] = st;
            strides_set |= st != 0;
        }
    }
    r->field = "layout.data_offset";
    if (!cdr_in_u32(r, &offset))
        return truncated(r, why, whysize);
    a->dtype = multi_dtype(t);
    size_t es = tipc_dtype_size(a->dtype);
    r->field = "data";
    if (!cdr_in_seq(r, es, &n, &p->src))
        return truncated(r, why, whysize);
    if (nd > TIPC_MAX_DIMS)
        return UNSUPP("a MultiArray of %u dims exceeds the %d of a pool", nd, TIPC_MAX_DIMS);
    if (offset)
        return UNSUPP("MultiArray data_offset %u is not supported (only 0)", offset);
    if (nd == 0) {
        if (n == 0)
            return UNSUPP("an empty MultiArray has no array form");
        a->ndim = 1;
        a->shape[0] = n;
    } else {
        uint64_t total = 1;
        for (int i = (int)nd - 1; i >= 0; i--) {
            if (size[i] == 0)
                return UNSUPP("a MultiArray with an empty dimension has no array form");
            total *= size[i];
            if (strides_set && stride[i] != total)
                return UNSUPP("MultiArray dim %d has stride %llu, C order needs %llu", i,
                              (unsigned long long)stride[i], (unsigned long long)total);
            if (total > n)
                break;
        }
        if (total != n)
            return CORRUPT("MultiArray layout describes %llu elements, data holds %u",
                           (unsigned long long)total, n);
        a->ndim = nd;
        for (uint32_t i = 0; i < nd; i++)
            a->shape[i] = (int64_t)size[i];
    }
    a->bytes = (size_t)n * es;
    a->stamp_ns = 0;
    p->how = COPY;
    p->esize = es;
    p->swap = r->swap;
    return TIPC_OK;
}

tipc_status tipc__ros2_decode(const tipc__ros2_type *t, tipc_ros2_array *out, void *dst,
                              size_t dst_size, const void *cdr, size_t size, const char *what)
{
    char why[200] = "";
    const size_t whysize = sizeof why;
    const uint8_t *b = cdr;
    if (size < 4)
        return tipc__fail(TIPC_E_CORRUPT, "%s: %s message of %zu bytes has no encapsulation header",
                          what, t->info.name, size);
    struct cdr_in r;
    if (!cdr_in_open(&r, cdr, size))
        return tipc__fail(TIPC_E_CORRUPT,
                          "%s: %s message has encapsulation 0x%02x%02x, not plain CDR", what,
                          t->info.name, b[0], b[1]);
    tipc_ros2_array a;
    memset(&a, 0, sizeof a);
    struct plan p;
    memset(&p, 0, sizeof p);
    tipc_status st;
    switch (t->kind) {
    case K_IMAGE: st = parse_image(&r, &a, &p, why, whysize); break;
    case K_JOINT: st = parse_joint(&r, &a, &p, why, whysize); break;
    case K_IMU: st = parse_imu(&r, &a, &p, why, whysize); break;
    case K_CLOUD: st = parse_cloud(&r, &a, &p, why, whysize); break;
    case K_GRID: st = parse_grid(&r, &a, &p, why, whysize); break;
    case K_TWIST: st = parse_values(&r, &a, &p, 6, why, whysize); break;
    case K_POSE:
        st = parse_values(&r, &a, &p, 7, why, whysize);
        if (!st)
            pose_to_matrix(&a, &p);
        break;
    case K_POINT:
    case K_VECTOR3: st = parse_values(&r, &a, &p, 3, why, whysize); break;
    case K_QUAT: st = parse_values(&r, &a, &p, 4, why, whysize); break;
    case K_MULTI: st = parse_multi(t, &r, &a, &p, why, whysize); break;
    default: st = CORRUPT("unknown kind"); break;
    }
    if (st)
        return tipc__fail(st, "%s: %s message: %s", what, t->info.name, why);
    if (dst && dst_size < a.bytes)
        return tipc__fail(TIPC_E_LIMIT, "%s: %s message decodes to %zu bytes, the buffer has %zu",
                          what, t->info.name, a.bytes, dst_size);
    if (dst)
        emit(&p, &a, dst);
    if (out)
        *out = a;
    return TIPC_OK;
}

tipc_status tipc_ros2_decode(tipc_ros2_array *out, void *dst, size_t dst_size,
                             const char *msg_type, const void *cdr, size_t size,
                             const tipc_ros2_options *opts)
{
    TIPC_CHECK_ARG(out && msg_type && (cdr || !size), "an argument is NULL");
    tipc_ros2_options o;
    tipc_status st = tipc__ros2_options_check(&o, opts);
    if (st)
        return st;
    const tipc__ros2_type *t = tipc__ros2_lookup(msg_type);
    if (!t)
        return unknown_type(msg_type);
    return tipc__ros2_decode(t, out, dst, dst_size, cdr, size, "decode");
}

tipc_status tipc__ros2_fits(const tipc_ros2_array *a, const tipc_metadata *md)
{
    int same = a->dtype == md->dtype && a->ndim == md->ndim;
    for (size_t i = 0; same && i < a->ndim; i++)
        same = a->shape[i] == md->shape[i];
    if (same)
        return TIPC_OK;
    /* Equivalent forms: Twist (6,) as (2,3); a one-channel image as (H,W,1). */
    uint64_t count = 1;
    for (size_t i = 0; i < a->ndim; i++)
        count *= (uint64_t)a->shape[i];
    int equivalent = a->dtype == md->dtype && count * tipc_dtype_size(a->dtype) == md->frame_bytes;
    if (equivalent) {
        if (a->ndim == 1 && a->shape[0] == 6 && md->ndim == 2 && md->shape[0] == 2)
            return TIPC_OK;
        if (a->ndim == 2 && md->ndim == 3 && md->shape[2] == 1 && md->shape[0] == a->shape[0])
            return TIPC_OK;
    }
    char got[120], want[120];
    size_t n = (size_t)snprintf(got, sizeof got, "%s (", tipc_dtype_name(a->dtype));
    for (size_t i = 0; i < a->ndim && n < sizeof got; i++)
        n += (size_t)snprintf(got + n, sizeof got - n, "%s%lld", i ? "," : "",
                              (long long)a->shape[i]);
    if (n < sizeof got)
        snprintf(got + n, sizeof got - n, ")");
    describe_pool(md, want, sizeof want);
    return tipc__fail(TIPC_E_MISMATCH, "message of %s does not fit %s", got, want);
}
