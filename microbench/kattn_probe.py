#!/usr/bin/env python3
"""kattn_probe.py -- how many instructions cuDNN's decode attention kernel
executes per warp as its CTAs cover more KV tiles: PyTorch SDPA (cuDNN
backend, as traces/capture/capture_shapes.py and capture_decode_step.py call
it: one query token, 64 query heads over 8 KV heads, head dim 64, bf16) at
ctx 192, 256, 320, 512, 2048 and 8192 (or those given), each once between cudaProfilerStart/Stop for

  ncu --profile-from-start off --csv \
      --metrics smsp__inst_executed.sum,smsp__warps_launched.sum,launch__grid_size,launch__block_size

Counts of the code, not times; ctx values chosen apart from the replayed
trace rows (128, 1024, 4096, 16384, 65536, 131072), which stay a validation.

usage: ncu ... python3 microbench/kattn_probe.py > microbench/results/kattn_ncu_raw_h100.csv
"""
import sys
import torch
import torch.nn.functional as F

dev = torch.device("cuda")
bf = torch.bfloat16
g = torch.Generator(device=dev).manual_seed(1)
CTXS = tuple(int(c) for c in sys.argv[1:]) or (192, 256, 320, 512, 2048, 8192)


def rnd(*s):
    return torch.randn(*s, device=dev, generator=g, dtype=torch.float32).to(bf)


q = rnd(1, 64, 1, 64)
kv = {c: (rnd(1, 8, c, 64), rnd(1, 8, c, 64)) for c in CTXS}
for _ in range(3):
    for c in CTXS:
        F.scaled_dot_product_attention(q, kv[c][0], kv[c][1], enable_gqa=True)
torch.cuda.synchronize()
torch.cuda.profiler.start()
for c in CTXS:
    F.scaled_dot_product_attention(q, kv[c][0], kv[c][1], enable_gqa=True)
torch.cuda.synchronize()
torch.cuda.profiler.stop()
print("ctx:", " ".join(map(str, CTXS)), file=sys.stderr)
