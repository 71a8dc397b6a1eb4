#!/usr/bin/env python3
"""capture_decode_step.py -- a whole gpt-oss-120b-shaped decode step (bf16, M
tokens) in plain PyTorch eager and as a CUDA graph, on the first L layers,
measured on an NVIDIA GPU. This is the reference for gbsim's `torch-bf16` stack
(models/stack.c), which lists the same kernels.

Per layer: rms_norm, QKV linear (+bias), K/V cache writes, SDPA decode with GQA
over ctx keys, O linear (+bias), residual add, rms_norm, router linear (+bias),
top-4 + softmax over the selected logits, FC1 grouped GEMM over 4 of 128
experts (torch._grouped_mm; empty groups for the other 124), SwiGLU (gpt-oss
clamps, alpha 1.702, up+1), FC2 grouped GEMM, weighted sum over the 4 experts,
residual add. Per step: final rms_norm, lm_head linear, argmax. Routing is
computed every step, but the grouped GEMMs use a fixed set of 4 experts so the
step needs no host synchronisation and can be captured as a graph; the weight
traffic is the same.

M > 1 (--tokens) is one sequence's M tokens, as a speculative verify step runs
them: M query rows attend to the cache and the M new keys (no mask), and each
token routes to 4 experts drawn at random (seed 7 + token, as
capture_testset.py routes); the expert rows are gathered in expert order
(index_select) before FC1 and back in token order after FC2, two kernels that
M = 1 does not run.

Writes OUTDIR/<gpu>_decode_step.txt (step times), OUTDIR/<gpu>_decode_step_trace.csv
(nsys-style cuda_gpu_trace of one eager step) and OUTDIR/<gpu>_decode_step_kernels.csv
(per-kernel-name calls and median device time per step) and
OUTDIR/<gpu>_decode_step_graph_trace.csv (the CUDA graph replayed 3 times under
the profiler: each kernel's start and duration as the graph runs them, so the
gaps between kernels can be read; the .txt adds their sums).

usage: python3 capture_decode_step.py OUTDIR [--layers 4] [--ctx 2048] [--tokens 1]
"""
import argparse, os, random, statistics
import torch
import torch.nn.functional as F

from cupti_kernels import kernels_of

ap = argparse.ArgumentParser()
ap.add_argument("outdir")
ap.add_argument("--layers", type=int, default=4)
ap.add_argument("--ctx", type=int, default=2048)
ap.add_argument("--tokens", type=int, default=1)
args = ap.parse_args()
dev = torch.device("cuda")
props = torch.cuda.get_device_properties(0)
gpu = "h200" if "H200" in props.name else "h100" if "H100" in props.name else props.name.replace(" ", "_")
os.makedirs(args.outdir, exist_ok=True)
g = torch.Generator(device=dev).manual_seed(42)
H, Q, KV, E, TOPK, I, V, HD = 2880, 4096, 512, 128, 4, 2880, 201088, 64
L, CTX, M = args.layers, args.ctx, args.tokens
assert 1 <= M <= 64, "--tokens: 1..64 (the KV cache holds ctx + 64 tokens)"
bf = torch.bfloat16


def rnd(*shape, scale=0.02):
    return (torch.randn(*shape, device=dev, generator=g, dtype=torch.float32) * scale).to(bf)


layers = []
for _ in range(L):
    layers.append(dict(
        n1=torch.ones(H, device=dev, dtype=bf), n2=torch.ones(H, device=dev, dtype=bf),
        wqkv=rnd(Q + 2 * KV, H), bqkv=rnd(Q + 2 * KV), wo=rnd(H, Q), bo=rnd(H),
        wr=rnd(E, H), br=rnd(E),
        w1=rnd(E, 2 * I, H).transpose(-2, -1),   # (E, H, 2I), k-major per expert
        w2=rnd(E, I, I).transpose(-2, -1),       # (E, I, H)
        kc=rnd(1, 8, CTX + 64, HD), vc=rnd(1, 8, CTX + 64, HD),
    ))
