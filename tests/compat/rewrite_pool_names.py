#!/usr/bin/env python3
"""Rewrite the pool names of the original tensor-ipc 0.1.0 tests, nothing else.

Usage: rewrite_pool_names.py <tests dir> <token>

Every pool name literal gets <token> inserted, so that concurrent runs (two
build trees, two CI jobs on one host) never share a /dev/shm pool or a DDS
topic. Each substitution is exact and must match the expected number of
times: if the sdist ever differs, this fails instead of silently running
different tests. The caller prints the unified diff.
"""
import pathlib
import re
import sys

# file -> [(old text, new text with {tok}, expected count)]
SUBSTITUTIONS = {
    "test_numpy_backend.py": [('name="test_pool",', 'name="test_pool_{tok}",', 1)],
    "test_torch_backend.py": [('name="test_pool",', 'name="test_pool_{tok}",', 1)],
    "test_torch_cuda_backend.py": [('name="test_pool",', 'name="test_pool_{tok}",', 1)],
    "test_prod_consum.py": [('f"test_pool_{backend}_', 'f"test_pool_{tok}_{{backend}}_', 1)],
    "test_prod_consum_subproc.py": [('f"test_pool_{backend}_', 'f"test_pool_{tok}_{{backend}}_', 1)],
    # all 7: the pool name (5), and on one line the topic derived from it
    # ("tensoripc_example_pool_meta") and the assertion message naming it
    "test_dds.py": [("example_pool", "example_pool_{tok}", 7)],
    "test_rosext.py": [('f"test_ros_pool_', 'f"test_ros_pool_{tok}_', 1)],
}


def main() -> int:
    tests_dir, tok = pathlib.Path(sys.argv[1]), sys.argv[2]
    if not re.fullmatch(r"[A-Za-z0-9]{1,12}", tok):
        sys.exit(f"bad token {tok!r}")
    for name, subs in SUBSTITUTIONS.items():
        path = tests_dir / name
        text = path.read_text()
        for old, new, expected in subs:
            found = text.count(old)
            if found != expected:
                sys.exit(f"{name}: {old!r} found {found} times, expected {expected}")
            text = text.replace(old, new.format(tok=tok))
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
