#include "tensor_ipc.h"

#include <string.h>

static const struct {
    const char *name;
    size_t size;
} dtypes[] = {
    [TIPC_DTYPE_INVALID] = {"invalid", 0},
    [TIPC_DTYPE_BOOL] = {"bool", 1},
    [TIPC_DTYPE_INT8] = {"int8", 1},
    [TIPC_DTYPE_INT16] = {"int16", 2},
    [TIPC_DTYPE_INT32] = {"int32", 4},
    [TIPC_DTYPE_INT64] = {"int64", 8},
    [TIPC_DTYPE_UINT8] = {"uint8", 1},
    [TIPC_DTYPE_UINT16] = {"uint16", 2},
    [TIPC_DTYPE_UINT32] = {"uint32", 4},
    [TIPC_DTYPE_UINT64] = {"uint64", 8},
    [TIPC_DTYPE_FLOAT16] = {"float16", 2},
    [TIPC_DTYPE_BFLOAT16] = {"bfloat16", 2},
    [TIPC_DTYPE_FLOAT32] = {"float32", 4},
    [TIPC_DTYPE_FLOAT64] = {"float64", 8},
    [TIPC_DTYPE_COMPLEX64] = {"complex64", 8},
    [TIPC_DTYPE_COMPLEX128] = {"complex128", 16},
};
#define N_DTYPES (sizeof dtypes / sizeof dtypes[0])

static const struct {
    const char *alias;
    tipc_dtype dtype;
} aliases[] = {
    {"bool_", TIPC_DTYPE_BOOL},    {"half", TIPC_DTYPE_FLOAT16},
    {"float", TIPC_DTYPE_FLOAT32}, {"double", TIPC_DTYPE_FLOAT64},
    {"cfloat", TIPC_DTYPE_COMPLEX64}, {"cdouble", TIPC_DTYPE_COMPLEX128},
    {"short", TIPC_DTYPE_INT16},   {"int", TIPC_DTYPE_INT32},
    {"long", TIPC_DTYPE_INT64},
};

const char *tipc_dtype_name(tipc_dtype dtype)
{
    if ((unsigned)dtype >= N_DTYPES)
        return "invalid";
    return dtypes[dtype].name;
}

size_t tipc_dtype_size(tipc_dtype dtype)
{
    if ((unsigned)dtype >= N_DTYPES)
        return 0;
    return dtypes[dtype].size;
}

tipc_dtype tipc_dtype_from_name(const char *name)
{
    if (!name)
        return TIPC_DTYPE_INVALID;
    if (strncmp(name, "torch.", 6) == 0)
        name += 6;
    for (size_t i = 1; i < N_DTYPES; i++)
        if (strcmp(name, dtypes[i].name) == 0)
            return (tipc_dtype)i;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(name, aliases[i].alias) == 0)
            return aliases[i].dtype;
    return TIPC_DTYPE_INVALID;
}

static const char *const backends[] = {"invalid", "numpy", "torch", "torch_cuda"};

const char *tipc_backend_name(tipc_backend backend)
{
    if ((unsigned)backend >= sizeof backends / sizeof backends[0])
        return "invalid";
    return backends[backend];
}

tipc_backend tipc_backend_from_name(const char *name)
{
    if (!name)
        return TIPC_BACKEND_INVALID;
    for (size_t i = 1; i < sizeof backends / sizeof backends[0]; i++)
        if (strcmp(name, backends[i]) == 0)
            return (tipc_backend)i;
    return TIPC_BACKEND_INVALID;
}
