"""python -m tensor_ipc.record POOL... -o FILE  (what `tipc record` runs)."""

from __future__ import annotations

import argparse
import signal
import sys


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="tipc record",
        description="Record every frame of one or more pools into an MCAP file (ROS 2 "
                    "messages where the shape maps to a ROS 2 type, tensor_ipc/msg/Tensor "
                    "otherwise). Pools not there yet are waited for; Ctrl-C or SIGTERM "
                    "ends the recording with a complete file.",
        epilog="POOL is a name (its metadata is discovered over DDS) or "
               "NAME:DTYPE:SHAPE[:HISTORY[:BACKEND]], e.g. cam:uint8:480x640x3:4. "
               "Exit status: 0 complete file, 1 the recording failed (the file keeps what "
               "was written), 2 usage.")
    ap.add_argument("pools", nargs="+", metavar="POOL")
    ap.add_argument("-o", "--output", required=True, metavar="FILE", help="the .mcap file")
    ap.add_argument("--latest-only", action="store_true",
                    help="record only the newest frame at --rate Hz, not every frame")
    ap.add_argument("--rate", type=float, help="Hz for --latest-only")
    ap.add_argument("--duration", type=float, default=0,
                    help="stop after S seconds (default: until Ctrl-C / SIGTERM)")
    ap.add_argument("--compression", choices=("none", "zstd", "lz4"), default="none",
                    help="chunk compression (default none: images barely compress, the CPU "
                         "would limit the rate)")
    ap.add_argument("--chunk-size", type=int, default=4 << 20, metavar="BYTES",
                    help="bytes per chunk (each chunk reaches the OS when complete; default 4 MiB)")
    ap.add_argument("--ros2-type", action="append", default=[], metavar="POOL=TYPE",
                    help="write POOL as this ROS 2 type (e.g. imu=sensor_msgs/msg/Imu) where "
                         "its shape fits several or none is inferred; repeatable")
    ap.add_argument("--no-crc", action="store_true",
                    help="no CRC per chunk (faster for large frames; damage is then found only "
                         "where it breaks the structure)")
    ap.add_argument("--no-direct-io", action="store_true",
                    help="write large frames through the page cache too (default: direct I/O, "
                         "O_DIRECT, where the file system allows it)")
    ap.add_argument("--tensor-only", action="store_true",
                    help="write every pool as tensor_ipc/msg/Tensor, no ROS 2 standard types")
    ap.add_argument("--quiet", action="store_true", help="no progress, only the summary")
    args = ap.parse_args(argv)
    if args.latest_only and not args.rate:
        ap.error("--latest-only needs --rate HZ")
    if args.rate and not args.latest_only:
        ap.error("--rate applies to --latest-only")

    from ..record import mcap_missing

    if mcap_missing():
        print("tipc record: " + mcap_missing(), file=sys.stderr)
        return 1
    from . import Recorder, parse_pool_spec, tune_allocator

    tune_allocator()  # large frames: reuse buffers rather than fault in new ones

    types = {}
    for item in args.ros2_type:
        pool, sep, typ = item.partition("=")
        if not sep or not pool or not typ:
            ap.error(f"--ros2-type {item!r}: use POOL=TYPE (e.g. imu=sensor_msgs/msg/Imu)")
        types[pool] = typ
    if types and args.tensor_only:
        ap.error("--ros2-type and --tensor-only exclude each other")
    try:
        pools = [parse_pool_spec(p) for p in args.pools]
        rec = Recorder(args.output, pools, latest_only=args.latest_only, rate=args.rate,
                       compression=args.compression, chunk_bytes=args.chunk_size,
                       ros2_types=False if args.tensor_only else (types or True),
                       crcs=not args.no_crc, direct_io=not args.no_direct_io)
    except Exception as e:  # noqa: BLE001 - a sentence for the terminal
        print(f"tipc record: {e}", file=sys.stderr)
        return 1

    stopping = []

    def on_signal(signum, _frame):
        stopping.append(signum)
        rec._stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(f"tipc record: recording {', '.join(rec.counts)} into {args.output} "
          "(Ctrl-C to stop)", file=sys.stderr, flush=True)
    rep = None if args.quiet else rec.reporter()
    import time

    deadline = time.monotonic() + args.duration if args.duration > 0 else None
    while rec.running and (deadline is None or time.monotonic() < deadline):
        wait = 0.5 if rep is None else rep.due()
        if deadline is not None:
            wait = min(wait, max(0.0, deadline - time.monotonic()))
        rec._stop.wait(max(0.01, wait))
        if rep is not None:
            rep.tick(f"queue {rec._sink.queued_bytes / 1e6:.0f} MB")
    if rep is not None:
        rep.end()
    err = rec.stop()
    print(rec.summary(), flush=True)
    if err:
        print(f"tipc record: {err}", file=sys.stderr)
        return 1
    print(f"tipc record: {args.output} is complete", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
