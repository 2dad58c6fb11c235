/* cmd_gc.c - `tipc gc`: remove shared-memory files of dead producers.
 *
 * Uses only the stable 32-byte prefix of a segment (see the help text), so it
 * works across layout versions and needs no DDS. */
#include "tipc_cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHM_DIR "/dev/shm"
#define SEG_PREFIX "tipc."
#define SEG_MAGIC "TIPCPOOL"

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
    "gc reads only the stable 32-byte prefix of a segment, which keeps its layout\n"
    "in every version of tensor-ipc: the 8-byte magic \"" SEG_MAGIC "\", a uint32\n"
    "layout version, the int32 producer pid and the uint64 producer start time\n"
    "(field 22 of /proc/<pid>/stat, in clock ticks), in host byte order. Pids are\n"
    "those of this pid namespace: do not run gc in a container that shares\n"
    SHM_DIR " with producers it cannot see.\n"
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

/* The stable prefix of every segment. */
struct seg_prefix {
    char magic[8];
    uint32_t layout_version;
    int32_t producer_pid;
    uint64_t producer_start;
    uint64_t reserved;
};

enum { PROC_GONE = -1, PROC_ZOMBIE = -2 };

/* Start time of @p pid (field 22 of /proc/<pid>/stat), or PROC_GONE / PROC_ZOMBIE. */
static int64_t proc_start_time(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return PROC_GONE;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return PROC_GONE;
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may hold ') ' */
    if (!p || p[1] != ' ')
        return PROC_GONE;
    p += 2;
    if (*p == 'Z' || *p == 'X' || *p == 'x')
        return PROC_ZOMBIE;
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (!p)
            return PROC_GONE;
        p++;
    }
    return (int64_t)strtoull(p, NULL, 10);
}

/* Unlink @p path only if it is still the file examined (same device and inode). */
static int unlink_same(const char *path, const struct stat *seen)
{
    struct stat now;
    if (lstat(path, &now) != 0)
        return errno == ENOENT ? 1 : -1; /* already gone: someone else cleaned it */
    if (now.st_dev != seen->st_dev || now.st_ino != seen->st_ino)
        return 1; /* replaced meanwhile (a new producer): not ours to remove */
    if (unlink(path) != 0)
        return errno == ENOENT ? 1 : -1;
    return 0;
}

/* "tipc.<name>~<pid>.<n>.tmp": 1 and *pid if @p name is a temporary file. */
static int parse_temporary(const char *name, long *pid)
{
    const char *t = strrchr(name, '~');
    size_t len = strlen(name);
    if (!t || len < 4 || strcmp(name + len - 4, ".tmp") != 0)
        return 0;
    char *end;
    errno = 0;
    long v = strtol(t + 1, &end, 10);
    if (errno || end == t + 1 || *end != '.' || v <= 0 || t[1] == '+' || t[1] == '-')
        return 0;
    const char *n = end + 1;
    strtoul(n, &end, 10);
    if (end == n || *n == '+' || *n == '-' || strcmp(end, ".tmp") != 0)
        return 0;
    *pid = v;
    return 1;
}

