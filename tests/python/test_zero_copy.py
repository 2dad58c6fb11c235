"""Zero-copy frames: the buffer protocol, __array_interface__, DLPack and
producer loans all see pool memory itself, never a copy."""

from __future__ import annotations

import ctypes
import sys

import numpy as np
import pytest
from torch_or_skip import torch

from tensor_ipc import (
    BusyError,
    Frame,
    TensorConsumer,
    TensorProducer,
    TimeoutError,
)


@pytest.fixture
def ring1(pool_name):
    """A float32 (2, 3) pool of ONE frame, so every put reuses the same slot."""
    s = np.zeros((2, 3), np.float32)
    p = TensorProducer.from_sample(pool_name(), s, history_len=1)
    c = TensorConsumer.from_sample(p.pool_metadata.name, s, history_len=1)
    yield p, c
    c.cleanup()
    p.cleanup()


def ptr_of(obj) -> int:
    return obj.__array_interface__["data"][0]


def _capsule_name(cap) -> bytes:
    f = ctypes.pythonapi.PyCapsule_GetName
    f.restype = ctypes.c_char_p
    f.argtypes = [ctypes.py_object]
    return f(cap)


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device", DLDevice),
        ("ndim", ctypes.c_int32),
        ("dtype", DLDataType),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


class DLManagedTensorVersioned(ctypes.Structure):
    _fields_ = [
        ("major", ctypes.c_uint32),
        ("minor", ctypes.c_uint32),
        ("manager_ctx", ctypes.c_void_p),
        ("deleter", ctypes.c_void_p),
        ("flags", ctypes.c_uint64),
        ("dl_tensor", DLTensor),
    ]


def _capsule_tensor(cap, versioned: bool):
    f = ctypes.pythonapi.PyCapsule_GetPointer
    f.restype = ctypes.c_void_p
    f.argtypes = [ctypes.py_object, ctypes.c_char_p]
    addr = f(cap, b"dltensor_versioned" if versioned else b"dltensor")
    if versioned:
        return DLManagedTensorVersioned.from_address(addr)
    return DLTensor.from_address(addr)  # DLManagedTensor starts with its DLTensor


def test_numpy_asarray_is_pool_memory(ring1):
    p, c = ring1
    p.put(np.full((2, 3), 1, np.float32))
    frames = c.acquire()
    f = frames[0]
    assert isinstance(f, Frame)
    assert (f.index, f.shape, f.dtype, f.nbytes, f.readonly) == (0, (2, 3), "float32", 24, 1)
    assert f.timestamp_ns > 0
    arr = np.asarray(f)
    assert arr.shape == (2, 3) and arr.dtype == np.float32
    assert ptr_of(arr) == ptr_of(f)
    assert (arr == 1).all()
    f.release()
    # the only slot is rewritten: the old array sees the new value (no copy)
    p.put(np.full((2, 3), 2, np.float32))
    assert (arr == 2).all()
    # a loan writes straight into that slot (the producer maps the segment at
    # its own address): the consumer's old array sees the bytes immediately
    with p.loan(as_numpy=True) as slot:
        slot[...] = 3
        assert (arr == 3).all()
    assert (arr == 3).all()
    # a second acquisition of the same slot maps the same address
    again = c.acquire()[0]
    assert again.index == 2 and ptr_of(again) == ptr_of(f)
    again.release()


def test_buffer_protocol_is_read_only_and_exact(ring1):
    p, c = ring1
    p.put(np.arange(6, dtype=np.float32).reshape(2, 3))
    f = c.acquire()[0]
    try:
        mv = memoryview(f)
        assert mv.readonly and mv.format == "f" and mv.shape == (2, 3) and mv.nbytes == 24
        assert mv.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
        with pytest.raises(TypeError):
            mv[0, 0] = 1.0
        mv.release()
        arr = np.asarray(f)
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[0, 0] = 7
        with pytest.raises(ValueError):
            arr.setflags(write=True)
        with pytest.raises((BufferError, TypeError)):
            (ctypes.c_char * 24).from_buffer(f)  # asks for a writable buffer
        # asking the buffer protocol itself for a writable buffer fails
        getbuf = ctypes.pythonapi.PyObject_GetBuffer
        getbuf.argtypes = [ctypes.py_object, ctypes.c_void_p, ctypes.c_int]
        getbuf.restype = ctypes.c_int
        pybuf = ctypes.create_string_buffer(256)  # > sizeof(Py_buffer)
        PyBUF_WRITABLE = 0x1
        with pytest.raises(BufferError, match="read-only"):
            getbuf(f, ctypes.addressof(pybuf), PyBUF_WRITABLE)
        ro = np.frombuffer(f, np.float32)  # a read-only request works
        assert not ro.flags.writeable and ptr_of(ro) == ptr_of(f)
        del ro
        assert (np.asarray(f) == np.arange(6).reshape(2, 3)).all()
        tb = torch.frombuffer(f, dtype=torch.float32)
        assert tb.data_ptr() == ptr_of(f)
        assert tb.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    finally:
        f.release()


