/* The pixel pattern and hash shared by the ROS 2 bridge tests and their
 * helper: byte j of row r of an image made with @p seed, and FNV-1a 64. */
#ifndef TIPC_TEST_ROS2_PATTERN_H
#define TIPC_TEST_ROS2_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#define ROS2_PAD_BYTE 0xEE

static inline uint8_t ros2_pixel(unsigned seed, size_t r, size_t j)
{
    return (uint8_t)(seed + r * 31 + j * 7);
}

static inline uint64_t ros2_hash(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = UINT64_C(1469598103934665603);
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * UINT64_C(1099511628211);
    return h;
}

/* The unpadded (rows x row_bytes) image of @p seed. */
static inline void ros2_fill(uint8_t *dst, size_t rows, size_t row_bytes, unsigned seed)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < row_bytes; j++)
            dst[r * row_bytes + j] = ros2_pixel(seed, r, j);
}

#endif