nf = torch.ones(H, device=dev, dtype=bf)
wlm = rnd(V, H)
# (token, expert) pairs in token order; rows go to the grouped GEMMs in expert order
pairs = [(0, e) for e in (3, 40, 77, 121)] if M == 1 else \
    [(t, e) for t in range(M) for e in random.Random(7 + t).sample(range(E), TOPK)]
order = sorted(range(len(pairs)), key=lambda i: pairs[i][1])
tok = torch.tensor([pairs[i][0] for i in order], device=dev)          # row -> its token
inv = torch.tensor(sorted(range(len(order)), key=lambda i: order[i]), device=dev)  # pair -> row
counts = torch.zeros(E, dtype=torch.int32, device=dev)
for _, e in pairs:
    counts[e] += 1
offs = torch.cumsum(counts, 0).to(torch.int32)
x0 = rnd(M, H, scale=1.0)
pos = CTX


def step(x):
    for p in layers:
        h = F.rms_norm(x, (H,), p["n1"], 1e-5)
        qkv = F.linear(h, p["wqkv"], p["bqkv"])
        q, k, v = qkv.split([Q, KV, KV], dim=-1)
        if M == 1:
            p["kc"][0, :, pos] = k.view(8, HD)
            p["vc"][0, :, pos] = v.view(8, HD)
        else:
            p["kc"][0, :, pos:pos + M] = k.view(M, 8, HD).transpose(0, 1)
            p["vc"][0, :, pos:pos + M] = v.view(M, 8, HD).transpose(0, 1)
        qh = q.view(1, 64, 1, HD) if M == 1 else q.view(1, M, 64, HD).transpose(1, 2)
        a = F.scaled_dot_product_attention(qh, p["kc"][:, :, :pos + M], p["vc"][:, :, :pos + M],
                                           enable_gqa=True)
        x = x + F.linear(a.reshape(1, Q) if M == 1 else a.transpose(1, 2).reshape(M, Q), p["wo"], p["bo"])
        h = F.rms_norm(x, (H,), p["n2"], 1e-5)
        logits = F.linear(h, p["wr"], p["br"])
        tv, ti = torch.topk(logits, TOPK, dim=-1)
        wts = torch.softmax(tv.float(), dim=-1).to(bf)
        hr = h.expand(TOPK, H).contiguous() if M == 1 else h.index_select(0, tok)
        t = torch._grouped_mm(hr, p["w1"], offs=offs)
        gate = t[:, ::2].clamp(max=7.0)
        up = t[:, 1::2].clamp(-7.0, 7.0)
        act = gate * torch.sigmoid(1.702 * gate) * (up + 1)
        y = torch._grouped_mm(act, p["w2"], offs=offs)
        if M == 1:
            x = x + (y * wts.view(TOPK, 1)).sum(0, keepdim=True)
        else:
            x = x + (y.index_select(0, inv).view(M, TOPK, H) * wts.view(M, TOPK, 1)).sum(1)
    h = F.rms_norm(x, (H,), nf, 1e-5)
    return torch.argmax(F.linear(h, wlm), dim=-1)


def time_it(fn, n=30):
    ts = []
    for _ in range(n):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        ts.append(a.elapsed_time(b) * 1000.0)
    return statistics.median(ts)


for _ in range(5):
    step(x0)
torch.cuda.synchronize()
eager_us = time_it(lambda: step(x0))

gr = torch.cuda.CUDAGraph()
s = torch.cuda.Stream()
s.wait_stream(torch.cuda.current_stream())
with torch.cuda.stream(s):
    for _ in range(3):
        step(x0)
torch.cuda.current_stream().wait_stream(s)
with torch.cuda.graph(gr):
    out = step(x0)
for _ in range(5):
    gr.replay()
torch.cuda.synchronize()
graph_us = time_it(gr.replay)

