"""The MCAP container of a recording, written with the `mcap` package's records.

mcap.writer.Writer copies every message into its chunk buffer, then the
chunk into a record buffer, then hands the result to the file: for a
camera frame that is three copies of 6 MB (and fresh memory for each) before
the one copy into the page cache that a plain write makes. This class writes
the same file layout as that Writer (chunks with message indexes, then schemas,
channels, statistics, chunk indexes and summary offsets, and the footer),
every record serialised by the package's own record classes (mcap.records,
mcap.data_stream.RecordBuilder), except one thing: a message too large to
share a chunk is written as a chunk of its own whose record headers come from
those classes and whose payload is never copied in user space after its
producer laid it out, with those headers, in a Staged buffer (the chunk's
records, page-aligned, reused). The file writes that buffer with direct
I/O (O_DIRECT) when the file system allows it, from the buffer to the disk
with no copy into the page cache. Direct I/O needs whole pages at page
offsets: before each staged chunk a private record (opcode PAD_OPCODE, in
the range MCAP leaves to applications; readers skip records they do not
know) pads the file to a page boundary, and the chunk's last partial page
goes through the page cache. No page is ever written both ways.

All positions and lengths are the ones the Writer would compute for the same
records; tests read the files with the `mcap` readers and rosbags.
"""

from __future__ import annotations

import errno
import mmap
import os
import struct
import zlib
from typing import Dict, List, Optional, Sequence

from mcap.data_stream import RecordBuilder
from mcap.opcode import Opcode
from mcap.records import (Channel, Chunk, ChunkIndex, DataEnd, Footer, Header, Message,
                          MessageIndex, Schema, Statistics, SummaryOffset)
from mcap.writer import MCAP0_MAGIC

try:
    import lz4.frame as _lz4
except ImportError:  # only --compression lz4 needs it
    _lz4 = None
try:
    import zstandard as _zstd
except ImportError:  # only --compression zstd needs it
    _zstd = None

COMPRESSIONS = ("none", "zstd", "lz4")
_RECORD_HEAD = 9  # every MCAP record: opcode (u8), length of what follows (u64)
_IOV_MAX = 1024
PAGE = 4096  # direct I/O's alignment of offsets, lengths and memory (enough for any disk)
PAD_OPCODE = 0xF7  # a private record (MCAP leaves 0x80-0xFF to applications): padding


def _serialise(record) -> bytearray:
    b = RecordBuilder()
    record.write(b)
    return bytearray(b.end())


def _message_head(channel: int, sequence: int, log_time: int, publish_time: int,
                  size: int) -> bytearray:
    """mcap's Message record of ``size`` data bytes, without the data."""
    head = _serialise(Message(channel_id=channel, log_time=log_time, data=b"",
                              publish_time=publish_time, sequence=sequence))
    struct.pack_into("<Q", head, 1, len(head) - _RECORD_HEAD + size)
    return head


def _chunk_head(start: int, end: int, crc: int, size: int) -> bytearray:
    """mcap's Chunk record (uncompressed) of ``size`` record bytes, without
    them: the chunk's last field is the u64 length of those bytes."""
    head = _serialise(Chunk(compression="", data=b"", message_start_time=start,
                            message_end_time=end, uncompressed_crc=crc, uncompressed_size=size))
    struct.pack_into("<Q", head, 1, len(head) - _RECORD_HEAD + size)
    struct.pack_into("<Q", head, len(head) - 8, size)
    return head


def write_all(fd: int, bufs: Sequence, offset: int) -> int:
    """os.pwritev at ``offset`` until every byte of ``bufs`` is written;
    returns the count."""
    views: List[memoryview] = [memoryview(b).cast("B") for b in bufs if len(b)]
    total = sum(len(v) for v in views)
    while views:
        n = os.pwritev(fd, views[:_IOV_MAX], offset)
        if n <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        offset += n
        while n:
            if n >= len(views[0]):
                n -= len(views.pop(0))
            else:
                views[0] = views[0][n:]
                n = 0
    return total


_CHUNK_HEAD = len(_chunk_head(0, 0, 0, 0))
_MESSAGE_HEAD = len(_message_head(0, 0, 0, 0, 0))
_INDEX_LEN = len(_serialise(MessageIndex(channel_id=0, records=[(0, 0)])))


