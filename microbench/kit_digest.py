#!/usr/bin/env python3
"""kit_digest.py -- the microbenchmarks' raw outputs -> a gbsim arch file.

usage: kit_digest.py --base ARCH.csv [--id RUN_ID] [--out ARCH.csv] [--compare OUT.txt]
                     [--set-out OUT.txt] [--check] RAW [RAW ...]

RAW files hold what membench.cu, tmabench.cu, ubench.cu, kcold.cu (KCOLD_MAIN),
kcold.py, kgap_probe.py, wgmmabench.cu and traces/capture/torch_launch.py print, in
their own line formats; microbench/kit.sh concatenates them. A line '#@run LABEL' starts a run (before
any, lines belong to run 1): one run of every program. Each key below is derived within
a run from that run's lines (a ratio of two tests, Little's law, ...), giving one or
more samples per run; a key is written as the median of its samples, with their min
and max as the row's low,high range (when the base file has those columns) and in its
source, 'measured:RUN_ID ...'. Keys no line gives keep the base file's row. The
derivations are those of the presets' sources (docs/kit.md lists them).

--out writes the base arch file with the measured rows replaced (gbsim decode --arch
OUT); --set-out the same values as '--set key=value' words; --compare a table of base
against measured. --check exits 1 when a measured key disagrees with the base: its
samples' [min, max], widened by the key's tolerance, misses the base row's range (or
value). Bad input (a malformed line of a known format, a test given twice in one run,
a bad base file) exits 2 naming file:line and writes nothing.
"""
import argparse, csv, io, os, re, statistics, sys

NUM = r"(-?[0-9]+(?:\.[0-9]+)?)"


class BadInput(Exception):
    pass


# Line formats read, one row each: (prefix that claims the line, full pattern, what
# it stores). A line that starts with a prefix but does not match its pattern is bad
# input; every other line is ignored.
FORMATS = [
    ("device ", r"device (.+) sms ([0-9]+) l2 ([0-9]+)", "device"),      # membench, tmabench
    ("dev ", r"dev (.+) sms ([0-9]+) l2 ([0-9]+)\b.*", "device"),        # ubench
    ("test1 ", r"test1 ([0-9]+) ([0-9]+) " + NUM, "test"),
    ("test2 ", r"test2 ([0-9]+) ([0-9]+) " + NUM, "test"),
    ("test4 ", r"test4 ([0-9]+) " + NUM, "test"),
    ("test7 ", r"test7((?: [0-9]+){6}) " + NUM, "test"),
    ("test8 ", r"test8((?: [0-9]+){6}) " + NUM, "test"),
    ("test9 ", r"test9((?: [0-9]+){6}) " + NUM, "test"),
    ("test10 ", r"test10((?: [0-9]+){6}) " + NUM, "test"),
    ("test13 ", r"test13((?: [0-9]+){7}) " + NUM + " " + NUM, "test13"),
    ("test14 ", r"test14((?: [0-9]+){6})((?: [0-9]+)+)", "test14"),
    ("chase ", r"chase ([0-9]+) MiB: " + NUM + " ns/load", "ubench"),
    ("L2 read ", r"L2 read ([0-9]+) MiB: " + NUM + " GB/s", "ubench"),
    ("DRAM read ", r"DRAM read ([0-9]+) GiB: " + NUM + " GB/s", "ubench"),
    ("prefilled eager queue ", r"prefilled eager queue \(([0-9]+) kernels\): " + NUM + " ns/kernel", "list"),
    ("k_empty ", r"k_empty ([0-9]+) ([0-9]+) \S+ " + NUM + r"\b.*", "kcold"),
    ("graph ", r"graph (\S+) n ([0-9]+) period_ns (?:-|" + NUM + ") cupti_dur_ns " + NUM + " cupti_gap_ns " + NUM
     + r"(?: cupti_gap_mean_ns " + NUM + ")?", "graph"),
    ("fill ", r"fill ([0-9]+) " + NUM + r" (?:.*? gap_mean_ns " + NUM + "|.*)", "kgap"),
    ("torch.add eager: ", r"torch\.add eager: host " + NUM + r" us/op.*", "list"),
    ("wgmma_fit ", r"wgmma_fit n ([0-9]+) wg ([0-9]+) latency_cyc " + NUM + " mma_cyc " + NUM, "wgmma"),
]
FORMATS = [(p, re.compile(rx + r"\s*$"), kind) for p, rx, kind in FORMATS]


