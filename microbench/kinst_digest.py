#!/usr/bin/env python3
"""kinst_digest.py -- join microbench/kinst_probe.py's two outputs (the hot
CUPTI durations and Nsight Compute's smsp__inst_executed.sum /
smsp__warps_launched.sum, same launches in the same order) into one row per
kernel launch, and print the lone-warp cost per instruction from the depth
series (least-squares slope of duration over executed instructions per warp).

  op, kernel, grid_ctas, block_threads, hot_ns, warp_inst_executed,
  warps_launched, inst_per_warp

usage: python3 microbench/kinst_digest.py kinst_time.txt kinst_ncu_raw.csv SM_MHZ \
           > microbench/results/kinst_h100.csv
"""
import csv, shlex, sys

time_path, ncu_path, mhz = sys.argv[1], sys.argv[2], float(sys.argv[3])
launches = []
for line in open(time_path):
    if line.startswith("#") or not line.strip():
        continue
    op, kern, grid, block, ns = shlex.split(line)
    g = 1
    for v in grid.split("x"):
        g *= int(v)
    b = 1
    for v in block.split("x"):
        b *= int(v)
    launches.append([op, kern, g, b, float(ns)])

metrics = {}
order = []
lines = [ln for ln in open(ncu_path) if not ln.startswith("==")]
for r in csv.DictReader(lines):
    if r["ID"] not in metrics:
        order.append(r["ID"])
        metrics[r["ID"]] = {}
    metrics[r["ID"]][r["Metric Name"]] = float(r["Metric Value"].replace(",", ""))
assert len(order) == len(launches), "%d ncu launches, %d timed" % (len(order), len(launches))

w = csv.writer(sys.stdout, lineterminator="\n")
print("# microbench/kinst_probe.py (time and ncu modes) joined by microbench/kinst_digest.py; "
      "hot_ns: median of 30 CUPTI durations back to back; counts: one launch under ncu")
w.writerow(["op", "kernel", "grid_ctas", "block_threads", "hot_ns", "warp_inst_executed",
            "warps_launched", "inst_per_warp"])
depth = []
for (op, kern, g, b, ns), rid in zip(launches, order):
    m = metrics[rid]
    inst, warps = m["smsp__inst_executed.sum"], m["smsp__warps_launched.sum"]
    assert int(m["launch__grid_size"]) == g and int(m["launch__block_size"]) == b, op
    w.writerow([op, kern, g, b, int(ns), int(inst), int(warps), "%.1f" % (inst / warps)])
    if op.startswith("depth"):
        depth.append((inst / warps, ns))
n = len(depth)
mx = sum(x for x, _ in depth) / n
my = sum(y for _, y in depth) / n
slope = sum((x - mx) * (y - my) for x, y in depth) / sum((x - mx) ** 2 for x, _ in depth)
print("# depth series (d = 1..%d): %.3f ns per warp instruction = %.2f cycles at %.0f MHz"
      % (n, slope, slope * mhz / 1e3, mhz))
