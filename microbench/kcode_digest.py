#!/usr/bin/env python3
"""kcode_digest.py -- digest Nsight Compute's SourceCounters page (the CSV that
microbench/kcode_ncu.py's usage line writes) into one row per kernel:

  kernel, sass_instructions (the kernel's code), executed_distinct (SASS
  instructions executed at least once), executed_code_bytes (x 16 B),
  warp_inst_executed, stall_samples, no_inst_samples (warps waiting on an
  instruction fetch), long_sb_samples (waiting on a global-memory load)

usage: python3 microbench/kcode_digest.py kcode_ncu_raw.csv[.gz] > microbench/results/kcode_ncu_h100.csv
"""
import csv, gzip, sys

path = sys.argv[1]
lines = (gzip.open(path, "rt") if path.endswith(".gz") else open(path)).read().splitlines()
rows, cur, ix = [], None, None


def num(row, key):
    try:
        return float(row[ix[key]].replace(",", "") or 0)
    except (KeyError, ValueError, IndexError):
        return 0.0


for line in lines:
    rec = next(csv.reader([line]), [])
    if rec[:1] == ["Kernel Name"]:
        cur = {"kernel": rec[1], "sass": 0, "exe": 0, "inst": 0.0, "samp": 0.0, "noinst": 0.0,
               "longsb": 0.0}
        rows.append(cur)
        ix = None
        continue
    if cur is None:
        continue
    if rec[:1] == ["Address"]:
        ix = {h: j for j, h in enumerate(rec)}
        continue
    if ix is None or len(rec) < len(ix):
        continue
    ie = num(rec, "Instructions Executed")
    cur["sass"] += 1
    cur["exe"] += ie > 0
    cur["inst"] += ie
    cur["samp"] += num(rec, "Warp Stall Sampling (All Samples)")
    cur["noinst"] += num(rec, "stall_no_inst")
    cur["longsb"] += num(rec, "stall_long_sb")

w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(["kernel", "sass_instructions", "executed_distinct", "executed_code_bytes",
            "warp_inst_executed", "stall_samples", "no_inst_samples", "long_sb_samples"])
seen = set()
for r in rows:
    key = (r["kernel"], r["inst"])
    if key in seen:          # the same launch reported twice
        continue
    seen.add(key)
    w.writerow([r["kernel"][:160], r["sass"], r["exe"], r["exe"] * 16, int(r["inst"]),
                int(r["samp"]), int(r["noinst"]), int(r["longsb"])])
