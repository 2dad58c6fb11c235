/* Writes the seed corpus of fuzz_dds_meta: serialized PoolMeta samples with
 * their 4-byte encapsulation header, as Cyclone puts them on the wire, made
 * by Cyclone's own serialiser (dds_stream_write). The committed files under
 * corpus/fuzz_dds_meta/ came from:
 *     gen_dds_meta_seeds tests/fuzz/corpus/fuzz_dds_meta
 * Valid announcements, each defect the library rejects, and a few that only
 * Cyclone rejects (truncated, bad header). */
#include <dds/dds.h>
#include <dds/ddsi/ddsi_cdrstream.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor_ipc_msgs.h"

static const char *g_dir;
static int64_t g_shape[8];
static uint8_t g_payload[256];

static void base(tensor_ipc_PoolMeta *m, const char *pool, const char *dtype, size_t esize,
                 int ndim, const int64_t *shape, const char *backend, uint32_t hist)
{
    memset(m, 0, sizeof *m);
    snprintf(m->pool, sizeof m->pool, "%s", pool);
    m->version = 1;
    snprintf(m->dtype, sizeof m->dtype, "%s", dtype);
    memcpy(g_shape, shape, (size_t)ndim * sizeof *shape);
    m->shape._length = m->shape._maximum = (uint32_t)ndim;
    m->shape._buffer = g_shape;
    snprintf(m->backend, sizeof m->backend, "%s", backend);
    m->history_len = hist;
    snprintf(m->device, sizeof m->device, "cpu");
    uint64_t fb = esize;
    for (int i = 0; i < ndim; i++)
        fb *= (uint64_t)shape[i];
    m->element_size = esize;
    m->frame_bytes = fb;
    m->total_bytes = fb * hist;
    size_t n = (size_t)snprintf(m->shm_name, sizeof m->shm_name, "/tipc.%s", pool);
    for (size_t i = 6; i < n; i++)
        if (m->shm_name[i] == '/')
            m->shm_name[i] = '.';
    m->creator_pid = 4242;
    m->incarnation = 0x1234567800000001ull;
    snprintf(m->hostname, sizeof m->hostname, "seedhost");
    m->payload._buffer = g_payload;
}

/* Serialize @p m (XCDR @p xcdr, little or big endian) and write it, cut to
 * @p cut bytes when cut > 0. */
static void emit(const char *name, const tensor_ipc_PoolMeta *m, uint32_t xcdr, int big, size_t cut)
{
    const uint32_t *ops = tensor_ipc_PoolMeta_desc.m_ops;
    unsigned char *bytes;
    uint32_t len;
    dds_ostreamBE_t obe;
    dds_ostreamLE_t ole;
    if (big) {
        dds_ostreamBE_init(&obe, 0, xcdr);
        dds_stream_writeBE(&obe, (const char *)m, ops);
        bytes = obe.x.m_buffer;
        len = obe.x.m_index;
    } else {
        dds_ostreamLE_init(&ole, 0, xcdr);
        dds_stream_writeLE(&ole, (const char *)m, ops);
        bytes = ole.x.m_buffer;
        len = ole.x.m_index;
    }
    unsigned char hdr[4] = {0, (unsigned char)((xcdr == 2 ? 6 : 0) | (big ? 0 : 1)), 0, 0};
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    size_t total = 4 + (size_t)len;
    if (cut && cut < total)
        total = cut;
    fwrite(hdr, 1, total < 4 ? total : 4, f);
    if (total > 4)
        fwrite(bytes, 1, total - 4, f);
    fclose(f);
    if (big)
        dds_ostreamBE_fini(&obe);
    else
        dds_ostreamLE_fini(&ole);
    printf("%s: %zu bytes\n", path, total);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    g_dir = argv[1];
    tensor_ipc_PoolMeta m;
    const int64_t s64[] = {64}, cam[] = {480, 640, 3}, neg[] = {-8, 8};
    const int64_t huge[] = {65536, 65536, 65536, 65536, 2, 2, 2, 2};

    base(&m, "seed/cam", "uint8", 1, 3, cam, "numpy", 4);
    emit("valid-numpy-le", &m, 1, 0, 0);
    emit("valid-numpy-be", &m, 1, 1, 0);
    emit("valid-numpy-xcdr2", &m, 2, 0, 0);
    emit("cut-in-shape", &m, 1, 0, 4 + 4 + 9 + 4 + 4 + 4 + 8);
    base(&m, "seed/scalar", "float64", 8, 0, s64, "torch", 1);
    emit("valid-torch-scalar", &m, 1, 0, 0);
    base(&m, "seed/v2", "uint8", 1, 1, s64, "numpy", 4);
    m.version = 2;
    emit("bad-version-2", &m, 1, 0, 0);
    base(&m, "seed/payload", "uint8", 1, 1, s64, "numpy", 4);
    m.payload._length = m.payload._maximum = 16;
    emit("bad-payload-on-numpy", &m, 1, 0, 0);
    base(&m, "seed/cuda", "float32", 4, 1, s64, "torch_cuda", 2);
    snprintf(m.device, sizeof m.device, "cuda:0");
    m.payload._length = m.payload._maximum = 64;
    emit("bad-cuda-payload", &m, 1, 0, 0);
    base(&m, "seed/sizes", "uint8", 1, 1, s64, "numpy", 4);
    m.frame_bytes = 1;
    emit("bad-frame-bytes", &m, 1, 0, 0);
    base(&m, "seed/neg", "uint8", 1, 2, neg, "numpy", 4);
    emit("bad-negative-dim", &m, 1, 0, 0);
    base(&m, "seed/huge", "uint8", 1, 8, huge, "numpy", 4);
    emit("bad-overflow", &m, 1, 0, 0);
    base(&m, "seed/dtype", "float128", 16, 1, s64, "numpy", 4);
    emit("bad-dtype", &m, 1, 0, 0);
    base(&m, "seed/../evil", "uint8", 1, 1, s64, "numpy", 4);
    emit("bad-pool-name", &m, 1, 0, 0);
    base(&m, "seed/hist", "uint8", 1, 1, s64, "numpy", 0);
    emit("bad-history-0", &m, 1, 0, 0);
    base(&m, "seed/dev", "uint8", 1, 1, s64, "numpy", 4);
    snprintf(m.device, sizeof m.device, "cuda:7");
    emit("bad-device", &m, 1, 0, 0);
    return 0;
}
