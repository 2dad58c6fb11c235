"""Attach by name (TensorConsumer.from_pool): the consumer restates nothing;
shape, dtype, history and backend come from the producer, in another
process, whichever starts first. A typo beside a live pool is named once."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

from tensor_ipc import (
    BackendMismatchError,
    NotConnectedError,
    TensorConsumer,
    TensorProducer,
)
from tensor_ipc.core.consumer import TensorConsumer as CoreConsumer

try:
    import torch
except ImportError:  # pragma: no cover - Debian's test machine has torch
    torch = None


def test_core_module_has_from_pool():
    assert CoreConsumer is TensorConsumer and callable(CoreConsumer.from_pool)


def test_producer_process_first(pool_name, spawn, wait_until):
    n = pool_name()
    prod = spawn.peer("producer", n, "3,5", "int16", "6", "numpy")
    prod.read_line("ready")
    prod.send("put 7")
    assert prod.read_line("put") == "put 0"
    with TensorConsumer.from_pool(n, timeout=10) as c:
        md = c.pool_metadata
        assert (md.shape, md.dtype_str, md.history_len, md.backend_type) == ([3, 5], "int16", 6, "numpy")
        assert md.creator_pid == prod.pid
        d = c.get()
        assert isinstance(d, np.ndarray) and d.shape == (3, 5) and d.dtype == np.int16
        assert (d == 7).all()
        assert c.get(history_len=6).shape == (6, 3, 5)
    # without the control plane: from the segment alone
    with TensorConsumer.from_pool(n, timeout=0, control_plane=False) as c:
        assert (c.get() == 7).all()
    prod.finish()


def test_consumer_first_waits_for_the_producer(pool_name, spawn):
    n = pool_name()
    with pytest.raises(NotConnectedError, match=f"no producer of '{n}'"):
        TensorConsumer.from_pool(n, timeout=0)
    got = {}

    def attach():
        try:
            got["c"] = TensorConsumer.from_pool(n, timeout=30)
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            got["e"] = e

    t = threading.Thread(target=attach)
    t.start()
    prod = spawn.peer("producer", n, "4", "float64", "2", "numpy")
    prod.read_line("ready")
    prod.send("put 2.5")
    prod.read_line("put")
    t.join(40)
    assert not t.is_alive() and "e" not in got, got
    c = got["c"]
    try:
        assert c.pool_metadata.shape == [4] and c.pool_metadata.dtype_str == "float64"
        d = c.get(block=True, timeout=10)
        assert d is not None and (d == 2.5).all()
    finally:
        c.cleanup()
    prod.finish()


@pytest.mark.skipif(torch is None, reason="torch is not installed")
def test_backend_is_not_part_of_a_host_pools_identity(pool_name, spawn):
    n = pool_name()
    prod = spawn.peer("producer", n, "2,2", "float32", "3", "torch")
    prod.read_line("ready")
    prod.send("put 1.5")
    prod.read_line("put")
    with TensorConsumer.from_pool(n, timeout=10) as follows:
        assert follows.pool_metadata.backend_type == "torch"
        assert isinstance(follows.get(), torch.Tensor)
    with TensorConsumer.from_pool(n, timeout=10, backend="numpy") as as_numpy:
        d = as_numpy.get()
        assert isinstance(d, np.ndarray) and (d == 1.5).all()
    # and a numpy consumer described by hand reads the torch pool too
    with TensorConsumer.from_sample(n, np.zeros((2, 2), np.float32), history_len=3) as c:
        d = c.get()
        assert isinstance(d, np.ndarray) and (d == 1.5).all()
    with pytest.raises(BackendMismatchError, match="torch_cuda"):
        TensorConsumer.from_pool(n, timeout=10, backend="torch_cuda")
    prod.finish()


def test_typo_is_named_once(pool_name):
    base = pool_name("x")
    right, typo = f"{base}/camera", f"{base}/camrea"
    with TensorProducer.from_sample(right, np.zeros(3, np.uint8)) as p:
        p.put(np.ones(3, np.uint8))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with pytest.raises(NotConnectedError) as e:
                TensorConsumer.from_pool(typo, timeout=2.5)
        hints = [x for x in w if issubclass(x.category, RuntimeWarning)]
        assert len(hints) == 1, [str(x.message) for x in w]
        msg = str(hints[0].message)
        assert msg.startswith(f"no producer of '{typo}'") and msg.endswith(
            f"; did you mean '{right}'?"
        ), msg
        final = str(e.value)
        assert final.startswith(f"no producer of '{typo}' (waited 2.") and final.endswith(
            f"did you mean '{right}'?"
        ), final
        # a name far from every pool: no hint, no warning
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with pytest.raises(NotConnectedError) as e:
                TensorConsumer.from_pool(f"{base}/lidar_points", timeout=0.2)
        assert not w and "did you mean" not in str(e.value)
