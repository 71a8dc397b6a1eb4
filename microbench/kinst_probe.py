#!/usr/bin/env python3
"""kinst_probe.py -- how long a lone warp takes per machine instruction in the
small PyTorch kernels, and how many instructions each small-kernel family
executes per warp at two shapes.

Two modes, the same launches in each:

  time: every launch 30 times back to back (operands, parameters and code
        hot), CUPTI durations (torch.profiler, as the committed traces were
        taken); prints op, kernel, grid, block, median ns.
  ncu:  every launch once between cudaProfilerStart/Stop, for
          ncu --profile-from-start off --csv \
              --metrics smsp__inst_executed.sum,smsp__warps_launched.sum
        (executed warp instructions and warps; counts of the code, not times).

The launches:
  depth d = 1..6: a strided copy (elementwise_kernel<128, 4>, the launch of
      clamp, expand and the KV write) of the same 11520 elements through a view
      of d dimensions that TensorIterator cannot coalesce. Each dimension adds
      one IntDivider divmod and one multiply-add per operand to every element's
      offset, and nothing else: no load, barrier or store is added. The slope
      of duration over executed instructions per warp is what one more
      dependent instruction costs a warp that is alone on its scheduler.
  families at a second shape: rms_norm over 2880 and 11520 columns, top-k over
      128 and 512 candidates, argmax over 201088 and 50272, the outer sum over
      4 and 16 rows; their loop trip counts grow, their launch families stay.
  the closed kernels of the step: cuBLAS's splitKreduce behind the o_proj and
      router GEMVs, cuDNN's lean_reduction behind decode SDPA at ctx 2048.

This measures; it fits nothing. The digest (kinst_digest.py) joins the two
outputs.

usage: python3 microbench/kinst_probe.py time > kinst_time.txt
       ncu ... python3 microbench/kinst_probe.py ncu > kinst_ncu_raw.csv
"""
import os, statistics, sys
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "traces", "capture"))
from cupti_kernels import kernels_of  # noqa: E402

mode = sys.argv[1] if len(sys.argv) > 1 else "time"
assert mode in ("time", "ncu"), "usage: kinst_probe.py time|ncu"
dev = torch.device("cuda")
bf = torch.bfloat16
g = torch.Generator(device=dev).manual_seed(1)
H, Q, E, TOPK, V, CTX, HD = 2880, 4096, 128, 4, 201088, 2048, 64


def rnd(*s):
    return torch.randn(*s, device=dev, generator=g, dtype=torch.float32).to(bf)


def strided_view(d, n=11520):
    """A d-dimensional view of n elements whose dimensions do not coalesce:
    every stride leaves a gap of 2 elements after the inner block."""
    sizes = {1: [11520], 2: [4, 2880], 3: [4, 2, 1440], 4: [4, 2, 2, 720],
             5: [4, 2, 2, 2, 360], 6: [4, 2, 2, 2, 2, 180]}[d]
    strides = [0] * d
    strides[-1] = 2
    for i in range(d - 2, -1, -1):
        strides[i] = sizes[i + 1] * strides[i + 1] + 2
    base = rnd(strides[0] * sizes[0] + 8)
    return base.as_strided(sizes, strides)


OPS = []
for d in range(1, 7):
    src = strided_view(d)
    dst = torch.empty(src.shape, device=dev, dtype=bf)
    OPS.append(("depth%d" % d, lambda s=src, t=dst: t.copy_(s)))

x1, x4 = rnd(1, H), rnd(1, 4 * H)
n1, n4 = torch.ones(H, device=dev, dtype=bf), torch.ones(4 * H, device=dev, dtype=bf)
OPS.append(("rms_norm_2880", lambda: F.rms_norm(x1, (H,), n1, 1e-5)))
OPS.append(("rms_norm_11520", lambda: F.rms_norm(x4, (4 * H,), n4, 1e-5)))
l128, l512 = rnd(1, 128), rnd(1, 512)
OPS.append(("topk_128", lambda: torch.topk(l128, TOPK, dim=-1)))
OPS.append(("topk_512", lambda: torch.topk(l512, TOPK, dim=-1)))
lm, lm4 = rnd(1, V), rnd(1, V // 4)
OPS.append(("argmax_201088", lambda: torch.argmax(lm, dim=-1)))
OPS.append(("argmax_50272", lambda: torch.argmax(lm4, dim=-1)))
y4, y16 = rnd(4, H), rnd(16, H)
OPS.append(("sum0_4", lambda: y4.sum(0, keepdim=True)))
OPS.append(("sum0_16", lambda: y16.sum(0, keepdim=True)))
xo, wo, bo = rnd(1, Q), rnd(H, Q), rnd(H)
OPS.append(("o_proj", lambda: F.linear(xo, wo, bo)))
wr, br = rnd(E, H), rnd(E)
OPS.append(("router", lambda: F.linear(x1, wr, br)))
q = rnd(1, 64, 1, HD)
kc, vc = rnd(1, 8, CTX + 1, HD), rnd(1, 8, CTX + 1, HD)
OPS.append(("sdpa_2048", lambda: F.scaled_dot_product_attention(q, kc, vc, enable_gqa=True)))

for _ in range(3):
    for _, op in OPS:
        op()
torch.cuda.synchronize()

if mode == "ncu":
    torch.cuda.profiler.start()
    for name, op in OPS:
        op()
    torch.cuda.synchronize()
    torch.cuda.profiler.stop()
    print("ops:", " ".join(n for n, _ in OPS), file=sys.stderr)
    sys.exit(0)


def short(n):
    return n.replace("void ", "").replace("at::native::", "")[:70]


print("# microbench/kinst_probe.py time: %s, torch %s" % (torch.cuda.get_device_name(), torch.__version__))
print("# op kernel grid block hot_ns (median of 30 CUPTI durations, back to back)")
for name, op in OPS:
    def hot():
        for _ in range(30):
            op()
    res = {}
    for kk in kernels_of(hot):
        a_ = kk.get("args", {})
        key = (kk["name"], tuple(a_.get("grid", [])), tuple(a_.get("block", [])))
        res.setdefault(key, []).append(kk["dur"] * 1000.0)
    for (kn, gr, bl), d in res.items():
        print('%s "%s" %s %s %.0f' % (name, short(kn), "x".join(map(str, gr)),
                                      "x".join(map(str, bl)), statistics.median(d)))
