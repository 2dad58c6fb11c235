/* The ROS 2 type table, tipc_ros2_infer, and tipc_ros2_encode/decode of
 * every supported type, compared byte for byte with messages built here by
 * hand from the CDR rules (XCDR1: primitives aligned to their size from the
 * start of the body, strings as length-with-NUL, sequences as a count). */
#include "tensor_ipc.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* A CDR builder, either byte order                                         */
/* ------------------------------------------------------------------------ */

struct cb {
    uint8_t b[8192];
    size_t n;
    int be;
};

static void cb_init(struct cb *c, int be)
{
    c->b[0] = 0;
    c->b[1] = be ? 0 : 1;
    c->b[2] = c->b[3] = 0;
    c->n = 4;
    c->be = be;
}

static void cb_align(struct cb *c, size_t a)
{
    while ((c->n - 4) % a)
        c->b[c->n++] = 0;
}

static void cb_put(struct cb *c, const void *v, size_t size)
{
    cb_align(c, size);
    const uint8_t *p = v;
    for (size_t i = 0; i < size; i++)
        c->b[c->n + i] = c->be ? p[size - 1 - i] : p[i];
    c->n += size;
}

static void cb_u8(struct cb *c, uint8_t v) { cb_put(c, &v, 1); }
static void cb_u32(struct cb *c, uint32_t v) { cb_put(c, &v, 4); }
static void cb_i32(struct cb *c, int32_t v) { cb_put(c, &v, 4); }
static void cb_f32(struct cb *c, float v) { cb_put(c, &v, 4); }
static void cb_f64(struct cb *c, double v) { cb_put(c, &v, 8); }

static void cb_raw(struct cb *c, const void *p, size_t n)
{
    memcpy(c->b + c->n, p, n);
    c->n += n;
}

static void cb_str(struct cb *c, const char *s)
{
    cb_u32(c, (uint32_t)strlen(s) + 1);
    cb_raw(c, s, strlen(s) + 1);
}

static void cb_header(struct cb *c, int32_t sec, uint32_t nsec, const char *frame_id)
{
    cb_i32(c, sec);
    cb_u32(c, nsec);
    cb_str(c, frame_id);
}

/* ------------------------------------------------------------------------ */

static tipc_metadata *md_new(const char *name, tipc_dtype dt, size_t nd, const int64_t *shape)
{
    tipc_metadata *md = NULL;
    ck_assert_int_eq(tipc_metadata_create(&md, name, dt, nd, shape, TIPC_BACKEND_NUMPY, 4, NULL),
                     TIPC_OK);
    return md;
}

/* Encode @p frame and compare with @p want. */
static void expect_encoding(const tipc_metadata *md, const void *frame, int64_t stamp,
                            const tipc_ros2_options *opts, const struct cb *want)
{
    size_t size = 0;
    ck_assert_int_eq(tipc_ros2_encode(NULL, 0, &size, md, frame, stamp, opts), TIPC_OK);
    ck_assert_uint_eq(size, want->n);
    uint8_t *buf = malloc(size);
    ck_assert_int_eq(tipc_ros2_encode(buf, size - 1, &size, md, frame, stamp, opts), TIPC_E_LIMIT);
    ck_assert_int_eq(tipc_ros2_encode(buf, size, &size, md, frame, stamp, opts), TIPC_OK);
    for (size_t i = 0; i < size; i++)
        if (buf[i] != want->b[i])
            ck_abort_msg("byte %zu: got 0x%02x, want 0x%02x", i, buf[i], want->b[i]);
    free(buf);
}

/* Decode @p msg as @p type and compare with the expected array. */
static void expect_array(const char *type, const struct cb *msg, tipc_dtype dt, uint32_t nd,
                         const int64_t *shape, const void *data, size_t bytes, int64_t stamp)
{
    tipc_ros2_array a;
    ck_assert_msg(tipc_ros2_decode(&a, NULL, 0, type, msg->b, msg->n, NULL) == TIPC_OK, "%s",
                  tipc_last_error());
    ck_assert_int_eq(a.dtype, dt);
    ck_assert_uint_eq(a.ndim, nd);
    for (uint32_t i = 0; i < nd; i++)
        ck_assert_int_eq(a.shape[i], shape[i]);
    ck_assert_uint_eq(a.bytes, bytes);
    ck_assert_int_eq(a.stamp_ns, stamp);
    uint8_t *dst = malloc(bytes + 1);
    ck_assert_int_eq(tipc_ros2_decode(&a, dst, bytes - 1, type, msg->b, msg->n, NULL),
                     TIPC_E_LIMIT);
    ck_assert_int_eq(tipc_ros2_decode(&a, dst, bytes, type, msg->b, msg->n, NULL), TIPC_OK);
    ck_assert_mem_eq(dst, data, bytes);
    free(dst);
}

/* Every prefix of a valid message is rejected as corrupt, never read past. */
static void expect_truncations_corrupt(const char *type, const struct cb *msg)
{
    tipc_ros2_array a;
    for (size_t n = 0; n < msg->n; n++) {
        uint8_t *copy = malloc(n ? n : 1); /* exact size, so ASan sees an overread */
        memcpy(copy, msg->b, n);
        tipc_status st = tipc_ros2_decode(&a, NULL, 0, type, copy, n, NULL);
        ck_assert_msg(st == TIPC_E_CORRUPT, "%s truncated to %zu of %zu bytes: %s (%s)", type, n,
                      msg->n, tipc_status_name(st), tipc_last_error());
        free(copy);
    }
}

static tipc_ros2_options opts_for(const char *type)
{
    tipc_ros2_options o;
    ck_assert_int_eq(tipc_ros2_options_init(&o, TIPC_ROS2_OPTIONS_VERSION), TIPC_OK);
    o.msg_type = type;
    return o;
}