def test_array_interface(pool_name):
    cases = {"float32": "<f4", "uint8": "|u1", "bool": "|b1", "int64": "<i8",
             "float16": "<f2", "complex64": "<c8", "int8": "|i1", "float64": "<f8"}
    for dtype, typestr in cases.items():
        s = np.zeros((4, 1, 2), dtype)
        with TensorProducer.from_sample(pool_name(), s, history_len=1) as p, \
                TensorConsumer.from_sample(p.pool_metadata.name, s, history_len=1) as c:
            p.put(np.ones((4, 1, 2), dtype))
            f = c.acquire()[0]
            ai = f.__array_interface__
            assert ai["typestr"] == typestr, dtype
            assert ai["shape"] == (4, 1, 2)
            assert ai["version"] == 3
            assert ai["data"][1] is True  # read-only
            assert ai.get("strides") is None  # C order
            assert ai["data"][0] % 64 == 0  # frames are 64-byte aligned
            assert np.asarray(f).dtype == np.dtype(dtype)
            f.release()
    # bfloat16 shows its raw bits as uint16 to numpy
    s = torch.zeros((3,), dtype=torch.bfloat16)
    with TensorProducer.from_sample(pool_name(), s) as p, \
            TensorConsumer.from_sample(p.pool_metadata.name, s) as c:
        p.put(torch.tensor([1.0, 2.0, -1.0], dtype=torch.bfloat16))
        f = c.acquire()[0]
        assert f.__array_interface__["typestr"] == "<u2"
        assert f.dtype == "bfloat16"
        f.release()


def test_dlpack_device_and_capsule_names(ring1):
    p, c = ring1
    p.put(np.full((2, 3), 4, np.float32))
    f = c.acquire()[0]
    try:
        assert f.__dlpack_device__() == (1, 0)
        assert _capsule_name(f.__dlpack__()) == b"dltensor"
        assert _capsule_name(f.__dlpack__(max_version=(1, 0))) == b"dltensor_versioned"
        assert _capsule_name(f.__dlpack__(max_version=(1, 3))) == b"dltensor_versioned"
        assert _capsule_name(f.__dlpack__(max_version=(0, 8))) == b"dltensor"
        # every keyword of the protocol is accepted
        for kw in ({"stream": None}, {"dl_device": (1, 0)}, {"copy": False}, {"copy": True},
                   {"stream": None, "max_version": (1, 0), "dl_device": (1, 0), "copy": False}):
            assert _capsule_name(f.__dlpack__(**kw)) in (b"dltensor", b"dltensor_versioned"), kw
        with pytest.raises(BufferError):
            f.__dlpack__(dl_device=(2, 0))  # CUDA: the frame is not there
        with pytest.raises(TypeError):
            f.__dlpack__(None)  # keyword-only, as the protocol says
    finally:
        f.release()


