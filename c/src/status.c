#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ERROR_TEXT_MAX 1024

static _Thread_local char error_text[ERROR_TEXT_MAX];

const char *tipc_last_error(void) { return error_text; }

static void set_text(const char *fmt, va_list ap, int errnum)
{
    /* Format into a scratch buffer: an argument may be the current text
     * (a cause wrapped in a new sentence). */
    char buf[ERROR_TEXT_MAX];
    vsnprintf(buf, sizeof buf, fmt, ap);
    memcpy(error_text, buf, sizeof buf);
    int n = (int)strlen(error_text);
    if (errnum && n >= 0 && (size_t)n < sizeof error_text) {
        char ebuf[256];
        const char *msg = strerror_r(errnum, ebuf, sizeof ebuf); /* GNU variant */
        snprintf(error_text + n, sizeof error_text - (size_t)n, ": %s", msg);
    }
}

tipc_status tipc__fail(tipc_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_text(fmt, ap, 0);
    va_end(ap);
    return status;
}

tipc_status tipc__fail_errno(tipc_status status, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_text(fmt, ap, errnum);
    va_end(ap);
    return status;
}

const char *tipc_status_name(tipc_status status)
{
    switch (status) {
    case TIPC_OK: return "TIPC_OK";
    case TIPC_E_INVALID: return "TIPC_E_INVALID";
    case TIPC_E_NOMEM: return "TIPC_E_NOMEM";
    case TIPC_E_NOT_CONNECTED: return "TIPC_E_NOT_CONNECTED";
    case TIPC_E_MISMATCH: return "TIPC_E_MISMATCH";
    case TIPC_E_TIMEOUT: return "TIPC_E_TIMEOUT";
    case TIPC_E_EXISTS: return "TIPC_E_EXISTS";
    case TIPC_E_UNSUPPORTED: return "TIPC_E_UNSUPPORTED";
    case TIPC_E_NO_SPACE: return "TIPC_E_NO_SPACE";
    case TIPC_E_PERMISSION: return "TIPC_E_PERMISSION";
    case TIPC_E_CORRUPT: return "TIPC_E_CORRUPT";
    case TIPC_E_NO_DATA: return "TIPC_E_NO_DATA";
    case TIPC_E_BUSY: return "TIPC_E_BUSY";
    case TIPC_E_CLOSED: return "TIPC_E_CLOSED";
    case TIPC_E_SYSTEM: return "TIPC_E_SYSTEM";
    case TIPC_E_LIMIT: return "TIPC_E_LIMIT";
    }
    return "unknown";
}

unsigned tipc_version_number(void) { return TIPC_VERSION_NUMBER; }
const char *tipc_version_string(void) { return TIPC_VERSION_STRING; }
