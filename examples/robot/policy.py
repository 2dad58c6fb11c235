#!/usr/bin/env python3
"""policy.py: the Python policy of the robot demo.

For each new joint state of the simulator, reads the last 4 camera frames
(zero copy), the last 8 IMU samples and the joint history, computes a 7-joint
velocity action with numpy (with torch under --torch), and publishes it on
"demo/action". A second thread blocks in ``wait`` on the camera pool, so the
table shows the IPC wake-up latency beside the policy step's. Once a second
it prints a table: each pool's rate, latency from the writer's timestamp to
the read (p50/p99) and frames dropped (never seen by any read); a legend under
the first table and the summary explains the columns.

    python3 policy.py [--duration S] [--prefix P] [--torch] [--require-all]
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time

import numpy as np

import tensor_ipc as tipc

torch = None  # imported by --torch only: the demo needs numpy alone

LEGEND = """\
  pool        the shared-memory pool; writer/reader: the language of the process writing/reading it
  read        how the reader gets its frames:
                step  once per policy step (each new joint state, about 200 Hz), every frame
                      published since the previous step
                wait  blocked in consumer.wait(): woken by each new frame
                tick  the simulator's own 200 Hz loop, reading the latest action with get()
  rate Hz     frames the reader saw per second (the last second; summary: the whole run)
  p50/p99 ms  latency from the writer's timestamp to the read, median and 99th percentile.
              'wait' rows are the IPC wake-up as a Python thread sees it (its p99 includes
              waiting for the interpreter's lock); 'step' and 'tick' rows add the time a
              frame sits until the reader's next step, up to one period of its loop
  dropped     frames published but never read (overwritten in the pool's history first)"""


class PoolStats:
    """Rate, latency and drops of one pool, as seen by one reader (updated by
    the reading thread, reported by the main one)."""

    def __init__(self, name: str, writer: str, read: str, reader: str = "Python") -> None:
        self.name, self.writer, self.read, self.reader = name, writer, read, reader
        self.last_seen = None
        self.frames = self.dropped = 0
        self.latencies_ms: list = []
        self.window_frames = 0
        self.rate = 0.0
        self._lock = threading.Lock()

    def saw(self, newest: int, timestamp_ns: int, covered: int, now_ns: int = 0) -> None:
        """A read at now_ns (default: now) returned frames newest-covered+1 .. newest."""
        now_ns = now_ns or time.time_ns()
        with self._lock:
            if self.last_seen is not None and newest == self.last_seen:
                return
            first = newest - covered + 1
            if self.last_seen is not None and first > self.last_seen + 1:
                self.dropped += first - self.last_seen - 1
            new = newest - (self.last_seen if self.last_seen is not None else newest - 1)
            self.frames += new
            self.window_frames += new
            self.last_seen = newest
            self.latencies_ms.append((now_ns - timestamp_ns) / 1e6)

    def roll(self, seconds: float) -> None:
        with self._lock:
            self.rate = self.window_frames / seconds
            self.window_frames = 0

    def percentiles(self):
        with self._lock:
            lat = np.array(self.latencies_ms[-5000:])
        if lat.size == 0:
            return float("nan"), float("nan")
        return float(np.percentile(lat, 50)), float(np.percentile(lat, 99))


def wait_on_camera(consumer, stats: PoolStats, stopping: threading.Event) -> None:
    """The event-driven reader: blocked in wait() until the driver commits a
    frame, stamps the wake-up at once, then takes (zero copy, released at
    once) the frame that woke it and any that came while it was not waiting."""
    cap = consumer.pool_metadata.history_len
    while not stopping.is_set():
        if not consumer.wait(timeout=0.1):
            continue
        woke_ns = time.time_ns()
        latest, seen = consumer.latest_index(), stats.last_seen
        count = 1 if latest is None or seen is None else max(1, min(cap, latest - seen))
        frames = consumer.acquire(count)
        if not frames or frames[0] is None:
            continue
        newest = frames[0]
        index, stamp = newest.index, newest.timestamp_ns
        covered = sum(f is not None for f in frames)
        newest.release()  # gives back every frame of this acquire
        stats.saw(index, stamp, covered, woke_ns)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=0, help="seconds to run (0 = forever)")
    ap.add_argument("--prefix", default="demo", help="pool name prefix")
    ap.add_argument("--torch", action="store_true",
                    help="compute the action with torch (default: numpy)")
    ap.add_argument("--require-all", action="store_true",
                    help="exit 1 unless every pool moved, drops stayed under 1%% and the "
                         "action was computed with the chosen library alone")
    ap.add_argument("--quiet", action="store_true", help="no live table")
    args = ap.parse_args()
    global torch
    if args.torch:
        try:
            import torch as torch_module
        except ImportError as e:
            print(f"policy: --torch needs PyTorch ({e}); on Debian 12: "
                  "apt-get install python3-torch, or run without --torch", file=sys.stderr)
            return 2
        torch = torch_module

    stop = False

    def on_signal(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    P = args.prefix
    cam = tipc.TensorConsumer(tipc.PoolMetadata(f"{P}/camera", (480, 640, 3), "uint8", "numpy", 8))
    imu = tipc.TensorConsumer(tipc.PoolMetadata(f"{P}/imu", (6,), "float32", "numpy", 64))
    joints = tipc.TensorConsumer(tipc.PoolMetadata(f"{P}/joints", (7,), "float64", "numpy", 16))
    sim_stats = tipc.TensorConsumer(tipc.PoolMetadata(f"{P}/sim_stats", (4,), "float64", "numpy", 1))
    action = tipc.TensorProducer(tipc.PoolMetadata(f"{P}/action", (7,), "float32", "numpy", 4))

    stats = {
        "camera": PoolStats(f"{P}/camera", "C", "step"),
        "camera_wait": PoolStats(f"{P}/camera", "C", "wait"),
        "imu": PoolStats(f"{P}/imu", "C", "step"),
        "joints": PoolStats(f"{P}/joints", "Lua", "wait"),
    }
    # The event-driven reader: its own consumer, so its wait() and the
    # policy step's reads of the camera do not mark frames for each other.
    cam_wait = tipc.TensorConsumer(tipc.PoolMetadata(f"{P}/camera", (480, 640, 3), "uint8",
                                                     "numpy", 8))
    stopping = threading.Event()
    waiter = threading.Thread(target=wait_on_camera, name="camera-wait",
                              args=(cam_wait, stats["camera_wait"], stopping), daemon=True)
    waiter.start()
    target = np.linspace(-0.5, 0.5, 7)
    gain = 2.0
    period = 0.1  # longest wait for a joint state before checking the clock again
    start = last_report = time.monotonic()
    told = set()
    actions = tables = 0
    simrow = None  # the simulator's own measurements of our actions
    engine = f"torch {torch.__version__}" if torch is not None else f"numpy {np.__version__}"
    print(f"policy: reading {P}/camera, {P}/imu, {P}/joints; publishing {P}/action "
          f"for each joint state, with {engine}", flush=True)

    def waiting(what: str) -> None:
        if what not in told:
            print(f"policy: waiting for {what}", flush=True)
            told.add(what)

    def frames_to_read(consumer, key: str, at_least: int) -> int:
        """Read every frame published since the last read (up to the pool's
        history), so a late step catches up instead of dropping frames."""
        latest, seen = consumer.latest_index(), stats[key].last_seen
        cap = consumer.pool_metadata.history_len
        if latest is None or seen is None:
            return at_least
        return max(at_least, min(cap, latest - seen))

    while not stop and (args.duration <= 0 or time.monotonic() - start < args.duration):
        if not joints.wait(timeout=period):
            waiting(f"the simulator on {P}/joints")
            continue
        q_hist = joints.get(history_len=frames_to_read(joints, "joints", 1))
        if q_hist is None:
            continue
        n = 1 if q_hist.ndim == 1 else len(q_hist)
        stats["joints"].saw(joints.last_index, joints.last_timestamp_ns, min(n, joints.last_index + 1))
        q = q_hist if q_hist.ndim == 1 else q_hist[0]

        brightness = 0.0
        with cam.view(history_len=frames_to_read(cam, "camera", 4)) as frames:
            if frames is None:
                waiting(f"the camera driver on {P}/camera")
            else:
                valid = [f for f in frames[:4] if f is not None]
                brightness = float(np.mean([f[::32, ::32, 0].mean() for f in valid])) / 255.0
                covered = sum(f is not None for f in frames)
                stats["camera"].saw(cam.last_index, cam.last_timestamp_ns, covered)
        imu_hist = imu.get(history_len=frames_to_read(imu, "imu", 8))
        accel = 0.0
        if imu_hist is None:
            waiting(f"the IMU on {P}/imu")
        else:
            stats["imu"].saw(imu.last_index, imu.last_timestamp_ns,
                             min(len(imu_hist), imu.last_index + 1))
            accel = float(imu_hist[:8, 0].mean())

        if torch is not None:
            a = gain * (torch.from_numpy(target) - torch.from_numpy(q)) + 0.01 * (brightness + accel)
            a = a.to(torch.float32).numpy()
        else:
            a = (gain * (target - q) + 0.01 * (brightness + accel)).astype(np.float32)
        action.put(a)
        actions += 1

        now = time.monotonic()
        if now - last_report >= 1.0:
            for s in stats.values():
                s.roll(now - last_report)
            last_report = now
            row = sim_stats.get()
            simrow = row if row is not None else simrow
            if not args.quiet:
                print_table(now - start, stats, simrow, action.frames_written,
                            legend=not tables)
                tables += 1

    elapsed = time.monotonic() - start
    stopping.set()
    waiter.join()
    print(f"policy: {actions} actions in {elapsed:.1f} s, with {engine}")
    print_table(elapsed, stats, simrow, action.frames_written, final=True, legend=True)
    for c in (cam, cam_wait, imu, joints, sim_stats):
        c.cleanup()
    action.cleanup()
    if args.require_all:
        ok = all(s.frames > 0 for s in stats.values()) and simrow is not None and simrow[0] > 0
        ok = ok and all(s.dropped <= 0.01 * max(1, s.frames) for s in stats.values())
        if not ok:
            print("policy: FAILED: a pool did not move or dropped more than 1% of its frames",
                  file=sys.stderr)
            return 1
        # The demo's promise: numpy alone unless --torch (nothing imported torch).
        if not args.torch and "torch" in sys.modules:
            print("policy: FAILED: torch was imported without --torch", file=sys.stderr)
            return 1
    return 0


def print_table(t: float, stats: dict, simrow, actions_written: int, final: bool = False,
                legend: bool = False) -> None:
    head = "summary" if final else f"t={t:5.1f}s"
    rows = [(s.name, s.writer, s.reader, s.read, s.frames / t if final else s.rate,
             *s.percentiles(), s.dropped) for s in stats.values()]
    if simrow is not None:
        # The simulator's own measurements of the actions it applied.
        rows.append((stats["camera"].name.rsplit("/", 1)[0] + "/action", "Python", "Lua", "tick",
                     actions_written / t if t > 0 else 0.0, simrow[1] / 1e3, simrow[2] / 1e3,
                     int(simrow[3])))
    lines = [f"{head:9} {'pool':22} {'writer':7} {'reader':7} {'read':5} {'rate Hz':>8} "
             f"{'p50 ms':>7} {'p99 ms':>7} {'dropped':>8}"]
    for name, writer, reader, read, rate, p50, p99, dropped in rows:
        lines.append(f"{'':9} {name:22} {writer:7} {reader:7} {read:5} {rate:8.1f} "
                     f"{p50:7.2f} {p99:7.2f} {dropped:8d}")
    if legend:
        lines.append(LEGEND)
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
