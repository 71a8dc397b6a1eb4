"""cupti_kernels.py -- the kernels a piece of PyTorch work runs, as CUPTI
records them (torch.profiler: the activity records nsys reads), for the
capture scripts here and the probes in experiments/.

kernels_of(fn) runs fn() under the profiler, synchronizes, and returns its
kernel events (chrome-trace dicts: name, ts and dur in us, args with grid,
block, registers, shared memory, correlation) sorted by start time."""
import json, os, tempfile
import torch


def kernels_of(fn):
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
        fn()
        torch.cuda.synchronize()
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tf:
        path = tf.name
    try:
        prof.export_chrome_trace(path)
        with open(path) as f:
            evs = json.load(f)["traceEvents"]
    finally:
        os.unlink(path)
    return sorted([e for e in evs if e.get("cat") == "kernel"], key=lambda e: e["ts"])
