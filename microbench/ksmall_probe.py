#!/usr/bin/env python3
"""ksmall_probe.py -- the small PyTorch kernels of traces/capture/capture_decode_step.py
(same ops, same shapes), each timed under torch.profiler (CUPTI, as the committed
trace was) in two states:

  hot:  the op 30 times back to back: its operands, its parameters and its
        code were just used;
  cold: before each of the 30 calls a 4096^3 bf16 matmul and a 512 MB memset
        run, as the grouped GEMMs and the lm_head stream weights between two
        uses of a small kernel in the decode step.

Prints one line per kernel: op, kernel (short), grid, block, hot and cold
median durations (ns). The gap cold - hot is what a warm-state model of the
kernel's critical path cannot see. This measures, it fits nothing.

usage: python3 microbench/ksmall_probe.py > microbench/results/ksmall_probe_h100.txt
"""
import os, statistics, sys
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "traces", "capture"))
from cupti_kernels import kernels_of  # noqa: E402

dev = torch.device("cuda")
bf = torch.bfloat16
g = torch.Generator(device=dev).manual_seed(1)
H, E, I, TOPK, V, CTX = 2880, 128, 2880, 4, 201088, 2048


def rnd(*s):
    return torch.randn(*s, device=dev, generator=g, dtype=torch.float32).to(bf)


x = rnd(1, H); n1 = torch.ones(H, device=dev, dtype=bf)
logits = rnd(1, E); tv = rnd(1, TOPK); tvf = tv.float()
kc = rnd(1, 8, CTX + 64, 64); k = rnd(512)
t = rnd(TOPK, 2 * I); gate = rnd(TOPK, I); up = rnd(TOPK, I)
y = rnd(TOPK, H); wts = rnd(TOPK)
a = rnd(1, H); b = rnd(1, H)
lm = rnd(1, V)
offs = torch.tensor([1, 2, 3, 4] + [4] * (E - 4), device=dev, dtype=torch.int32)
w1 = rnd(E, 2 * I, H).transpose(-2, -1)
hx = x.expand(TOPK, H).contiguous()

OPS = [
    ("rms_norm", lambda: F.rms_norm(x, (H,), n1, 1e-5)),
    ("kv_copy", lambda: kc[0, :, CTX].copy_(k.view(8, 64))),
    ("topk", lambda: torch.topk(logits, TOPK, dim=-1)),
    ("to_f32", lambda: tv.float()),
    ("softmax", lambda: torch.softmax(tvf, dim=-1)),
    ("to_bf16", lambda: tvf.to(bf)),
    ("expand", lambda: x.expand(TOPK, H).contiguous()),
    ("clamp_gate", lambda: t[:, ::2].clamp(max=7.0)),
    ("mul_scalar", lambda: 1.702 * gate),
    ("sigmoid", lambda: torch.sigmoid(gate)),
    ("mul", lambda: gate * up),
    ("add_scalar", lambda: up + 1),
    ("mul_bcast", lambda: y * wts.view(TOPK, 1)),
    ("sum0", lambda: y.sum(0, keepdim=True)),
    ("add", lambda: a + b),
    ("argmax", lambda: torch.argmax(lm, dim=-1)),
    ("grouped_mm", lambda: torch._grouped_mm(hx, w1, offs=offs)),
]

fa = rnd(4096, 4096); fb = rnd(4096, 4096)
fbuf = torch.empty(512 << 20, dtype=torch.uint8, device=dev)


def flush():
    torch.mm(fa, fb)
    fbuf.fill_(1)


def short(n):
    n = n.replace("void ", "").replace("at::native::", "")
    return n[:70]


for _ in range(3):
    flush()
    for _, op in OPS:
        op()
torch.cuda.synchronize()
flush_names = {k["name"] for k in kernels_of(flush)}
print("# op kernel grid block hot_ns cold_ns (medians of 30 CUPTI durations)")
for name, op in OPS:
    def hot():
        for _ in range(30):
            op()

    def cold():
        for _ in range(30):
            flush()
            op()
    res = {}
    for mode, fn in (("hot", hot), ("cold", cold)):
        for kk in kernels_of(fn):
            if mode == "cold" and kk["name"] in flush_names:
                continue
            a_ = kk.get("args", {})
            key = (kk["name"], tuple(a_.get("grid", [])), tuple(a_.get("block", [])))
            res.setdefault(key, {}).setdefault(mode, []).append(kk["dur"] * 1000.0)
    for (kn, gr, bl), d in res.items():
        h = statistics.median(d["hot"]) if "hot" in d else float("nan")
        c = statistics.median(d["cold"]) if "cold" in d else float("nan")
        print('%s "%s" %s %s %.0f %.0f' % (name, short(kn), "x".join(map(str, gr)),
                                           "x".join(map(str, bl)), h, c))