def parse(paths):
    """{run label: {(name, config): value}}, and the kit's metadata (#@kit k=v ...)."""
    runs, meta = {}, {}
    for path in paths:
        label = "1"
        try:
            text = open(path, encoding="utf-8").read()
        except OSError as e:
            raise BadInput("%s: cannot read: %s" % (path, e.strerror))
        for lineno, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            where = "%s:%d" % (path, lineno)
            if line.startswith("#@run "):
                label = line[6:].strip()
                if not label:
                    raise BadInput("%s: '#@run' without a label; expected '#@run LABEL'" % where)
                continue
            if line.startswith("#@kit "):
                for kv in line[6:].split():
                    k, _, v = kv.partition("=")
                    meta[k] = v
                continue
            if not line or line.startswith("#"):
                continue
            for prefix, rx, kind in FORMATS:
                if not line.startswith(prefix):
                    continue
                m = rx.match(line)
                if not m:
                    raise BadInput("%s: '%s': expected the format %s" % (where, line[:80], rx.pattern))
                store(runs.setdefault(label, {}), kind, prefix, m, where)
                break
    return runs, meta


def store(run, kind, prefix, m, where):
    g = m.groups()
    if kind == "device":
        key, val = ("device",), (g[0], int(g[1]), int(g[2]))
        if key in run and run[key] != val:
            raise BadInput("%s: device %s, but this run already saw %s" % (where, val, run[key]))
        run[key] = val
        return
    if kind == "list":                       # repeated readings: every line a sample
        run.setdefault((prefix.strip(), g[0] if len(g) > 1 else ""), []).append(float(g[-1]))
        return
    if kind == "test":
        key, val = (prefix.strip(), tuple(int(x) for x in " ".join(g[:-1]).split())), float(g[-1])
    elif kind == "test13":
        key, val = ("test13", tuple(int(x) for x in g[0].split())), float(g[1])
    elif kind == "test14":
        key, val = ("test14", tuple(int(x) for x in g[0].split())), [float(x) for x in g[1].split()]
        if len(val) != key[1][1] or len(val) < 2:
            raise BadInput("%s: %d landing times for %d stages; expected one per stage, at least 2"
                           % (where, len(val), key[1][1]))
    elif kind == "ubench":
        key, val = (prefix.strip(), int(g[0])), float(g[1])
    elif kind == "wgmma":
        key, val = ("wgmma_fit", (int(g[0]), int(g[1]))), float(g[2])
    elif kind == "kcold":
        key, val = ("k_empty", (int(g[0]), int(g[1]))), float(g[2])
    elif kind == "graph":                    # the mean gap where printed, else the median
        if g[2] is None:
            return                               # kcold.cu's own CUPTI (no period): not the traces'
        key, val = ("graph", g[0]), float(g[5] if g[5] is not None else g[4])
    else:                                    # kgap: likewise
        key, val = ("kgap_fill",), float(g[2] if g[2] is not None else g[1])
    if key in run:
        raise BadInput("%s: %s %s given twice in one run; expected one line per run "
                       "(start another with '#@run LABEL')" % (where, key[0], key[1] if len(key) > 1 else ""))
    run[key] = val


def rows_of(run, name):
    """(config, value) of every line of one test or reading in a run."""
    return [(key[1], val) for key, val in run.items() if key[0] == name]


def sms(run):
    return run[("device",)][1] if ("device",) in run else None


def test(run, name, cfg):
    v = run.get((name, cfg))
    return v if v else None              # 0.0 = the configuration did not fit


def whole_rows(run):
    return test(run, "test4", (1440,))


def ratio(a, b):
    return [a / b] if a is not None and b else []


def run_eff(n):
    return lambda run, base: ratio(test(run, "test4", (n,)), whole_rows(run))


