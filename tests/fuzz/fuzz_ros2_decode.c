/* Fuzz target: a ROS 2 message from the network or a recording, through
 * tipc_ros2_decode.
 *
 * Input: one byte choosing the type (index into the type table, modulo its
 * size), then the serialised message with its 4-byte encapsulation header.
 * The decoder is asked for the shape, then decodes into a buffer of exactly
 * that size, so ASan sees any write past it.
 *
 * Promises checked besides crashes and sanitizer reports:
 *  - the status is OK, CORRUPT (with a sentence) or UNSUPPORTED;
 *  - an accepted array has 1..8 positive dims whose product times the dtype
 *    size is its byte count, and decoding again gives the same bytes;
 *  - where Cyclone DDS's own receive path (fuzz_cdr.h) also accepts the
 *    message, the stamp is the sample's header.stamp, and an Image's or a
 *    MultiArray's array is the sample's data (rows without padding). */
#include "fuzz_cdr.h"
#include "tensor_ipc.h"

#include "sensor_msgs.h"
#include "std_msgs.h"

#define FUZZ_TARGET_NAME "fuzz_ros2_decode"
#include "fuzz_promise.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const dds_topic_descriptor_t *descriptor(const char *dds_name);

/* The sample type of every descriptor below fits in this union. */
union sample {
    sensor_msgs_msg_dds__Image_ image;
    sensor_msgs_msg_dds__JointState_ joint;
    sensor_msgs_msg_dds__Imu_ imu;
    sensor_msgs_msg_dds__PointCloud2_ cloud;
    std_msgs_msg_dds__Float64MultiArray_ multi;
    char room[512];
};

static void compare_with_cyclone(const tipc_ros2_type_info *t, const tipc_ros2_array *a,
                                 const uint8_t *arr, const uint8_t *msg, size_t size)
{
    const dds_topic_descriptor_t *d = descriptor(t->dds_name);
    if (!d || d->m_size > sizeof(union sample))
        return;
    union sample s;
    if (!fuzz_cdr_to_sample(msg, size, d->m_ops, &s, sizeof s))
        return;
    if (!strncmp(t->name, "sensor_msgs/", 12)) {
        const std_msgs_msg_dds__Header_ *h = &s.image.header; /* every one starts with it */
        int64_t stamp = (int64_t)h->stamp.sec * 1000000000 + h->stamp.nanosec;
        PROMISE(a->stamp_ns == stamp, "%s stamp %lld, Cyclone reads %lld", t->name,
                (long long)a->stamp_ns, (long long)stamp);
    }
    if (!strcmp(t->name, "sensor_msgs/msg/Image")) {
        PROMISE(a->shape[0] == s.image.height && a->shape[1] == s.image.width,
                "Image shape differs from height/width");
        size_t row = a->bytes / (size_t)a->shape[0];
        for (int64_t r = 0; r < a->shape[0]; r++) {
            const uint8_t *src = s.image.data._buffer + (size_t)r * s.image.step;
            int native = s.image.is_bigendian == (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
            if (native || tipc_dtype_size(a->dtype) == 1)
                PROMISE(!memcmp(arr + (size_t)r * row, src, row), "Image row %lld differs",
                        (long long)r);
        }
    } else if (strstr(t->name, "MultiArray")) {
        PROMISE(a->bytes == (size_t)s.multi.data._length * tipc_dtype_size(a->dtype),
                "MultiArray of %u elements decoded to %zu bytes", s.multi.data._length, a->bytes);
        PROMISE(!a->bytes || !memcmp(arr, s.multi.data._buffer, a->bytes),
                "MultiArray data differs from Cyclone's");
    }
    dds_stream_free_sample(&s, d->m_ops);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const tipc_ros2_type_info *t = tipc_ros2_type_at(data[0] % tipc_ros2_type_count());
    const uint8_t *msg = data + 1;
    size -= 1;
    /* An exact-size copy, so that ASan sees any read past the message. */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, msg, size);
    tipc_ros2_array a;
    tipc_status st = tipc_ros2_decode(&a, NULL, 0, t->name, copy, size, NULL);
    PROMISE(st == TIPC_OK || st == TIPC_E_CORRUPT || st == TIPC_E_UNSUPPORTED,
            "%s: status %s: %s", t->name, tipc_status_name(st), tipc_last_error());
    if (st) {
        PROMISE(strlen(tipc_last_error()) > 10, "rejected without a sentence");
        free(copy);
        return 0;
    }
    PROMISE(a.ndim >= 1 && a.ndim <= TIPC_MAX_DIMS, "ndim %u", a.ndim);
    size_t n = tipc_dtype_size(a.dtype);
    for (uint32_t i = 0; i < a.ndim; i++) {
        PROMISE(a.shape[i] > 0, "dim %u is %lld", i, (long long)a.shape[i]);
        n *= (size_t)a.shape[i];
    }
    PROMISE(n == a.bytes, "shape gives %zu bytes, array has %zu", n, a.bytes);
    uint8_t *arr = malloc(a.bytes), *again = malloc(a.bytes);
    if (arr && again) {
        tipc_ros2_array b;
        PROMISE(tipc_ros2_decode(&b, arr, a.bytes, t->name, copy, size, NULL) == TIPC_OK,
                "decode into the buffer failed: %s", tipc_last_error());
        PROMISE(tipc_ros2_decode(&b, again, a.bytes, t->name, copy, size, NULL) == TIPC_OK &&
                    !memcmp(arr, again, a.bytes) && b.bytes == a.bytes,
                "decoding twice differs");
        compare_with_cyclone(t, &a, arr, copy, size);
    }
    free(arr);
    free(again);
    free(copy);
    return 0;
}

static const dds_topic_descriptor_t *descriptor(const char *dds_name)
{
    static const dds_topic_descriptor_t *const all[] = {
        &sensor_msgs_msg_dds__Image__desc,          &sensor_msgs_msg_dds__JointState__desc,
        &sensor_msgs_msg_dds__Imu__desc,            &sensor_msgs_msg_dds__PointCloud2__desc,
        &std_msgs_msg_dds__Float32MultiArray__desc, &std_msgs_msg_dds__Float64MultiArray__desc,
        &std_msgs_msg_dds__Int8MultiArray__desc,    &std_msgs_msg_dds__UInt8MultiArray__desc,
        &std_msgs_msg_dds__Int16MultiArray__desc,   &std_msgs_msg_dds__UInt16MultiArray__desc,
        &std_msgs_msg_dds__Int32MultiArray__desc,   &std_msgs_msg_dds__UInt32MultiArray__desc,
        &std_msgs_msg_dds__Int64MultiArray__desc,   &std_msgs_msg_dds__UInt64MultiArray__desc,
        &std_msgs_msg_dds__ByteMultiArray__desc,
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!strcmp(all[i]->m_typename, dds_name))
            return all[i];
    return NULL;
}
