#!/usr/bin/env python3
"""capture_shapes.py -- measure gpt-oss-120b-shaped decode kernels on an NVIDIA
GPU with PyTorch and write them as a gbsim decode trace (docs/formats.md).

Each op runs `REPS` times on rotating copies of its operands (total >= 4x L2,
so weights come from DRAM), with random data, after warm-up. Ops: bf16 and fp8
(e4m3, torch._scaled_mm) QKV/O/router/lm_head at M = 1-256, the bf16 MoE grouped
GEMMs, GQA decode attention at ctx 128-128k, bf16 adds. Kernel durations
come from the PyTorch profiler (CUPTI, the same activity records nsys reads).
measured_us = median over reps of the summed device time of the kernels one
call launches. Also writes an nsys-style cuda_gpu_trace CSV of every kernel.

usage: python3 capture_shapes.py OUTDIR [--quick]
writes OUTDIR/<gpu>_shapes.csv and OUTDIR/<gpu>_cuda_gpu_trace.csv
"""
import csv, os, statistics, sys
import torch
import torch.nn.functional as F

from cupti_kernels import kernels_of

REPS = 20
WARM = 5
dev = torch.device("cuda")
props = torch.cuda.get_device_properties(0)
L2 = props.L2_cache_size
gpu = "h200" if "H200" in props.name else "h100" if "H100" in props.name else props.name.replace(" ", "_")
outdir = sys.argv[1]
quick = "--quick" in sys.argv
gen = torch.Generator(device=dev).manual_seed(1234)
os.makedirs(outdir, exist_ok=True)


def randn(*shape, dtype=torch.bfloat16):
    return (torch.randn(*shape, device=dev, generator=gen, dtype=torch.float32) * 0.05).to(dtype)


