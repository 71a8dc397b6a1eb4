#!/usr/bin/env python3
"""kpost_probe.py -- what a small kernel inherits from the kernels before it.

In the decode step a small kernel often runs right after a GEMM or GEMV that
streamed hundreds of MB of weights through L2, and it lasts longer there than
when it runs back to back (traces/hopper/h100_decode_step_trace.csv against
microbench/results/ksmall_probe_h100.txt). Each small op X below (one kernel, the
step's shapes) is timed (CUPTI, median of 30) in five sequences:

  hot       X X X ...                 operands, parameters, code just used
  fill      [F X] x 30                F: a 512 MB fill (DRAM stream, L2 evicted);
                                      X's operands, parameters and code cold
  fill_op   [F W X] x 30              W: a copy that reads X's operands into L2
                                      (the step's case: the producer just wrote
                                      them); X's parameters and code cold
  fill_x2   [F X X] x 30, second X    everything of X warm again, but a fill
                                      two kernels back
  small_op  [W X] x 30                one small kernel before, operands warm
  fill_wr   [F P X] x 30              P: rewrites X's operands in place with
                                      16-byte stores (a contiguous copy)
  fill_wr2  [F P2 X] x 30             P2: rewrites them with 2-byte stores (two
                                      stride-2 copies, as a strided elementwise
                                      kernel writes its output)
  wr2       [P2 X] x 30               the same without the fill
  mm_op     [M W X] x 30              M: a 64x64x64 bf16 matmul (cuBLAS: large
                                      code, parameters and shared memory, no
                                      traffic to speak of)
  gmms_op   [G W X] x 30              G: torch._grouped_mm over 4 L2-resident
                                      256x256 experts (the step's kernel family,
                                      no DRAM stream)
  gmmb_op   [B W X] x 30              B: the step's FC2 grouped GEMM (4 experts of
                                      2880x2880 streamed from DRAM)
  code_op   [C W X] x 30              C: microbench/kcold.cu's k_codeb<4096> (394 KB
                                      of straight-line code, no memory traffic) on
                                      all 132 SMs: every SM's instruction caches
                                      hold other code (only with KCOLD_SO, below)

fill_op - fill_x2 is what X's parameters and code cost when they come from
DRAM; fill_x2 - hot is what a stream two kernels back leaves behind. This
measures, it fits nothing.

usage: python3 microbench/kpost_probe.py > microbench/results/kpost_probe_h100.txt
       (code_op: nvcc -O3 -gencode=arch=compute_90a,code=sm_90a -shared -Xcompiler -fPIC
        -o /tmp/kcold.so microbench/kcold.cu -lcuda; KCOLD_SO=/tmp/kcold.so python3 ...)
"""
import ctypes, os, statistics, sys
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "traces", "capture"))
from cupti_kernels import kernels_of  # noqa: E402

dev = torch.device("cuda")
bf = torch.bfloat16
g = torch.Generator(device=dev).manual_seed(1)
H, I, TOPK, V, CTX = 2880, 2880, 4, 201088, 2048


def rnd(*s):
    return torch.randn(*s, device=dev, generator=g, dtype=torch.float32).to(bf)


x = rnd(1, H); n1 = torch.ones(H, device=dev, dtype=bf)
t = rnd(TOPK, 2 * I); gate = rnd(TOPK, I)
y = rnd(TOPK, H); lm = rnd(1, V)
kc = rnd(1, 8, CTX + 64, 64); k = rnd(512)
a = rnd(1, H); b = rnd(1, H)
wv = rnd(TOPK, 1)
E = 128
offs = torch.tensor([1, 2, 3, 4] + [4] * (E - 4), device=dev, dtype=torch.int32)
act = rnd(TOPK, I); hx = rnd(TOPK, H)
w1 = rnd(E, 2 * I, H).transpose(-2, -1)
w2 = rnd(E, I, I).transpose(-2, -1)
wlm = rnd(V, H); wqkv = rnd(5120, H)
# per op: the op, and the tensors it reads (W copies them, which leaves them in L2)
OPS = [
    ("rms_norm", lambda: F.rms_norm(x, (H,), n1, 1e-5), [x, n1]),
    ("clamp_gate", lambda: t[:, ::2].clamp(max=7.0), [t]),
    ("sum0", lambda: y.sum(0, keepdim=True), [y]),
    ("argmax", lambda: torch.argmax(lm, dim=-1), [lm]),
    ("kv_copy", lambda: kc[0, :, CTX].copy_(k.view(8, 64)), [k]),
    ("mul_scalar", lambda: 1.702 * gate, [gate]),
    ("sigmoid", lambda: torch.sigmoid(gate), [gate]),
    ("add", lambda: a + b, [a, b]),
    ("mul_sum0", lambda: (y * wv).sum(0, keepdim=True), [y, wv]),
    # the step's own neighbours: the kernel right after its producer GEMM
    ("fc2_mul_sum0", lambda: (torch._grouped_mm(act, w2, offs=offs) * wv).sum(0, keepdim=True), [act]),
    ("fc1_clamp", lambda: torch._grouped_mm(hx, w1, offs=offs)[:, ::2].clamp(max=7.0), [hx]),
    ("lm_head_argmax", lambda: torch.argmax(F.linear(x, wlm), dim=-1), [x]),
    ("qkv_kv_copy", lambda: kc[0, :, CTX].copy_(F.linear(x, wqkv)[:, 4096:4608].view(8, 64)), [x]),
]
fbuf = torch.empty(512 << 20, dtype=torch.uint8, device=dev)
scratch = {id(v): torch.empty_like(v) for _, _, vs in OPS for v in vs}


