# Kernel duration vs inter-kernel gap as CUPTI (torch.profiler/kineto) sees them,
# for empty kernels queued behind a spin kernel (eager) and inside a CUDA graph.
import json, statistics, torch, cupy as cp
from torch.profiler import profile, ProfilerActivity
src = r'''
extern "C" __global__ void empty_k() {}
extern "C" __global__ void spin_k(long long cyc) { long long t = clock64(); while (clock64() - t < cyc); }
'''
mod = cp.RawModule(code=src)
empty = mod.get_function("empty_k"); spin = mod.get_function("spin_k")
s = cp.cuda.Stream(non_blocking=True)
N = 1000
def eager():
    with s:
        spin((1,), (1,), (cp.int64(100_000_000),))
        for _ in range(N): empty((1,), (32,), ())
    s.synchronize()
graph = None
try:
    s.begin_capture()
    with s:
        for _ in range(N): empty((1,), (32,), ())
    graph = s.end_capture()
    graph.upload(s); graph.launch(s); s.synchronize()
except Exception as e:
    print("graph capture failed:", e)
eager()
def analyse(tag, trace):
    ev = [e for e in json.load(open(trace))["traceEvents"] if e.get("cat") == "kernel" and "empty_k" in e.get("name", "")]
    ev.sort(key=lambda e: e["ts"])
    d = [e["dur"] * 1000 for e in ev]
    g = [(ev[i+1]["ts"] - ev[i]["ts"] - ev[i]["dur"]) * 1000 for i in range(len(ev) - 1)]
    per = (ev[-1]["ts"] + ev[-1]["dur"] - ev[0]["ts"]) * 1000 / len(ev)
    print(f"{tag}: {len(ev)} kernels, duration median {statistics.median(d):.0f} ns (mean {statistics.mean(d):.0f}), gap median {statistics.median(g):.0f} ns (mean {statistics.mean(g):.0f}), period {per:.0f} ns")
for rep in range(2):
    with profile(activities=[ProfilerActivity.CUDA, ProfilerActivity.CPU]) as p: eager()
    p.export_chrome_trace("/tmp/eager.json"); analyse("eager prefilled", "/tmp/eager.json")
    if graph is not None:
        with profile(activities=[ProfilerActivity.CUDA, ProfilerActivity.CPU]) as p:
            graph.launch(s); s.synchronize()
        p.export_chrome_trace("/tmp/graph.json"); analyse("graph", "/tmp/graph.json")
