#!/usr/bin/env bash
# `pip install --no-build-isolation ./bindings/python` works offline and gives
# a working package: install into a temporary target, then a round trip.
#   pip_install_check.sh PYTHON SOURCE_DIR
set -euo pipefail
py=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TENSOR_IPC_BUILD_DIR="$tmp/build"
"$py" -m pip install --quiet --no-index --no-build-isolation --no-deps --target "$tmp/site" \
    "$src/bindings/python"
cd "$tmp"
PYTHONPATH="$tmp/site" "$py" - <<'PY'
import os
import numpy as np
import tensor_ipc
assert tensor_ipc.__file__.startswith(os.environ["PYTHONPATH"]), tensor_ipc.__file__
name = f"pip/check_{os.getpid()}"
sample = np.arange(6, dtype=np.float32).reshape(2, 3)
with tensor_ipc.TensorProducer.from_sample(name, sample) as p, \
        tensor_ipc.TensorConsumer.from_sample(name, sample) as c:
    assert p.put(sample) == 0
    assert np.array_equal(c.get(), sample)
print("pip install: ok,", tensor_ipc.__file__)
PY
