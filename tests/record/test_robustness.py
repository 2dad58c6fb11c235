"""A recording survives what happens to real recordings: a pool that appears
late, a producer that is killed and restarted, SIGTERM/SIGINT, a file cut off
or damaged afterwards, and a disk that fills up while recording."""

from __future__ import annotations

import pathlib
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest
from conftest import PEER, read_line, tipc_cli, wait_until
from mcap.reader import make_reader
from rosbags.highlevel import AnyReader

import tensor_ipc as tipc
from tensor_ipc import record


def values(path, pool, damaged=False):
    if damaged:  # read() warns about what it skipped
        with pytest.warns(RuntimeWarning):
            stamps, frames = record.read(path, pool)
    else:
        stamps, frames = record.read(path, pool)
    assert (np.diff(stamps) > 0).all(), "stamps go back"
    return [int(f.reshape(-1)[0]) for f in frames]


def test_waits_for_a_pool_and_records_both_incarnations_of_a_restarted_producer(
        tmp_path, prefix, spawn):
    name = f"{prefix}/restart"
    md = tipc.PoolMetadata(name, (4,), "int64", "numpy", 8)
    path = tmp_path / "restart.mcap"
    rec = record.Recorder(path, [md])  # before any producer exists
    try:
        a = spawn.python(PEER, name, "int64", "4", "8", "--rate", "200", "--count", "40")
        read_line(a, "done")
        wait_until(lambda: rec.counts[name].frames == 40, 20, "the first producer's 40 frames")
        a.send_signal(signal.SIGKILL)  # no goodbye: the recorder sees the pid die
        a.wait(10)
        b = spawn.python(PEER, name, "int64", "4", "8", "--rate", "200", "--count", "40",
                         "--base", "1000")
        read_line(b, "done")
        wait_until(lambda: rec.counts[name].frames == 80, 20, "the second producer's frames")
        b.send_signal(signal.SIGTERM)
        assert b.wait(10) == 0
    finally:
        assert rec.stop() is None
    assert rec.counts[name].incarnations == 2 and rec.counts[name].dropped == 0
    assert values(path, name) == list(range(40)) + list(range(1000, 1040))
    with open(path, "rb") as f:
        seqs = [m.sequence for _, _, m in make_reader(f).iter_messages()]
    assert seqs == list(range(40)) * 2  # each incarnation's own frame indices


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_ends_the_recording_with_a_complete_file(tmp_path, prefix, spawn, sig):
    name = f"{prefix}/sig"
    prod = spawn.python(PEER, name, "float32", "16x16", "64", "--rate", "200", "--count", "100000")
    read_line(prod, "ready")
    path = tmp_path / "sig.mcap"
    rec = spawn(tipc_cli(), "record", f"{name}:float32:16x16:64", "-o", path, "--chunk-size", "4096",
                env={"TIPC_PYTHON": sys.executable})
    # chunks reach the disk as they fill: wait until several have
    wait_until(lambda: path.exists() and path.stat().st_size > 64 * 1024, 30,
               "the recorder to write 64 KiB")
    rec.send_signal(sig)
    out, err = rec.communicate(timeout=30)
    assert rec.returncode == 0, err
    assert "is complete" in err and "frames" in out
    with open(path, "rb") as f:
        summary = make_reader(f).get_summary()
    assert summary is not None and summary.statistics.message_count > 0
    with AnyReader([pathlib.Path(path)]) as r:  # not our code
        n = sum(1 for _ in r.messages())
    assert n == summary.statistics.message_count
    got = values(path, name)
    # every frame between the first and the last is in the file, or counted as
    # dropped in the summary (a recorder starved of CPU for longer than the
    # 64-frame history, 320 ms, would drop some)
    row = next(line.split() for line in out.splitlines() if line.startswith(name + " "))
    frames, dropped = int(row[1]), int(row[4])
    assert frames == len(got) == len(set(got)) and got == sorted(got)
    assert len(got) + dropped == got[-1] - got[0] + 1


@pytest.fixture
def many_chunks(tmp_path, prefix):
    """A recording of 300 frames (values 0..299) in chunks of about 4 KiB."""
    name = f"{prefix}/chunks"
    md = tipc.PoolMetadata(name, (128,), "float64", "numpy", 512)
    prod = tipc.TensorProducer(md)
    path = tmp_path / "chunks.mcap"
    rec = record.Recorder(path, [md], chunk_bytes=4096)
    try:
        for k in range(300):
            prod.put(np.full(128, k, np.float64))
        c = rec.counts[name]
        wait_until(lambda: c.frames == 300, 20,
                   lambda: f"300 frames recorded (frames {c.frames}, dropped {c.dropped}, "
                           f"{c.state}, error {rec.error}, {[t.error for t in rec._taps]})")
    finally:
        assert rec.stop() is None
        prod.cleanup()
    with open(path, "rb") as f:
        chunks = make_reader(f).get_summary().chunk_indexes
    assert len(chunks) > 20
    return name, path, chunks


