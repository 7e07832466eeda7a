"""Interleaved comparison that writes the ratio tables of bench/README.md.

pytest-benchmark (test_bench_*.py) gives the per-library statistics; this script answers
"how much faster, in the same run" robustly on a noisy shared machine: the implementations
of one shape are called in alternation, round after round, and the ratio of their medians
is reported. Each thread count runs in its own process so numpy's OpenBLAS sees it at load.

    python bench/compare.py                 # 1 and 2 threads, markdown to stdout
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

SHAPES = [
    (1, 768, 768),
    (1, 768, 3072),
    (32, 768, 3072),
    (128, 768, 768),
    (256, 1024, 1024),
    (512, 4096, 4096),
]


def measure(threads: int) -> dict:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ[var] = str(threads)
    import numpy as np

    sys.path.insert(0, os.path.dirname(__file__))
    import fastinfer
    from fastinfer import _core, kernels
    from onnx_models import dynamic_int8_session, fp32_session

    fastinfer.set_num_threads(threads)
    results = {"threads": threads, "cpu": fastinfer.cpu_info(), "shapes": []}
    if "avx512_vnni" in _core.supported_isas():
        results["int8_peak_gops_1t"] = _core._measure_peak("int8_vnni", 30_000_000) / 1e9
        results["fp32_peak_gflops_1t"] = _core._measure_peak("fp32_fma", 30_000_000) / 1e9
    for m, k, n in SHAPES:
        rng = np.random.default_rng(0)
        x = rng.standard_normal((m, k)).astype(np.float32)
        w = (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32)
        a = rng.integers(0, 256, size=(m, k), dtype=np.uint8)
        p8, p32 = kernels.pack_int8(w), kernels.pack(w)
        s8, s32 = dynamic_int8_session(w, threads), fp32_session(w, threads)
        feed = {"x": x}
        impls = {
            "fi_int8": lambda x=x, p8=p8: kernels.linear_int8(x, p8),
            "ort_int8": lambda s8=s8, feed=feed: s8.run(None, feed),
            "fi_fp32": lambda x=x, p32=p32: kernels.linear(x, p32),
            "ort_fp32": lambda s32=s32, feed=feed: s32.run(None, feed),
            "numpy_fp32": lambda x=x, w=w: np.matmul(x, w),
            "fi_core_u8s8": lambda a=a, p8=p8: kernels.gemm_u8s8(a, p8),
        }
        macs = m * k * n
        reps = max(1, int(2e9 / macs))
        rounds = 5 if macs >= 1 << 32 else 9
        times: dict[str, list[float]] = {name: [] for name in impls}
        for fn in impls.values():
            fn()
        for _ in range(rounds):
            for name, fn in impls.items():
                # Every library's idle workers spin for a while after a call (onnxruntime,
                # OpenBLAS, ours); on 2 cores they would steal the next library's second
                # core, so let them go to sleep between blocks.
                if threads > 1:
                    time.sleep(0.05)
                fn()
                start = time.perf_counter()
                for _ in range(reps):
                    fn()
                times[name].append((time.perf_counter() - start) / reps)
        med = {name: sorted(t)[len(t) // 2] for name, t in times.items()}
        results["shapes"].append(
            {
                "shape": [m, k, n],
                "median_s": med,
                "min_s": {name: min(t) for name, t in times.items()},
            }
        )
    return results


def table(res: dict) -> str:
    t = res["threads"]
    lines = [
        f"### {t} thread{'s' if t > 1 else ''}",
        "",
        "| M x K x N | fi int8 us | int8 vs ORT dyn-quant | fi fp32 us | fp32 vs ORT | "
        "fp32 vs numpy | u8s8 core Gop/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in res["shapes"]:
        m, k, n = s["shape"]
        md = s["median_s"]
        gops = 2 * m * k * n / s["min_s"]["fi_core_u8s8"] / 1e9
        lines.append(
            f"| {m}x{k}x{n} | {md['fi_int8'] * 1e6:.1f} | {md['ort_int8'] / md['fi_int8']:.2f}x | "
            f"{md['fi_fp32'] * 1e6:.1f} | {md['ort_fp32'] / md['fi_fp32']:.2f}x | "
            f"{md['numpy_fp32'] / md['fi_fp32']:.2f}x | {gops:.0f} |"
        )
    if "int8_peak_gops_1t" in res:
        peak = res["int8_peak_gops_1t"] * t
        big = res["shapes"][-1]
        m, k, n = big["shape"]
        got = 2 * m * k * n / big["min_s"]["fi_core_u8s8"] / 1e9
        lines += [
            "",
            f"int8 peak (vpdpbusd loop) {res['int8_peak_gops_1t']:.0f} Gop/s per core; "
            f"u8s8 core at 512x4096x4096: {got:.0f} Gop/s = {got / peak:.0%} of "
            f"{t} core{'s' if t > 1 else ''}' peak. fp32 peak (FMA loop) "
            f"{res['fp32_peak_gflops_1t']:.0f} Gflop/s per core.",
        ]
    return "\n".join(lines)


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(measure(int(sys.argv[2]))))
        return 0
    threads = [int(a) for a in sys.argv[1:]] or [1, 2]
    for t in threads:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(t)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        res = json.loads(out.strip().splitlines()[-1])
        if t == threads[0]:
            cpu = res["cpu"]
            print(f"CPU: {cpu['brand']} ({cpu['vendor']}), isa {cpu['isa']}\n")
        print(table(res) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
