/* cmd_completion.c - `tipc completion bash`: a bash completion script. */
#include "tipc_cli.h"

#include <getopt.h>
#include <string.h>

static const char completion_help[] =
    "Usage: tipc completion bash\n"
    "\n"
    "Print a bash completion script for tipc: commands and their options (read\n"
    "from 'tipc --help' and 'tipc COMMAND --help' as you type), dtype and\n"
    "backend names, .npy files after --from, and the names of the pools\n"
    "announced in the domain (through 'tipc list --names') where a command\n"
    "follows a pool. Load it in the current shell with\n"
    "\n"
    "  source <(tipc completion bash)\n"
    "\n"
    "or install it for every shell:\n"
    "\n"
    "  tipc completion bash > ~/.local/share/bash-completion/completions/tipc\n";

/* Commands and their options are read from `tipc --help` and
 * `tipc COMMAND --help` at completion time, so the script never lags a new
 * command or option; only value lists (dtypes, backends) are spelled here. */
static const char bash_script[] =
    "# bash completion for tipc (tensor-ipc), from 'tipc completion bash'\n"
    "_tipc() {\n"
    "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
    "    local tipc=${COMP_WORDS[0]} i cmd='' domain=()\n"
    "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
    "        case ${COMP_WORDS[i]} in\n"
    "            --domain) domain=(--domain \"${COMP_WORDS[i+1]}\"); ((i++)) ;;\n"
    "            -*) ;;\n"
    "            *) [[ -z $cmd ]] && cmd=${COMP_WORDS[i]} ;;\n"
    "        esac\n"
    "    done\n"
    "    case $prev in\n"
    "        --dtype)\n"
    "            COMPREPLY=($(compgen -W 'bool int8 int16 int32 int64 uint8 uint16 uint32 uint64\n"
    "                float16 bfloat16 float32 float64 complex64 complex128' -- \"$cur\"))\n"
    "            return ;;\n"
    "        --backend) COMPREPLY=($(compgen -W 'numpy torch torch_cuda' -- \"$cur\")); return ;;\n"
    "        --from)\n"
    "            compopt -o filenames 2>/dev/null\n"
    "            COMPREPLY=($(compgen -f -X '!*.npy' -- \"$cur\") $(compgen -d -- \"$cur\"))\n"
    "            return ;;\n"
    "    esac\n"
    "    if [[ -z $cmd ]]; then\n"
    "        local cmds\n"
    "        cmds=$(\"$tipc\" --help 2>/dev/null |\n"
    "               sed -n '/^Commands:/,/^$/s/^  \\([a-z0-9][a-z0-9-]*\\) .*/\\1/p')\n"
    "        COMPREPLY=($(compgen -W \"$cmds --domain --help --version\" -- \"$cur\"))\n"
    "        return\n"
    "    fi\n"
    "    if [[ $cmd == help ]]; then\n"
    "        local cmds\n"
    "        cmds=$(\"$tipc\" --help 2>/dev/null |\n"
    "               sed -n '/^Commands:/,/^$/s/^  \\([a-z0-9][a-z0-9-]*\\) .*/\\1/p')\n"
    "        COMPREPLY=($(compgen -W \"$cmds\" -- \"$cur\"))\n"
    "        return\n"
    "    fi\n"
    "    local help\n"
    "    help=$(\"$tipc\" \"$cmd\" --help 2>/dev/null) || return\n"
    "    # An option that takes a value (\"--wait S\" in the help): nothing to offer.\n"
    "    if [[ $prev == -* ]] && grep -Eq -- \"(^| )$prev [A-Z]\" <<<\"$help\"; then\n"
    "        return\n"
    "    fi\n"
    "    if [[ $cur == -* ]]; then\n"
    "        local opts\n"
    "        opts=$({ grep -oE -- '(^| )--[a-z][a-z-]*' <<<\"$help\"; echo --domain --help; } |\n"
    "               tr ' ' '\\n' | sort -u)\n"
    "        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
    "        return\n"
    "    fi\n"
    "    local usage=${help%%$'\\n'*}\n"
    "    if [[ $cmd == completion ]]; then\n"
    "        COMPREPLY=($(compgen -W 'bash' -- \"$cur\"))\n"
    "    elif [[ $usage == \"Usage: tipc $cmd POOL\"* && $cmd != pub ]]; then\n"
    "        # A command that follows an existing pool: the names of the domain.\n"
    "        local names\n"
    "        names=$(\"$tipc\" \"${domain[@]}\" list --names 2>/dev/null)\n"
    "        COMPREPLY=($(compgen -W \"$names\" -- \"$cur\"))\n"
    "    fi\n"
    "}\n"
    "complete -F _tipc tipc\n";

int cli_cmd_completion(struct cli *g, int argc, char **argv)
{
    (void)g;
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(completion_help, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error("completion", c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage("completion", "missing shell name (bash)");
    if (optind + 1 < argc)
        return cli_usage("completion", "unexpected argument '%s'", argv[optind + 1]);
    if (strcmp(argv[optind], "bash") != 0)
        return cli_usage("completion", "no completion for shell '%s' (bash only)", argv[optind]);
    fputs(bash_script, stdout);
    return CLI_EXIT_OK;
}
