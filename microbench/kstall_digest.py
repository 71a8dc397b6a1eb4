#!/usr/bin/env python3
"""kstall_digest.py -- where a small kernel's time goes: inside its warps or
outside them.

Joins a probe's hot CUPTI durations (one line per launch) with Nsight Compute's
WarpStateStats of the same launches in the same order, and prints per launch:

  op, kernel, grid, block, hot_ns, inst_per_warp, cycles_per_inst,
  warp_life_ns, outside_ns, then cycles per warp stalled for each reason
  (wait, long_sb, short_sb, branch, barrier, membar, imc, no_inst, drain,
  other) and selected (the issue cycle itself)

inst_per_warp is smsp__inst_executed / smsp__warps_launched; cycles_per_inst
is the sum of smsp__average_warps_issue_stalled_<reason>_per_issue_active over
all reasons (selected included): the cycles an average warp lives per
instruction it issues. warp_life_ns = inst_per_warp x cycles_per_inst at
SM_MHZ; outside_ns = hot_ns - KERNEL_FIXED_NS - warp_life_ns, the part of the
kernel's duration that neither an empty kernel (kernel_fixed_ns) nor its
average warp accounts for. Nsight times each launch alone (no overlap with the
previous kernel) and replays it for its passes; its warps' lifetimes are
compared with the probe's back-to-back durations, not substituted for them.
This measures; nothing in gbsim is taken from it.

Taken on nvidia-h200 (2026-12-03; no H100 was lent that day):
  ncu --profile-from-start off --clock-control none --cache-control none \\
      --section WarpStateStats --section LaunchStats --metrics \\
      smsp__inst_executed.sum,smsp__warps_launched.sum,sm__cycles_active.sum,\\
      sm__cycles_active.max,gpu__time_duration.sum --page raw --csv \\
      python3 microbench/kcode_ncu.py > microbench/results/kstall_ncu_raw_probe_h200.csv
  (the same with `python3 microbench/kinst_probe.py ncu` >
   microbench/results/kstall_ncu_raw_inst_h200.csv)

usage: python3 microbench/kstall_digest.py microbench/results/ksmall_probe_h200.txt \\
           microbench/results/kstall_ncu_raw_probe_h200.csv 1980 576
       python3 microbench/kstall_digest.py microbench/results/kinst_time_h200.txt \\
           microbench/results/kstall_ncu_raw_inst_h200.csv 1980 576
(1980 MHz: nvidia-smi clocks.max.sm of the machine; 576 ns: kernel_fixed_ns of
models/data/arch/h200.csv)
"""
import csv, shlex, sys

PREFIX, SUFFIX = "smsp__average_warps_issue_stalled_", "_per_issue_active.ratio"
COLUMNS = [("wait", ["wait"]), ("long_sb", ["long_scoreboard"]),
           ("short_sb", ["short_scoreboard"]), ("branch", ["branch_resolving"]),
           ("barrier", ["barrier"]), ("membar", ["membar"]), ("imc", ["imc_miss"]),
           ("no_inst", ["no_instruction"]), ("drain", ["drain"])]


def num(s):
    return float(s.replace(",", ""))


def launches(path):
    out = []
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        f = shlex.split(line)
        out.append((f[0], f[1], f[2], f[3], float(f[4])))
    return out


def ncu_rows(path):
    lines = [ln for ln in open(path) if not ln.startswith("==")]
    rows = list(csv.DictReader(lines))
    return rows[1:]   # the second line holds the units


time_path, ncu_path, mhz, fixed_ns = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
timed, profiled = launches(time_path), ncu_rows(ncu_path)
assert len(timed) == len(profiled), "%d timed launches, %d profiled" % (len(timed), len(profiled))
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(["op", "kernel", "grid", "block", "hot_ns", "inst_per_warp", "cycles_per_inst",
            "warp_life_ns", "outside_ns"] + [c for c, _ in COLUMNS] + ["other", "selected"])
for (op, kern, grid, block, hot_ns), r in zip(timed, profiled):
    stalls = {k[len(PREFIX):-len(SUFFIX)]: num(v) for k, v in r.items()
              if k.startswith(PREFIX) and k.endswith(SUFFIX)}
    ipw = num(r["smsp__inst_executed.sum"]) / num(r["smsp__warps_launched.sum"])
    cpi = sum(stalls.values())
    life_ns = ipw * cpi * 1e3 / mhz
    named = [sum(stalls.get(n, 0.0) for n in names) * ipw for _, names in COLUMNS]
    other = cpi * ipw - sum(named) - stalls.get("selected", 0.0) * ipw
    w.writerow([op, kern, grid, block, "%.0f" % hot_ns, "%.1f" % ipw, "%.2f" % cpi,
                "%.0f" % life_ns, "%.0f" % (hot_ns - fixed_ns - life_ns)] +
               ["%.0f" % v for v in named] + ["%.0f" % other, "%.0f" % (stalls.get("selected", 0.0) * ipw)])