def copies(nbytes_one):
    """Operand copies whose total exceeds 4x L2. Call i uses copy i (WARM + REPS
    <= copies for every op smaller than L2/6), and the copies made after it
    (>= 4x L2 less 25 copies) have evicted it from L2 before the call: every
    call reads cold operands. (Before 2026-11-22 the count was capped at REPS,
    so an op whose 20 copies fit in L2 -- router, attention at ctx <= 1024,
    the two smallest adds -- was timed with its operands in L2.)"""
    return max(2, min(1 << 16, -(-4 * L2 // max(1, nbytes_one))))


trace_rows = []      # nsys-style kernel records
t0_ns = None


def profile(op_label, fn_list):
    """Run fn_list[(WARM + i) % len] REPS times under the profiler (after WARM
    warm-up calls on the first copies); return median us."""
    global t0_ns
    for i in range(WARM):
        fn_list[i % len(fn_list)]()
    torch.cuda.synchronize()
    def timed():
        for i in range(REPS):
            fn_list[(WARM + i) % len(fn_list)]()  # not the copies the warm-up touched
    kern = kernels_of(timed)
    if not kern or len(kern) % REPS:
        raise RuntimeError(f"{op_label}: {len(kern)} kernels not a multiple of {REPS}")
    per = len(kern) // REPS
    sums = []
    for r in range(REPS):
        ks = kern[r * per:(r + 1) * per]
        sums.append(sum(k["dur"] for k in ks))
    for k in kern:
        a = k.get("args", {})
        ts = int(round(k["ts"] * 1000))
        if t0_ns is None:
            t0_ns = ts
        g = a.get("grid", [0, 0, 0]); b = a.get("block", [0, 0, 0])
        trace_rows.append([ts - t0_ns, int(round(k["dur"] * 1000)), a.get("correlation", ""),
                           g[0], g[1], g[2], b[0], b[1], b[2], a.get("registers per thread", ""),
                           "%.3f" % (a.get("shared memory", 0) / 1e6), "", "", "", "", "",
                           f"{props.name} (0)", 1, "", 7, k["name"]])
    names = " | ".join(dict.fromkeys(k["name"][:80] for k in kern[:per]))
    return statistics.median(sums), per, names


rows = []


def run(op, kind, fns, **kw):
    try:
        us, nk, names = profile(op, fns)
    except Exception as e:  # noqa: BLE001 -- keep the other shapes
        print(f"skip {op}: {e}", flush=True)
        return
    add(op, kind, us, nk, names, **kw)


def add(op, kind, measured, nk, names, **kw):
    r = dict(op=op, kind=kind, m="", n="", k="", groups="", a_dtype="", b_dtype="", ctx="",
             heads_q="", heads_kv="", head_dim="", bytes="", tile="",
             measured_us="%.3f" % measured, kernels_per_call=nk, kernel_names=names)
    r.update({k: v for k, v in kw.items()})
    rows.append(r)
    print(f"{op:28s} {kind:12s} {measured:10.2f} us  ({nk} kernels) {names[:60]}", flush=True)


H, V = 2880, 201088
# ---- dense GEMM / GEMV (nn.Linear without bias: y = x W^T) ----
dense = [("qkv_proj", 5120, H), ("o_proj", H, 4096), ("router", 128, H), ("lm_head", V, H)]
ms = [1, 4, 16, 64, 256] if not quick else [1, 16]
for name, n, k in dense:
    for m in ms:
        if name == "lm_head" and m not in (1, 16):
            continue
        nc = copies(n * k * 2)
        ws = [randn(n, k) for _ in range(nc)]
        xs = [randn(m, k) for _ in range(nc)]
        fns = [(lambda w=w, x=x: F.linear(x, w)) for w, x in zip(ws, xs)]
        run(f"{name}_m{m}", "gemm", fns, m=m, n=n, k=k, a_dtype="bf16", b_dtype="bf16")
        del ws, xs, fns
        torch.cuda.empty_cache()

# ---- dense fp8 (e4m3) GEMM / GEMV: torch._scaled_mm, per-tensor scales, bf16 out ----
if hasattr(torch, "_scaled_mm") and hasattr(torch, "float8_e4m3fn"):
    f8 = torch.float8_e4m3fn
    one = torch.ones((), device=dev, dtype=torch.float32)
    for name, n, k in dense:
        for m in ms:
            if name == "lm_head" and m not in (1, 16):
                continue
            nc = copies(n * k)
            ws = [randn(n, k).to(f8) for _ in range(nc)]     # (n, k) row-major: B = w.t() col-major
            xs = [randn(m, k).to(f8) for _ in range(nc)]
            fns = [(lambda w=w, x=x: torch._scaled_mm(x, w.t(), scale_a=one, scale_b=one,
                                                      out_dtype=torch.bfloat16))
                   for w, x in zip(ws, xs)]
            run(f"{name}_fp8_m{m}", "gemm", fns, m=m, n=n, k=k, a_dtype="fp8e4m3", b_dtype="fp8e4m3")
            del ws, xs, fns
            torch.cuda.empty_cache()

# ---- MoE grouped GEMM, bf16, top-4 of 128 with random routing ----
if hasattr(torch, "_grouped_mm"):
    for m in ([1, 4, 16] if not quick else [1]):
        idx = torch.stack([torch.randperm(128, generator=torch.Generator().manual_seed(7 + t))[:4]
                           for t in range(m)]).flatten()
        counts = torch.bincount(idx, minlength=128)
        nz = counts[counts > 0].tolist()
        G, rows_total = len(nz), sum(nz)
        offs = torch.tensor(list(torch.tensor(nz).cumsum(0)), device=dev, dtype=torch.int32)
        for name, n, k in [("moe_fc1", 2 * H, H), ("moe_fc2", H, H)]:
            nc = copies(G * n * k * 2)
            ws = [randn(G, n, k).transpose(-2, -1) for _ in range(nc)]   # (G, k, n), k-major
            xs = [randn(rows_total, k) for _ in range(nc)]
            fns = [(lambda w=w, x=x: torch._grouped_mm(x, w, offs=offs)) for w, x in zip(ws, xs)]
            run(f"{name}_m{m}", "grouped_gemm", fns, m=rows_total, n=n, k=k, groups=G,
                a_dtype="bf16", b_dtype="bf16")
            del ws, xs, fns
            torch.cuda.empty_cache()

# ---- decode attention, GQA 64/8, head_dim 64, bf16 KV ----
for ctx in ([128, 1024, 4096, 16384, 65536, 131072] if not quick else [1024]):
    kvb = 2 * 8 * ctx * 64 * 2
    nc = copies(kvb)
    qs = [randn(1, 64, 1, 64) for _ in range(nc)]
    kvs = [(randn(1, 8, ctx, 64), randn(1, 8, ctx, 64)) for _ in range(nc)]
    fns = [(lambda q=q, kv=kv: F.scaled_dot_product_attention(q, kv[0], kv[1], enable_gqa=True))
           for q, kv in zip(qs, kvs)]
    run(f"attn_ctx{ctx}", "attention", fns, m=1, ctx=ctx, heads_q=64, heads_kv=8, head_dim=64,
        a_dtype="bf16")
    del qs, kvs, fns
    torch.cuda.empty_cache()

# ---- elementwise: bf16 add, bytes = 2 reads + 1 write ----
for numel in ([2880, 2880 * 4 * 16, 1 << 20, 1 << 24, 1 << 27] if not quick else [1 << 24]):
    nc = copies(numel * 2 * 3)
    xs = [(randn(numel), randn(numel)) for _ in range(nc)]
    fns = [(lambda a=a: torch.add(a[0], a[1])) for a in xs]
    run(f"add_{numel}", "elementwise", fns, bytes=numel * 2 * 3)
    del xs, fns
    torch.cuda.empty_cache()

cols = ["op", "kind", "m", "n", "k", "groups", "a_dtype", "b_dtype", "ctx", "heads_q", "heads_kv",
        "head_dim", "bytes", "tile", "measured_us", "kernels_per_call", "kernel_names"]
with open(os.path.join(outdir, f"{gpu}_shapes.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=cols)
    w.writeheader()
    w.writerows(rows)
with open(os.path.join(outdir, f"{gpu}_cuda_gpu_trace.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["Start (ns)", "Duration (ns)", "CorrId", "GrdX", "GrdY", "GrdZ", "BlkX", "BlkY", "BlkZ",
                "Reg/Trd", "StcSMem (MB)", "DymSMem (MB)", "Bytes (MB)", "Throughput (MB/s)",
                "SrcMemKd", "DstMemKd", "Device", "Ctx", "GreenCtx", "Strm", "Name"])
    w.writerows(trace_rows)
with open(os.path.join(outdir, f"{gpu}_shapes.meta.txt"), "w") as f:
    f.write(f"measured by traces/capture/capture_shapes.py on {props.name} ({props.multi_processor_count} SMs, "
            f"L2 {L2} B), torch {torch.__version__}, CUDA {torch.version.cuda}; median of {REPS} profiled "
            f"calls after {WARM} warm-up, rotating operand copies (>= 4x L2), random data\n")
print("wrote", len(rows), "rows", flush=True)
