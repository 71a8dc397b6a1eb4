# Host time per eager PyTorch op (small tensors) and device period per op.
import torch, time
x = torch.ones(1024, device='cuda'); y = torch.ones(1024, device='cuda')
for _ in range(2000): z = torch.add(x, y)
torch.cuda.synchronize()
for rep in range(3):
    n = 20000; e0 = torch.cuda.Event(enable_timing=True); e1 = torch.cuda.Event(enable_timing=True)
    e0.record(); t0 = time.perf_counter()
    for _ in range(n): z = torch.add(x, y)
    t1 = time.perf_counter(); e1.record(); torch.cuda.synchronize()
    print(f"torch.add eager: host {(t1-t0)/n*1e6:.2f} us/op, device {e0.elapsed_time(e1)/n*1e6:.0f} ns/op")
    n = 20000; t0 = time.perf_counter()
    for _ in range(n): z = torch.mm(x.view(32,32), y.view(32,32))
    t1 = time.perf_counter(); torch.cuda.synchronize()
    print(f"torch.mm 32x32 eager: host {(t1-t0)/n*1e6:.2f} us/op")
