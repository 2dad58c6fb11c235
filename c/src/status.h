/* Thread-local error text and status helpers (internal). */
#ifndef TIPC_STATUS_H
#define TIPC_STATUS_H

#include "tensor_ipc.h"

/* Set the calling thread's error sentence and return @p status. */
tipc_status tipc__fail(tipc_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Like tipc__fail, appending ": strerror(errnum)". */
tipc_status tipc__fail_errno(tipc_status status, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define TIPC_CHECK_ARG(cond, what)                                           \
    do {                                                                     \
        if (!(cond))                                                         \
            return tipc__fail(TIPC_E_INVALID, "%s: %s", __func__, what);     \
    } while (0)

#endif
