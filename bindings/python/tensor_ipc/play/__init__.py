"""Replay a recording into pools (``tensor_ipc.play``, ``tipc play``).

::

    from tensor_ipc import play
    play.play("run.mcap", rate=1.0)            # blocks until the end
    p = play.Player("run.mcap", pools=["cam"], loop=True); p.start(); ...; p.stop()

Each recorded pool is created again with its recorded metadata (name, shape,
dtype, backend, history), and its frames are put at their recorded times
relative to the first frame, divided by ``rate`` (``rate=0``: as fast as
possible). Frames are decoded straight into the loaned slot of the pool.

Frame stamps: by default a replayed frame is stamped with the wall-clock
time it is due at in this replay (replay start + its recorded offset / rate),
so consumers that measure latency or staleness against their own clock see
what they saw live, and stamps keep their recorded spacing exactly (at rate
1); ``keep_stamps=True`` puts the recorded stamps instead, for consumers that
align frames of several pools by stamp with another recording. Frame indices
start at 0 as a new producer's do (and continue across ``loop`` rounds).

A damaged or cut-off file plays every intact message; ``problems`` (and the
command's stderr) say what was skipped.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Dict, List, Optional, Sequence, Union

from .. import TensorProducer
from .. import capi as _capi
from ..record import _layout as L
from ..record import _need_mcap
from ..record._progress import PoolCount, Reporter, summary_table

__all__ = ["Player", "play"]


class Player:
    """Plays a recording into pools (see the module's doc).

    ``start()`` runs it on a thread, ``run()`` in the caller's; ``stop()``
    ends it early; ``wait()`` waits for the end. ``hold`` keeps the pools
    open that many seconds after the last frame.
    """

    def __init__(self, path: Union[str, os.PathLike], *, rate: float = 1.0, loop: bool = False,
                 pools: Optional[Sequence[str]] = None, keep_stamps: bool = False,
                 hold: float = 0.0, start_delay: float = 0.0) -> None:
        if rate < 0:
            raise ValueError("play: rate must be >= 0 (0: as fast as possible)")
        _need_mcap()
        from ..record._reader import Recording

        self.recording = Recording(path)
        self.path = self.recording.path
        names = list(self.recording.channels) if not pools else list(pools)
        missing = [p for p in names if p not in self.recording.channels]
        if missing:
            raise L.FormatError(
                f"recording '{self.path}' has no pool {', '.join(missing)} "
                f"(it has {', '.join(sorted(self.recording.channels))})")
        self.pools = names
        if keep_stamps and not hasattr(_capi.Producer, "commit_at"):
            raise L.FormatError("play: keep_stamps needs Producer.commit_at, which this build "
                                "of the binding lacks")
        self.rate, self.loop, self.keep_stamps = rate, loop, keep_stamps
        self.hold, self.start_delay = hold, start_delay
        self.counts: Dict[str, PoolCount] = {n: PoolCount(n) for n in names}
        self.problems: List[str] = list(self.recording.problems)
        self.error: Optional[str] = None
        self.late_ms_max = 0.0
        self.rounds = 0
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._producers: Dict[str, TensorProducer] = {}
        self._step_it = None
        self.t0 = time.monotonic()
        self.seconds = 0.0

    def start(self) -> "Player":
        self._thread = threading.Thread(target=self._run_guarded, name="tipc-play", daemon=True)
        self._thread.start()
        return self

    def run(self) -> Optional[str]:
        self._run_guarded()
        return self.error

    def stop(self) -> Optional[str]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        return self.error

    def wait(self, timeout: Optional[float] = None) -> bool:
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def done(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()

    def _run_guarded(self) -> None:
        try:
            self._run()
        except Exception as e:  # noqa: BLE001 - reported to the caller
            self.error = str(e)
        finally:
            self.close()
            self.seconds = time.monotonic() - self.t0

    def open(self) -> None:
        """Create the pools (done by run/start; call it to use step())."""
        for name in self.pools:
            if name not in self._producers:
                self._producers[name] = TensorProducer(self.recording.channels[name].metadata)
                self.counts[name].state = "live"

    def step(self) -> Optional[tuple]:
        """Put the next frame now, whatever its time (frame-by-frame
        debugging, tests): returns (pool, stamp) or None after the last one.
        Stamps: as in run(), with the put time as replay time. close() ends it."""
        self.open()
        if self._step_it is None:
            self._step_it = self.recording.messages(self.pools)
        for info, msg in self._step_it:
            self._put(info, msg.data, msg.log_time if self.keep_stamps else time.time_ns())
            return info.name, msg.log_time
        self.problems = list(self.recording.problems)
        return None

    def close(self) -> None:
        """Close the pools of open()/step()."""
        for p in self._producers.values():
            p.cleanup()
        self._producers.clear()

    def __enter__(self) -> "Player":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
        self.close()

    def _run(self) -> None:
        rec = self.recording
        self.open()
        if self.start_delay > 0 and self._stop.wait(self.start_delay):
            return
        self.t0 = time.monotonic()
        while not self._stop.is_set():
            played = self._round()
            self.rounds += 1
            self.problems = list(rec.problems)
            if not self.loop or not played:
                break
        if self.hold > 0:
            self._stop.wait(self.hold)

    def _round(self) -> int:
        rate = self.rate
        base_mono = base_wall = rec0 = None
        played = 0
        for info, msg in self.recording.messages(self.pools):
            if self._stop.is_set():
                break
            t = msg.log_time
            if rec0 is None:
                rec0 = t
                base_mono, base_wall = time.monotonic(), time.time_ns()
            offset_s = (t - rec0) / 1e9 / rate if rate > 0 else 0.0
            if rate > 0:
                due = base_mono + offset_s
                delay = due - time.monotonic()
                if delay > 0:
                    if self._stop.wait(delay):
                        break
                else:
                    self.late_ms_max = max(self.late_ms_max, -delay * 1e3)
            stamp = t if self.keep_stamps else (
                base_wall + int(offset_s * 1e9) if rate > 0 else time.time_ns())
            self._put(info, msg.data, stamp)
            played += 1
        return played

    def _put(self, info: L.ChannelInfo, data: bytes, stamp: int) -> None:
        p = self._producers[info.name]
        h = p._handle()
        frame = h.loan(p)
        try:
            info.decode_into(frame, data)
            if hasattr(h, "commit_at"):
                h.commit_at(stamp)
            else:  # a binding without commit_at: the put time is the stamp
                h.commit()
        except BaseException:
            h.discard()
            raise
        finally:
            frame._end_loan()
        self.counts[info.name].add(len(data), stamp)

    def reporter(self, **kw: Any) -> Reporter:
        return Reporter("playing", self.counts, **kw)

    def summary(self) -> str:
        title = f"played {self.path} at rate {self.rate:g}" if self.rate > 0 else \
            f"played {self.path} as fast as possible"
        if self.rounds > 1:
            title += f" ({self.rounds} rounds)"
        if self.rate > 0:
            title += f"; latest frame {self.late_ms_max:.1f} ms behind its time"
        return summary_table(title, self.counts.values(), self.seconds)


def play(path: Union[str, os.PathLike], **kw: Any) -> Player:
    """Play a recording to its end (see Player for the options); returns the
    Player (counts, problems, summary()). Raises on a failure."""
    p = Player(path, **kw)
    err = p.run()
    if err:
        raise RuntimeError(err)
    return p
