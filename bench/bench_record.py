#!/usr/bin/python3
"""bench_record.py - how fast tensor_ipc.record writes pools to disk, beside
the disk's own sequential write speed measured in the same run.

Four measurements, in one run, on the same directory (--dir):

  disk           a Python loop writing the camera frame's 6,220,800 bytes
                 to a new file, as many bytes as the recording before it
                 wrote, fsync at the end; and `dd oflag=direct
                 conv=fdatasync` of as many bytes in those blocks (the
                 disk without the page cache). The baseline is the faster
                 of the two: on a virtual machine the page cache can be
                 several times slower than the disk.
  sustained      a producer process puts a 1920x1080x3 uint8 pool ("cam",
                 sensor_msgs/Image rgb8) at 60 Hz and a float64 (10,) pool
                 ("imu", sensor_msgs/Imu) at 500 Hz for --seconds; the
                 recorder records both. Reported: frames recorded / put per
                 pool, dropped, MB/s.
  max            the camera pool put at 240 Hz (1.5 GB/s, history 64);
                 the recorder records what it keeps up with: MB/s written to
                 the file (until it is closed and fsynced), beside the disk
                 baseline, and their ratio (target: disk / recorder <= 1.3).
                 Recorder and disk alternate --rounds times (the disk of a
                 shared machine varies): medians, and the ratio of each pair.
  file side      after each disk run: the recorder's writer alone (its Sink
                 given messages in loaned buffers), the same bytes, fsync:
                 how much of the gap is the file writing and how much the
                 reading side
  page cache     one max run with direct_io=False (the recorder writing
                 through the page cache, as before direct I/O)

The runs above write 1 to 2 GB each: less than the kernel's dirty page limit,
so the page-cache loop measures mostly memory copies into fresh page-cache
memory, and the recorder's CPU (its copy out of the ring and a CRC per
frame, beside its producer, on the same cores) sets its pace. A recording that runs for minutes is paced by the
disk itself once the dirty limit is reached. So, past the page cache
(--volume-gb per run, default 10, well above the dirty limit; 0 skips):

  volume         --volume-rounds rounds, order alternating, of: the recorder
                 at full load until its file holds --volume-gb (fsync
                 included); the Python write loop of that many bytes + fsync;
                 `dd if=/dev/zero bs=6220800 conv=fdatasync` of that many
                 bytes, with and without oflag=direct. Ratio: the fastest
                 disk baseline (medians) over the recorder's median (target
                 <= 1.3).
  volume 60 Hz   the 60 Hz camera + 500 Hz Imu recording, as long as it takes
                 to put --volume-gb of camera frames: what is recorded, what
                 is dropped.

Run with the package (and mcap) on the path and the loopback DDS configuration:

  PYTHONPATH=build/dev/bindings/python/pkg:<site-packages with mcap> \\
  CYCLONEDDS_URI=file://$PWD/tests/cyclonedds-loopback.xml \\
  /usr/bin/python3 bench/bench_record.py [--dir DIR] [--seconds S] [--json FILE]

Every measured run starts --settle seconds (default 8) after the previous
run's file was deleted. On a virtual machine whose balloon driver reports
free pages to the hypervisor (this project's machine does), memory freed a
moment ago is written several times faster than memory freed seconds ago
(the hypervisor backs it again on first touch): a disk loop started at once
after a recording was deleted measured 1.3 to 1.5 GB/s, the same loop after
2 to 8 s idle 350 to 640 MB/s. Without the pause, the baseline, which
follows the recording, got the fresh memory and the recorder, which starts
a producer process first, did not. The "hot" line shows the difference in
the same run.

The exit status is 0 whatever the speed; 1 when a check fails (a recorded
frame differs from the one put, the file is incomplete) or a segment is left.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

CAM_SHAPE = (1080, 1920, 3)
MAX_HZ = 240.0  # the "max" run's camera rate: above what the recorder or disk takes
IMU_SHAPE = (10,)
SETTLE_S = 8.0  # --settle: idle time before each measured run (see the docstring)


def producer_main(prefix: str, cam_hz: float, imu_hz: float, seconds: float, history: int) -> None:
    """The producer process: puts frames whose first bytes carry their number."""
    import tensor_ipc as tipc

    stop = []
    signal.signal(signal.SIGUSR1, lambda *_: stop.append(1))  # the volume runs end this way
    cam = tipc.TensorProducer(tipc.PoolMetadata(f"{prefix}/cam", CAM_SHAPE, "uint8", "numpy",
                                                history))
    imu = tipc.TensorProducer(tipc.PoolMetadata(f"{prefix}/imu", IMU_SHAPE, "float64", "numpy",
                                                64)) if imu_hz > 0 else None
    # Camera frames are written in place (loan/commit, as the demo's driver
    # does), so the producer costs next to nothing: the bytes are whatever the
    # ring held, the first three carry the frame number.
    for _ in range(history):
        with cam.loan() as f:
            f[...] = np.random.default_rng(1).integers(0, 255, CAM_SHAPE, dtype=np.uint8)
    sample = np.zeros(IMU_SHAPE)
    print("ready", flush=True)
    sys.stdin.readline()  # go
    t0 = time.monotonic()
    next_cam = next_imu = t0
    n_cam = n_imu = 0
    while time.monotonic() - t0 < seconds and not stop:
        now = time.monotonic()
        if cam_hz <= 0 or now >= next_cam:
            with cam.loan() as f:
                f[0, 0, :] = (n_cam & 0xFF, (n_cam >> 8) & 0xFF, (n_cam >> 16) & 0xFF)
            n_cam += 1
            next_cam += 1.0 / cam_hz if cam_hz > 0 else 0
        if imu is not None and now >= next_imu:
            sample[0] = n_imu
            imu.put(sample)
            n_imu += 1
            next_imu += 1.0 / imu_hz
        if cam_hz > 0:
            wake = min(next_cam, next_imu if imu is not None else next_cam)
            d = wake - time.monotonic()
            if d > 0:
                time.sleep(d)
    print(json.dumps({"cam": n_cam, "imu": n_imu}), flush=True)
    sys.stdin.readline()  # the recorder has what it can get: close
    cam.cleanup()
    if imu is not None:
        imu.cleanup()


def disk_baseline(d: str, nbytes: int, settle: bool = True) -> float:
    """MB/s of writing ``nbytes`` in camera-frame pieces to a new file, fsync included."""
    buf = np.random.default_rng(2).integers(0, 255, CAM_SHAPE, dtype=np.uint8).tobytes()
    if settle:
        time.sleep(SETTLE_S)
    path = os.path.join(d, "baseline.bin")
    t = time.perf_counter()
    with open(path, "wb", buffering=0) as f:
        left = nbytes
        while left > 0:
            left -= f.write(memoryview(buf)[:left])
        os.fsync(f.fileno())
    dt = time.perf_counter() - t
    os.unlink(path)
    return nbytes / dt / 1e6


def dd_baseline(d: str, nbytes: int, direct: bool = False) -> float:
    """MB/s of ``dd`` writing ``nbytes`` from /dev/zero in camera-frame blocks
    to a new file, conv=fdatasync (dd's own figure for the disk); ``direct``:
    oflag=direct, the disk without the page cache."""
    path = os.path.join(d, "dd.bin")
    count = max(1, nbytes // (CAM_SHAPE[0] * CAM_SHAPE[1] * CAM_SHAPE[2]))
    time.sleep(SETTLE_S)
    t = time.perf_counter()
    subprocess.run(["dd", "if=/dev/zero", f"of={path}", "bs=6220800", f"count={count}",
                    "conv=fdatasync", "status=none"] + (["oflag=direct"] if direct else []),
                   check=True)
    dt = time.perf_counter() - t
    size = os.path.getsize(path)
    os.unlink(path)
    return size / dt / 1e6


def dirty_limit_bytes() -> int:
    """The kernel's dirty page limit (vm.dirty_bytes, or vm.dirty_ratio of
    the memory available): how much a writer can put in the page cache
    before it is held to the disk's pace."""
    def read(name: str) -> int:
        with open(f"/proc/sys/vm/{name}") as f:
            return int(f.read())
    if read("dirty_bytes"):
        return read("dirty_bytes")
    with open("/proc/meminfo") as f:
        info = {ln.split(":")[0]: int(ln.split()[1]) * 1024 for ln in f}
    return info["MemAvailable"] * read("dirty_ratio") // 100


