"""Shared fixtures of the Python binding's tests.

* ``pool_name``: a factory of pool names unique to this process and test, so
  tests never share a pool (with each other, or with a previous run).
* An autouse fixture that fails a test leaving any ``/dev/shm/tipc.*`` file of
  its pools behind (and removes them, so one leak does not cascade).
* ``spawn``: starts /usr/bin/python3 (this interpreter) or a C program as a
  separate process with the test environment, and kills whatever is still
  running when the test ends.
* ``wait_until``: polls a condition with a deadline (no sleep-and-hope).

Run from CTest (tests/python/CMakeLists.txt), or by hand::

    CYCLONEDDS_URI=file://$PWD/tests/cyclonedds-loopback.xml \
    PYTHONPATH=<build>/bindings/python/pkg /usr/bin/python3 -m pytest tests/python
"""

from __future__ import annotations

import glob
import itertools
import os
import pathlib
import re
import subprocess
import sys
import time

import pytest

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent

# Keep DDS on loopback even when pytest is started by hand.
os.environ.setdefault("CYCLONEDDS_URI", f"file://{REPO / 'tests' / 'cyclonedds-loopback.xml'}")

import tensor_ipc  # noqa: E402  (after the environment is set)

_counter = itertools.count()


def _mangle(name: str) -> str:
    return name.replace("/", ".")


def _build_dir() -> pathlib.Path | None:
    """The CMake build tree the imported package comes from (<build>/bindings/python/pkg)."""
    pkg = pathlib.Path(tensor_ipc.__file__).resolve().parent
    try:
        return pkg.parents[3]
    except IndexError:
        return None


def c_program(env_var: str, *relative: str) -> str | None:
    """Path of a C helper program: from $env_var (set by CTest through a
    generator expression), else looked up in the build tree of the imported
    package; None when it was not built."""
    path = os.environ.get(env_var)
    if path:
        return path
    build = _build_dir()
    if build is not None:
        cand = build.joinpath(*relative)
        if cand.is_file() and os.access(cand, os.X_OK):
            return str(cand)
    return None


def pytest_collection_modifyitems(config, items):
    """Without PyTorch (a numpy-only venv: tests/packaging), tests of torch
    pools are skipped, visibly (torch_or_skip.py)."""
    from torch_or_skip import HAVE_TORCH, REASON

    if HAVE_TORCH:
        return
    for item in items:
        if "torch" in item.name.lower():
            item.add_marker(pytest.mark.skip(reason=REASON))


def shm_files(prefix: str) -> list:
    return sorted(glob.glob(f"/dev/shm/tipc.{_mangle(prefix)}*"))


@pytest.fixture
def pool_prefix(request) -> str:
    test = re.sub(r"[^A-Za-z0-9]", "", request.node.name)[:16]
    return f"py{os.getpid()}_{next(_counter)}_{test}"


@pytest.fixture
def pool_name(pool_prefix):
    """``pool_name()`` or ``pool_name("tag")``: a new unique pool name."""
    n = itertools.count()

    def make(tag: str = "p") -> str:
        return f"{pool_prefix}_{tag}{next(n)}"

    return make


@pytest.fixture(autouse=True)
def no_shm_leftovers(pool_prefix):
    """Every test must leave nothing of its pools in /dev/shm."""
    assert not shm_files(pool_prefix), "stale files before the test"
    yield
    left = shm_files(pool_prefix)
    if left:
        import gc

        gc.collect()  # a producer only referenced from a cycle or a traceback
        left = shm_files(pool_prefix)
    if left:
        for f in left:
            try:
                os.unlink(f)
            except OSError:
                pass
        pytest.fail(f"the test left shared memory behind: {left}")


def wait_until(cond, timeout: float = 10.0, interval: float = 0.005, what: str = "condition"):
    """Poll ``cond()`` until it returns a truthy value (returned) or fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


@pytest.fixture(name="wait_until")
def wait_until_fixture():
    return wait_until


class Child:
    """A child process whose stdout/stderr are read by threads, so the test can
    wait for a given line with a deadline and still collect all output."""

    def __init__(self, argv, env=None) -> None:
        import queue
        import threading

        self.argv = argv
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            env=env if env is not None else os.environ.copy(),
        )
        self.lines: "queue.Queue[str | None]" = queue.Queue()
        self.out: list = []
        self.err: list = []

        def pump(stream, sink, q):
            for line in stream:
                sink.append(line)
                if q is not None:
                    q.put(line)
            if q is not None:
                q.put(None)

        self._threads = [
            threading.Thread(target=pump, args=(self.proc.stdout, self.out, self.lines), daemon=True),
            threading.Thread(target=pump, args=(self.proc.stderr, self.err, None), daemon=True),
        ]
        for t in self._threads:
            t.start()
        self._eof = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send(self, text: str) -> None:
        """Write a line to the child's stdin."""
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def describe(self) -> str:
        return (
            f"{self.argv} rc={self.proc.poll()}\nstdout:\n{''.join(self.out)}"
            f"\nstderr:\n{''.join(self.err)}"
        )

    def read_line(self, expect: str, timeout: float = 15.0) -> str:
        """Wait for a stdout line starting with ``expect``; return it stripped."""
        import queue

        deadline = time.monotonic() + timeout
        while not self._eof:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                self._eof = True
                break
            if line.startswith(expect):
                return line.strip()
        if self._eof:
            self.proc.wait(timeout=5)
        pytest.fail(f"no line {expect!r} within {timeout} s from {self.describe()}")

    def finish(self, timeout: float = 20.0, expect_rc: int = 0) -> str:
        """Wait for exit, assert the exit status; return all of stdout."""
        try:
            if self.proc.stdin and not self.proc.stdin.closed:
                try:
                    self.proc.stdin.close()
                except OSError:
                    pass
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            for t in self._threads:
                t.join(5)
            pytest.fail(f"did not finish in {timeout} s: {self.describe()}")
        for t in self._threads:
            t.join(5)
        assert self.proc.returncode == expect_rc, (
            f"exited {self.proc.returncode}, expected {expect_rc}: {self.describe()}"
        )
        return "".join(self.out)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        for t in self._threads:
            t.join(5)


class Spawner:
    """Starts child processes for one test and kills the ones still running
    when it ends."""

    def __init__(self) -> None:
        self.children: list = []

    def python(self, script: str, *args: str) -> Child:
        return self.run([sys.executable, "-c", script, *args])

    def peer(self, *args: str) -> Child:
        """tests/python/peer.py: a producer or consumer in another process."""
        return self.run([sys.executable, str(HERE / "peer.py"), *args])

    def run(self, argv, env=None) -> Child:
        c = Child([str(a) for a in argv], env)
        self.children.append(c)
        return c

    def close(self) -> None:
        for c in self.children:
            try:
                c.kill()
            except Exception:
                pass


@pytest.fixture
def spawn():
    s = Spawner()
    yield s
    s.close()