def play_cli(spawn, path, *args):
    p = spawn.python("-m", "tensor_ipc.play", path, "--fast", "--quiet", *args)
    out, err = p.communicate(timeout=60)
    return p.returncode, out, err


def test_a_cut_off_file_plays_its_intact_part_with_a_clear_error(many_chunks, tmp_path, spawn):
    name, path, chunks = many_chunks
    cut = tmp_path / "cut.mcap"
    size = chunks[len(chunks) // 2].chunk_start_offset + 100  # inside a chunk
    cut.write_bytes(path.read_bytes()[:size])
    rec = record.Recording(cut)
    assert not rec.complete
    n = sum(1 for _ in rec.messages())
    problems = " ".join(rec.problems)
    assert "no summary" in problems and "the file is cut off" in problems, problems
    got = values(cut, name, damaged=True)
    assert 0 < len(got) == n < 300 and got == list(range(n))  # the intact prefix, exactly
    rc, out, err = play_cli(spawn, cut)
    assert rc == 1 and "the file is cut off" in err, err
    assert f"{name}" in out and f" {len(got)} " in out  # the summary counts what played


def test_a_damaged_chunk_is_skipped_and_the_rest_plays(many_chunks, tmp_path, spawn):
    name, path, chunks = many_chunks
    bad = tmp_path / "bad.mcap"
    data = bytearray(path.read_bytes())
    victim = chunks[5]
    mid = victim.chunk_start_offset + victim.chunk_length // 2
    data[mid:mid + 64] = b"\xff" * 64
    bad.write_bytes(bytes(data))
    got = values(bad, name, damaged=True)
    lost = 300 - len(got)
    assert 0 < lost < 40 and got == sorted(got) and set(got) < set(range(300))
    first_gap = next(i for i, v in enumerate(got) if v != i)
    assert got[first_gap:] == list(range(first_gap + lost, 300))  # one hole: that chunk
    rc, out, err = play_cli(spawn, bad)
    assert rc == 1 and "chunk 6 is damaged" in err and "skipped" in err, err
    assert f" {len(got)} " in out


def test_a_file_that_is_not_a_recording_is_refused_clearly(tmp_path, spawn):
    junk = tmp_path / "junk.mcap"
    junk.write_bytes(b"not an mcap file at all" * 10)
    with pytest.raises(record.FormatError, match="no tensor-ipc channel could be read"):
        record.Recording(junk)
    rc, _, err = play_cli(spawn, junk)
    assert rc == 1 and "junk.mcap" in err


# chunk size 65536: frames (16 KiB) share chunks; 8192: each frame is a chunk
# of its own, laid out in a loaned buffer and written with direct I/O
@pytest.mark.parametrize("chunk", [65536, 8192], ids=["shared_chunks", "direct_io"])
def test_disk_full_keeps_every_earlier_frame_and_a_readable_file(tmp_path, prefix, spawn, chunk):
    name = f"{prefix}/full"
    prod = spawn.python(PEER, name, "float64", "2048", "64", "--rate", "400", "--count", "100000")
    read_line(prod, "ready")
    mnt = tmp_path / "small"
    mnt.mkdir()
    kept = tmp_path / "kept.mcap"
    script = (f'mount -t tmpfs -o size=2m tipc-record-test "{mnt}" || exit 99; '
              f'"{sys.executable}" -m tensor_ipc.record {name}:float64:2048:64 -o "{mnt}/f.mcap" '
              f'--chunk-size {chunk} --quiet; st=$?; cp "{mnt}/f.mcap" "{kept}"; exit $st')
    # a private mount namespace (root: CI and the dev containers run as root)
    assert shutil.which("unshare"), "unshare (util-linux) is needed to mount a small tmpfs"
    rec = spawn("unshare", "-m", "--propagation", "private", "sh", "-c", script)
    out, err = rec.communicate(timeout=60)
    assert rec.returncode != 99, f"cannot mount a tmpfs (needs root): {err}"
    assert rec.returncode == 1, (rec.returncode, err)
    assert "the disk is full" in err and "no summary" in err, err
    size = kept.stat().st_size
    assert 64 * 1024 < size <= 2 * 1024 * 1024
    got = values(kept, name, damaged=True)
    # every frame from the first recorded to the last saved: nothing earlier lost
    assert len(got) > 50 and got == list(range(got[0], got[0] + len(got)))
    r = record.Recording(kept)
    assert not r.complete
    list(r.messages())
    # the file ends on a record boundary: nothing but the missing summary is wrong
    assert len(r.problems) == 2 and "on a record boundary" in r.problems[1], r.problems


@pytest.mark.parametrize("chunk", [65536, 8192], ids=["shared_chunks", "direct_io"])
def test_a_killed_recorder_leaves_every_chunk_it_wrote_readable(tmp_path, prefix, spawn, chunk):
    """SIGKILL gives the recorder no chance to finish the file: every chunk
    handed to the OS before is read back, by our reader and by mcap's
    StreamReader (every CRC checked) alike, and the frames in them are
    consecutive: a crash loses at most what was not yet written."""
    from mcap.exceptions import McapError
    from mcap.records import Message
    from mcap.stream_reader import StreamReader

    name = f"{prefix}/kill"
    prod = spawn.python(PEER, name, "float64", "2048", "64", "--rate", "200", "--count", "100000")
    read_line(prod, "ready")
    path = tmp_path / "kill.mcap"
    rec = spawn.python("-m", "tensor_ipc.record", f"{name}:float64:2048:64", "-o", str(path),
                       "--chunk-size", str(chunk), "--quiet")
    wait_until(lambda: path.exists() and path.stat().st_size > 1 << 20, 30,
               "the recorder to write 1 MiB")
    rec.send_signal(signal.SIGKILL)
    rec.wait(10)
    got = values(path, name, damaged=True)
    assert len(got) > 50 and got == list(range(got[0], got[0] + len(got)))
    r = record.Recording(path)
    assert not r.complete
    list(r.messages())
    assert any("no summary" in p for p in r.problems), r.problems
    theirs = []
    with open(path, "rb") as f:
        try:
            for rec_ in StreamReader(f, validate_crcs=True).records:
                if isinstance(rec_, Message):
                    theirs.append(int(np.frombuffer(rec_.data[-2048 * 8:], np.float64)[0]))
        except McapError:
            pass  # where the file ends: in or after the last record written
    assert theirs == got


def test_a_pool_given_by_name_is_discovered_when_it_appears(tmp_path, prefix, spawn):
    name = f"{prefix}/late"
    path = tmp_path / "late.mcap"
    rec = spawn(tipc_cli(), "record", name, "-o", path, env={"TIPC_PYTHON": sys.executable})
    wait_until(lambda: path.exists(), 30, "the recorder to start")  # the file exists: waiting
    prod = spawn.python(PEER, name, "uint16", "5x6", "64", "--rate", "100", "--count", "30")
    read_line(prod, "done")
    # all 30 are in the ring (history 64): the recorder takes them once it finds the pool
    wait_until(lambda: path.stat().st_size > 30 * 60, 30, "the frames to reach the file")
    rec.send_signal(signal.SIGINT)
    out, err = rec.communicate(timeout=30)
    assert rec.returncode == 0, err
    assert values(path, name) == list(range(30))
    ch = record.Recording(path).channels[name]
    assert ch.metadata == tipc.PoolMetadata(name, (5, 6), "uint16", "numpy", 64)
    assert ch.msg_type == "sensor_msgs/msg/Image"  # uint16 (H,W): mono16


def test_latest_only_records_the_newest_frame_at_the_rate(tmp_path, prefix, spawn):
    name = f"{prefix}/latest"
    prod = spawn.python(PEER, name, "float32", "8", "4", "--rate", "200", "--count", "100000")
    read_line(prod, "ready")
    path = tmp_path / "latest.mcap"
    md = tipc.PoolMetadata(name, (8,), "float32", "numpy", 4)
    rec = record.Recorder(path, [md], latest_only=True, rate=20)
    try:
        wait_until(lambda: rec.counts[name].frames >= 30, 30, "30 frames at 20 Hz")
    finally:
        assert rec.stop() is None
    stamps, frames = record.read(path, name)
    got = [int(f[0]) for f in frames]
    assert got == sorted(set(got))  # each a new frame, in order
    rate = (len(stamps) - 1) / ((stamps[-1] - stamps[0]) / 1e9)
    assert 10 < rate < 30, rate  # 20 Hz of a 200 Hz pool: most frames are left out
    assert got[-1] - got[0] > 5 * len(got)
    assert rec.counts[name].dropped == 0  # skipping on purpose is not dropping


def test_missing_interpreter_or_mcap_is_said_with_the_fix(tmp_path, spawn):
    p = spawn(tipc_cli(), "record", "x", "-o", tmp_path / "x.mcap",
              env={"TIPC_PYTHON": str(tmp_path / "no-python")})
    _, err = p.communicate(timeout=30)
    assert p.returncode == 1 and "cannot run the Python interpreter" in err
    assert "TIPC_PYTHON" in err and "pip install mcap" in err
    # the interpreter the venv was made from: Debian's, without mcap
    base = getattr(sys, "_base_executable", sys.executable)
    probe = subprocess.run([base, "-c", "import mcap"], capture_output=True)
    assert probe.returncode != 0, f"{base} has mcap: this check needs one without"
    p = spawn(tipc_cli(), "play", tmp_path / "x.mcap", env={"TIPC_PYTHON": base})
    _, err = p.communicate(timeout=30)
    assert p.returncode == 1, err
    assert "the Python package 'mcap' is missing" in err and f"{base} -m pip install mcap" in err


def test_frames_the_writer_cannot_queue_are_counted_as_not_saved(tmp_path, prefix):
    """A writer queue smaller than one frame takes none: every frame read is
    counted as not saved (skipped before it is serialised), none as recorded,
    and the file is still complete."""
    name = f"{prefix}/full"
    md = tipc.PoolMetadata(name, (32, 32), "float32", "numpy", 4)
    prod = tipc.TensorProducer(md)
    path = tmp_path / "full.mcap"
    rec = record.Recorder(path, [md], max_queue_bytes=md.frame_size // 2)
    try:
        wait_until(lambda: rec.counts[name].state == "live" or rec._taps[0].channel is not None,
                   30, "the recorder's reader is connected")
        for k in range(20):
            prod.put(np.full((32, 32), k, np.float32))
            wait_until(lambda: rec.lost().get(name, 0) + rec.counts[name].dropped > k, 30,
                       f"frame {k} seen by the recorder")
    finally:
        err = rec.stop()
        prod.cleanup()
    assert err is None, err
    assert rec.counts[name].frames == 0
    assert rec.lost()[name] + rec.counts[name].dropped == 20 and rec.lost()[name] > 0
    with open(path, "rb") as f:
        summary = make_reader(f).get_summary()
    assert summary.statistics.message_count == 0


@pytest.mark.parametrize("kind", ["fifo", "directory", "device"])
def test_a_path_that_is_not_a_regular_file_is_refused_unchanged(tmp_path, spawn, kind):
    """A FIFO (no reader: an open for writing would block), a directory or a
    device at the output path: `tipc record` says so at once and exits 1,
    and the thing at the path is left as it was."""
    import os

    if kind == "fifo":
        path = tmp_path / "out.mcap"
        os.mkfifo(path)
    elif kind == "directory":
        path = tmp_path / "out.mcap"
        path.mkdir()
        (path / "keep").write_text("x")
    else:
        path = pathlib.Path("/dev/null")
    rec = spawn.python("-m", "tensor_ipc.record", "nosuchpool:uint8:4:2", "-o", str(path),
                       "--quiet")
    out, err = rec.communicate(timeout=60)
    assert rec.returncode == 1, (rec.returncode, err)
    want = {"fifo": "a FIFO", "directory": "a directory", "device": "a device"}[kind]
    assert f"recording '{path}': {want} is there, not a regular file" in err, err
    if kind == "fifo":
        import stat
        assert stat.S_ISFIFO(os.stat(path).st_mode)
    elif kind == "directory":
        assert (path / "keep").read_text() == "x"
    else:
        assert pathlib.Path("/dev/null").is_char_device()
    with pytest.raises(ValueError, match="not a regular file"):
        record.Recorder(path, [tipc.PoolMetadata("nosuchpool", (4,), "uint8", "numpy", 2)])


def test_play_refuses_a_fifo_or_directory_at_once(tmp_path, spawn):
    """`tipc play` of a FIFO (an open for reading would wait for a writer)
    or a directory: a clear error and exit 1, without blocking."""
    import os

    fifo = tmp_path / "in.mcap"
    os.mkfifo(fifo)
    for path, kind in [(fifo, "a FIFO, device or socket"), (tmp_path, "a directory")]:
        rc, _, err = play_cli(spawn, path)
        assert rc == 1 and f"recording '{path}': not a regular file ({kind})" in err, err
        with pytest.raises(record.FormatError, match="not a regular file"):
            record.Recording(path)
