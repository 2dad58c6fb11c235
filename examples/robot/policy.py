#!/usr/bin/env python3
"""policy.py: the Python policy of the robot demo.

For each new joint state of the simulator, reads the last 4 camera frames
(zero copy), the last 8 IMU samples and the joint history, computes a 7-joint
velocity action with torch when present (else numpy), and publishes it on
"demo/action". Once a second it prints a table:
each pool's rate, latency from the writer's timestamp to this process's read
(p50/p99) and frames dropped (never seen by any read).

    python3 policy.py [--duration S] [--prefix P] [--require-all]
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

import numpy as np

import tensor_ipc as tipc

try:
    import torch
except ImportError:  # the policy runs with numpy alone
    torch = None


class PoolStats:
    """Rate, latency and drops of one pool, as seen by this reader."""

    def __init__(self, name: str, writer: str) -> None:
        self.name, self.writer = name, writer
        self.last_seen = None
        self.frames = self.dropped = 0
        self.latencies_ms: list = []
        self.window_frames = 0
        self.rate = 0.0

    def saw(self, newest: int, timestamp_ns: int, covered: int) -> None:
        """A read returned frames newest-covered+1 .. newest."""
        if self.last_seen is not None and newest == self.last_seen:
            return
        first = newest - covered + 1
        if self.last_seen is not None and first > self.last_seen + 1:
            self.dropped += first - self.last_seen - 1
        new = newest - (self.last_seen if self.last_seen is not None else newest - 1)
        self.frames += new
        self.window_frames += new
        self.last_seen = newest
        self.latencies_ms.append((time.time_ns() - timestamp_ns) / 1e6)

    def roll(self, seconds: float) -> None:
        self.rate = self.window_frames / seconds
        self.window_frames = 0

    def percentiles(self):
        if not self.latencies_ms:
            return float("nan"), float("nan")
        lat = np.array(self.latencies_ms[-5000:])
        return float(np.percentile(lat, 50)), float(np.percentile(lat, 99))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=0, help="seconds to run (0 = forever)")
    ap.add_argument("--prefix", default="demo", help="pool name prefix")
    ap.add_argument("--require-all", action="store_true",
                    help="exit 1 unless every pool moved and drops stayed under 1%%")
    ap.add_argument("--quiet", action="store_true", help="no live table")
    args = ap.parse_args()

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
        "camera": PoolStats(f"{P}/camera", "C"),
        "imu": PoolStats(f"{P}/imu", "C"),
        "joints": PoolStats(f"{P}/joints", "Lua"),
    }
    target = np.linspace(-0.5, 0.5, 7)
    gain = 2.0
    period = 0.1  # longest wait for a joint state before checking the clock again
    start = last_report = time.monotonic()
    told = set()
    actions = 0
    simrow = None  # the simulator's own measurements of our actions
    engine = "torch" if torch is not None else "numpy"
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
                print_table(now - start, stats, simrow, action.frames_written)

    elapsed = time.monotonic() - start
    print(f"policy: {actions} actions in {elapsed:.1f} s")
    print_table(elapsed, stats, simrow, action.frames_written, final=True)
    for c in (cam, imu, joints, sim_stats):
        c.cleanup()
    action.cleanup()
    if args.require_all:
        ok = all(s.frames > 0 for s in stats.values()) and simrow is not None and simrow[0] > 0
        ok = ok and all(s.dropped <= 0.01 * max(1, s.frames) for s in stats.values())
        if not ok:
            print("policy: FAILED: a pool did not move or dropped more than 1% of its frames",
                  file=sys.stderr)
            return 1
    return 0


def print_table(t: float, stats: dict, simrow, actions_written: int, final: bool = False) -> None:
    head = "summary" if final else f"t={t:5.1f}s"
    lines = [f"{head:9} {'pool':22} {'writer':7} {'reader':7} {'rate Hz':>8} "
             f"{'p50 ms':>7} {'p99 ms':>7} {'dropped':>8}"]
    for s in stats.values():
        p50, p99 = s.percentiles()
        rate = s.frames / t if final else s.rate
        lines.append(f"{'':9} {s.name:22} {s.writer:7} {'Python':7} {rate:8.1f} "
                     f"{p50:7.2f} {p99:7.2f} {s.dropped:8d}")
    if simrow is not None:
        rate = actions_written / t if t > 0 else 0.0
        lines.append(f"{'':9} {stats['camera'].name.split('/')[0] + '/action':22} {'Python':7} "
                     f"{'Lua':7} {rate:8.1f} {simrow[1] / 1e3:7.2f} {simrow[2] / 1e3:7.2f} "
                     f"{int(simrow[3]):8d}")
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