static const int64_t STAMP = INT64_C(1700000000123456789);

/* ------------------------------------------------------------------------ */

START_TEST(type_table)
{
    ck_assert_uint_ge(tipc_ros2_type_count(), 21);
    ck_assert_ptr_null(tipc_ros2_type_at(tipc_ros2_type_count()));
    for (size_t i = 0; i < tipc_ros2_type_count(); i++) {
        const tipc_ros2_type_info *t = tipc_ros2_type_at(i);
        ck_assert_ptr_nonnull(t);
        ck_assert_ptr_eq(tipc_ros2_type_find(t->name), t);
        ck_assert_ptr_eq(tipc_ros2_type_find(t->dds_name), t);
        ck_assert_ptr_nonnull(strstr(t->dds_name, "::msg::dds_::"));
        ck_assert(strlen(t->shapes) > 0 && strlen(t->definition) > 0);
    }
    const tipc_ros2_type_info *im = tipc_ros2_type_find("sensor_msgs/Image");
    ck_assert_ptr_nonnull(im);
    ck_assert_str_eq(im->name, "sensor_msgs/msg/Image");
    ck_assert_str_eq(im->dds_name, "sensor_msgs::msg::dds_::Image_");
    ck_assert_ptr_nonnull(strstr(im->definition,
        "uint8[] data\n================================================================================\n"
        "MSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\n"));
    ck_assert_ptr_null(tipc_ros2_type_find("sensor_msgs/msg/Nope"));
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "geometry_msgs/msg/Twist"));
    ck_assert_ptr_null(tipc_ros2_type_find(NULL));
}
END_TEST

START_TEST(infer)
{
    const char *type, *enc;
    int64_t rgb[] = { 480, 640, 3 }, mono[] = { 4, 5 }, cloud[] = { 100, 4 }, three[] = { 3 };
    tipc_metadata *md = md_new("r2_rgb", TIPC_DTYPE_UINT8, 3, rgb);
    ck_assert_int_eq(tipc_ros2_infer(&type, &enc, md, NULL), TIPC_OK);
    ck_assert_str_eq(type, "sensor_msgs/msg/Image");
    ck_assert_str_eq(enc, "rgb8");
    ck_assert_int_eq(tipc_ros2_infer(&type, &enc, md, "sensor_msgs/msg/PointCloud2"),
                     TIPC_E_MISMATCH);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "float32 (N,3)"));
    ck_assert_int_eq(tipc_ros2_infer(&type, &enc, md, "std_msgs/msg/UInt8MultiArray"), TIPC_OK);
    ck_assert_ptr_null(enc);
    ck_assert_int_eq(tipc_ros2_infer(&type, &enc, md, "no_such/msg/Type"), TIPC_E_INVALID);
    tipc_metadata_destroy(md);

    md = md_new("r2_mono16", TIPC_DTYPE_UINT16, 2, mono);
    ck_assert_int_eq(tipc_ros2_infer(&type, &enc, md, NULL), TIPC_OK);
    ck_assert_str_eq(enc, "mono16");
    tipc_metadata_destroy(md);

    md = md_new("r2_cloud", TIPC_DTYPE_FLOAT32, 2, cloud);
    ck_assert_int_eq(tipc_ros2_infer(&type, &enc, md, NULL), TIPC_OK);
    ck_assert_str_eq(type, "sensor_msgs/msg/PointCloud2");
    ck_assert_int_eq(tipc_ros2_infer(&type, &enc, md, "sensor_msgs/msg/Image"), TIPC_OK);
    ck_assert_str_eq(enc, "32FC1");
    tipc_metadata_destroy(md);

    md = md_new("r2_three", TIPC_DTYPE_FLOAT64, 1, three);
    ck_assert_int_eq(tipc_ros2_infer(&type, &enc, md, NULL), TIPC_E_UNSUPPORTED);
    const char *e = tipc_last_error();
    ck_assert_msg(strstr(e, "geometry_msgs/msg/Point") && strstr(e, "geometry_msgs/msg/Vector3") &&
                      strstr(e, "std_msgs/msg/Float64MultiArray") && !strstr(e, "Image"),
                  "%s", e);
    tipc_metadata_destroy(md);

    md = md_new("r2_c64", TIPC_DTYPE_COMPLEX64, 1, three);
    ck_assert_int_eq(tipc_ros2_infer(&type, &enc, md, NULL), TIPC_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "fits no supported"));
    tipc_metadata_destroy(md);
}
END_TEST

START_TEST(image_exact)
{
    int64_t shape[] = { 2, 3, 3 };
    tipc_metadata *md = md_new("r2_img", TIPC_DTYPE_UINT8, 3, shape);
    uint8_t frame[18];
    for (int i = 0; i < 18; i++)
        frame[i] = (uint8_t)(i * 7 + 1);
    tipc_ros2_options o = opts_for(NULL);
    o.frame_id = "cam";
    struct cb want;
    cb_init(&want, 0);
    cb_header(&want, 1700000000, 123456789, "cam");
    cb_u32(&want, 2);
    cb_u32(&want, 3);
    cb_str(&want, "rgb8");
    cb_u8(&want, 0);
    cb_u32(&want, 9);
    cb_u32(&want, 18);
    cb_raw(&want, frame, 18);
    expect_encoding(md, frame, STAMP, &o, &want);
    int64_t got_shape[] = { 2, 3, 3 };
    expect_array("sensor_msgs/msg/Image", &want, TIPC_DTYPE_UINT8, 3, got_shape, frame, 18, STAMP);
    expect_truncations_corrupt("sensor_msgs/msg/Image", &want);

    /* bgr8 as asked; a wrong encoding for the pool is a mismatch. */
    o.encoding = "bgr8";
    size_t size;
    ck_assert_int_eq(tipc_ros2_encode(NULL, 0, &size, md, frame, STAMP, &o), TIPC_OK);
    o.encoding = "mono16";
    ck_assert_int_eq(tipc_ros2_encode(NULL, 0, &size, md, frame, STAMP, &o), TIPC_E_MISMATCH);
    o.encoding = "yuv9000";
    ck_assert_int_eq(tipc_ros2_encode(NULL, 0, &size, md, frame, STAMP, &o), TIPC_E_MISMATCH);
    tipc_metadata_destroy(md);
}
END_TEST

