"""Record pools into MCAP files, and read recordings back (``tensor_ipc.record``).

::

    from tensor_ipc import record
    with record.Recorder("run.mcap", ["cam", "imu"]) as rec:   # every frame, until stop()
        ...
    print(rec.summary())
    stamps, frames = record.read("run.mcap", "imu")            # numpy arrays for training

The file is an MCAP file that ROS 2 tools open (docs/record.md has the
layout). The command line is ``python -m tensor_ipc.record`` (``tipc record``);
replay is ``tensor_ipc.play``.

Each pool is read by its own thread through zero-copy views: a frame is held
only while it is serialised into its message; one writer thread owns the
file. Every frame whose stamp is not older than the recording's start is
recorded (``latest_only``: the newest frame at ``rate`` Hz); a frame the
recorder could not read before the producer overwrote it is counted as
dropped. A pool that does not exist yet is waited for, and a producer that
restarts is followed (both incarnations are recorded).
"""

from __future__ import annotations

import os
import re
import threading
import time
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from .. import PoolMetadata, TensorConsumer
from .. import capi as _capi
from ..errors import NotConnectedError, TensorIPCError, TimeoutError
from . import _layout as L
from ._layout import FormatError
from ._progress import PoolCount, Reporter, summary_table

__all__ = ["Recorder", "Recording", "FormatError", "read", "iter_frames", "parse_pool_spec",
           "tune_allocator"]

PoolArg = Union[str, PoolMetadata]
HOLD_BYTES = 16 << 20  # frames a pool's reader holds at once, in bytes (at least one frame)

MCAP_MISSING = ("the Python package 'mcap' is missing for {python}; "
                "install it with: {python} -m pip install mcap")


def mcap_missing() -> Optional[str]:
    """None when the mcap package can be imported, else the sentence that
    says how to install it."""
    import importlib.util
    import sys

    if importlib.util.find_spec("mcap") is not None:
        return None
    return MCAP_MISSING.format(python=sys.executable)


def _need_mcap() -> None:
    """A clear ImportError (naming the pip command) when mcap is missing."""
    why = mcap_missing()
    if why:
        raise ImportError(why)


def __getattr__(name: str):
    # Recording needs mcap: imported on first use, so that this package (and
    # the command's own check) loads without it.
    if name == "Recording":
        _need_mcap()
        from ._reader import Recording

        return Recording
    raise AttributeError(name)


def tune_allocator() -> bool:
    """Make this process's allocator (glibc) keep large freed buffers for
    reuse instead of giving them back to the OS at once. Each large frame's
    message is a new multi-megabyte buffer (the codec's output; the player
    reads into new ones too); with glibc's defaults each can be fresh memory,
    and its page faults cost several times what the copies do. The price: up to 512 MiB of freed memory stays in the
    process. ``tipc record`` / ``tipc play`` call it; call it before
    recording large frames from your own process. Returns False where it
    does not apply (not glibc)."""
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    # 32 MiB is glibc's largest mmap threshold on 64-bit hosts
    return bool(mallopt(m_mmap_threshold, 32 << 20)) and bool(mallopt(m_trim_threshold, 512 << 20))


def parse_pool_spec(spec: str) -> Union[str, PoolMetadata]:
    """``name`` (found by discovery) or ``name:dtype:shape[:history[:backend]]``
    with shape as ``480x640x3`` (a pool given in full, nothing discovered)."""
    parts = spec.split(":")
    if len(parts) == 1:
        return spec
    if not 3 <= len(parts) <= 5:
        raise ValueError(f"pool spec {spec!r}: use NAME or NAME:DTYPE:SHAPE[:HISTORY[:BACKEND]]")
    name, dtype, shape = parts[:3]
    try:
        dims = tuple(int(d) for d in re.split(r"[x,]", shape) if d != "") if shape else ()
        history = int(parts[3]) if len(parts) > 3 else 1
    except ValueError:
        raise ValueError(f"pool spec {spec!r}: shape and history must be integers "
                         "(e.g. cam:uint8:480x640x3:4)") from None
    backend = parts[4] if len(parts) > 4 else "numpy"
    return PoolMetadata(name, dims, dtype, backend, history)


