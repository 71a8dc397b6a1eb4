#!/usr/bin/env python3
"""launch_config.py -- fill a decode trace's launch-configuration columns
(tile, stages, swap_ab, split_k, grid_ctas, impl; docs/formats.md) from the
kernels that were measured, as recorded in the CUPTI kernel list that
capture_shapes.py writes beside it.

usage: python3 launch_config.py SHAPES.csv TRACE.csv [--calls N] [--out OUT.csv]

SHAPES.csv  a trace written by capture_shapes.py (kernels_per_call, kernel_names)
TRACE.csv   its nsys-style cuda_gpu_trace (GrdX/GrdY/GrdZ, StcSMem (MB), Name)
--calls N   profiled calls per op (capture_shapes.py REPS; default 20)
--out F     where to write (default: SHAPES.csv itself, replaced atomically)

The rows of TRACE.csv are the kernels of SHAPES.csv's rows in row order: N
calls of kernels_per_call kernels each. Every call of a row must launch the
same kernels with the same grids, and the first 80 characters of their names
must equal the row's kernel_names, or the script stops (exit 2) naming the
row. Existing columns and values are kept; the six columns are inserted after
`tile` (or overwritten where they exist). A column is filled only where a
kernel name determines it; other cells are left empty ("gbsim picks").

What the names say -- INFERRED FROM THE KERNEL NAME AND GRID; none of these
libraries documents its kernel names:

* cuBLAS nvjet (closed source):
      nvjet_sm90_[qq]tst_{A}x{B}_{BK}x{S}_{CM}x{CN}_{v|h}_bz[_splitK][_bias][_algoN]_{T..}
  (fp8 split-K names put _algoN first: ..._bz_algo2_splitK_TNT)
  (qqtst: the fp8 x fp8 kernels torch._scaled_mm gets; BK counts fp8 elements)
  A = CTA tile along the weights' n (cuBLAS's column-major M: PyTorch calls
  cuBLAS for C^T = W^T x X^T), B = along the tokens, BK = k tile, S = pipeline
  stages, CM x CN = thread-block cluster along A x B. v|h, bz and the layout
  letters are not decoded. Checks that hold on every committed row: the grid
  (GrdX*GrdY*GrdZ) is ceil(n/A) rounded up to a multiple of CM, times
  ceil(m/B) rounded up to CN, times the split-K factor (an integer; 1 unless
  the name says _splitK_), or smaller (a persistent grid: lm_head 512x8 launches
  132 CTAs for 394 tiles); and S stages of (A + B) x BK elements fit in the
  kernel's shared memory (StcSMem; about 16 KB is left for the epilogue).
  In gbsim terms (models/gemm.h): the MMA's M must be a whole number of
  64-row wgmma blocks (PTX ISA wgmma.mma_async .m64nNk16), so when A is a
  multiple of 64 the tile is A x B x BK with swap_ab=1 (tile M over the
  weights' n); otherwise (80x128, 96x64) B is, and the tile is B x A x BK
  with swap_ab=0. Either way A runs over the weights' n. split_k =
  grid / tiles, grid_ctas = grid, impl = cublas-nvjet (a split-K kernel's
  fp32 partials are summed by cublasLt::splitKreduce_kernel, the row's second
  kernel; its presence is checked against split_k).

* torch._grouped_mm (CUTLASS 3.x sm90, aten/src/ATen/native/cuda/GroupMM.cu):
  the mangled name is demangled (a small Itanium demangler below, enough for
  these names) and read for MainloopSm90ArrayTmaGmmaWarpSpecialized<S,
  Shape<CM,CN,CK>, KernelPtrArrayTmaWarpSpecialized{Pingpong|Cooperative}>
  and the CollectiveMma's TileShape <M, N, K>. A = routed tokens (no
  swap-AB: GroupMM.cu passes the activations as A). tile = MxNxK,
  stages = S, swap_ab = 0, split_k = 1 (ptr-array kernels do not split K),
  grid_ctas = grid (one CTA per SM: hw_info.sm_count), cluster = CMxCN
  (TMA multicast of B), impl = torch-grouped-mm when the call's first kernel
  is prepare_grouped_gemm_data (priced by models/ksmall.c), else cutlass. The
  schedule (pingpong) is not a trace column: gbsim takes the faster valid
  schedule of a named tile, and a 64-row tile is valid only as pingpong.

* cuDNN SDPA (closed source):
      cudnn_generated_fort_native_sdpa_sm80_flash_fprop_wmma_f16_knob_{K}_{Q}x{KV}x{D}_{W}..
  Q query rows x KV-token tile x head dim D; impl = cudnn-sdpa-{Q}x{KV}x{D}
  (a row of models/kmodel.c ATTN_IMPLS), grid_ctas = grid (heads_kv x KV
  splits; checked to be a multiple of heads_kv). A split launch is followed by
  cudnn::fusion::lean_reduction_kernel (checked).
      cudnn_generated_fort_native_sdpa_sm90_flash_fprop_wgmma_f16_knob_{K}_{Q}x{KV}x{D}_{W}..
  (2..64 query rows): impl = cudnn-sdpa-sm90-{Q}x{KV}x{D}, grid_ctas = grid (one
  CTA per query head; checked to be a multiple of heads_q), no merge kernel.

Python 3 standard library only.
"""
import csv
import io
import os
import re
import sys

