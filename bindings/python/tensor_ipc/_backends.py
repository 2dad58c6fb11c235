"""Array-library glue: dtype names, samples and frames for numpy and torch.

torch is optional: it is imported on first use, so the package works with
numpy alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import (
    BackendMismatchError,
    DtypeMismatchError,
    InvalidArgumentError,
    ShapeMismatchError,
    UnsupportedError,
)

BACKENDS = ("numpy", "torch", "torch_cuda")

# numpy dtype for each pool dtype; bfloat16 has none (its bits are uint16).
_NUMPY = {
    "bool": np.dtype(np.bool_),
    "int8": np.dtype(np.int8),
    "int16": np.dtype(np.int16),
    "int32": np.dtype(np.int32),
    "int64": np.dtype(np.int64),
    "uint8": np.dtype(np.uint8),
    "uint16": np.dtype(np.uint16),
    "uint32": np.dtype(np.uint32),
    "uint64": np.dtype(np.uint64),
    "float16": np.dtype(np.float16),
    "bfloat16": np.dtype(np.uint16),
    "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64),
    "complex64": np.dtype(np.complex64),
    "complex128": np.dtype(np.complex128),
}

_torch = None


def torch_module():
    """The torch module, or UnsupportedError when PyTorch is not installed."""
    global _torch
    if _torch is None:
        try:
            import torch  # noqa: PLC0415 - optional dependency
        except ImportError as exc:  # pragma: no cover - depends on the machine
            raise UnsupportedError(
                "the torch backends need PyTorch, which is not installed"
            ) from exc
        _torch = torch
    return _torch


def is_torch_tensor(obj: Any) -> bool:
    return _torch is not None and isinstance(obj, _torch.Tensor) or (
        type(obj).__module__ == "torch" and type(obj).__name__ == "Tensor"
    )


def numpy_dtype(name: str) -> np.dtype:
    return _NUMPY[name]


def torch_dtype(name: str):
    torch = torch_module()
    return getattr(torch, "bool" if name == "bool" else name)


def dtype_name_of(obj: Any) -> str:
    """Canonical (numpy-style) dtype name of an array, tensor or dtype."""
    if is_torch_tensor(obj):
        return str(obj.dtype).replace("torch.", "")
    if type(obj).__module__ == "torch" and type(obj).__name__ == "dtype":
        return str(obj).replace("torch.", "")
    if isinstance(obj, (type, np.dtype)):  # np.float32, np.dtype("int8")
        dt = np.dtype(obj)
    else:
        dt = np.dtype(obj.dtype if hasattr(obj, "dtype") else obj)
    return "bool" if dt == np.bool_ else dt.name


def normalize_dtype(dtype: Any) -> str:
    """Accept 'float32', 'torch.float32', np.float32, torch.float32 ..."""
    name = None
    try:
        if dtype is None:  # np.dtype(None) would be float64
            raise TypeError
        if isinstance(dtype, str):
            name = dtype.replace("torch.", "")
            aliases = {"bool_": "bool", "float": "float32", "double": "float64", "half": "float16"}
            name = aliases.get(name, name)
            if name not in _NUMPY:
                name = dtype_name_of(np.dtype(dtype))
        else:
            name = dtype_name_of(dtype)
    except (TypeError, ValueError):
        name = None
    if name not in _NUMPY:
        raise InvalidArgumentError(
            f"dtype {dtype!r} is not supported by tensor_ipc (one of: {', '.join(_NUMPY)})"
        )
    return name


def backend_of(sample: Any) -> str:
    if is_torch_tensor(sample):
        return "torch_cuda" if sample.is_cuda else "torch"
    return "numpy"


def device_of(sample: Any) -> str:
    if is_torch_tensor(sample) and sample.is_cuda:
        return f"cuda:{sample.device.index or 0}"
    return "cpu"


def host_buffer(data: Any, pool: str, backend: str, shape: tuple, dtype: str):
    """A C-contiguous buffer of ``data`` after checking it fits the pool.

    Raises before anything touches the pool.
    """
    if backend == "numpy":
        if is_torch_tensor(data):
            raise BackendMismatchError(
                f"pool '{pool}' has backend numpy: put() takes numpy arrays, got a torch.Tensor"
            )
        if not isinstance(data, np.ndarray):
            data = np.asarray(data)
    elif backend == "torch":
        if not is_torch_tensor(data):
            raise BackendMismatchError(
                f"pool '{pool}' has backend torch: put() takes torch tensors, "
                f"got {type(data).__name__}"
            )
        if data.is_cuda:
            raise BackendMismatchError(
                f"pool '{pool}' has backend torch (CPU): got a CUDA tensor"
            )
    else:  # torch_cuda: see cuda_source()
        raise UnsupportedError(f"pool '{pool}': backend {backend} takes the CUDA path")
    got = dtype_name_of(data)
    if got != dtype:
        raise DtypeMismatchError(f"pool '{pool}': put() of dtype {got}, the pool holds {dtype}")
    if tuple(data.shape) != tuple(shape):
        raise ShapeMismatchError(
            f"pool '{pool}': put() of shape {tuple(data.shape)}, the pool holds {tuple(shape)}"
        )
    if backend == "numpy":
        # The values, in the pool's native byte order: a '>f4' array is
        # converted, not sent as its big-endian bytes. Any strides, offset or
        # alignment become one C-contiguous copy (none when already so).
        return np.ascontiguousarray(data, dtype=_NUMPY[dtype])
    # resolve_conj/resolve_neg: torch's lazy conjugate and negation views
    # hold other values than their memory does.
    t = data.detach().resolve_conj().resolve_neg().contiguous()
    if dtype == "bfloat16":
        t = t.view(torch_module().int16)
    return t.numpy()


def cuda_source(data: Any, pool: str, device: str, shape: tuple, dtype: str):
    """(address, nbytes, keepalive) of a tensor to put into a torch_cuda pool:
    a CUDA tensor on the pool's device (after its stream's pending work) or
    a CPU tensor (copied up by the library)."""
    if not is_torch_tensor(data):
        raise BackendMismatchError(
            f"pool '{pool}' has backend torch_cuda: put() takes torch tensors, "
            f"got {type(data).__name__}"
        )
    got = dtype_name_of(data)
    if got != dtype:
        raise DtypeMismatchError(f"pool '{pool}': put() of dtype {got}, the pool holds {dtype}")
    if tuple(data.shape) != tuple(shape):
        raise ShapeMismatchError(
            f"pool '{pool}': put() of shape {tuple(data.shape)}, the pool holds {tuple(shape)}"
        )
    t = data.detach().resolve_conj().resolve_neg().contiguous()
    if t.is_cuda:
        if f"cuda:{t.device.index or 0}" != device:
            raise InvalidArgumentError(f"pool '{pool}' lives on {device}, the tensor on {t.device}")
        torch_module().cuda.current_stream(t.device).synchronize()
    return t.data_ptr(), t.numel() * t.element_size(), t


def frame_array(frame, backend: str, as_numpy: bool, dtype: str, shape: tuple):
    """A zero-copy array over a Frame: numpy, or torch for torch pools."""
    if getattr(frame, "device", -1) >= 0:  # GPU frame: DLPack keeps it on the device
        return torch_module().from_dlpack(frame)
    if backend == "numpy" or as_numpy:
        arr = np.asarray(frame)
        return arr
    torch = torch_module()
    arr = np.asarray(frame)
    if dtype == "bfloat16":
        return torch.from_numpy(arr.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(arr)


def empty(shape: tuple, dtype: str) -> np.ndarray:
    return np.empty(shape, dtype=_NUMPY[dtype])


def to_backend(arr: np.ndarray, backend: str, as_numpy: bool, dtype: str):
    if backend == "numpy" or as_numpy:
        return arr
    torch = torch_module()
    if dtype == "bfloat16":
        return torch.from_numpy(arr.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(arr)