def _discover(name: str, timeout_s: float) -> Optional[PoolMetadata]:
    """The announced metadata of pool ``name``, or None if not announced in
    time. Through the binding's discover_pool where it has one, else through
    the tipc tool (`tipc info --json`, the C library's discovery)."""
    if hasattr(_capi, "discover_pool"):
        try:
            return _metadata_of(_capi.discover_pool(name, int(timeout_s * 1e9)))
        except (NotConnectedError, TimeoutError):
            return None
    import json
    import shutil
    import subprocess

    tool = os.environ.get("TIPC_CLI") or shutil.which("tipc")
    if not tool:
        raise TensorIPCError(
            f"pool '{name}': finding a pool by name needs the tipc tool (on PATH or in $TIPC_CLI); "
            "or give the pool in full as NAME:DTYPE:SHAPE[:HISTORY] (e.g. cam:uint8:480x640x3:4)")
    r = subprocess.run([tool, "info", name, "--json", "--wait", f"{timeout_s:g}"],
                       capture_output=True, text=True, timeout=timeout_s + 30)
    if r.returncode != 0 and "not found" in r.stderr:
        return None
    try:
        info = json.loads(r.stdout)
    except ValueError:
        raise TensorIPCError(f"pool '{name}': discovery failed: {r.stderr.strip()}") from None
    if info.get("malformed"):
        raise TensorIPCError(f"pool '{name}': its announcement is malformed: {info.get('error')}")
    device = info.get("device") or "cpu"
    return PoolMetadata(info["name"], tuple(info["shape"]), info["dtype"], info["backend"],
                        int(info["history"]), None if device == "cpu" else device)


def _metadata_of(c) -> PoolMetadata:
    """PoolMetadata of the binding's Metadata object."""
    device = c.device()
    return PoolMetadata(c.name(), tuple(c.dim(i) for i in range(c.ndim())), c.dtype(),
                        c.backend(), c.history_len(), None if device == "cpu" else device)


