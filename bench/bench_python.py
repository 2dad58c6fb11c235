#!/usr/bin/python3
"""bench_python.py - cost of the tensor_ipc Python API beside numpy and the
standard library's own ways of moving frames between processes.

For frames of 64 B and 6,220,800 B (1080x1920x3 uint8), one run measures:

In one process, per call. Each row is timed in blocks (2,000 calls; one call
for the 6,220,800 B copies), and every round times one block of every row in
a shuffled order; figures are medians over the rounds, ratios medians of the
per-round ratios. So the big copies alternate call by call: a noisy
neighbour slows them alike and no row keeps its frame hot in the cache.

  np.copyto(dst, src)        numpy's copy of the same bytes (the reference)
  src.copy()                 numpy's copy into a new array
  np.copyto into /dev/shm    the same into / out of a ring of 4 frames in a
  np.copyto out of /dev/shm  MAP_SHARED /dev/shm mapping, like a pool ("x shm")
  put()                      TensorProducer.put (default options)
  put(), no progress         the same with publish_progress=False
  loan() + np.copyto         write in place through producer.loan()
  get()                      TensorConsumer.get() of the latest frame (a copy)
  get_into (internal)        the C copy behind get(), into a preallocated array
  view()                     with consumer.view() as v: v[0]   (zero copy)
  acquire+asarray+release    frames = acquire(); np.asarray(frames[0]); release()
  acquire+release            the same without numpy

and the 6,220,800 B copies again in blocks of back-to-back calls (the
reference's 12 MB then stay in the cache; a ring, the pool's or one in
private memory, writes a different slot each call).

Between two processes (a spawned producer process and this one as consumer),
per frame with one frame in flight (the producer waits for the consumer's
credit before it sends the next frame), every frame checked by a stamp:

  mp.Queue                   multiprocessing.Queue (pickled copy)
  shared_memory, copy        multiprocessing.shared_memory holding a ring of 4
                             frames (as the pools do: history_len 4) + 2
                             semaphores; the reader copies the frame out
  shared_memory, view        the same, the reader only looks at the slot
  tensor_ipc get()           put() -> get(block=True) (a copy)
  tensor_ipc view()          put() -> wait() + view() (zero copy)
  tensor_ipc free-running    put() at full speed, no credit; the reader takes the
                             latest frame with get(block=True) and may skip frames
                             (it prints the producer's and the reader's rates)

Run with the package on the path and the loopback DDS configuration:

  PYTHONPATH=/tmp/bpb/bindings/python/pkg \\
  CYCLONEDDS_URI=file://$PWD/tests/cyclonedds-loopback.xml \\
  /usr/bin/python3 bench/bench_python.py [--quick] [--json FILE]

Targets (printed at the end, informational): zero-copy get of the latest frame
under 5 us per call for any size; copying get() and put() within 1.3x of
np.copyto for 6,220,800 B. The exit status is 0 whatever the speed; 1 when a
check fails (a wrong frame, a failed call) or a segment is left in /dev/shm.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import mmap
import multiprocessing as mp
import os
import platform
import random
import signal
import statistics
import sys
import time
from multiprocessing import shared_memory

import numpy as np

import tensor_ipc as tipc

SIZES = [(64, (64,)), (6_220_800, (1080, 1920, 3))]
PREFIX = f"benchpy{os.getpid()}"
SLOTS = 4  # frames in every ring: the pools' history_len, the shared_memory baseline's slots
perf_ns = time.perf_counter_ns


def fmt_size(nbytes: int) -> str:
    return f"{nbytes:,} B"


# ---------------------------------------------------------------- in-process


def time_block(fn, n: int) -> float:
    """Mean ns per call of fn over n calls."""
    rep = itertools.repeat(None, n)
    t0 = perf_ns()
    for _ in rep:
        fn()
    return (perf_ns() - t0) / n


def measure_interleaved(rows, repeats: int):
    """{name: [ns per call, one per round]} for rows of (name, fn, calls);
    each round runs one block of every row, in a shuffled order, so slow
    spells and cache states hit all rows alike."""
    out = {name: [] for name, _, _ in rows}
    for name, fn, n in rows:  # warm up: page faults, caches, lazy connections
        time_block(fn, max(2, n // 10))
    order = list(rows)
    shuffle = random.Random(len(rows)).shuffle  # same orders in every run
    gc_was = gc.isenabled()
    gc.disable()  # as timeit does
    try:
        for _ in range(repeats):
            shuffle(order)  # no row always follows the same one
            for name, fn, n in order:
                out[name].append(time_block(fn, n))
    finally:
        if gc_was:
            gc.enable()
    return out


class ShmRing:
    """A ring of frames in a MAP_SHARED mapping of a /dev/shm file, as a pool
    holds them (4 KiB tmpfs pages): the floor for copies into and out of
    shared memory. The file is unlinked as soon as it is mapped."""

    def __init__(self, name, shape, slots):
        path = f"/dev/shm/{name}"
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
        try:
            os.unlink(path)
            nbytes = int(np.prod(shape)) * slots
            os.ftruncate(fd, nbytes)
            self._map = mmap.mmap(fd, nbytes)
        finally:
            os.close(fd)
        self.slots = np.frombuffer(self._map, np.uint8).reshape((slots,) + tuple(shape))
        self.slots[...] = 0  # fault every page in, as a pool's first pass does
        self._k = 0

    def put(self, src):
        np.copyto(self.slots[self._k % len(self.slots)], src)
        self._k += 1

    def get_into(self, dst):
        np.copyto(dst, self.slots[(self._k - 1) % len(self.slots)])

    def close(self):
        self.slots = None
        self._map.close()


ZERO_COPY_ROWS = ("view()", "acquire+asarray+release", "acquire+release")
REFERENCE = "np.copyto(dst, src)"


def in_process(nbytes: int, shape, quick: bool):
    """Per-call costs for one frame size: {row: {ns, ns_min, ratio, ratio_shm}}."""
    src = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    dst = np.empty_like(src)
    big = nbytes > 1 << 20
    # Calls per timed block, and rounds; each round times one block of every
    # row. Big copies are timed one call at a time, so that they alternate
    # call by call with the reference and the shared-memory floor: a busy
    # neighbour or a frequency change then hits each row alike, and no row
    # keeps its 6 MB hot in the cache for the next call.
    n_fast = 500 if quick else 2000
    n_copy = 1 if big else n_fast
    repeats = (30 if quick else 150) if big else (7 if quick else 25)
    history = SLOTS
    name = f"{PREFIX}-inproc-{nbytes}"
    name_np = f"{PREFIX}-inproc-{nbytes}-noprog"
    ring = ShmRing(f"{PREFIX}-ring-{nbytes}", shape, history)
    try:
        with tipc.TensorProducer.from_sample(name, src, history_len=history) as p, \
                tipc.TensorProducer.from_sample(name_np, src, history_len=history,
                                                publish_progress=False) as p_np, \
                tipc.TensorConsumer.from_sample(name, src, history_len=history) as c:
            for _ in range(history):  # write (and fault in) every slot once
                p.put(src)
                p_np.put(src)
                ring.put(src)
            first = c.get()
            if first is None or not np.array_equal(first, src):
                raise RuntimeError(f"pool '{name}': the consumer did not read back the frame put")
            raw = c._c  # the SWIG proxy behind get(), for the diagnostic row
            out = np.empty_like(src)

            def loan_copy():
                with p.loan() as a:
                    np.copyto(a, src)

            def view():
                with c.view() as v:
                    return v[0]

            def acquire_asarray():
                fs = c.acquire()
                a = np.asarray(fs[0])
                fs[0].release()
                return a

            def acquire_release():
                fs = c.acquire()
                fs[0].release()

            rows = [
                (REFERENCE, lambda: np.copyto(dst, src), n_copy),
                ("src.copy()", src.copy, n_copy),
                ("np.copyto into /dev/shm ring", lambda: ring.put(src), n_copy),
                ("np.copyto out of /dev/shm", lambda: ring.get_into(out), n_copy),
                ("put()", lambda: p.put(src), n_copy),
                ("put(), no progress sample", lambda: p_np.put(src), n_copy),
                ("loan() + np.copyto", loan_copy, n_copy),
                ("get()", c.get, n_copy),
                ("get_into (internal)", lambda: raw.get_into(out, 1, 0), n_copy),
                ("view()", view, n_fast),
                ("acquire+asarray+release", acquire_asarray, n_fast),
                ("acquire+release", acquire_release, n_fast),
            ]
            samples = measure_interleaved(rows, repeats)
            hot = None
            if big:
                # The same big copies in blocks of back-to-back calls: the
                # reference then keeps its 12 MB in the last-level cache, while
                # a ring of history_len slots (a pool's, or the same in
                # private memory) writes a different slot each call.
                priv = np.zeros((history,) + tuple(shape), np.uint8)
                k = itertools.count()

                def private_ring():
                    np.copyto(priv[next(k) % history], src)

                n_hot = 10 if quick else 20
                hot_rows = [
                    (REFERENCE, lambda: np.copyto(dst, src), n_hot),
                    (f"np.copyto into private ring of {history}", private_ring, n_hot),
                    ("np.copyto into /dev/shm ring", lambda: ring.put(src), n_hot),
                    ("put()", lambda: p.put(src), n_hot),
                    ("get()", c.get, n_hot),
                ]
                hot_samples = measure_interleaved(hot_rows, 3 if quick else 7)
                href = hot_samples[REFERENCE]
                hot = {
                    row: {
                        "ns": statistics.median(vals),
                        "ratio": statistics.median(v / r for v, r in zip(vals, href)),
                    }
                    for row, vals in hot_samples.items()
                }
            # The last frame put must still read back intact.
            p.put(src)
            if not np.array_equal(c.get(), src):
                raise RuntimeError(f"pool '{name}': get() after the run differs from the frame put")
    finally:
        ring.close()
    ref = samples[REFERENCE]
    shm_ref = {"put": samples["np.copyto into /dev/shm ring"], "get": samples["np.copyto out of /dev/shm"]}
    result = {}
    for row, vals in samples.items():
        floor = shm_ref["get"] if ("get" in row or "out of" in row) else shm_ref["put"]
        result[row] = {
            "ns": statistics.median(vals),
            "ns_min": min(vals),
            "ratio": statistics.median(v / r for v, r in zip(vals, ref)),
            "ratio_shm": statistics.median(v / r for v, r in zip(vals, floor)),
        }
    calls = {"copy_rows": n_copy, "zero_copy_rows": n_fast}
    if hot is not None:
        result["_hot_cache_blocks"] = hot
    return result, calls, repeats


# ---------------------------------------------------------------- cross-process


def _stamp(frame, i):
    frame.reshape(-1)[0] = i & 0xFF


def _check(arr, i, what):
    got = int(np.asarray(arr).reshape(-1)[0])
    if got != i & 0xFF:
        raise RuntimeError(f"{what}: frame {i} carries stamp {got}, expected {i & 0xFF}")


def child_producer(kind, shape, total, name, q, credit, filled, ready, go, done, stats):
    """The producer process of one cross-process run."""
    frame = np.random.default_rng(2).integers(0, 256, shape, dtype=np.uint8)
    shm = slot = p = None
    try:
        if kind in ("tipc", "tipc_view", "tipc_free"):
            p = tipc.TensorProducer.from_sample(name, frame, history_len=SLOTS, put_timeout=10.0)
        elif kind in ("shm", "shm_view"):
            shm = shared_memory.SharedMemory(name=name)
            slot = np.ndarray((SLOTS,) + tuple(shape), np.uint8, buffer=shm.buf)
        ready.set()
        go.wait()
        if kind == "tipc_free":
            t0 = perf_ns()
            for i in range(total):
                _stamp(frame, i)
                p.put(frame)
            stats.value = (perf_ns() - t0) / total
            done.wait()
            return
        for i in range(total):
            credit.acquire()
            _stamp(frame, i)
            if kind == "queue":
                q.put(frame)
            elif slot is not None:
                np.copyto(slot[i % SLOTS], frame)
                filled.release()
            else:
                p.put(frame)
        credit.acquire()  # the consumer has the last frame
    finally:
        if p is not None:
            p.cleanup()
        if shm is not None:
            del slot
            shm.close()


def cross_process(ctx, kind, nbytes, shape, warmup, n):
    """Per-frame ns of one kind of transport; consumer side."""
    total = warmup + n
    name = f"{PREFIX}-{kind}-{nbytes}"
    q = ctx.Queue() if kind == "queue" else None
    credit = ctx.Semaphore(1)
    filled = ctx.Semaphore(0)
    ready, go, done = ctx.Event(), ctx.Event(), ctx.Event()
    stats = ctx.Value("d", 0.0)
    shm = slot = c = None
    result = {}
    try:
        if kind in ("shm", "shm_view"):
            shm = shared_memory.SharedMemory(name=name, create=True, size=nbytes * SLOTS)
            slot = np.ndarray((SLOTS,) + tuple(shape), np.uint8, buffer=shm.buf)
            slot[...] = 0  # fault the pages in, as a pool's creation does
        elif kind.startswith("tipc"):
            c = tipc.TensorConsumer.from_sample(name, np.zeros(shape, np.uint8), history_len=SLOTS)
        out = np.empty(shape, np.uint8)
        proc = ctx.Process(
            target=child_producer,
            args=(kind, shape, total, name, q, credit, filled, ready, go, done, stats),
            daemon=True,
        )
        proc.start()
        try:
            if not ready.wait(60):
                raise RuntimeError(f"{kind}: the producer process did not start")
            go.set()
            if kind == "tipc_free":
                seen = 0
                t0 = None
                while True:
                    a = c.get(block=True, timeout=2.0)
                    if a is None:
                        raise RuntimeError(f"{kind}: no frame within 2 s")
                    idx = c.last_index
                    _check(a, idx, kind)
                    if t0 is None:
                        t0, first = perf_ns(), idx
                    else:
                        seen += 1
                    if idx == total - 1:
                        break
                elapsed = perf_ns() - t0
                done.set()
                proc.join(60)
                result = {
                    "put_ns": stats.value,
                    "reader_ns": elapsed / max(seen, 1),
                    "frames_read": seen,
                    "frames_put": total - 1 - first,
                }
                return result
            for i in range(total):
                if i == warmup:
                    t0 = perf_ns()
                if kind == "queue":
                    a = q.get(timeout=30)
                    _check(a, i, kind)
                elif kind == "shm":
                    if not filled.acquire(timeout=30):
                        raise RuntimeError(f"{kind}: frame {i} did not come")
                    np.copyto(out, slot[i % SLOTS])
                    _check(out, i, kind)
                elif kind == "shm_view":
                    if not filled.acquire(timeout=30):
                        raise RuntimeError(f"{kind}: frame {i} did not come")
                    _check(slot[i % SLOTS], i, kind)
                elif kind == "tipc":
                    a = c.get(block=True, timeout=30)
                    if a is None or c.last_index != i:
                        raise RuntimeError(f"{kind}: frame {i} did not come (got {c.last_index})")
                    _check(a, i, kind)
                else:  # tipc_view
                    if not c.wait(30):
                        raise RuntimeError(f"{kind}: frame {i} did not come")
                    with c.view() as v:
                        if v is None or c.last_index != i:
                            raise RuntimeError(f"{kind}: frame {i} did not come (got {c.last_index})")
                        _check(v[0], i, kind)
                credit.release()
            elapsed = perf_ns() - t0
            proc.join(60)
            if proc.exitcode != 0:
                raise RuntimeError(f"{kind}: the producer process exited with {proc.exitcode}")
            result = {"ns": elapsed / n}
            return result
        finally:
            if proc.is_alive():
                done.set()
                proc.join(5)
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
            if kind.startswith("tipc") and proc.exitcode != 0:
                reclaim(name, shape)
    finally:
        if c is not None:
            c.cleanup()
        if shm is not None:
            del slot
            shm.close()
            shm.unlink()
        if q is not None:
            q.close()
            q.join_thread()


def reclaim(name, shape):
    """Let the library remove the segment of a producer process that was
    killed: any tensor-ipc process touching the name reclaims it."""
    try:
        with tipc.TensorConsumer.from_sample(name, np.zeros(shape, np.uint8), history_len=SLOTS,
                                             control_plane=False) as c:
            c.connected
    except tipc.TensorIPCError:
        pass


CROSS_KINDS = [
    ("queue", "mp.Queue (pickle)"),
    ("shm", "shared_memory + semaphores, copy"),
    ("shm_view", "shared_memory + semaphores, view"),
    ("tipc", "tensor_ipc put -> get(block=True)"),
    ("tipc_view", "tensor_ipc put -> wait + view()"),
]


# ---------------------------------------------------------------- report


def us(ns: float) -> str:
    return f"{ns / 1000:10.2f}"


def leftovers():
    try:
        return sorted(f for f in os.listdir("/dev/shm") if PREFIX in f)
    except OSError:
        return []


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    # SIGTERM/SIGHUP unwind like Ctrl-C, so every pool and segment is removed.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_interrupt)
    ap = argparse.ArgumentParser(
        description="Per-call cost of the tensor_ipc Python API (put, get, zero-copy views) "
        "beside np.copyto, and frames moved between two processes beside "
        "multiprocessing.Queue and multiprocessing.shared_memory.",
        epilog="Run with the package on PYTHONPATH and CYCLONEDDS_URI set to "
        "tests/cyclonedds-loopback.xml. See the module docstring for every row.",
    )
    ap.add_argument("--quick", action="store_true", help="smoke run: fewer calls and repeats (a few seconds)")
    ap.add_argument("--json", metavar="FILE", help="also write the figures to FILE as JSON")
    ap.add_argument(
        "--no-cross-process", action="store_true", help="skip the two-process comparisons"
    )
    args = ap.parse_args()

    print("tensor_ipc Python benchmark")
    print(f"  tensor_ipc {tipc.version()} from {os.path.dirname(tipc.__file__)}")
    print(
        f"  Python {platform.python_version()} ({sys.executable}), numpy {np.__version__}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    print(f"  mode: {'quick' if args.quick else 'full'}; times are per call, median of the repeats\n")

    report = {"python": platform.python_version(), "numpy": np.__version__, "quick": args.quick,
              "in_process": {}, "cross_process": {}}
    status = 0
    try:
        inproc = {}
        for nbytes, shape in SIZES:
            res, calls, repeats = in_process(nbytes, shape, args.quick)
            inproc[nbytes] = res
            report["in_process"][str(nbytes)] = {"calls": calls, "repeats": repeats, "rows": res}

        big = SIZES[-1][0]
        print("In one process: us per call (median of the repeats); x = ratio to np.copyto(dst, src)")
        print("of the same bytes between numpy arrays; x shm = ratio to np.copyto into (put rows) or")
        print("out of (get rows) a /dev/shm mapping like a pool's (median of per-repeat ratios)")
        head = f"  {'operation':<30}"
        for nbytes, _ in SIZES:
            head += f" {fmt_size(nbytes):>13} {'x':>6}"
        print(head + f" {'x shm':>6} {'GB/s':>7}")
        for row in inproc[SIZES[0][0]]:
            if row.startswith("_"):
                continue
            line = f"  {row:<30}"
            for nbytes, _ in SIZES:
                r = inproc[nbytes][row]
                line += f" {us(r['ns']):>13} {r['ratio']:6.2f}"
            if row in ZERO_COPY_ROWS:
                line += f" {'':>6} {'-':>7}"
            else:
                line += f" {inproc[big][row]['ratio_shm']:6.2f} {big / inproc[big][row]['ns']:7.2f}"
            print(line)
        hot = inproc[big].get("_hot_cache_blocks")
        if hot:
            print(f"\n  {fmt_size(big)}, each row in blocks of back-to-back calls instead "
                  "(hot caches for the reference):")
            for row, r in hot.items():
                print(f"  {row:<44} {us(r['ns'])} us {r['ratio']:6.2f} x")
        print()

        if not args.no_cross_process:
            ctx = mp.get_context("spawn")
            print("Between two processes, one frame in flight (producer waits for the reader's "
                  "credit): us per frame, frames/s")
            print(f"  (median of {1 if args.quick else 5} runs; each run a fresh producer process)")
            head = f"  {'transport':<36}"
            for nbytes, _ in SIZES:
                head += f" {fmt_size(nbytes):>14} {'frames/s':>10}"
            print(head + f" {'GB/s (6.2 MB)':>14}")
            cross = {}
            reps = 1 if args.quick else 5
            # Rounds outside, transports inside: a slow spell of the machine
            # then spreads over every transport instead of one.
            for _ in range(reps):
                for kind, _label in CROSS_KINDS:
                    for nbytes, shape in SIZES:
                        big_frame = nbytes > 1 << 20
                        warm, n = (5, 40) if big_frame else (100, 1000)
                        if not args.quick:
                            n = 150 if big_frame else 4000
                        ns = cross_process(ctx, kind, nbytes, shape, warm, n)["ns"]
                        d = cross.setdefault(kind, {}).setdefault(str(nbytes), {"runs": [], "frames": n})
                        d["runs"].append(ns)
            for kind, label in CROSS_KINDS:
                line = f"  {label:<36}"
                for nbytes, _ in SIZES:
                    d = cross[kind][str(nbytes)]
                    d["ns"] = ns = statistics.median(d["runs"])
                    line += f" {us(ns):>14} {1e9 / ns:10.0f}"
                print(line + f" {big / cross[kind][str(big)]['ns']:14.2f}")
            # tensor_ipc's own mode: latest frame, producer at full speed.
            free = {}
            for nbytes, shape in SIZES:
                big_frame = nbytes > 1 << 20
                total = (100 if args.quick else 400) if big_frame else (5000 if args.quick else 50000)
                free[nbytes] = cross_process(ctx, "tipc_free", nbytes, shape, 0, total)
            cross["tipc_free"] = {str(k): v for k, v in free.items()}
            for key, label in (("put_ns", "tensor_ipc free-running: put()"),
                               ("reader_ns", "  reader, latest frame (get)")):
                line = f"  {label:<36}"
                for nbytes, _ in SIZES:
                    ns = free[nbytes][key]
                    line += f" {us(ns):>14} {1e9 / ns:10.0f}"
                print(line + f" {big / free[big][key]:14.2f}")
            print("  (free-running reader got " + ", ".join(
                f"{free[nb]['frames_read']:,} of {free[nb]['frames_put']:,} frames at {fmt_size(nb)}"
                for nb, _ in SIZES) + ")")
            report["cross_process"] = cross
            print()

        zc_rows = ("view()", "acquire+asarray+release")
        print("Targets (against np.copyto between numpy arrays, as set)")
        worst_zc = max(inproc[nb][r]["ns"] for nb, _ in SIZES for r in zc_rows)
        print(f"  zero-copy get of the latest frame < 5 us, any size: worst {worst_zc / 1000:.2f} us "
              f"({' / '.join(zc_rows)}) -> {'met' if worst_zc < 5000 else 'NOT met'}")
        for row in ("get()", "put()"):
            ratio = inproc[big][row]["ratio"]
            print(f"  {row:<6} within 1.3x of np.copyto at {fmt_size(big)}: {ratio:.2f}x "
                  f"({inproc[big][row]['ns'] / 1000:.0f} us vs "
                  f"{inproc[big][REFERENCE]['ns'] / 1000:.0f} us) -> "
                  f"{'met' if ratio <= 1.3 else 'NOT met'}; "
                  f"{inproc[big][row]['ratio_shm']:.2f}x the same copy into/out of /dev/shm")
        report["targets"] = {"zero_copy_worst_ns": worst_zc,
                             "get_ratio": inproc[big]["get()"]["ratio"],
                             "put_ratio": inproc[big]["put()"]["ratio"]}
    except Exception as exc:  # a failed call or a wrong frame
        print(f"\nFAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        status = 1
    except KeyboardInterrupt as exc:
        print(f"\ninterrupted ({exc or 'Ctrl-C'})", file=sys.stderr)
        status = 130
    finally:
        gc.collect()
        left = leftovers()
        if left:
            print(f"\n/dev/shm still holds {', '.join(left)}", file=sys.stderr)
            status = 1
        else:
            print(f"\n/dev/shm: nothing of this run ({PREFIX}*) left")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
    return status


if __name__ == "__main__":
    sys.exit(main())
