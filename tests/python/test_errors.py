"""Every bad input raises the right TensorIPCError subclass, with a sentence
naming the pool and the cause, and leaves nothing behind (no pool created,
nothing written)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from torch_or_skip import HAVE_TORCH, torch

import tensor_ipc
from tensor_ipc import (
    ExistsError,
    InvalidArgumentError,
    MetadataCreator,
    MismatchError,
    PoolMetadata,
    TensorConsumer,
    TensorIPCError,
    TensorProducer,
    UnsupportedError,
)


def shm_exists(name: str) -> bool:
    return os.path.exists("/dev/shm/tipc." + name.replace("/", "."))


BAD_NAMES = {
    "empty": "",
    "too_long": "a" * 64,
    "space": "a b",
    "dot": "a.b",
    "non_ascii": "kam\u00e9ra",
    "leading_slash": "/a",
    "trailing_slash": "a/",
    "double_slash": "a//b",
    "star": "cam*",
    "newline": "a\nb",
    "nul": "a\x00b",
}


@pytest.mark.parametrize("which", sorted(BAD_NAMES))
def test_bad_pool_names(which):
    name = BAD_NAMES[which]
    with pytest.raises(InvalidArgumentError) as e:
        PoolMetadata(name, (2,), "float32")
    assert "name" in str(e.value)
    with pytest.raises(InvalidArgumentError):
        TensorProducer.from_sample(name, np.zeros(2, np.float32))
    with pytest.raises(InvalidArgumentError):
        TensorConsumer.from_sample(name, np.zeros(2, np.float32))


def test_longest_name_and_all_allowed_characters(pool_name):
    base = pool_name()
    name = (base + "_AZaz09-x/y")
    name = name + "q" * (63 - len(name))
    assert len(name) == 63
    with TensorProducer.from_sample(name, np.zeros(1, np.int8)) as p:
        assert shm_exists(name)
        assert p.put(np.ones(1, np.int8)) == 0
    assert not shm_exists(name)


@pytest.mark.parametrize("shape", [(0,), (-1,), (2, 0, 3), (3, -2), (1,) * 9, (1.5,)], ids=str)
def test_bad_shapes(pool_name, shape):
    n = pool_name()
    with pytest.raises(InvalidArgumentError):
        PoolMetadata(n, shape, "float32")
    assert not shm_exists(n)


def test_shape_overflow(pool_name):
    n = pool_name()
    with pytest.raises(InvalidArgumentError, match="overflow"):
        PoolMetadata(n, (2**40, 2**40), "float32")
    with pytest.raises(InvalidArgumentError):
        PoolMetadata(n, (2**62,), "float64", history_len=4)


@pytest.mark.parametrize("history_len", [0, -1, 65537, 1.5, None, "2"], ids=str)
def test_bad_history_len(pool_name, history_len):
    n = pool_name()
    with pytest.raises(InvalidArgumentError) as e:
        PoolMetadata(n, (2,), "float32", history_len=history_len)
    assert n in str(e.value) and "history_len" in str(e.value)
    with pytest.raises(InvalidArgumentError):
        TensorProducer.from_sample(n, np.zeros(2, np.float32), history_len=history_len)
    assert not shm_exists(n)


@pytest.mark.parametrize("dtype", ["floaty", "float128", "str", "object", "U8", "datetime64", ""])
def test_unknown_dtype_string(pool_name, dtype):
    n = pool_name()
    with pytest.raises(InvalidArgumentError) as e:
        PoolMetadata(n, (2,), dtype)
    # the sentence says which dtype was refused
    msg = str(e.value)
    assert f"'{dtype}'" in msg or (dtype and dtype in msg), f"message does not name dtype {dtype!r}: {msg}"


def test_unsupported_sample_dtypes(pool_name):
    n = pool_name()
    for sample in (np.zeros(2, "U4"), np.zeros(2, object), np.zeros(2, np.float128)):
        with pytest.raises(InvalidArgumentError):
            TensorProducer.from_sample(n, sample)
    assert not shm_exists(n)


@pytest.mark.parametrize("backend", ["jax", "cuda", "Numpy", "torch_cpu"])
def test_unknown_backend(pool_name, backend):
    n = pool_name()
    with pytest.raises(InvalidArgumentError) as e:
        PoolMetadata(n, (2,), "float32", backend)
    assert "backend" in str(e.value)
    with pytest.raises(InvalidArgumentError):
        TensorProducer.from_sample(n, np.zeros(2, np.float32), backend=backend)
    assert not shm_exists(n)
    with pytest.raises(InvalidArgumentError):
        PoolMetadata(n, (2,), "float32", "")


def test_backend_sample_mismatch(pool_name):
    n = pool_name()
    with pytest.raises(InvalidArgumentError):
        MetadataCreator.from_sample(n, np.zeros(2), backend="torch")
    with pytest.raises(InvalidArgumentError):
        MetadataCreator.from_sample(n, torch.zeros(2), backend="numpy")
    with pytest.raises(InvalidArgumentError):
        TensorProducer.from_sample(n, torch.zeros(2), backend="numpy")
    assert not shm_exists(n)


def test_bad_device(pool_name):
    n = pool_name()
    with pytest.raises(InvalidArgumentError, match="device"):
        PoolMetadata(n, (2,), "float32", "numpy", 1, "cuda:0")
    with pytest.raises(InvalidArgumentError, match="device"):
        PoolMetadata(n, (2,), "float32", "torch", 1, "gpu")


def test_torch_cuda_unsupported_without_gpu(pool_name):
    if torch.cuda.is_available():  # pragma: no cover - this machine has no GPU
        pytest.skip("a GPU is present: the torch_cuda backend may work here")
    n = pool_name()
    md = PoolMetadata(n, (2, 2), "float32", "torch_cuda", 2)
    assert md.device == "cuda:0"
    with pytest.raises(UnsupportedError, match="CUDA not available"):
        TensorProducer(md)
    assert not shm_exists(n)
    # a consumer of it is refused the same way, or is lazy and gets nothing
    try:
        c = TensorConsumer(md)
    except UnsupportedError as e:
        assert "CUDA not available" in str(e)
    else:
        try:
            assert c.get() is None
        finally:
            c.cleanup()
    # a CPU sample cannot make a torch_cuda pool
    with pytest.raises(InvalidArgumentError):
        TensorProducer.from_sample(n, torch.zeros(2), backend="torch_cuda")
    assert not shm_exists(n)


def test_mismatched_consumer_names_every_field(pool_name):
    n = pool_name()
    s = np.zeros((2, 3), np.float32)
    with TensorProducer.from_sample(n, s, history_len=3) as p:
        p.put(s + 1)
        cases = [
            (PoolMetadata(n, (2, 4), "float32", "numpy", 3), ["shape", "(2,4)", "(2,3)"]),
            (PoolMetadata(n, (2, 3), "float64", "numpy", 3), ["dtype", "float64", "float32"]),
            (PoolMetadata(n, (2, 3), "float32", "numpy", 4), ["history_len", "4", "3"]),
            (PoolMetadata(n, (3, 2), "int8", "torch", 2),
             ["shape", "dtype", "history_len", "int8", "(3,2)"]),
        ]
        for md, words in cases:
            c = TensorConsumer(md)
            try:
                for op in (c.get, lambda: c.get(history_len=2), c.acquire):
                    with pytest.raises(MismatchError) as e:
                        op()
                    msg = str(e.value)
                    assert n in msg
                    for w in words:
                        assert w in msg, (w, msg)
                with pytest.raises(MismatchError):
                    c.connected
            finally:
                c.cleanup()
        # the backend is not part of a host pool's identity: a torch reader reads
        if HAVE_TORCH:
            with TensorConsumer(PoolMetadata(n, (2, 3), "float32", "torch", 3)) as t:
                assert (t.get().numpy() == 1).all()
        # PoolMetadata.check_matches says the same without a pool
        with pytest.raises(MismatchError, match="shape"):
            p.pool_metadata.check_matches(PoolMetadata(n, (9,), "float32", "numpy", 3))
        assert p.frames_written == 1


def test_second_producer_refused(pool_name):
    n = pool_name()
    s = np.zeros((2,), np.float32)
    with TensorProducer.from_sample(n, s, history_len=2) as p:
        c = TensorConsumer.from_sample(n, s, history_len=2)
        p.put(s + 1)
        for other in (s, np.zeros((5,), np.float32), torch.zeros(2)):
            with pytest.raises(ExistsError) as e:
                TensorProducer.from_sample(n, other, history_len=2)
            assert n in str(e.value) and str(os.getpid()) in str(e.value)
            assert isinstance(e.value, FileExistsError)
        # the first producer is untouched
        assert p.put(s + 2) == 1
        np.testing.assert_array_equal(c.get(history_len=2), [[2, 2], [1, 1]])
        c.cleanup()


@pytest.mark.skipif(os.geteuid() != 0, reason="chowns a segment: needs root")
def test_foreign_segment_read_only_when_its_owner_is_trusted(pool_name):
    # Anyone can create a file under a pool's name first: a consumer reads
    # only segments of its own user or root, whatever their mode, unless it
    # names the owner it trusts.
    n = pool_name()
    s = np.arange(3, dtype=np.int32)
    with TensorProducer.from_sample(n, s, history_len=2) as p:
        p.put(s + 7)
        path = "/dev/shm/tipc." + n.replace("/", ".")
        os.chown(path, 65534, 65534)
        os.chmod(path, 0o666)
        c = TensorConsumer.from_sample(n, s, history_len=2)
        with pytest.raises(tensor_ipc.PermissionError) as e:
            c.get()
        assert "belongs to uid 65534" in str(e.value) and n in str(e.value)
        trusting = TensorConsumer.from_sample(n, s, history_len=2, trusted_owner=65534)
        np.testing.assert_array_equal(trusting.get(), s + 7)
        for bad in ("65534", 1.5, True, -2, 2**40):
            with pytest.raises(InvalidArgumentError):
                TensorConsumer.from_sample(n, s, history_len=2, trusted_owner=bad)
        trusting.cleanup()
        c.cleanup()
        os.chown(path, 0, 0)


@pytest.mark.parametrize("history_len", [0, -1, 4, 100], ids=str)
def test_get_bad_history_len(pool_name, history_len):
    n = pool_name()
    s = np.zeros((2,), np.float32)
    with TensorProducer.from_sample(n, s, history_len=3) as p, \
            TensorConsumer.from_sample(n, s, history_len=3) as c:
        p.put(s + 1)
        with pytest.raises(InvalidArgumentError) as e:
            c.get(history_len=history_len)
        assert n in str(e.value)
        with pytest.raises(InvalidArgumentError):
            c.acquire(history_len=history_len)
        with pytest.raises(InvalidArgumentError):
            with c.view(history_len=history_len):
                pass
        np.testing.assert_array_equal(c.get(), [1, 1])  # still fine


@pytest.mark.parametrize("history_len", [1.0, "1", None], ids=str)
def test_get_history_len_wrong_type(pool_name, history_len):
    n = pool_name()
    s = np.zeros((2,), np.float32)
    with TensorProducer.from_sample(n, s, history_len=3) as p, \
            TensorConsumer.from_sample(n, s, history_len=3) as c:
        p.put(s + 1)
        with pytest.raises(InvalidArgumentError):
            c.get(history_len=history_len)
        with pytest.raises((InvalidArgumentError, TypeError)):
            c.acquire(history_len=history_len)
        with pytest.raises((InvalidArgumentError, TypeError)):
            with c.view(history_len=history_len):
                pass


def test_get_bad_history_len_while_not_connected(pool_name):
    c = TensorConsumer.from_sample(pool_name(), np.zeros(2), history_len=2)
    try:
        with pytest.raises(InvalidArgumentError):
            c.get(history_len=3)
        with pytest.raises(InvalidArgumentError):
            c.get(history_len=0)
    finally:
        c.cleanup()


def test_wrong_types_for_constructors(pool_name):
    with pytest.raises(InvalidArgumentError):
        TensorProducer({"name": pool_name()})
    with pytest.raises(InvalidArgumentError):
        TensorConsumer("name")


def test_exception_hierarchy():
    from tensor_ipc import errors

    for cls in (InvalidArgumentError, MismatchError, ExistsError, UnsupportedError,
                errors.NotConnectedError, errors.TimeoutError, errors.NoSpaceError,
                errors.PermissionError, errors.CorruptError, errors.NoDataError,
                errors.BusyError, errors.ClosedError, errors.LimitError):
        assert issubclass(cls, TensorIPCError)
        assert errors.exception_for(cls.status) is cls
    assert issubclass(InvalidArgumentError, ValueError)
    assert issubclass(tensor_ipc.TimeoutError, TimeoutError)
    assert issubclass(ExistsError, FileExistsError)
    assert issubclass(UnsupportedError, NotImplementedError)
    assert errors.exception_for(-2) is MemoryError


def test_no_space_is_an_error_at_creation(pool_name):
    """A pool larger than /dev/shm fails at creation with NoSpaceError."""
    st = os.statvfs("/dev/shm")
    free = st.f_bavail * st.f_frsize
    n = pool_name()
    frame = 1 << 30
    history = 2 * free // frame + 2  # far over: refused by the up-front free-space check
    if history > 65536:
        pytest.skip("/dev/shm is too large to fill")
    with pytest.raises(tensor_ipc.NoSpaceError) as e:
        TensorProducer(PoolMetadata(n, (frame,), "uint8", "numpy", int(history)))
    assert n in str(e.value)
    assert not shm_exists(n)


# ------------------------------------------------------------------ timeouts

BAD_TIMEOUTS = {
    "nan": float("nan"),
    "inf": float("inf"),
    "minus_inf": float("-inf"),
    "minus_5": -5,
    "minus_tiny": -1e-9,  # would round to -1 ns, TIMEOUT_INFINITE: must still be refused
    "too_long": 1e300,
    "string": "1",
    "bool": True,
}


def _refused(e, name, value):
    msg = str(e.value)
    assert name in msg, msg
    if isinstance(value, float) and value != value:
        assert "nan" in msg, msg
    elif isinstance(value, float) and abs(value) == float("inf"):
        assert "inf" in msg, msg
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        assert "negative" in msg, msg
    return msg


@pytest.mark.parametrize("which", sorted(BAD_TIMEOUTS))
def test_bad_put_timeout_refused_and_nothing_created(pool_name, which):
    n = pool_name()
    value = BAD_TIMEOUTS[which]
    with pytest.raises(InvalidArgumentError) as e:
        TensorProducer.from_sample(n, np.zeros(2, np.float32), put_timeout=value)
    _refused(e, n, value)
    assert not shm_exists(n)
    TensorProducer.from_sample(n, np.zeros(2, np.float32), put_timeout=0.5).cleanup()  # name is free


@pytest.mark.parametrize("connected", [True, False], ids=["connected", "no_producer"])
@pytest.mark.parametrize("which", sorted(BAD_TIMEOUTS))
def test_bad_wait_and_get_timeouts_refused(pool_name, which, connected):
    n = pool_name()
    value = BAD_TIMEOUTS[which]
    p = TensorProducer.from_sample(n, np.zeros(2, np.float32)) if connected else None
    c = TensorConsumer.from_sample(n, np.zeros(2, np.float32))
    try:
        if p is not None:
            p.put(np.ones(2, np.float32))
        for call in (lambda: c.wait(timeout=value), lambda: c.wait(value),
                     lambda: c.get(block=True, timeout=value)):
            with pytest.raises(InvalidArgumentError) as e:
                call()
            _refused(e, n, value)
        assert c.last_index is None  # nothing was read
        if p is not None:
            np.testing.assert_array_equal(c.get(), [1, 1])
    finally:
        c.cleanup()
        if p is not None:
            p.cleanup()


def test_put_timeout_none_waits_forever_and_the_default_is_one_second(pool_name):
    import threading
    import time

    from tensor_ipc import TimeoutError as TipcTimeout

    n = pool_name()
    sample = np.zeros(2, np.float32)
    # history_len 1: a held view blocks the only slot.
    for put_timeout, expect_s in (((), 1.0), ((0.2,), 0.2)):
        kwargs = {"put_timeout": put_timeout[0]} if put_timeout else {}
        with TensorProducer.from_sample(n, sample, **kwargs) as p, \
                TensorConsumer.from_sample(n, sample) as c:
            p.put(sample)
            with c.view():
                t0 = time.monotonic()
                with pytest.raises(TipcTimeout):
                    p.put(sample + 1)
                took = time.monotonic() - t0
            assert expect_s * 0.9 <= took < expect_s + 2, took
    with TensorProducer.from_sample(n, sample, put_timeout=None) as p, \
            TensorConsumer.from_sample(n, sample) as c:
        p.put(sample)
        done = threading.Event()
        result = {}

        def put():
            try:
                result["index"] = p.put(sample + 7)
            except Exception as exc:  # pragma: no cover - reported below
                result["error"] = exc
            done.set()

        with c.view():
            th = threading.Thread(target=put)
            th.start()
            # Longer than the 1 s default: put is still waiting for the reader.
            assert not done.wait(1.5), result
        assert done.wait(10), "put did not finish after the view was released"
        th.join()
        assert result == {"index": 1}
        np.testing.assert_array_equal(c.get(), [7, 7])
