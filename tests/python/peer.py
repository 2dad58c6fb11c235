"""A producer or consumer of one pool in its own process, driven line by line
through stdin, for the multi-process tests.

    peer.py producer NAME SHAPE DTYPE HISTORY BACKEND
    peer.py consumer NAME SHAPE DTYPE HISTORY BACKEND

SHAPE is comma separated ("" for a scalar per frame). Every frame is filled
with one value V. The peer prints ``ready <pid>`` once its object exists,
then answers each command with one line:

producer:  put V        -> "put <index>"        (TensorProducer.put)
           loan V       -> "loan <index>"       (fill in place with loan())
           close        -> "closed"             (cleanup(); the process stays)
           quit         -> sys.exit(0) without calling cleanup() (the
                           objects' finalizers must close the pool)
           abort        -> os._exit(1): dies without any cleanup (a crash)
consumer:  get          -> "got <index> <V>" | "got none"
           wait T       -> get(block=True, timeout=T), same answers
           until V T    -> polls get() until it returns V: "got ..." | "timeout"
           untilnone T  -> polls get() until it returns None: "none" | "timeout"
EOF on stdin: clean exit (cleanup() and status 0).
A frame whose elements are not all equal is reported as "torn".
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

import tensor_ipc as tipc


def parse_shape(text: str) -> tuple:
    return tuple(int(d) for d in text.split(",") if d.strip())


def sample(shape, dtype, backend, value=0):
    arr = np.full(shape, value, dtype=dtype)
    if backend == "torch":
        import torch

        return torch.from_numpy(arr)
    return arr


def describe(consumer, data) -> str:
    if data is None:
        return "got none"
    arr = np.asarray(data)
    flat = arr.reshape(-1)
    if flat.size and not (flat == flat[0]).all():
        return f"torn {consumer.last_index}"
    v = flat[0].item() if flat.size else None
    return f"got {consumer.last_index} {v:g}"


def main(argv) -> int:
    role, name, shape_s, dtype, history, backend = argv[1:7]
    shape = parse_shape(shape_s)
    history = int(history)
    md = tipc.MetadataCreator.from_sample(name, sample(shape, dtype, backend), history, backend)
    if role == "producer":
        obj = tipc.TensorProducer(md)
    elif role == "consumer":
        obj = tipc.TensorConsumer(md)
    else:
        print(f"unknown role {role}", file=sys.stderr)
        return 2
    print(f"ready {os.getpid()}", flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        op = cmd[0]
        if op == "quit":
            sys.exit(0)
        elif op == "abort":
            sys.stdout.flush()
            os._exit(1)
        elif op == "close":
            obj.cleanup()
            print("closed", flush=True)
        elif op == "put":
            idx = obj.put(sample(shape, dtype, backend, float(cmd[1])))
            print(f"put {idx}", flush=True)
        elif op == "loan":
            loan = obj.loan(as_numpy=True)
            with loan as arr:
                arr[...] = float(cmd[1])
            print(f"loan {loan.index}", flush=True)
        elif op == "get":
            print(describe(obj, obj.get(as_numpy=True)), flush=True)
        elif op == "wait":
            print(describe(obj, obj.get(as_numpy=True, block=True, timeout=float(cmd[1]))), flush=True)
        elif op == "until":
            want, deadline = float(cmd[1]), time.monotonic() + float(cmd[2])
            answer = "timeout"
            while time.monotonic() < deadline:
                data = obj.get(as_numpy=True)
                if data is not None and float(np.asarray(data).reshape(-1)[0]) == want:
                    answer = describe(obj, data)
                    break
                time.sleep(0.002)
            print(answer, flush=True)
        elif op == "untilnone":
            deadline = time.monotonic() + float(cmd[1])
            answer = "timeout"
            while time.monotonic() < deadline:
                if obj.get(as_numpy=True) is None:
                    answer = "none"
                    break
                time.sleep(0.002)
            print(answer, flush=True)
        else:
            print(f"unknown command {op}", file=sys.stderr, flush=True)
            return 2
    obj.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
