"""The public API with numpy and torch (CPU) pools: metadata, producer,
consumer, cleanup, context managers and repr."""

from __future__ import annotations

import os

import numpy as np
import pytest
from torch_or_skip import torch

import tensor_ipc
from tensor_ipc import (
    ClosedError,
    MetadataCreator,
    PoolMetadata,
    TensorConsumer,
    TensorProducer,
)

BACKENDS = ["numpy", "torch"]


def make_sample(backend, shape=(2, 3), dtype="float32", value=0):
    arr = np.full(shape, value, dtype=dtype)
    return torch.from_numpy(arr) if backend == "torch" else arr


def to_np(x):
    return x.numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def test_version_and_public_names():
    assert tensor_ipc.version() == tensor_ipc.__version__
    assert tensor_ipc.version().count(".") == 2
    for name in ("PoolMetadata", "MetadataCreator", "TensorProducer", "TensorConsumer",
                 "Frame", "TensorIPCError", "InvalidArgumentError", "MismatchError",
                 "ExistsError", "UnsupportedError", "TimeoutError"):
        assert name in tensor_ipc.__all__, name
        assert hasattr(tensor_ipc, name), name


def test_pool_metadata_fields(pool_name):
    name = pool_name("cam") + "/rgb"
    md = PoolMetadata(name, (480, 640, 3), "uint8", "numpy", history_len=4)
    assert md.name == name
    assert md.shape == (480, 640, 3)
    assert md.dtype_str == "uint8"
    assert md.backend_type == "numpy"
    assert md.history_len == 4
    assert md.device == "cpu"
    assert md.element_size == 1
    assert md.frame_size == 480 * 640 * 3
    assert md.total_size == 480 * 640 * 3 * 4
    assert md.shm_name == "/tipc." + name.replace("/", ".")
    assert md.creator_pid == 0  # not published by a producer yet
    assert md.payload is None
    d = md.to_dict()
    assert set(d) == {"name", "shape", "dtype_str", "backend_type", "history_len", "device",
                      "element_size", "total_size", "shm_name", "creator_pid", "payload"}
    assert d["total_size"] == md.total_size

    # derived fields may be passed (the original API did) but must agree
    PoolMetadata(name, (2,), "float64", "numpy", 3, "cpu", element_size=8, total_size=48)
    with pytest.raises(tensor_ipc.InvalidArgumentError, match="element_size"):
        PoolMetadata(name, (2,), "float64", "numpy", 3, element_size=4)
    with pytest.raises(tensor_ipc.InvalidArgumentError, match="total_size"):
        PoolMetadata(name, (2,), "float64", "numpy", 3, total_size=47)


def test_pool_metadata_dtype_spellings(pool_name):
    n = pool_name()
    for spelling in ("float32", np.dtype("float32"), "torch.float32", "float"):
        assert PoolMetadata(n, (1,), spelling).dtype_str == "float32", spelling
    assert PoolMetadata(n, (1,), "bool_").dtype_str == "bool"
    assert PoolMetadata(n, (1,), np.dtype(bool)).dtype_str == "bool"


def test_pool_metadata_torch_dtype_spellings(pool_name):
    n = pool_name()
    assert PoolMetadata(n, (1,), torch.float32).dtype_str == "float32"
    assert PoolMetadata(n, (1,), torch.bfloat16, "torch").dtype_str == "bfloat16"


def test_pool_metadata_accepts_numpy_scalar_types(pool_name):
    # _backends.normalize_dtype documents "np.float32" as accepted (and the
    # original API took dtype objects and types alike).
    n = pool_name()
    assert PoolMetadata(n, (1,), np.float32).dtype_str == "float32"
    assert PoolMetadata(n, (1,), np.int8).dtype_str == "int8"
    assert PoolMetadata(n, (1,), np.bool_).dtype_str == "bool"


