"""A producer and a consumer in two processes, from whatever tensor_ipc the
interpreter imports (an installed wheel or `pip install .`): the consumer,
started first, must read every value the producer writes, in order.

    python pair_check.py [EXPECTED_PACKAGE_DIR]

Exits 0 on success; the package's location and numpy's version are printed.
"""

import os
import subprocess
import sys
import time

import numpy as np
import tensor_ipc

N = 5
DEADLINE_S = 30.0


def consumer(name: str) -> None:
    """Reads the last N frames until they are 1..N (or the deadline)."""
    want = [float(k) for k in range(1, N + 1)]
    last = None
    with tensor_ipc.TensorConsumer.from_sample(name, np.zeros(4, np.float32), history_len=8) as c:
        print("ready", flush=True)
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            h = c.get(history_len=N, latest_first=False)
            if h is not None:
                last = [float(v) for v in h[:, 0]]
                if last == want:
                    break
            c.wait(timeout=0.5)  # returns early on a new frame
        print("seen", " ".join(f"{v:g}" for v in (last or [])), flush=True)


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--consumer":
        consumer(sys.argv[2])
        return 0
    here = os.path.dirname(os.path.realpath(tensor_ipc.__file__))
    print(f"tensor_ipc {tensor_ipc.version()} from {here}; numpy {np.__version__}")
    if len(sys.argv) > 1 and not here.startswith(os.path.realpath(sys.argv[1])):
        print(f"FAIL: tensor_ipc imported from {here}, not under {sys.argv[1]}")
        return 1
    name = f"pkgcheck/pair_{os.getpid()}"
    peer = subprocess.Popen([sys.executable, __file__, "--consumer", name],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert peer.stdout.readline().strip() == "ready", "consumer did not start"
        with tensor_ipc.TensorProducer.from_sample(name, np.zeros(4, np.float32), history_len=8) as p:
            for k in range(1, N + 1):
                p.put(np.full(4, k, np.float32))
            # The ring keeps the N frames: the producer stays until the
            # consumer, whenever it connects, has read them.
            out, _ = peer.communicate(timeout=DEADLINE_S + 10)
    finally:
        if peer.poll() is None:
            peer.kill()
    want = "seen " + " ".join(str(k) for k in range(1, N + 1))
    last = out.strip().splitlines()[-1] if out.strip() else ""
    if peer.returncode != 0 or not last.startswith("seen") or [int(float(v)) for v in last.split()[1:]] != list(range(1, N + 1)):
        print(f"FAIL: consumer exit {peer.returncode}, said {last!r}; want {want!r}")
        return 1
    print(f"two processes: {last}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
