#!/bin/bash
# tipc completion bash: a valid script that completes commands, each command's
# options (all those its --help documents), dtypes, backends, .npy files and
# the names of live pools.
source "$(dirname "$0")/cli_common.sh" "$@"

expect_rc 0 "$TIPC" completion bash
cp "$WORK/out" "$WORK/tipc.bash"
bash -n "$WORK/tipc.bash" || fail "the completion script is not valid bash"
grep -qx 'complete -F _tipc tipc' "$WORK/tipc.bash" || fail "no complete line"
# The build writes the same script next to the tool (installed to
# share/bash-completion/completions/tipc).
cmp -s "$WORK/tipc.bash" "$(dirname "$TIPC")/tipc.bash-completion" \
    || fail "$(dirname "$TIPC")/tipc.bash-completion differs from 'tipc completion bash'"

# complete WORDS...: the completions bash offers for the command line WORDS
# (the last word is the one being completed), one per line, sorted.
complete_words() {
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1));
             _tipc; printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$WORK/tipc.bash" "$@"
}
expect_completion() { # EXPECTED(space-separated) WORDS...
    local want=$1 got
    shift
    got=$(complete_words "$@" | tr '\n' ' ' | sed 's/ $//')
    [ "$got" = "$want" ] || fail "completing '$*': got '$got', expected '$want'"
}

log "commands, options, values"
expect_completion "bw" "$TIPC" b
expect_completion "delay" "$TIPC" de
expect_completion "help hz" "$TIPC" help h
expect_completion "--domain --dry-run" "$TIPC" gc --d
expect_completion "" "$TIPC" pub x --shape ""
expect_completion "echo" "$TIPC" --domain 3 ec
expect_completion "--slice" "$TIPC" echo --sl
expect_completion "--count --csv" "$TIPC" echo p --once --c
expect_completion "float16 float32 float64" "$TIPC" pub x --dtype flo
expect_completion "torch torch_cuda" "$TIPC" pub x --backend to
expect_completion "bash" "$TIPC" completion ""
expect_completion "" "$TIPC" hz p --window ""
mkdir -p "$WORK/files/sub"
touch "$WORK/files/a.npy" "$WORK/files/b.txt"
expect_completion "$WORK/files/a.npy $WORK/files/sub" "$TIPC" pub x --from "$WORK/files/"

log "every option in each command's --help is offered"
for cmd in list info hz bw delay echo pub gc; do
    "$TIPC" "$cmd" --help | grep -oE '(^| )--[a-z][a-z-]*' | tr -d ' ' | sort -u >"$WORK/help.opts"
    complete_words "$TIPC" "$cmd" -- | sort -u >"$WORK/comp.opts"
    missing=$(comm -23 "$WORK/help.opts" "$WORK/comp.opts" | tr '\n' ' ')
    [ -z "$missing" ] || fail "tipc $cmd: --help documents '$missing' but completion does not offer it"
done

log "pool names of the domain"
start_bg "$WORK/pub.log" "$TIPC" pub "$TAG/camera" --shape 2 --rate 10
start_bg "$WORK/pub2.log" "$TIPC" pub "$TAG/cloud" --shape 2 --rate 10
wait_until 10 list_has "$TAG/camera" || fail "pool not listed"
wait_until 10 list_has "$TAG/cloud" || fail "pool not listed"
expect_completion "$TAG/camera $TAG/cloud" "$TIPC" echo "$TAG/c"
expect_completion "$TAG/camera" "$TIPC" hz "$TAG/ca"
expect_completion "" "$TIPC" --domain $(((TIPC_DOMAIN_ID + 1) % 233)) info "$TAG/ca"
log "PASS"