def tma_eff(rows, depths, tests):
    """The mean of the tests' a-CTA-per-SM rates at the first of depths that ran (a
    deeper ring may not fit sm_12x's shared memory), over whole rows."""
    def f(run, base):
        n = sms(run)
        for depth in depths:
            vals = [test(run, t, (5760, rows, 128, depth, 128, n)) for t in tests]
            vals = [v for v in vals if v is not None]
            if vals:
                return ratio(sum(vals) / len(vals), whole_rows(run))
        return []
    return f


def mc_eff(depth):
    def f(run, base):
        n = sms(run)
        return ratio(test(run, "test10", (5760, 128, 128, depth, 1, n)),
                     test(run, "test10", (5760, 128, 128, depth, 0, n)))
    return f


def dram_latency(run, base):
    g = test(run, "test2", (32, 512))
    return [512.0 * sms(run) / g] if g and sms(run) else []


def sm_load(run, base):
    v = [val for cfg, val in rows_of(run, "test1") if cfg[0] == 1 and val]
    return v[:1]


def oob(run, base):
    if not sms(run):
        return []
    ctas = sms(run) & ~1
    ns = test(run, "test13", (1, 1, 0, 1, 4, 4, ctas))
    # a 2-CTA cluster loads two 64-row x 256-B A tiles a stage, one row in bounds
    return [ctas / 2 * (2 * 64 * 256 - 256) / ns] if ns else []


def slopes(run, boxes):
    """(last - first) / (stages - 1) of each hot, single-issuer, 1-CTA burst of `boxes`-box stages."""
    out = []
    for cfg, t in rows_of(run, "test14"):
        if cfg[0] == 1 and cfg[2] == boxes and cfg[4] == 1 and cfg[5] == 1:
            out.append((t[-1] - t[0]) / (len(t) - 1))
    return out


def issue(which):
    def f(run, base):
        s1, s2 = slopes(run, 1), slopes(run, 2)
        if not s1 or not s2:
            return []
        a, b = statistics.mean(s1), statistics.mean(s2)
        return [b - a] if which == "box" else [b - 2 * (b - a)]
    return f


def sm_tma(run, base):
    v = [val for cfg, val in rows_of(run, "test8") if cfg[5] == 1 and val]
    return [max(v)] if v else []


def tma_latency(run, base):
    g = test(run, "test7", (5760, 64, 128, 2, 128, 1))
    return [2 * 64 * 128 / g] if g else []


def l2_of(run):
    return run[("device",)][2] if ("device",) in run else None


def l2_bw(run, base):
    l2 = l2_of(run)
    v = [val for mib, val in rows_of(run, "L2 read") if l2 and mib << 20 <= l2]
    return [max(v)] if v else []


def l2_latency(run, base):
    l2 = l2_of(run)
    v = [val for mib, val in rows_of(run, "chase") if l2 and 2 * (mib << 20) <= l2]
    return [statistics.mean(v)] if v else []


def dram_frac(run, base):
    v = run.get(("DRAM read", 2))
    return [v / base["dram_peak_gbps"]] if v and base.get("dram_peak_gbps") else []


def kernel_fixed(run, base):
    v = run.get(("k_empty", (1, 128)))
    return [v] if v else []


def launch_gap(run, base):
    p, k = run.get(("prefilled eager queue", "1000")), kernel_fixed(run, base)
    return [statistics.median(p) - k[0]] if p and k else []


def one(key):
    return lambda run, base: [run[key]] if run.get(key) is not None else []


def resolved(derive):
    """A gap of 0 ns is no reading: a median of CUPTI gaps whose timestamps come in
    0/256-ns steps lands on 0 (microbench/results/kit_raw_h100.txt, whose graph lines
    are kcold.cu's own CUPTI medians)."""
    return lambda run, base: [x for x in derive(run, base) if x > 0]


def mma_wait(run, base):
    v = run.get(("wgmma_fit", (128, 1)))
    return [v] if v is not None else []


def device_field(i):
    return lambda run, base: [run[("device",)][i]] if ("device",) in run else []