/* Whether file @p name belongs to one of the @p n segment names in @p filter. */
static int matches(const char *name, int temporary, const char (*filter)[TIPC_NAME_MAX + 8], size_t n)
{
    size_t len = temporary ? (size_t)(strrchr(name, '~') - name) : strlen(name);
    for (size_t i = 0; i < n; i++)
        if (strlen(filter[i]) == len && strncmp(name, filter[i], len) == 0)
            return 1;
    return 0;
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
    int dry = 0, verbose = 0, c, rc;
    while ((c = getopt_long(argc, argv, ":hnv", opts, NULL)) != -1) {
        switch (c) {
        case 'n': dry = 1; break;
        case 'v': verbose = 1; break;
        case CLI_OPT_DOMAIN: /* accepted for symmetry; gc does not use DDS */
            if ((rc = cli_set_domain(g, "gc", optarg)))
                return rc;
            break;
        case 'h': fputs(gc_help, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error("gc", c, argv);
        }
    }
    /* Optional pool names: only their segments and temporaries are looked at. */
    size_t nfilter = (size_t)(argc - optind);
    char(*filter)[TIPC_NAME_MAX + 8] = calloc(nfilter ? nfilter : 1, sizeof *filter);
    if (!filter)
        return cli_fail("out of memory");
    for (size_t i = 0; i < nfilter; i++) {
        tipc_metadata *md;
        int64_t one = 1;
        if (tipc_metadata_create(&md, argv[optind + (int)i], TIPC_DTYPE_UINT8, 1, &one,
                                 TIPC_BACKEND_NUMPY, 1, NULL) != TIPC_OK) {
            free(filter);
            return cli_usage("gc", "%s", tipc_last_error());
        }
        snprintf(filter[i], sizeof filter[i], "%s", tipc_metadata_shm_name(md) + 1);
        tipc_metadata_destroy(md);
    }

    DIR *dir = opendir(SHM_DIR);
    if (!dir) {
        free(filter);
        return cli_fail("cannot open %s: %s", SHM_DIR, strerror(errno));
    }
    const char *verb = dry ? "would remove" : "removed";
    unsigned removed = 0, failed = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (strncmp(e->d_name, SEG_PREFIX, strlen(SEG_PREFIX)) != 0)
            continue;
        long tpid;
        int temporary = parse_temporary(e->d_name, &tpid);
        if (nfilter && !matches(e->d_name, temporary, filter, nfilter))
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, SHM_DIR "/%s", e->d_name);
        char why[160];
        struct stat st;

        if (temporary) {
            if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
                continue;
            int64_t s = proc_start_time(tpid);
            if (s >= 0) {
                if (verbose)
                    printf("kept %s: its creator pid %ld is running\n", path, tpid);
                continue;
            }
            snprintf(why, sizeof why, "temporary file of pid %ld, which %s", tpid,
                     s == PROC_ZOMBIE ? "is a zombie" : "is not running");
        } else {
            int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
            if (fd < 0) {
                fprintf(stderr, "tipc gc: cannot inspect %s: %s (kept)\n", path, strerror(errno));
                continue;
            }
            struct seg_prefix h;
            ssize_t n = -1;
            if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
                n = pread(fd, &h, sizeof h, 0);
            close(fd);
            if (n != (ssize_t)sizeof h || memcmp(h.magic, SEG_MAGIC, 8) != 0) {
                if (verbose)
                    printf("kept %s: not a tensor-ipc segment\n", path);
                continue;
            }
            int64_t s = h.producer_pid > 0 ? proc_start_time(h.producer_pid) : PROC_GONE;
            if (s >= 0 && (uint64_t)s == h.producer_start) {
                if (verbose)
                    printf("kept %s: producer pid %d is running\n", path, (int)h.producer_pid);
                continue;
            }
            snprintf(why, sizeof why, "producer pid %d %s", (int)h.producer_pid,
                     s == PROC_ZOMBIE ? "is a zombie"
                     : s >= 0         ? "was reused by another process (start time differs)"
                                      : "is not running");
        }
        if (dry) {
            printf("%s %s (%s)\n", verb, path, why);
            removed++;
            continue;
        }
        int r = unlink_same(path, &st);
        if (r == 0) {
            printf("%s %s (%s)\n", verb, path, why);
            removed++;
        } else if (r < 0) {
            fprintf(stderr, "tipc gc: cannot remove %s (%s): %s\n", path, why, strerror(errno));
            failed++;
        }
    }
    closedir(dir);
    free(filter);
    if (removed == 0 && failed == 0)
        printf("nothing to remove\n");
    else if (dry)
        printf("%u stale file%s would be removed\n", removed, removed == 1 ? "" : "s");
    else
        printf("%u stale file%s removed\n", removed, removed == 1 ? "" : "s");
    return failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
