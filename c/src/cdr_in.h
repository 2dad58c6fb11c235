/* A bounds-checked reader of CDR streams received from the network: every
 * read checks the bytes left first, so a hostile or truncated message fails
 * a read instead of reading past its end. Used by the ROS 2 codec and the
 * remote-frame mirror, which both parse samples taken serialised. */
#ifndef TIPC_CDR_IN_H
#define TIPC_CDR_IN_H

#include <byteswap.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cdr_in {
    const uint8_t *b; /* the body, after the 4-byte encapsulation header */
    size_t n, off;
    size_t maxalign; /* 8 for XCDR1, 4 for XCDR2 */
    int swap;        /* the stream's byte order differs from the host's */
    const char *field; /* what is being read, for error messages */
};

/* Opens a stream at its encapsulation header: CDR_BE, CDR_LE (XCDR1),
 * CDR2_BE, CDR2_LE. Returns 0 if @p size is too short or the encoding is
 * none of these (e.g. parameter lists, which no @final type uses). */
static inline int cdr_in_open(struct cdr_in *r, const void *data, size_t size)
{
    const uint8_t *b = data;
    if (size < 4 || b[0] != 0 || (b[1] != 0 && b[1] != 1 && b[1] != 6 && b[1] != 7))
        return 0;
    r->b = b + 4;
    r->n = size - 4;
    r->off = 0;
    r->maxalign = b[1] >= 6 ? 4 : 8;
    r->swap = (b[1] & 1) == (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
    r->field = "";
    return 1;
}

static inline int cdr_in_align(struct cdr_in *r, size_t a)
{
    if (a > r->maxalign)
        a = r->maxalign;
    size_t pad = (a - r->off % a) % a;
    if (pad > r->n - r->off)
        return 0;
    r->off += pad;
    return 1;
}

static inline int cdr_in_bytes(struct cdr_in *r, size_t k, const uint8_t **p)
{
    if (k > r->n - r->off)
        return 0;
    *p = r->b + r->off;
    r->off += k;
    return 1;
}

static inline int cdr_in_u8(struct cdr_in *r, uint8_t *v)
{
    const uint8_t *p;
    if (!cdr_in_bytes(r, 1, &p))
        return 0;
    *v = *p;
    return 1;
}

static inline int cdr_in_u32(struct cdr_in *r, uint32_t *v)
{
    const uint8_t *p;
    if (!cdr_in_align(r, 4) || !cdr_in_bytes(r, 4, &p))
        return 0;
    memcpy(v, p, 4);
    if (r->swap)
        *v = bswap_32(*v);
    return 1;
}

static inline int cdr_in_u64(struct cdr_in *r, uint64_t *v)
{
    const uint8_t *p;
    if (!cdr_in_align(r, 8) || !cdr_in_bytes(r, 8, &p))
        return 0;
    memcpy(v, p, 8);
    if (r->swap)
        *v = bswap_64(*v);
    return 1;
}

static inline int cdr_in_f32(struct cdr_in *r, float *v)
{
    uint32_t u;
    if (!cdr_in_u32(r, &u))
        return 0;
    memcpy(v, &u, 4);
    return 1;
}

static inline int cdr_in_f64(struct cdr_in *r, double *v)
{
    uint64_t u;
    if (!cdr_in_u64(r, &u))
        return 0;
    memcpy(v, &u, 8);
    return 1;
}

/* A CDR string: length with terminator, the bytes, the terminator. */
static inline int cdr_in_string(struct cdr_in *r, const char **s, uint32_t *len)
{
    uint32_t n;
    const uint8_t *p;
    if (!cdr_in_u32(r, &n) || n == 0 || !cdr_in_bytes(r, n, &p) || p[n - 1] != 0)
        return 0;
    *s = (const char *)p;
    *len = n - 1;
    return 1;
}

/* A sequence of @p count elements of @p esize bytes. */
static inline int cdr_in_seq(struct cdr_in *r, size_t esize, uint32_t *count, const uint8_t **p)
{
    if (!cdr_in_u32(r, count))
        return 0;
    if (*count == 0) {
        *p = r->b + r->off;
        return 1;
    }
    if (!cdr_in_align(r, esize))
        return 0;
    if (*count > (r->n - r->off) / esize)
        return 0;
    return cdr_in_bytes(r, (size_t)*count * esize, p);
}

#endif