START_TEST(image_padding_and_big_endian)
{
    /* 2x3 mono16, big-endian pixels, step 8 (2 bytes of padding per row). */
    const uint16_t px[6] = { 0x0102, 0x0304, 0x0506, 0x0708, 0x090a, 0xfffe };
    struct cb m;
    cb_init(&m, 0);
    cb_header(&m, 5, 6, "");
    cb_u32(&m, 2);
    cb_u32(&m, 3);
    cb_str(&m, "16UC1");
    cb_u8(&m, 1);
    cb_u32(&m, 8);
    cb_u32(&m, 16);
    for (int r = 0; r < 2; r++) {
        for (int c = 0; c < 3; c++) {
            uint8_t be[2] = { (uint8_t)(px[r * 3 + c] >> 8), (uint8_t)px[r * 3 + c] };
            cb_raw(&m, be, 2);
        }
        cb_raw(&m, "\xAA\xBB", 2);
    }
    int64_t shape[] = { 2, 3 };
    expect_array("sensor_msgs/msg/Image", &m, TIPC_DTYPE_UINT16, 2, shape, px, 12,
                 INT64_C(5000000006));

    /* Padding and a big-endian CDR stream together, 8-bit 3 channels. */
    struct cb b;
    cb_init(&b, 1);
    cb_header(&b, -1, 999999999, "x");
    cb_u32(&b, 1);
    cb_u32(&b, 2);
    cb_str(&b, "bgr8");
    cb_u8(&b, 0);
    cb_u32(&b, 7);
    cb_u32(&b, 7);
    cb_raw(&b, "\x01\x02\x03\x04\x05\x06\x00", 7);
    int64_t s3[] = { 1, 2, 3 };
    expect_array("sensor_msgs/msg/Image", &b, TIPC_DTYPE_UINT8, 3, s3, "\x01\x02\x03\x04\x05\x06",
                 6, -1);

    /* A step shorter than a row, and data shorter than step * height. */
    struct cb bad;
    cb_init(&bad, 0);
    cb_header(&bad, 0, 0, "");
    cb_u32(&bad, 2);
    cb_u32(&bad, 3);
    cb_str(&bad, "mono8");
    cb_u8(&bad, 0);
    cb_u32(&bad, 2);
    cb_u32(&bad, 6);
    cb_raw(&bad, "123456", 6);
    tipc_ros2_array a;
    ck_assert_int_eq(tipc_ros2_decode(&a, NULL, 0, "sensor_msgs/Image", bad.b, bad.n, NULL),
                     TIPC_E_CORRUPT);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "step"));
    cb_init(&bad, 0);
    cb_header(&bad, 0, 0, "");
    cb_u32(&bad, 2);
    cb_u32(&bad, 3);
    cb_str(&bad, "mono8");
    cb_u8(&bad, 0);
    cb_u32(&bad, 3);
    cb_u32(&bad, 5);
    cb_raw(&bad, "12345", 5);
    ck_assert_int_eq(tipc_ros2_decode(&a, NULL, 0, "sensor_msgs/Image", bad.b, bad.n, NULL),
                     TIPC_E_CORRUPT);
    /* An unknown encoding is valid but has no array form. */
    cb_init(&bad, 0);
    cb_header(&bad, 0, 0, "");
    cb_u32(&bad, 1);
    cb_u32(&bad, 1);
    cb_str(&bad, "yuv422_yuy2_x");
    cb_u8(&bad, 0);
    cb_u32(&bad, 2);
    cb_u32(&bad, 2);
    cb_raw(&bad, "12", 2);
    ck_assert_int_eq(tipc_ros2_decode(&a, NULL, 0, "sensor_msgs/Image", bad.b, bad.n, NULL),
                     TIPC_E_UNSUPPORTED);
}
END_TEST

START_TEST(image_generic_encodings)
{
    /* Every <bits><U|S|F>C<n> encoding round-trips with its dtype and channels. */
    static const struct {
        const char *prefix;
        tipc_dtype dt;
    } g[] = { { "8U", TIPC_DTYPE_UINT8 },   { "8S", TIPC_DTYPE_INT8 },
              { "16U", TIPC_DTYPE_UINT16 }, { "16S", TIPC_DTYPE_INT16 },
              { "32S", TIPC_DTYPE_INT32 },  { "32F", TIPC_DTYPE_FLOAT32 },
              { "64F", TIPC_DTYPE_FLOAT64 } };
    uint8_t frame[2 * 2 * 4 * 8], out[sizeof frame];
    for (size_t i = 0; i < sizeof frame; i++)
        frame[i] = (uint8_t)(i + 3);
    for (size_t k = 0; k < sizeof g / sizeof g[0]; k++)
        for (int ch = 1; ch <= 4; ch++) {
            char enc[16];
            snprintf(enc, sizeof enc, "%sC%d", g[k].prefix, ch);
            int64_t shape[] = { 2, 2, ch };
            tipc_metadata *md = md_new("r2_gen", g[k].dt, ch == 1 ? 2 : 3, shape);
            tipc_ros2_options o = opts_for("sensor_msgs/msg/Image");
            o.encoding = enc;
            uint8_t buf[512];
            size_t size;
            ck_assert_int_eq(tipc_ros2_encode(buf, sizeof buf, &size, md, frame, 7, &o), TIPC_OK);
            ck_assert_ptr_nonnull(memmem(buf, size, enc, strlen(enc) + 1));
            tipc_ros2_array a;
            ck_assert_int_eq(tipc_ros2_decode(&a, out, sizeof out, "sensor_msgs/msg/Image", buf,
                                              size, NULL),
                             TIPC_OK);
            ck_assert_int_eq(a.dtype, g[k].dt);
            ck_assert_uint_eq(a.ndim, ch == 1 ? 2 : 3);
            ck_assert_uint_eq(a.bytes, tipc_metadata_frame_bytes(md));
            ck_assert_mem_eq(out, frame, a.bytes);
            tipc_metadata_destroy(md);
        }
}
END_TEST