# The keys, one row each: key, decimals written, tolerance of --check (relative, and
# absolute in the key's unit), derivation (run, base values) -> samples, and what the
# source says. Tolerances: 10 % run to run and machine to machine (H100 readings a day
# apart differ by up to 4 %: kcold_h100.txt's two runs, membench vs membench5); CUPTI
# times tick in 32 ns; the eager launch gap, timed from the host, 20 % (699-950 ns
# across the H100/H200 readings behind the presets).
KEYS = [
    ("n_sm", 0, 0, 0, device_field(1), "cudaDeviceProp multiProcessorCount"),
    ("l2_bytes", 0, 0, 0, device_field(2), "cudaDeviceProp l2CacheSize"),
    ("dram_achievable_frac", 3, 0.10, 0, dram_frac, "ubench.cu: 2-GiB streaming read over dram_peak_gbps"),
    ("dram_latency_ns", 1, 0.10, 0, dram_latency, "membench.cu test2: 512 B in flight per SM, Little's law"),
    ("dram_run_eff_32", 3, 0.10, 0, run_eff(32), "membench.cu test4: 1440-B rows in 32-B runs over whole rows"),
    ("dram_run_eff_64", 3, 0.10, 0, run_eff(64), "membench.cu test4: 1440-B rows in 64-B runs over whole rows"),
    ("dram_run_eff_128", 3, 0.10, 0, run_eff(128), "membench.cu test4: 1440-B rows in 128-B runs over whole rows"),
    ("dram_run_eff_256", 3, 0.10, 0, run_eff(256), "membench.cu test4: 1440-B rows in 256-B runs over whole rows"),
    ("dram_run_eff_512", 3, 0.10, 0, run_eff(480), "membench.cu test4: 1440-B rows in 480-B runs over whole rows"),
    ("dram_tma_eff", 3, 0.10, 0, tma_eff(128, (4,), ("test7", "test8", "test9")),
     "tmabench.cu test7/8/9: 128-row boxes of 128-B runs, 4 stages, a CTA per SM, over membench test4 whole rows"),
    ("dram_tma_eff_64r", 3, 0.10, 0, tma_eff(64, (16, 8), ("test7",)),
     "tmabench.cu test7: 64-row boxes, 16 stages (8 where 16 do not fit), over membench test4 whole rows"),
    ("dram_tma_eff_256r", 3, 0.10, 0, tma_eff(256, (4, 3), ("test7",)),
     "tmabench.cu test7: 256-row boxes, 4 stages (3 where 4 do not fit), over membench test4 whole rows"),
    ("tma_mc_eff_32kb", 3, 0.10, 0, mc_eff(2), "tmabench.cu test10: multicast over unicast, 2 stages of 16 KiB"),
    ("tma_mc_eff_64kb", 3, 0.10, 0, mc_eff(4), "tmabench.cu test10: multicast over unicast, 4 stages of 16 KiB"),
    ("tma_mc_eff_128kb", 3, 0.10, 0, mc_eff(8), "tmabench.cu test10: multicast over unicast, 8 stages of 16 KiB"),
    ("tma_oob_gbps", 1, 0.10, 0, oob, "tmabench.cu test13: zero-filled bytes of one-token A tiles per stage time"),
    ("tma_stage_issue_ns", 1, 0.10, 0, issue("stage"),
     "tmabench.cu test14: hot 2-box stage interval minus 2 box costs, one issuing thread"),
    ("tma_box_issue_ns", 1, 0.10, 0, issue("box"),
     "tmabench.cu test14: hot 2-box minus 1-box stage interval, one issuing thread"),
    ("sm_load_gbps", 1, 0.10, 0, sm_load, "membench.cu test1: one CTA of 1024 threads streaming"),
    ("sm_tma_gbps", 1, 0.10, 0, sm_tma, "tmabench.cu test8: one CTA, the fastest of its stage shapes"),
    ("tma_latency_ns", 1, 0.10, 0, tma_latency, "tmabench.cu test7: one CTA, 2 stages of 8 KiB, per round trip"),
    ("l2_bw_gbps", 0, 0.10, 0, l2_bw, "ubench.cu: ld.cg reads of a buffer inside L2, the larger of 8/16 MiB"),
    ("l2_latency_ns", 1, 0.10, 0, l2_latency, "ubench.cu: 1-thread ld.cg pointer chase over buffers <= L2/2"),
    ("launch_api_us", 2, 0.10, 0, one(("torch.add eager:", "")),
     "traces/capture/torch_launch.py: host time per eager torch.add"),
    ("launch_gap_ns", 0, 0.20, 32, launch_gap,
     "ubench.cu: eager period of empty kernels queued behind a spin kernel, minus kernel_fixed_ns"),
    ("graph_gap_ns", 0, 0.10, 32, resolved(one(("graph", "store_g1"))),
     "kcold.py (torch.profiler): mean gap (median where no mean is printed) between storing kernels of a 512-kernel CUDA graph"),
    ("graph_gap_cold_ns", 0, 0.10, 32, resolved(one(("kgap_fill",))),
     "kgap_probe.py (torch.profiler): mean gap (median where no mean is printed) between small graph kernels behind a fill past L2"),
    ("kernel_fixed_ns", 0, 0.10, 32, kernel_fixed, "kcold.cu: CUPTI duration of an empty 1-CTA kernel, hot"),
    ("mma_wait_cyc", 1, 0.10, 5, mma_wait,
     "wgmmabench.cu: one warpgroup's G wgmma m64n128k16 then commit and wait, the constant of cycles(G)"),
]


