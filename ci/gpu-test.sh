#!/usr/bin/env bash
# GPU tests and benchmark of the torch_cuda backend, for a machine with an
# NVIDIA GPU and no package registry. It uses what is installed, plus a prefix
# of Debian packages carried in the tree (made by `ci/gpu-test.sh --prepare`
# on a machine with apt): Cyclone DDS, idlc, SWIG and check, unpacked with
# dpkg -x. Lua is not needed here.
#   bash ci/gpu-test.sh [--prepare] [--bench]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The carried prefix: $TIPC_GPU_DEPS, else .gpu-deps/ in the tree (git-ignored:
# pass it to the GPU machine explicitly).
deps=${TIPC_GPU_DEPS:-$root/.gpu-deps}
packages=(cyclonedds-dev cyclonedds-tools libddsc0debian libcycloneddsidl0
          libiceoryx-binding-c-dev libiceoryx-binding-c2 libiceoryx-hoofs-dev libiceoryx-hoofs2
          libiceoryx-platform2 libiceoryx-posh-config2 libiceoryx-posh-dev libiceoryx-posh2
          libiceoryx-posh-gateway2 libiceoryx-posh-roudi2 swig swig4.0 check libsubunit-dev
          libsubunit0 pkg-config)

if [[ ${1:-} == --prepare ]]; then
    mkdir -p "$deps/debs" && cd "$deps/debs"
    apt-get download "${packages[@]}"
    for d in *.deb; do dpkg -x "$d" "$deps/root"; done
    echo "gpu-test: dependencies unpacked in $deps/root; carry this folder to the GPU machine"
    exit 0
fi

if [[ -d $deps/root ]]; then
    export PATH="$deps/root/usr/bin:$PATH"
    export LD_LIBRARY_PATH="$deps/root/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
    export CMAKE_PREFIX_PATH="$deps/root/usr:${CMAKE_PREFIX_PATH:-}"
    export PKG_CONFIG_PATH="$deps/root/usr/lib/x86_64-linux-gnu/pkgconfig:${PKG_CONFIG_PATH:-}"
    export SWIG_LIB="$(ls -d "$deps"/root/usr/share/swig*/ 2>/dev/null | head -1)"
fi
export CYCLONEDDS_URI=${CYCLONEDDS_URI:-file://$root/tests/cyclonedds-loopback.xml}
py=${PYTHON:-$(command -v python3)}
nvidia-smi -L || { echo "gpu-test: no GPU visible (nvidia-smi)"; exit 1; }
build=${TIPC_BUILD_DIR:-$root/build/gpu}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE="$py" \
    -DTIPC_LUA=OFF -DBUILD_TESTING=ON
cmake --build "$build" -j"$(nproc)"
export PYTHONPATH="$build/bindings/python/pkg"
status=0
"$py" -m pytest -q -p no:cacheprovider "$root/tests/gpu" || status=1
# packaging.torch2_dlpack: DLPack against this machine's torch 2 (skipped, and said so, without one)
(cd "$build" && ctest -R 'tipc_unit|packaging.torch2_dlpack' --output-on-failure) || status=1
if [[ ${1:-} == --bench || ${2:-} == --bench ]]; then
    "$py" "$root/bench/bench_cuda.py" || status=1
fi
echo "gpu-test: $([[ $status == 0 ]] && echo 'all passed' || echo FAILED) on $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)"
exit $status