def test_dlpack_versioned_capsule_contents(ring1):
    p, c = ring1
    p.put(np.full((2, 3), 4, np.float32))
    f = c.acquire()[0]
    try:
        cap = f.__dlpack__(max_version=(1, 0))
        t = _capsule_tensor(cap, versioned=True)
        assert (t.major, t.minor) == (1, 0)
        assert t.flags & 1, "consumer frames are exported read-only (DLPACK_FLAG_BITMASK_READ_ONLY)"
        d = t.dl_tensor
        assert d.data == ptr_of(f)
        assert (d.device.device_type, d.device.device_id) == (1, 0)
        assert d.ndim == 2 and (d.shape[0], d.shape[1]) == (2, 3)
        assert (d.dtype.code, d.dtype.bits, d.dtype.lanes) == (2, 32, 1)  # kDLFloat
        assert not d.strides and d.byte_offset == 0
        # copy=True: a private copy with the same values, at another address
        capc = f.__dlpack__(max_version=(1, 0), copy=True)
        tc = _capsule_tensor(capc, versioned=True)
        assert tc.dl_tensor.data != ptr_of(f)
        assert not (tc.flags & 1)
        vals = (ctypes.c_float * 6).from_address(tc.dl_tensor.data)
        assert list(vals) == [4.0] * 6
        del t, d, tc, vals
        del cap, capc  # unconsumed capsules free themselves
        cap = f.__dlpack__()
        plain = _capsule_tensor(cap, versioned=False)
        assert plain.data == ptr_of(f) and plain.ndim == 2
        del plain, cap
    finally:
        f.release()


def test_torch_from_dlpack_shares_memory(ring1):
    p, c = ring1
    p.put(np.full((2, 3), 1, np.float32))
    f = c.acquire()[0]
    t = torch.from_dlpack(f)
    assert t.dtype == torch.float32 and tuple(t.shape) == (2, 3)
    assert t.data_ptr() == ptr_of(f)
    assert torch.equal(t, torch.ones(2, 3))
    f.release()
    p.put(np.full((2, 3), 5, np.float32))
    assert torch.equal(t, torch.full((2, 3), 5.0))  # not a copy
    # copy=True through the capsule is a copy
    g = c.acquire()[0]
    tc = torch.utils.dlpack.from_dlpack(g.__dlpack__(copy=True))
    assert tc.data_ptr() != ptr_of(g)
    g.release()
    p.put(np.full((2, 3), 6, np.float32))
    assert torch.equal(tc, torch.full((2, 3), 5.0))
    assert torch.equal(t, torch.full((2, 3), 6.0))


def test_numpy_from_dlpack_shares_memory_read_only(ring1):
    p, c = ring1
    p.put(np.full((2, 3), 1, np.float32))
    f = c.acquire()[0]
    a = np.from_dlpack(f)
    assert a.shape == (2, 3) and a.dtype == np.float32
    assert ptr_of(a) == ptr_of(f)
    assert not a.flags.writeable
    f.release()
    p.put(np.full((2, 3), 8, np.float32))
    assert (a == 8).all()


def _torch_has_bool_dlpack() -> bool:
    try:
        torch.utils.dlpack.to_dlpack(torch.zeros(1, dtype=torch.bool))
        return True
    except RuntimeError:  # torch < 2.1 (Debian 12's 1.13): "Bool type is not supported by dlpack"
        return False


_BOOL = pytest.param(torch.bool, marks=pytest.mark.xfail(
    not _torch_has_bool_dlpack(), raises=RuntimeError, strict=True,
    reason="this torch has no DLPack bool (kDLBool); use np.asarray(frame) or torch.frombuffer"))


@pytest.mark.parametrize("dt", [torch.bfloat16, _BOOL, torch.complex64, torch.int16,
                                torch.uint8, torch.int8, torch.float16, torch.float64,
                                torch.int64], ids=str)
def test_torch_from_dlpack_dtypes(pool_name, dt):
    s = torch.zeros((5,), dtype=dt)
    src = (torch.arange(5) % 2).to(dt)
    with TensorProducer.from_sample(pool_name(), s) as p, \
            TensorConsumer.from_sample(p.pool_metadata.name, s) as c:
        p.put(src)
        f = c.acquire()[0]
        t = torch.from_dlpack(f)  # Debian's torch 1.13: the unversioned capsule
        assert t.dtype == dt and torch.equal(t, src)
        assert t.data_ptr() == ptr_of(f)
        del t
        f.release()


def test_torch_pool_views_are_torch(pool_name):
    s = torch.zeros((2, 2), dtype=torch.int32)
    with TensorProducer.from_sample(pool_name(), s, history_len=2) as p, \
            TensorConsumer.from_sample(p.pool_metadata.name, s, history_len=2) as c:
        with p.loan() as slot:
            assert isinstance(slot, torch.Tensor) and slot.dtype == torch.int32
            slot.fill_(7)
        with c.view() as (v,):
            assert isinstance(v, torch.Tensor) and torch.equal(v, torch.full((2, 2), 7, dtype=torch.int32))
        with c.view(as_numpy=True) as (v,):
            assert isinstance(v, np.ndarray) and (v == 7).all()