START_TEST(joint_state)
{
    int64_t s1[] = { 2 }, s3[] = { 3, 2 };
    const double pos[2] = { 1.5, -2.25 };
    const double all[6] = { 1, 2, 3, 4, 5, 6 };
    tipc_metadata *md = md_new("r2_js", TIPC_DTYPE_FLOAT64, 1, s1);
    tipc_ros2_options o = opts_for("sensor_msgs/msg/JointState");
    struct cb w;
    cb_init(&w, 0);
    cb_header(&w, 1700000000, 123456789, "");
    cb_u32(&w, 2);
    cb_str(&w, "joint_0");
    cb_str(&w, "joint_1");
    cb_u32(&w, 2);
    cb_f64(&w, 1.5);
    cb_f64(&w, -2.25);
    cb_u32(&w, 0);
    cb_u32(&w, 0);
    expect_encoding(md, pos, STAMP, &o, &w);
    expect_array("sensor_msgs/msg/JointState", &w, TIPC_DTYPE_FLOAT64, 1, s1, pos, 16, STAMP);
    expect_truncations_corrupt("sensor_msgs/msg/JointState", &w);
    o.joint_names = "a,b,c";
    size_t size;
    ck_assert_int_eq(tipc_ros2_encode(NULL, 0, &size, md, pos, STAMP, &o), TIPC_E_MISMATCH);
    tipc_metadata_destroy(md);

    md = md_new("r2_js3", TIPC_DTYPE_FLOAT64, 2, s3);
    o.joint_names = "shoulder,elbow";
    cb_init(&w, 0);
    cb_header(&w, 1700000000, 123456789, "");
    cb_u32(&w, 2);
    cb_str(&w, "shoulder");
    cb_str(&w, "elbow");
    for (int k = 0; k < 3; k++) {
        cb_u32(&w, 2);
        cb_f64(&w, all[2 * k]);
        cb_f64(&w, all[2 * k + 1]);
    }
    expect_encoding(md, all, STAMP, &o, &w);
    expect_array("sensor_msgs/msg/JointState", &w, TIPC_DTYPE_FLOAT64, 2, s3, all, 48, STAMP);
    tipc_metadata_destroy(md);

    /* Positions and efforts only: velocity unknown (NaN). */
    cb_init(&w, 0);
    cb_header(&w, 0, 0, "");
    cb_u32(&w, 0);
    cb_u32(&w, 1);
    cb_f64(&w, 7);
    cb_u32(&w, 0);
    cb_u32(&w, 1);
    cb_f64(&w, 9);
    double out[3];
    tipc_ros2_array a;
    ck_assert_int_eq(tipc_ros2_decode(&a, out, sizeof out, "sensor_msgs/JointState", w.b, w.n,
                                      NULL),
                     TIPC_OK);
    ck_assert_uint_eq(a.ndim, 2);
    ck_assert(out[0] == 7 && isnan(out[1]) && out[2] == 9);
    /* Velocities of another length than the positions. */
    cb_init(&w, 0);
    cb_header(&w, 0, 0, "");
    cb_u32(&w, 0);
    cb_u32(&w, 1);
    cb_f64(&w, 7);
    cb_u32(&w, 2);
    cb_f64(&w, 1);
    cb_f64(&w, 2);
    cb_u32(&w, 0);
    ck_assert_int_eq(tipc_ros2_decode(&a, NULL, 0, "sensor_msgs/JointState", w.b, w.n, NULL),
                     TIPC_E_CORRUPT);
}
END_TEST

START_TEST(imu)
{
    int64_t s[] = { 10 };
    const double v[10] = { 0.1, 0.2, 0.3, 0.9, 1, 2, 3, 4, 5, 9.81 };
    tipc_metadata *md = md_new("r2_imu", TIPC_DTYPE_FLOAT64, 1, s);
    tipc_ros2_options o = opts_for("sensor_msgs/msg/Imu");
    o.frame_id = "imu_link";
    struct cb w;
    cb_init(&w, 0);
    cb_header(&w, 1700000000, 123456789, "imu_link");
    for (int k = 0; k < 3; k++) {
        int n = k == 0 ? 4 : 3, base = k == 0 ? 0 : k == 1 ? 4 : 7;
        for (int i = 0; i < n; i++)
            cb_f64(&w, v[base + i]);
        for (int i = 0; i < 9; i++)
            cb_f64(&w, 0);
    }
    expect_encoding(md, v, STAMP, &o, &w);
    expect_array("sensor_msgs/msg/Imu", &w, TIPC_DTYPE_FLOAT64, 1, s, v, 80, STAMP);
    expect_truncations_corrupt("sensor_msgs/msg/Imu", &w);
    tipc_metadata_destroy(md);
}
END_TEST

static void cb_field(struct cb *c, const char *name, uint32_t off, uint8_t dt, uint32_t count)
{
    cb_str(c, name);
    cb_u32(c, off);
    cb_u8(c, dt);
    cb_u32(c, count);
}

