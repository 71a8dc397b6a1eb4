#!/usr/bin/env python3
"""mx_reference.py -- independent MX / NVFP4 quantization vectors for gbsim.

usage: python3 traces/capture/mx_reference.py OUTDIR [--standin]

Writes OUTDIR/<fmt>_<rule>.bin for fmt in mxfp4, mxfp8e4m3, mxfp8e5m2, nvfp4
and rule in ocp, nvidia (8 files), read by models/numerics/mxquant_ref_test.c.

Where each part comes from:
  - element rounding/encoding: ml_dtypes' numpy casts float32 -> float4_e2m1fn,
    float8_e4m3fn, float8_e5m2 (round to nearest even). ml_dtypes does not
    saturate (out-of-range finite values become NaN/Inf), so values are clipped
    to +-max first: clip-then-RNE equals RNE with satfinite.
  - scale encoding: ml_dtypes float8_e8m0fnu (the exact power of two of the
    ocp rule) and float8_e4m3fn (the NVFP4 UE4M3 scale, RNE); the ceil of the
    nvidia rule is a direct integer transcription of TRT-LLM's float_to_ue8m0.
  - the scale rules (which exponent, which fp32 arithmetic) are a direct numpy
    transcription of the rules documented in models/numerics/mxquant.h; so what this
    checks independently is the element/scale rounding and encoding, plus the
    decode tables (every code decoded by ml_dtypes, stored in the header).
  - non-finite blocks follow gbsim's documented policy (NaN scale, element NaN
    codes), transcribed here, not taken from ml_dtypes.
--standin replaces ml_dtypes by a numpy re-implementation (NOT independent:
for testing this script where ml_dtypes is missing); the header says so.

The inputs are cut into tensors of TENSOR (4096) values, each quantized on
its own (NVFP4's per-tensor scale; blocks never straddle tensors).
File layout (little-endian): text header lines "key value...", ending with the
line "END", then float32 x[n], uint8 code[n], uint8 scale[nblocks], float32
global[ntensors] (the per-tensor scales; 1 except NVFP4 under nvidia).
Header keys: MXREF 1, fmt, rule, block, n, nblocks, tensor, ntensors,
generator, self_check, layout, elem_decode <count> <values>, scale_decode
<count> <values> (values as Python float.hex(), nan, inf, -inf).
"""
import os
import sys

import numpy as np

SEED = 20240611
N_TOTAL = 100013  # not a multiple of 32 or 16: the last block is partial
TENSOR = 4096     # inputs per tensor (NVFP4's per-tensor scale); the last is partial

# fmt: (element dtype name, element max, emax_elem, native block, elem bits)
FMTS = {
    "mxfp4": ("float4_e2m1fn", 6.0, 2, 32, 4),
    "mxfp8e4m3": ("float8_e4m3fn", 448.0, 8, 32, 8),
    "mxfp8e5m2": ("float8_e5m2", 57344.0, 15, 32, 8),
    "nvfp4": ("float4_e2m1fn", 6.0, 2, 16, 4),
}
# element format parameters for the stand-in and the tie generator
ELEM = {
    "float4_e2m1fn": dict(ebits=2, mbits=1, bias=1, max=6.0, special="none"),
    "float8_e4m3fn": dict(ebits=4, mbits=3, bias=7, max=448.0, special="fn"),
    "float8_e5m2": dict(ebits=5, mbits=2, bias=15, max=57344.0, special="ieee"),
}
# NaN element codes of gbsim's policy (mxfmt.h): E4M3 0x7F, E5M2 0x7E, FP4 none (0)
NAN_CODE = {"float4_e2m1fn": None, "float8_e4m3fn": 0x7F, "float8_e5m2": 0x7E}


# ---- casts: ml_dtypes, or the stand-in ---------------------------------------

