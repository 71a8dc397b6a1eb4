#!/usr/bin/env python3
"""capture_testset.py -- the frozen test set of traces/testset/README.md: decode
kernels and decode steps that the development set (traces/hopper/) does not
hold, measured on an NVIDIA GPU with PyTorch, written as gbsim decode traces
(traces/README.md).

Method: that of capture_shapes.py. Each op runs on rotating copies of its
operands (together >= 4x L2, so every call reads cold operands), with random
data, WARM warm-up calls, then REPS profiled calls; measured_us is the median
over the calls of the summed device time of the kernels one call launches
(CUPTI records through cupti_kernels.py). The launch-configuration columns are
filled by launch_config.py's decoders, row by row: a row whose kernels they do
not understand keeps empty columns and says why in `config_note`.

Sets (one per kind the README scores):
  gemm bf16       F.linear (no bias) at M = 1, 4, 16 for the dense layers of
                  Llama-3.1-8B, Llama-3.3-70B and Qwen3-30B-A3B (MODELS)
  gemm fp8        the same shapes through torch._scaled_mm, e4m3 x e4m3,
                  per-tensor scales, bf16 out
  grouped_gemm    Qwen3-30B-A3B's experts (top-8 of 128, random routing as
                  capture_shapes.py draws it), torch._grouped_mm, bf16
  attention       SDPA (cuDNN on Hopper) decode, head_dim 128, bf16 KV, the
                  three models' GQA, ctx 1024-32768, m = 1, 2, 4, 8 query tokens
                  of one sequence (speculative verify; no mask)
  elementwise     bf16 adds of sizes the development set lacks
  batched attn    several sequences per call (m = 1): not expressible in the
                  trace format (one sequence per row), written to its own file
  decode steps    capture_decode_step.py, 8 gpt-oss-shaped layers, M = 1, 4, 16,
                  ctx 1024 and 8192, eager and CUDA graph

usage: python3 capture_testset.py OUTDIR [--quick] [--no-steps]
       python3 capture_testset.py --fill CSV TRACE   (re-fill the launch columns)
       python3 capture_testset.py --split GBSIM ARCH CSV   (rows gbsim rejects to CSV_rejected.csv)
writes OUTDIR/<gpu>_testset.csv, <gpu>_testset_cuda_gpu_trace.csv,
       <gpu>_testset_batched_attn.csv (+ _cuda_gpu_trace.csv),
       <gpu>_testset_steps.csv, <gpu>_testset_meta.txt, steps/<gpu>_m<M>_ctx<C>/
"""
import csv
import datetime
import os
import random
import statistics
import subprocess
import sys
import time

import launch_config as lc

REPS = 20   # profiled calls per op (capture_shapes.py's REPS; launch_config.py --calls)
WARM = 5    # warm-up calls per op (capture_shapes.py's WARM)
HERE = os.path.dirname(os.path.abspath(__file__))

# Decode shapes of the test-set models, from each model's config.json on its
# hub page. One row per model:
#   name, hidden, heads_q, heads_kv, head_dim, dense FFN, vocab, experts, top-k,
#   expert FFN, source
MODELS = [
    ("llama31_8b", 4096, 32, 8, 128, 14336, 128256, 0, 0, 0,
     "https://huggingface.co/meta-llama/Llama-3.1-8B/blob/main/config.json"),
    ("llama33_70b", 8192, 64, 8, 128, 28672, 128256, 0, 0, 0,
     "https://huggingface.co/meta-llama/Llama-3.3-70B-Instruct/blob/main/config.json"),
    ("qwen3_30b_a3b", 2048, 32, 4, 128, 0, 151936, 128, 8, 768,
     "https://huggingface.co/Qwen/Qwen3-30B-A3B/blob/main/config.json"),
]

COLS = ["op", "kind", "m", "n", "k", "groups", "a_dtype", "b_dtype", "ctx", "heads_q", "heads_kv",
        "head_dim", "bytes", "tile"] + lc.CONFIG_COLS + ["measured_us", "kernels_per_call",
                                                        "kernel_names", "model", "config_note"]
