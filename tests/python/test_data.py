"""What goes in comes out: dtypes, shapes, history reads, padding,
non-contiguous input, and put() refusing bad frames before touching the pool."""

from __future__ import annotations

import numpy as np
import pytest
from torch_or_skip import torch

from tensor_ipc import InvalidArgumentError, TensorConsumer, TensorProducer

DTYPES = ["float16", "bool", "int64", "uint8", "float32", "float64", "complex64", "int8"]


def values(dtype, shape, seed):
    """Deterministic values that use the whole range of the type."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape, dtype=np.int64))
    if dtype == "bool":
        a = rng.integers(0, 2, n).astype(bool)
    elif dtype.startswith("complex"):
        a = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(dtype)
    elif dtype.startswith("float"):
        a = (rng.standard_normal(n) * 1000).astype(dtype)
        a[:1] = np.finfo(dtype).max if n else a[:1]
    else:
        info = np.iinfo(dtype)
        a = rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
        a[:1] = info.min if n else a[:1]
    return a.reshape(shape)


def pair(name, sample, history_len=1):
    p = TensorProducer.from_sample(name, sample, history_len=history_len)
    c = TensorConsumer.from_sample(name, sample, history_len=history_len)
    return p, c


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_dtype_roundtrip(pool_name, dtype):
    shape = (3, 5)
    p, c = pair(pool_name(), np.zeros(shape, dtype), 2)
    try:
        for seed in range(3):
            a = values(dtype, shape, seed)
            p.put(a)
            got = c.get()
            assert isinstance(got, np.ndarray)
            assert got.dtype == np.dtype(dtype) and got.shape == shape
            assert got.tobytes() == a.tobytes()  # bit-exact (NaN payloads too)
    finally:
        c.cleanup()
        p.cleanup()


@pytest.mark.parametrize("dtype", DTYPES + ["bfloat16"])
def test_torch_dtype_roundtrip(pool_name, dtype):
    shape = (4, 3)
    if dtype == "bfloat16":
        src = torch.from_numpy(values("float32", shape, 1)).to(torch.bfloat16)
    else:
        src = torch.from_numpy(values(dtype, shape, 1))
    p, c = pair(pool_name(), torch.zeros_like(src), 2)
    try:
        assert p.pool_metadata.dtype_str == dtype
        assert p.pool_metadata.backend_type == "torch"
        p.put(src)
        got = c.get()
        assert isinstance(got, torch.Tensor)
        assert got.dtype == src.dtype and tuple(got.shape) == shape
        assert torch.equal(got.view(torch.uint8) if dtype == "bool" else got, src.view(torch.uint8) if dtype == "bool" else src)
        # the bytes are identical
        assert got.view(-1).view(torch.uint8).numpy().tobytes() == \
            src.reshape(-1).view(torch.uint8).numpy().tobytes()
        # as_numpy=True gives numpy (bfloat16: its raw 16-bit patterns)
        gn = c.get(as_numpy=True)
        assert isinstance(gn, np.ndarray) and gn.shape == shape
        if dtype == "bfloat16":
            assert gn.itemsize == 2
            assert gn.tobytes() == src.view(torch.int16).numpy().tobytes()
        else:
            assert gn.dtype == np.dtype(dtype)
            assert gn.tobytes() == src.numpy().tobytes()
        # history reads are torch too
        h = c.get(history_len=2)
        assert isinstance(h, torch.Tensor) and h.dtype == src.dtype and tuple(h.shape) == (2,) + shape
    finally:
        c.cleanup()
        p.cleanup()


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("shape", [(), (1,), (7,), (1080, 1920, 3)], ids=str)
def test_shapes(pool_name, shape, backend):
    dtype = "uint8" if len(shape) == 3 else "float64"
    a = values(dtype, shape, 7)
    sample = np.zeros(shape, dtype)
    if backend == "torch":
        a, sample = torch.from_numpy(np.array(a, order="C")), torch.from_numpy(sample)
    p, c = pair(pool_name(), sample, 2)
    try:
        assert p.pool_metadata.shape == shape
        assert p.pool_metadata.total_size == 2 * max(1, int(np.prod(shape))) * np.dtype(dtype).itemsize
        assert p.put(a) == 0
        got = c.get()
        assert tuple(got.shape) == shape
        got_np = got.numpy() if backend == "torch" else got
        a_np = a.numpy() if backend == "torch" else a
        assert got_np.tobytes() == a_np.tobytes()
        h = c.get(history_len=2)
        assert tuple(h.shape) == (2,) + shape
        h_np = h.numpy() if backend == "torch" else h
        assert h_np[0].tobytes() == a_np.tobytes()
        assert not h_np[1].any()
    finally:
        c.cleanup()
        p.cleanup()


def test_scalar_frames(pool_name):
    p, c = pair(pool_name(), np.float32(0), 3)  # a numpy scalar as sample
    try:
        assert p.pool_metadata.shape == ()
        for v in (1.5, -2.25, 3.0):
            p.put(np.array(v, np.float32))
        got = c.get()
        assert got.shape == () and got == 3.0
        np.testing.assert_array_equal(c.get(history_len=3), [3.0, -2.25, 1.5])
        np.testing.assert_array_equal(c.get(history_len=3, latest_first=False), [1.5, -2.25, 3.0])
    finally:
        c.cleanup()
        p.cleanup()


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_history_order_and_zero_padding(pool_name, backend):
    H = 5
    sample = np.zeros((2,), np.int32)
    if backend == "torch":
        sample = torch.from_numpy(sample)
    p, c = pair(pool_name(), sample, H)

    def put(v):
        a = np.array([v, -v], np.int32)
        return p.put(torch.from_numpy(a) if backend == "torch" else a)

    def get(*a, **k):
        r = c.get(*a, **k)
        return r.numpy() if backend == "torch" else r

    try:
        for v in (1, 2, 3):
            put(v)
        latest = get(history_len=H)
        assert latest.shape == (H, 2)
        np.testing.assert_array_equal(latest[:, 0], [3, 2, 1, 0, 0])  # padding at the old end
        np.testing.assert_array_equal(latest[:, 1], [-3, -2, -1, 0, 0])
        oldest = get(history_len=H, latest_first=False)
        np.testing.assert_array_equal(oldest[:, 0], [0, 0, 1, 2, 3])
        np.testing.assert_array_equal(get(history_len=2)[:, 0], [3, 2])
        np.testing.assert_array_equal(get(history_len=2, latest_first=False)[:, 0], [2, 3])
        # pad="fill": missing frames repeat the oldest frame written
        np.testing.assert_array_equal(get(history_len=H, pad="fill")[:, 0], [3, 2, 1, 1, 1])
        np.testing.assert_array_equal(
            get(history_len=H, latest_first=False, pad="fill")[:, 0], [1, 1, 1, 2, 3])
        # fill the ring and wrap around: no padding any more. A full-history read
        # may pad the oldest frame only while it is being overwritten, and
        # nothing is writing now.
        for v in range(4, 12):
            put(v)
        np.testing.assert_array_equal(get(history_len=H)[:, 0], [11, 10, 9, 8, 7])
        np.testing.assert_array_equal(get(history_len=H, latest_first=False)[:, 0], [7, 8, 9, 10, 11])
        np.testing.assert_array_equal(get(history_len=H, pad="fill")[:, 0], [11, 10, 9, 8, 7])
        np.testing.assert_array_equal(get(history_len=3, latest_first=False)[:, 1], [-9, -10, -11])
        assert c.last_index == 10
        with pytest.raises(InvalidArgumentError):
            c.get(history_len=H, pad="repeat")
    finally:
        c.cleanup()
        p.cleanup()


def test_view_history_order_and_padding(pool_name):
    p, c = pair(pool_name(), np.zeros((3,), np.int16), 4)
    try:
        p.put(np.full(3, 1, np.int16))
        p.put(np.full(3, 2, np.int16))
        with c.view(history_len=4) as v:
            assert [None if a is None else int(a[0]) for a in v] == [2, 1, None, None]
        with c.view(history_len=4, latest_first=False) as v:
            assert [None if a is None else int(a[0]) for a in v] == [None, None, 1, 2]
        frames = c.acquire(history_len=3, latest_first=False)
        assert frames[0] is None
        assert [f.index for f in frames[1:]] == [0, 1]
        frames[1].release()
    finally:
        c.cleanup()
        p.cleanup()


def test_put_non_contiguous_numpy(pool_name):
    p, c = pair(pool_name(), np.zeros((4, 3), np.float32), 2)
    try:
        base = np.arange(12, dtype=np.float32).reshape(3, 4)
        t = base.T  # transposed view, F-order
        assert not t.flags.c_contiguous
        p.put(t)
        np.testing.assert_array_equal(c.get(), t)
        big = np.arange(8 * 6, dtype=np.float32).reshape(8, 6)
        sl = big[::2, 1:4]  # strided slice, shape (4, 3)
        assert not sl.flags.c_contiguous
        p.put(sl)
        np.testing.assert_array_equal(c.get(), sl)
        neg = big[7:3:-1, 5:2:-1]  # negative strides
        p.put(neg)
        np.testing.assert_array_equal(c.get(), neg)
    finally:
        c.cleanup()
        p.cleanup()


def test_put_non_contiguous_torch(pool_name):
    p, c = pair(pool_name(), torch.zeros((4, 3), dtype=torch.float64), 2)
    try:
        t = torch.arange(12, dtype=torch.float64).reshape(3, 4).t()
        assert not t.is_contiguous()
        p.put(t)
        assert torch.equal(c.get(), t)
        sl = torch.arange(48, dtype=torch.float64).reshape(8, 6)[::2, 1:4]
        p.put(sl)
        assert torch.equal(c.get(), sl)
        # bfloat16, transposed
        pb, cb = pair(p.pool_metadata.name + "b", torch.zeros((4, 3), dtype=torch.bfloat16), 1)
        try:
            tb = torch.arange(12, dtype=torch.float32).reshape(3, 4).to(torch.bfloat16).t()
            pb.put(tb)
            assert torch.equal(cb.get(), tb)
        finally:
            cb.cleanup()
            pb.cleanup()
    finally:
        c.cleanup()
        p.cleanup()


def test_put_accepts_requires_grad_tensor(pool_name):
    p, c = pair(pool_name(), torch.zeros(3), 1)
    try:
        w = torch.ones(3, requires_grad=True) * 2
        p.put(w)
        assert torch.equal(c.get(), torch.full((3,), 2.0))
    finally:
        c.cleanup()
        p.cleanup()


BAD_PUTS = {
    "shape": lambda: np.zeros((3, 4), np.float32),
    "shape_ndim": lambda: np.zeros((4, 3, 1), np.float32),
    "shape_flat": lambda: np.zeros((12,), np.float32),
    "dtype": lambda: np.zeros((4, 3), np.float64),
    "dtype_int": lambda: np.zeros((4, 3), np.int32),
    "torch_into_numpy": lambda: torch.zeros((4, 3), dtype=torch.float32),
    "list": lambda: [[0.0] * 3] * 5,
}


@pytest.mark.parametrize("bad", sorted(BAD_PUTS))
def test_put_rejects_before_touching_numpy_pool(pool_name, bad):
    p, c = pair(pool_name(), np.zeros((4, 3), np.float32), 2)
    try:
        good = np.full((4, 3), 5, np.float32)
        p.put(good)
        with pytest.raises(InvalidArgumentError) as e:
            p.put(BAD_PUTS[bad]())
        assert p.pool_metadata.name in str(e.value)
        assert p.frames_written == 1
        np.testing.assert_array_equal(c.get(), good)
        assert c.last_index == 0
        np.testing.assert_array_equal(c.get(history_len=2)[1], np.zeros((4, 3)))
        assert p.put(good + 1) == 1  # the producer still works
    finally:
        c.cleanup()
        p.cleanup()


BAD_TORCH_PUTS = {
    "numpy_into_torch": lambda: np.zeros((4, 3), np.float32),
    "shape": lambda: torch.zeros((3, 4)),
    "dtype": lambda: torch.zeros((4, 3), dtype=torch.float64),
    "bfloat16_for_float32": lambda: torch.zeros((4, 3), dtype=torch.bfloat16),
    "list": lambda: [[0.0] * 3] * 4,
}


@pytest.mark.parametrize("bad", sorted(BAD_TORCH_PUTS))
def test_put_rejects_before_touching_torch_pool(pool_name, bad):
    p, c = pair(pool_name(), torch.zeros((4, 3)), 2)
    try:
        good = torch.full((4, 3), 5.0)
        p.put(good)
        with pytest.raises(InvalidArgumentError):
            p.put(BAD_TORCH_PUTS[bad]())
        assert p.frames_written == 1
        assert torch.equal(c.get(), good)
        assert c.last_index == 0
    finally:
        c.cleanup()
        p.cleanup()


# Every layout numpy allows for the user's data: put() must deliver the values
# (not the bytes as they lie in memory) of the pool's native dtype.
def _unaligned(a):
    """The same values in a buffer starting one byte off alignment."""
    raw = bytearray(a.nbytes + 1)
    u = np.frombuffer(raw, dtype=a.dtype, offset=1, count=a.size).reshape(a.shape)
    u[...] = a
    return u


NUMPY_LAYOUTS = {
    "big_endian": lambda a: a.astype(a.dtype.newbyteorder(">")),
    "big_endian_fortran": lambda a: np.asfortranarray(a.astype(a.dtype.newbyteorder(">"))),
    "fortran": np.asfortranarray,
    "negative_strides": lambda a: np.ascontiguousarray(a[::-1, ::-1])[::-1, ::-1],
    "strided_slice": lambda a: np.repeat(np.repeat(a, 2, axis=0), 3, axis=1)[1::2, 2::3],
    "unaligned": _unaligned,
    "unaligned_big_endian": lambda a: _unaligned(a.astype(a.dtype.newbyteorder(">"))),
    "read_only": lambda a: np.frombuffer(a.tobytes(), a.dtype).reshape(a.shape),
}


@pytest.mark.parametrize("layout", sorted(NUMPY_LAYOUTS))
@pytest.mark.parametrize("dtype", ["float32", "int16", "uint64", "float64", "complex128", "float16"])
def test_put_any_numpy_layout_delivers_the_values(pool_name, layout, dtype):
    shape = (4, 3)
    p, c = pair(pool_name(), np.zeros(shape, dtype), 1)
    try:
        want = values(dtype, shape, 11)
        src = NUMPY_LAYOUTS[layout](want)
        assert np.array_equal(src, want)  # the same values, another layout
        p.put(src)
        got = c.get()
        assert got.dtype == np.dtype(dtype) and got.dtype.isnative
        assert got.tobytes() == want.tobytes(), f"{layout}: {got!r} != {want!r}"
    finally:
        c.cleanup()
        p.cleanup()


def test_put_big_endian_one_point_zero(pool_name):
    """The reviewed case: 1.0 as '>f4' arrived as 4.6e-41."""
    p, c = pair(pool_name(), np.zeros(3, np.float32))
    try:
        p.put(np.array([1.0, 2.0, -3.5], dtype=">f4"))
        np.testing.assert_array_equal(c.get(), [1.0, 2.0, -3.5])
        p.put(np.ones(3, ">f4")[::-1])
        np.testing.assert_array_equal(c.get(), [1.0, 1.0, 1.0])
    finally:
        c.cleanup()
        p.cleanup()


def test_put_stride_0_and_0d_layouts(pool_name):
    p, c = pair(pool_name(), np.zeros((4, 3), np.float64))
    try:
        row = np.array([1.5, -2.0, 3.25], ">f8")
        p.put(np.broadcast_to(row, (4, 3)))  # stride 0, read-only, big-endian
        np.testing.assert_array_equal(c.get(), np.tile([1.5, -2.0, 3.25], (4, 1)))
    finally:
        c.cleanup()
        p.cleanup()
    p, c = pair(pool_name(), np.float32(0))
    try:
        for v in (np.array(2.5, ">f4"), np.array(-1.0, "<f4"), _unaligned(np.array(7.0, np.float32)),
                  np.frombuffer(np.float32(9.0).tobytes(), np.float32).reshape(())):
            p.put(v)
            got = c.get()
            assert got.shape == () and got == v, (got, v)
    finally:
        c.cleanup()
        p.cleanup()


def test_put_wrong_kind_refused_in_any_byte_order(pool_name):
    p, c = pair(pool_name(), np.zeros(3, np.float32))
    try:
        for bad in (np.zeros(3, ">i4"), np.zeros(3, "<i4"), np.zeros(3, ">f8"), np.zeros(3, ">c8"),
                    np.zeros(3, "U4"), np.zeros(3, "S4"), np.zeros(3, object),
                    np.zeros(3, [("x", "<f4")])):
            with pytest.raises(InvalidArgumentError) as e:
                p.put(bad)
            assert p.pool_metadata.name in str(e.value) and "float32" in str(e.value)
        assert p.frames_written == 0
    finally:
        c.cleanup()
        p.cleanup()


TORCH_LAYOUTS = {
    "transposed": lambda t: t.t().contiguous().t(),
    "strided_slice": lambda t: t.repeat_interleave(2, 0)[::2],
    "storage_offset": lambda t: torch.cat([t.reshape(-1)[:1], t.reshape(-1)])[1:].view(t.shape),
    "as_strided": lambda t: torch.stack([t, t], -1)[..., 1],
}


@pytest.mark.parametrize("layout", sorted(TORCH_LAYOUTS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.int64, torch.complex64, torch.bfloat16])
def test_put_any_torch_layout_delivers_the_values(pool_name, layout, dtype):
    want = torch.arange(12, dtype=torch.float32).reshape(4, 3).mul(1.5).sub(4).to(dtype)
    if dtype == torch.complex64:
        want = want + 1j * torch.arange(12, dtype=torch.float32).reshape(4, 3)
    src = TORCH_LAYOUTS[layout](want)
    assert torch.equal(src, want)
    p, c = pair(pool_name(), torch.zeros_like(want), 1)
    try:
        p.put(src)
        assert torch.equal(c.get(), want)
    finally:
        c.cleanup()
        p.cleanup()


def test_put_torch_conj_neg_and_expanded_views(pool_name):
    """torch's lazy conjugate/negative bits and stride-0 expansions: the values arrive."""
    z = torch.tensor([[1 + 2j, -3 - 4j], [5 + 0j, 0 - 1j]], dtype=torch.complex64)
    p, c = pair(pool_name(), torch.zeros_like(z), 1)
    try:
        cz = z.conj()  # a view with the conjugate bit set
        assert cz.is_conj()
        p.put(cz)
        assert torch.equal(c.get(), z.conj().resolve_conj())
        nz = cz.imag  # a view with the negative bit
        assert nz.is_neg()
        pn, cn = pair(p.pool_metadata.name + "n", torch.zeros(2, 2), 1)
        try:
            pn.put(nz)
            assert torch.equal(cn.get(), -z.imag)
            pn.put(torch.tensor([1.0, 2.0]).expand(2, 2))
            assert torch.equal(cn.get(), torch.tensor([[1.0, 2.0], [1.0, 2.0]]))
        finally:
            cn.cleanup()
            pn.cleanup()
    finally:
        c.cleanup()
        p.cleanup()


def test_numpy_array_refused_by_a_float64_torch_pool(pool_name):
    """put()'s numpy fast path must not take a torch pool's frame (numpy's
    dtype('float64') == None is True)."""
    p, c = pair(pool_name(), torch.zeros(3, dtype=torch.float64))
    try:
        with pytest.raises(InvalidArgumentError, match="torch"):
            p.put(np.ones(3, np.float64))
        assert p.frames_written == 0
    finally:
        c.cleanup()
        p.cleanup()
