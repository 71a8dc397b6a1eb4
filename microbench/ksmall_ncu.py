#!/usr/bin/env python3
"""ksmall_ncu.py -- the small kernels of microbench/ksmall_probe.py, each run a
few times warm, for Nsight Compute (instructions executed, warp stall reasons):

  ncu --clock-control none --cache-control none --section WarpStateStats \
      --section InstructionStats --section LaunchStats --csv \
      python3 microbench/ksmall_ncu.py > microbench/results/ksmall_ncu_h200.csv

(the committed file is a digest of that output, one row per kernel, taken on an
H200 of this workplace: the same SM as the H100)

A diagnostic of where the time of the families that models/ksmall.c
under-predicts goes; nothing in the model is taken from it."""
import torch
import torch.nn.functional as F

dev, bf = torch.device("cuda"), torch.bfloat16
H, E, TOPK, V = 2880, 128, 4, 201088
x = torch.randn(1, H, device=dev).to(bf); n1 = torch.ones(H, device=dev, dtype=bf)
logits = torch.randn(1, E, device=dev).to(bf)
y = torch.randn(TOPK, H, device=dev).to(bf); wts = torch.randn(TOPK, device=dev).to(bf)
t = torch.randn(TOPK, 2 * H, device=dev).to(bf); g = torch.randn(TOPK, H, device=dev).to(bf)
a = torch.randn(1, H, device=dev).to(bf); b = torch.randn(1, H, device=dev).to(bf)
lm = torch.randn(1, V, device=dev).to(bf)
ops = [lambda: F.rms_norm(x, (H,), n1, 1e-5), lambda: torch.topk(logits, TOPK, dim=-1),
       lambda: t[:, ::2].clamp(max=7.0), lambda: y * wts.view(TOPK, 1), lambda: g * g,
       lambda: y.sum(0, keepdim=True), lambda: a + b, lambda: torch.argmax(lm, dim=-1)]
for _ in range(3):
    for op in ops:
        op()
torch.cuda.synchronize()
