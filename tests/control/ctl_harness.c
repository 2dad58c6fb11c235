#include "ctl_harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "ctl_common.h"
#include "tensor_ipc.h"

#ifndef TIPC_CTL_HELPER
#error "TIPC_CTL_HELPER (path of tipc_ctl_helper) must be defined"
#endif

const char *ctl_pool_named(const char *name)
{
    char seg[128];
    ctl_shm_name(seg, sizeof seg, name);
    /* exactly the segment and its temporaries: "ctl1/forged" is a prefix of
     * "ctl1/forged-bad" */
    const char *pool = ph_track_pool(name, seg + 1, 1);
    PH_ASSERT(pool != NULL, "too many pools");
    return pool;
}

const char *ctl_pool(const char *tag)
{
    char name[TIPC_NAME_MAX + 1];
    snprintf(name, sizeof name, "ctl%ld/%s", (long)getpid(), tag);
    return ctl_pool_named(name);
}

ph_child *ctl_spawn(const char *what, ...)
{
    const char *head[] = { TIPC_CTL_HELPER };
    va_list ap;
    va_start(ap, what);
    ph_child *c = ph_vspawn(what, head, 1, ap);
    va_end(ap);
    return c;
}

ph_child *ctl_agent(const char *what) { return ctl_spawn(what, "agent", NULL); }
