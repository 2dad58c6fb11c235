# conftest.py of the compat run (ours, copied next to the original's tests by
# run_orig_tests.sh; the original tests themselves are unchanged apart from
# their pool names).
#  - checks that `tensor_ipc` is our package (TIPC_COMPAT_EXPECT_PKG), not the
#    original: the original tests do sys.path.append("src/");
#  - marks the CUDA cases `torch_cuda` so that `-m "not torch_cuda"` can
#    deselect them on a machine without a GPU: the whole of
#    test_torch_cuda_backend.py and the test_prod_consum.py cases whose
#    backend (param_tuple[0]) is "torch_cuda" (their ids are case_NNN only).
import os
import pathlib

import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "torch_cuda: needs a CUDA device")


def pytest_sessionstart(session):
    expect = os.environ.get("TIPC_COMPAT_EXPECT_PKG")
    if expect:
        import tensor_ipc
        got = pathlib.Path(tensor_ipc.__file__).resolve()
        want = pathlib.Path(expect).resolve()
        if want not in got.parents:
            pytest.exit(f"tensor_ipc imported from {got}, not from {want}", returncode=3)


def pytest_collection_modifyitems(config, items):
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        tup = params.get("param_tuple")
        if item.fspath.basename == "test_torch_cuda_backend.py" or (
                isinstance(tup, tuple) and tup and tup[0] == "torch_cuda"):
            item.add_marker(pytest.mark.torch_cuda)


def pytest_deselected(items):
    # counted by run_orig_tests.sh for its summary (deselected is not passed)
    path = os.environ.get("TIPC_COMPAT_DESELECTED_FILE")
    if path:
        with open(path, "a") as f:
            f.writelines(item.nodeid + "\n" for item in items)