TRACE_COLS = ["Start (ns)", "Duration (ns)", "CorrId", "GrdX", "GrdY", "GrdZ", "BlkX", "BlkY", "BlkZ",
              "Reg/Trd", "StcSMem (MB)", "DymSMem (MB)", "Bytes (MB)", "Throughput (MB/s)",
              "SrcMemKd", "DstMemKd", "Device", "Ctx", "GreenCtx", "Strm", "Name"]
STEP_COLS = ["layers", "tokens", "ctx", "eager_step_us", "graph_step_us", "kernels_per_step",
             "kernel_us_per_step", "profiled_graph_step_us"]


def dense_layers(model):
    """(op, n, k) of each nn.Linear a decode layer and the head run, y = x W^T."""
    name, hid, hq, hkv, hd, ffn, vocab, experts = model[:8]
    ops = [("qkv_proj", (hq + 2 * hkv) * hd, hid), ("o_proj", hid, hq * hd)]
    if experts:
        ops.append(("router", experts, hid))
    else:
        ops += [("gate_up_proj", 2 * ffn, hid), ("down_proj", hid, ffn)]
    return ops + [("lm_head", vocab, hid)]


def routed_counts(experts, top_k, tokens):
    """Rows per non-empty expert when each token routes to top_k distinct
    experts drawn at random (seed 7 + token), in expert order."""
    hits = [0] * experts
    for t in range(tokens):
        for e in random.Random(7 + t).sample(range(experts), top_k):
            hits[e] += 1
    return [c for c in hits if c]


# ---- launch configuration, row by row ----------------------------------------

def fill_config(rows, kernels, ncalls=REPS):
    """Set tile + lc.CONFIG_COLS of each row from its kernels (launch_config.py's
    decoders); a row they reject keeps them empty and gets the reason in
    config_note. kernels: the trace rows, ncalls calls per row in row order."""
    pos = 0
    for row in rows:
        cfg, note = {}, ""
        try:
            kerns = lc.calls_of(row, kernels, pos, ncalls)
            if row["kind"] in lc.DECODERS:
                cfg = lc.DECODERS[row["kind"]](row, kerns)
        except lc.Bad as e:
            note = str(e)
        pos += ncalls * int(row["kernels_per_call"])
        for c in ["tile"] + lc.CONFIG_COLS:
            row[c] = str(cfg.get(c, ""))
        row["config_note"] = note
    if pos != len(kernels):
        raise lc.Bad(f"{len(kernels) - pos} kernels left after the last row")


def read_csv(path):
    with open(path, newline="") as f:
        rd = csv.DictReader(f)
        return list(rd.fieldnames), list(rd)


def write_csv(path, cols, rows):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, path)


def fill_file(csv_path, trace_path):
    cols, rows = read_csv(csv_path)
    fill_config(rows, read_csv(trace_path)[1])
    write_csv(csv_path, cols + [c for c in COLS if c not in cols], rows)
    bad = [r["op"] for r in rows if r.get("config_note")]
    print(f"{csv_path}: launch columns filled; {len(bad)} rows not decoded: {' '.join(bad)}")


# ---- capture -------------------------------------------------------------------

class TraceFile:
    """One test-set CSV and the CUPTI kernel list of its rows."""

    def __init__(self, path, cols):
        self.path, self.cols, self.rows, self.kernels = path, cols, [], []

    def dump(self):
        write_csv(self.path, self.cols, self.rows)
        write_csv(self.path[:-len(".csv")] + "_cuda_gpu_trace.csv", TRACE_COLS, self.kernels)


