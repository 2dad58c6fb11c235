"""GPU tests of the torch_cuda backend. They need a CUDA device and run from
ci/gpu-test.sh (not from CTest on machines without a GPU, where the no-GPU
path is tested by tests/c and tests/python instead)."""

import os
import subprocess
import sys
import textwrap
import time

import pytest
import torch

import tensor_ipc as tipc

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
_n = [0]


def name(tag):
    _n[0] += 1
    return f"gpu/{tag}_{os.getpid()}_{_n[0]}"


def run_child(code, *args, timeout=60):
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_put_device_and_host_get_device_tensor():
    sample = torch.zeros((4, 5), dtype=torch.float32, device="cuda:0")
    with tipc.TensorProducer.from_sample(name("rt"), sample, history_len=3) as p, \
            tipc.TensorConsumer.from_sample(p.pool_metadata.name, sample, history_len=3) as c:
        assert p.pool_metadata.backend_type == "torch_cuda"
        assert p.put(torch.full((4, 5), 1.0, device="cuda:0")) == 0
        assert p.put(torch.full((4, 5), 2.0)) == 1          # from host memory
        out = c.get()
        assert out.is_cuda and out.device.index == 0
        assert torch.equal(out, torch.full((4, 5), 2.0, device="cuda:0"))
        hist = c.get(history_len=3, latest_first=False)
        assert hist.shape == (3, 4, 5)
        assert torch.equal(hist[0], torch.zeros(4, 5, device="cuda:0"))   # padding
        assert torch.equal(hist[1], torch.full((4, 5), 1.0, device="cuda:0"))
        assert torch.equal(hist[2], torch.full((4, 5), 2.0, device="cuda:0"))
        host = c.get(as_numpy=True)
        assert host.shape == (4, 5) and float(host[0, 0]) == 2.0


def test_zero_copy_views_are_device_tensors():
    sample = torch.zeros((8,), dtype=torch.int64, device="cuda:0")
    with tipc.TensorProducer.from_sample(name("view"), sample, history_len=2) as p, \
            tipc.TensorConsumer.from_sample(p.pool_metadata.name, sample, history_len=2) as c:
        p.put(torch.arange(8, device="cuda:0"))
        frames = c.acquire(1)
        f = frames[0]
        assert f.__dlpack_device__() == (2, 0)
        cai = f.__cuda_array_interface__
        assert cai["shape"] == (8,) and cai["typestr"] == "<i8"
        t = torch.from_dlpack(f)
        assert t.is_cuda and torch.equal(t, torch.arange(8, device="cuda:0"))
        with pytest.raises(BufferError):
            memoryview(f)
        f.release()
        with p.loan() as slot:
            slot.copy_(torch.arange(8, device="cuda:0") * 10)
        assert torch.equal(c.get(), torch.arange(8, device="cuda:0") * 10)


PRODUCER = """
import sys, torch, tensor_ipc as tipc
name, n = sys.argv[1], int(sys.argv[2])
sample = torch.zeros((1080, 1920, 3), dtype=torch.uint8, device="cuda:0")
p = tipc.TensorProducer.from_sample(name, sample, history_len=8)
print("ready", flush=True)
for k in range(n):
    p.put(torch.full_like(sample, k % 251))
p.cleanup()
"""


def test_separate_processes_no_torn_frames_and_disconnect():
    pool = name("stream")
    sample = torch.zeros((1080, 1920, 3), dtype=torch.uint8, device="cuda:0")
    c = tipc.TensorConsumer.from_sample(pool, sample, history_len=8)
    proc = subprocess.Popen([sys.executable, "-c", PRODUCER, pool, "3000"],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    reads = torn = 0
    deadline = time.monotonic() + 60
    last = -1
    while time.monotonic() < deadline:
        f = c.get(block=True, timeout=2.0)
        if f is None:
            if proc.poll() is not None:
                break
            continue
        lo, hi = int(f.min()), int(f.max())    # computed on the GPU
        torn += lo != hi
        assert c.last_index >= last
        last = c.last_index
        reads += 1
    assert proc.wait(timeout=30) == 0
    assert reads > 10 and torn == 0
    assert c.get() is None                    # the producer is gone: disconnected
    c.cleanup()


def test_history_reads_across_processes():
    pool = name("hist")
    sample = torch.zeros((16,), dtype=torch.float32, device="cuda:0")
    code = """
    import sys, torch, tensor_ipc as tipc
    p = tipc.TensorProducer.from_sample(sys.argv[1], torch.zeros(16, device="cuda:0"), history_len=4)
    for k in range(6):
        p.put(torch.full((16,), float(k), device="cuda:0"))
    print("done", flush=True)
    sys.stdin.readline()
    """
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), pool],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "done"
    c = tipc.TensorConsumer.from_sample(pool, sample, history_len=4)
    h = c.get(history_len=4)
    assert [float(h[i, 0]) for i in range(4)] == [5.0, 4.0, 3.0, 2.0]
    proc.stdin.write("\n")
    proc.stdin.flush()
    assert proc.wait(timeout=30) == 0
    c.cleanup()
