/* cmd_record.c - `tipc record` and `tipc play`: run the Python recorder and
 * player (tensor_ipc.record / tensor_ipc.play). They are written in Python
 * because the maintained MCAP implementation is the Python `mcap` package
 * (there is no C MCAP library in Debian); see docs/architecture.md. This file
 * only chooses the interpreter and the package path, then execs. */
#include "tipc_cli.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Set by bindings/python/CMakeLists.txt when the Python binding is built. */
#ifndef TIPC_CLI_PYTHON
#define TIPC_CLI_PYTHON "python3"
#endif
#ifndef TIPC_CLI_PY_BUILD_DIR
#define TIPC_CLI_PY_BUILD_DIR ""
#endif
#ifndef TIPC_CLI_PY_INSTALL_DIR
#define TIPC_CLI_PY_INSTALL_DIR ""
#endif
#ifndef TIPC_CLI_BINARY_DIR
#define TIPC_CLI_BINARY_DIR ""
#endif

/* The package directory that belongs to this tipc: the build tree's when this
 * executable lives in the build tree, else the install directory, which is
 * relative to this executable's directory unless absolute (so an install
 * moved to another prefix still finds its package). */
static const char *package_dir(void)
{
    static char dir[PATH_MAX + sizeof TIPC_CLI_PY_INSTALL_DIR + 1];
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    size_t bl = strlen(TIPC_CLI_BINARY_DIR);
    if (n <= 0)
        return TIPC_CLI_PY_INSTALL_DIR[0] == '/' ? TIPC_CLI_PY_INSTALL_DIR : "";
    exe[n] = '\0';
    if (bl > 0 && strncmp(exe, TIPC_CLI_BINARY_DIR, bl) == 0 && exe[bl] == '/' &&
        access(TIPC_CLI_PY_BUILD_DIR, R_OK) == 0)
        return TIPC_CLI_PY_BUILD_DIR;
    if (TIPC_CLI_PY_INSTALL_DIR[0] == '/' || TIPC_CLI_PY_INSTALL_DIR[0] == '\0')
        return TIPC_CLI_PY_INSTALL_DIR;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    snprintf(dir, sizeof dir, "%s/%s", exe, TIPC_CLI_PY_INSTALL_DIR);
    return dir;
}

static int run_python(struct cli *g, const char *cmd, const char *module, int argc, char **argv)
{
    const char *py = getenv("TIPC_PYTHON");
    if (!py || !*py)
        py = TIPC_CLI_PYTHON;

    /* --domain after the command is the global option: hand it over as the
     * environment the library reads; everything else goes to Python. */
    char **args = calloc((size_t)argc + 4, sizeof *args);
    if (!args)
        return cli_fail("tipc %s: out of memory", cmd);
    int k = 0;
    args[k++] = (char *)py;
    args[k++] = (char *)"-m";
    args[k++] = (char *)module;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            while (i < argc)
                args[k++] = argv[i++];
            break;
        }
        if (strcmp(a, "--domain") == 0 || strncmp(a, "--domain=", 9) == 0) {
            const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v) {
                free(args);
                return cli_usage(cmd, "--domain needs a value");
            }
            int rc = cli_set_domain(g, cmd, v);
            if (rc) {
                free(args);
                return rc;
            }
            continue;
        }
        args[k++] = argv[i];
    }
    args[k] = NULL;

    if (g->domain >= 0) {
        char d[16];
        snprintf(d, sizeof d, "%d", (int)g->domain);
        setenv("TIPC_DOMAIN_ID", d, 1);
    }
    /* The recorder finds pools named without their shape through this tool
     * (`tipc info --json`): this very executable. */
    char self[PATH_MAX];
    ssize_t sn = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sn > 0 && !getenv("TIPC_CLI")) {
        self[sn] = '\0';
        setenv("TIPC_CLI", self, 1);
    }
    const char *dir = package_dir();
    if (*dir) {
        const char *old = getenv("PYTHONPATH");
        size_t len = strlen(dir) + (old ? strlen(old) + 1 : 0) + 1;
        char *path = malloc(len);
        if (path) {
            snprintf(path, len, "%s%s%s", dir, old && *old ? ":" : "", old ? old : "");
            setenv("PYTHONPATH", path, 1);
            free(path);
        }
    }
    fflush(stdout);
    execvp(py, args);
    int e = errno;
    free(args);
    return cli_fail("%s: cannot run the Python interpreter '%s' (%s). tipc %s runs the "
                    "recorder of the tensor_ipc Python package: set TIPC_PYTHON to an "
                    "interpreter that has tensor_ipc and mcap (pip install mcap)",
                    cmd, py, strerror(e), cmd);
}

int cli_cmd_record(struct cli *g, int argc, char **argv)
{
    return run_python(g, "record", "tensor_ipc.record", argc, argv);
}

int cli_cmd_play(struct cli *g, int argc, char **argv)
{
    return run_python(g, "play", "tensor_ipc.play", argc, argv);
}
