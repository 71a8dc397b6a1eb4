#!/usr/bin/env python3
"""nvjet_sass_probe.py -- one cuBLAS bf16 GEMV at the QKV shape (M=1, 5120 x 2880:
nvjet_sm90_tst_64x8_64x16_4x1) between cudaProfilerStart/Stop, for reading its SASS
and per-instruction counts with Nsight Compute:

  ncu --profile-from-start off --section SourceCounters --page source \
      --print-source sass --csv python3 microbench/nvjet_sass_probe.py

(what it showed: UTMALDG.3D for the weights, UTMALDG.3D.MULTICAST for the
tokens, one of each per k-tile; consumers wait with TRYWAIT then NANOSLEEP.SYNCS)"""
import torch, torch.nn.functional as F
dev = torch.device("cuda")
w = torch.randn(5120, 2880, device=dev).to(torch.bfloat16)
x = torch.randn(1, 2880, device=dev).to(torch.bfloat16)
for _ in range(3): F.linear(x, w)
torch.cuda.synchronize()
torch.cuda.profiler.start(); F.linear(x, w); torch.cuda.synchronize(); torch.cuda.profiler.stop()
