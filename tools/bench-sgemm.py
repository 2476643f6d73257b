#!/usr/bin/python3
"""OpenBLAS sgemm (through torch.mm) at given shapes: the reference `make bench` holds the dense
kernels of targetprop.h against. Used by examples/bench.c.

    /usr/bin/python3 tools/bench-sgemm.py THREADS TA,TB,M,N,K[,ACC] [...]

Prints one line per shape: the median GFLOP/s of 5 repetitions of about 0.1 s each.
C[M,N] = op(A) op(B), op(X) = X^T when its flag is 1: a transposed operand is a transposed
view, which torch hands to BLAS as a transpose flag (no copy), as targetprop.h's tp_gemm gets it.
ACC 1 adds the product to C (sgemm's beta = 1, as tp_gemm's accumulate does for dW +=).
"""
import os
import sys

threads = int(sys.argv[1])
os.environ["OMP_NUM_THREADS"] = os.environ["OPENBLAS_NUM_THREADS"] = str(threads)
import time  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(threads)
torch.manual_seed(0)
for spec in sys.argv[2:]:
    ta, tb, m, n, k, acc = ([int(v) for v in spec.split(",")] + [0])[:6]
    a = torch.rand(k, m).t() if ta else torch.rand(m, k)
    b = torch.rand(n, k).t() if tb else torch.rand(k, n)
    c = torch.zeros(m, n)
    def mm():
        if acc:
            c.addmm_(a, b)
        else:
            torch.mm(a, b, out=c)

    for _ in range(3):
        mm()
    t0 = time.perf_counter()
    mm()
    one = max(time.perf_counter() - t0, 1e-7)
    iters = max(1, int(0.1 / one))
    rates = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(iters):
            mm()
        rates.append(2.0 * m * n * k * iters / (time.perf_counter() - t0) / 1e9)
    rates.sort()
    print("%.2f" % rates[2], flush=True)
