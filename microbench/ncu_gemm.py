#!/usr/bin/env python3
"""ncu_gemm.py -- the bf16 GEMMs whose time gbsim misses on H100, run a few
times for Nsight Compute: torch._grouped_mm MoE FC1 at M=1 and M=4 (top-4 of
128, the shapes of capture_shapes.py) and the dense qkv/o_proj/router nvjet
GEMVs at M=1. Run as

  ncu --clock-control none --csv --metrics gpu__time_duration.sum,\
dram__bytes_read.sum,dram__bytes_write.sum,lts__t_bytes.sum,\
lts__t_sectors_srcunit_tex_op_read.sum,sm__cycles_active.avg,\
sm__cycles_elapsed.avg,launch__grid_size,launch__block_size,\
launch__cluster_dim_x,launch__cluster_dim_y,launch__occupancy_limit_shared_mem,\
sm__warps_active.avg.pct_of_peak_sustained_active,\
dram__throughput.avg.pct_of_peak_sustained_elapsed,\
lts__throughput.avg.pct_of_peak_sustained_elapsed,\
l1tex__m_xbar2l1tex_read_bytes.sum,smsp__inst_executed.sum \
      python3 ncu_gemm.py > microbench/results/ncu_gemm_h100.csv

(`python3 ncu_gemm.py --moe`: only FC1 at M = 1, 4, 16, for
microbench/results/ncu_gemm_moe_h100.csv.)

(H100, 2026-11-22; ncu flushes caches between kernels, so durations differ from
the CUPTI medians of the shapes trace.) The grouped GEMM at M=1 reads its
weights from DRAM once (dram__bytes_read = the weights) but receives 3.06x that
into the SMs (l1tex__m_xbar2l1tex_read_bytes). Diagnostic only: nothing in a
model is taken from it without a row in a data file saying so."""
import sys

import torch
import torch.nn.functional as F

dev, bf = torch.device("cuda"), torch.bfloat16
H = 2880
g = torch.Generator(device=dev).manual_seed(1)


def rnd(*s):
    return (torch.randn(*s, device=dev, generator=g) * 0.05).to(bf)


def moe(m, n, k):
    idx = torch.stack([torch.randperm(128, generator=torch.Generator().manual_seed(7 + t))[:4]
                       for t in range(m)]).flatten()
    counts = torch.bincount(idx, minlength=128)
    nz = counts[counts > 0].tolist()
    offs = torch.tensor(list(torch.tensor(nz).cumsum(0)), device=dev, dtype=torch.int32)
    w = rnd(len(nz), n, k).transpose(-2, -1)
    x = rnd(sum(nz), k)
    return lambda: torch._grouped_mm(x, w, offs=offs)


if "--moe" in sys.argv:  # FC1 at M = 1, 4, 16 only (4, 15, 53 experts)
    ops = [moe(1, 2 * H, H), moe(4, 2 * H, H), moe(16, 2 * H, H)]
else:
    ops = [moe(1, 2 * H, H), moe(4, 2 * H, H), moe(1, H, H)]
    for n, k in [(5120, H), (H, 4096), (128, H)]:
        w, x = rnd(n, k), rnd(1, k)
        ops.append(lambda w=w, x=x: F.linear(x, w))
for _ in range(2):
    for op in ops:
        op()
torch.cuda.synchronize()
