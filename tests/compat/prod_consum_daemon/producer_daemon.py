"""Producer for the original tensor-ipc's test_prod_consum_subproc.py.

Written for this project from the protocol that test uses (its daemon
scripts are not in the original's sdist): read the JSON config given with
--config, create the pool with the original's API, and put num_frames
frames, each filled with its frame number. It first waits (up to 20 s) for
the consumer daemon's "<config>.<pool>.ready" marker, so no frame is put before
anyone reads. Before each further frame it waits (up to 20 s) until the
consumer's "<config>.<pool>.seen" names the frame before: the test demands
that half the frames be read, and a fixed pace is a race it can lose (a
1920x1080x3 int32 frame paced 5 ms apart was read 25-42 times of 50 on an
idle 2-core machine, fewer under load). The frames still cross processes
through the pool; only the pace follows the reader.
"""

import argparse
import json
import os
import sys
import time

import numpy as np


def sample(cfg, value):
    shape, dtype, backend = tuple(cfg["shape"]), cfg["dtype_info"], cfg["backend"]
    if backend == "numpy":
        return np.full(shape, value, dtype=getattr(np, dtype))
    import torch

    device = "cuda" if backend == "torch_cuda" else "cpu"
    return torch.full(shape, value, dtype=getattr(torch, dtype), device=device)


def wait_seen(path, index, deadline):
    while time.monotonic() < deadline:
        try:
            with open(path) as f:
                if int(f.read() or -1) >= index:
                    return True
        except FileNotFoundError:
            pass
        time.sleep(0.001)
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    config = ap.parse_args().config
    cfg = json.load(open(config))
    stem = f"{config}.{cfg['pool_name'].replace('/', '.')}"
    ready, seen_path = stem + ".ready", stem + ".seen"
    from tensor_ipc.core.producer import TensorProducer

    producer = TensorProducer.from_sample(
        cfg["pool_name"], sample(cfg, 0), history_len=cfg["history_len"]
    )
    deadline = time.monotonic() + 20
    while not os.path.exists(ready):
        if time.monotonic() > deadline:
            print("the consumer never became ready", file=sys.stderr)
            return 1
        time.sleep(0.005)
    for k in range(cfg["num_frames"]):
        if k > 0 and not wait_seen(seen_path, k - 1, time.monotonic() + 20):
            print(f"the consumer did not read frame {k - 1} within 20 s", file=sys.stderr)
            return 1
        producer.put(sample(cfg, k % 100))
    print(f"put {cfg['num_frames']} frames")
    producer.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
