/* cmd_completion.c - `tipc completion bash`: a bash completion script. */
#include "tipc_cli.h"

#include <getopt.h>
#include <string.h>

static const char completion_help[] =
    "Usage: tipc completion bash\n"
    "\n"
    "Print a bash completion script for tipc: commands, their options, dtype\n"
    "and backend names, .npy files after --from, and the names of the pools\n"
    "announced in the domain (through 'tipc list --names') where a command\n"
    "takes a pool. Load it in the current shell with\n"
    "\n"
    "  source <(tipc completion bash)\n"
    "\n"
    "or install it for every shell:\n"
    "\n"
    "  tipc completion bash > ~/.local/share/bash-completion/completions/tipc\n";

/* Options per command: keep in step with each command's getopt table (the
 * CLI tests compare them with every command's --help). */
static const char bash_script[] =
    "# bash completion for tipc (tensor-ipc), from 'tipc completion bash'\n"
    "_tipc() {\n"
    "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
    "    local cmds='list info hz bw delay echo pub gc completion help'\n"
    "    local i cmd='' domain=()\n"
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
    "        --domain|--wait|--settle|--rate-window|--window|--count|-n|--slice|--shape|--rate|\\\n"
    "        --history|--mode|--value) return ;;\n"
    "    esac\n"
    "    local opts=''\n"
    "    case $cmd in\n"
    "        '') COMPREPLY=($(compgen -W \"$cmds --domain --help --version\" -- \"$cur\")); return ;;\n"
    "        list) opts='--wait --settle --rate-window --json --names' ;;\n"
    "        info) opts='--wait --json' ;;\n"
    "        hz) opts='--window --count --wait --json' ;;\n"
    "        bw) opts='--window --count --wait --json' ;;\n"
    "        delay) opts='--window --count --wait --json' ;;\n"
    "        echo) opts='--once -n --count --slice --csv --json --wait' ;;\n"
    "        pub) opts='--shape --dtype --rate --history --count --backend --mode --value --from' ;;\n"
    "        gc) opts='--dry-run --verbose' ;;\n"
    "        help) COMPREPLY=($(compgen -W \"$cmds\" -- \"$cur\")); return ;;\n"
    "        completion) COMPREPLY=($(compgen -W 'bash' -- \"$cur\")); return ;;\n"
    "    esac\n"
    "    if [[ $cur == -* ]]; then\n"
    "        COMPREPLY=($(compgen -W \"$opts --domain --help\" -- \"$cur\"))\n"
    "        return\n"
    "    fi\n"
    "    case $cmd in\n"
    "        info|hz|bw|delay|echo)\n"
    "            local names\n"
    "            names=$(\"${COMP_WORDS[0]}\" \"${domain[@]}\" list --names 2>/dev/null)\n"
    "            COMPREPLY=($(compgen -W \"$names\" -- \"$cur\")) ;;\n"
    "    esac\n"
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
