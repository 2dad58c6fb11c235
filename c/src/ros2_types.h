/* The supported ROS 2 message types and the frame <-> message mapping
 * (internal). ros2_types.c is the one place that knows the message layouts;
 * the bridges (ros2_bridge.c) only move samples and bytes. */
#ifndef TIPC_ROS2_TYPES_H
#define TIPC_ROS2_TYPES_H

#include "tensor_ipc.h"

#include <dds/dds.h>

typedef struct tipc__ros2_type tipc__ros2_type;

/* The type named @p name (any of the forms tipc_ros2_type_find accepts), or
 * NULL; sets no error. */
const tipc__ros2_type *tipc__ros2_lookup(const char *name);
const tipc_ros2_type_info *tipc__ros2_info(const tipc__ros2_type *t);
/* The idlc-generated descriptor of the type (DDS name = info->dds_name). */
const dds_topic_descriptor_t *tipc__ros2_descriptor(const tipc__ros2_type *t);

/* Check @p opts (NULL: defaults) and copy them into @p out. */
tipc_status tipc__ros2_options_check(tipc_ros2_options *out, const tipc_ros2_options *opts);

/* How the frames of one pool become samples of one type: the type, the
 * encoding, joint names, layout dims and point fields, prepared once. */
typedef struct tipc__ros2_map tipc__ros2_map;

/* @retval as tipc_ros2_infer, plus TIPC_E_NOMEM. */
tipc_status tipc__ros2_map_create(tipc__ros2_map **out, const tipc_metadata *md,
                                  const tipc_ros2_options *opts);
void tipc__ros2_map_destroy(tipc__ros2_map *m);
const tipc__ros2_type *tipc__ros2_map_type(const tipc__ros2_map *m);

/* The idlc sample for @p frame, its sequences pointing into @p frame (no
 * copy). Valid until the next call on @p m and while @p frame is.
 * @retval TIPC_OK @retval TIPC_E_INVALID @p stamp_ns outside header.stamp's range */
tipc_status tipc__ros2_map_sample(tipc__ros2_map *m, const void **out_sample,
                                  const void *frame, int64_t stamp_ns);

/* Bytes of the message last filled by tipc__ros2_map_sample, header included
 * (serialises it once to count). */
size_t tipc__ros2_map_serialized_size(const tipc__ros2_map *m);

/* tipc_ros2_decode for a known type; @p what names the source in sentences
 * ("topic 'rt/cam'"). TIPC_E_CORRUPT: malformed; TIPC_E_UNSUPPORTED: valid
 * but without an array form. */
tipc_status tipc__ros2_decode(const tipc__ros2_type *t, tipc_ros2_array *out, void *dst,
                              size_t dst_size, const void *cdr, size_t size, const char *what);

/* TIPC_OK when the decoded array @p a can be written into a pool @p md
 * (same dtype and shape, or an equivalent form such as Twist (6,) / (2,3));
 * else TIPC_E_MISMATCH with a sentence. */
tipc_status tipc__ros2_fits(const tipc_ros2_array *a, const tipc_metadata *md);

#endif
