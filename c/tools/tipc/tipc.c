/* tipc - command-line tool for tensor-ipc pools.
 *
 *   tipc [--domain N] <command> [options]
 *
 * Built on the public C ABI (tensor_ipc.h) only. See `tipc --help`. */
#include "tipc_cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char main_help[] =
    "Usage: tipc [--domain N] <command> [options]\n"
    "\n"
    "Inspect, monitor and exercise tensor-ipc pools (shared-memory tensor rings\n"
    "announced over Cyclone DDS).\n"
    "\n"
    "Commands:\n"
    "  list     list every pool announced in the domain, with its frame rate\n"
    "  info     show the full metadata and state of one pool\n"
    "  hz       measure the frame rate of a pool (like 'ros2 topic hz')\n"
    "  bw       measure the bandwidth of a pool (like 'ros2 topic bw')\n"
    "  delay    measure the age of frames when seen (like 'ros2 topic delay')\n"
    "  echo     print each new frame of a pool: index, stats and values (text,\n"
    "           CSV or JSON; a slice of the frame)\n"
    "  pub      publish frames into a new pool: synthetic, one value, or a .npy\n"
    "  gc       remove shared-memory files left behind by dead producers\n"
    "  completion  print a shell completion script ('tipc completion bash')\n"
    "  ros2     bridge pools and ROS 2 topics (export, import, types)\n"
    "  record   record pools into an MCAP file (runs the Python package's recorder)\n"
    "  play     play an MCAP recording back into pools\n"
    "  help     show the help of a command ('tipc help hz')\n"
    "\n"
    "Global options (also accepted after the command):\n"
    "  --domain N   DDS domain id, 0..232 (default: $TIPC_DOMAIN_ID, else 0)\n"
    "  -h, --help   show this help and exit\n"
    "  --version    print the tool's and the library's version and exit\n"
    "\n"
    "Run 'tipc <command> --help' for the options of a command.\n"
    "\n"
    "Environment:\n"
    "  TIPC_DOMAIN_ID   default DDS domain id\n"
    "  CYCLONEDDS_URI   Cyclone DDS configuration (e.g. to keep traffic on loopback)\n"
    "\n"
    "Exit status:\n"
    "  0  success\n"
    "  1  runtime failure (pool not found, not connected, producer refused, OS error)\n"
    "  2  usage error (unknown command or option, bad value)\n";

struct command {
    const char *name;
    int (*run)(struct cli *g, int argc, char **argv);
};

static const struct command commands[] = {
    {"list", cli_cmd_list}, {"info", cli_cmd_info}, {"hz", cli_cmd_hz},
    {"echo", cli_cmd_echo}, {"pub", cli_cmd_pub},   {"gc", cli_cmd_gc},
    {"bw", cli_cmd_bw},     {"delay", cli_cmd_delay}, {"completion", cli_cmd_completion}, {"ros2", cli_cmd_ros2},
    {"record", cli_cmd_record}, {"play", cli_cmd_play},
};

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void print_version(void)
{
    printf("tipc %s (tensor-ipc library %s)\n", TIPC_VERSION_STRING, tipc_version_string());
}

int main(int argc, char **argv)
{
    /* Reports are read by people and scripts as they come: flush each line. */
    setvbuf(stdout, NULL, _IOLBF, 0);

    struct cli g = {.domain = -1, .ctx = NULL};
    static const struct option opts[] = {
        {"domain", required_argument, NULL, CLI_OPT_DOMAIN},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    opterr = 0;
    int c;
    /* '+': stop at the command name; its options are parsed by the command. */
    while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
        switch (c) {
        case CLI_OPT_DOMAIN: {
            int rc = cli_set_domain(&g, NULL, optarg);
            if (rc)
                return rc;
            break;
        }
        case 'h': fputs(main_help, stdout); return CLI_EXIT_OK;
        case 'V': print_version(); return CLI_EXIT_OK;
        default: return cli_getopt_error(NULL, c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage(NULL, "missing command (one of: list, info, hz, bw, delay, echo, pub, gc, ros2, record, play, completion)");

    const char *name = argv[optind];
    if (strcmp(name, "help") == 0) {
        if (optind + 1 >= argc) {
            fputs(main_help, stdout);
            return CLI_EXIT_OK;
        }
        const struct command *cmd = find_command(argv[optind + 1]);
        if (!cmd)
            return cli_usage(NULL, "unknown command '%s'", argv[optind + 1]);
        char *hargv[] = {(char *)cmd->name, (char *)"--help", NULL};
        optind = 0; /* re-initialise getopt for the command */
        return cmd->run(&g, 2, hargv);
    }
    const struct command *cmd = find_command(name);
    if (!cmd)
        return cli_usage(NULL, "unknown command '%s' (one of: list, info, hz, bw, delay, echo, pub, gc, ros2, record, play, completion)", name);

    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    optind = 0; /* re-initialise getopt for the command */
    int rc = cmd->run(&g, sub_argc, sub_argv);
    cli_cleanup(&g);
    return rc;
}
