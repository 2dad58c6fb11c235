/* The receive path of a Cyclone DDS 0.10 reader for a @final type, applied to
 * raw bytes: what a DATA submessage's serialized payload goes through before
 * the library sees a sample (ddsi_serdata_default.c,
 * serdata_default_from_ser_iov_common, then serdata_default_to_sample).
 *
 * Input: a 4-byte encapsulation header (identifier and options, big endian)
 * and the CDR body. Accepted identifiers are those of the plain encoding
 * (CDR_BE/LE for XCDR1, CDR2_BE/LE for XCDR2); the body is normalized
 * (bounds of strings and sequences checked, byte order fixed) by
 * dds_stream_normalize_data and, when that accepts it, deserialised by
 * dds_stream_read. Both are Cyclone's own exported functions; only the
 * header check is restated here. */
#ifndef TIPC_FUZZ_CDR_H
#define TIPC_FUZZ_CDR_H

#include <dds/dds.h>
#include <dds/ddsi/ddsi_cdrstream.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Deserialise @p data into @p sample (zeroed first) of the type whose ops
 * are @p ops. Returns 1 when Cyclone would deliver the sample (then free it
 * with dds_stream_free_sample), 0 when it would drop the message. */
static inline int fuzz_cdr_to_sample(const uint8_t *data, size_t size, const uint32_t *ops,
                                     void *sample, size_t sample_size)
{
    memset(sample, 0, sample_size);
    if (size < 4 || size - 4 > UINT32_MAX / 2)
        return 0;
    const unsigned id = (unsigned)data[0] << 8 | data[1];
    const unsigned options = (unsigned)data[2] << 8 | data[3];
    uint32_t xcdr; /* CDR_ENC_VERSION_1 or _2 (dds/ddsi/q_protocol.h) */
    switch (id) {
    case 0x0000: case 0x0001: xcdr = 1; break;  /* CDR_BE, CDR_LE */
    case 0x0006: case 0x0007: xcdr = 2; break;  /* CDR2_BE, CDR2_LE */
    default: return 0; /* not a plain encoding: a @final type's reader drops it */
    }
    const int little = (id & 1) != 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const bool bswap = !little;
#else
    const bool bswap = little;
#endif
    const uint32_t body = (uint32_t)(size - 4);
    const uint32_t pad = options & 2; /* as Cyclone 0.10.2 reads the padding bits */
    if (body < pad)
        return 0;
    /* A buffer of exactly the body's size, so that ASan sees any overread. */
    char *buf = malloc(body ? body : 1);
    if (!buf)
        return 0;
    memcpy(buf, data + 4, body);
    uint32_t off = 0;
    if (!dds_stream_normalize_data(buf, &off, body - pad, bswap, xcdr, ops)) {
        free(buf);
        return 0;
    }
    dds_istream_t is;
    dds_istream_init(&is, off, buf, xcdr);
    dds_stream_read(&is, sample, ops);
    dds_istream_fini(&is);
    free(buf);
    return 1;
}

#endif