def fill():
    fbuf.fill_(1)


ma, mb = rnd(64, 64), rnd(64, 64)
sw = rnd(128, 256, 256).transpose(-2, -1)
sx = rnd(TOPK, 256)


def mm_small():
    torch.mm(ma, mb)


def gmm_small():
    torch._grouped_mm(sx, sw, offs=offs)


def gmm_big():
    torch._grouped_mm(act, w2, offs=offs)


def warm(vs):
    for v in vs:
        scratch[id(v)].copy_(v)


def rewrite(vs):
    for v in vs:
        v.copy_(scratch[id(v)])


def rewrite2(vs):
    for v in vs:
        f, s_ = v.view(-1), scratch[id(v)].view(-1)
        f[0::2].copy_(s_[0::2])
        f[1::2].copy_(s_[1::2])


SEQS = {
    "hot": lambda op, vs: [op],
    "fill": lambda op, vs: [fill, op],
    "fill_op": lambda op, vs: [fill, lambda: warm(vs), op],
    "fill_x2": lambda op, vs: [fill, op, op],
    "small_op": lambda op, vs: [lambda: warm(vs), op],
    "fill_wr": lambda op, vs: [fill, lambda: rewrite(vs), op],
    "fill_wr2": lambda op, vs: [fill, lambda: rewrite2(vs), op],
    "wr2": lambda op, vs: [lambda: rewrite2(vs), op],
    "mm_op": lambda op, vs: [mm_small, lambda: warm(vs), op],
    "gmms_op": lambda op, vs: [gmm_small, lambda: warm(vs), op],
    "gmmb_op": lambda op, vs: [gmm_big, lambda: warm(vs), op],
}
if os.environ.get("KCOLD_SO"):
    klib = ctypes.CDLL(os.environ["KCOLD_SO"])
    kout = torch.empty(132 * 1024, dtype=torch.float32, device=dev)

    def big_code():
        rc = klib.kc_code_4096(132, 128, 1, ctypes.c_void_p(kout.data_ptr()),
                               ctypes.c_void_p(torch.cuda.current_stream().cuda_stream))
        assert rc == 0, rc
    SEQS["code_op"] = lambda op, vs: [big_code, lambda: warm(vs), op]

for v in scratch.values():
    v.normal_()
for _ in range(3):
    for _, op, vs in OPS:
        for mk in SEQS.values():
            for f in mk(op, vs):
                f()
torch.cuda.synchronize()
print("# microbench/kpost_probe.py: %s, torch %s" % (torch.cuda.get_device_name(), torch.__version__))
print("# op kernel " + " ".join(SEQS) + " (ns, median of 30 CUPTI durations of X; see the docstring)")
for name, op, vs in OPS:
    med = {}
    kname = None
    for sname, mk in SEQS.items():
        seq = mk(op, vs)
        # kernels per repetition, counted once
        per = len(kernels_of(lambda: [f() for f in seq]))

        def run():
            for _ in range(30):
                for f in seq:
                    f()
        ks = kernels_of(run)
        assert len(ks) == 30 * per, (name, sname, len(ks), per)
        xs = [ks[r * per + per - 1] for r in range(30)]   # X is the last kernel of a repetition
        kname = xs[0]["name"]
        assert all(kk["name"] == kname for kk in xs), (name, sname)
        med[sname] = statistics.median(kk["dur"] * 1000.0 for kk in xs)
    short = kname.replace("void ", "").replace("at::native::", "")[:60]
    print('%s "%s" %s' % (name, short, " ".join("%.0f" % med[s] for s in SEQS)))
