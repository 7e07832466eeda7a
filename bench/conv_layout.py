"""The full-size CNNs with the channel-blocked conv layout on and off, against onnxruntime.

    HF_HUB_OFFLINE=1 PYTHONPATH=python python bench/conv_layout.py THREADS BATCH \\
        [--models resnet-50,mobilenet-v2-1.0] [--cache DIR] [--reps 8]

One process per call (set FASTINFER_ISA to force a path): two fastinfer models of the same
export, one compiled with FASTINFER_CONV_LAYOUT=nchw, and an onnxruntime session, timed in
alternation; the figures are the minimum of `reps` rounds (this shared machine drifts, so
only ratios within one run are compared). Prints ms and onnxruntime's time over each
(> 1: faster than onnxruntime), and the largest difference from onnxruntime's output.
Run it in a process that has not run torch: exports are made by a child process.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(os.path.dirname(HERE), "tests")
sys.path[:0] = [HERE, TESTS]


def export_paths(names: list[str], cache: str) -> dict[str, str]:
    """Exports (TorchScript, opset 17) made in a child, so this process never imports torch."""
    code = (
        "import sys, zoo, zoo_full; from pathlib import Path; zoo_full.register();"
        "c = zoo.ExportCache(Path(sys.argv[1]));"
        "[print(c.path(n, 'torchscript', 17)) for n in sys.argv[2:]]"
    )
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([HERE, TESTS, os.environ.get("PYTHONPATH", "")])
    )
    out = subprocess.run([sys.executable, "-c", code, cache, *names], env=env, check=True,
                         capture_output=True, text=True).stdout.split()  # fmt: skip
    return dict(zip(names, out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("threads", type=int)
    ap.add_argument("batch", type=int)
    ap.add_argument("--models", default="resnet-50,mobilenet-v2-1.0")
    ap.add_argument("--cache", default=None)
    ap.add_argument("--reps", type=int, default=8)
    args = ap.parse_args()
    cache = args.cache or tempfile.mkdtemp(prefix="fastinfer-zoo-")
    paths = export_paths(args.models.split(","), cache)

    import numpy as np
    import onnxruntime as ort

    import fastinfer

    x = np.random.default_rng(0).standard_normal((args.batch, 3, 224, 224)).astype(np.float32)
    feeds = {"pixel_values": x}
    print(f"CPU: {fastinfer.cpu_info()}, path {fastinfer._core.active_isa()}")
    print("| model | threads | batch | NCHW ms | blocked ms | onnxruntime ms | ORT/NCHW "
          "| ORT/blocked |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for name, path in paths.items():
        models = {}
        for layout in ("nchw", "blocked"):
            os.environ["FASTINFER_CONV_LAYOUT"] = layout
            models[layout] = fastinfer.load(path, backend="native", num_threads=args.threads)
            models[layout].run(feeds)  # compiles the plan with this layout
        os.environ.pop("FASTINFER_CONV_LAYOUT")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = args.threads
        opts.inter_op_num_threads = 1
        sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        (want,) = sess.run(None, feeds)
        runs = {k: (lambda m=m: next(iter(m.run(feeds).values()))) for k, m in models.items()}
        runs["ort"] = lambda s=sess: s.run(None, feeds)[0]
        for k in models:
            err = float(np.abs(runs[k]() - want).max())
            assert err <= 1e-3 * max(float(np.abs(want).max()), 1.0), (name, k, err)
        best = dict.fromkeys(runs, float("inf"))
        for _ in range(args.reps):
            for k, f in runs.items():
                t = time.perf_counter()
                f()
                best[k] = min(best[k], time.perf_counter() - t)
        ms = {k: v * 1e3 for k, v in best.items()}
        cells = [name, args.threads, args.batch] + [
            f"{ms[k]:.1f}" for k in ("nchw", "blocked", "ort")
        ]
        cells += [f"{ms['ort'] / ms[k]:.2f}" for k in ("nchw", "blocked")]
        print("| " + " | ".join(str(c) for c in cells) + " |")


if __name__ == "__main__":
    main()