START_TEST(point_cloud)
{
    int64_t s[] = { 2, 4 };
    const float pts[8] = { 1, 2, 3, 0.5f, -1, -2, -3, 0.25f };
    tipc_metadata *md = md_new("r2_pc", TIPC_DTYPE_FLOAT32, 2, s);
    tipc_ros2_options o = opts_for(NULL);
    struct cb w;
    cb_init(&w, 0);
    cb_header(&w, 1700000000, 123456789, "");
    cb_u32(&w, 1);
    cb_u32(&w, 2);
    cb_u32(&w, 4);
    cb_field(&w, "x", 0, 7, 1);
    cb_field(&w, "y", 4, 7, 1);
    cb_field(&w, "z", 8, 7, 1);
    cb_field(&w, "intensity", 12, 7, 1);
    cb_u8(&w, 0);
    cb_u32(&w, 16);
    cb_u32(&w, 32);
    cb_u32(&w, 32);
    cb_raw(&w, pts, 32);
    cb_u8(&w, 1);
    expect_encoding(md, pts, STAMP, &o, &w);
    expect_array("sensor_msgs/msg/PointCloud2", &w, TIPC_DTYPE_FLOAT32, 2, s, pts, 32, STAMP);
    expect_truncations_corrupt("sensor_msgs/msg/PointCloud2", &w);
    tipc_metadata_destroy(md);

    /* Fields in another order with padding and an extra field, 2 rows of 1
     * point with row padding, big-endian data: x,y,z gathered in order. */
    struct cb m;
    cb_init(&m, 0);
    cb_header(&m, 0, 0, "");
    cb_u32(&m, 2);
    cb_u32(&m, 1);
    cb_u32(&m, 4);
    cb_field(&m, "rgb", 0, 6, 1);
    cb_field(&m, "z", 4, 7, 1);
    cb_field(&m, "y", 12, 7, 1);
    cb_field(&m, "x", 16, 7, 1);
    cb_u8(&m, 1);
    cb_u32(&m, 20);
    cb_u32(&m, 24);
    cb_u32(&m, 48);
    const float xyz[2][3] = { { 1, 2, 3 }, { 4, 5, 6 } };
    for (int p = 0; p < 2; p++) {
        uint8_t pt[24] = { 0 };
        const uint32_t offs[3] = { 16, 12, 4 };
        for (int k = 0; k < 3; k++) {
            uint32_t u;
            memcpy(&u, &xyz[p][k], 4);
            for (int b = 0; b < 4; b++)
                pt[offs[k] + b] = (uint8_t)(u >> (24 - 8 * b));
        }
        cb_raw(&m, pt, 24);
    }
    cb_u8(&m, 0);
    int64_t s3[] = { 2, 3 };
    expect_array("sensor_msgs/msg/PointCloud2", &m, TIPC_DTYPE_FLOAT32, 2, s3, xyz, 24, 0);

    /* A field past point_step, and no x. */
    struct cb bad;
    cb_init(&bad, 0);
    cb_header(&bad, 0, 0, "");
    cb_u32(&bad, 1);
    cb_u32(&bad, 1);
    cb_u32(&bad, 3);
    cb_field(&bad, "x", 0, 7, 1);
    cb_field(&bad, "y", 4, 7, 1);
    cb_field(&bad, "z", 10, 7, 1);
    cb_u8(&bad, 0);
    cb_u32(&bad, 12);
    cb_u32(&bad, 12);
    cb_u32(&bad, 12);
    cb_raw(&bad, "abcdefghijkl", 12);
    cb_u8(&bad, 1);
    tipc_ros2_array a;
    ck_assert_int_eq(tipc_ros2_decode(&a, NULL, 0, "sensor_msgs/PointCloud2", bad.b, bad.n, NULL),
                     TIPC_E_CORRUPT);
    cb_init(&bad, 0);
    cb_header(&bad, 0, 0, "");
    cb_u32(&bad, 1);
    cb_u32(&bad, 1);
    cb_u32(&bad, 1);
    cb_field(&bad, "y", 0, 7, 1);
    cb_u8(&bad, 0);
    cb_u32(&bad, 4);
    cb_u32(&bad, 4);
    cb_u32(&bad, 4);
    cb_raw(&bad, "abcd", 4);
    cb_u8(&bad, 1);
    ck_assert_int_eq(tipc_ros2_decode(&a, NULL, 0, "sensor_msgs/PointCloud2", bad.b, bad.n, NULL),
                     TIPC_E_UNSUPPORTED);
}
END_TEST

START_TEST(occupancy_grid)
{
    int64_t s[] = { 2, 3 };
    const int8_t cells[6] = { -1, 0, 100, 50, -1, 0 };
    tipc_metadata *md = md_new("r2_grid", TIPC_DTYPE_INT8, 2, s);
    tipc_ros2_options o = opts_for(NULL);
    o.frame_id = "map";
    struct cb w;
    cb_init(&w, 0);
    cb_header(&w, 1700000000, 123456789, "map");
    cb_i32(&w, 1700000000);
    cb_u32(&w, 123456789);
    cb_f32(&w, 1.0f);
    cb_u32(&w, 3);
    cb_u32(&w, 2);
    for (int i = 0; i < 6; i++)
        cb_f64(&w, 0);
    cb_f64(&w, 1);
    cb_u32(&w, 6);
    cb_raw(&w, cells, 6);
    expect_encoding(md, cells, STAMP, &o, &w);
    expect_array("nav_msgs/msg/OccupancyGrid", &w, TIPC_DTYPE_INT8, 2, s, cells, 6, STAMP);
    expect_truncations_corrupt("nav_msgs/msg/OccupancyGrid", &w);
    tipc_metadata_destroy(md);
}
END_TEST