class MlDtypesCasts:
    """Element and scale casts through ml_dtypes (the independent path). A type
    this ml_dtypes lacks falls back to the stand-in, and the generator name
    says so (models/numerics/mxquant_ref_test.c then refuses the vectors)."""

    def __init__(self):
        import ml_dtypes
        self.m = ml_dtypes
        self.fallback = StandinCasts()
        self.missing = [t for t in ("float4_e2m1fn", "float8_e4m3fn", "float8_e5m2",
                                    "float8_e8m0fnu") if not hasattr(ml_dtypes, t)]
        self.name = "ml_dtypes %s numpy %s" % (ml_dtypes.__version__, np.__version__)
        if self.missing:
            self.name += " (standin for %s)" % ",".join(self.missing)

    def elem(self, x32, dt, bits):
        """float32 array (already within +-max) -> codes (uint8)."""
        if dt in self.missing:
            return self.fallback.elem(x32, dt, bits)
        codes = x32.astype(getattr(self.m, dt)).view(np.uint8)
        return codes & np.uint8((1 << bits) - 1)

    def elem_decode(self, dt, bits):
        if dt in self.missing:
            return self.fallback.elem_decode(dt, bits)
        c = np.arange(1 << bits, dtype=np.uint8)
        return c.view(getattr(self.m, dt)).astype(np.float64)

    def e8m0(self, pow2_f32):
        """exact powers of two (float32) -> E8M0 bytes."""
        if "float8_e8m0fnu" in self.missing:
            return self.fallback.e8m0(pow2_f32)
        return pow2_f32.astype(self.m.float8_e8m0fnu).view(np.uint8)

    def e8m0_decode(self):
        if "float8_e8m0fnu" in self.missing:
            return self.fallback.e8m0_decode()
        return np.arange(256, dtype=np.uint8).view(self.m.float8_e8m0fnu).astype(np.float64)


def torch_crosscheck(x, casts):
    """Second opinion where PyTorch has the cast: E4M3 and E5M2 codes of the
    clipped finite inputs, torch vs the casts used. Returns a header value."""
    try:
        import torch
    except ImportError:
        return "no torch"
    out = ["torch %s" % torch.__version__]
    xf = x[np.isfinite(x)]
    for dt, tname, mx in (("float8_e4m3fn", "float8_e4m3fn", 448.0),
                          ("float8_e5m2", "float8_e5m2", 57344.0)):
        if not hasattr(torch, tname):
            out.append("%s: absent" % dt)
            continue
        try:
            v = np.clip(xf, -mx, mx).astype(np.float32)
            t = torch.from_numpy(v).to(getattr(torch, tname)).view(torch.uint8).numpy()
            mine = casts.elem(v, dt, 8)
            out.append("%s: %d/%d differ" % (dt, int(np.sum(t != mine)), v.size))
        except Exception as e:  # report, never abort the one device run
            out.append("%s: error %s" % (dt, str(e).replace("\n", " ")[:80]))
    return "; ".join(out)


