#include "memory.h"
#include "cuda.h"
#include "status.h"

static int on_device(const struct tipc_metadata *md)
{
    return md->backend == TIPC_BACKEND_TORCH_CUDA;
}

static size_t round_up(size_t n, size_t align) { return (n + align - 1) / align * align; }

size_t tipc__mem_stride(const struct tipc_metadata *md)
{
    return round_up(md->frame_bytes, on_device(md) ? TIPC_CUDA_ALIGN : 64);
}

size_t tipc__mem_segment_bytes(const struct tipc_metadata *md)
{
    return on_device(md) ? 0 : (size_t)md->history_len * tipc__mem_stride(md);
}

tipc_status tipc__mem_usable(const struct tipc_metadata *md)
{
    if (!on_device(md))
        return TIPC_OK;
    return tipc__cuda_available(md->name, tipc__cuda_ordinal(md->device));
}

tipc_status tipc__mem_payload_check(const struct tipc_metadata *md, const void *payload,
                                    size_t size)
{
    if (on_device(md))
        return tipc__cuda_payload_check(md->name, payload, size, tipc__cuda_ordinal(md->device),
                                        md->frame_bytes, md->history_len);
    if (size != 0)
        return tipc__fail(TIPC_E_CORRUPT,
                          "pool '%s': a host pool carries a %zu-byte backend payload", md->name,
                          size);
    return TIPC_OK;
}

tipc_status tipc__mem_create(struct tipc_mem *m, struct tipc_metadata *md,
                             unsigned char *host_frames, dev_t dev, ino_t ino)
{
    m->ordinal = on_device(md) ? tipc__cuda_ordinal(md->device) : -1;
    m->stride = tipc__mem_stride(md);
    m->dev = dev;
    m->ino = ino;
    m->frames = host_frames;
    md->payload_size = 0;
    if (m->ordinal < 0)
        return TIPC_OK;
    struct tipc_cuda_payload payload;
    uint64_t base = 0;
    tipc_status st = tipc__cuda_create(md->name, m->ordinal, (uint64_t)md->history_len * m->stride,
                                       m->stride, dev, ino, &payload, &base);
    if (st) {
        m->ordinal = -1; /* nothing to release */
        return st;
    }
    memcpy(md->payload, &payload, sizeof payload);
    md->payload_size = sizeof payload;
    m->frames = (unsigned char *)(uintptr_t)base;
    return TIPC_OK;
}

tipc_status tipc__mem_attach(struct tipc_mem *m, const struct tipc_metadata *md,
                             const void *payload, unsigned char *host_frames, dev_t dev, ino_t ino)
{
    m->ordinal = on_device(md) ? tipc__cuda_ordinal(md->device) : -1;
    m->stride = tipc__mem_stride(md);
    m->dev = dev;
    m->ino = ino;
    m->frames = host_frames;
    if (m->ordinal < 0)
        return TIPC_OK;
    struct tipc_cuda_payload p;
    memcpy(&p, payload, sizeof p); /* checked by tipc__mem_payload_check */
    uint64_t base = 0;
    tipc_status st = tipc__cuda_attach(md->name, &p, dev, ino, &base);
    if (st) {
        m->ordinal = -1;
        return st;
    }
    m->frames = (unsigned char *)(uintptr_t)base;
    return TIPC_OK;
}

void tipc__mem_release(struct tipc_mem *m)
{
    if (m->ordinal >= 0)
        tipc__cuda_detach(m->dev, m->ino);
    m->ordinal = -1;
    m->frames = NULL;
}

tipc_status tipc__mem_copy_slow(const struct tipc_mem *m, const char *pool, void *dst,
                                const void *src, size_t bytes)
{
    return tipc__cuda_copy(pool, m->ordinal, dst, src, bytes);
}

tipc_status tipc__mem_zero(const struct tipc_mem *m, const char *pool, void *dst, size_t bytes)
{
    if (m->ordinal < 0) {
        memset(dst, 0, bytes);
        return TIPC_OK;
    }
    return tipc__cuda_zero(pool, m->ordinal, dst, bytes);
}

tipc_status tipc__mem_flush_slow(const struct tipc_mem *m, const char *pool)
{
    return tipc__cuda_sync(pool, m->ordinal);
}
