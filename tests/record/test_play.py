"""Replay: frames come at their recorded timing (rate 1 and 2), with stamps
that keep the recorded spacing at replay time; --fast, --loop and --pools;
pools are exactly the recorded ones and go away at the end.

Timing tolerance: each interval between two consecutive frames, as a
consumer in another thread sees them arrive, is within 20 ms of the recorded
interval divided by the rate (generous for a loaded 2-core machine; the
player itself is typically within 1 ms)."""

from __future__ import annotations

import signal
import threading
import time

import numpy as np
import pytest
from conftest import wait_until

import tensor_ipc as tipc
from tensor_ipc import play, record

TOLERANCE_S = 0.020
INTERVALS_MS = [10, 40, 25, 60, 15, 30, 5, 50, 20, 35] * 2


@pytest.fixture
def paced(tmp_path, prefix):
    """A recording of pool a (frames at INTERVALS_MS) and pool b (one frame)."""
    a = tipc.PoolMetadata(f"{prefix}/a", (3,), "float64", "numpy", 64)
    b = tipc.PoolMetadata(f"{prefix}/b", (2, 2), "int32", "numpy", 2)
    pa, pb = tipc.TensorProducer(a), tipc.TensorProducer(b)
    path = tmp_path / "paced.mcap"
    rec = record.Recorder(path, [a, b])
    try:
        pb.put(np.arange(4, dtype=np.int32).reshape(2, 2))
        t = time.monotonic()
        for k, ms in enumerate([0] + INTERVALS_MS):
            t += ms / 1000
            time.sleep(max(0.0, t - time.monotonic()))  # the recorded run's own pace
            pa.put(np.full(3, k, np.float64))
        wait_until(lambda: rec.counts[a.name].frames == len(INTERVALS_MS) + 1, 20, "all frames")
    finally:
        assert rec.stop() is None
        pa.cleanup()
        pb.cleanup()
    stamps, _ = record.read(path, a.name)
    return path, a, b, np.diff(stamps) / 1e9


class Watcher(threading.Thread):
    """Notes (index, arrival time, stamp, value) of each new frame of a pool."""

    def __init__(self, md) -> None:
        super().__init__(daemon=True)
        self.c = tipc.TensorConsumer(md)
        self.seen = []
        self.stop = threading.Event()
        self.start()

    def run(self) -> None:
        while not self.stop.is_set():
            if self.c.wait(timeout=0.05):
                v = self.c.get()
                if v is not None:
                    self.seen.append((self.c.last_index, time.monotonic(),
                                      self.c.last_timestamp_ns, v.copy()))

    def end(self):
        self.stop.set()
        self.join()
        self.c.cleanup()
        return self.seen


@pytest.mark.parametrize("rate", [1.0, 2.0])
def test_frames_come_at_their_recorded_times(paced, rate):
    path, a, _, recorded = paced
    w = Watcher(a)
    player = play.Player(path, rate=rate, pools=[a.name], start_delay=0.3, hold=0.3)
    t_wall = time.time_ns()
    assert player.run() is None
    seen = w.end()
    assert [int(v[0]) for _, _, _, v in seen] == [i for i, _, _, _ in seen]
    by_index = {i: (t, s) for i, t, s, _ in seen}
    checked = 0
    for i in range(len(recorded)):
        if i in by_index and i + 1 in by_index:
            arrival = by_index[i + 1][0] - by_index[i][0]
            assert abs(arrival - recorded[i] / rate) < TOLERANCE_S, (i, arrival, recorded[i])
            # replay stamps: the recorded spacing (divided by the rate), at replay time
            stamp_gap = (by_index[i + 1][1] - by_index[i][1]) / 1e9
            assert abs(stamp_gap - recorded[i] / rate) < 1e-6
            checked += 1
    assert checked >= len(recorded) - 3  # the watcher may miss a frame or two under load
    assert min(s for _, _, s, _ in seen) >= t_wall  # stamped now, not in the past
    assert player.late_ms_max < 1000 * TOLERANCE_S


def test_fast_loop_and_a_subset_of_pools_from_the_command(paced, spawn, prefix):
    path, a, b, recorded = paced
    w = Watcher(a)
    p = spawn.python("-m", "tensor_ipc.play", path, "--fast", "--loop", "--pools", a.name,
                     "--quiet")
    n = len(recorded) + 1
    wait_until(lambda: w.seen and w.seen[-1][0] >= 3 * n, 30, "three rounds played")
    probe = tipc.TensorConsumer(b)  # pool b is not played
    assert not probe.connected
    probe.cleanup()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=20)
    assert p.returncode == 0, err
    assert "rounds" in out and a.name in out and b.name not in out
    seen = w.end()
    # values go round: frame index i carries the recorded frame i mod n
    assert all(int(v[0]) == i % n for i, _, _, v in seen)


def test_replayed_pools_are_the_recorded_pools(paced):
    path, a, b, _ = paced
    rec = record.Recording(path)
    for md in (a, b):
        got = rec.channels[md.name].metadata
        assert got == md and got.history_len == md.history_len and got.shape == md.shape
    with play.Player(path) as p:
        p.open()
        c = tipc.TensorConsumer(b)
        assert c.connected  # same name, shape, dtype, backend and history
        c.cleanup()