class Staged:
    """One message laid out as the records of a chunk of its own, in a
    page-aligned buffer (anonymous mmap) that is reused: chunk head, message
    head, the payload (written by the caller at ``payload``), the message
    index. ``seal`` fills the heads and the CRC; McapFile.add_staged writes
    it. A Staged is used by one thread at a time."""

    HEAD = _CHUNK_HEAD + _MESSAGE_HEAD  # bytes before the payload

    def __init__(self, payload_capacity: int) -> None:
        size = -(-(self.HEAD + payload_capacity + _INDEX_LEN) // PAGE) * PAGE
        self._mem = mmap.mmap(-1, size)
        self.view = memoryview(self._mem)
        self.capacity = size
        self.payload = self.view[self.HEAD:size - _INDEX_LEN]  # where the caller writes
        self.length = 0
        self.channel = 0
        self.log_time = 0
        self.size = 0

    def seal(self, channel: int, log_time: int, publish_time: int, sequence: int, size: int,
             crcs: bool) -> None:
        """Complete the chunk of the ``size`` payload bytes written (its CRC
        computed here when ``crcs``: zlib lets other threads run meanwhile)."""
        if size > len(self.payload):
            raise ValueError(f"a staged message of {size} bytes does not fit its buffer")
        v, ch = self.view, _CHUNK_HEAD
        v[ch:self.HEAD] = _message_head(channel, sequence, log_time, publish_time, size)
        records = _MESSAGE_HEAD + size
        crc = zlib.crc32(v[ch:ch + records]) if crcs else 0
        v[:ch] = _chunk_head(log_time, log_time, crc, records)
        end = self.HEAD + size
        v[end:end + _INDEX_LEN] = _serialise(MessageIndex(channel_id=channel,
                                                          records=[(log_time, 0)]))
        self.length = end + _INDEX_LEN
        self.channel, self.log_time, self.size = channel, log_time, size

    def close(self) -> None:
        """Unmap the buffer now (else when collected, if a view of it is still held)."""
        self.payload.release()
        self.view.release()
        try:
            self._mem.close()
        except BufferError:
            pass


class McapFile:
    """One MCAP file being written to ``fd`` (owned by the caller), in order:
    start, schemas / channels / messages, finish. ``pos`` is the file
    position after the last complete record. ``direct_fd``: the same file
    opened with O_DIRECT (owned by the caller), used for staged messages;
    ``direct`` turns False when the file system refuses a direct write. Not
    thread safe."""

    def __init__(self, fd: int, *, compression: str = "none", crcs: bool = True,
                 direct_fd: Optional[int] = None) -> None:
        if compression not in COMPRESSIONS:
            raise ValueError(f"compression {compression!r} is not one of {', '.join(COMPRESSIONS)}")
        if compression == "lz4" and _lz4 is None:
            raise ValueError("compression lz4 needs the Python package 'lz4'")
        if compression == "zstd" and _zstd is None:
            raise ValueError("compression zstd needs the Python package 'zstandard'")
        self.fd = fd
        self.direct_fd = direct_fd
        self.pos = 0
        self.compression = "" if compression == "none" else compression
        self.crcs = crcs
        self._schemas: List[Schema] = []
        self._channels: List[Channel] = []
        self._chunk_indexes: List[ChunkIndex] = []
        self._stats = Statistics(attachment_count=0, channel_count=0, channel_message_counts={},
                                 chunk_count=0, message_count=0, metadata_count=0,
                                 message_start_time=0, message_end_time=0, schema_count=0)
        self._chunk = RecordBuilder()  # the message records of the chunk in progress
        self._chunk_index: Dict[int, MessageIndex] = {}
        self._chunk_t = (0, 0)

    @property
    def chunk_bytes(self) -> int:
        """Bytes of messages in the chunk in progress."""
        return self._chunk.count

    # -- records

    @property
    def direct(self) -> bool:
        return self.direct_fd is not None

    def _write(self, bufs: Sequence) -> None:
        self.pos += write_all(self.fd, bufs, self.pos)

    def start(self, profile: str, library: str) -> None:
        self._write([MCAP0_MAGIC, _serialise(Header(profile=profile, library=library))])

    def add_schema(self, name: str, encoding: str, data: bytes) -> int:
        s = Schema(id=len(self._schemas) + 1, name=name, encoding=encoding, data=data)
        self._write([_serialise(s)])
        self._schemas.append(s)
        self._stats.schema_count += 1
        return s.id

    def add_channel(self, topic: str, message_encoding: str, schema_id: int,
                    metadata: Dict[str, str]) -> int:
        c = Channel(id=len(self._channels) + 1, topic=topic, message_encoding=message_encoding,
                    schema_id=schema_id, metadata=dict(metadata))
        self._write([_serialise(c)])
        self._channels.append(c)
        self._stats.channel_count += 1
        return c.id

    def _count(self, channel: int, log_time: int) -> None:
        st = self._stats
        if st.message_count == 0:
            st.message_start_time = st.message_end_time = log_time
        st.message_start_time = min(st.message_start_time, log_time)
        st.message_end_time = max(st.message_end_time, log_time)
        st.message_count += 1
        st.channel_message_counts[channel] = st.channel_message_counts.get(channel, 0) + 1

    def add_message(self, channel: int, log_time: int, publish_time: int, sequence: int,
                    data) -> None:
        """Add a message to the chunk in progress (copied: for small messages)."""
        idx = self._chunk_index.get(channel)
        if idx is None:
            idx = self._chunk_index[channel] = MessageIndex(channel_id=channel, records=[])
        if not self._chunk.count:
            self._chunk_t = (log_time, log_time)
        idx.records.append((log_time, self._chunk.count))
        Message(channel_id=channel, log_time=log_time, data=data, publish_time=publish_time,
                sequence=sequence).write(self._chunk)
        self._chunk_t = (min(self._chunk_t[0], log_time), max(self._chunk_t[1], log_time))
        self._count(channel, log_time)

    def cut(self) -> None:
        """Write the chunk in progress (if it has messages) and its message indexes."""
        if not self._chunk.count:
            return
        records = self._chunk.end()
        if self.compression == "lz4":
            payload = _lz4.compress(records)
        elif self.compression == "zstd":
            payload = _zstd.compress(records)
        else:
            payload = records
        chunk = Chunk(compression=self.compression, data=payload,
                      message_start_time=self._chunk_t[0], message_end_time=self._chunk_t[1],
                      uncompressed_crc=zlib.crc32(records) if self.crcs else 0,
                      uncompressed_size=len(records))
        indexes = list(self._chunk_index.values())
        self._chunk_index = {}
        self._write_chunk([_serialise(chunk)], chunk, len(payload), indexes)

    def add_staged(self, st: Staged) -> None:
        """Write a sealed Staged message as a chunk of its own (after the
        chunk in progress): with direct I/O from its page-aligned start when
        the file has a direct fd, else through the page cache."""
        self.cut()
        if self.direct_fd is not None:
            gap = -self.pos % PAGE
            if gap:
                if gap < _RECORD_HEAD:
                    gap += PAGE
                pad = bytearray(gap)
                pad[0] = PAD_OPCODE
                struct.pack_into("<Q", pad, 1, gap - _RECORD_HEAD)
                self._write([pad])
        start = self.pos
        view = st.view[:st.length]
        whole = st.length // PAGE * PAGE if self.direct_fd is not None else 0
        if whole:
            try:
                done = os.pwrite(self.direct_fd, view[:whole], start)
            except OSError as e:
                if e.errno != errno.EINVAL:
                    raise
                self.direct_fd = None  # the file system takes no direct I/O here
                done = 0
            whole = done - done % PAGE
        write_all(self.fd, [view[whole:]], start + whole)
        self.pos = start + st.length
        chunk_len = st.length - _INDEX_LEN
        records = chunk_len - _CHUNK_HEAD
        self._count(st.channel, st.log_time)
        self._stats.chunk_count += 1
        self._chunk_indexes.append(ChunkIndex(
            message_start_time=st.log_time, message_end_time=st.log_time,
            chunk_start_offset=start, chunk_length=chunk_len,
            message_index_offsets={st.channel: start + chunk_len},
            message_index_length=_INDEX_LEN, compression="",
            compressed_size=records, uncompressed_size=records))

    def _write_chunk(self, bufs: list, chunk: Chunk, data_len: int,
                     indexes: List[MessageIndex]) -> None:
        """The chunk's bytes and its message indexes in one write, then its ChunkIndex."""
        start = self.pos
        chunk_len = sum(len(b) for b in bufs)
        offsets: Dict[int, int] = {}
        tail = RecordBuilder()
        for idx in indexes:
            if idx.records:
                offsets[idx.channel_id] = start + chunk_len + tail.count
                idx.write(tail)
        index_len = tail.count
        self._write(bufs + [tail.end()])
        self._stats.chunk_count += 1
        self._chunk_indexes.append(ChunkIndex(
            message_start_time=chunk.message_start_time, message_end_time=chunk.message_end_time,
            chunk_start_offset=start, chunk_length=chunk_len, message_index_offsets=offsets,
            message_index_length=index_len, compression=chunk.compression,
            compressed_size=data_len, uncompressed_size=chunk.uncompressed_size))

    def finish(self) -> None:
        """The chunk in progress, the data end, the summary and the footer (as mcap's Writer)."""
        self.cut()
        self._write([_serialise(DataEnd(data_section_crc=0))])
        summary_start = self.pos
        b = RecordBuilder()
        offsets: List[SummaryOffset] = []

        def group(opcode: Opcode, records: Sequence) -> None:
            start = b.count
            for r in records:
                r.write(b)
            offsets.append(SummaryOffset(group_opcode=opcode, group_start=summary_start + start,
                                         group_length=b.count - start))

        group(Opcode.SCHEMA, self._schemas)
        group(Opcode.CHANNEL, self._channels)
        group(Opcode.STATISTICS, [self._stats])
        group(Opcode.CHUNK_INDEX, self._chunk_indexes)
        group(Opcode.ATTACHMENT_INDEX, [])
        group(Opcode.METADATA_INDEX, [])
        offset_start = summary_start + b.count
        for o in offsets:
            o.write(b)
        summary = b.end()
        crc = 0
        if self.crcs:
            # the summary CRC covers the footer's fields up to the CRC itself
            crc = zlib.crc32(struct.pack("<BQQQ", Opcode.FOOTER, 8 + 8 + 4, summary_start,
                                         offset_start), zlib.crc32(summary))
        footer = _serialise(Footer(summary_start=summary_start, summary_offset_start=offset_start,
                                   summary_crc=crc))
        self._write([summary, footer, MCAP0_MAGIC])


__all__ = ["McapFile", "Staged", "COMPRESSIONS", "PAD_OPCODE", "PAGE", "write_all"]
