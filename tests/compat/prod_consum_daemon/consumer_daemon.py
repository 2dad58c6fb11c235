"""Consumer for the original tensor-ipc's test_prod_consum_subproc.py.

Written for this project from the protocol that test uses (its daemon
scripts are not in the original's sdist): read the JSON config given with
--config, read frames of the pool with the original's API (blocking gets of
read_history frames) until num_frames were seen or the producer has gone
quiet, and write {"successful_reads": n, "latencies": [ms, ...]} to the
--results file. A read counts as successful when its newest frame holds the
value the producer put into that frame. It creates "<config>.<pool>.ready" once its
consumer exists, which the producer daemon waits for, and after each read
replaces "<config>.<pool>.seen" with the newest frame index it saw, which the
producer waits for before its next frame (see producer_daemon.py for why).
"""

import argparse
import json
import os
import sys
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--results", required=True)
    args = ap.parse_args()
    cfg = json.load(open(args.config))
    from tensor_ipc.core.consumer import TensorConsumer

    shape, dtype, backend = tuple(cfg["shape"]), cfg["dtype_info"], cfg["backend"]
    if backend == "numpy":
        sample = np.zeros(shape, dtype=getattr(np, dtype))
    else:
        import torch

        device = "cuda" if backend == "torch_cuda" else "cpu"
        sample = torch.zeros(shape, dtype=getattr(torch, dtype), device=device)
    consumer = TensorConsumer.from_sample(
        cfg["pool_name"], sample, history_len=cfg["history_len"]
    )
    stem = f"{args.config}.{cfg['pool_name'].replace('/', '.')}"
    ready, seen_path = stem + ".ready", stem + ".seen"
    open(ready, "w").close()
    reads, latencies, seen = 0, [], -1
    quiet_until = time.monotonic() + 20
    while seen < cfg["num_frames"] - 1 and time.monotonic() < quiet_until:
        frames = consumer.get(history_len=cfg["read_history"], block=True, timeout=0.5)
        if frames is None:
            continue
        index = consumer.last_index
        newest = frames[0]
        value = float(newest.reshape(-1)[0])
        if index is not None and index > seen:
            seen = index
            if value == float(index % 100):
                reads += 1
                latencies.append((time.time_ns() - consumer.last_timestamp_ns) / 1e6)
            quiet_until = time.monotonic() + 5
            with open(seen_path + ".tmp", "w") as f:
                f.write(str(index))
            os.replace(seen_path + ".tmp", seen_path)
    json.dump({"successful_reads": reads, "latencies": latencies}, open(args.results, "w"))
    print(f"{reads} successful reads of {cfg['num_frames']}")
    consumer.cleanup()
    for path in (ready, seen_path):
        if os.path.exists(path):
            os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
