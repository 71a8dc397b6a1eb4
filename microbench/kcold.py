#!/usr/bin/env python3
"""kcold.py -- start-up cost of a kernel whose code and parameters are cold
(microbench/kcold.cu), timed under torch.profiler (CUPTI) as the committed
traces were. Each kernel is timed in three states, 30 calls each, medians:

  hot:   the kernel 30 times back to back (code, parameters, data in cache);
  icold: before each call a different kernel with 394 KB of code runs
         (k_code<4096> variant b): the SMs' instruction caches hold other code,
         L2 still holds this kernel's code and parameters;
  cold:  before each call a 512 MB fill runs: L2 holds none of the kernel's
         code, parameters or data (as after a weight stream in a decode step).

Then CUDA graphs of 512 launches: the replay period per kernel unprofiled
(CUDA events, median of 20 replays) and, under the profiler, the median CUPTI
duration and the median gap from one kernel's end to the next one's start.

Prints "kernel grid block code_bytes hot_ns icold_ns cold_ns" lines; code_bytes
is the size of the kernel's .text section (nvcc 13.0 -O3 sm_90a; read from the
cubin by readelf on the build machine, given here as a table).

(--tma-only: a TMA load/store kernel's fixed path, see kcold.cu k_tma;
--graphs-only: the graph part alone; --kit: the graphs microbench/kit.sh reads
(empty_g1, store_g1) alone; --launch-only: the launch-shape part alone:
k_store_smem with 128 or 384 threads, 2-200 KB of shared memory, clusters of 1-4)

usage: nvcc -O3 -gencode=arch=compute_90a,code=sm_90a -shared -Xcompiler -fPIC \
         -o /tmp/kcold.so microbench/kcold.cu -lcuda && python3 microbench/kcold.py /tmp/kcold.so
"""
import collections
import ctypes, os, statistics, sys
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "traces", "capture"))
from cupti_kernels import kernels_of  # noqa: E402

lib = ctypes.CDLL(sys.argv[1])
dev = torch.device("cuda")
# .text sizes of kcold.cu's kernels (readelf -S on the sm_90a cubin, nvcc 13.0 -O3)
CODE_BYTES = {"empty": 256, "store": 384, "copy": 384, 16: 1536, 64: 4608, 256: 16896,
              1024: 66048, 4096: 393728}
out = torch.empty(132 * 1024, dtype=torch.int32, device=dev)
inp = torch.randint(0, 1000, (132 * 1024,), dtype=torch.int32, device=dev)
fbuf = torch.empty(512 << 20, dtype=torch.uint8, device=dev)
fout = torch.empty(132 * 1024, dtype=torch.float32, device=dev)


def stream():
    return ctypes.c_void_p(torch.cuda.current_stream().cuda_stream)


def ck(rc):
    assert rc == 0, "launch failed: %d" % rc


def launcher(kind, grid, block):
    p = ctypes.c_void_p
    if kind == "empty":
        return lambda: ck(lib.kc_empty(grid, block, stream()))
    if kind == "store":
        return lambda: ck(lib.kc_store(grid, block, p(out.data_ptr()), stream()))
    if kind == "copy":
        return lambda: ck(lib.kc_copy(grid, block, p(inp.data_ptr()), p(out.data_ptr()), stream()))
    fn = getattr(lib, "kc_code_%d" % kind)
    return lambda: ck(fn(grid, block, 0, p(fout.data_ptr()), stream()))


evict_code = lambda: ck(lib.kc_code_4096(1, 128, 1, ctypes.c_void_p(fout.data_ptr()), stream()))


def flush():
    fbuf.fill_(1)


def median_of(fn, reps, keep):
    """Median CUPTI duration (ns) of the kernels keep(name) in fn run reps times."""
    def body():
        for _ in range(reps):
            fn()
    ds = [e["dur"] * 1000.0 for e in kernels_of(body) if keep(e["name"])]
    return statistics.median(ds) if ds else float("nan")


print("# microbench/kcold.py on %s (%d SMs), torch %s" % (
    torch.cuda.get_device_name(), torch.cuda.get_device_properties(0).multi_processor_count,
    torch.__version__))
