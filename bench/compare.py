"""Interleaved GEMM comparison with onnxruntime: the GEMM table of bench/README.md.

For each M x K x N, in one process per thread count (so numpy's OpenBLAS and onnxruntime
see it at load), the implementations are called in alternation, round after round, and
each one's median time gives its Gop/s (2*M*K*N operations per call):

    fi fp32      kernels.linear (packed fp32 weights)
    ORT fp32     onnxruntime MatMul
    fi int8      kernels.linear_int8: per-row dynamic quantization + int8 GEMM with
                 per-channel s8 weights + dequantization, fp32 in and out, one call
    ORT int8     onnxruntime.quantization.quantize_dynamic(per_channel=True) of the same
                 MatMul (fused by onnxruntime into DynamicQuantizeMatMul)
    u8s8 core    kernels.gemm_u8s8 alone (u8 x s8 -> s32)

fastinfer runs the active ISA path (FASTINFER_ISA, or the best this CPU has), so
`FASTINFER_ISA=avx2 python bench/compare.py` gives the AVX2 column; onnxruntime always
runs its own best path for this CPU. Efficiencies are against that path's measured peaks
(bench/peaks.py) times the thread count, measured in the same process.

    python bench/compare.py                     # 1 and 2 threads, markdown to stdout
    python bench/compare.py 1 --shapes 256x1024x1024,512x4096x4096
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

SHAPES = [
    (1, 768, 3072),
    (32, 768, 3072),
    (128, 768, 768),
    (256, 1024, 1024),
    (512, 4096, 4096),
]
IMPLS = ["fi_fp32", "ort_fp32", "fi_int8", "ort_int8", "fi_u8s8"]


def measure(threads: int, shapes: list[tuple[int, int, int]], rounds: int) -> dict:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ[var] = str(threads)
    import numpy as np

    sys.path.insert(0, os.path.dirname(__file__))
    import fastinfer
    from fastinfer import _core, kernels
    from onnx_models import dynamic_int8_session, fp32_session
    from peaks import peaks_for

    fastinfer.set_num_threads(threads)
    isa = _core.active_isa()
    results = {
        "threads": threads,
        "isa": isa,
        "cpu": fastinfer.cpu_info(),
        "kernels": fastinfer.kernel_configs(),
        "shapes": [],
    }
    peaks_before = peaks_for(isa)
    for m, k, n in shapes:
        rng = np.random.default_rng(0)
        x = rng.standard_normal((m, k)).astype(np.float32)
        w = (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32)
        a = rng.integers(0, 256, size=(m, k), dtype=np.uint8)
        p8, p32 = kernels.pack_int8(w), kernels.pack(w)
        s8, s32 = dynamic_int8_session(w, threads), fp32_session(w, threads)
        feed = {"x": x}
        impls = {
            "fi_fp32": lambda x=x, p32=p32: kernels.linear(x, p32),
            "ort_fp32": lambda s32=s32, feed=feed: s32.run(None, feed),
            "fi_int8": lambda x=x, p8=p8: kernels.linear_int8(x, p8),
            "ort_int8": lambda s8=s8, feed=feed: s8.run(None, feed),
            "fi_u8s8": lambda a=a, p8=p8: kernels.gemm_u8s8(a, p8),
        }
        macs = m * k * n
        # Blocks of about 0.1-0.4 s of work per call site, so timer and sleep noise vanish.
        reps = max(1, int(1e9 / macs))
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
            {"shape": [m, k, n], "gops": {name: 2 * macs / t / 1e9 for name, t in med.items()}}
        )
    # Peaks before and after the timings: the clock of a shared machine drifts; the mean is
    # the fairer denominator and the spread says how much it moved.
    peaks_after = peaks_for(isa)
    results["peaks"] = {
        kind: None
        if peaks_before[kind] is None
        else {"before": peaks_before[kind], "after": peaks_after[kind]}
        for kind in peaks_before
    }
    return results


def _mean_peak(res: dict, kind: str) -> float | None:
    p = res["peaks"][kind]
    return None if p is None else (p["before"] + p["after"]) / 2


def _eff(gops: float, peak: float | None, threads: int) -> str:
    return "n/a" if peak is None else f"{gops / (peak * threads):.0%}"


def table(res: dict) -> str:
    t = res["threads"]
    fp32_peak, int8_peak = _mean_peak(res, "fp32"), _mean_peak(res, "int8")
    lines = [
        f"### {res['isa']}, {t} thread{'s' if t > 1 else ''}",
        "",
        "| M x K x N | fi fp32 | ORT fp32 | fp32 fi/ORT | fi fp32 eff | fi int8 | ORT int8 "
        "| int8 fi/ORT | fi int8 eff | u8s8 core | core eff |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in res["shapes"]:
        m, k, n = s["shape"]
        g = s["gops"]
        lines.append(
            f"| {m}x{k}x{n} | {g['fi_fp32']:.0f} | {g['ort_fp32']:.0f} "
            f"| {g['fi_fp32'] / g['ort_fp32']:.2f}x | {_eff(g['fi_fp32'], fp32_peak, t)} "
            f"| {g['fi_int8']:.0f} | {g['ort_int8']:.0f} | {g['fi_int8'] / g['ort_int8']:.2f}x "
            f"| {_eff(g['fi_int8'], int8_peak, t)} | {g['fi_u8s8']:.0f} "
            f"| {_eff(g['fi_u8s8'], int8_peak, t)} |"
        )
    peak_words = []
    for kind, unit in (("fp32", "Gflop/s"), ("int8", "Gop/s")):
        p = res["peaks"][kind]
        if p is None:
            peak_words.append(f"{kind} peak: no loop for this path")
        else:
            peak_words.append(
                f"{kind} peak {(p['before'] + p['after']) / 2:.0f} {unit} per core "
                f"(before {p['before']:.0f}, after {p['after']:.0f})"
            )
    kern = res["kernels"]
    lines += [
        "",
        "Gop/s from median times; eff = Gop/s / (peak x threads). "
        + "; ".join(peak_words)
        + f". Kernels: {kern.get('gemm_f32')}, {kern.get('gemm_u8s8')}.",
    ]
    return "\n".join(lines)


def parse_shapes(text: str) -> list[tuple[int, int, int]]:
    shapes = []
    for item in text.split(","):
        m, k, n = (int(v) for v in item.lower().split("x"))
        shapes.append((m, k, n))
    return shapes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("threads", nargs="*", type=int, default=[1, 2])
    parser.add_argument("--shapes", type=parse_shapes, default=SHAPES, help="MxKxN,...")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds per shape")
    parser.add_argument("--json", action="store_true", help="print raw results as JSON too")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.threads[0], args.shapes, args.rounds)))
        return 0
    shapes_arg = ",".join(f"{m}x{k}x{n}" for m, k, n in args.shapes)
    for i, t in enumerate(args.threads):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(t), "--shapes", shapes_arg]
            + ["--rounds", str(args.rounds)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        res = json.loads(out.strip().splitlines()[-1])
        if i == 0:
            cpu = res["cpu"]
            print(f"CPU: {cpu['brand']} ({cpu['vendor']}), fastinfer path {res['isa']}\n")
        print(table(res) + "\n")
        if args.json:
            print("```json\n" + json.dumps(res) + "\n```\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
