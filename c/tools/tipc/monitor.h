/* monitor.h - the start shared by hz, bw and delay (see monitor.c). */
#ifndef TIPC_CLI_MONITOR_H
#define TIPC_CLI_MONITOR_H

#include "tipc_cli.h"

/* What hz, bw and delay take from their command line. The caller sets the
 * defaults (window, wait_s) before cli_monitor_open. */
struct cli_monitor_args {
    const char *name; /* the pool, from argv */
    uint64_t window;  /* --window N */
    uint64_t count;   /* --count K, 0: until Ctrl-C */
    double wait_s;    /* --wait S */
    int json;         /* --json */
};

/* Parse `tipc CMD POOL [--window N] [--count K] [--wait S] [--json]
 * [--domain N] [-h]` (--window at least @p min_window; -h prints @p help),
 * install the Ctrl-C handler and follow the pool. Returns a CLI_EXIT_* code;
 * *con is NULL unless it returns CLI_EXIT_OK with a consumer to run (NULL
 * with CLI_EXIT_OK: help printed or Ctrl-C while searching). */
int cli_monitor_open(struct cli *g, const char *cmd, const char *help, uint64_t min_window,
                     int argc, char **argv, struct cli_monitor_args *a, tipc_consumer **con);

#endif
