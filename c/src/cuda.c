#include "cuda.h"

#include "status.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The few driver API types and entry points used, declared here so the build
 * needs no CUDA headers (the ABI of these calls is stable across versions). */
typedef int CUresult;
typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
typedef unsigned long long CUdeviceptr;
typedef struct { unsigned char reserved[64]; } CUipcMemHandle;
#define CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS 0x1
#define CU_POINTER_ATTRIBUTE_MEMORY_TYPE 2
#define CU_MEMORYTYPE_DEVICE 2

static struct {
    void *lib;
    char error[256];
    CUresult (*cuInit)(unsigned int);
    CUresult (*cuDeviceGetCount)(int *);
    CUresult (*cuDeviceGet)(CUdevice *, int);
    CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
    CUresult (*cuCtxSetCurrent)(CUcontext);
    CUresult (*cuCtxSynchronize)(void);
    CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
    CUresult (*cuMemFree)(CUdeviceptr);
    CUresult (*cuMemsetD8)(CUdeviceptr, unsigned char, size_t);
    CUresult (*cuMemcpy)(CUdeviceptr, CUdeviceptr, size_t);
    CUresult (*cuIpcGetMemHandle)(CUipcMemHandle *, CUdeviceptr);
    CUresult (*cuIpcOpenMemHandle)(CUdeviceptr *, CUipcMemHandle, unsigned int);
    CUresult (*cuIpcCloseMemHandle)(CUdeviceptr);
    CUresult (*cuGetErrorName)(CUresult, const char **);
    CUresult (*cuPointerGetAttribute)(void *, int, CUdeviceptr);
    CUcontext ctx[64];
} cu;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* One mapping per segment per process. */
struct mapping {
    struct mapping *next;
    dev_t dev;
    ino_t ino;
    CUdeviceptr base;
    int ordinal;
    int owned; /* 1: our allocation (producer); 0: an opened IPC handle */
    long refs;
};
static struct mapping *mappings;

static void load(void)
{
    cu.lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!cu.lib) {
        snprintf(cu.error, sizeof cu.error, "the NVIDIA driver library libcuda.so.1 cannot be loaded (%s)",
                 dlerror());
        return;
    }
    struct {
        void **fn;
        const char *name;
    } syms[] = {
        {(void **)&cu.cuInit, "cuInit"},
        {(void **)&cu.cuDeviceGetCount, "cuDeviceGetCount"},
        {(void **)&cu.cuDeviceGet, "cuDeviceGet"},
        {(void **)&cu.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain"},
        {(void **)&cu.cuCtxSetCurrent, "cuCtxSetCurrent"},
        {(void **)&cu.cuCtxSynchronize, "cuCtxSynchronize"},
        {(void **)&cu.cuMemAlloc, "cuMemAlloc_v2"},
        {(void **)&cu.cuMemFree, "cuMemFree_v2"},
        {(void **)&cu.cuMemsetD8, "cuMemsetD8_v2"},
        {(void **)&cu.cuMemcpy, "cuMemcpy"},
        {(void **)&cu.cuIpcGetMemHandle, "cuIpcGetMemHandle"},
        {(void **)&cu.cuIpcOpenMemHandle, "cuIpcOpenMemHandle_v2"},
        {(void **)&cu.cuIpcCloseMemHandle, "cuIpcCloseMemHandle"},
        {(void **)&cu.cuGetErrorName, "cuGetErrorName"},
        {(void **)&cu.cuPointerGetAttribute, "cuPointerGetAttribute"},
    };
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        *syms[i].fn = dlsym(cu.lib, syms[i].name);
        if (!*syms[i].fn) {
            snprintf(cu.error, sizeof cu.error, "libcuda.so.1 lacks %s (driver too old)",
                     syms[i].name);
            dlclose(cu.lib);
            cu.lib = NULL;
            return;
        }
    }
    CUresult rc = cu.cuInit(0);
    if (rc != 0) {
        const char *name = "?";
        cu.cuGetErrorName(rc, &name);
        snprintf(cu.error, sizeof cu.error, "cuInit failed (%s)", name);
        cu.lib = NULL;
    }
}

static const char *errname(CUresult rc)
{
    const char *name = "unknown CUDA error";
    if (cu.cuGetErrorName)
        cu.cuGetErrorName(rc, &name);
    return name;
}

int tipc__cuda_ordinal(const char *device)
{
    if (strncmp(device, "cuda:", 5) != 0)
        return -1;
    char *end;
    long n = strtol(device + 5, &end, 10);
    return (*end || n < 0 || n >= 64) ? -1 : (int)n;
}