def test_view_context_holds_then_releases(pool_name):
    s = np.zeros((3,), np.int64)
    p = TensorProducer.from_sample(pool_name(), s, history_len=1, put_timeout=0.1)
    c = TensorConsumer.from_sample(p.pool_metadata.name, s, history_len=1)
    try:
        p.put(np.array([1, 2, 3]))
        with c.view() as (v,):
            assert not v.flags.writeable
            np.testing.assert_array_equal(v, [1, 2, 3])
            # the producer may not overwrite a held frame: put times out
            with pytest.raises(TimeoutError) as e:
                p.put(np.array([4, 5, 6]))
            assert p.pool_metadata.name in str(e.value)
            assert p.frames_written == 1
            np.testing.assert_array_equal(v, [1, 2, 3])
        assert p.put(np.array([4, 5, 6])) == 1  # released at the end of the block
        np.testing.assert_array_equal(v, [4, 5, 6])  # still mapped: sees the new frame
        frames = c.acquire()
        with pytest.raises(TimeoutError):
            p.put(np.array([7, 8, 9]))
        frames[0].release()
        frames[0].release()  # idempotent
        assert p.put(np.array([7, 8, 9])) == 2
        # dropping a Frame without release() lets the producer go on too
        frames = c.acquire()
        del frames
        assert p.put(np.array([1, 1, 1])) == 3
    finally:
        c.cleanup()
        p.cleanup()


def test_loan_publishes_at_exit(pool_name):
    s = np.zeros((2, 2), np.uint8)
    with TensorProducer.from_sample(pool_name(), s, history_len=3) as p, \
            TensorConsumer.from_sample(p.pool_metadata.name, s, history_len=3) as c:
        p.put(np.full((2, 2), 1, np.uint8))
        loan = p.loan()
        with loan as slot:
            assert isinstance(slot, np.ndarray) and slot.flags.writeable
            assert slot.shape == (2, 2) and slot.dtype == np.uint8
            slot[...] = 42
            assert p.frames_written == 1
            np.testing.assert_array_equal(c.get(), np.full((2, 2), 1))  # not published yet
            with pytest.raises(BusyError):
                p.put(np.zeros((2, 2), np.uint8))  # one loan at a time
        assert loan.index == 1 and p.frames_written == 2
        np.testing.assert_array_equal(c.get(), np.full((2, 2), 42))
        assert c.last_index == 1


@pytest.mark.parametrize("history_len", [2, 3, 4])
def test_loan_exception_discards(pool_name, history_len):
    s = np.zeros((4,), np.float32)
    with TensorProducer.from_sample(pool_name(), s, history_len=history_len) as p, \
            TensorConsumer.from_sample(p.pool_metadata.name, s, history_len=history_len) as c:
        for v in range(1, history_len + 1):  # fill the ring: the loan reuses a written slot
            p.put(np.full(4, v, np.float32))
        before = c.get(history_len=history_len)
        loan = p.loan()
        with pytest.raises(KeyError):
            with loan as slot:
                slot[...] = 99
                raise KeyError("abandon")
        assert loan.index is None
        assert p.frames_written == history_len
        np.testing.assert_array_equal(c.get(), np.full(4, history_len))
        assert c.last_index == history_len - 1
        after = c.get(history_len=history_len)
        assert not (after == 99).any(), f"discarded loan data is visible: {after[:, 0]}"
        # the newest frames are intact; the oldest slot (reused by the loan) is
        # its old frame or padding, never the discarded bytes
        np.testing.assert_array_equal(after[:-1], before[:-1])
        assert (after[-1] == before[-1]).all() or not after[-1].any()
        # the producer goes on normally
        assert p.put(np.full(4, 50, np.float32)) == history_len
        np.testing.assert_array_equal(c.get(), np.full(4, 50))