def capture(outdir, quick):
    import torch
    import torch.nn.functional as F
    from cupti_kernels import kernels_of

    dev = torch.device("cuda")
    props = torch.cuda.get_device_properties(0)
    l2 = props.L2_cache_size
    gpu = "h200" if "H200" in props.name else "h100" if "H100" in props.name else \
        props.name.replace(" ", "_")
    gen = torch.Generator(device=dev).manual_seed(4321)
    os.makedirs(outdir, exist_ok=True)
    main = TraceFile(os.path.join(outdir, f"{gpu}_testset.csv"), COLS)
    batched = TraceFile(os.path.join(outdir, f"{gpu}_testset_batched_attn.csv"), COLS + ["seqs"])
    t_start = time.time()

    def randn(*shape, dtype=torch.bfloat16):
        return (torch.randn(*shape, device=dev, generator=gen, dtype=torch.float32) * 0.05).to(dtype)

    def copies(nbytes_one):
        """As capture_shapes.py: copies together >= 4x L2, at least 2."""
        return max(2, min(1 << 16, -(-4 * l2 // max(1, nbytes_one))))

    def run(tf, op, kind, make, nbytes, **cols):
        """Profile op: make() returns one call on fresh operands; REPS calls
        after WARM, each on its own copy (round robin)."""
        try:
            fns = [make() for _ in range(copies(nbytes))]
            for i in range(WARM):
                fns[i % len(fns)]()
            torch.cuda.synchronize()
            kern = kernels_of(lambda: [fns[(WARM + i) % len(fns)]() for i in range(REPS)])
            if not kern or len(kern) % REPS:
                raise RuntimeError(f"{len(kern)} kernels, not a multiple of {REPS}")
        except Exception as e:  # noqa: BLE001 -- keep the other rows
            print(f"skip {op}: {type(e).__name__}: {e}", flush=True)
            return
        finally:
            fns = None
            torch.cuda.empty_cache()
        per = len(kern) // REPS
        us = statistics.median(sum(k["dur"] for k in kern[r * per:(r + 1) * per]) for r in range(REPS))
        names = " | ".join(dict.fromkeys(k["name"][:lc.NAME_CHARS] for k in kern[:per]))
        t0 = int(round(kern[0]["ts"] * 1000))
        for k in kern:
            a = k.get("args", {})
            g, b = a.get("grid", [0, 0, 0]), a.get("block", [0, 0, 0])
            tf.kernels.append(dict(zip(TRACE_COLS, [
                int(round(k["ts"] * 1000)) - t0, int(round(k["dur"] * 1000)), a.get("correlation", ""),
                g[0], g[1], g[2], b[0], b[1], b[2], a.get("registers per thread", ""),
                "%.3f" % (a.get("shared memory", 0) / 1e6), "", "", "", "", "", f"{props.name} (0)", 1,
                "", 7, k["name"]])))
        row = {c: "" for c in tf.cols}
        row.update(op=op, kind=kind, measured_us="%.3f" % us, kernels_per_call=per, kernel_names=names)
        row.update({c: str(v) for c, v in cols.items()})
        tf.rows.append(row)
        print(f"{time.time() - t_start:6.0f}s {op:34s} {kind:12s} {us:9.2f} us ({per} kernels) "
              f"{names[:50]}", flush=True)

    models = MODELS if not quick else MODELS[2:]
    ms = [1, 4, 16] if not quick else [1]

    # ---- dense GEMMs, bf16 and fp8 e4m3 ----
    f8 = torch.float8_e4m3fn
    one = torch.ones((), device=dev, dtype=torch.float32)
    for dtype in ("bf16", "fp8e4m3"):
        for mo in models:
            for name, n, k in dense_layers(mo):
                for m in ms:
                    if dtype == "bf16":
                        def make(n=n, k=k, m=m):
                            w, x = randn(n, k), randn(m, k)
                            return lambda: F.linear(x, w)
                        op, eb = f"{mo[0]}.{name}_m{m}", 2
                    else:
                        def make(n=n, k=k, m=m):
                            w, x = randn(n, k).to(f8), randn(m, k).to(f8)   # B = w.t(): column-major
                            return lambda: torch._scaled_mm(x, w.t(), scale_a=one, scale_b=one,
                                                            out_dtype=torch.bfloat16)
                        op, eb = f"{mo[0]}.{name}_fp8_m{m}", 1
                    run(main, op, "gemm", make, (n + m) * k * eb, m=m, n=n, k=k, a_dtype=dtype,
                        b_dtype=dtype, model=mo[0])
        main.dump()

    # ---- MoE grouped GEMMs, bf16: Qwen3-30B-A3B, top-8 of 128, random routing ----
    for mo in [x for x in models if x[7]]:
        name, hid, E, topk, inter = mo[0], mo[1], mo[7], mo[8], mo[9]
        for m in ms:
            nz = routed_counts(E, topk, m)
            G, rows = len(nz), sum(nz)
            offs = torch.tensor([sum(nz[:g + 1]) for g in range(G)], device=dev, dtype=torch.int32)
            for op, n, k in [("moe_fc1", 2 * inter, hid), ("moe_fc2", hid, inter)]:
                def make(n=n, k=k, rows=rows, G=G, offs=offs):
                    w, x = randn(G, n, k).transpose(-2, -1), randn(rows, k)   # (G, k, n), k-major
                    return lambda: torch._grouped_mm(x, w, offs=offs)
                run(main, f"{name}.{op}_m{m}", "grouped_gemm", make, G * n * k * 2, m=rows, n=n, k=k,
                    groups=G, a_dtype="bf16", b_dtype="bf16", model=name)
    main.dump()

    # ---- decode attention, head_dim 128, bf16 KV: m query tokens of one sequence ----
    ctxs = [1024, 8192, 32768] if not quick else [1024]
    qlens = [1, 2, 4, 8] if not quick else [1, 4]
    for mo in models:
        name, hq, hkv, hd = mo[0], mo[2], mo[3], mo[4]
        for ctx in ctxs:
            for q in qlens:
                def make(hq=hq, hkv=hkv, hd=hd, ctx=ctx, q=q):
                    qq, kk, vv = randn(1, hq, q, hd), randn(1, hkv, ctx, hd), randn(1, hkv, ctx, hd)
                    return lambda: F.scaled_dot_product_attention(qq, kk, vv, enable_gqa=True)
                run(main, f"{name}.attn_ctx{ctx}_q{q}", "attention", make, 2 * hkv * ctx * hd * 2,
                    m=q, ctx=ctx, heads_q=hq, heads_kv=hkv, head_dim=hd, a_dtype="bf16", model=name)
    main.dump()

    # ---- elementwise: bf16 add, bytes = 2 reads + 1 write ----
    for numel in ([8192, 131072, 1 << 22, 3 << 23, 1 << 26] if not quick else [1 << 22]):
        def make(numel=numel):
            a, b = randn(numel), randn(numel)
            return lambda: torch.add(a, b)
        run(main, f"add_{numel}", "elementwise", make, numel * 6, bytes=numel * 6)
    main.dump()

    # ---- batched decode attention (seqs sequences, m = 1): not expressible ----
    for mo in (models[:2] if not quick else models):
        name, hq, hkv, hd = mo[0], mo[2], mo[3], mo[4]
        for ctx in ([1024, 8192] if not quick else [1024]):
            for seqs in ([4, 16] if not quick else [4]):
                def make(hq=hq, hkv=hkv, hd=hd, ctx=ctx, s=seqs):
                    qq, kk, vv = randn(s, hq, 1, hd), randn(s, hkv, ctx, hd), randn(s, hkv, ctx, hd)
                    return lambda: F.scaled_dot_product_attention(qq, kk, vv, enable_gqa=True)
                run(batched, f"{name}.attn_ctx{ctx}_seqs{seqs}", "attention", make,
                    2 * seqs * hkv * ctx * hd * 2, m=1, ctx=ctx, heads_q=hq, heads_kv=hkv, head_dim=hd,
                    a_dtype="bf16", model=name, seqs=seqs)
    batched.dump()
    for tf in (main, batched):
        try:
            fill_config(tf.rows, tf.kernels)
            tf.dump()
        except lc.Bad as e:
            print(f"{tf.path}: launch columns not filled: {e}", flush=True)

    try:
        smi = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,clocks.max.sm,clocks.max.mem",
                              "--format=csv,noheader"], capture_output=True, text=True).stdout.strip()
    except OSError as e:
        smi = f"not run: {e}"
    with open(os.path.join(outdir, f"{gpu}_testset_meta.txt"), "w") as f:
        f.write(f"command: python3 traces/capture/capture_testset.py {' '.join(sys.argv[1:])}\n"
                f"date_utc: {datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}\n"
                f"gpu: {props.name}, {props.multi_processor_count} SMs, L2 {l2} B\n"
                f"nvidia-smi (name, driver, max SM clock, max memory clock): {smi}\n"
                f"torch {torch.__version__}, CUDA {torch.version.cuda}, "
                f"cuDNN {torch.backends.cudnn.version()}\n"
                f"method: median of {REPS} profiled calls after {WARM} warm-up, rotating operand "
                f"copies (>= 4x L2), random data; launch columns by launch_config.py's decoders\n"
                f"rows: {len(main.rows)} in {os.path.basename(main.path)}, {len(batched.rows)} in "
                f"{os.path.basename(batched.path)}\n")
    return gpu


def capture_steps(outdir, gpu, quick):
    """capture_decode_step.py at each (M, ctx), one process each; summary CSV."""
    layers = 8 if not quick else 2
    rows = []
    for tokens in ([1, 4, 16] if not quick else [4]):
        for ctx in ([1024, 8192] if not quick else [1024]):
            d = os.path.join(outdir, "steps", f"{gpu}_m{tokens}_ctx{ctx}")
            cmd = [sys.executable, os.path.join(HERE, "capture_decode_step.py"), d, "--layers",
                   str(layers), "--ctx", str(ctx), "--tokens", str(tokens)]
            t0 = time.time()
            try:
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=150)
                err = p.stderr[-2000:] if p.returncode else ""
            except subprocess.TimeoutExpired:
                err = "timed out after 150 s"
            print(f"step M={tokens} ctx={ctx}: {time.time() - t0:.0f} s {err}", flush=True)
            txt = os.path.join(d, f"{gpu}_decode_step.txt")
            if err or not os.path.exists(txt):
                continue
            vals = dict(line.split(" ", 1) for line in open(txt).read().splitlines()[1:])
            rows.append(dict(layers=layers, tokens=tokens, ctx=ctx, **{c: vals[c].strip()
                                                                      for c in STEP_COLS[3:]}))
            write_csv(os.path.join(outdir, f"{gpu}_testset_steps.csv"), STEP_COLS, rows)
            print(open(txt).read(), flush=True)