CONFIG_COLS = ["stages", "swap_ab", "cluster", "split_k", "grid_ctas", "impl"]
WGMMA_M = 64   # PTX ISA wgmma.mma_async: M is 64 per warp group (.m64nNk16)
NAME_CHARS = 80  # capture_shapes.py keeps this many characters per kernel name


class Bad(Exception):
    pass


def cdiv(a, b):
    return -(-a // b)


def round_up(a, b):
    return cdiv(a, b) * b


# ---- a small Itanium C++ demangler ------------------------------------------
# Enough of the grammar for CUTLASS kernel names: nested names, template
# arguments and argument packs, integer/bool/enum literals, pointers and the
# substitution table (S_, S<seq>_), builtin types. It produces the text
# llvm-cxxfilt prints for the name (checked by hand for the committed names).

BUILTIN = {"v": "void", "b": "bool", "c": "char", "a": "signed char", "h": "unsigned char",
           "s": "short", "t": "unsigned short", "i": "int", "j": "unsigned int", "l": "long",
           "m": "unsigned long", "x": "long long", "y": "unsigned long long", "f": "float",
           "d": "double", "e": "long double", "z": "..."}


class Demangler:
    def __init__(self, text):
        self.t = text
        self.i = 0
        self.subs = []

    def peek(self, n=1):
        return self.t[self.i:self.i + n]

    def take(self, s):
        if not self.t.startswith(s, self.i):
            raise Bad(f"demangle: expected {s!r} at {self.i}: {self.t[self.i:self.i + 30]!r}")
        self.i += len(s)

    def number(self):
        m = re.compile(r"n?\d+").match(self.t, self.i)
        if not m:
            raise Bad(f"demangle: expected a number at {self.i}")
        self.i = m.end()
        return m.group(0).replace("n", "-")

    def source_name(self):
        n = int(self.number())
        s = self.t[self.i:self.i + n]
        self.i += n
        return s

    def substitution(self):
        self.take("S")
        if self.peek() == "t":
            self.i += 1
            return "std"
        m = re.compile(r"([0-9A-Z]*)_").match(self.t, self.i)
        if not m:
            raise Bad(f"demangle: unsupported substitution at {self.i}")
        self.i = m.end()
        k = int(m.group(1), 36) + 1 if m.group(1) else 0
        if k >= len(self.subs):
            raise Bad(f"demangle: substitution {k} of {len(self.subs)}")
        return self.subs[k]

    def template_args(self):
        self.take("I")
        args = []
        while self.peek() != "E":
            a = self.template_arg()
            if a:   # an empty argument pack prints nothing
                args.append(a)
        self.take("E")
        return "<" + ", ".join(args) + (" >" if args and args[-1].endswith(">") else ">")

    def template_arg(self):
        c = self.peek()
        if c == "L":
            self.i += 1
            if self.peek() in BUILTIN:
                ty = self.peek()
                self.i += 1
                v = self.number()
                self.take("E")
                return ("true" if v == "1" else "false") if ty == "b" else v
            ty = self.type()
            v = self.number()
            self.take("E")
            return f"({ty}){v}"
        if c == "J":
            self.i += 1
            args = []
            while self.peek() != "E":
                args.append(self.template_arg())
            self.take("E")
            return ", ".join(args)
        return self.type()

    def nested_name(self):
        """N <prefix components> E: every prefix but the whole name is a
        substitution candidate (the caller adds the whole name when it is a type)."""
        self.take("N")
        name = ""
        while True:
            c = self.peek()
            if c == "S":
                name = self.substitution()
            elif c.isdigit():
                comp = self.source_name()
                name = f"{name}::{comp}" if name else comp
            elif c == "I":
                name += self.template_args()
            else:
                raise Bad(f"demangle: unsupported nested-name part {c!r} at {self.i}")
            if self.peek() == "E":
                self.i += 1
                return name
            if c != "S":
                self.subs.append(name)

    def type(self):
        c = self.peek()
        if c in BUILTIN:
            self.i += 1
            return BUILTIN[c]
        if c == "P":
            self.i += 1
            t = self.type() + "*"
            self.subs.append(t)
            return t
        if c == "N":
            t = self.nested_name()
            self.subs.append(t)
            return t
        if c == "S":
            t = self.substitution()
            if self.peek() == "I":
                t += self.template_args()
                self.subs.append(t)
            return t
        if c.isdigit():
            t = self.source_name()
            self.subs.append(t)
            if self.peek() == "I":
                t += self.template_args()
                self.subs.append(t)
            return t
        raise Bad(f"demangle: unsupported type {c!r} at {self.i}")

    def function_name(self):
        """_Z <nested-name>: the function's name with its template arguments
        (the parameter list after it is not needed)."""
        self.take("_Z")
        return self.nested_name()


def demangle(name):
    return Demangler(name).function_name()


# ---- decoders: one per kernel family -----------------------------------------

NVJET = re.compile(r"^nvjet_sm90_(?:qq)?tst_(\d+)x(\d+)_(\d+)x(\d+)_(\d+)x(\d+)_([vh])_bz"
                   r"(?:_algo\d+)?(_splitK)?(_bias)?(?:_algo\d+)?_([TN]+)$")
CUTLASS_GROUPED = re.compile(
    r"MainloopSm90ArrayTmaGmmaWarpSpecialized<(\d+), cute::tuple<cute::C<(\d+)>, cute::C<(\d+)>, "
    r"cute::C<(\d+)> >, cutlass::gemm::KernelPtrArrayTmaWarpSpecialized(Pingpong|Cooperative)>, "
    r"cute::tuple<cute::C<(\d+)>, cute::C<(\d+)>, cute::C<(\d+)> >")
CUDNN_SDPA = re.compile(r"^cudnn_generated_fort_native_sdpa_sm80_flash_fprop_wmma_f16_knob_(\d+)_"
                        r"(\d+)x(\d+)x(\d+)_(\d+)x(\d+)x(\d+)_")
CUDNN_SDPA_SM90 = re.compile(r"^cudnn_generated_fort_native_sdpa_sm90_flash_fprop_wgmma_f16_knob_(\d+)_"
                             r"(\d+)x(\d+)x(\d+)_(\d+)x(\d+)x(\d+)_")


def grid_of(k):
    return int(k["GrdX"]) * int(k["GrdY"]) * int(k["GrdZ"])


def decode_gemm(row, kerns):
    main = [k for k in kerns if k["Name"].startswith("nvjet_")]
    if len(main) != 1:
        raise Bad("expected one nvjet_ kernel per call")
    k = main[0]
    mt = NVJET.match(k["Name"])
    if not mt:
        raise Bad(f"nvjet name not understood: {k['Name']}")
    A, B, BK, S, CM, CN = (int(x) for x in mt.groups()[:6])
    splitk = mt.group(8) is not None
    m, n = int(row["m"]), int(row["n"])
    grid = grid_of(k)
    tiles = round_up(cdiv(n, A), CM) * round_up(cdiv(m, B), CN)
    if grid >= tiles:
        if grid % tiles:
            raise Bad(f"grid {grid} is not a whole number of splits of {tiles} cluster-rounded tiles")
        split = grid // tiles
    else:
        split = 1   # persistent: fewer CTAs than tiles
    if (split > 1) != splitk:
        raise Bad(f"split-K {split} from grid {grid} / {tiles} tiles disagrees with the name")
    reduce = [x for x in kerns if "splitKreduce_kernel" in x["Name"]]
    if (len(reduce) == 1) != (split > 1) or len(kerns) != 1 + len(reduce):
        raise Bad("a split-K kernel must be followed by exactly one splitKreduce_kernel")
    smem = float(k["StcSMem (MB)"] or 0) * 1e6
    eb = 1 if row.get("a_dtype", "").startswith("fp8") else 2   # qqtst: fp8 x fp8
    if S * (A + B) * BK * eb > smem + 500:   # StcSMem is printed in MB with 3 decimals
        raise Bad(f"{S} stages of ({A}+{B})x{BK} x {eb} B exceed the kernel's {smem:.0f} B of smem")
    # the cluster follows the tile: CM CTAs along A (the weights), CN along B (tokens)
    if A % WGMMA_M == 0:
        tile, swap, cluster = f"{A}x{B}x{BK}", 1, f"{CM}x{CN}"
    elif B % WGMMA_M == 0:
        tile, swap, cluster = f"{B}x{A}x{BK}", 0, f"{CN}x{CM}"
    else:
        raise Bad(f"neither {A} nor {B} is a whole number of {WGMMA_M}-row wgmma blocks")
    return {"tile": tile, "stages": S, "swap_ab": swap, "cluster": cluster, "split_k": split,
            "grid_ctas": grid, "impl": "cublas-nvjet"}


def decode_grouped(row, kerns):
    main = [k for k in kerns if k["Name"].startswith("_ZN7cutlass13device_kernel")]
    if len(main) != 1 or any(not (k is main[0] or "prepare_grouped_gemm_data" in k["Name"])
                             for k in kerns):
        raise Bad("expected one CUTLASS device_kernel (and prepare_grouped_gemm_data) per call")
    text = demangle(main[0]["Name"])
    mt = CUTLASS_GROUPED.search(text)
    if not mt or "GroupProblemShape" not in text:
        raise Bad("CUTLASS grouped kernel name not understood")
    stages, cm, cn, ck, sched, tm, tn, tk = mt.groups()
    return {"tile": f"{tm}x{tn}x{tk}", "stages": int(stages), "swap_ab": 0,
            "cluster": f"{cm}x{cn}", "split_k": 1, "grid_ctas": grid_of(main[0]),
            "impl": "torch-grouped-mm" if len(kerns) == 2 else "cutlass"}


def decode_attention(row, kerns):
    m90 = CUDNN_SDPA_SM90.match(kerns[0]["Name"])
    if m90:
        q, kv, d = int(m90.group(2)), int(m90.group(3)), int(m90.group(4))
        if d != int(row["head_dim"]):
            raise Bad(f"kernel head dim {d} != head_dim {row['head_dim']}")
        grid, hq = grid_of(kerns[0]), int(row["heads_q"])
        if grid % hq or len(kerns) != 1:
            raise Bad(f"the sm90 cuDNN SDPA kernel runs alone on a grid of heads_q ({hq}) CTAs, "
                      f"got {len(kerns)} kernels and grid {grid}")
        return {"impl": f"cudnn-sdpa-sm90-{q}x{kv}x{d}", "grid_ctas": grid}
    mt = CUDNN_SDPA.match(kerns[0]["Name"])
    if not mt:
        raise Bad(f"attention kernel not understood: {kerns[0]['Name'][:NAME_CHARS]}")
    q, kv, d = int(mt.group(2)), int(mt.group(3)), int(mt.group(4))
    if d != int(row["head_dim"]):
        raise Bad(f"kernel head dim {d} != head_dim {row['head_dim']}")
    grid, hkv = grid_of(kerns[0]), int(row["heads_kv"])
    if grid % hkv:
        raise Bad(f"grid {grid} is not a multiple of heads_kv {hkv}")
    split = grid // hkv > 1
    reduce = [k for k in kerns[1:] if "lean_reduction_kernel" in k["Name"]]
    if len(reduce) != int(split) or len(kerns) != 1 + len(reduce):
        raise Bad("a split cuDNN SDPA kernel must be followed by one lean_reduction_kernel")
    return {"impl": f"cudnn-sdpa-{q}x{kv}x{d}", "grid_ctas": grid}


DECODERS = {"gemm": decode_gemm, "grouped_gemm": decode_grouped, "attention": decode_attention}


# ---- matching rows to kernels ------------------------------------------------

def calls_of(row, kernels, pos, ncalls):
    """The row's kernels, one list per call; checks that the calls agree."""
    per = int(row["kernels_per_call"])
    ks = kernels[pos:pos + ncalls * per]
    if len(ks) != ncalls * per:
        raise Bad(f"the kernel list ends before this row's {ncalls} x {per} kernels")
    calls = [ks[c * per:(c + 1) * per] for c in range(ncalls)]
    sig = [(k["Name"], grid_of(k)) for k in calls[0]]
    for c in calls[1:]:
        if [(k["Name"], grid_of(k)) for k in c] != sig:
            raise Bad("the calls of this row launched different kernels or grids")
    names = " | ".join(dict.fromkeys(k["Name"][:NAME_CHARS] for k in calls[0]))
    if names != row["kernel_names"]:
        raise Bad(f"kernel names {names!r} differ from the row's {row['kernel_names']!r}")
    return calls[0]


def fill(shapes_text, trace_path, ncalls, label):
    rd = csv.DictReader(io.StringIO(shapes_text))
    cols = list(rd.fieldnames)
    rows = list(rd)
    for need in ("op", "kind", "tile", "kernels_per_call", "kernel_names"):
        if need not in cols:
            raise Bad(f"{label}: no '{need}' column")
    for c in CONFIG_COLS:
        if c in cols:
            cols.remove(c)
    at = cols.index("tile") + 1
    cols[at:at] = CONFIG_COLS
    with open(trace_path, newline="") as f:
        kernels = list(csv.DictReader(f))
    pos = 0
    for i, row in enumerate(rows):
        line = i + 2
        try:
            kerns = calls_of(row, kernels, pos, ncalls)
            pos += ncalls * int(row["kernels_per_call"])
            cfg = DECODERS[row["kind"]](row, kerns) if row["kind"] in DECODERS else {}
        except Bad as e:
            raise Bad(f"{label}:{line}: op {row['op']}: {e}")
        for c in ["tile"] + CONFIG_COLS:
            row[c] = str(cfg[c]) if c in cfg else row.get(c, "")
    if pos != len(kernels):
        raise Bad(f"{trace_path}: {len(kernels) - pos} kernels left after the last row")
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return out.getvalue()


def main(argv):
    args, out, ncalls = [], None, 20
    it = iter(argv)
    for a in it:
        if a == "--out":
            out = next(it, None)
        elif a == "--calls":
            ncalls = int(next(it, "0"))
        else:
            args.append(a)
    if len(args) != 2 or out == "" or ncalls < 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    shapes, trace = args
    out = out or shapes
    try:
        with open(shapes, newline="") as f:
            text = f.read()
        result = fill(text, trace, ncalls, shapes)
    except (Bad, OSError, KeyError, ValueError) as e:
        print(f"launch_config.py: error: {e}", file=sys.stderr)
        return 2
    tmp = f"{out}.tmp.{os.getpid()}"
    with open(tmp, "w", newline="") as f:
        f.write(result)
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