tipc_status tipc__cuda_payload_check(const char *pool, const void *payload, size_t size,
                                     int ordinal, uint64_t frame_bytes, uint32_t history_len)
{
    struct tipc_cuda_payload p;
    if (!payload || size != sizeof p)
        return tipc__fail(TIPC_E_CORRUPT, "pool '%s': CUDA payload of %zu bytes, expected %zu",
                          pool, size, sizeof p);
    memcpy(&p, payload, sizeof p);
    if (memcmp(p.magic, "TIPCCUDA", 8) != 0 || p.version != 1)
        return tipc__fail(TIPC_E_CORRUPT, "pool '%s': CUDA payload has a bad magic or version",
                          pool);
    if (p.device != ordinal)
        return tipc__fail(TIPC_E_CORRUPT, "pool '%s': CUDA payload names device %d, the pool cuda:%d",
                          pool, p.device, ordinal);
    if (p.stride < frame_bytes || p.stride % TIPC_CUDA_ALIGN != 0 ||
        p.stride > UINT64_MAX / (history_len ? history_len : 1) ||
        p.bytes != p.stride * history_len)
        return tipc__fail(TIPC_E_CORRUPT,
                          "pool '%s': CUDA payload sizes are inconsistent (stride %llu, bytes %llu "
                          "for %u frames of %llu bytes)",
                          pool, (unsigned long long)p.stride, (unsigned long long)p.bytes,
                          history_len, (unsigned long long)frame_bytes);
    return TIPC_OK;
}

/* Make the device's primary context current on this thread. */
static tipc_status use_device(const char *pool, int ordinal)
{
    pthread_once(&load_once, load);
    if (!cu.lib)
        return tipc__fail(TIPC_E_UNSUPPORTED, "pool '%s': CUDA not available: %s", pool, cu.error);
    pthread_mutex_lock(&lock);
    CUresult rc = 0;
    if (!cu.ctx[ordinal]) {
        int count = 0;
        CUdevice dev;
        rc = cu.cuDeviceGetCount(&count);
        if (rc == 0 && ordinal >= count) {
            pthread_mutex_unlock(&lock);
            return tipc__fail(TIPC_E_UNSUPPORTED,
                              "pool '%s': CUDA not available: device cuda:%d requested, %d present",
                              pool, ordinal, count);
        }
        if (rc == 0)
            rc = cu.cuDeviceGet(&dev, ordinal);
        if (rc == 0)
            rc = cu.cuDevicePrimaryCtxRetain(&cu.ctx[ordinal], dev);
    }
    CUcontext ctx = cu.ctx[ordinal];
    pthread_mutex_unlock(&lock);
    if (rc == 0)
        rc = cu.cuCtxSetCurrent(ctx);
    if (rc != 0)
        return tipc__fail(TIPC_E_UNSUPPORTED, "pool '%s': CUDA not available: cuda:%d: %s", pool,
                          ordinal, errname(rc));
    return TIPC_OK;
}

tipc_status tipc__cuda_available(const char *pool, int ordinal)
{
    if (ordinal < 0)
        return tipc__fail(TIPC_E_INVALID, "pool '%s': not a CUDA device", pool);
    return use_device(pool, ordinal);
}

static struct mapping *find(dev_t dev, ino_t ino)
{
    for (struct mapping *m = mappings; m; m = m->next)
        if (m->dev == dev && m->ino == ino)
            return m;
    return NULL;
}

static tipc_status add_mapping(const char *pool, dev_t dev, ino_t ino, CUdeviceptr base,
                               int ordinal, int owned)
{
    struct mapping *m = calloc(1, sizeof *m);
    if (!m)
        return tipc__fail(TIPC_E_NOMEM, "pool '%s': out of memory", pool);
    *m = (struct mapping){mappings, dev, ino, base, ordinal, owned, 1};
    mappings = m;
    return TIPC_OK;
}

tipc_status tipc__cuda_create(const char *pool, int ordinal, uint64_t bytes, uint64_t stride,
                              dev_t dev, ino_t ino, struct tipc_cuda_payload *payload,
                              uint64_t *out_base)
{
    tipc_status st = use_device(pool, ordinal);
    if (st)
        return st;
    CUdeviceptr base = 0;
    CUipcMemHandle handle;
    CUresult rc = cu.cuMemAlloc(&base, bytes);
    if (rc == 0)
        rc = cu.cuMemsetD8(base, 0, bytes); /* unwritten frames read as zeros */
    if (rc == 0)
        rc = cu.cuIpcGetMemHandle(&handle, base);
    if (rc != 0) {
        if (base)
            cu.cuMemFree(base);
        return tipc__fail(rc == 2 ? TIPC_E_NO_SPACE : TIPC_E_SYSTEM,
                          "pool '%s': cannot allocate and export %llu bytes on cuda:%d: %s", pool,
                          (unsigned long long)bytes, ordinal, errname(rc));
    }
    pthread_mutex_lock(&lock);
    st = add_mapping(pool, dev, ino, base, ordinal, 1);
    pthread_mutex_unlock(&lock);
    if (st) {
        cu.cuMemFree(base);
        return st;
    }
    memset(payload, 0, sizeof *payload);
    memcpy(payload->magic, "TIPCCUDA", 8);
    payload->version = 1;
    payload->device = ordinal;
    payload->bytes = bytes;
    payload->stride = stride;
    memcpy(payload->handle, handle.reserved, sizeof payload->handle);
    *out_base = base;
    return TIPC_OK;
}

