"""The original tensor-ipc's (0.1.0, pure Python) API surface, kept so that
its users switch without changing code: its module layout (tensor_ipc.core.*,
tensor_ipc.backends), keep_last, its positional order, its MetadataCreator
and PoolMetadata extras, and TypeError/ValueError where it raised them. The
remaining differences, each as docs/migration.md states it, are checked at
the end (test_migration_*)."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

import tensor_ipc
from tensor_ipc import (
    BackendMismatchError,
    DtypeMismatchError,
    InvalidArgumentError,
    MetadataCreator,
    PoolMetadata,
    ShapeMismatchError,
    TensorConsumer,
    TensorIPCError,
    TensorProducer,
    UnsupportedError,
)

from conftest import wait_until

try:
    import torch
except ImportError:  # the package works without PyTorch
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


# ----------------------------------------------------------------- 1. layout


def test_original_module_layout_names_the_same_classes():
    from tensor_ipc.core.consumer import TensorConsumer as C
    from tensor_ipc.core.metadata import MetadataCreator as MC
    from tensor_ipc.core.metadata import PoolMetadata as PM
    from tensor_ipc.core.metadata import PoolProgressMessage
    from tensor_ipc.core.producer import TensorProducer as P
    import tensor_ipc.core as core

    assert (P, C, PM, MC) == (TensorProducer, TensorConsumer, PoolMetadata, MetadataCreator)
    assert hasattr(core, "__path__")  # a package, no longer the SWIG module
    assert core.TensorProducer is TensorProducer
    assert PoolProgressMessage("cam", 3).latest_frame == 3
    # the SWIG module and its extension moved, and still work
    assert tensor_ipc.capi.version_string() == tensor_ipc.version()
    from tensor_ipc._capi import Frame

    assert Frame is tensor_ipc.Frame


def test_backend_helpers():
    from tensor_ipc import backends as B

    avail = B.get_available_backends()
    assert avail[0] == "numpy" and B.is_backend_available("numpy")
    assert B.is_backend_available("torch") == (torch is not None)
    assert not B.is_backend_available("jax")
    assert B.detect_backend_from_data(np.zeros(2)) == "numpy"
    if torch is not None:
        assert B.detect_backend_from_data(torch.zeros(2)) == "torch"
    with pytest.raises(ValueError):
        B.detect_backend_from_data([1, 2])
    from typing import get_args

    assert set(get_args(B.HistoryPadStrategy)) == {"zero", "fill"}
    md = PoolMetadata("x", (2,), "float32", "numpy", 2)
    md.backend_type = "torch_cuda"
    if "torch_cuda" not in avail:
        with pytest.raises(ValueError):
            B.create_producer_backend(md)


def _backend_round_trip(pool_name, backend, sample, make, to_np):
    from tensor_ipc import backends as B

    h, shape = 5, tuple(sample.shape)
    md = {"numpy": MetadataCreator.from_numpy_sample, "torch": MetadataCreator.from_torch_sample}[
        backend
    ](name=pool_name(), sample_data=sample, history_len=h)
    prod_cls, cons_cls = {
        "numpy": (B.NumpyProducerBackend, B.NumpyConsumerBackend),
        "torch": (B.TorchProducerBackend, B.TorchConsumerBackend),
    }[backend]
    p = prod_cls(pool_metadata=md, history_pad_strategy="zero", force=True)
    c = cons_cls(pool_metadata=md)
    try:
        assert isinstance(p, B.TensorProducerBackend) and isinstance(c, B.TensorConsumerBackend)
        assert c.is_connected and c.connect(md) is True
        assert p.current_frame_index == -1 and c.current_latest_index == -1
        first = c.read(np.arange(2, 0, -1) % h)
        assert tuple(first.shape) == (2,) + shape and not to_np(first).any()  # zero padding
        written = []
        for i in range(8):
            slot = p.write(make(i + 1))
            written.append(i + 1)
            assert slot == i % h == p.current_frame_index == c.current_latest_index
            got = c.read(np.arange(slot, slot - 3, -1) % h)
            want = [v for v in written[::-1][:3]] + [0] * (3 - len(written[-3:]))
            assert [to_np(g).flat[0] for g in got] == want
        full = c.read(slice(None))
        assert tuple(full.shape) == (h,) + shape
        assert [to_np(f).flat[0] for f in full] == [6, 7, 8, 4, 5]  # slot order
        assert isinstance(c.read([0, 1], as_numpy=True), np.ndarray)
        assert tuple(c.read(2).shape) == shape  # an int: one frame, no axis
        assert p.max_history_len == c.max_history_len == h and p.metadata == md == c.metadata
        with pytest.raises(ValueError):
            c.read([h])  # no such slot
        return full
    finally:
        c.cleanup()
        p.cleanup()
        assert c.read(0) is None  # cleaned up: not connected


def test_numpy_backends(pool_name):
    full = _backend_round_trip(
        pool_name, "numpy", np.ones((4, 3), np.float32),
        lambda v: np.full((4, 3), v, np.float32), np.asarray,
    )
    assert isinstance(full, np.ndarray) and full.dtype == np.float32


@needs_torch
def test_torch_backends(pool_name):
    full = _backend_round_trip(
        pool_name, "torch", torch.ones((4, 3), dtype=torch.int32),
        lambda v: torch.full((4, 3), v, dtype=torch.int32), lambda t: t.numpy(),
    )
    assert isinstance(full, torch.Tensor) and full.dtype == torch.int32


def test_backend_fill_padding_and_factories(pool_name):
    from tensor_ipc import backends as B

    md = MetadataCreator.from_numpy_sample(pool_name(), np.zeros(2, np.int64), 4)
    p = B.create_producer_backend(md, history_pad_strategy="fill", force=True)
    c = B.create_consumer_backend(md)
    c._history_pad_strategy = "fill"  # the original set it on the producer's pool
    try:
        assert isinstance(p, B.NumpyProducerBackend) and isinstance(c, B.NumpyConsumerBackend)
        p.write(np.array([7, 7]))
        assert c.read([0, 1, 2, 3])[:, 0].tolist() == [7, 7, 7, 7]
        with pytest.raises(ValueError):
            B.NumpyProducerBackend(md, history_pad_strategy="ones")
        with pytest.raises(ValueError):  # a numpy backend for a torch pool
            B.TorchProducerBackend(md)
    finally:
        c.cleanup()
        p.cleanup()


def test_producer_and_consumer_backend_attributes(pool_name):
    from tensor_ipc import backends as B

    n = pool_name()
    with TensorProducer.from_sample(n, np.zeros(3), history_len=3) as p, \
            TensorConsumer.from_sample(n, np.zeros(3), history_len=3) as c:
        assert isinstance(p.backend, B.NumpyProducerBackend)
        assert isinstance(c.backend, B.NumpyConsumerBackend)
        for i in range(4):
            assert p.backend.write(np.full(3, float(i))) == i % 3
        assert c.backend.read([0, 1, 2])[:, 0].tolist() == [3.0, 1.0, 2.0]
        assert c.backend.is_connected


# ----------------------------------------------------------------- 2. keep_last


def test_keep_last_is_accepted_stored_and_validated(pool_name):
    n = pool_name()
    s = np.zeros(2, np.float32)
    with TensorProducer.from_sample(n, s, keep_last=3) as p, \
            TensorConsumer.from_sample(n, s, keep_last=4) as c:
        assert (p.keep_last, c.keep_last) == (3, 4)
    md = MetadataCreator.from_sample(n, s)
    with TensorProducer(md, keep_last=1) as p, TensorConsumer(md, keep_last=1000) as c:
        assert (p.keep_last, c.keep_last) == (1, 1000)
    with TensorProducer(md) as p, TensorConsumer(md) as c:
        assert (p.keep_last, c.keep_last) == (10, 10)  # the original's default
    for bad in (0, -1, 1.5, True, "10", None):
        with pytest.raises(ValueError):
            TensorProducer(md, keep_last=bad)
        with pytest.raises(ValueError):
            TensorConsumer(md, keep_last=bad)


# ----------------------------------------------------------------- 3. order


def test_original_positional_order(pool_name):
    n = pool_name()
    s = np.zeros(2, np.float32)
    seen = []
    # TensorProducer.from_sample(pool_name, sample, history_len, dds_participant, keep_last)
    with TensorProducer.from_sample(n, s, 4, None, 5) as p:
        assert (p.pool_metadata.history_len, p.keep_last) == (4, 5)
        # TensorConsumer.from_sample(pool_name, sample, dds_participant, history_len,
        #                            keep_last, callback)
        with TensorConsumer.from_sample(n, s, None, 4, 6, seen.append) as c:
            assert (c.pool_metadata.history_len, c.keep_last) == (4, 6)
            # TensorConsumer(pool_metadata, keep_last, dds_participant, on_new_data_callback)
            with TensorConsumer(c.pool_metadata, 7, None, seen.append) as c2:
                assert c2.keep_last == 7
                p.put(np.ones(2, np.float32))
                wait_until(lambda: len(seen) >= 2, what="both callbacks")
    # our own options stay keywords
    with TensorProducer.from_sample(n, s, backend="numpy", put_timeout=0.5) as p:
        assert p.keep_last == 10
    with pytest.raises(TypeError):
        TensorProducer.from_sample(n, s, 1, None, 10, "numpy")


def test_calls_in_our_old_positional_order_are_refused_not_misread(pool_name):
    n = pool_name()
    s = np.zeros(2, np.float32)
    with pytest.raises(InvalidArgumentError, match="history_len= by keyword"):
        TensorConsumer.from_sample(n, s, 4)  # 4 was history_len, now dds_participant
    md = MetadataCreator.from_sample(n, s)
    with pytest.raises(InvalidArgumentError, match="on_new_data_callback="):
        TensorConsumer(md, print)  # a callback where keep_last now stands


# ----------------------------------------------------------------- 4. metadata


def test_metadata_creator_sample_data_keyword_and_payload_json():
    s = np.zeros((2, 3), np.float32)
    md = MetadataCreator.from_numpy_sample(name="m", sample_data=s, history_len=2)
    assert md.backend_type == "numpy" and md.history_len == 2
    assert md.payload_json == ""
    md.payload = b'{"a": 1}'
    assert json.loads(md.payload_json) == {"a": 1}
    assert MetadataCreator.from_sample(name="m", data=s, history_len=2, backend="numpy") == md
    if torch is not None:
        t = MetadataCreator.from_torch_sample(name="t", sample_data=torch.zeros(2, 3), history_len=3)
        assert t.backend_type == "torch" and t.dtype_str == "float32"
        if not torch.cuda.is_available():
            with pytest.raises(TypeError):  # as the original
                MetadataCreator.from_torch_cuda_sample(name="c", sample_data=torch.zeros(2))
        with pytest.raises(TypeError):
            MetadataCreator.from_torch_sample("t", np.zeros(2))
    with pytest.raises(UnsupportedError):
        MetadataCreator.from_torch_cuda_sample("c", s, 1, tensor_pool=object())


def test_shape_is_a_list_equal_to_the_tuple_too():
    md = PoolMetadata("s", (2, 3), "float32")
    assert md.shape == [2, 3] and md.shape == (2, 3) and isinstance(md.shape, list)
    assert [2, 3] == md.shape and (2, 3) == md.shape and md.shape != [3, 2]
    assert hash(md.shape) == hash((2, 3))
    assert (4,) + md.shape == (4, 2, 3) and md.shape + (1,) == (2, 3, 1)
    assert md.shape + [1] == [2, 3, 1] and tuple(md.shape) == (2, 3)
    assert np.zeros(md.shape).shape == (2, 3)
    with pytest.raises(TypeError):
        md.shape[0] = 5
    with pytest.raises(TypeError):
        md.shape.append(5)
    md.shape = [4, 5]
    assert md.shape == (4, 5) and md.total_size == 4 * 5 * 4


def _fake_cuda_payload():
    return {
        "tensor_size": [2, 3], "tensor_stride": [3, 1], "tensor_offset": 0,
        "storage_device": 0, "storage_handle": "00ff", "storage_size_bytes": 24,
        "storage_offset_bytes": 0, "ref_counter_handle": "ab", "ref_counter_offset": 0,
        "event_handle": "cd", "event_sync_required": True,
    }


def test_cuda_payload_helpers():
    md = PoolMetadata("cuda_payload", (2, 3), "float32")
    assert MetadataCreator.verify_torch_cuda_payload(md) is False  # no payload
    good = _fake_cuda_payload()
    md.payload = json.dumps(good).encode()
    assert MetadataCreator.verify_torch_cuda_payload(md) is True
    for key, bad in (("storage_handle", "xyz"), ("tensor_size", []), ("tensor_offset", True)):
        md.payload = json.dumps(dict(good, **{key: bad})).encode()
        assert MetadataCreator.verify_torch_cuda_payload(md) is False, key
    md.payload = json.dumps({k: v for k, v in good.items() if k != "event_handle"}).encode()
    assert MetadataCreator.verify_torch_cuda_payload(md) is False
    md.payload = b"not json"
    assert MetadataCreator.verify_torch_cuda_payload(md) is False
    if torch is not None and not torch.cuda.is_available():
        with pytest.raises(UnsupportedError, match="CUDA tensor"):
            MetadataCreator.payload_from_torch_cuda_storage(torch.zeros(2))
    with pytest.raises(InvalidArgumentError):
        MetadataCreator.payload_from_torch_cuda_storage(np.zeros(2))


@pytest.mark.skipif(torch is None or not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_payload_from_a_real_tensor():
    t = torch.zeros(2, 3, device="cuda")
    md = PoolMetadata("cuda_payload2", (2, 3), "float32")
    md.payload = MetadataCreator.payload_from_torch_cuda_storage(t).encode()
    assert MetadataCreator.verify_torch_cuda_payload(md)


# ----------------------------------------------------------------- 5. exceptions


def test_put_errors_are_the_original_builtins_too(pool_name):
    with TensorProducer.from_sample(pool_name(), np.zeros((2, 3), np.float32)) as p:
        with pytest.raises(TypeError) as e:
            p.put(np.zeros((2, 3), np.float64))
        assert isinstance(e.value, DtypeMismatchError) and isinstance(e.value, InvalidArgumentError)
        with pytest.raises(ValueError) as e:
            p.put(np.zeros((3, 2), np.float32))
        assert isinstance(e.value, ShapeMismatchError) and isinstance(e.value, TensorIPCError)
        if torch is not None:
            with pytest.raises(TypeError) as e:
                p.put(torch.zeros((2, 3)))
            assert isinstance(e.value, BackendMismatchError)
    if torch is not None:
        with TensorProducer.from_sample(pool_name(), torch.zeros(2, dtype=torch.int16)) as p:
            with pytest.raises(TypeError):
                p.put(np.zeros(2, np.int16))  # numpy data into a torch pool
            with pytest.raises(TypeError):
                p.put(torch.zeros(2, dtype=torch.int32))
            with pytest.raises(ValueError):
                p.put(torch.zeros(3, dtype=torch.int16))


def test_second_producer_is_a_value_error_too(pool_name):
    from tensor_ipc import ExistsError

    n = pool_name()
    with TensorProducer.from_sample(n, np.zeros(2)):
        with pytest.raises(ValueError) as e:  # the original: ValueError
            TensorProducer.from_sample(n, np.zeros(2))
        assert isinstance(e.value, ExistsError) and isinstance(e.value, FileExistsError)


def test_metadata_sample_of_the_wrong_kind_is_a_type_error():
    with pytest.raises(TypeError):
        MetadataCreator.from_sample("k", np.zeros(2), 1, "torch")


# ----------------------------------------------------------------- 6. differences
# Each test_migration_* is one entry of docs/migration.md.


def test_migration_get_one_frame_has_no_history_axis(pool_name):
    n = pool_name()
    with TensorProducer.from_sample(n, np.zeros((2, 3)), history_len=3) as p, \
            TensorConsumer.from_sample(n, np.zeros((2, 3)), history_len=3) as c:
        p.put(np.ones((2, 3)))
        assert c.get().shape == (2, 3)  # original: (1, 2, 3)
        assert c.get()[None].shape == (1, 2, 3)  # the adaptation
        assert c.get(history_len=2).shape == (2, 2, 3)


def test_migration_put_returns_a_monotonic_index(pool_name):
    n = pool_name()
    with TensorProducer.from_sample(n, np.zeros(2), history_len=3) as p:
        idx = [p.put(np.zeros(2)) for _ in range(5)]
        assert idx == [0, 1, 2, 3, 4]  # original: ring slots 0 1 2 0 1
        assert [i % p.pool_metadata.history_len for i in idx] == [0, 1, 2, 0, 1]
        assert p.backend.write(np.zeros(2)) == 5 % 3  # the backend keeps the slot


def test_migration_get_longer_than_the_pool_raises(pool_name):
    n = pool_name()
    with TensorProducer.from_sample(n, np.zeros(2), history_len=3) as p, \
            TensorConsumer.from_sample(n, np.zeros(2), history_len=3) as c:
        p.put(np.ones(2))
        with pytest.raises(ValueError):  # original: frames repeated (indices wrapped)
            c.get(history_len=4)
        h = min(4, c.pool_metadata.history_len)
        assert c.get(history_len=h).shape == (3, 2)


def test_migration_numpy_results_are_writable_copies(pool_name):
    n = pool_name()
    with TensorProducer.from_sample(n, np.zeros(2), history_len=2) as p, \
            TensorConsumer.from_sample(n, np.zeros(2), history_len=2) as c:
        p.put(np.ones(2))
        got = c.get()
        assert got.flags.writeable  # original: a read-only view of the pool
        got[0] = 5
        assert c.get()[0] == 1.0  # a copy: the pool is unchanged
        with c.view() as frames:  # zero copy, as the original's read-only view
            assert not frames[0].flags.writeable


def test_migration_keep_last_changes_nothing(pool_name):
    n = pool_name()
    s = np.zeros(2)
    with TensorProducer.from_sample(n, s, 2, None, 1) as p, \
            TensorConsumer.from_sample(n, s, None, 2, 1) as c:
        for i in range(5):
            p.put(np.full(2, float(i)))
        # keep_last=1 keeps no fewer notifications: progress comes from the segment
        assert c.get(history_len=2)[:, 0].tolist() == [4.0, 3.0]
        assert c.latest_index() == 4


def test_migration_dds_participant_is_ignored(pool_name):
    n = pool_name()
    marker = object()  # the original took a cyclonedds DomainParticipant
    with TensorProducer.from_sample(n, np.zeros(2), 1, marker) as p, \
            TensorConsumer.from_sample(n, np.zeros(2), marker) as c:
        p.put(np.ones(2))
        assert c.get().tolist() == [1.0, 1.0]


def test_migration_get_before_the_first_put_is_none(pool_name):
    n = pool_name()
    with TensorProducer.from_sample(n, np.zeros(2)) as p, \
            TensorConsumer.from_sample(n, np.zeros(2)) as c:
        assert c.get() is None  # original: the zero-filled slot
        assert c.get(pad="zero") is None and c.backend.read(0).tolist() == [0.0, 0.0]
        p.put(np.ones(2))
        assert c.get().tolist() == [1.0, 1.0]


def test_migration_put_takes_array_likes(pool_name):
    with TensorProducer.from_sample(pool_name(), np.zeros(2)) as p:
        assert p.put([1.0, 2.0]) == 0  # original: TypeError for a list


def test_writer_of_the_original_type_is_named_once(pool_name):
    # The original pure-Python tensor-ipc announces pools on the same DDS
    # topic names with its own types: a consumer of ours beside such a
    # producer says so once (RuntimeWarning) instead of returning None in
    # silence. The foreign writer is the control tests' raw-DDS helper,
    # writing another type on the pool's topic.
    import subprocess
    import warnings as _w

    from conftest import c_program

    helper = c_program("TIPC_CTL_HELPER", "tests", "control", "tipc_ctl_helper")
    assert helper, "tipc_ctl_helper was not built (tests/control)"
    n = pool_name()
    topic = "tensoripc_" + n.replace("/", "__").replace("-", "_") + "_meta"
    proc = subprocess.Popen(
        [helper, "announce"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().startswith("ok ready")
        proc.stdin.write(f"foreign {topic}\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "ok"
        c = TensorConsumer.from_sample(n, np.zeros(3, np.float32))
        with _w.catch_warnings(record=True) as caught:
            _w.simplefilter("always")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not caught:
                assert c.get() is None
                time.sleep(0.02)
            for _ in range(5):  # once, not on every get()
                assert c.get() is None
        msgs = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
        assert len(msgs) == 1, msgs
        assert "original pure-Python tensor-ipc" in msgs[0] and n in msgs[0]
        c.cleanup()
    finally:
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        proc.wait(10)
