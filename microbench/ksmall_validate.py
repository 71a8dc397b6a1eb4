#!/usr/bin/env python3
"""ksmall_validate.py -- the small kernels of the H100 decode step, measured
(CUPTI medians, traces/hopper/h100_decode_step_trace.csv: 3 eager steps x 4
layers) beside gbsim's prediction (`gbsim decode --stack torch-bf16`, whose
small rows run models/ksmall.c), per stack row and per ksmall family. Nothing
is fitted; this only prints the comparison.

usage: python3 microbench/ksmall_validate.py [build/gbsim]
"""
import csv, io, statistics, subprocess, sys

GBSIM = sys.argv[1] if len(sys.argv) > 1 else "build/gbsim"
TRACE = "traces/hopper/h100_decode_step_trace.csv"
PER_STEP, PER_LAYER, LAYERS = 131, 32, 4

# position of each kernel within a layer of the trace (capture_decode_step.py
# order) -> (stack op, stack kernel row, ksmall family)
LAYER_POS = {
    0: ("norm", "vectorized_layer_norm_kernel (rms)", "rms_norm"),
    2: ("kv_write", "direct_copy_kernel (k)", "ew_strided"),
    3: ("kv_write", "direct_copy_kernel (v)", "ew_strided"),
    5: ("attention", "(lean_reduction, inside the attention row)", "lean_reduction"),
    7: ("o_proj", "cublasLt splitKreduce_kernel", "splitk_reduce"),
    8: ("residual", "vectorized add", "ew_vector"),
    9: ("norm", "vectorized_layer_norm_kernel (rms)", "rms_norm"),
    11: ("router", "cublasLt splitKreduce_kernel", "splitk_reduce"),
    12: ("topk", "gatherTopK", "gather_topk"),
    13: ("topk", "bitonicSortKVInPlace", "bitonic_sort"),
    14: ("topk", "cast to fp32", "ew_unrolled"),
    15: ("topk", "softmax_warp_forward", "softmax_warp"),
    16: ("topk", "cast to bf16", "ew_vector"),
    17: ("moe_expand", "direct_copy_kernel (expand)", "ew_strided"),
    18: ("moe_maps", "prepare_grouped_gemm_data (FC1)", "prepare_grouped"),
    20: ("moe_act", "clamp (gate)", "ew_strided"),
    21: ("moe_act", "clamp (up)", "ew_strided"),
    22: ("moe_act", "mul by 1.702", "ew_vector"),
    23: ("moe_act", "sigmoid", "ew_vector"),
    24: ("moe_act", "mul (gate x sigmoid)", "ew_vector"),
    25: ("moe_act", "add 1 (up)", "ew_vector"),
    26: ("moe_act", "mul (x (up+1))", "ew_vector"),
    27: ("moe_maps", "prepare_grouped_gemm_data (FC2)", "prepare_grouped"),
    29: ("moe_sum", "mul by routing weights", "ew_strided"),
    30: ("moe_sum", "reduce_kernel sum", "reduce_outer"),
    31: ("residual", "vectorized add", "ew_vector"),
}
STEP_POS = {128: ("norm", "vectorized_layer_norm_kernel (rms)", "rms_norm"),
            130: ("sample", "reduce_kernel argmax", "reduce_inner")}

rows = list(csv.DictReader(open(TRACE)))
assert len(rows) == 3 * PER_STEP
meas = {}   # (op, kernel row, family, layer slot) -> durations in us
grid = {}
for s in range(3):
    for p in range(PER_STEP):
        r = rows[s * PER_STEP + p]
        if p < LAYERS * PER_LAYER:
            key = LAYER_POS.get(p % PER_LAYER)
            slot = p % PER_LAYER
        else:
            key = STEP_POS.get(p)
            slot = p
        if key is None:
            continue
        meas.setdefault(key + (slot,), []).append(int(r["Duration (ns)"]) / 1000.0)
        grid[key + (slot,)] = "%sx%sx%s/%sx%s" % (r["GrdX"], r["GrdY"], r["GrdZ"], r["BlkX"], r["BlkY"])

out = subprocess.run([GBSIM, "decode", "--arch", "h100", "--stack", "torch-bf16", "--model",
                      "gpt-oss-120b", "--layers", "4", "--ctx", "2048", "--graphs", "on",
                      "--format", "csv"], capture_output=True, text=True, check=True).stdout
pred = {}
for r in csv.DictReader(io.StringIO(out)):
    pred[(r["op"], r["kernel"])] = float(r["us_per_call"])

print("%-12s %-36s %-16s %-15s %9s %9s %7s" % ("family", "stack row", "grid/block", "calls/step",
                                               "meas_us", "pred_us", "err%"))
fam_tot = {}
tot_m = tot_p = 0.0
for key in sorted(meas, key=lambda k: (k[2], k[3])):
    op, kern, fam, slot = key
    m = statistics.median(meas[key])
    calls = len(meas[key]) / 3
    p = pred.get((op, kern))
    tot_m += m * calls
    ft = fam_tot.setdefault(fam, [0.0, 0.0, 0.0])
    ft[0] += m * calls
    ft[2] += calls
    if p is not None:
        tot_p += p * calls
        ft[1] += p * calls
    print("%-12s %-36.36s %-16s %-15g %9.2f %9s %7s" % (
        fam, op + ": " + kern, grid[key], calls, m, "%.2f" % p if p is not None else "-",
        "%+.0f" % (100 * (p - m) / m) if p is not None else "-"))
print()
print("%-16s %8s %12s %12s %7s" % ("family", "calls", "meas_us/step", "pred_us/step", "err%"))
for fam, (m, p, c) in sorted(fam_tot.items()):
    print("%-16s %8g %12.1f %12s %7s" % (fam, c, m, "%.1f" % p if p else "-",
                                          "%+.0f" % (100 * (p - m) / m) if p else "-"))
print("small kernels with a stack row: measured %.1f us/step, predicted %.1f us/step (%+.0f%%)"
      % (tot_m - fam_tot.get("lean_reduction", [0])[0], tot_p,
         100 * (tot_p - (tot_m - fam_tot.get("lean_reduction", [0])[0])) /
         (tot_m - fam_tot.get("lean_reduction", [0])[0])))
