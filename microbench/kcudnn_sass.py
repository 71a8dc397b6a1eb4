#!/usr/bin/env python3
"""kcudnn_sass.py -- one call of PyTorch SDPA per cuDNN sm90 decode kernel
(head_dim 128 and 64, 3 query rows, GQA 40/8 and 64/8, ctx 4096: shapes of
microbench/kcudnn_probe.py, the development set), for Nsight Compute to print
the kernel's SASS: how many wgmma groups (HGMMA) a KV tile issues and waits
for (WARPGROUP.DEPBAR), the count attn_impl_t.mma_waits_per_tile assumes.
cuDNN generates these kernels at run time (NVRTC), so their SASS is in no
library file; ncu reads it from the launch.

usage: ncu --kernel-name regex:sm90_flash_fprop --launch-count 2 \\
         --page source --print-source sass python3 microbench/kcudnn_sass.py > sass.txt
"""
import torch
import torch.nn.functional as F

dev = torch.device("cuda")
g = torch.Generator(device=dev).manual_seed(7)


def rnd(*s):
    return (torch.randn(*s, device=dev, generator=g, dtype=torch.float32) * 0.05).to(torch.bfloat16)


for hq, hkv, hd in ((40, 8, 128), (64, 8, 64)):
    q, k, v = rnd(1, hq, 3, hd), rnd(1, hkv, 4096, hd), rnd(1, hkv, 4096, hd)
    F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    torch.cuda.synchronize()
print("kcudnn_sass.py: done")