print("# kernel grid block code_bytes hot_ns icold_ns cold_ns (medians of 30 CUPTI durations)")
kinds = ["empty", "store", "copy", 16, 64, 256, 1024, 4096]
# launch shape: threads, dynamic shared memory, thread-block clusters (hot,
# CUPTI median of 30), as cuBLAS's nvjet and CUTLASS's kernels launch
# a TMA GEMM's fixed path: one thread loads 1, 2 or 4 TMA boxes one after the
# other (each waited for), with and without a TMA store at the end, data cold
# (the fill before each call) and hot
if "--tma-only" in sys.argv:
    tbuf = torch.empty(64 << 20, dtype=torch.uint8, device=dev)
    n_rows = (64 << 20) // 5760
    print("# tma grid nbox store hot_ns cold_ns (CUPTI medians of 30; the empty line is k_empty)")
    e = launcher("empty", 1, 128)
    for _ in range(3):
        e()
    torch.cuda.synchronize()
    base_hot = median_of(e, 30, lambda n: "k_empty" in n)
    base_cold = median_of(lambda: (flush(), e()), 30, lambda n: "k_empty" in n)
    print("empty 1 0 0 %.0f %.0f" % (base_hot, base_cold))
    for grid, nbox, st in ((1, 1, 0), (1, 1, 1), (1, 2, 0), (1, 4, 0), (80, 1, 0), (80, 1, 1)):
        fn = lambda grid=grid, nbox=nbox, st=st: ck(lib.kc_tma(grid, nbox, st, ctypes.c_void_p(tbuf.data_ptr()),
                                                              ctypes.c_long(n_rows), ctypes.c_void_p(out.data_ptr()), stream()))
        for _ in range(3):
            fn()
        torch.cuda.synchronize()
        hot = median_of(fn, 30, lambda n: "k_tma" in n)
        cold = median_of(lambda: (flush(), fn()), 30, lambda n: "k_tma" in n)
        print("tma %d %d %d %.0f %.0f" % (grid, nbox, st, hot, cold))
    sys.exit(0)
# code neither in the SM's instruction caches nor in L2: the big other kernel,
# then the 512 MB fill, before each call
if "--allcold-only" in sys.argv:
    print("# allcold kernel grid block code_bytes hot_ns allcold_ns")
    for kind in ["empty", "store", 16, 64, 256, 1024]:
        run = launcher(kind, 1, 128)
        tag = "k_code<%d" % kind if isinstance(kind, int) else "k_%s" % kind
        mine = lambda n, tag=tag, kind=kind: tag in n and (not isinstance(kind, int) or ", 0>" in n)
        for _ in range(3):
            run(); evict_code(); flush()
        torch.cuda.synchronize()
        print("allcold %s 1 128 %d %.0f %.0f" % (tag.replace("<", ""), CODE_BYTES[kind],
              median_of(run, 30, mine), median_of(lambda: (evict_code(), flush(), run()), 30, mine)))
    sys.exit(0)
if "--launch-only" in sys.argv:
    print("# launch grid block cluster smem_bytes hot_ns")
    for grid, block, cx, smem in ((4, 128, 1, 2 << 10), (4, 384, 1, 2 << 10), (4, 384, 1, 164 << 10),
                                  (4, 384, 2, 164 << 10), (4, 384, 4, 164 << 10),
                                  (96, 384, 1, 164 << 10), (96, 384, 4, 164 << 10),
                                  (132, 384, 1, 200 << 10), (132, 384, 2, 200 << 10)):
        fn = lambda: ck(lib.kc_cluster(grid, block, cx, smem, ctypes.c_void_p(out.data_ptr()), stream()))
        for _ in range(3):
            fn()
        torch.cuda.synchronize()
        print("launch %d %d %d %d %.0f" % (grid, block, cx, smem,
                                             median_of(fn, 30, lambda n: "k_store_smem" in n)))
    sys.exit(0)
for grid in (1, 132) if "--graphs-only" not in sys.argv and "--kit" not in sys.argv else ():
    for kind in kinds:
        run = launcher(kind, grid, 128)
        tag = "k_code<%d" % kind if isinstance(kind, int) else "k_%s" % kind
        mine = lambda n, tag=tag: tag in n and (not isinstance(kind, int) or ", 0>" in n)
        for _ in range(3):  # warm-up: module load, first launch
            run(); evict_code(); flush()
        torch.cuda.synchronize()
        hot = median_of(run, 30, mine)
        icold = median_of(lambda: (evict_code(), run()), 30, mine)
        cold = median_of(lambda: (flush(), run()), 30, mine)
        print("%s %d 128 %d %.0f %.0f %.0f" % (tag.replace("<", ""), grid, CODE_BYTES[kind],
                                               hot, icold, cold))
        sys.stdout.flush()


