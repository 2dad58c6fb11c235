"""Terminal progress and summaries of recording and playing (stderr / stdout)."""

from __future__ import annotations

import sys
import time
from typing import Dict, Iterable, TextIO


class PoolCount:
    """Counters of one pool, updated by its thread, read by the reporter."""

    __slots__ = ("name", "frames", "bytes", "dropped", "incarnations", "first_ns", "last_ns",
                 "state")

    def __init__(self, name: str) -> None:
        self.name = name
        self.frames = self.bytes = self.dropped = self.incarnations = 0
        self.first_ns = self.last_ns = None
        self.state = "waiting"

    def add(self, nbytes: int, stamp_ns: int) -> None:
        self.frames += 1
        self.bytes += nbytes
        if self.first_ns is None:
            self.first_ns = stamp_ns
        self.last_ns = stamp_ns


class Reporter:
    """A progress line every ``interval`` seconds: rewritten in place on a
    terminal, one line each time otherwise (logs)."""

    def __init__(self, verb: str, counts: Dict[str, PoolCount], out: TextIO = None,
                 interval: float = None) -> None:
        self.out = out or sys.stderr
        self.tty = self.out.isatty()
        self.interval = interval if interval is not None else (0.5 if self.tty else 5.0)
        self.verb = verb
        self.counts = counts
        self.t0 = time.monotonic()
        self._last_t = self.t0
        self._last_frames = {k: 0 for k in counts}
        self._next = self.t0 + self.interval
        self._width = 0

    def due(self) -> float:
        """Seconds until the next line."""
        return max(0.0, self._next - time.monotonic())

    def tick(self, extra: str = "") -> None:
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + self.interval
        dt = max(1e-9, now - self._last_t)
        parts = []
        total_b = 0
        for k, c in self.counts.items():
            rate = (c.frames - self._last_frames.get(k, 0)) / dt
            self._last_frames[k] = c.frames
            total_b += c.bytes
            s = f"{c.name}: {c.frames} ({rate:.0f}/s"
            if c.dropped:
                s += f", {c.dropped} dropped"
            s += ")" if c.state == "live" else f", {c.state})"
            parts.append(s)
        self._last_t = now
        line = (f"{self.verb} {now - self.t0:6.1f}s {total_b / 1e6:9.1f} MB  " + "  ".join(parts)
                + (f"  {extra}" if extra else ""))
        if self.tty:
            pad = max(0, self._width - len(line))
            self._width = len(line)
            self.out.write("\r" + line + " " * pad)
        else:
            self.out.write(line + "\n")
        self.out.flush()

    def end(self) -> None:
        if self.tty and self._width:
            self.out.write("\n")
            self.out.flush()


def summary_table(title: str, counts: Iterable[PoolCount], seconds: float,
                  extra_cols: Dict[str, Dict[str, int]] = None) -> str:
    extra_cols = extra_cols or {}
    head = f"{'pool':28} {'frames':>8} {'MB':>10} {'Hz':>8} {'dropped':>8}"
    for col in extra_cols:
        head += f" {col:>9}"
    lines = [title, head]
    for c in counts:
        span = ((c.last_ns - c.first_ns) / 1e9) if c.first_ns is not None else 0.0
        hz = (c.frames - 1) / span if c.frames > 1 and span > 0 else 0.0
        row = f"{c.name:28} {c.frames:8d} {c.bytes / 1e6:10.1f} {hz:8.1f} {c.dropped:8d}"
        for col in extra_cols.values():
            row += f" {col.get(c.name, 0):9d}"
        lines.append(row)
    lines.append(f"{'':28} in {seconds:.1f} s")
    return "\n".join(lines)