START_TEST(geometry)
{
    static const struct {
        const char *type;
        int n;
        int rows; /* 2: also as (2,3) */
    } g[] = { { "geometry_msgs/msg/Twist", 6, 2 },
              { "geometry_msgs/msg/Point", 3, 0 }, { "geometry_msgs/msg/Vector3", 3, 0 },
              { "geometry_msgs/msg/Quaternion", 4, 0 } };
    const double v[7] = { 1.25, -2, 3, 4.5, 5, -6, 0.7071 };
    for (size_t k = 0; k < sizeof g / sizeof g[0]; k++) {
        int64_t s[] = { g[k].n };
        tipc_metadata *md = md_new("r2_geo", TIPC_DTYPE_FLOAT64, 1, s);
        tipc_ros2_options o = opts_for(g[k].type);
        struct cb w;
        cb_init(&w, 0);
        for (int i = 0; i < g[k].n; i++)
            cb_f64(&w, v[i]);
        expect_encoding(md, v, STAMP, &o, &w);
        expect_array(g[k].type, &w, TIPC_DTYPE_FLOAT64, 1, s, v, (size_t)g[k].n * 8, 0);
        expect_truncations_corrupt(g[k].type, &w);
        tipc_metadata_destroy(md);
        if (g[k].rows) {
            int64_t s2[] = { 2, 3 };
            md = md_new("r2_geo2", TIPC_DTYPE_FLOAT64, 2, s2);
            expect_encoding(md, v, STAMP, &o, &w);
            tipc_metadata_destroy(md);
        }
    }
}
END_TEST

/* A Pose is the 4x4 homogeneous transform (ros2_numpy's form). Half turns
 * about an axis keep every number exact both ways. */
START_TEST(pose_as_transform)
{
    const char *type = "geometry_msgs/msg/Pose";
    int64_t s[] = { 4, 4 };
    tipc_metadata *md = md_new("r2_pose", TIPC_DTYPE_FLOAT64, 2, s);
    tipc_ros2_options o = opts_for(type);
    /* 180 degrees about x, then translated by (1.5, -2, 0.25). */
    const double m[16] = { 1, 0, 0, 1.5, 0, -1, 0, -2, 0, 0, -1, 0.25, 0, 0, 0, 1 };
    struct cb w;
    cb_init(&w, 0);
    const double wire[7] = { 1.5, -2, 0.25, 1, 0, 0, 0 };
    for (int i = 0; i < 7; i++)
        cb_f64(&w, wire[i]);
    expect_encoding(md, m, STAMP, &o, &w);
    expect_array(type, &w, TIPC_DTYPE_FLOAT64, 2, s, m, sizeof m, 0);
    expect_truncations_corrupt(type, &w);

    /* A quarter turn about z: the quaternion (0,0,sin 45,cos 45), w >= 0. */
    const double r = sqrt(0.5);
    const double mz[16] = { 0, -1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1 };
    size_t size = 0;
    uint8_t buf[128];
    ck_assert_int_eq(tipc_ros2_encode(buf, sizeof buf, &size, md, mz, STAMP, &o), TIPC_OK);
    ck_assert_uint_eq(size, 4 + 7 * 8);
    double q[7];
    memcpy(q, buf + 4, sizeof q);
    ck_assert_double_eq_tol(q[5], r, 1e-15);
    ck_assert_double_eq_tol(q[6], r, 1e-15);
    ck_assert_double_eq_tol(fabs(q[3]) + fabs(q[4]), 0, 1e-15);

    /* A quaternion that is not unit length is normalised: 2*(x=1) is the half turn. */
    struct cb w2;
    cb_init(&w2, 0);
    const double wire2[7] = { 1.5, -2, 0.25, 2, 0, 0, 0 };
    for (int i = 0; i < 7; i++)
        cb_f64(&w2, wire2[i]);
    expect_array(type, &w2, TIPC_DTYPE_FLOAT64, 2, s, m, sizeof m, 0);

    /* (7,) is not a Pose any more: the sentence says which shape is. */
    int64_t s7[] = { 7 };
    tipc_metadata *md7 = md_new("r2_pose7", TIPC_DTYPE_FLOAT64, 1, s7);
    ck_assert_int_eq(tipc_ros2_encode(NULL, 0, &size, md7, wire, STAMP, &o), TIPC_E_MISMATCH);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "(4,4)"));
    tipc_metadata_destroy(md7);
    tipc_metadata_destroy(md);
}
END_TEST

START_TEST(multi_arrays)
{
    static const struct {
        const char *type;
        tipc_dtype dt;
    } m[] = { { "std_msgs/msg/Float32MultiArray", TIPC_DTYPE_FLOAT32 },
              { "std_msgs/msg/Float64MultiArray", TIPC_DTYPE_FLOAT64 },
              { "std_msgs/msg/Int8MultiArray", TIPC_DTYPE_INT8 },
              { "std_msgs/msg/UInt8MultiArray", TIPC_DTYPE_UINT8 },
              { "std_msgs/msg/Int16MultiArray", TIPC_DTYPE_INT16 },
              { "std_msgs/msg/UInt16MultiArray", TIPC_DTYPE_UINT16 },
              { "std_msgs/msg/Int32MultiArray", TIPC_DTYPE_INT32 },
              { "std_msgs/msg/UInt32MultiArray", TIPC_DTYPE_UINT32 },
              { "std_msgs/msg/Int64MultiArray", TIPC_DTYPE_INT64 },
              { "std_msgs/msg/UInt64MultiArray", TIPC_DTYPE_UINT64 },
              { "std_msgs/msg/ByteMultiArray", TIPC_DTYPE_UINT8 } };
    uint8_t frame[2 * 3 * 4 * 8];
    for (size_t i = 0; i < sizeof frame; i++)
        frame[i] = (uint8_t)(i * 13 + 5);
    for (size_t k = 0; k < sizeof m / sizeof m[0]; k++) {
        int64_t s[] = { 2, 3, 4 };
        tipc_metadata *md = md_new("r2_multi", m[k].dt, 3, s);
        size_t es = tipc_dtype_size(m[k].dt);
        tipc_ros2_options o = opts_for(m[k].type);
        struct cb w;
        cb_init(&w, 0);
        cb_u32(&w, 3);
        cb_str(&w, "dim0");
        cb_u32(&w, 2);
        cb_u32(&w, 24);
        cb_str(&w, "dim1");
        cb_u32(&w, 3);
        cb_u32(&w, 12);
        cb_str(&w, "dim2");
        cb_u32(&w, 4);
        cb_u32(&w, 4);
        cb_u32(&w, 0);
        cb_u32(&w, 24);
        cb_align(&w, es);
        cb_raw(&w, frame, 24 * es);
        expect_encoding(md, frame, STAMP, &o, &w);
        expect_array(m[k].type, &w, m[k].dt, 3, s, frame, 24 * es, 0);
        expect_truncations_corrupt(m[k].type, &w);
        tipc_metadata_destroy(md);
    }
}
END_TEST