# one profiled eager step for the kernel list (profiler inflates tiny kernels slightly)
kern = kernels_of(lambda: [step(x0) for _ in range(3)])
per = len(kern) // 3
byname = {}
for r in range(3):
    for k in kern[r * per:(r + 1) * per]:
        byname.setdefault(k["name"], []).append(k["dur"])
with open(os.path.join(args.outdir, f"{gpu}_decode_step_kernels.csv"), "w") as f:
    f.write("kernel,calls_per_step,median_us,us_per_step\n")
    for name, ds in sorted(byname.items(), key=lambda kv: -sum(kv[1])):
        c = len(ds) / 3
        f.write('"%s",%g,%.3f,%.1f\n' % (name.replace('"', "'")[:200], c, statistics.median(ds), sum(ds) / 3))
t0 = int(kern[0]["ts"] * 1000)
with open(os.path.join(args.outdir, f"{gpu}_decode_step_trace.csv"), "w") as f:
    f.write("Start (ns),Duration (ns),CorrId,GrdX,GrdY,GrdZ,BlkX,BlkY,BlkZ,Reg/Trd,StcSMem (MB),DymSMem (MB),"
            "Bytes (MB),Throughput (MB/s),SrcMemKd,DstMemKd,Device,Ctx,GreenCtx,Strm,Name\n")
    for k in kern:
        a = k.get("args", {})
        gd, bd = a.get("grid", [0, 0, 0]), a.get("block", [0, 0, 0])
        f.write('%d,%d,%s,%d,%d,%d,%d,%d,%d,%s,0.000,%.3f,,,,,%s (0),1,,7,"%s"\n' % (
            int(k["ts"] * 1000) - t0, int(k["dur"] * 1000), a.get("correlation", ""), gd[0], gd[1], gd[2],
            bd[0], bd[1], bd[2], a.get("registers per thread", ""), a.get("shared memory", 0) / 1e6,
            props.name, k["name"].replace('"', "'")))
ksum = sum(k["dur"] for k in kern) / 3

# the graph replayed under the profiler: kernel durations and the gaps between
# kernels as the graph runs them (3 replays; first start to last end per step)
gk = kernels_of(lambda: [gr.replay() for _ in range(3)])
gper = len(gk) // 3
g_ksum = sum(k["dur"] for k in gk) / 3
g_span = statistics.median([gk[(r + 1) * gper - 1]["ts"] + gk[(r + 1) * gper - 1]["dur"] - gk[r * gper]["ts"]
                            for r in range(3)])
with open(os.path.join(args.outdir, f"{gpu}_decode_step_graph_trace.csv"), "w") as f:
    f.write("Start (ns),Duration (ns),GrdX,GrdY,GrdZ,BlkX,BlkY,BlkZ,Name\n")
    t0g = gk[0]["ts"]
    for k in gk:
        a = k.get("args", {})
        gd, bd = a.get("grid", [0, 0, 0]), a.get("block", [0, 0, 0])
        f.write('%d,%d,%d,%d,%d,%d,%d,%d,"%s"\n' % (int((k["ts"] - t0g) * 1000), int(k["dur"] * 1000),
                gd[0], gd[1], gd[2], bd[0], bd[1], bd[2], k["name"].replace('"', "'")))
with open(os.path.join(args.outdir, f"{gpu}_decode_step.txt"), "w") as f:
    f.write(f"device {props.name}; torch {torch.__version__}; layers {L}; ctx {CTX}; M={M} bf16\n")
    f.write(f"eager_step_us {eager_us:.1f}\ngraph_step_us {graph_us:.1f}\n")
    f.write(f"kernels_per_step {per}\nkernel_us_per_step {ksum:.1f}\n")
    f.write(f"profiled_graph_kernels_per_step {gper}\nprofiled_graph_kernel_us_per_step {g_ksum:.1f}\n")
    f.write(f"profiled_graph_step_us {g_span:.1f}\n")
print(open(os.path.join(args.outdir, f"{gpu}_decode_step.txt")).read())
print(open(os.path.join(args.outdir, f"{gpu}_decode_step_kernels.csv")).read())