def test_loan_exception_discards_history1(pool_name):
    s = np.zeros((4,), np.float32)
    with TensorProducer.from_sample(pool_name(), s, history_len=1) as p, \
            TensorConsumer.from_sample(p.pool_metadata.name, s, history_len=1) as c:
        p.put(np.full(4, 1, np.float32))
        with pytest.raises(KeyError):
            with p.loan() as slot:
                slot[...] = 99
                raise KeyError("abandon")
        assert p.frames_written == 1
        got = c.get()
        # the header: "discard: its previous frame stays readable"; at the very
        # least the discarded bytes must never be returned as frame 0
        assert got is None or (got == 1).all(), f"discarded loan data returned: {got}"


def test_loan_after_cleanup_and_frame_keeps_owner(pool_name):
    s = np.zeros((2,), np.float64)
    p = TensorProducer.from_sample(pool_name(), s)
    loan = p.loan()
    slot = loan.__enter__()
    slot[...] = 3
    loan.__exit__(None, None, None)
    p.cleanup()
    from tensor_ipc import ClosedError

    with pytest.raises(ClosedError):
        with p.loan():
            pass


def test_frame_refcounts_stable_over_dlpack_exports(ring1):
    p, c = ring1
    p.put(np.ones((2, 3), np.float32))
    f = c.acquire()[0]
    base = sys.getrefcount(f)
    for _ in range(200):
        cap = f.__dlpack__()
        del cap
        cap = f.__dlpack__(max_version=(1, 0), copy=True)
        del cap
        t = torch.from_dlpack(f)
        del t
        a = np.asarray(f)
        del a
    assert sys.getrefcount(f) == base
    f.release()


# A loan's array is the slot itself only inside its `with` block: after commit
# (or discard) the producer has published (or given back) the slot, so writes
# through the array must fail and never change a published frame. (Views the
# user derived from it inside the block are not covered: see guide-python.md.)
@pytest.mark.parametrize("end", ["commit", "discard"])
@pytest.mark.parametrize("kind", ["numpy", "torch", "torch_as_numpy", "torch_bfloat16"])
def test_loan_array_unusable_after_the_block(pool_name, kind, end):
    if kind == "numpy":
        s = np.zeros((4, 3), np.float32)
    elif kind == "torch_bfloat16":
        s = torch.zeros((4, 3), dtype=torch.bfloat16)
    else:
        s = torch.zeros((4, 3), dtype=torch.float32)
    fill = (lambda v: torch.full((4, 3), v, dtype=s.dtype)) if isinstance(s, torch.Tensor) \
        else (lambda v: np.full((4, 3), v, np.float32))
    with TensorProducer.from_sample(pool_name(), s, history_len=2) as p, \
            TensorConsumer.from_sample(p.pool_metadata.name, s, history_len=2) as c:
        p.put(fill(5))
        try:
            with p.loan(as_numpy=kind == "torch_as_numpy") as slot:
                slot[...] = 7
                if end == "discard":
                    raise KeyError("abandon")
        except KeyError:
            pass
        published = c.get(history_len=2, as_numpy=True).copy()
        # every way of writing through the old array fails or writes nothing of the pool
        for write in (lambda: slot.__setitem__((0, 0), 99), lambda: slot.__setitem__(Ellipsis, 99),
                      lambda: slot.fill(99) if isinstance(slot, np.ndarray) else slot.fill_(99)):
            try:
                write()
            except (ValueError, IndexError, RuntimeError):
                pass
        with pytest.raises((ValueError, IndexError, RuntimeError)):
            slot[0, 0] = 99
        # nor can the memory be reached again through the array's owner
        base = getattr(slot, "base", None)
        while base is not None and not isinstance(base, Frame):
            base = getattr(base, "base", None) if not isinstance(base, memoryview) else base.obj
        if base is not None:
            with pytest.raises(BufferError):
                np.asarray(base)[...] = 99
        now = c.get(history_len=2, as_numpy=True)
        np.testing.assert_array_equal(now, published)
        assert not (now == 99).any()
        def same(a, b):
            return torch.equal(a, b) if isinstance(a, torch.Tensor) else np.array_equal(a, b)

        assert same(c.get(), fill(7 if end == "commit" else 5))
        # the producer goes on; a new loan gets a fresh, writable array
        with p.loan() as slot2:
            slot2[...] = 8
        assert same(c.get(), fill(8))