class StandinCasts:
    """numpy re-implementation of the same casts (NOT independent)."""
    name = "standin numpy %s (NOT independent)" % np.__version__

    def elem(self, x32, dt, bits):
        p = ELEM[dt]
        a = np.abs(x32.astype(np.float64))
        sign = np.signbit(x32).astype(np.uint32) << (bits - 1)
        emin = 1 - p["bias"]
        _, ex = np.frexp(np.where(a > 0, a, 1.0))
        e = np.maximum(ex - 1, emin)
        r = np.ldexp(np.rint(np.ldexp(a, p["mbits"] - e)), e - p["mbits"])
        r = np.minimum(r, p["max"])
        _, ex = np.frexp(np.where(r > 0, r, 1.0))
        e = ex - 1
        sub = r < 2.0 ** emin
        mant_sub = np.ldexp(r, p["mbits"] - emin)
        mant_nrm = np.ldexp(r, p["mbits"] - e) - (1 << p["mbits"])
        expf = np.where(sub, 0, e + p["bias"])
        mant = np.where(sub, mant_sub, mant_nrm)
        code = (expf.astype(np.uint32) << p["mbits"]) | mant.astype(np.uint32)
        code = np.where(r == 0, 0, code)
        return (code | sign).astype(np.uint8)

    def elem_decode(self, dt, bits):
        p = ELEM[dt]
        out = []
        for c in range(1 << bits):
            s = -1.0 if c >> (bits - 1) else 1.0
            mag = c & ((1 << (bits - 1)) - 1)
            ef, mf = mag >> p["mbits"], mag & ((1 << p["mbits"]) - 1)
            emax_f, mmax = (1 << p["ebits"]) - 1, (1 << p["mbits"]) - 1
            if p["special"] == "fn" and ef == emax_f and mf == mmax:
                out.append(np.nan)
            elif p["special"] == "ieee" and ef == emax_f:
                out.append(s * np.inf if mf == 0 else np.nan)
            elif ef == 0:
                out.append(s * np.ldexp(mf, 1 - p["bias"] - p["mbits"]))
            else:
                out.append(s * np.ldexp(mf + (1 << p["mbits"]), ef - p["bias"] - p["mbits"]))
        return np.array(out)

    def e8m0(self, pow2_f32):
        _, ex = np.frexp(pow2_f32.astype(np.float64))
        return (ex - 1 + 127).astype(np.uint8)

    def e8m0_decode(self):
        v = np.ldexp(1.0, np.arange(256) - 127)
        v[255] = np.nan
        return v


# ---- inputs --------------------------------------------------------------------

def representable(dt):
    """Positive finite values of an element format, ascending."""
    p = ELEM[dt]
    vals = set()
    for ef in range(1 << p["ebits"]):
        for mf in range(1 << p["mbits"]):
            if ef == 0:
                v = np.ldexp(mf, 1 - p["bias"] - p["mbits"])
            else:
                v = np.ldexp(mf + (1 << p["mbits"]), ef - p["bias"] - p["mbits"])
            if v <= p["max"]:
                vals.add(float(v))
    return sorted(vals)


def tie_candidates(dt, beyond):
    """Midpoints between neighbours, 1 fp32 ulp either side, the values
    themselves; beyond=True adds values above max (they clip)."""
    v = representable(dt)
    c = list(v)
    for lo, hi in zip(v[:-1], v[1:]):
        m = np.float32((lo + hi) / 2)
        c += [m, np.nextafter(m, np.float32(np.inf)), np.nextafter(m, np.float32(-np.inf))]
    if beyond:
        mx = ELEM[dt]["max"]
        step = v[-1] - v[-2]
        c += [mx + step / 2, mx + step, mx * 1.1, np.nextafter(np.float32(mx + step / 2), np.float32(0))]
    return np.array(c, dtype=np.float32)