START_TEST(multi_array_layouts)
{
    /* Big-endian stream, no dims: (N,). Strides all zero are accepted. */
    struct cb w;
    cb_init(&w, 1);
    cb_u32(&w, 0);
    cb_u32(&w, 0);
    cb_u32(&w, 3);
    cb_f32(&w, 1.5f);
    cb_f32(&w, -2.5f);
    cb_f32(&w, 8);
    const float want[3] = { 1.5f, -2.5f, 8 };
    int64_t s[] = { 3 };
    expect_array("std_msgs/msg/Float32MultiArray", &w, TIPC_DTYPE_FLOAT32, 1, s, want, 12, 0);

    cb_init(&w, 0);
    cb_u32(&w, 2);
    cb_str(&w, "rows");
    cb_u32(&w, 1);
    cb_u32(&w, 0);
    cb_str(&w, "cols");
    cb_u32(&w, 3);
    cb_u32(&w, 0);
    cb_u32(&w, 0);
    cb_u32(&w, 3);
    cb_raw(&w, "\x01\x02\x03", 3);
    int64_t s2[] = { 1, 3 };
    expect_array("std_msgs/msg/UInt8MultiArray", &w, TIPC_DTYPE_UINT8, 2, s2, "\x01\x02\x03", 3, 0);

    tipc_ros2_array a;
    /* data_offset != 0: not mapped. */
    cb_init(&w, 0);
    cb_u32(&w, 0);
    cb_u32(&w, 1);
    cb_u32(&w, 2);
    cb_raw(&w, "\x01\x02", 2);
    ck_assert_int_eq(tipc_ros2_decode(&a, NULL, 0, "std_msgs/UInt8MultiArray", w.b, w.n, NULL),
                     TIPC_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "data_offset"));
    /* Strides of a transposed layout: not C order. */
    cb_init(&w, 0);
    cb_u32(&w, 2);
    cb_str(&w, "a");
    cb_u32(&w, 2);
    cb_u32(&w, 4);
    cb_str(&w, "b");
    cb_u32(&w, 2);
    cb_u32(&w, 1);
    cb_u32(&w, 0);
    cb_u32(&w, 4);
    cb_raw(&w, "\x01\x02\x03\x04", 4);
    ck_assert_int_eq(tipc_ros2_decode(&a, NULL, 0, "std_msgs/UInt8MultiArray", w.b, w.n, NULL),
                     TIPC_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(tipc_last_error(), "stride"));
    /* Dims describing more elements than the data holds. */
    cb_init(&w, 0);
    cb_u32(&w, 1);
    cb_str(&w, "a");
    cb_u32(&w, 5);
    cb_u32(&w, 5);
    cb_u32(&w, 0);
    cb_u32(&w, 4);
    cb_raw(&w, "\x01\x02\x03\x04", 4);
    ck_assert_int_eq(tipc_ros2_decode(&a, NULL, 0, "std_msgs/UInt8MultiArray", w.b, w.n, NULL),
                     TIPC_E_CORRUPT);
}
END_TEST