def samples_of(derive, runs, base):
    """Every run's samples of one key (a list reading counts each of its values), and
    how many runs gave any."""
    out, nruns = [], 0
    for run in runs.values():
        flat = []
        for x in derive(run, base):
            flat.extend(x if isinstance(x, list) else [x])
        nruns += bool(flat)
        out.extend(flat)
    return out, nruns


def fmt(x, dec):
    return "%d" % round(x) if dec == 0 else "%.*f" % (dec, x)


def read_base(path):
    """The base file's header, its rows, and its text record by record (each row's
    own lines, verbatim, so that the rows the kit does not measure are copied as
    they are; None for the header)."""
    try:
        text = open(path, encoding="utf-8").read()
    except OSError as e:
        raise BadInput("%s: cannot read: %s" % (path, e.strerror))
    lines = text.splitlines(keepends=True)
    header, body, records, end = None, [], [], 0
    reader = csv.reader(io.StringIO(text))
    for r in reader:
        start, end = end, reader.line_num
        verbatim = "".join(lines[start:end])
        if not r or r[0].startswith("#"):
            records.append((None, verbatim))
            continue
        if header is None:
            if r not in (["key", "value", "unit", "source"], ["key", "value", "unit", "source", "low", "high"]):
                raise BadInput("%s:%d: header %s; expected key,value,unit,source[,low,high]" % (path, end, r))
            header = r
            records.append((None, verbatim))
            continue
        if len(r) != len(header):
            raise BadInput("%s:%d: %d fields; expected %d" % (path, end, len(r), len(header)))
        body.append(r)
        records.append((r, verbatim))
    if header is None:
        raise BadInput("%s: no header; expected key,value,unit,source[,low,high]" % path)
    return header, body, records


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", required=True)
    ap.add_argument("--id")
    ap.add_argument("--out")
    ap.add_argument("--compare")
    ap.add_argument("--set-out")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("raw", nargs="+")
    a = ap.parse_args()
    try:
        header, body, records = read_base(a.base)
        runs, meta = parse(a.raw)
    except BadInput as e:
        print("kit_digest: %s" % e, file=sys.stderr)
        return 2
    run_id = a.id or meta.get("id") or "raw"
    if not re.fullmatch(r"[A-Za-z0-9._+-]{1,64}", run_id):
        print("kit_digest: --id '%s': expected 1 to 64 letters, digits and . _ + -" % run_id,
              file=sys.stderr)
        return 2
    base = {}
    for r in body:
        try:
            base[r[0]] = float(r[1])
        except ValueError:
            print("kit_digest: %s: key %s: value '%s' is not a number" % (a.base, r[0], r[1]), file=sys.stderr)
            return 2
    ranged = len(header) == 6
    measured, lines, bad = {}, [], 0
    lines.append("# base %s, measured %s (%d run(s)); agree: the samples' [min, max] widened by the "
                 "tolerance meets the base range or value" % (a.base, run_id, len(runs)))
    lines.append("%-22s %12s %-25s %12s %-27s %5s  %s" % ("key", "base", "base_range", "measured",
                                                           "measured_min_max", "n", "verdict"))
    for key, dec, tol, tol_abs, fn, how in KEYS:
        if key not in base:
            continue
        s, nruns = samples_of(fn, runs, base)
        if not s:
            continue
        med, lo, hi = statistics.median(s), min(s), max(s)
        row = next(r for r in body if r[0] == key)
        blo, bhi = (float(row[4]), float(row[5])) if ranged and row[4] != "" else (base[key], base[key])
        if base[key] == 0 and not (ranged and row[4] != ""):
            verdict = "new (base 0: not charged)"
        elif hi * (1 + tol) + tol_abs >= blo and lo * (1 - tol) - tol_abs <= bhi:
            verdict = "agrees"
        else:
            verdict = "DISAGREES"
            bad += 1
        if len(s) == 1:
            stats = "one reading"
        else:
            stats = "median of %d%s, min %s, max %s" % (
                len(s), " over %d runs" % nruns if nruns > 1 else "", fmt(lo, dec), fmt(hi, dec))
        source = "measured:%s %s; %s" % (run_id, how, stats)
        assert len(source) < 256, (key, len(source))
        measured[key] = (fmt(med, dec), fmt(lo, dec), fmt(hi, dec), source)
        lines.append("%-22s %12s %-25s %12s %-27s %5d  %s" % (
            key, row[1], "[%s, %s]" % (row[4], row[5]) if ranged and row[4] != "" else "-",
            fmt(med, dec), "[%s, %s]" % (fmt(lo, dec), fmt(hi, dec)) if len(s) > 1 else "-", len(s), verdict))
    if not measured:
        print("kit_digest: no line of %s gives any key; expected the microbenchmarks' outputs "
              "(docs/kit.md)" % ", ".join(a.raw), file=sys.stderr)
        return 2

    outputs = []
    if a.out:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        note = "# gbsim kit %s%s: %d key(s) measured (source 'measured:%s'), the rest as %s\n" % (
            run_id, " on " + meta["gpu"].replace("_", " ") if "gpu" in meta else "", len(measured), run_id,
            os.path.basename(a.base))
        for r, verbatim in records:
            if r is None or r[0] not in measured:
                buf.write(verbatim if verbatim.endswith("\n") else verbatim + "\n")
                if note and r is None and verbatim.startswith("key,"):
                    buf.write(note)    # right below the header
                    note = ""
                continue
            v, lo, hi, src = measured[r[0]]
            row = [r[0], v, r[2], src]
            if ranged:   # the samples' spread is the row's range; one reading has none
                row += [lo, hi] if lo != hi else ["", ""]
            w.writerow(row)
        outputs.append((a.out, buf.getvalue()))
    if a.set_out:
        outputs.append((a.set_out, " ".join("--set %s=%s" % (k, v[0]) for k, v in measured.items()) + "\n"))
    if a.compare:
        outputs.append((a.compare, "\n".join(lines) + "\n"))
    # every output is written to its temporary file first; they replace their
    # targets only once all were written (no partial set of outputs)
    tmps = []
    try:
        for path, text in outputs:
            tmp = "%s.tmp.%d" % (path, os.getpid())
            tmps.append(tmp)
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
    except OSError as e:
        for tmp in tmps:
            if os.path.exists(tmp):
                os.unlink(tmp)
        print("kit_digest: %s: cannot write: %s" % (path, e.strerror), file=sys.stderr)
        return 2
    for (path, _), tmp in zip(outputs, tmps):
        os.replace(tmp, path)
    print("\n".join(lines))
    if a.check and bad:
        print("kit_digest: %d key(s) disagree with %s" % (bad, a.base), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