tipc_status tipc__cuda_attach(const char *pool, const struct tipc_cuda_payload *payload,
                              dev_t dev, ino_t ino, uint64_t *out_base)
{
    tipc_status st = use_device(pool, payload->device);
    if (st)
        return st;
    pthread_mutex_lock(&lock);
    struct mapping *m = find(dev, ino);
    if (m) { /* the producer, or another consumer, of this process */
        m->refs++;
        *out_base = m->base;
        pthread_mutex_unlock(&lock);
        return TIPC_OK;
    }
    CUipcMemHandle handle;
    memcpy(handle.reserved, payload->handle, sizeof handle.reserved);
    CUdeviceptr base = 0;
    CUresult rc = cu.cuIpcOpenMemHandle(&base, handle, CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS);
    if (rc == 0) {
        st = add_mapping(pool, dev, ino, base, payload->device, 0);
        if (st)
            cu.cuIpcCloseMemHandle(base);
    } else {
        st = tipc__fail(TIPC_E_SYSTEM, "pool '%s': cannot open the CUDA IPC handle: %s", pool,
                        errname(rc));
    }
    pthread_mutex_unlock(&lock);
    if (st == TIPC_OK)
        *out_base = base;
    return st;
}

void tipc__cuda_detach(dev_t dev, ino_t ino)
{
    pthread_mutex_lock(&lock);
    struct mapping **pm = &mappings;
    while (*pm && !((*pm)->dev == dev && (*pm)->ino == ino))
        pm = &(*pm)->next;
    struct mapping *m = *pm;
    if (m && --m->refs == 0) {
        *pm = m->next;
        if (cu.cuCtxSetCurrent(cu.ctx[m->ordinal]) == 0) {
            if (m->owned)
                cu.cuMemFree(m->base);
            else
                cu.cuIpcCloseMemHandle(m->base);
        }
        free(m);
    }
    pthread_mutex_unlock(&lock);
}

tipc_status tipc__cuda_copy(const char *pool, int ordinal, void *dst, const void *src,
                            size_t bytes)
{
    tipc_status st = use_device(pool, ordinal);
    if (st)
        return st;
    /* cuMemcpy infers the direction from unified addresses. Device-to-device
     * copies may still run when it returns: synchronise, so a frame is
     * complete before it is published or handed out. */
    CUresult rc = cu.cuMemcpy((CUdeviceptr)(uintptr_t)dst, (CUdeviceptr)(uintptr_t)src, bytes);
    if (rc == 0)
        rc = cu.cuCtxSynchronize();
    if (rc != 0)
        return tipc__fail(TIPC_E_SYSTEM, "pool '%s': CUDA copy of %zu bytes failed: %s", pool,
                          bytes, errname(rc));
    return TIPC_OK;
}

tipc_status tipc__cuda_sync(const char *pool, int ordinal)
{
    tipc_status st = use_device(pool, ordinal);
    if (st)
        return st;
    CUresult rc = cu.cuCtxSynchronize();
    if (rc != 0)
        return tipc__fail(TIPC_E_SYSTEM, "pool '%s': CUDA synchronize failed: %s", pool,
                          errname(rc));
    return TIPC_OK;
}

tipc_status tipc__cuda_zero(const char *pool, int ordinal, void *dst, size_t bytes)
{
    tipc_status st = use_device(pool, ordinal);
    if (st)
        return st;
    unsigned int type = 0;
    /* Host memory that CUDA does not know reports an error: it is plain host memory. */
    if (cu.cuPointerGetAttribute(&type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE,
                                 (CUdeviceptr)(uintptr_t)dst) != 0 ||
        type != CU_MEMORYTYPE_DEVICE) {
        memset(dst, 0, bytes);
        return TIPC_OK;
    }
    CUresult rc = cu.cuMemsetD8((CUdeviceptr)(uintptr_t)dst, 0, bytes);
    if (rc == 0)
        rc = cu.cuCtxSynchronize();
    if (rc != 0)
        return tipc__fail(TIPC_E_SYSTEM, "pool '%s': CUDA memset failed: %s", pool, errname(rc));
    return TIPC_OK;
}
