"""Fixtures of the recording tests (run by run_tests.sh in its venv).

* ``prefix``: a pool-name prefix unique to this process and test.
* autouse: fails a test that leaves /dev/shm/tipc.<prefix>* behind.
* ``spawn``: a separate process with the test environment, killed at the end.
* ``wait_until``: polls a condition with a deadline (no sleep-and-hope).
"""

from __future__ import annotations

import glob
import itertools
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
os.environ.setdefault("CYCLONEDDS_URI", f"file://{REPO / 'tests' / 'cyclonedds-loopback.xml'}")

import tensor_ipc  # noqa: E402

_n = itertools.count()
PEER = str(HERE / "peer_producer.py")


def tipc_cli() -> str:
    """The tipc tool of this build (CTest passes it; else next to the package)."""
    path = os.environ.get("TIPC_CLI")
    if path:
        return path
    pkg = pathlib.Path(tensor_ipc.__file__).resolve().parent
    cand = pkg.parents[3] / "c" / "tools" / "tipc"
    if not cand.is_file():
        pytest.fail(f"the tipc tool is not built ({cand}); set TIPC_CLI")
    return str(cand)


def shm_files(prefix: str) -> list:
    return sorted(glob.glob(f"/dev/shm/tipc.{prefix.replace('/', '.')}*"))


@pytest.fixture
def prefix() -> str:
    return f"rec{os.getpid()}_{next(_n)}"


@pytest.fixture(autouse=True)
def no_leftover_segments(prefix):
    yield
    deadline = time.monotonic() + 5
    while shm_files(prefix) and time.monotonic() < deadline:
        time.sleep(0.05)  # a killed producer's segment is reclaimed by its successor or gc
    left = shm_files(prefix)
    for f in left:
        os.unlink(f)
    assert not left, f"left in /dev/shm: {left}"


class Procs:
    def __init__(self) -> None:
        self.procs: list = []

    def __call__(self, *argv, **kw) -> subprocess.Popen:
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        kw.setdefault("text", True)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(pathlib.Path(tensor_ipc.__file__).resolve().parents[1])]
            + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        env.update(kw.pop("env", {}))
        p = subprocess.Popen([str(a) for a in argv], env=env, **kw)
        self.procs.append(p)
        return p

    def python(self, *argv, **kw) -> subprocess.Popen:
        return self(sys.executable, *argv, **kw)

    def end(self) -> None:
        for p in self.procs:  # SIGTERM first: producers then remove their pools
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.communicate()


@pytest.fixture
def spawn():
    procs = Procs()
    yield procs
    procs.end()


def wait_until(cond, timeout: float, what: str, interval: float = 0.01):
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            what = what() if callable(what) else what  # a state to show, read at the end
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


@pytest.fixture(name="wait_until")
def wait_until_fixture():
    return wait_until


def read_line(proc: subprocess.Popen, want: str, timeout: float = 20) -> str:
    """The first stdout line of ``proc`` starting with ``want`` (fails on exit or timeout)."""
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sel.select(timeout=max(0.0, deadline - time.monotonic())):
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith(want):
                return line.strip()
    raise AssertionError(f"no line '{want}...' from {proc.args} (exit {proc.poll()}): "
                         f"{proc.stderr.read() if proc.poll() is not None else ''}")
