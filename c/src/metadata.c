#include "metadata.h"
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Frames must stay addressable with ptrdiff_t arithmetic and fit a segment. */
#define POOL_BYTES_MAX ((size_t)1 << 46)

static int name_char_ok(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '/';
}

tipc_status tipc__check_name(const char *name)
{
    if (!name)
        return tipc__fail(TIPC_E_INVALID, "pool name is NULL");
    size_t len = strnlen(name, TIPC_NAME_MAX + 1);
    if (len == 0)
        return tipc__fail(TIPC_E_INVALID, "pool name is empty");
    if (len > TIPC_NAME_MAX)
        return tipc__fail(TIPC_E_INVALID, "pool name '%.*s...' is longer than %d bytes",
                          TIPC_NAME_MAX, name, TIPC_NAME_MAX);
    for (size_t i = 0; i < len; i++)
        if (!name_char_ok(name[i]))
            return tipc__fail(TIPC_E_INVALID,
                              "pool name '%s': character %zu (0x%02x) is not one of "
                              "[A-Za-z0-9_-/]",
                              name, i, (unsigned char)name[i]);
    if (name[0] == '/' || name[len - 1] == '/' || strstr(name, "//"))
        return tipc__fail(TIPC_E_INVALID,
                          "pool name '%s' starts or ends with '/' or contains '//'", name);
    return TIPC_OK;
}

