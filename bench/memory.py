"""Peak memory of each GEMM implementation at one shape, each in its own process.

    python bench/memory.py [M K N]

Prints, per implementation, the peak RSS growth (VmHWM after five calls minus VmRSS
before building anything, with numpy, onnxruntime and fastinfer imported and the fp32
input and weights in memory): what each needs on top of the user's arrays, i.e. its own
copy of the weights, workspace and outputs. Inputs are drawn directly as float32 so no
freed temporary inflates the high-water mark before the measurement.
"""

from __future__ import annotations

import json
import subprocess
import sys

IMPLS = ["fi_int8", "ort_int8", "fi_fp32", "ort_fp32", "numpy_fp32"]


def status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def child(impl: str, m: int, k: int, n: int) -> dict:
    import os

    import numpy as np

    sys.path.insert(0, os.path.dirname(__file__))
    import fastinfer
    from fastinfer import kernels, memory
    from onnx_models import dynamic_int8_session, fp32_session

    fastinfer.set_num_threads(1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((m, k), dtype=np.float32)
    w = rng.standard_normal((k, n), dtype=np.float32)
    w /= np.sqrt(k)
    base = status_kib("VmRSS")
    weight_bytes = w.nbytes
    if impl == "fi_int8":
        p = kernels.pack_int8(w)
        weight_bytes = p.nbytes
        for _ in range(5):
            y = kernels.linear_int8(x, p)
    elif impl == "fi_fp32":
        p = kernels.pack(w)
        weight_bytes = p.nbytes
        for _ in range(5):
            y = kernels.linear(x, p)
    elif impl in ("ort_int8", "ort_fp32"):
        s = dynamic_int8_session(w, 1) if impl == "ort_int8" else fp32_session(w, 1)
        weight_bytes = w.nbytes // 4 if impl == "ort_int8" else w.nbytes
        for _ in range(5):
            y = s.run(None, {"x": x})[0]
    else:
        for _ in range(5):
            y = x @ w
    assert y.shape == (m, n)
    peak = status_kib("VmHWM")
    return {
        "impl": impl,
        "peak_rss_growth_mib": (peak - base) / 1024,
        "weight_mib": weight_bytes / 2**20,
        "pool": memory.stats(),
    }


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        impl, m, k, n = sys.argv[2], *map(int, sys.argv[3:6])
        print(json.dumps(child(impl, m, k, n)))
        return 0
    m, k, n = (int(v) for v in sys.argv[1:4]) if len(sys.argv) == 4 else (512, 4096, 4096)
    print(f"peak memory at {m}x{k}x{n}, 1 thread\n")
    print("| implementation | weights as held (MiB) | peak RSS growth (MiB) |")
    print("|---|---|---|")
    for impl in IMPLS:
        out = subprocess.run(
            [sys.executable, __file__, "--child", impl, str(m), str(k), str(n)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"| {impl} | {r['weight_mib']:.1f} | {r['peak_rss_growth_mib']:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
