#!/usr/bin/env python3
"""kgap_probe.py -- the gap between two kernels of a CUDA graph when the
graph's own launch state was evicted from L2.

microbench/kcold.py finds 256 ns between two kernels of a synthetic graph
(whatever grid, shared memory, cluster or parameter size), while the decode
step's graph shows 416-448 ns between almost any two kernels
(traces/hopper/*_decode_step_graph_trace.csv). The synthetic graphs replay
with nothing else in L2; in the step, hundreds of MB of weights stream through
L2 between two replays of a node. Here the same 8 small PyTorch kernels
(add and broadcast mul, alternating) run as a graph, with before them:

  none:    nothing (the graph's nodes, parameters and operands stay in L2)
  fill:    a fill of max(256 MB, 5x the L2): what a node keeps in L2 is gone;
           the small kernels' operands too
  fill_op: the fill, then a copy that brings the small kernels' operands back
           into L2 (their parameters and the graph's node state stay evicted)

and the CUPTI gaps (start of kernel i+1 minus end of kernel i) between the 8
small kernels are reported (median over 20 replays x 7 gaps), with the small
kernels' durations. This measures; it fits nothing.

usage: python3 microbench/kgap_probe.py > microbench/results/kgap_probe_h100.txt
"""
import collections
import os, statistics, sys
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "traces", "capture"))
from cupti_kernels import kernels_of  # noqa: E402

dev = torch.device("cuda")
bf = torch.bfloat16
ta = torch.randn(2880, device=dev).to(bf); tb = torch.randn(2880, device=dev).to(bf)
tw = torch.randn(4, 2880, device=dev).to(bf); tv = torch.randn(4, device=dev).to(bf)
fbuf = torch.empty(max(256 << 20, 5 * torch.cuda.get_device_properties(0).L2_cache_size),
                   dtype=torch.uint8, device=dev)
sa, sw = torch.empty_like(ta), torch.empty_like(tw)


def small8():
    for _ in range(4):
        torch.add(ta, tb, out=ta)
        torch.mul(tw, tv.view(4, 1), out=tw)


PRE = {
    "none": [],
    "fill": [lambda: fbuf.fill_(1)],
    "fill_op": [lambda: fbuf.fill_(1), lambda: sa.copy_(ta), lambda: sw.copy_(tw)],
}
print("# microbench/kgap_probe.py: %s, torch %s" % (torch.cuda.get_device_name(), torch.__version__))
print("# pre n_pre_kernels gap_ns (median, between the 8 small kernels) dur_add_ns dur_mul_ns "
      "first_gap_ns (pre -> first small kernel) gap_mean_ns (mean of the same gaps)")
for name, pre in PRE.items():
    def body():
        for f in pre:
            f()
        small8()
    g = torch.cuda.CUDAGraph()
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        body()
    torch.cuda.current_stream().wait_stream(s)
    with torch.cuda.graph(g):
        body()
    for _ in range(3):
        g.replay()
    torch.cuda.synchronize()
    ks = kernels_of(lambda: [g.replay() for _ in range(20)])
    per = len(ks) // 20
    npre = per - 8
    gaps, first, da, dm = [], [], [], []
    for r in range(20):
        rk = ks[r * per:(r + 1) * per]
        if npre:
            first.append((rk[npre]["ts"] - rk[npre - 1]["ts"] - rk[npre - 1]["dur"]) * 1000.0)
        for i in range(npre, per - 1):
            gaps.append((rk[i + 1]["ts"] - rk[i]["ts"] - rk[i]["dur"]) * 1000.0)
        for i in range(npre, per):
            (da if (i - npre) % 2 == 0 else dm).append(rk[i]["dur"] * 1000.0)
    print("%s %d %.0f %.0f %.0f %s gap_mean_ns %.1f" % (
        name, npre, statistics.median(gaps), statistics.median(da), statistics.median(dm),
        "%.0f" % statistics.median(first) if first else "-", statistics.mean(gaps)))
    c = collections.Counter(round(g) for g in gaps)
    print("# %s gaps (ns x count): %s" % (name, " ".join("%d x%d" % (g, c[g]) for g in sorted(c))))
    sys.stdout.flush()
