#!/usr/bin/env python3
"""GPU benchmark of the torch_cuda backend (needs a CUDA device; run from
ci/gpu-test.sh --bench). Each figure beside its baseline from the same run:
  put of a 6,220,800 B frame device-to-device   vs  a plain device copy (copy_)
  get into a CUDA tensor                         vs  tensor.clone()
  wake-up: put -> a consumer process holding a device pointer (p50/p99)
"""

import os
import statistics
import subprocess
import sys
import time

import torch

import tensor_ipc as tipc


def timeit(fn, n):
    torch.cuda.synchronize()
    out = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        fn()
        torch.cuda.synchronize()
        out.append(time.perf_counter_ns() - t0)
    out.sort()
    return out[len(out) // 2] / 1e3, out[int(len(out) * 0.99)] / 1e3


WAKER = """
import sys, time, torch, tensor_ipc as tipc
name = sys.argv[1]
c = tipc.TensorConsumer.from_sample(name, torch.zeros((1080, 1920, 3), dtype=torch.uint8, device="cuda:0"), history_len=4)
print("ready", flush=True)
lat = []
while len(lat) < 300:
    if not c.wait(timeout=5):
        break
    fr = c.acquire(1)
    if fr:
        lat.append((time.time_ns() - fr[0].timestamp_ns) / 1e3)
        fr[0].release()
lat.sort()
print(lat[len(lat)//2], lat[int(len(lat)*0.99)], flush=True)
"""


def main():
    n = 200
    gpu = torch.cuda.get_device_name(0)
    src = torch.randint(0, 255, (1080, 1920, 3), dtype=torch.uint8, device="cuda:0")
    dst = torch.empty_like(src)
    name = f"bench/cuda_{os.getpid()}"
    p = tipc.TensorProducer.from_sample(name, src, history_len=4)
    c = tipc.TensorConsumer.from_sample(name, src, history_len=4)
    rows = []
    put = timeit(lambda: p.put(src), n)
    copy = timeit(lambda: dst.copy_(src), n)
    rows.append(("put 6,220,800 B D2D", put, "copy_ (D2D)", copy))
    get = timeit(lambda: c.get(), n)
    clone = timeit(lambda: src.clone(), n)
    rows.append(("get -> CUDA tensor", get, "tensor.clone()", clone))
    c.cleanup()
    p.cleanup()
    name2 = name + "_wake"
    proc = subprocess.Popen([sys.executable, "-c", WAKER, name2], stdout=subprocess.PIPE, text=True)
    p2 = tipc.TensorProducer.from_sample(name2, src, history_len=4)
    proc.stdout.readline()
    for _ in range(300):
        p2.put(src)
        time.sleep(0.002)
    wake = proc.stdout.readline().split()
    proc.wait(timeout=30)
    p2.cleanup()
    print(f"GPU: {gpu}; torch {torch.__version__}; {time.strftime('%Y-%m-%d')}")
    print(f"{'measurement':28} {'p50 us':>9} {'p99 us':>9}   {'baseline':18} {'p50 us':>9} {'ratio':>6}")
    for what, (a50, a99), base, (b50, _b99) in rows:
        print(f"{what:28} {a50:9.1f} {a99:9.1f}   {base:18} {b50:9.1f} {a50 / b50:6.2f}")
    if len(wake) == 2:
        print(f"{'wake-up put -> device ptr':28} {float(wake[0]):9.1f} {float(wake[1]):9.1f}")


if __name__ == "__main__":
    main()
