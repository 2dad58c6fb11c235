"""Exceptions of tensor_ipc: one class per C status code.

Every exception carries the library's sentence, which names the pool and the
cause, e.g. ``pool 'cam': metadata mismatch (1 field, expected vs actual):
shape (480,640,3) vs (480,640,4)``.
"""

from __future__ import annotations

__all__ = [
    "TensorIPCError",
    "InvalidArgumentError",
    "DtypeMismatchError",
    "ShapeMismatchError",
    "BackendMismatchError",
    "NotConnectedError",
    "MismatchError",
    "TimeoutError",
    "ExistsError",
    "UnsupportedError",
    "NoSpaceError",
    "PermissionError",
    "CorruptError",
    "NoDataError",
    "BusyError",
    "ClosedError",
    "LimitError",
    "exception_for",
]

import builtins
from typing import Dict


class TensorIPCError(Exception):
    """Base class of every tensor_ipc error. ``status`` is the C status code."""

    status = -14


class InvalidArgumentError(TensorIPCError, ValueError):
    """An argument is malformed or out of range (TIPC_E_INVALID)."""

    status = -1


class DtypeMismatchError(InvalidArgumentError, TypeError):
    """put() of data of another dtype than the pool's. A TypeError too, as the
    original tensor-ipc raised for it."""


class BackendMismatchError(InvalidArgumentError, TypeError):
    """put() of another kind of data than the pool's backend takes (a torch
    tensor into a numpy pool, ...). A TypeError too, as in the original."""


class ShapeMismatchError(InvalidArgumentError):
    """put() of data of another shape than the pool's (a ValueError, as in
    the original, through InvalidArgumentError)."""


class NotConnectedError(TensorIPCError):
    """The consumer has no producer (yet) (TIPC_E_NOT_CONNECTED)."""

    status = -3


class MismatchError(TensorIPCError, ValueError):
    """The pool exists with other metadata; the message names every field (TIPC_E_MISMATCH)."""

    status = -4


class TimeoutError(TensorIPCError, builtins.TimeoutError):
    """A deadline passed (TIPC_E_TIMEOUT)."""

    status = -5


class ExistsError(TensorIPCError, FileExistsError, ValueError):
    """A live producer already owns the pool name (TIPC_E_EXISTS). A
    ValueError too, as the original raised for a name already published."""

    status = -6


class UnsupportedError(TensorIPCError, NotImplementedError):
    """A feature is unavailable here, e.g. CUDA (TIPC_E_UNSUPPORTED)."""

    status = -7


class NoSpaceError(TensorIPCError, MemoryError):
    """Shared memory is too small for the pool (TIPC_E_NO_SPACE)."""

    status = -8


class PermissionError(TensorIPCError, builtins.PermissionError):
    """The segment belongs to another user (TIPC_E_PERMISSION)."""

    status = -9


class CorruptError(TensorIPCError):
    """The segment is not a valid tensor-ipc pool (TIPC_E_CORRUPT)."""

    status = -10


class NoDataError(TensorIPCError):
    """Connected, but the producer has written no frame yet (TIPC_E_NO_DATA)."""

    status = -11


class BusyError(TensorIPCError):
    """A resource is in use, e.g. a loan is outstanding (TIPC_E_BUSY)."""

    status = -12


class ClosedError(TensorIPCError):
    """The producer closed or died (TIPC_E_CLOSED)."""

    status = -13


class LimitError(TensorIPCError):
    """A fixed limit was reached, e.g. reader slots (TIPC_E_LIMIT)."""

    status = -15


_BY_STATUS: Dict[int, type] = {
    cls.status: cls
    for cls in (
        InvalidArgumentError,
        NotConnectedError,
        MismatchError,
        TimeoutError,
        ExistsError,
        UnsupportedError,
        NoSpaceError,
        PermissionError,
        CorruptError,
        NoDataError,
        BusyError,
        ClosedError,
        LimitError,
    )
}
_BY_STATUS[-2] = TensorIPCError  # TIPC_E_NOMEM is raised as MemoryError below
_BY_STATUS[-14] = TensorIPCError  # TIPC_E_SYSTEM


def exception_for(status: int) -> type:
    """The exception class for a C status code (used by the C extension)."""
    if status == -2:
        return MemoryError
    return _BY_STATUS.get(status, TensorIPCError)