def make_inputs(rng):
    parts = []

    def add(a):
        a = np.asarray(a, dtype=np.float32)
        assert a.size % 32 == 0
        parts.append(a)

    add(rng.standard_normal(32768))                                        # Gaussian
    add(rng.standard_t(2, 24576) * 10.0 ** rng.uniform(-2, 2, 24576))       # heavy-tailed
    sc = np.repeat(2.0 ** rng.integers(-140, 121, 256), 32)                # wide per-block exponents
    add(rng.standard_normal(8192) * sc)
    add(rng.uniform(-1, 1, 4096) * 2.0 ** rng.integers(-149, -119, 4096))  # tiny / fp32 subnormal range
    # near-tie blocks: anchors at positions 0 and 16 fix the block scale to 2^s
    for dt, anchor in (("float4_e2m1fn", 4.0), ("float8_e4m3fn", 256.0), ("float8_e5m2", 32768.0)):
        for beyond in (False, True):
            cand = tie_candidates(dt, beyond)
            blocks = []
            for _ in range(100):
                s = 2.0 ** rng.integers(-20, 21)
                b = rng.choice(cand, 32) * rng.choice([-1.0, 1.0], 32)
                b[0] = anchor * rng.choice([-1.0, 1.0])
                b[16] = anchor * rng.choice([-1.0, 1.0])
                blocks.append(b * s)
            add(np.concatenate(blocks))
    # scale-rule boundaries: amax = m * 2^e around m = 1, 1.5, 1.75, 2
    ms = [1.0, 1.5, 1.75, np.nextafter(np.float32(1.5), np.float32(2)),
          np.nextafter(np.float32(1.5), np.float32(0)), np.nextafter(np.float32(1.75), np.float32(2)),
          np.nextafter(np.float32(1.75), np.float32(0)), np.nextafter(np.float32(2.0), np.float32(0)),
          1.25, 1.875]
    blocks = []
    for i in range(64):
        m = ms[i % len(ms)]
        e = int(rng.integers(-30, 31))
        b = rng.uniform(-1, 1, 32) * m * 2.0 ** e / 1.01
        b[int(rng.integers(0, 32))] = m * 2.0 ** e * rng.choice([-1.0, 1.0])
        blocks.append(b)
    add(np.concatenate(blocks))
    # zeros: +0 blocks, -0 blocks, mixed signed zeros with one tiny value
    z = np.zeros(32 * 16, dtype=np.float32)
    z[32 * 4:32 * 8] = -0.0
    z[32 * 8:32 * 16] = np.where(rng.integers(0, 2, 32 * 8) == 1, -0.0, 0.0)
    for i in range(8, 16, 2):
        z[32 * i + 5] = np.float32(1e-3)
    add(z)
    # non-finite: NaN, -NaN, +Inf, -Inf inside otherwise normal blocks; one all-NaN block
    sp = rng.standard_normal(32 * 12).astype(np.float32)
    specials = [np.nan, -np.nan, np.inf, -np.inf]
    for i in range(11):
        sp[32 * i + int(rng.integers(0, 32))] = np.copysign(np.float32(np.nan), -1) \
            if i % 4 == 1 else specials[i % 4]
    sp[32 * 11:32 * 12] = np.nan
    add(sp)
    x = np.concatenate(parts)
    fill = N_TOTAL - x.size
    assert fill > 0
    return np.concatenate([x, rng.standard_normal(fill).astype(np.float32)])


# ---- scale rules (transcription of models/numerics/mxquant.h) ------------------------------

def float_to_ue8m0(v32):
    """TRT-LLM fp8Quantize.cpp float_to_ue8m0: exact ceil to E8M0 (v >= 0)."""
    bits = np.asarray(v32, dtype=np.float32).view(np.uint32).astype(np.int64)
    exp = (bits >> 23) & 0xFF
    mant = bits & 0x7FFFFF
    up = (mant > 0) & (exp != 0xFE) & ~((exp == 0) & (mant <= 0x400000))
    out = exp + up
    out = np.where(np.asarray(v32) == 0, 0, out)
    return out.astype(np.uint8)


def quantize(x, fmt, rule, casts):
    """Quantize tensor by tensor (TENSOR inputs each): codes, scales, globals."""
    out = [quantize_tensor(x[i:i + TENSOR], fmt, rule, casts) for i in range(0, x.size, TENSOR)]
    return (np.concatenate([o[0] for o in out]), np.concatenate([o[1] for o in out]),
            np.array([o[2] for o in out], dtype=np.float32))