def test_pool_metadata_equality(pool_name):
    n = pool_name()
    a = PoolMetadata(n, (2, 3), "float32", "numpy", 2)
    b = PoolMetadata(n, (2, 3), "float32", "numpy", 2, creator_pid=1234)
    assert a == b and hash(a) == hash(b)  # creator pid does not count
    assert a != PoolMetadata(n, (2, 4), "float32", "numpy", 2)
    assert a != PoolMetadata(n, (2, 3), "float64", "numpy", 2)
    # the backend is not part of a host pool's identity; a device pool's is
    t = PoolMetadata(n, (2, 3), "float32", "torch", 2)
    assert a == t and hash(a) == hash(t)
    assert a != PoolMetadata(n, (2, 3), "float32", "torch_cuda", 2)
    assert a != PoolMetadata(n, (2, 3), "float32", "numpy", 3)
    assert a != PoolMetadata(pool_name(), (2, 3), "float32", "numpy", 2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_metadata_creator_from_sample(pool_name, backend):
    n = pool_name()
    s = make_sample(backend, (4, 5), "int16")
    md = MetadataCreator.from_sample(n, s, history_len=3)
    assert (md.name, md.shape, md.dtype_str, md.backend_type, md.history_len, md.device) == (
        n, (4, 5), "int16", backend, 3, "cpu")
    assert md.element_size == 2 and md.total_size == 4 * 5 * 2 * 3
    if backend == "numpy":
        md2 = MetadataCreator.from_numpy_sample(n, s, history_len=3)
    else:
        md2 = MetadataCreator.from_torch_sample(n, s, history_len=3)
    assert md2 == md and md2.backend_type == backend
    # the wrong helper for the sample's type is refused
    with pytest.raises(tensor_ipc.InvalidArgumentError):
        if backend == "numpy":
            MetadataCreator.from_torch_sample(n, s)
        else:
            MetadataCreator.from_numpy_sample(n, s)
    # default history is 1
    assert MetadataCreator.from_sample(n, s).history_len == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_put_get_roundtrip(pool_name, backend):
    n = pool_name()
    s = make_sample(backend)
    p = TensorProducer.from_sample(n, s, history_len=3)
    try:
        assert p.pool_metadata.creator_pid == os.getpid()
        assert p.frames_written == 0
        c = TensorConsumer.from_sample(n, s, history_len=3)
        try:
            assert c.get() is None  # connected, nothing written yet
            for k in range(5):
                idx = p.put(make_sample(backend, value=k + 1))
                assert idx == k
                assert p.frames_written == k + 1
                got = c.get()
                assert isinstance(got, torch.Tensor if backend == "torch" else np.ndarray)
                assert tuple(got.shape) == (2, 3)
                assert (to_np(got) == k + 1).all()
                assert c.last_index == k
                assert c.last_timestamp_ns > 0
            # get returns a copy: writing to it does not touch the pool
            got = to_np(c.get())
            got[...] = -1
            assert (to_np(c.get()) == 5).all()
        finally:
            c.cleanup()
    finally:
        p.cleanup()


def test_producer_with_pool_metadata_and_consumer_positional(pool_name):
    n = pool_name()
    md = PoolMetadata(n, (3,), "float64", "numpy", 2)
    p = TensorProducer(md)
    c = TensorConsumer(PoolMetadata(n, (3,), "float64", "numpy", 2), 10, None)  # keep_last, dds_participant
    try:
        p.put(np.array([1.0, 2.0, 3.0]))
        np.testing.assert_array_equal(c.get(1, False, True), [1.0, 2.0, 3.0])
    finally:
        c.cleanup()
        p.cleanup()


def test_consumer_returns_none_until_connected(pool_name):
    n = pool_name()
    s = np.zeros((2,), np.int32)
    c = TensorConsumer.from_sample(n, s, history_len=2)
    try:
        assert c.get() is None
        assert c.get(history_len=2) is None
        assert not c.connected
        assert c.acquire() is None
        with c.view() as v:
            assert v is None
        assert c.wait(timeout=0) is False
        with TensorProducer.from_sample(n, s, history_len=2) as p:
            assert c.get() is None  # producer there, no frame yet
            p.put(np.array([7, 8], np.int32))
            np.testing.assert_array_equal(c.get(), [7, 8])
            assert c.connected
        # producer gone: None again, and not connected
        assert c.get() is None
        assert not c.connected
    finally:
        c.cleanup()


def test_cleanup_idempotent_and_closed_errors(pool_name):
    n = pool_name()
    s = np.zeros((2,), np.float32)
    p = TensorProducer.from_sample(n, s)
    c = TensorConsumer.from_sample(n, s)
    p.put(s)
    c.cleanup()
    c.cleanup()
    p.cleanup()
    p.cleanup()
    assert not os.path.exists("/dev/shm" + p.pool_metadata.shm_name)
    with pytest.raises(ClosedError):
        p.put(s)
    with pytest.raises(ClosedError):
        c.get()
    with pytest.raises(ClosedError):
        p.frames_written
    assert isinstance(ClosedError("x"), tensor_ipc.TensorIPCError)


@pytest.mark.parametrize("backend", BACKENDS)
def test_context_managers(pool_name, backend):
    n = pool_name()
    s = make_sample(backend)
    with TensorProducer.from_sample(n, s) as p:
        assert os.path.exists("/dev/shm" + p.pool_metadata.shm_name)
        with TensorConsumer.from_sample(n, s) as c:
            p.put(make_sample(backend, value=3))
            assert (to_np(c.get()) == 3).all()
        with pytest.raises(ClosedError):
            c.get()
    assert not os.path.exists("/dev/shm" + p.pool_metadata.shm_name)
    with pytest.raises(ClosedError):
        p.put(s)
    # the name is free again
    with TensorProducer.from_sample(n, s) as p2:
        assert p2.put(s) == 0


def test_context_manager_closes_on_exception(pool_name):
    n = pool_name()
    s = np.zeros((2,), np.float32)
    with pytest.raises(RuntimeError):
        with TensorProducer.from_sample(n, s) as p:
            raise RuntimeError("boom")
    assert not os.path.exists("/dev/shm" + p.pool_metadata.shm_name)


def test_producer_dropped_without_cleanup_frees_pool(pool_name):
    n = pool_name()
    s = np.zeros((2,), np.float32)
    p = TensorProducer.from_sample(n, s)
    path = "/dev/shm" + p.pool_metadata.shm_name
    assert os.path.exists(path)
    del p
    assert not os.path.exists(path)


@pytest.mark.parametrize("backend", BACKENDS)
def test_reprs_are_informative(pool_name, backend):
    n = pool_name()
    s = make_sample(backend, (2, 3), "float32")
    md = MetadataCreator.from_sample(n, s, history_len=2)
    r = repr(md)
    for part in (n, "(2, 3)", "float32", backend, "history_len=2", "cpu"):
        assert part in r, (part, r)
    p = TensorProducer(md)
    c = TensorConsumer.from_sample(n, s, history_len=2)
    try:
        r = repr(p)
        for part in ("TensorProducer", n, "float32", "[2, 3]", backend, "history=2",
                     "0 frames written"):
            assert part in r, (part, r)
        p.put(s)
        assert "1 frames written" in repr(p)
        c.get()
        r = repr(c)
        for part in ("TensorConsumer", n, "float32", backend, "history=2", "connected"):
            assert part in r, (part, r)
        assert "not connected" not in r
        frames = c.acquire()
        r = repr(frames[0])
        for part in ("Frame", n, "index=0", "(2, 3)", "float32", "read-only"):
            assert part in r, (part, r)
        frames[0].release()
        loan = p.loan()
        with loan as arr:
            pass
        assert loan.index == 1
    finally:
        p.cleanup()
        assert "closed" in repr(p)
        assert "not connected" in repr(c)
        c.cleanup()
        assert "closed" in repr(c)


def test_loan_repr_is_informative(pool_name):
    n = pool_name()
    with TensorProducer.from_sample(n, np.zeros((2,), np.float32)) as p:
        loan = p.loan()
        r = repr(loan)
        assert n in r and "float32" in r, r


# ---------------------------------------------------- assigning metadata fields
# PoolMetadata is a plain record whose fields users set (as in the original's
# dataclass): an assignment is honoured by the pools made from it afterwards,
# or refused with InvalidArgumentError and no change.


def _state(md):
    return (md.to_dict(), repr(md), md.frame_size)


def test_assigned_history_len_is_used_by_the_producer(pool_name):
    n = pool_name()
    md = MetadataCreator.from_sample(n, np.zeros((2, 3), np.float32))
    md.history_len = 3
    assert md.history_len == 3 and md.total_size == 2 * 3 * 4 * 3
    assert "history_len=3" in repr(md)
    with TensorProducer(md) as p, \
            TensorConsumer.from_sample(n, np.zeros((2, 3), np.float32), history_len=3) as c:
        assert p.pool_metadata.history_len == 3
        for v in (1, 2, 3):
            p.put(np.full((2, 3), v, np.float32))
        h = c.get(history_len=3)  # a consumer of history 3 matches: the pool has 3 frames
        assert [float(x) for x in h[:, 0, 0]] == [3.0, 2.0, 1.0]


@pytest.mark.parametrize("field,value,check", [
    ("shape", (3, 2), lambda md: md.frame_size == 24),
    ("shape", [4], lambda md: md.shape == (4,) and md.frame_size == 16),
    ("dtype_str", "float64", lambda md: md.element_size == 8),
    ("dtype_str", np.int16, lambda md: md.dtype_str == "int16" and md.element_size == 2),
    ("backend_type", "torch", lambda md: md.device == "cpu"),
    ("history_len", 5, lambda md: md.total_size == 5 * md.frame_size),
    ("device", "cpu", lambda md: md.device == "cpu"),
    ("name", None, lambda md: md.shm_name == "/tipc." + md.name),
])
def test_every_assigned_field_reaches_the_pool(pool_name, field, value, check):
    n = pool_name()
    md = MetadataCreator.from_sample(n, np.zeros((2, 3), np.float32), history_len=2)
    if field == "name":
        value = pool_name("renamed")
    setattr(md, field, value)
    assert check(md)
    want = value if field != "shape" else tuple(value)
    if field == "dtype_str":
        want = np.dtype(value).name
    assert getattr(md, field) == want
    # a consumer described independently with the new value matches the
    # producer made from the edited metadata: the pool really has it
    fields = {k: getattr(md, k) for k in ("name", "shape", "dtype_str", "backend_type",
                                          "history_len", "device")}
    with TensorProducer(md) as p, TensorConsumer(PoolMetadata(**fields)) as c:
        assert p.pool_metadata == md and c.pool_metadata == md
        zeros = np.zeros(md.shape, md.dtype_str)
        p.put(torch.from_numpy(zeros) if md.backend_type == "torch" else zeros)
        got = c.get()
        assert got is not None and tuple(got.shape) == md.shape
        assert isinstance(got, torch.Tensor if md.backend_type == "torch" else np.ndarray)
        assert c.get(history_len=md.history_len).shape[0] == md.history_len or md.history_len == 1


def test_assigned_backend_torch_cuda_is_honoured(pool_name):
    n = pool_name()
    md = MetadataCreator.from_sample(n, np.zeros(4, np.float32))
    md.backend_type = "torch_cuda"
    assert md.backend_type == "torch_cuda" and md.device == "cuda:0"  # the backend's device
    assert "torch_cuda" in repr(md)
    try:
        p = TensorProducer(md)
    except tensor_ipc.UnsupportedError as e:  # no CUDA on this machine: the pool would be on the GPU
        assert "CUDA" in str(e) or "cuda" in str(e)
    else:  # pragma: no cover - with a GPU
        assert p.pool_metadata.backend_type == "torch_cuda"
        p.cleanup()
    md.backend_type = "numpy"
    assert md.device == "cpu"


BAD_ASSIGNMENTS = [
    ("name", "a b"), ("name", ""), ("name", 7), ("name", "a\x00b"),
    ("shape", (0, 3)), ("shape", (2, -1)), ("shape", (1,) * 9), ("shape", "23"), ("shape", 5),
    ("shape", (1.5,)),
    ("dtype_str", "floaty"), ("dtype_str", object), ("dtype_str", None),
    ("backend_type", "jax"), ("backend_type", None),
    ("history_len", 0), ("history_len", -1), ("history_len", 1.5), ("history_len", "2"),
    ("history_len", True), ("history_len", 1 << 40), ("history_len", 100000),
    ("device", "cuda:0"), ("device", "gpu"), ("device", 3), ("device", "x" * 100),
    ("element_size", 8), ("total_size", 1), ("shm_name", "/tipc.other"),
    ("creator_pid", "me"), ("payload", 12),
]


@pytest.mark.parametrize("field,value", BAD_ASSIGNMENTS, ids=[f"{f}={v!r:.20}" for f, v in BAD_ASSIGNMENTS])
def test_bad_assignment_raises_and_changes_nothing(pool_name, field, value):
    n = pool_name()
    md = MetadataCreator.from_sample(n, np.zeros((2, 3), np.float32), history_len=2)
    before = _state(md)
    with pytest.raises(tensor_ipc.InvalidArgumentError) as e:
        setattr(md, field, value)
    # a bad name is named itself; any other bad value, with the pool's name
    assert (repr(value) if field == "name" and value else n) in str(e.value) or (
        field == "name" and "name" in str(e.value)), str(e.value)
    assert _state(md) == before
    with TensorProducer(md) as p:  # and the pool made from it has the old values
        assert p.pool_metadata.to_dict() | {"creator_pid": 0} == before[0]


def test_unknown_attribute_refused(pool_name):
    md = MetadataCreator.from_sample(pool_name(), np.zeros(2, np.float32))
    with pytest.raises(AttributeError):
        md.histroy_len = 3  # a typo must not pass silently


def test_metadata_of_a_live_pool_cannot_change(pool_name):
    n = pool_name()
    md = MetadataCreator.from_sample(n, np.zeros(2, np.float32), history_len=2)
    with TensorProducer(md) as p, TensorConsumer(md) as c:
        for owner in (p, c):
            before = _state(owner.pool_metadata)
            with pytest.raises(tensor_ipc.InvalidArgumentError, match=n):
                owner.pool_metadata.history_len = 3
            assert _state(owner.pool_metadata) == before
        # the user's own object stays editable, and editing it leaves the pool alone
        md.history_len = 4
        md.shape = (3,)
        assert p.pool_metadata.history_len == 2 and p.pool_metadata.shape == (2,)
        p.put(np.ones(2, np.float32))
        np.testing.assert_array_equal(c.get(), [1, 1])
