#!/usr/bin/env bash
# Runs one pytest file of tests/record in a venv that has the recorder's
# dependency (mcap) and the readers that are not ours (rosbags), created once
# and cached under the build directory.
#
# Usage: run_tests.sh <base python> <venv dir> <test file> [pytest args...]
# The venv is made with --system-site-packages (Debian's numpy and pytest) and
# the versions pinned in constraints.txt. Needs PyPI the first time.
# Exit: pytest's status; 2 when the venv cannot be made (no test was run).
set -uo pipefail
base_py=${1:?base python}
venv=${2:?venv dir}
test_file=${3:?test file}
shift 3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { printf '[record tests] SETUP FAILED: %s (exit 2: no test was run)\n' "$*" >&2; exit 2; }
stamp="python=$("$base_py" -c 'import sys; print(sys.version.split()[0])') constraints=$(sha256sum "$here/constraints.txt" | cut -c1-16)"
venv_ok() {
    [[ -x $venv/bin/python && -f $venv/.tipc-record-stamp ]] &&
        [[ $(cat "$venv/.tipc-record-stamp") == "$stamp" ]] &&
        "$venv/bin/python" -c 'import mcap, rosbags.highlevel, numpy, pytest' 2>/dev/null
}

mkdir -p "$(dirname "$venv")" || die "mkdir $(dirname "$venv")"
exec 9>"$venv.lock" || die "lock file"
flock 9 # tests run in parallel (ctest -j) share one venv: the first one makes it
if ! venv_ok; then
    echo "[record tests] creating $venv" >&2
    rm -rf "$venv"
    "$base_py" -m venv --system-site-packages "$venv" || die "python3 -m venv (apt-get install python3-venv)"
    "$venv/bin/pip" install -q --disable-pip-version-check -c "$here/constraints.txt" \
        mcap rosbags lz4 zstandard || die "pip install mcap rosbags lz4 zstandard"
    "$venv/bin/python" -c 'import mcap, rosbags.highlevel, numpy, pytest' || die "venv check"
    echo "$stamp" > "$venv/.tipc-record-stamp"
fi
exec 9>&-
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$test_file" "$@"
