#!/usr/bin/env python3
"""kcudnn_probe.py -- which kernel PyTorch SDPA's decode attention (default
backend choice, as the captures call it: cuDNN on Hopper; bf16, no mask, one
sequence) runs at each query length, head dim
and KV length, its grid, and how long it takes: the microbenchmark of the
cuDNN variant rows and their selection rule in models/kmodel.c.

Shapes are kept apart from the test set (traces/testset: head dim 128 with
GQA 32/8, 64/8, 32/4 at ctx 1024 / 8192 / 32768 and q 1, 2, 4, 8) and from the
development set (head dim 64, 64/8, q 1): GQA 40/8 and 16/4 at head dim 128,
64/8 and 16/16 at head dim 64, q = 1, 3, 6, ctx 512, 2048, 4096, 16384, 65536.

Two modes:
  python3 microbench/kcudnn_probe.py times > OUT.csv
      CUPTI records (cupti_kernels.py): per configuration every kernel of one
      call, its grid and block, and the median duration of 20 calls after 5
      warm-up calls, each call on its own operand copy (>= 4x L2 together).
  ncu --profile-from-start off --csv --metrics smsp__inst_executed.sum,\\
      smsp__warps_launched.sum,launch__grid_size,launch__block_size \\
      python3 microbench/kcudnn_probe.py ncu > OUT_ncu.csv
      each configuration once between cudaProfilerStart/Stop, in the order of
      CONFIGS: warp instructions per warp of each kernel (counts of the code,
      not times)."""
import os
import statistics
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "traces", "capture"))

HEADS = [(40, 8, 128), (16, 4, 128), (64, 8, 64), (16, 16, 64)]
QLENS = [1, 3, 6]
CTXS = [512, 2048, 4096, 16384, 65536]
CONFIGS = [(hq, hkv, hd, q, ctx) for (hq, hkv, hd) in HEADS for q in QLENS for ctx in CTXS]
REPS, WARM = 20, 5


def main(mode):
    dev = torch.device("cuda")
    g = torch.Generator(device=dev).manual_seed(7)
    l2 = torch.cuda.get_device_properties(0).L2_cache_size

    def rnd(*s):
        return (torch.randn(*s, device=dev, generator=g, dtype=torch.float32) * 0.05).to(torch.bfloat16)

    if mode == "ncu":
        for hq, hkv, hd, q, ctx in CONFIGS:
            qq, kk, vv = rnd(1, hq, q, hd), rnd(1, hkv, ctx, hd), rnd(1, hkv, ctx, hd)
            for _ in range(2):
                F.scaled_dot_product_attention(qq, kk, vv, enable_gqa=True)
            torch.cuda.synchronize()
            torch.cuda.profiler.start()
            F.scaled_dot_product_attention(qq, kk, vv, enable_gqa=True)
            torch.cuda.synchronize()
            torch.cuda.profiler.stop()
        return 0
    from cupti_kernels import kernels_of
    print("heads_q,heads_kv,head_dim,q_len,ctx,kernel,grid_x,grid_y,grid_z,block_x,smem_mb,us_median,"
          "call_us_median")
    for hq, hkv, hd, q, ctx in CONFIGS:
        nbytes = 2 * hkv * ctx * hd * 2
        copies = max(2, min(256, -(-4 * l2 // nbytes)))
        ops = [(rnd(1, hq, q, hd), rnd(1, hkv, ctx, hd), rnd(1, hkv, ctx, hd)) for _ in range(copies)]
        call = [lambda o=o: F.scaled_dot_product_attention(o[0], o[1], o[2], enable_gqa=True) for o in ops]
        for i in range(WARM):
            call[i % copies]()
        torch.cuda.synchronize()
        kern = kernels_of(lambda: [call[(WARM + i) % copies]() for i in range(REPS)])
        per = len(kern) // REPS
        assert per >= 1 and per * REPS == len(kern), (len(kern), REPS)
        total = statistics.median(sum(k["dur"] for k in kern[r * per:(r + 1) * per]) for r in range(REPS))
        for j in range(per):
            k = kern[j]
            a = k.get("args", {})
            gr, bl = a.get("grid", [0, 0, 0]), a.get("block", [0, 0, 0])
            us = statistics.median(kern[r * per + j]["dur"] for r in range(REPS))
            print(f"{hq},{hkv},{hd},{q},{ctx},{k['name'][:160]},{gr[0]},{gr[1]},{gr[2]},{bl[0]},"
                  f"{a.get('shared memory', 0) / 1e6:.3f},{us:.3f},{total:.3f}", flush=True)
        del ops, call
        torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("times", "ncu"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
