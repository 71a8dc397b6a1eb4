#!/usr/bin/env python3
"""kcode_ncu.py -- which machine instructions the small kernels of the decode
step execute: the ops of microbench/ksmall_probe.py (same shapes), each run
once between cudaProfilerStart/Stop for Nsight Compute's SourceCounters, whose
per-SASS-instruction execution counts give the executed code footprint (distinct
instructions executed x 16 B) and the executed warp instructions. Counts of the
code, not times. The digest step is microbench/kcode_digest.py.

  ncu --profile-from-start off --section SourceCounters --page source \
      --print-source sass --csv python3 microbench/kcode_ncu.py > kcode_ncu_raw.csv
"""
import os, sys
import torch

here = os.path.dirname(os.path.abspath(__file__))
src = open(os.path.join(here, "ksmall_probe.py")).read()
# the probe's tensors and OPS, without its timing loop
src = src[:src.index("fa = rnd(4096, 4096)")]
ns = {"__file__": os.path.join(here, "ksmall_probe.py")}
exec(compile(src, "ksmall_probe.py", "exec"), ns)
OPS = ns["OPS"]
for _ in range(3):
    for _, op in OPS:
        op()
torch.cuda.synchronize()
torch.cuda.profiler.start()
for name, op in OPS:
    op()
torch.cuda.synchronize()
torch.cuda.profiler.stop()
print("ops:", " ".join(n for n, _ in OPS), file=sys.stderr)
