"""The ``tipc`` command of an installed wheel: runs the C tool the wheel
carries in ``tensor_ipc/_bin/`` (next to the library it links). A console
script cannot be an ELF program, hence this entry point (pyproject.toml)."""

import os
import sys


def main() -> None:
    exe = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_bin", "tipc")
    if not os.access(exe, os.X_OK):
        sys.exit(
            f"tipc: {exe} is missing: this tensor_ipc package was not installed from a "
            "wheel (pip install .); a CMake build has the tool in <build>/c/tools/tipc"
        )
    # tipc record/play run `python -m tensor_ipc.record`: this interpreter,
    # which has this package (not the one the wheel was built with).
    os.environ.setdefault("TIPC_PYTHON", sys.executable)
    os.execv(exe, ["tipc", *sys.argv[1:]])


if __name__ == "__main__":
    main()
