/* cmd_gc.c - `tipc gc`: remove shared-memory files of dead producers, through
 * tipc_pool_reclaim (the library owns the segment format and its rules). */
#include "tipc_cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define SHM_DIR "/dev/shm"
#define SEG_PREFIX "tipc."

static const char gc_help[] =
    "Usage: tipc gc [--dry-run] [--verbose] [POOL...]\n"
    "\n"
    "Remove files in " SHM_DIR " named " SEG_PREFIX "* whose producer is dead (only\n"
    "those of the POOLs named, when any are given):\n"
    "  - pool segments ('" SEG_PREFIX "<name>') whose recorded producer process no\n"
    "    longer exists, is a zombie, or is another process that reuses its pid\n"
    "    (its start time differs);\n"
    "  - temporary files ('" SEG_PREFIX "<name>~<pid>.<n>.tmp') of a pool being created by a\n"
    "    process that no longer exists (or is a zombie).\n"
    "Live pools and files that are not tensor-ipc segments are left alone.\n"
    "Each removed file is printed.\n"
    "\n"
    "gc is tipc_pool_reclaim() of the C library. It reads only the stable\n"
    "32-byte prefix of a segment, which keeps its layout in every version:\n"
    "the 8-byte magic \"TIPCPOOL\", a uint32 layout version, the int32 producer pid\n"
    "and the uint64 producer start time (field 22 of /proc/<pid>/stat, in clock\n"
    "ticks), in host byte order. Pids are those of this pid namespace: do not run\n"
    "gc in a container that shares " SHM_DIR " with producers it cannot see.\n"
    "\n"
    "Arguments:\n"
    "  POOL            a pool name (e.g. cam/rgb): only its files are looked at\n"
    "\n"
    "Options:\n"
    "  -n, --dry-run   print what would be removed, remove nothing\n"
    "  -v, --verbose   also print the files kept, and why\n"
    "  -h, --help      show this help\n"
    "\n"
    "Exits 1 if a stale file could not be removed.\n";

struct gc_report {
    int dry, verbose;
    unsigned removed, failed;
};

static void on_file(const tipc_reclaim_entry *e, void *user)
{
    struct gc_report *r = user;
    switch (e->action) {
    case TIPC_RECLAIM_REMOVED:
        printf("%s %s (%s)\n", r->dry ? "would remove" : "removed", e->path, e->reason);
        r->removed++;
        break;
    case TIPC_RECLAIM_FAILED:
        fprintf(stderr, "tipc gc: %s: %s\n", e->path, e->reason);
        r->failed++;
        break;
    default:
        if (r->verbose)
            printf("kept %s: %s\n", e->path, e->reason);
        break;
    }
}

int cli_cmd_gc(struct cli *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"dry-run", no_argument, NULL, 'n'},
        {"verbose", no_argument, NULL, 'v'},
        {"domain", required_argument, NULL, CLI_OPT_DOMAIN},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct gc_report r = {0, 0, 0, 0};
    int c, rc;
    while ((c = getopt_long(argc, argv, ":hnv", opts, NULL)) != -1) {
        switch (c) {
        case 'n': r.dry = 1; break;
        case 'v': r.verbose = 1; break;
        case CLI_OPT_DOMAIN: /* accepted for symmetry; gc does not use DDS */
            if ((rc = cli_set_domain(g, "gc", optarg)))
                return rc;
            break;
        case 'h': fputs(gc_help, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error("gc", c, argv);
        }
    }
    unsigned flags = r.dry ? TIPC_RECLAIM_DRY_RUN : 0;
    /* Check every name before touching anything. */
    for (int i = optind; i < argc; i++)
        if (tipc_pool_reclaim(argv[i], TIPC_RECLAIM_DRY_RUN, NULL, NULL, NULL) == TIPC_E_INVALID)
            return cli_usage("gc", "%s", tipc_last_error());
    tipc_status worst = TIPC_OK;
    if (optind == argc) {
        worst = tipc_pool_reclaim(NULL, flags, on_file, &r, NULL);
    } else {
        for (int i = optind; i < argc; i++) {
            tipc_status st = tipc_pool_reclaim(argv[i], flags, on_file, &r, NULL);
            if (st && !worst)
                worst = st;
        }
    }
    if (worst && !r.failed)
        return cli_fail("%s", tipc_last_error()); /* e.g. /dev/shm could not be listed */
    if (r.removed == 0 && r.failed == 0)
        printf("nothing to remove\n");
    else if (r.dry)
        printf("%u stale file%s would be removed\n", r.removed, r.removed == 1 ? "" : "s");
    else
        printf("%u stale file%s removed\n", r.removed, r.removed == 1 ? "" : "s");
    return r.failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
