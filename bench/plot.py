#!/usr/bin/env python3
"""Plots of docs/performance.md, made from a tipc_bench_core --json run.

    python3 bench/plot.py            # newest bench/results/*-core.json -> docs/img/
    python3 bench/plot.py --check    # fail if docs/img/ is stale (the test docs.performance_plots)
    python3 bench/plot.py --input bench/results/DATE-core.json --out DIR

Writes docs/img/perf-wakeup-cdf.png (cross-process wake-up latency CDFs beside
the futex floor), docs/img/perf-copy.png (put/get vs memcpy across frame
sizes) and docs/img/perf-plots.json, the manifest of what they were made
from: the input's path and SHA-256, this script's SHA-256, the matplotlib
version and each PNG's SHA-256.

--check draws the plots again (into a temporary directory, so the script
must still work on the input) and fails when the manifest does not name the
newest results file, or when the input, this script or a committed PNG
differs from what the manifest records, or when docs/performance.md does not
name the run (a redrawn PNG that is not
byte-identical to the committed one, as fonts may differ between machines,
is only noted). A new benchmark run is published with:

    build/rel/bench/tipc_bench_core --sweep --json bench/results/$(date -u +%F)-core.json \\
        | tee bench/results/$(date -u +%F)-core.txt
    python3 bench/plot.py
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "bench", "results")
IMG = os.path.join(ROOT, "docs", "img")
PAGE = os.path.join(ROOT, "docs", "performance.md")
MANIFEST = "perf-plots.json"
WAKEUP_PNG = "perf-wakeup-cdf.png"
COPY_PNG = "perf-copy.png"
REGENERATE = "python3 bench/plot.py"


def sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def rel(path: str) -> str:
    return os.path.relpath(os.path.abspath(path), ROOT)


def newest_input() -> str:
    runs = sorted(n for n in os.listdir(RESULTS) if n.endswith("-core.json"))
    if not runs:
        sys.exit(f"plot.py: no *-core.json in {rel(RESULTS)} (run tipc_bench_core --json first)")
    return os.path.join(RESULTS, runs[-1])


# Frame sizes that are images, named as such on the axes.
IMAGES = {921600: "VGA RGB", 2764800: "720p RGB", 6220800: "1080p RGB"}


def size_label(n: int, image: bool = False) -> str:
    if n >= 900_000:
        text = f"{n / 1e6:.1f} MB"
    elif n >= 1024 and n % 1024 == 0:
        text = f"{n // 1024} KiB"
    else:
        text = f"{n} B"
    return f"{text} ({IMAGES[n]})" if image and n in IMAGES else text


def us(ns):
    return [v / 1000.0 for v in ns]


def plot_wakeups(run: dict, path: str, plt, meta: dict) -> None:
    q = run["quantiles"]
    by_size: dict = {}
    for w in run["wakeups"]:
        by_size.setdefault(w["bytes"], {})[w["path"]] = w
    sizes = sorted(by_size)
    fig, axes = plt.subplots(1, len(sizes), figsize=(4.6 * len(sizes), 4.6), sharey=True,
                             squeeze=False)
    bare = run["reference"].get("futex_bare")
    for ax, size in zip(axes[0], sizes):
        paths = by_size[size]
        if "loan_commit" in paths:
            w = paths["loan_commit"]
            ax.plot(us(w["tipc"]["quantiles_ns"]), q, color="C0", lw=2,
                    label="tensor-ipc loan/commit → wait")
            ax.plot(us(w["floor"]["quantiles_ns"]), q, color="C0", lw=1.5, ls="--",
                    label="floor: futex wake (no copy)")
        if "put" in paths:
            w = paths["put"]
            ax.plot(us(w["tipc"]["quantiles_ns"]), q, color="C3", lw=2,
                    label="tensor-ipc put → wait")
            ax.plot(us(w["floor"]["quantiles_ns"]), q, color="C3", lw=1.5, ls="--",
                    label="floor: memcpy + futex wake")
        if bare:
            ax.plot(us(bare["quantiles_ns"]), q, color="0.35", lw=1, ls=":",
                    label="bare futex, fresh process pair")
        ax.set_xscale("log")
        name = f" ({IMAGES[size]})" if size in IMAGES else ""
        ax.set_title(f"{size_label(size)} frames{name}")
        ax.set_xlabel("one-way latency, publish → reader awake (µs, log scale)")
        ax.grid(True, which="both", alpha=0.3)
        ax.axhline(0.99, color="0.6", lw=0.8)
        ax.set_ylim(0, 1.0)
    axes[0][0].set_ylabel("fraction of samples at or below (CDF)")
    axes[0][0].text(0.02, 0.985, "p99", transform=axes[0][0].get_yaxis_transform(),
                    va="top", fontsize=8, color="0.4")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.05), ncol=5,
               frameon=False, fontsize=9)
    fig.suptitle("Cross-process wake-up latency: tensor-ipc vs the futex floor "
                 "(same process pair, alternating samples)", fontsize=12)
    fig.text(0.5, 0.005, footnote(run), ha="center", va="bottom", fontsize=7, color="0.4")
    fig.tight_layout(rect=(0, 0.12, 1, 0.97))
    fig.savefig(path, dpi=100, metadata=meta)
    plt.close(fig)


def plot_copies(run: dict, path: str, plt, meta: dict) -> None:
    rows = sorted(run["copies"], key=lambda c: c["bytes"])
    x = [c["bytes"] for c in rows]

    def p50(key):
        return [c[key]["p50_ns"] / 1000.0 for c in rows]

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    for key, label, style in (
        ("put", "put (tensor-ipc)", dict(color="C3", marker="o")),
        ("memcpy_to_shm", "memcpy into shared memory", dict(color="C3", marker="o", ls="--",
                                                            mfc="white")),
        ("get", "get (tensor-ipc)", dict(color="C0", marker="s")),
        ("memcpy_from_shm", "memcpy out of shared memory", dict(color="C0", marker="s", ls="--",
                                                                mfc="white")),
    ):
        left.plot(x, p50(key), label=label, lw=1.8, **style)
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_ylabel("time per call, p50 (µs, log scale)")
    left.set_title("Time per call")
    left.legend(fontsize=8, loc="upper left")

    for key, base, label, style in (
        ("put", "memcpy_to_shm", "put / memcpy", dict(color="C3", marker="o")),
        ("put_no_progress", "memcpy_to_shm", "put without DDS progress / memcpy",
         dict(color="C3", marker="^", ls=":")),
        ("get", "memcpy_from_shm", "get / memcpy", dict(color="C0", marker="s")),
    ):
        ratio = [c[key]["p50_ns"] / c[base]["p50_ns"] for c in rows]
        right.plot(x, ratio, label=label, lw=1.8, **style)
    right.axhline(1.0, color="0.3", lw=1)
    right.text(x[0], 1.0, "1x = as fast as memcpy", va="top", ha="left", fontsize=8,
               color="0.3")
    right.set_xscale("log")
    right.set_ylim(0, None)
    right.set_ylabel("tensor-ipc time / memcpy time, p50")
    right.set_title("Overhead over the copy itself")
    right.legend(fontsize=8, loc="upper right")
    ticks = [v for v in x]
    for ax in (left, right):
        ax.set_xlabel("frame size (bytes, log scale)")
        ax.set_xticks(ticks)
        ax.set_xticklabels([size_label(v, image=True) for v in ticks], fontsize=8, rotation=30,
                           ha="right", rotation_mode="anchor")
        ax.minorticks_off()
        ax.grid(True, which="major", alpha=0.3)
    from matplotlib.ticker import FuncFormatter

    right.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}x"))
    fig.suptitle("put and get vs memcpy across frame sizes (in process, interleaved call by call)",
                 fontsize=12)
    fig.text(0.99, 0.005, footnote(run), ha="right", va="bottom", fontsize=7, color="0.4")
    fig.tight_layout(rect=(0, 0.03, 1, 0.97))
    fig.subplots_adjust(wspace=0.22)
    fig.savefig(path, dpi=100, metadata=meta)
    plt.close(fig)


def footnote(run: dict) -> str:
    return (f"tipc_bench_core --sweep, tensor-ipc {run['tensor_ipc_version']}, "
            f"{run['finished_utc'][:10]}, {run['online_cpus']} CPUs ({run['cpu_model']}), "
            f"{run['iters']} samples per point ({run['iters_big']} at >= 900 KB)")


def draw(input_path: str, out_dir: str) -> dict:
    """Draws both plots into out_dir; returns the manifest."""
    try:
        import matplotlib
    except ImportError as e:
        sys.exit(f"plot.py: needs matplotlib ({e}); on Debian 12: apt-get install "
                 "python3-matplotlib (ci/test.sh installs it)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "svg.hashsalt": "tipc"})
    with open(input_path, encoding="utf-8") as f:
        run = json.load(f)
    manifest = {
        "input": rel(input_path),
        "input_sha256": sha256(input_path),
        "script": rel(__file__),
        "script_sha256": sha256(__file__),
        "matplotlib": matplotlib.__version__,
        "outputs": {},
    }
    meta = {"Software": f"bench/plot.py (matplotlib {matplotlib.__version__})",
            "Source": f"{manifest['input']} sha256:{manifest['input_sha256']}"}
    os.makedirs(out_dir, exist_ok=True)
    for name, fn in ((WAKEUP_PNG, plot_wakeups), (COPY_PNG, plot_copies)):
        fn(run, os.path.join(out_dir, name), plt, meta)
        manifest["outputs"][name] = sha256(os.path.join(out_dir, name))
    return manifest


def check(input_path: str, out_dir: str) -> int:
    problems, notes = [], []
    man_path = os.path.join(out_dir, MANIFEST)
    try:
        with open(man_path, encoding="utf-8") as f:
            committed = json.load(f)
    except (OSError, ValueError) as e:
        committed = None
        problems.append(f"no readable manifest {rel(man_path)} ({e})")
    with tempfile.TemporaryDirectory() as tmp:
        fresh = draw(input_path, tmp)
        if committed is not None:
            if committed.get("input") != fresh["input"]:
                problems.append(f"the plots were made from {committed.get('input')}, "
                                f"the newest run is {fresh['input']}")
            elif committed.get("input_sha256") != fresh["input_sha256"]:
                problems.append(f"{fresh['input']} changed since the plots were made")
            if committed.get("script_sha256") != fresh["script_sha256"]:
                problems.append("bench/plot.py changed since the plots were made")
            for name in fresh["outputs"]:
                path = os.path.join(out_dir, name)
                if not os.path.exists(path):
                    problems.append(f"{rel(path)} is missing")
                    continue
                got = sha256(path)
                if got != committed.get("outputs", {}).get(name):
                    problems.append(f"{rel(path)} is not the file the manifest records")
                elif got != fresh["outputs"][name]:
                    # Not a failure: fonts and freetype may differ between
                    # machines with the same matplotlib; the hashes above
                    # already tie the PNG to its input and script.
                    notes.append(f"{rel(path)} redrawn here is not byte-identical (matplotlib "
                                 f"{fresh['matplotlib']} here, {committed.get('matplotlib')} "
                                 "for the committed one)")
    # The summary's figures are written by hand from the run: it must at
    # least name the run the plots show.
    run = os.path.basename(input_path)
    try:
        with open(PAGE, encoding="utf-8") as f:
            if run not in f.read():
                problems.append(f"docs/performance.md does not name {run}: update its summary "
                                "(and history) for that run")
    except OSError as e:
        problems.append(f"cannot read docs/performance.md ({e})")
    for n in notes:
        print(f"plot.py --check: note: {n}")
    if problems:
        print("plot.py --check: the plots of docs/performance.md are stale:", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        print(f"Regenerate them with `{REGENERATE}` and commit docs/img/.", file=sys.stderr)
        return 1
    print(f"plot.py --check: docs/img/ is up to date with {fresh['input']} "
          f"({', '.join(sorted(fresh['outputs']))}; matplotlib {fresh['matplotlib']})")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", help="a tipc_bench_core --json file (default: the newest "
                    "bench/results/*-core.json)")
    ap.add_argument("--out", default=IMG, help="output directory (default: docs/img)")
    ap.add_argument("--check", action="store_true",
                    help="fail if the PNGs in --out are stale instead of writing them")
    args = ap.parse_args()
    input_path = os.path.abspath(args.input) if args.input else newest_input()
    if args.check:
        return check(input_path, args.out)
    manifest = draw(input_path, args.out)
    with open(os.path.join(args.out, MANIFEST), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    for name in manifest["outputs"]:
        print(f"wrote {rel(os.path.join(args.out, name))}")
    print(f"wrote {rel(os.path.join(args.out, MANIFEST))} (from {manifest['input']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