class _Tap(threading.Thread):
    """Reads one pool and hands its frames to the sink as messages."""

    def __init__(self, rec: "Recorder", pool: PoolArg) -> None:
        name = pool.name if isinstance(pool, PoolMetadata) else pool
        super().__init__(name=f"tipc-record {name}", daemon=True)
        self.rec = rec
        self.pool = pool
        self.count = PoolCount(name)
        self.error: Optional[str] = None
        self.channel: Optional[int] = None
        self._scratch = None

    def run(self) -> None:
        try:
            self._run()
        except BaseException as e:  # noqa: BLE001 - reported by the recorder
            self.error = f"pool '{self.count.name}': {e}"
            self.count.state = "failed"
            self.rec._stop.set()

    def _resolve(self) -> Optional[PoolMetadata]:
        if isinstance(self.pool, PoolMetadata):
            return self.pool
        while not self.rec._stop.is_set():
            md = _discover(self.pool, 1.0)
            if md is not None:
                return md
        return None

    def _run(self) -> None:
        rec = self.rec
        md = self._resolve()
        if md is None:
            return
        if md.backend_type == "torch_cuda":
            raise TensorIPCError("GPU (torch_cuda) pools cannot be recorded: the recorder reads "
                                 "frames in host memory")
        if not rec.ros2_types:
            ros_type, enc = None, None
        else:
            ros_type, enc = L.ros2_type_of(md, rec.ros2_type_for.get(md.name))
        self.msg_type, self.encoding = ros_type, enc
        self.channel = rec._sink.add_channel(
            L.topic_of(md.name), ros_type or L.TENSOR_TYPE,
            L.ros2_definition(ros_type) if ros_type else L.TENSOR_DEFINITION,
            L.channel_metadata(md, ros_type, enc))
        self.md = md
        # a large frame's message is laid out in a buffer loaned by the sink:
        # its size is foreseen as the frame and a page of fields around it
        self.message_bytes = md.frame_size + 4096
        self.staged = rec._sink.stages(md.frame_size)
        # frames held at once (zero copy) while they are serialised
        self.hold_frames = max(1, HOLD_BYTES // max(1, md.frame_size))
        consumer = TensorConsumer(md)
        try:
            self._loop(consumer)
        finally:
            consumer.cleanup()

    def _encode(self, frame, stamp: int) -> bytes:
        """The message of one frame (any buffer of frame_bytes)."""
        if self.msg_type is None:
            return L.tensor_header(self.md, stamp) + memoryview(frame).cast("B")
        return _capi.ros2_encode(self.md._c, frame, stamp, self.msg_type, self.encoding,
                                 None, None)

    def _message(self, frame, stamp: int):
        """The message of one frame, ready for the sink: ("staged", loan,
        size) laid out in a loaned buffer (large frames), ("bytes", data), or
        None when the writer refused it (counted by the sink)."""
        sink = self.rec._sink
        if not self.staged:
            return ("bytes", self._encode(frame, stamp))
        while True:
            st = sink.loan(self.channel, self.message_bytes)
            if st is None:
                return None
            try:
                dst = st.payload
                if self.msg_type is None:
                    head = L.tensor_header(self.md, stamp)
                    n = len(head) + self.md.frame_size
                    if n <= len(dst):
                        dst[:len(head)] = head
                        dst[len(head):n] = memoryview(frame).cast("B")
                else:
                    n = _capi.ros2_encode_into(dst, self.md._c, frame, stamp, self.msg_type,
                                               self.encoding, None, None)
            except BaseException:
                sink.unloan(st)
                raise
            if n <= len(dst):
                return ("staged", st, n)
            sink.unloan(st)  # more around the frame than foreseen: a larger loan
            self.message_bytes = n

    def _hand_over(self, msg, stamp: int, index: int) -> None:
        """Give the sink a message made by _message (after the frame's release)."""
        sink = self.rec._sink
        if msg[0] == "staged":
            _, st, n = msg
            sink.commit(st, self.channel, stamp, index, n)
            self.count.add(n, stamp)
        elif sink.put(self.channel, stamp, index, msg[1]):
            self.count.add(len(msg[1]), stamp)

    def _catch_up(self, handle, first: int, upto: int, last: Optional[int]) -> Optional[int]:
        """Frames first..upto one at a time, each copied out of the ring by
        index (a recorder far behind must not hold many frames: the producer
        would wait for them). Returns the newest index recorded."""
        rec, cnt = self.rec, self.count
        if self._scratch is None:
            self._scratch = np.empty(self.md.frame_size, np.uint8)
        for index in range(first, upto + 1):
            if rec._sink.refuse(self.channel, self.md.frame_size):
                if last is not None and index > last + 1:
                    cnt.dropped += index - last - 1
                last = index  # the writer is behind: not saved, and not copied
                continue
            got = handle.get_frame_into(self._scratch, index)
            if got is None or got[0] != index:
                continue  # overwritten meanwhile: counted by the gap
            stamp = got[1]
            if stamp < rec.start_ns:
                continue
            if last is not None and index > last + 1:
                cnt.dropped += index - last - 1
            msg = self._message(self._scratch, stamp)
            if msg is not None:
                self._hand_over(msg, stamp, index)
            last = index
        return last

    def _loop(self, consumer: TensorConsumer) -> None:
        rec, cnt, md = self.rec, self.count, self.md
        handle = consumer._handle()
        hist = md.history_len
        last: Optional[int] = None  # newest index recorded of this incarnation
        connected = False
        fresh = True  # the next frame seen starts an incarnation of the producer
        period = 1.0 / rec.rate if rec.latest_only else None
        next_t = time.monotonic()
        while not rec._stop.is_set():
            if period is None:
                got = consumer.wait(timeout=0.1)
            else:
                next_t += period
                delay = next_t - time.monotonic()
                if delay < 0:
                    next_t = time.monotonic()
                elif rec._stop.wait(delay):
                    break
                got = True
            now_connected = bool(handle.is_connected())
            if connected and not now_connected:
                last = None  # the producer left: a new one starts its indices again
                fresh = True
                cnt.state = "waiting"
            connected = now_connected
            if not got:
                continue
            latest = consumer.latest_index()
            if latest is None:
                continue
            if last is not None and latest < last:
                last = None  # a new incarnation already past the reconnect
                fresh = True
            if fresh:
                fresh = False
                cnt.incarnations += 1
                cnt.state = "live"
            if period is not None:
                n = 1
            elif last is None:
                n = min(latest + 1, hist)
            else:
                n = min(latest - last, hist)
            if n <= 0:
                continue
            if n > self.hold_frames:  # far behind: the older ones one by one
                last = self._catch_up(handle, latest - n + 1, latest - self.hold_frames, last)
                n = self.hold_frames
                if last is None:
                    continue
            want = last + 1 if last is not None else latest - n + 1
            frames = consumer.acquire(n, latest_first=False)
            if frames is None:
                continue
            out: List[Tuple[int, int, Any]] = []
            try:
                try:
                    present = [f for f in frames if f is not None]
                    if period is None and present and present[0].index > want:
                        # acquire takes the newest n: the producer wrote on since
                        # latest_index(), and the frames between are copied out
                        # while they are still in the ring (before these, in order)
                        last = self._catch_up(handle, want, present[0].index - 1, last)
                    for f in present:
                        if last is not None and f.index <= last:
                            continue
                        if f.timestamp_ns < rec.start_ns:
                            continue  # written before this recording began
                        if last is not None and f.index > last + 1 and period is None:
                            cnt.dropped += f.index - last - 1
                        last = f.index
                        if rec._sink.refuse(self.channel, md.frame_size):
                            continue  # the writer is behind: not saved, and not copied
                        msg = self._message(f, f.timestamp_ns)
                        if msg is not None:
                            out.append((f.timestamp_ns, f.index, msg))
                finally:
                    for f in frames:
                        if f is not None:
                            f.release()  # releases the whole view
                            break
                while out:
                    stamp, index, msg = out[0]
                    self._hand_over(msg, stamp, index)
                    out.pop(0)
            except BaseException:
                for _, _, m in out:  # loans not handed over
                    if m[0] == "staged":
                        rec._sink.unloan(m[1])
                raise


class Recorder:
    """Records pools into an MCAP file until ``stop()``.

    ``pools``: names (their metadata is discovered; waited for), PoolMetadata,
    or spec strings (parse_pool_spec). ``latest_only`` with ``rate`` (Hz)
    records the newest frame at that rate instead of every frame.
    ``compression``: "none" (default: the disk, not the CPU, limits a
    recording of images), "zstd" or "lz4". ``ros2_types``: True infers the
    ROS 2 type of each pool (tipc_ros2_infer; pools with none, or several,
    are tensor_ipc/msg/Tensor), a dict {pool: type} also names the type of
    some pools (checked against the pool), False writes every pool as
    tensor_ipc/msg/Tensor.
    """

    def __init__(self, path: Union[str, os.PathLike], pools: Sequence[PoolArg], *,
                 latest_only: bool = False, rate: Optional[float] = None,
                 compression: str = "none", chunk_bytes: int = 4 << 20,
                 chunk_seconds: float = 1.0, max_queue_bytes: int = 512 << 20,
                 ros2_types: Union[bool, Dict[str, str]] = True, crcs: bool = True,
                 direct_io: bool = True) -> None:
        _need_mcap()
        from ._sink import Sink

        if not pools:
            raise ValueError("record: name at least one pool")
        pools = [parse_pool_spec(p) if isinstance(p, str) else p for p in pools]
        names = [p.name if isinstance(p, PoolMetadata) else p for p in pools]
        if len(set(names)) != len(names):
            raise ValueError(f"record: a pool is named twice ({', '.join(names)})")
        if latest_only and not (rate and rate > 0):
            raise ValueError("record: latest_only needs a rate in Hz (> 0)")
        self.path = os.fspath(path)
        self.latest_only = latest_only
        self.rate = rate
        self.ros2_types = ros2_types is not False
        self.ros2_type_for = dict(ros2_types) if isinstance(ros2_types, dict) else {}
        unknown = set(self.ros2_type_for) - set(names)
        if unknown:
            raise ValueError(f"record: a ROS 2 type is given for {', '.join(sorted(unknown))}, "
                             "which is not recorded")
        self._stop = threading.Event()
        self.start_ns = time.time_ns()
        self.t0 = time.monotonic()
        self._sink = Sink(self.path, compression=compression, chunk_bytes=chunk_bytes,
                          chunk_seconds=chunk_seconds, max_queue_bytes=max_queue_bytes,
                          crcs=crcs, library=f"tensor_ipc {_capi.version_string()}",
                          direct_io=direct_io)
        self._taps = [_Tap(self, p) for p in pools]
        self.counts: Dict[str, PoolCount] = {t.count.name: t.count for t in self._taps}
        self.error: Optional[str] = None
        self._closed = False
        for t in self._taps:
            t.start()

    @property
    def running(self) -> bool:
        return not self._stop.is_set() and self._sink.error is None

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Wait until the recording stops by itself (an error) or ``timeout``; True if stopped."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.running:
            left = 0.2 if deadline is None else min(0.2, deadline - time.monotonic())
            if left <= 0:
                return False
            self._stop.wait(left)
        return True

    def stop(self) -> Optional[str]:
        """Stop reading, write the rest, the summary and the footer. Returns
        None when the file is complete, else the sentence saying what failed
        (also in ``error``). Idempotent."""
        if self._closed:
            return self.error
        self._closed = True
        self._stop.set()
        for t in self._taps:
            t.join()
        sink_error = self._sink.close()
        self.seconds = time.monotonic() - self.t0
        errors = [t.error for t in self._taps if t.error] + ([sink_error] if sink_error else [])
        self.error = "; ".join(errors) if errors else None
        return self.error

    def lost(self) -> Dict[str, int]:
        """Frames read but not in the file (writer behind, or after a write error), per pool."""
        out = {}
        for t in self._taps:
            if t.channel is not None:
                out[t.count.name] = (self._sink.lost.get(t.channel, 0)
                                     + self._sink.overflow.get(t.channel, 0))
        return out

    def summary(self) -> str:
        seconds = getattr(self, "seconds", time.monotonic() - self.t0)
        return summary_table(f"recorded {self.path}", self.counts.values(), seconds,
                             {"not saved": self.lost(),
                              "restarts": {k: max(0, c.incarnations - 1)
                                           for k, c in self.counts.items()}})

    def reporter(self, **kw: Any) -> Reporter:
        return Reporter("recording", self.counts, **kw)

    def __enter__(self) -> "Recorder":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def read(path: Union[str, os.PathLike], pool: str) -> Tuple[np.ndarray, np.ndarray]:
    """All frames of ``pool`` in a recording: ``(stamps, frames)``, stamps an
    int64 array of ns, frames an array of shape (N,) + the pool's shape and
    its dtype (bfloat16 as uint16). A damaged file gives what is intact (the
    damage is warned about: RuntimeWarning)."""
    _need_mcap()
    from ._reader import Recording

    rec = Recording(path)
    if pool not in rec.channels:
        raise FormatError(f"recording '{rec.path}' has no pool '{pool}' "
                          f"(it has {', '.join(sorted(rec.channels))})")
    ch = rec.channels[pool]
    # one array of the size the summary gives (grown when there is none)
    out = np.empty((rec.counts.get(pool, 64),) + ch.shape, ch.dtype)
    stamps = np.empty(len(out), np.int64)
    n = 0
    for stamp, frame in _iter(rec, pool):
        if n == len(out):
            out = np.concatenate([out, np.empty_like(out)])
            stamps = np.concatenate([stamps, np.empty_like(stamps)])
        out[n] = frame
        stamps[n] = stamp
        n += 1
    return stamps[:n], out[:n]


def iter_frames(path: Union[str, os.PathLike], pool: str) -> Iterator[Tuple[int, np.ndarray]]:
    """(stamp ns, frame) of ``pool`` one at a time (frames are read-only
    views of the message where the format allows: copy to keep them)."""
    _need_mcap()
    from ._reader import Recording

    return _iter(Recording(path), pool)


def _iter(rec, pool: str) -> Iterator[Tuple[int, np.ndarray]]:
    import warnings

    for info, msg in rec.messages([pool]):
        stamp, frame = info.decode(msg.data)
        yield msg.log_time, frame
    for p in rec.problems:
        warnings.warn(p, RuntimeWarning, stacklevel=3)