def quantize_tensor(x, fmt, rule, casts):
    dt, emax_max, emax, block, bits = FMTS[fmt]
    emaxv = np.float32(emax_max)
    n = x.size
    nb = (n + block - 1) // block
    codes = np.zeros(n, dtype=np.uint8)
    scales = np.zeros(nb, dtype=np.uint8)
    fin = np.isfinite(x)
    global_scale = np.float32(1.0)
    if fmt == "nvfp4" and rule == "nvidia":
        amax_t = np.max(np.abs(x[fin])) if fin.any() else np.float32(0)
        if amax_t > 0:
            with np.errstate(over="ignore"):
                global_scale = np.float32(2688.0) / np.float32(amax_t)
            if np.isinf(global_scale):
                global_scale = np.float32(np.finfo(np.float32).max)
    for b in range(nb):
        xb = x[b * block:(b + 1) * block]
        sl = slice(b * block, b * block + xb.size)
        if not np.isfinite(xb).all():
            scales[b] = 0xFF if fmt != "nvfp4" else 0x7F
            nc = NAN_CODE[dt]
            codes[sl] = 0 if nc is None else (nc | (np.signbit(xb).astype(np.uint8) << 7))
            continue
        amax = np.max(np.abs(xb))
        if fmt == "nvfp4":
            g = global_scale if rule == "nvidia" else np.float32(1.0)
            s = np.float32(np.float32(g * amax) / np.float32(6.0))
            sc = casts.elem(np.array([min(s, np.float32(448.0))], dtype=np.float32),
                            "float8_e4m3fn", 8)[0]
            scales[b] = sc
            sf = np.float32(E4M3_TABLE[sc])
            with np.errstate(over="ignore"):
                inv = np.float32(0.0) if sf == 0 else np.float32(g / sf)
            inv = min(inv, np.float32(np.finfo(np.float32).max))  # saturate, as mxquant.c
            with np.errstate(over="ignore"):
                v = (xb * inv).astype(np.float32)  # may overflow to +-Inf: clipped to +-6 below
            codes[sl] = casts.elem(np.clip(v, -emaxv, emaxv), dt, bits)
        elif rule == "ocp":
            if amax > 0:
                _, ex = np.frexp(np.float64(amax))
                se = int(np.clip(ex - 1 - emax, -127, 127))
            else:
                se = -127
            byte = casts.e8m0(np.array([2.0 ** se], dtype=np.float32))[0]
            if byte != se + 127:
                WARN.append("e8m0 cast of 2^%d gave 0x%02x" % (se, byte))
            scales[b] = byte
            v = np.clip(xb.astype(np.float64) * 2.0 ** (-se), -emax_max, emax_max).astype(np.float32)
            codes[sl] = casts.elem(v, dt, bits)
        else:
            sf = np.float32(amax / emaxv)
            byte = float_to_ue8m0(np.array([sf], dtype=np.float32))[0]
            scales[b] = byte
            if 0 < byte < 0xFE and sf > 0:  # the ceil property, checked on the decoded scale
                d = E8M0_TABLE[byte]
                if not (d >= sf and d / 2 < sf):
                    WARN.append("float_to_ue8m0(%r) = 0x%02x is not the ceil" % (float(sf), byte))
            inv = np.float32(1.0) if byte == 0 else np.float32(2.0 ** (127 - int(byte)))
            v = (xb * inv).astype(np.float32)
            codes[sl] = casts.elem(np.clip(v, -emaxv, emaxv), dt, bits)
    return codes, scales, global_scale


def hexlist(vals):
    out = []
    for v in vals:
        v = float(v)
        if np.isnan(v):
            out.append("nan")
        elif np.isinf(v):
            out.append("inf" if v > 0 else "-inf")
        else:
            out.append(v.hex())
    return " ".join(out)