static int device_ok(const char *dev, tipc_backend backend)
{
    if (backend != TIPC_BACKEND_TORCH_CUDA)
        return strcmp(dev, "cpu") == 0;
    if (strncmp(dev, "cuda:", 5) != 0)
        return 0;
    const char *p = dev + 5;
    if (*p < '0' || *p > '9' || strlen(p) > 3)
        return 0;
    for (; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

void tipc__format_shape(char *buf, size_t size, uint32_t ndim, const int64_t *shape)
{
    size_t n = (size_t)snprintf(buf, size, "(");
    for (uint32_t i = 0; i < ndim && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%lld", i ? "," : "",
                              (long long)shape[i]);
    if (n < size)
        snprintf(buf + n, size - n, ndim == 1 ? ",)" : ")");
}

tipc_status tipc__metadata_finish(struct tipc_metadata *md)
{
    /* Fields may come from untrusted memory: bound every string first. */
    md->name[TIPC_NAME_MAX] = '\0';
    md->device[TIPC_DEVICE_MAX] = '\0';
    tipc_status st = tipc__check_name(md->name);
    if (st)
        return st;
    const char *name = md->name;
    md->element_size = tipc_dtype_size(md->dtype);
    if (md->element_size == 0)
        return tipc__fail(TIPC_E_INVALID, "pool '%s': unknown dtype %d", name, (int)md->dtype);
    if (strcmp(tipc_backend_name(md->backend), "invalid") == 0)
        return tipc__fail(TIPC_E_INVALID, "pool '%s': unknown backend %d", name,
                          (int)md->backend);
    if (md->ndim > TIPC_MAX_DIMS)
        return tipc__fail(TIPC_E_INVALID, "pool '%s': %u dimensions, at most %d allowed",
                          name, md->ndim, TIPC_MAX_DIMS);
    if (md->history_len < 1 || md->history_len > TIPC_MAX_HISTORY)
        return tipc__fail(TIPC_E_INVALID, "pool '%s': history_len %u is not in 1..%d", name,
                          md->history_len, TIPC_MAX_HISTORY);
    if (!device_ok(md->device, md->backend))
        return tipc__fail(TIPC_E_INVALID, "pool '%s': device '%s' is not valid for backend %s"
                          " (expected %s)", name, md->device, tipc_backend_name(md->backend),
                          md->backend == TIPC_BACKEND_TORCH_CUDA ? "'cuda:N'" : "'cpu'");
    if (md->payload_size > TIPC_PAYLOAD_MAX)
        return tipc__fail(TIPC_E_INVALID, "pool '%s': payload of %zu bytes exceeds %d", name,
                          md->payload_size, TIPC_PAYLOAD_MAX);
    size_t bytes = md->element_size;
    for (uint32_t i = 0; i < md->ndim; i++) {
        if (md->shape[i] <= 0)
            return tipc__fail(TIPC_E_INVALID, "pool '%s': dimension %u is %lld; sizes must be > 0",
                              name, i, (long long)md->shape[i]);
        if ((uint64_t)md->shape[i] > POOL_BYTES_MAX / bytes)
            return tipc__fail(TIPC_E_INVALID, "pool '%s': frame size overflows (dimension %u = %lld)",
                              name, i, (long long)md->shape[i]);
        bytes *= (size_t)md->shape[i];
    }
    for (uint32_t i = md->ndim; i < TIPC_MAX_DIMS; i++)
        md->shape[i] = 0;
    if (bytes > POOL_BYTES_MAX / md->history_len)
        return tipc__fail(TIPC_E_INVALID,
                          "pool '%s': %zu-byte frames times history_len %u exceed the %zu-byte limit",
                          name, bytes, md->history_len, POOL_BYTES_MAX);
    md->frame_bytes = bytes;
    md->total_bytes = bytes * md->history_len;
    tipc__shm_name(md->shm_name, sizeof md->shm_name, name);
    return TIPC_OK;
}

void tipc__shm_name(char *buf, size_t size, const char *name)
{
    size_t n = (size_t)snprintf(buf, size, "/tipc.%s", name);
    for (size_t i = 6; i < n && i < size; i++)
        if (buf[i] == '/')
            buf[i] = '.';
}

tipc_status tipc_metadata_create(tipc_metadata **out, const char *name, tipc_dtype dtype,
                                 size_t ndim, const int64_t *shape, tipc_backend backend,
                                 uint32_t history_len, const char *device)
{
    TIPC_CHECK_ARG(out, "out is NULL");
    *out = NULL;
    tipc_status st = tipc__check_name(name);
    if (st)
        return st;
    if (ndim > TIPC_MAX_DIMS)
        return tipc__fail(TIPC_E_INVALID, "pool '%s': %zu dimensions, at most %d allowed", name,
                          ndim, TIPC_MAX_DIMS);
    if (ndim > 0 && !shape)
        return tipc__fail(TIPC_E_INVALID, "pool '%s': shape is NULL with %zu dimensions", name,
                          ndim);
    if (!device)
        device = backend == TIPC_BACKEND_TORCH_CUDA ? "cuda:0" : "cpu";
    if (strlen(device) > TIPC_DEVICE_MAX)
        return tipc__fail(TIPC_E_INVALID, "pool '%s': device name is too long", name);

    struct tipc_metadata tmp = {0};
    memcpy(tmp.name, name, strlen(name) + 1);
    memcpy(tmp.device, device, strlen(device) + 1);
    tmp.dtype = dtype;
    tmp.backend = backend;
    tmp.ndim = (uint32_t)ndim;
    tmp.history_len = history_len;
    for (size_t i = 0; i < ndim; i++)
        tmp.shape[i] = shape[i];
    st = tipc__metadata_finish(&tmp);
    if (st)
        return st;
    struct tipc_metadata *md = malloc(sizeof *md);
    if (!md)
        return tipc__fail(TIPC_E_NOMEM, "pool '%s': out of memory", name);
    *md = tmp;
    *out = md;
    return TIPC_OK;
}

tipc_status tipc_metadata_clone(tipc_metadata **out, const tipc_metadata *src)
{
    TIPC_CHECK_ARG(out, "out is NULL");
    *out = NULL;
    TIPC_CHECK_ARG(src, "metadata is NULL");
    struct tipc_metadata *md = malloc(sizeof *md);
    if (!md)
        return tipc__fail(TIPC_E_NOMEM, "pool '%s': out of memory", src->name);
    *md = *src;
    *out = md;
    return TIPC_OK;
}

void tipc_metadata_destroy(tipc_metadata *md) { free(md); }

const char *tipc_metadata_host_id(const tipc_metadata *md) { return md ? md->host_id : ""; }
const char *tipc_metadata_hostname(const tipc_metadata *md) { return md ? md->hostname : ""; }

const char *tipc_metadata_name(const tipc_metadata *md) { return md ? md->name : ""; }
tipc_dtype tipc_metadata_dtype(const tipc_metadata *md) { return md ? md->dtype : TIPC_DTYPE_INVALID; }
tipc_backend tipc_metadata_backend(const tipc_metadata *md)
{
    return md ? md->backend : TIPC_BACKEND_INVALID;
}
size_t tipc_metadata_ndim(const tipc_metadata *md) { return md ? md->ndim : 0; }
int64_t tipc_metadata_dim(const tipc_metadata *md, size_t axis)
{
    return md && axis < md->ndim ? md->shape[axis] : 0;
}
uint32_t tipc_metadata_history_len(const tipc_metadata *md) { return md ? md->history_len : 0; }
const char *tipc_metadata_device(const tipc_metadata *md) { return md ? md->device : ""; }
size_t tipc_metadata_element_size(const tipc_metadata *md) { return md ? md->element_size : 0; }
size_t tipc_metadata_frame_bytes(const tipc_metadata *md) { return md ? md->frame_bytes : 0; }
size_t tipc_metadata_total_bytes(const tipc_metadata *md) { return md ? md->total_bytes : 0; }
const char *tipc_metadata_shm_name(const tipc_metadata *md) { return md ? md->shm_name : ""; }
int64_t tipc_metadata_creator_pid(const tipc_metadata *md) { return md ? md->creator_pid : 0; }
const void *tipc_metadata_payload(const tipc_metadata *md, size_t *out_size)
{
    size_t n = md ? md->payload_size : 0;
    if (out_size)
        *out_size = n;
    return n ? md->payload : NULL;
}

tipc_status tipc_metadata_compare(const tipc_metadata *expected, const tipc_metadata *actual)
{
    TIPC_CHECK_ARG(expected && actual, "metadata is NULL");
    char diff[768];
    size_t n = 0;
    int count = 0;
#define ADD(...)                                                                  \
    do {                                                                          \
        if (n < sizeof diff)                                                      \
            n += (size_t)snprintf(diff + n, sizeof diff - n, "%s", count++ ? "; " : ""); \
        if (n < sizeof diff)                                                      \
            n += (size_t)snprintf(diff + n, sizeof diff - n, __VA_ARGS__);        \
    } while (0)
    if (strcmp(expected->name, actual->name) != 0)
        ADD("name '%s' vs '%s'", expected->name, actual->name);
    if (expected->dtype != actual->dtype)
        ADD("dtype %s vs %s", tipc_dtype_name(expected->dtype), tipc_dtype_name(actual->dtype));
    if (expected->ndim != actual->ndim ||
        memcmp(expected->shape, actual->shape, sizeof expected->shape) != 0) {
        char a[160], b[160];
        tipc__format_shape(a, sizeof a, expected->ndim, expected->shape);
        tipc__format_shape(b, sizeof b, actual->ndim, actual->shape);
        ADD("shape %s vs %s", a, b);
    }
    /* Host pools differ in backend only in the array type each binding hands
     * out: a numpy reader of a torch pool is the same pool. */
    if (expected->backend != actual->backend &&
        (expected->backend == TIPC_BACKEND_TORCH_CUDA || actual->backend == TIPC_BACKEND_TORCH_CUDA))
        ADD("backend %s vs %s", tipc_backend_name(expected->backend),
            tipc_backend_name(actual->backend));
    if (expected->history_len != actual->history_len)
        ADD("history_len %u vs %u", expected->history_len, actual->history_len);
    if (strcmp(expected->device, actual->device) != 0)
        ADD("device '%s' vs '%s'", expected->device, actual->device);
#undef ADD
    if (!count)
        return TIPC_OK;
    return tipc__fail(TIPC_E_MISMATCH, "pool '%s': metadata mismatch (%d field%s, expected vs actual): %s",
                      expected->name, count, count > 1 ? "s" : "", diff);
}

size_t tipc_metadata_describe(const tipc_metadata *md, char *buf, size_t size)
{
    if (!md) {
        if (size)
            buf[0] = '\0';
        return 0;
    }
    char shape[160];
    tipc__format_shape(shape, sizeof shape, md->ndim, md->shape);
    int n = snprintf(buf, size, "pool '%s' %s %s %s history %u %s", md->name,
                     tipc_dtype_name(md->dtype), shape, tipc_backend_name(md->backend),
                     md->history_len, md->device);
    return n < 0 ? 0 : (size_t)n;
}
