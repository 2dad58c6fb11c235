"""The remote=/delivery= keywords of TensorConsumer (docs/remote.md): a pool
announced by another host is read only with remote=True. The other host is
played by tipc_remote_forge (raw DDS), which announces a pool with a forged
host identity and writes ten frames of the test pattern (word 0 = index)."""
import os
import subprocess
import time

import numpy as np
import pytest

from tensor_ipc import InvalidArgumentError, TensorConsumer

FORGE = os.environ.get("TIPC_REMOTE_FORGE")


def test_delivery_keyword_is_checked(pool_name):
    with pytest.raises(InvalidArgumentError, match="delivery"):
        TensorConsumer.from_sample(pool_name(), np.zeros(64, np.uint8), history_len=8,
                                   delivery="all")


def test_remote_keyword_reads_another_hosts_pool(monkeypatch):
    assert FORGE, "TIPC_REMOTE_FORGE is not set (tests/python/CMakeLists.txt passes it)"
    monkeypatch.delenv("TIPC_REMOTE", raising=False)
    name = f"pyremote_{os.getpid()}"
    sample = np.zeros(64, np.uint8)
    forge = subprocess.Popen([FORGE, "forge", name, "10"], stdout=subprocess.PIPE, text=True)
    try:
        off = TensorConsumer.from_sample(name, sample, history_len=8)
        assert off.get() is None  # remote reading is off by default
        on = TensorConsumer.from_sample(name, sample, history_len=8, remote=True,
                                        delivery="every")
        deadline = time.monotonic() + 30
        frame = None
        while time.monotonic() < deadline:
            frame = on.get(block=True, timeout=0.2)
            if frame is not None and int.from_bytes(frame[:8].tobytes(), "little") == 9:
                break
        assert frame is not None, "no frame of the remote pool within 30 s"
        assert int.from_bytes(frame[:8].tobytes(), "little") == 9
        assert on.last_index == 9  # every-frame delivery keeps the producer's indexes
        history = on.get(history_len=8, latest_first=False)
        assert [int.from_bytes(f[:8].tobytes(), "little") for f in history] == list(range(2, 10))
        # The mirror is a pool of this host now: any consumer here maps it.
        assert int.from_bytes(off.get()[:8].tobytes(), "little") == 9
        on.cleanup()
        off.cleanup()
        assert not os.path.exists(f"/dev/shm/tipc.{name}")  # the mirror went with its owner
    finally:
        forge.terminate()
        forge.wait(timeout=10)
