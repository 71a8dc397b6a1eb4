#!/usr/bin/env python3
"""kpdl.py -- what a small kernel spends outside its warps: launch shape, the
number of stores, and a programmatic dependent launch (microbench/kpdl.cu),
timed under torch.profiler (CUPTI) as the committed traces were.

  shape  k_store<W> (W words per thread) back to back, 30 calls, median CUPTI
         duration, over grids 1..132 and blocks 128..1024
  pdl    30 x [k_spin (132 x 128, ~100 us: the host queues C before k_spin
         ends), C] with C = k_store, k_wait_store (griddepcontrol.wait first)
         or k_wait_copy (then reading what the producer wrote) of 90 x 512
         threads (splitKreduce's launch), each launched with and without the
         programmatic-serialization attribute, behind k_spin (early 0), k_spin_early (1:
         lets its dependents launch at its start) or k_spin_bulk (2: ends in
         a bulk asynchronous store): median duration of C, gap from the
         end of k_spin to the start of C, and median end(C) - end(k_spin);
         the same 30 pairs captured in a CUDA graph and replayed (graph rows)

Prints "shape words grid block hot_ns" and "pdl graph early consumer attr dur_ns
gap_ns tail_ns" lines. This measures; it fits nothing.

usage: nvcc -O3 -gencode=arch=compute_90a,code=sm_90a -shared -Xcompiler -fPIC \
         -o /tmp/kpdl.so microbench/kpdl.cu && python3 microbench/kpdl.py /tmp/kpdl.so
"""
import ctypes, os, statistics, sys
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "traces", "capture"))
from cupti_kernels import kernels_of  # noqa: E402

lib = ctypes.CDLL(sys.argv[1])
dev = torch.device("cuda")
out = torch.empty(16 * 132 * 1024, dtype=torch.int32, device=dev)
spin_out = torch.empty(132 * 1024, dtype=torch.int32, device=dev)
SPIN_CYCLES = 200000


def stream():
    return ctypes.c_void_p(torch.cuda.current_stream().cuda_stream)


def ck(rc):
    assert rc == 0, "launch failed: %d" % rc


def store(words, grid, block, pdl=0):
    return lambda: ck(lib.kp_store(words, grid, block, pdl, ctypes.c_void_p(out.data_ptr()), stream()))


def wait_store(grid, block, pdl):
    return lambda: ck(lib.kp_wait_store(grid, block, pdl, ctypes.c_void_p(out.data_ptr()), stream()))


def wait_copy(grid, block, pdl):
    return lambda: ck(lib.kp_wait_copy(grid, block, pdl, ctypes.c_void_p(spin_out.data_ptr()),
                                       ctypes.c_void_p(out.data_ptr()), stream()))


def spin(early):
    ck(lib.kp_spin(132, 128, ctypes.c_longlong(SPIN_CYCLES), early, ctypes.c_void_p(spin_out.data_ptr()),
                   stream()))


def ns(e):
    return e["ts"] * 1000.0, (e["ts"] + e["dur"]) * 1000.0


print("# microbench/kpdl.py on %s (%d SMs), torch %s" % (
    torch.cuda.get_device_name(), torch.cuda.get_device_properties(0).multi_processor_count, torch.__version__))
print("# shape words grid block hot_ns (median of 30 CUPTI durations, back to back)")
for words, grid, block in ([(1, g, b) for g in (1, 4, 90, 132) for b in (128, 256, 512, 1024)] +
                           [(4, 1, 128), (16, 1, 128), (4, 90, 512), (16, 90, 512)]):
    fn = store(words, grid, block)
    for _ in range(3):
        fn()
    torch.cuda.synchronize()

    def body():
        for _ in range(30):
            fn()
    d = [e["dur"] * 1000.0 for e in kernels_of(body)]
    print("shape %d %d %d %.0f" % (words, grid, block, statistics.median(d)))

print("# pdl graph early consumer attr dur_ns gap_ns tail_ns (30 pairs [k_spin 132x128 %d cycles, "
      "consumer 90x512]; early 1: the producer triggers its dependents at its start, 2: it ends in a bulk "
      "store; medians; gap = "
      "start(consumer) - end(k_spin), tail = end(consumer) - end(k_spin))" % SPIN_CYCLES)
for name, mk in (("store", lambda pdl: store(1, 90, 512, pdl)),
                 ("wait_store", lambda pdl: wait_store(90, 512, pdl)),
                 ("wait_copy", lambda pdl: wait_copy(90, 512, pdl))):
    for early, pdl in ((0, 0), (0, 1), (1, 1), (2, 0), (2, 1)):
        cons = mk(pdl)

        def pairs():
            for _ in range(30):
                spin(early)
                cons()
        for _ in range(2):
            pairs()
        torch.cuda.synchronize()
        g = torch.cuda.CUDAGraph()
        s = torch.cuda.Stream()
        with torch.cuda.stream(s):
            with torch.cuda.graph(g, stream=s):
                pairs()
        torch.cuda.synchronize()
        for graph, run in ((0, pairs), (1, g.replay)):
            evs = kernels_of(run)
            rows = []
            for a, b in zip(evs, evs[1:]):
                if "k_spin" in a["name"] and "k_spin" not in b["name"]:
                    _, a_end = ns(a)
                    b_start, b_end = ns(b)
                    rows.append((b_end - b_start, b_start - a_end, b_end - a_end))
            assert len(rows) == 30, "%d pairs found" % len(rows)
            print("pdl %d %d %s %d %.0f %.0f %.0f" % (graph, early, name, pdl,
                                                     statistics.median(r[0] for r in rows),
                                                     statistics.median(r[1] for r in rows),
                                                     statistics.median(r[2] for r in rows)))
