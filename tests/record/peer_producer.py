"""A producer in its own process for the recording tests.

    peer_producer.py NAME DTYPE SHAPE HISTORY --rate HZ --count N --base B

Frame k (k = 0..N-1) is filled with the value B + k (cast to DTYPE). Prints
"ready" once the pool exists and "done" after the last frame, then keeps the
pool open until SIGTERM/SIGINT (or --linger S seconds).
"""

import argparse
import signal
import threading
import time

import numpy as np

import tensor_ipc as tipc

ap = argparse.ArgumentParser()
ap.add_argument("name")
ap.add_argument("dtype")
ap.add_argument("shape")
ap.add_argument("history", type=int)
ap.add_argument("--rate", type=float, default=100.0)
ap.add_argument("--count", type=int, default=100)
ap.add_argument("--base", type=int, default=0)
ap.add_argument("--linger", type=float, default=60.0)
a = ap.parse_args()

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
signal.signal(signal.SIGINT, lambda *_: stop.set())
shape = tuple(int(d) for d in a.shape.split("x") if d)
md = tipc.PoolMetadata(a.name, shape, a.dtype, "numpy", a.history)
p = tipc.TensorProducer(md)
dt = tipc._backends.numpy_dtype(md.dtype_str)
print("ready", flush=True)
period = 1.0 / a.rate
t = time.monotonic()
for k in range(a.count):
    if stop.is_set():
        break
    p.put(np.full(shape, a.base + k).astype(dt))
    t += period
    d = t - time.monotonic()
    if d > 0:
        stop.wait(d)
print("done", flush=True)
stop.wait(a.linger)
p.cleanup()
