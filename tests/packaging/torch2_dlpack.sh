#!/usr/bin/env bash
# DLPack against PyTorch 2 (versioned capsules, bool, the stream argument):
# the DLPack tests of tests/python with the build's package, where the
# interpreter the binding was built for imports a torch >= 2 (the GPU
# machine's). Exit 77 (CTest: skipped, not passed) where it does not (Debian
# 12's python3-torch is 1.13).
#   torch2_dlpack.sh PYTHON SOURCE_DIR
set -euo pipefail
py=$1 src=$2
tv=$("$py" -c 'import torch; print(torch.__version__)' 2>/dev/null) || tv=none
if [[ $tv == none || ${tv%%.*} -lt 2 ]]; then
    echo "SKIPPED: $py has no torch >= 2 (torch: $tv): DLPack against torch 2 not checked here"
    exit 77
fi
echo "torch $tv from $py"
cd "$(mktemp -d)"
trap 'rm -rf "$PWD"' EXIT
"$py" -m pytest -q -rs -p no:cacheprovider -k "dlpack or torch" \
    "$src/tests/python/test_zero_copy.py" "$src/tests/python/test_leaks.py"
