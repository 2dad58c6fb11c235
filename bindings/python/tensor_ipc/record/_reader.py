"""Reading a recording, whole or damaged.

A complete file is read through its summary; a file without one (the
recorder was killed, the disk filled) or with a damaged chunk is read record
by record with mcap's StreamReader: every intact chunk is used, a chunk whose
CRC or compression fails is skipped, and reading stops at the first
unreadable record. ``Recording.problems`` lists, in sentences, what was
skipped or cut off; nothing is skipped in silence.
"""

from __future__ import annotations

import os
import stat
import struct
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from mcap.exceptions import EndOfFile, McapError
from mcap.reader import make_reader
from mcap.records import Channel, Chunk, Message, Schema
from mcap.stream_reader import CRCValidationError, StreamReader, breakup_chunk

from . import _layout as L


class Recording:
    """The pools of a recording and its messages in file order.

    ``channels``: pool name -> ChannelInfo. ``problems``: sentences about
    damage found (filled while messages are read). ``complete``: the file
    has its summary and footer.
    """

    def __init__(self, path: str) -> None:
        self.path = os.fspath(path)
        self.problems: List[str] = []
        self._opened_problems: List[str] = []
        self.channels: Dict[str, L.ChannelInfo] = {}
        self._by_id: Dict[int, L.ChannelInfo] = {}
        self._schemas: Dict[int, Schema] = {}
        self.complete = False
        self.message_count: Optional[int] = None
        self.counts: Dict[str, int] = {}  # messages per pool, from the summary
        with self._open() as f:
            try:
                summary = make_reader(f).get_summary()
            except (McapError, struct.error, ValueError, OSError, EOFError):
                summary = None
                # a missing footer is the common case: said once, below
            if summary is None:
                # Channels come from the data section as they are met.
                self._scan_channels()
            else:
                self.complete = True
                self._schemas.update(summary.schemas)
                for ch in summary.channels.values():
                    self._add_channel(ch)
                if summary.statistics is not None:
                    self.message_count = summary.statistics.message_count
                    for cid, n in summary.statistics.channel_message_counts.items():
                        if cid in self._by_id:
                            self.counts[self._by_id[cid].name] = n
        if not self.channels:
            raise L.FormatError(
                f"recording '{self.path}': no tensor-ipc channel could be read"
                + (f" ({'; '.join(self.problems)})" if self.problems else "")
            )

    def _open(self):
        """The file, read-only; a FIFO would block a plain open and a device
        could be read forever: only a regular file is a recording."""
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            os.close(fd)
            kind = "a directory" if stat.S_ISDIR(mode) else "a FIFO, device or socket"
            raise L.FormatError(f"recording '{self.path}': not a regular file ({kind})")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")

    def _note(self, what: str) -> None:
        self.problems.append(f"recording '{self.path}': {what}")

    def _add_channel(self, ch: Channel) -> None:
        if ch.id in self._by_id:
            return
        schema = self._schemas.get(ch.schema_id)
        info = L.ChannelInfo(ch.topic, dict(ch.metadata), schema.name if schema else "")
        self._by_id[ch.id] = info
        self.channels[info.name] = info

    def _scan_channels(self) -> None:
        """Find the channels of a file without summary (they are in its chunks)."""
        for _ in self._records(channels_only=True):
            pass
        # The scan's damage reports come again when messages are read.
        self.problems = [f"recording '{self.path}': the file has no summary (the recorder "
                         "did not finish it); it is read record by record"]
        self._opened_problems = list(self.problems)

    def _records(self, channels_only: bool = False) -> Iterator[Tuple[L.ChannelInfo, Message]]:
        with self._open() as f:
            size = os.fstat(f.fileno()).st_size
            reader = StreamReader(f, emit_chunks=True, record_size_limit=size)
            chunk_no = 0
            it = reader.records
            while True:
                start = f.tell()  # where the next record begins
                try:
                    rec = next(it)
                except StopIteration:
                    return
                except EndOfFile:
                    if start == size:
                        self._note(f"the file ends after {size} bytes on a record boundary, "
                                   "without its summary and footer; every record in it was read")
                    else:
                        self._note(f"the file is cut off: the record at byte {start} is "
                                   f"incomplete ({size} bytes in all); everything before it was read")
                    return
                except (McapError, struct.error, ValueError, UnicodeDecodeError) as e:
                    self._note(f"the record at byte {start} of {size} is damaged "
                               f"({type(e).__name__}: {e}); reading stops there, everything "
                               "before it was read")
                    return
                if isinstance(rec, Chunk):
                    chunk_no += 1
                    try:
                        inner = breakup_chunk(rec, validate_crc=True)
                    except (CRCValidationError, McapError, struct.error, ValueError, EOFError,
                            UnicodeDecodeError) as e:
                        self._note(f"chunk {chunk_no} is damaged ({e}); its messages "
                                   f"({rec.message_start_time}..{rec.message_end_time} ns) are skipped")
                        continue
                else:
                    inner = [rec]
                for r in inner:
                    if isinstance(r, Schema):
                        self._schemas.setdefault(r.id, r)
                    elif isinstance(r, Channel):
                        try:
                            self._add_channel(r)
                        except L.FormatError as e:
                            self._note(str(e))
                    elif isinstance(r, Message) and not channels_only:
                        info = self._by_id.get(r.channel_id)
                        if info is not None:
                            yield info, r

    def messages(self, pools: Optional[Sequence[str]] = None) -> Iterator[Tuple[L.ChannelInfo, Message]]:
        """(channel, message) in file order (for a recording: stamp order
        within each pool), for the given pools (None: all)."""
        self.problems = list(self._opened_problems)
        want = None if pools is None else set(pools)
        if want is not None:
            unknown = want - set(self.channels)
            if unknown:
                raise L.FormatError(
                    f"recording '{self.path}' has no pool {', '.join(sorted(unknown))} "
                    f"(it has {', '.join(sorted(self.channels))})"
                )
        for info, msg in self._records():
            if want is None or info.name in want:
                yield info, msg
