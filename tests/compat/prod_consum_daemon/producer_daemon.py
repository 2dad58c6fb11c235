"""Producer for the original tensor-ipc's test_prod_consum_subproc.py.

Written for this project from the protocol that test uses (its daemon
scripts are not in the original's sdist): read the JSON config given with
--config, create the pool with the original's API, and put num_frames
frames, each filled with its frame number. It first waits (up to 20 s) for
the consumer daemon's "<config>.<pool>.ready" marker, so no frame is put before
anyone reads, then paces the frames 5 ms apart.
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    config = ap.parse_args().config
    cfg = json.load(open(config))
    ready = f"{config}.{cfg['pool_name'].replace('/', '.')}.ready"
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
        producer.put(sample(cfg, k % 100))
        time.sleep(0.005)
    print(f"put {cfg['num_frames']} frames")
    producer.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
