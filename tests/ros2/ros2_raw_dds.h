/* Raw Cyclone DDS pieces shared by the ROS 2 bridge tests' helper processes
 * (tipc_ros2_helper, tipc_ros2_hostile): the domain ROS 2 would use, and the
 * wait for a reader or writer to match a peer. */
#ifndef TIPC_TEST_ROS2_RAW_DDS_H
#define TIPC_TEST_ROS2_RAW_DDS_H

#include <dds/dds.h>
#include <stdint.h>
#include <stdlib.h>

#include "mono_clock.h"

static inline int32_t ros_domain(void)
{
    const char *e = getenv("ROS_DOMAIN_ID");
    return e && *e ? atoi(e) : 0;
}

/* Until the writer (@p writer 1) or reader (0) @p e matches a peer, or
 * @p timeout_ms passed. Returns 1 when matched. */
static inline int ros2_wait_matched(dds_entity_t e, int writer, int64_t timeout_ms)
{
    int64_t deadline = mono_ns() + timeout_ms * 1000000;
    for (;;) {
        dds_publication_matched_status_t ps = { 0 };
        dds_subscription_matched_status_t ss = { 0 };
        dds_return_t rc = writer ? dds_get_publication_matched_status(e, &ps)
                                 : dds_get_subscription_matched_status(e, &ss);
        uint32_t n = writer ? ps.current_count : ss.current_count;
        if (rc != 0 || n > 0 || mono_ns() >= deadline)
            return n > 0;
        mono_sleep_ms(5);
    }
}

#endif
