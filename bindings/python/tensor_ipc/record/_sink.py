"""The file side of a recording: one MCAP file (_mcapfile.McapFile) fed by one thread.

Pool threads hand over finished messages (bytes they serialised while holding
the frame); this thread alone touches the file, so a slow disk never keeps a
frame held in a pool. Small messages are gathered in chunks cut by this module
(size or age); a message of at least a chunk's size is a chunk of its own: a
pool thread lays it out in a buffer it loans from here (``loan`` /
``commit``, _mcapfile.Staged: reused, so no fresh memory per frame), which
is written without a copy, with direct I/O where the file system allows it
(``direct_io``). Each chunk is handed to the OS as soon as it is
complete: a crash or a full disk loses at most the chunk in progress. On a
write error (ENOSPC, EIO) the file is cut back to the end of the last complete
chunk, so it ends in a clean record boundary, and the recording stops with
the reason.
"""

from __future__ import annotations

import errno
import os
import queue
import stat
import threading
import time
from typing import Dict, List, Optional

from . import _layout as L
from ._mcapfile import COMPRESSIONS, McapFile, Staged

_KEEP_STAGED_BYTES = 128 << 20  # loan buffers kept for reuse beyond 4 (the rest unmapped)


def _not_regular(path: str, mode: int) -> ValueError:
    kind = ("a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "a device")
    return ValueError(f"recording '{path}': {kind} is there, not a regular file; a recording "
                      "is written to a regular file (new or replaced)")


def _open_regular(path: str) -> int:
    """Open (create, truncate) the recording's file, which must be a regular
    file: the writer writes at positions and cuts the file back after a
    write error. Anything else at the path is refused, unchanged; O_NONBLOCK
    keeps a FIFO put there meanwhile from blocking the open."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        raise _not_regular(path, mode)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    except OSError as e:
        raise OSError(e.errno, f"recording '{path}': cannot open the file ({e.strerror})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(path, mode)
        os.ftruncate(fd, 0)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


class Sink:
    """Owns the MCAP file. ``put`` queues a message (from any thread);
    ``close`` drains, writes the summary and footer, closes the file."""

    def __init__(self, path: str, *, compression: str = "none", chunk_bytes: int = 4 << 20,
                 chunk_seconds: float = 1.0, max_queue_bytes: int = 512 << 20,
                 crcs: bool = True, library: str = "tensor_ipc", direct_io: bool = True) -> None:
        if compression not in COMPRESSIONS:
            raise ValueError(f"compression {compression!r} is not one of {', '.join(COMPRESSIONS)}")
        self.path = path
        self._fd = _open_regular(path)
        self._dfd: Optional[int] = None
        try:
            if direct_io and compression == "none" and hasattr(os, "O_DIRECT"):
                try:
                    self._dfd = os.open(path, os.O_WRONLY | os.O_DIRECT | os.O_CLOEXEC)
                except OSError:
                    self._dfd = None  # no direct I/O on this file system: the page cache
            self._w = McapFile(self._fd, compression=compression, crcs=crcs, direct_fd=self._dfd)
            self._w.start(profile=L.PROFILE, library=library)
        except BaseException:
            os.close(self._fd)
            if self._dfd is not None:
                os.close(self._dfd)
            raise
        # a message this large fills a chunk by itself: loaned, written as one
        self._alone = chunk_bytes if compression == "none" else None
        self._crcs = crcs
        self._chunk_bytes = chunk_bytes
        self._chunk_seconds = chunk_seconds
        self._max_queue = max_queue_bytes
        self._q: "queue.SimpleQueue" = queue.SimpleQueue()
        self._queued = 0
        self._qlock = threading.Lock()
        self._good = self._w.pos  # end of the last complete chunk
        self._pending = 0  # bytes in the chunk in progress
        self._pending_msgs: Dict[int, int] = {}
        self._chunk_t0: Optional[float] = None
        self.error: Optional[str] = None
        self.lost: Dict[int, int] = {}  # channel -> messages lost to the error
        self.overflow: Dict[int, int] = {}  # channel -> messages dropped: writer behind
        self.written_bytes = 0
        self._schemas: Dict[str, int] = {}
        self._free: List[Staged] = []  # loan buffers to reuse (under _qlock)
        self._thread = threading.Thread(target=self._run, name="tipc-record-writer", daemon=True)
        self._thread.start()

    # -- any thread

    def add_channel(self, topic: str, schema_name: str, definition: str,
                    metadata: Dict[str, str]) -> int:
        done = threading.Event()
        box: list = []
        self._q.put(("channel", (topic, schema_name, definition, metadata, box, done)))
        done.wait()
        if isinstance(box[0], BaseException):
            raise box[0]
        return box[0]

    def refuse(self, channel: int, nbytes: int) -> bool:
        """True (and counted, as put counts it) when a message of about
        ``nbytes`` would not be taken now: its pool thread then skips
        serialising it. Copying frames only to drop them at the queue took
        the CPU the writer needed on a busy machine."""
        with self._qlock:
            if self.error is None and self._queued + nbytes <= self._max_queue:
                return False
            book = self.lost if self.error is not None else self.overflow
            book[channel] = book.get(channel, 0) + 1
            return True

    def stages(self, nbytes: int) -> bool:
        """True when a message of ``nbytes`` is a chunk of its own, best
        given as a loan (``loan``/``commit``) rather than ``put``."""
        return self._alone is not None and nbytes >= self._alone

    @property
    def direct_io(self) -> bool:
        """Whether staged messages go to the disk with direct I/O."""
        return self._w.direct

    def loan(self, channel: int, nbytes: int) -> Optional[Staged]:
        """A buffer for one message of up to ``nbytes`` (write it at
        ``.payload``, then ``commit`` or ``unloan`` it), or None (counted, as
        put counts it) when the writer is too far behind or failed."""
        with self._qlock:
            if self.error is not None or self._queued + nbytes > self._max_queue:
                book = self.lost if self.error is not None else self.overflow
                book[channel] = book.get(channel, 0) + 1
                return None
            st = None
            for i, cand in enumerate(self._free):
                if len(cand.payload) >= nbytes:
                    st = self._free.pop(i)
                    break
            if st is None:
                st = Staged(nbytes)
            self._queued += st.capacity
        return st

    def unloan(self, st: Staged) -> None:
        """Give back a loan not committed."""
        with self._qlock:
            self._queued -= st.capacity
        self._keep(st)

    def commit(self, st: Staged, channel: int, stamp_ns: int, sequence: int, size: int) -> None:
        """Queue a loan holding ``size`` payload bytes (its CRC computed here,
        in the caller's thread). If this raises, the loan is still the caller's."""
        st.seal(channel, stamp_ns, stamp_ns, sequence & 0xFFFFFFFF, size, self._crcs)
        self._q.put(("staged", st))

    def _keep(self, st: Staged) -> None:
        with self._qlock:
            kept = sum(f.capacity for f in self._free)
            if len(self._free) < 4 or kept + st.capacity <= _KEEP_STAGED_BYTES:
                self._free.append(st)
                return
        st.close()

    def put(self, channel: int, stamp_ns: int, sequence: int, data: bytes) -> bool:
        """Queue one message for the chunk in progress (large ones are
        loaned: ``stages``); False (and counted) when the writer is too far
        behind or failed."""
        n = len(data)
        with self._qlock:
            if self.error is not None or self._queued + n > self._max_queue:
                book = self.lost if self.error is not None else self.overflow
                book[channel] = book.get(channel, 0) + 1
                return False
            self._queued += n
        self._q.put(("msg", (channel, stamp_ns, sequence, data)))
        return True

    @property
    def queued_bytes(self) -> int:
        return self._queued

    def close(self) -> Optional[str]:
        """Finish the file (summary, footer). Returns the error sentence that
        stopped the recording, or None when the file is complete."""
        self._q.put(("close", None))
        self._thread.join()
        return self.error

    # -- the writer thread

    def _run(self) -> None:
        while True:
            timeout = None
            if self._chunk_t0 is not None:
                timeout = max(0.0, self._chunk_t0 + self._chunk_seconds - time.monotonic())
            try:
                kind, item = self._q.get(timeout=timeout)
            except queue.Empty:
                self._cut()
                continue
            if kind == "staged":
                st = item
                with self._qlock:
                    self._queued -= st.capacity
                if self.error is not None:
                    self.lost[st.channel] = self.lost.get(st.channel, 0) + 1
                else:
                    self._cut()
                    if self.error is None:
                        self._guard(self._w.add_staged, st)
                    if self.error is None:
                        self.written_bytes += st.size
                        self._good = self._w.pos
                    else:
                        self.lost[st.channel] = self.lost.get(st.channel, 0) + 1
                self._keep(st)
            elif kind == "msg":
                channel, stamp, seq, data = item
                with self._qlock:
                    self._queued -= len(data)
                if self.error is not None:
                    self.lost[channel] = self.lost.get(channel, 0) + 1
                    continue
                self._guard(self._w.add_message, channel, stamp, stamp, seq & 0xFFFFFFFF, data)
                if self.error is not None:
                    continue
                self._pending += len(data)
                self._pending_msgs[channel] = self._pending_msgs.get(channel, 0) + 1
                if self._chunk_t0 is None:
                    self._chunk_t0 = time.monotonic()
                if self._pending >= self._chunk_bytes:
                    self._cut()
            elif kind == "channel":
                topic, schema_name, definition, metadata, box, done = item
                try:
                    sid = self._schemas.get(schema_name)
                    if sid is None:
                        sid = self._schemas[schema_name] = self._w.add_schema(
                            schema_name, L.SCHEMA_ENCODING, definition.encode())
                    box.append(self._w.add_channel(topic, L.MESSAGE_ENCODING, sid, metadata))
                    self._good = self._w.pos
                except BaseException as e:  # noqa: BLE001 - handed to the caller
                    box.append(e)
                done.set()
            else:  # close
                if self.error is None:
                    self._guard(self._w.finish)
                    if self.error is None:
                        self._good = self._w.pos
                self._finish_file()
                return

    def _cut(self) -> None:
        """End the chunk in progress and hand it to the OS."""
        self._chunk_t0 = None
        if self.error is not None or not self._pending:
            return
        self._guard(self._w.cut)
        if self.error is None:
            self.written_bytes += self._pending
            self._good = self._w.pos
            self._pending = 0
            self._pending_msgs.clear()

    def _guard(self, fn, *args) -> None:
        try:
            fn(*args)
        except OSError as e:
            why = "the disk is full" if e.errno in (errno.ENOSPC, errno.EDQUOT) else e.strerror
            for ch, n in self._pending_msgs.items():
                self.lost[ch] = self.lost.get(ch, 0) + n
            self._pending_msgs.clear()
            self._pending = 0
            self.error = (
                f"recording '{self.path}': writing failed ({why}, errno {e.errno}); the file keeps "
                f"every chunk written before ({self._good} bytes) and has no summary: "
                "tensor_ipc.play and tensor_ipc.record.read read it, `mcap recover` repairs it"
            )

    def _finish_file(self) -> None:
        if self.error is not None:
            try:  # a clean end: the last complete chunk, not a part of the next
                os.ftruncate(self._fd, self._good)
            except OSError:
                pass
        for st in self._free:
            st.close()
        self._free.clear()
        if self._dfd is not None:
            try:
                os.close(self._dfd)
            except OSError:
                pass
        try:
            os.close(self._fd)
        except OSError as e:
            if self.error is None:
                self.error = f"recording '{self.path}': closing the file failed ({e.strerror})"
