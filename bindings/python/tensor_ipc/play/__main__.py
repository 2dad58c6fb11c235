"""python -m tensor_ipc.play FILE  (what `tipc play` runs)."""

from __future__ import annotations

import argparse
import signal
import sys


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="tipc play",
        description="Play a recording back into pools of the same names, shapes, dtypes and "
                    "history, at the recorded timing.",
        epilog="Stamps: replayed frames carry the time they are due at in this replay "
               "(recorded spacing kept), unless --keep-stamps. Exit status: 0 played to the "
               "end; 1 the file is damaged (its intact part was played) or playing failed; "
               "2 usage.")
    ap.add_argument("file", metavar="FILE")
    ap.add_argument("--rate", type=float, default=1.0,
                    help="speed factor (2: twice as fast; default 1)")
    ap.add_argument("--fast", action="store_true", help="as fast as possible (no timing)")
    ap.add_argument("--loop", action="store_true", help="start again at the end, until stopped")
    ap.add_argument("--pools", nargs="+", metavar="POOL", help="play only these pools")
    ap.add_argument("--keep-stamps", action="store_true",
                    help="stamp frames with their recorded stamps, not the replay's time")
    ap.add_argument("--start-delay", type=float, default=0.0, metavar="S",
                    help="create the pools, then wait S seconds before the first frame "
                         "(lets consumers connect)")
    ap.add_argument("--hold", type=float, default=0.0, metavar="S",
                    help="keep the pools open S seconds after the last frame")
    ap.add_argument("--quiet", action="store_true", help="no progress, only the summary")
    args = ap.parse_args(argv)
    if args.rate <= 0:
        ap.error("--rate must be > 0 (use --fast for as fast as possible)")

    from ..record import mcap_missing

    if mcap_missing():
        print("tipc play: " + mcap_missing(), file=sys.stderr)
        return 1
    from . import Player
    from ..record import tune_allocator

    tune_allocator()  # large frames: reuse buffers rather than fault in new ones

    try:
        p = Player(args.file, rate=0.0 if args.fast else args.rate, loop=args.loop,
                   pools=args.pools, keep_stamps=args.keep_stamps, hold=args.hold,
                   start_delay=args.start_delay)
    except Exception as e:  # noqa: BLE001 - a sentence for the terminal
        print(f"tipc play: {e}", file=sys.stderr)
        return 1

    def on_signal(signum, _frame):
        p._stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(f"tipc play: playing {', '.join(p.pools)} from {args.file}", file=sys.stderr, flush=True)
    p.start()
    rep = None if args.quiet else p.reporter()
    while not p.wait(0.5 if rep is None else max(0.01, rep.due())):
        if rep is not None:
            rep.tick()
    if rep is not None:
        rep.end()
    print(p.summary(), flush=True)
    for problem in p.problems:
        print(f"tipc play: {problem}", file=sys.stderr)
    if p.error:
        print(f"tipc play: {p.error}", file=sys.stderr)
        return 1
    damaged = [x for x in p.problems if "no summary" not in x]
    return 1 if damaged else 0


if __name__ == "__main__":
    sys.exit(main())