def graph_of(fns, n=64):
    g = torch.cuda.CUDAGraph()
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for i in range(n):
            fns[i % len(fns)]()
    torch.cuda.current_stream().wait_stream(s)
    with torch.cuda.graph(g):
        for i in range(n):
            fns[i % len(fns)]()
    for _ in range(3):
        g.replay()
    torch.cuda.synchronize()
    return g


def graph_stats(name, fns, n=512):
    g = graph_of(fns, n)
    ts = []
    for _ in range(20):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record(); g.replay(); b.record(); b.synchronize()
        ts.append(a.elapsed_time(b) * 1e6 / n)
    ks = kernels_of(lambda: [g.replay() for _ in range(3)])
    durs = [k["dur"] * 1000.0 for k in ks]
    gaps = [(ks[i + 1]["ts"] - ks[i]["ts"] - ks[i]["dur"]) * 1000.0 for i in range(len(ks) - 1)
            if (i + 1) % n != 0]
    print("graph %s n %d period_ns %.0f cupti_dur_ns %.0f cupti_gap_ns %.0f cupti_gap_mean_ns %.1f" % (
        name, n, statistics.median(ts), statistics.median(durs), statistics.median(gaps),
        statistics.mean(gaps)))
    print("# %s gaps (ns x count): %s" % (name, gap_steps(gaps)))
    sys.stdout.flush()


def gap_steps(gaps):
    """Every distinct gap (rounded to the ns) and how often it came."""
    c = collections.Counter(round(g) for g in gaps)
    return " ".join("%d x%d" % (g, c[g]) for g in sorted(c))


print("# graph name n period_ns (unprofiled, per kernel) cupti_dur_ns cupti_gap_ns (profiled medians) "
      "cupti_gap_mean_ns (mean gap)")
p = ctypes.c_void_p
for grid in (1, 132):
    e = launcher("empty", grid, 128); st = launcher("store", grid, 128)
    cp = lambda grid=grid: ck(lib.kc_copy(grid, 128, p(out.data_ptr()), p(out.data_ptr()), stream()))
    c256 = launcher(256, grid, 128)
    sm = lambda grid=grid: ck(lib.kc_store_smem(grid, 128, 100 << 10, p(out.data_ptr()), stream()))
    graph_stats("empty_g%d" % grid, [e])
    graph_stats("store_g%d" % grid, [st])
    if "--kit" in sys.argv:
        break
    graph_stats("copy_inplace_g%d" % grid, [cp])
    graph_stats("code256_g%d" % grid, [c256])
    graph_stats("store_smem100k_g%d" % grid, [sm])
    graph_stats("store_alt_smem100k_g%d" % grid, [st, sm])
    graph_stats("empty_alt_store_g%d" % grid, [e, st])
    for pb in (64, 512, 1024, 4096):
        fn = getattr(lib, "kc_param_%d" % pb)
        graph_stats("param%d_g%d" % (pb, grid),
                    [lambda fn=fn, grid=grid: ck(fn(grid, 128, p(out.data_ptr()), stream()))])
if "--kit" in sys.argv:
    sys.exit(0)
# PyTorch's own small kernels in a graph (no profiler-free period: short graphs
# include the launch; read the CUPTI gap)
ta, tb = torch.randn(2880, device=dev).to(torch.bfloat16), torch.randn(2880, device=dev).to(torch.bfloat16)
tw = torch.randn(4, 2880, device=dev).to(torch.bfloat16); tv = torch.randn(4, device=dev).to(torch.bfloat16)
graph_stats("torch_add_2880", [lambda: torch.add(ta, tb, out=ta)])
graph_stats("torch_mul_bcast_4x2880", [lambda: torch.mul(tw, tv.view(4, 1), out=tw)])
graph_stats("torch_add_then_mul_bcast", [lambda: torch.add(ta, tb, out=ta),
                                         lambda: torch.mul(tw, tv.view(4, 1), out=tw)])