START_TEST(hostile_bytes)
{
    tipc_ros2_array a;
    uint8_t dst[64];
    struct cb w;
    /* A string length beyond the message. */
    cb_init(&w, 0);
    cb_header(&w, 0, 0, "");
    w.n -= 5;
    cb_u32(&w, 0x7fffffff);
    ck_assert_int_eq(tipc_ros2_decode(&a, dst, sizeof dst, "sensor_msgs/Image", w.b, w.n, NULL),
                     TIPC_E_CORRUPT);
    /* A string without its terminator. */
    cb_init(&w, 0);
    cb_i32(&w, 0);
    cb_u32(&w, 0);
    cb_u32(&w, 4);
    cb_raw(&w, "abcd", 4);
    cb_u32(&w, 1);
    cb_u32(&w, 1);
    cb_str(&w, "mono8");
    cb_u8(&w, 0);
    cb_u32(&w, 1);
    cb_u32(&w, 1);
    cb_raw(&w, "\x05", 1);
    ck_assert_int_eq(tipc_ros2_decode(&a, dst, sizeof dst, "sensor_msgs/Image", w.b, w.n, NULL),
                     TIPC_E_CORRUPT);
    /* A zero string length (no room for the terminator). */
    cb_init(&w, 0);
    cb_i32(&w, 0);
    cb_u32(&w, 0);
    cb_u32(&w, 0);
    ck_assert_int_eq(tipc_ros2_decode(&a, dst, sizeof dst, "sensor_msgs/Image", w.b, w.n, NULL),
                     TIPC_E_CORRUPT);
    /* Huge sequence lengths, for 1- and 8-byte elements (overflow of n * size). */
    cb_init(&w, 0);
    cb_u32(&w, 0);
    cb_u32(&w, 0);
    cb_u32(&w, 0xffffffffu);
    cb_f64(&w, 1);
    ck_assert_int_eq(tipc_ros2_decode(&a, dst, sizeof dst, "std_msgs/Float64MultiArray", w.b, w.n,
                                      NULL),
                     TIPC_E_CORRUPT);
    cb_init(&w, 0);
    cb_u32(&w, 0x20000001u);
    ck_assert_int_eq(tipc_ros2_decode(&a, dst, sizeof dst, "std_msgs/Float64MultiArray", w.b, w.n,
                                      NULL),
                     TIPC_E_CORRUPT);
    cb_init(&w, 0);
    cb_header(&w, 0, 0, "");
    cb_u32(&w, 0xfffffff0u); /* JointState names */
    ck_assert_int_eq(tipc_ros2_decode(&a, dst, sizeof dst, "sensor_msgs/JointState", w.b, w.n,
                                      NULL),
                     TIPC_E_CORRUPT);
    /* Unknown encapsulations, and nothing at all. */
    const uint8_t pl_cdr[] = { 0x00, 0x03, 0, 0, 0, 0, 0, 0 };
    ck_assert_int_eq(tipc_ros2_decode(&a, dst, sizeof dst, "geometry_msgs/Vector3", pl_cdr,
                                      sizeof pl_cdr, NULL),
                     TIPC_E_CORRUPT);
    ck_assert_int_eq(tipc_ros2_decode(&a, dst, sizeof dst, "geometry_msgs/Vector3", NULL, 0, NULL),
                     TIPC_E_CORRUPT);
    /* Random bytes after a valid header never read out of bounds. */
    srand(42);
    static const char *const all[] = { "sensor_msgs/Image", "sensor_msgs/JointState",
                                       "sensor_msgs/Imu", "sensor_msgs/PointCloud2",
                                       "nav_msgs/OccupancyGrid", "std_msgs/Int16MultiArray" };
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = 4 + (size_t)(rand() % 120);
        uint8_t *b = malloc(n);
        b[0] = 0;
        b[1] = (uint8_t)(rand() & 1);
        b[2] = b[3] = 0;
        for (size_t i = 4; i < n; i++)
            b[i] = (uint8_t)(rand() % 4 == 0 ? rand() : rand() % 8);
        uint8_t *out = malloc(1 << 16);
        tipc_status st = tipc_ros2_decode(&a, out, 1 << 16, all[iter % 6], b, n, NULL);
        ck_assert(st == TIPC_OK || st == TIPC_E_CORRUPT || st == TIPC_E_UNSUPPORTED ||
                  st == TIPC_E_LIMIT);
        free(out);
        free(b);
    }
}
END_TEST

START_TEST(options_and_args)
{
    tipc_ros2_options o;
    ck_assert_int_eq(tipc_ros2_options_init(&o, 99), TIPC_E_INVALID);
    ck_assert_int_eq(tipc_ros2_options_init(NULL, TIPC_ROS2_OPTIONS_VERSION), TIPC_E_INVALID);
    ck_assert_int_eq(tipc_ros2_options_init(&o, TIPC_ROS2_OPTIONS_VERSION), TIPC_OK);
    const tipc_ros2_options d = TIPC_ROS2_OPTIONS_INIT;
    ck_assert_mem_eq(&o, &d, sizeof o);
    ck_assert_int_eq(o.domain_id, -1);
    ck_assert_uint_eq(o.qos_depth, 10);
    int64_t s[] = { 3 };
    tipc_metadata *md = md_new("r2_args", TIPC_DTYPE_FLOAT64, 1, s);
    double v[3] = { 0 };
    size_t size;
    o.msg_type = "geometry_msgs/Point";
    o.version = 7;
    ck_assert_int_eq(tipc_ros2_encode(NULL, 0, &size, md, v, 0, &o), TIPC_E_INVALID);
    o.version = TIPC_ROS2_OPTIONS_VERSION;
    ck_assert_int_eq(tipc_ros2_encode(NULL, 0, &size, md, NULL, 0, &o), TIPC_E_INVALID);
    ck_assert_int_eq(tipc_ros2_encode(NULL, 0, &size, md, v, 0, &o), TIPC_OK);
    ck_assert_uint_eq(size, 4 + 24);
    tipc_metadata_destroy(md);
    /* A stamp outside header.stamp's 32-bit seconds. */
    int64_t im[] = { 1, 1 };
    md = md_new("r2_args2", TIPC_DTYPE_UINT8, 2, im);
    ck_assert_int_eq(tipc_ros2_encode(NULL, 0, &size, md, v, INT64_C(1) << 62, NULL),
                     TIPC_E_INVALID);
    ck_assert_int_eq(tipc_ros2_encode(NULL, 0, &size, md, v, -1, NULL), TIPC_OK);
    tipc_metadata_destroy(md);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ros2_types");
#define CASE(name, fn)                 \
    do {                               \
        TCase *tc = tcase_create(name); \
        tcase_add_test(tc, fn);        \
        suite_add_tcase(s, tc);        \
    } while (0)
    CASE("type_table", type_table);
    CASE("infer", infer);
    CASE("image_exact", image_exact);
    CASE("image_padding_and_big_endian", image_padding_and_big_endian);
    CASE("image_generic_encodings", image_generic_encodings);
    CASE("joint_state", joint_state);
    CASE("imu", imu);
    CASE("point_cloud", point_cloud);
    CASE("occupancy_grid", occupancy_grid);
    CASE("geometry", geometry);
    CASE("pose_as_transform", pose_as_transform);
    CASE("multi_arrays", multi_arrays);
    CASE("multi_array_layouts", multi_array_layouts);
    CASE("hostile_bytes", hostile_bytes);
    CASE("options_and_args", options_and_args);
#undef CASE
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