def split_rejected(gbsim, arch, csv_path):
    """Move the rows that `gbsim replay` rejects (exit 2, a message naming
    csv_path:line) from csv_path to <csv>_rejected.csv, with the message in
    column rejected_by_gbsim; repeat until the rest replays."""
    cols, rows = read_csv(csv_path)
    rej_path = csv_path[:-len(".csv")] + "_rejected.csv"
    rejected = read_csv(rej_path)[1] if os.path.exists(rej_path) else []
    while True:
        p = subprocess.run([gbsim, "replay", "--arch", arch, csv_path], capture_output=True, text=True)
        if p.returncode == 0:
            break
        tag = f"{csv_path}:"
        msg = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
        at = msg.find(tag)
        if p.returncode != 2 or at < 0:
            raise SystemExit(f"gbsim replay failed ({p.returncode}) without naming a row: {msg}")
        line = int(msg[at + len(tag):].split(":", 1)[0])
        row = rows.pop(line - 2)
        row["rejected_by_gbsim"] = msg[at:]
        rejected.append(row)
        write_csv(csv_path, cols, rows)
        print(f"rejected {row['op']}: {msg[at:]}")
    if rejected:
        write_csv(rej_path, cols + ["rejected_by_gbsim"], rejected)


def main(argv):
    if argv[:1] == ["--fill"] and len(argv) == 3:
        fill_file(argv[1], argv[2])
        return 0
    if argv[:1] == ["--split"] and len(argv) == 4:
        split_rejected(*argv[1:])
        return 0
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 1 or any(a not in ("--quick", "--no-steps") for a in argv if a.startswith("--")):
        print(__doc__.split("\n\n")[-1], file=sys.stderr)
        return 2
    quick = "--quick" in argv
    gpu = capture(args[0], quick)
    if "--no-steps" not in argv:
        capture_steps(args[0], gpu, quick)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