def self_check(casts):
    """Known values; returns the list of failures (reported, not fatal: the
    vectors are still written so that the one device run is not wasted)."""
    bad = []

    def want(name, got, exp):
        if list(got) != list(exp):
            bad.append("%s: got %s expected %s" % (name, list(got), list(exp)))

    e2m1 = casts.elem_decode("float4_e2m1fn", 4)
    want("e2m1 decode +", e2m1[:8], [0, .5, 1, 1.5, 2, 3, 4, 6])
    want("e2m1 decode -", -e2m1[8:], [0, .5, 1, 1.5, 2, 3, 4, 6])
    ties = np.array([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0], dtype=np.float32)
    want("e2m1 ties", e2m1[casts.elem(ties, "float4_e2m1fn", 4)], [0, 1, 1, 2, 2, 4, 4])
    want("e4m3 448", casts.elem(np.array([448.0], np.float32), "float8_e4m3fn", 8), [0x7E])
    want("e5m2 57344", casts.elem(np.array([57344.0], np.float32), "float8_e5m2", 8), [0x7B])
    want("e8m0 1.0", casts.e8m0(np.array([1.0], np.float32)), [0x7F])
    want("e8m0 2^-127", casts.e8m0(np.array([2.0 ** -127], np.float32)), [0x00])
    want("e8m0 0xFF nan", [bool(np.isnan(casts.e8m0_decode()[255]))], [True])
    want("e2m1 -0", casts.elem(np.array([-0.0], np.float32), "float4_e2m1fn", 4), [0x8])
    return bad


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    outdir = argv[1]
    if "--standin" in argv[2:]:
        casts = StandinCasts()
    else:
        try:
            casts = MlDtypesCasts()
        except ImportError:
            sys.exit("mx_reference: ml_dtypes is not installed (use --standin only to test "
                     "this script; its vectors are not independent)")
    bad = self_check(casts)
    for b in bad:
        print("SELF-CHECK FAILED:", b)
    global E4M3_TABLE, E8M0_TABLE
    E4M3_TABLE = casts.elem_decode("float8_e4m3fn", 8)
    E8M0_TABLE = casts.e8m0_decode()
    os.makedirs(outdir, exist_ok=True)
    x = make_inputs(np.random.default_rng(SEED))
    tcheck = torch_crosscheck(x, casts)
    print("torch cross-check:", tcheck)
    for fmt in FMTS:
        dt, _, _, block, bits = FMTS[fmt]
        for rule in ("ocp", "nvidia"):
            codes, scales, g = quantize(x, fmt, rule, casts)
            sdec = E4M3_TABLE[:128] if fmt == "nvfp4" else E8M0_TABLE
            hdr = [
                "MXREF 1",
                "fmt %s" % fmt,
                "rule %s" % rule,
                "block %d" % block,
                "n %d" % x.size,
                "nblocks %d" % scales.size,
                "tensor %d" % TENSOR,
                "ntensors %d" % g.size,
                "generator %s seed %d" % (casts.name, SEED),
                "self_check %s" % ("ok" if not bad else "FAILED " + "; ".join(bad).replace("\n", " ")),
                "torch_crosscheck %s" % tcheck,
                "layout f32le x[n] u8 code[n] u8 scale[nblocks] f32le global[ntensors]",
                "elem_decode %d %s" % (1 << bits, hexlist(casts.elem_decode(dt, bits))),
                "scale_decode %d %s" % (sdec.size, hexlist(sdec)),
                "END",
            ]
            path = os.path.join(outdir, "%s_%s.bin" % (fmt, rule))
            with open(path, "wb") as f:
                f.write(("\n".join(hdr) + "\n").encode("ascii"))
                f.write(x.astype("<f4").tobytes())
                f.write(codes.tobytes())
                f.write(scales.tobytes())
                f.write(g.astype("<f4").tobytes())
            nnan = int(np.sum(scales == (0x7F if fmt == "nvfp4" else 0xFF)))
            print("%-10s %-6s n=%d blocks=%d nan_scales=%d globals=[%.3g..%.3g] codes_hist_top=%s  %s"
                  % (fmt, rule, x.size, scales.size, nnan, float(g.min()), float(g.max()),
                     np.bincount(codes, minlength=256).argsort()[-3:][::-1].tolist(), path))
    print("generator:", casts.name)
    for w in sorted(set(WARN))[:20]:
        print("WARNING:", w)
    print("warnings: %d, self-check failures: %d" % (len(WARN), len(bad)))


E4M3_TABLE = None
E8M0_TABLE = None
WARN = []

if __name__ == "__main__":
    main(sys.argv)