def writer_only(d: str, nbytes: int, crcs: bool = True) -> float:
    """MB/s of the recorder's file side alone (record._sink.Sink, as the
    recorder uses it) given camera messages for ``nbytes`` (each copied into
    a loaned buffer and committed, as a pool's thread does), until the file
    is complete and fsynced: what the recorder's writing costs beside the
    disk loop, without the pool reading and serialising."""
    from tensor_ipc.record._sink import Sink

    frame = np.random.default_rng(3).integers(0, 255, CAM_SHAPE, dtype=np.uint8)
    src = memoryview(frame).cast("B")
    path = os.path.join(d, "writer.mcap")
    time.sleep(SETTLE_S)
    t = time.perf_counter()
    sink = Sink(path, crcs=crcs, max_queue_bytes=64 << 20)
    ch = sink.add_channel("/cam", "sensor_msgs/msg/Image", "", {})
    written, k = 0, 0
    while written < nbytes:
        st = sink.loan(ch, len(src))
        if st is None:
            time.sleep(0.001)  # the queue is full: the writer is behind
            continue
        st.payload[:len(src)] = src
        sink.commit(st, ch, k, k, len(src))
        written += len(src)
        k += 1
    err = sink.close()
    fd = os.open(path, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    dt = time.perf_counter() - t
    assert err is None, err
    os.unlink(path)
    return written / dt / 1e6


def run_recording(d: str, prefix: str, cam_hz: float, imu_hz: float, seconds: float,
                  history: int, crcs: bool = True, until_bytes: int = 0,
                  direct_io: bool = True) -> dict:
    """One recording of the producer's pools; with ``until_bytes``, it ends
    (the producer told to stop) once the file holds that many bytes."""
    from tensor_ipc import PoolMetadata, record

    env = dict(os.environ)
    started = time.monotonic()
    prod = subprocess.Popen([sys.executable, __file__, "--producer", prefix, str(cam_hz),
                             str(imu_hz), str(seconds), str(history)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    assert prod.stdout.readline().strip() == "ready"
    path = os.path.join(d, f"{prefix.replace('/', '_')}.mcap")
    pools = [PoolMetadata(f"{prefix}/cam", CAM_SHAPE, "uint8", "numpy", history)]
    types = {}
    if imu_hz > 0:
        pools.append(PoolMetadata(f"{prefix}/imu", IMU_SHAPE, "float64", "numpy", 64))
        types[f"{prefix}/imu"] = "sensor_msgs/msg/Imu"
    rec = record.Recorder(path, pools, ros2_types=types or True, crcs=crcs, direct_io=direct_io)
    # the recorder's consumers connect before the first frame; the settle
    # counts from the previous run's end, which the producer's start follows
    time.sleep(max(0.5, SETTLE_S - (time.monotonic() - started)))
    t0 = time.perf_counter()
    prod.stdin.write("go\n")
    prod.stdin.flush()
    if until_bytes:
        while os.path.getsize(path) < until_bytes and prod.poll() is None:
            time.sleep(0.1)
        prod.send_signal(signal.SIGUSR1)
    put = json.loads(prod.stdout.readline())
    # frames still queued reach the file; then the file is closed and fsynced
    err = rec.stop()
    fd = os.open(path, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    elapsed = time.perf_counter() - t0
    prod.stdin.write("close\n")
    prod.stdin.flush()
    prod.wait(30)
    size = os.path.getsize(path)
    out = {"elapsed_s": elapsed, "file_mb": size / 1e6, "mb_per_s": size / elapsed / 1e6,
           "error": err, "pools": {}}
    for name, c in rec.counts.items():
        short = name.rsplit("/", 1)[1]
        out["pools"][short] = {"put": put[short], "recorded": c.frames, "dropped": c.dropped,
                               "not_saved": rec.lost().get(name, 0),
                               "hz": c.frames / elapsed if until_bytes else c.frames / seconds}
    # check: the camera frames recorded are the ones put, in order
    n = 0
    last = -1
    for stamp, f in record.iter_frames(path, f"{prefix}/cam"):
        k = int(f[0, 0, 0]) | int(f[0, 0, 1]) << 8 | int(f[0, 0, 2]) << 16
        assert k > last, "camera frames out of order"
        last = k
        n += 1
    assert n == rec.counts[f"{prefix}/cam"].frames
    os.unlink(path)
    return out


def main() -> int:
    global SETTLE_S
    if len(sys.argv) > 1 and sys.argv[1] == "--producer":
        producer_main(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]),
                      int(sys.argv[6]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", help="directory on the disk to measure (default: a temp dir in .)")
    ap.add_argument("--seconds", type=float, default=5.0, help="length of each recording")
    ap.add_argument("--rounds", type=int, default=5, help="disk / max rounds (median)")
    ap.add_argument("--volume-gb", type=float, default=10.0,
                    help="bytes per run past the page cache (0: skip those runs)")
    ap.add_argument("--volume-rounds", type=int, default=2,
                    help="rounds of recorder / write loop / dd past the page cache")
    ap.add_argument("--settle", type=float, default=SETTLE_S,
                    help="idle seconds before each measured run (default %(default)g)")
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()
    SETTLE_S = args.settle
    from tensor_ipc import record

    record.tune_allocator()  # as tipc record does
    base = args.dir or tempfile.mkdtemp(prefix="bench_record.", dir=".")
    os.makedirs(base, exist_ok=True)
    prefix = f"benchrec{os.getpid()}"

    ok = True
    load_before = os.getloadavg()
    # The recorder and the disk alternate, each disk run writing the bytes the
    # recording before it wrote (the disk of a shared machine varies): medians.
    disks, directs, maxruns, writers = [], [], [], []
    for r in range(args.rounds):
        maxruns.append(run_recording(base, f"{prefix}/m{r}", MAX_HZ, 0.0, args.seconds, 64))
        nbytes = int(maxruns[-1]["file_mb"] * 1e6)
        disks.append(disk_baseline(base, nbytes))
        directs.append(dd_baseline(base, nbytes, direct=True))
        writers.append(writer_only(base, nbytes))
    # the same loop started at once after its previous file was deleted
    hot = [disk_baseline(base, nbytes), disk_baseline(base, nbytes, settle=False)]
    nocrc = run_recording(base, f"{prefix}/c", MAX_HZ, 0.0, args.seconds, 64, crcs=False)
    cached = run_recording(base, f"{prefix}/b", MAX_HZ, 0.0, args.seconds, 64, direct_io=False)
    sustained = run_recording(base, f"{prefix}/s", 60.0, 500.0, args.seconds, 8)
    # Past the page cache: each run writes --volume-gb, well beyond the dirty
    # page limit, so the disk itself sets the pace (a recorder runs for hours).
    vol = int(args.volume_gb * 1e9)
    vrecs, vloops, vdds, vdirects, vsus = [], [], [], [], None
    for r in range(args.volume_rounds if vol else 0):
        steps = [lambda: vrecs.append(run_recording(base, f"{prefix}/v{r}", MAX_HZ, 0.0, 3600.0,
                                                    64, until_bytes=vol)),
                 lambda: vloops.append(disk_baseline(base, vol)),
                 lambda: vdds.append(dd_baseline(base, vol)),
                 lambda: vdirects.append(dd_baseline(base, vol, direct=True))]
        for step in (steps if r % 2 == 0 else steps[::-1]):
            step()
    if vol:
        cam_bytes = CAM_SHAPE[0] * CAM_SHAPE[1] * CAM_SHAPE[2]
        vsus = run_recording(base, f"{prefix}/S", 60.0, 500.0, vol / (60 * cam_bytes), 8)
    load_after = os.getloadavg()
    disk_mb = float(np.median(disks))
    direct_mb = float(np.median(directs))
    rec_mb = float(np.median([r["mb_per_s"] for r in maxruns]))
    maxrun = sorted(maxruns, key=lambda r: r["mb_per_s"])[len(maxruns) // 2]
    # the disk's own rate: the faster of its two ways in (page cache, direct)
    ratio = max(disk_mb, direct_mb) / rec_mb
    pairs = [max(d, e) / r["mb_per_s"] for d, e, r in zip(disks, directs, maxruns)]

    print(f"bench_record: {base} ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}), "
          f"{os.cpu_count()} CPUs, load average {load_before[0]:.1f} before, "
          f"{load_after[0]:.1f} after; {SETTLE_S:g} s idle before each measured run")
    print(f"  disk (Python write loop of 6,220,800 B pieces, the recording's byte count, fsync): "
          f"median {disk_mb:.0f} MB/s of {', '.join(f'{d:.0f}' for d in disks)}")
    print(f"  disk, dd oflag=direct conv=fdatasync (no page cache), same bytes: median "
          f"{direct_mb:.0f} MB/s of {', '.join(f'{d:.0f}' for d in directs)}")
    print(f"  disk, hot: the same loop at once after its previous file was deleted: "
          f"{hot[1]:.0f} MB/s (after the {SETTLE_S:g} s idle: {hot[0]:.0f})")
    s = sustained["pools"]
    print(f"  sustained, 1080p rgb8 at 60 Hz + Imu at 500 Hz for {args.seconds:g} s: "
          f"cam {s['cam']['recorded']}/{s['cam']['put']} frames "
          f"({s['cam']['hz']:.1f} Hz, dropped {s['cam']['dropped']}, not saved "
          f"{s['cam']['not_saved']}), imu {s['imu']['recorded']}/{s['imu']['put']} "
          f"({s['imu']['hz']:.1f} Hz, dropped {s['imu']['dropped']}), "
          f"{sustained['mb_per_s']:.0f} MB/s to the file")
    m = maxrun["pools"]["cam"]
    print(f"  max, 1080p rgb8 put at {MAX_HZ:g} Hz (1.49 GB/s, more than dd measures for the disk): median "
          f"{rec_mb:.0f} MB/s to the file, fsync included (runs: "
          f"{', '.join(str(round(r['mb_per_s'])) for r in maxruns)} MB/s); median run "
          f"recorded {m['recorded']} of {m['put']} frames ({m['hz']:.1f} Hz)")
    print(f"  max without chunk CRCs (--no-crc), one run: {nocrc['mb_per_s']:.0f} MB/s to the file "
          f"({nocrc['pools']['cam']['hz']:.1f} Hz)")
    print(f"  max through the page cache (direct_io=False), one run: {cached['mb_per_s']:.0f} "
          f"MB/s to the file ({cached['pools']['cam']['hz']:.1f} Hz)")
    wr_mb = float(np.median(writers))
    print(f"  the recorder's file side alone (Sink fed loaned buffers, same bytes, fsync): "
          f"median {wr_mb:.0f} MB/s of {', '.join(f'{w:.0f}' for w in writers)}; "
          f"disk / file side = {max(disk_mb, direct_mb) / wr_mb:.2f} (per pair: "
          f"{', '.join(f'{max(d, e) / w:.2f}' for d, e, w in zip(disks, directs, writers))})")
    print(f"  disk (the faster way) / recorder = {ratio:.2f} (medians; per pair: "
          f"{', '.join(f'{p:.2f}' for p in pairs)}; target <= 1.3: "
          f"{'met' if ratio <= 1.3 else 'NOT met'})")
    if vol:
        vr = [r["mb_per_s"] for r in vrecs]
        vhz = [r["pools"]["cam"]["hz"] for r in vrecs]
        disk_v = max(float(np.median(vloops)), float(np.median(vdds)),
                     float(np.median(vdirects)))
        vratio = disk_v / float(np.median(vr))
        print(f"  past the page cache: {args.volume_gb:g} GB per run (the kernel's dirty page "
              f"limit here: {dirty_limit_bytes() / 1e9:.1f} GB), {args.volume_rounds} rounds, "
              f"order alternating")
        print(f"    disk, Python write loop + fsync: median {np.median(vloops):.0f} MB/s of "
              f"{', '.join(f'{d:.0f}' for d in vloops)}; dd conv=fdatasync: median "
              f"{np.median(vdds):.0f} of {', '.join(f'{d:.0f}' for d in vdds)}; dd oflag=direct: "
              f"median {np.median(vdirects):.0f} of {', '.join(f'{d:.0f}' for d in vdirects)}")
        print(f"    recorder, 1080p rgb8 put at {MAX_HZ:g} Hz until the file holds "
              f"{args.volume_gb:g} GB, fsync included: median {np.median(vr):.0f} MB/s of "
              f"{', '.join(f'{x:.0f}' for x in vr)} ("
              f"{', '.join(f'{h:.1f}' for h in vhz)} Hz)")
        print(f"    disk (the faster baseline) / recorder = {vratio:.2f} (target <= 1.3: "
              f"{'met' if vratio <= 1.3 else 'NOT met'})")
        v = vsus["pools"]
        print(f"    sustained, 1080p rgb8 at 60 Hz + Imu at 500 Hz for "
              f"{vol / (60 * cam_bytes):.0f} s ({vsus['file_mb'] / 1e3:.1f} GB): cam "
              f"{v['cam']['recorded']}/{v['cam']['put']} (not saved {v['cam']['not_saved']}, "
              f"dropped {v['cam']['dropped']}), imu {v['imu']['recorded']}/{v['imu']['put']} "
              f"(dropped {v['imu']['dropped']}), {vsus['mb_per_s']:.0f} MB/s to the file")
    for r in [sustained, nocrc, cached] + maxruns + vrecs + ([vsus] if vsus else []):
        if r["error"]:
            print(f"  FAILED: {r['error']}")
            ok = False
    left = glob.glob(f"/dev/shm/tipc.{prefix}*")
    if left:
        print(f"  FAILED: left in /dev/shm: {left}")
        ok = False
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"settle_s": SETTLE_S, "disk_hot_mb_per_s": hot,
                       "disk_mb_per_s": disks, "disk_direct_mb_per_s": directs,
                       "max_page_cache": cached, "volume_dd_direct_mb_per_s": vdirects,
                       "sustained": sustained, "max": maxruns,
                       "max_no_crc": nocrc, "writer_only_mb_per_s": writers, "ratio": ratio, "ratio_pairs": pairs,
                       "volume_gb": args.volume_gb, "volume_loop_mb_per_s": vloops,
                       "volume_dd_mb_per_s": vdds, "volume_recorder": vrecs,
                       "volume_sustained": vsus,
                       "load": [load_before, load_after]}, f, indent=1)
    if not args.dir:
        os.rmdir(base)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
