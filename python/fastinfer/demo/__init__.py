"""The README's first command (``python -m fastinfer``): pack weights, run the int8 and
fp32 kernels against numpy and print speed and error (kernels_demo.py); then train a small
MLP, export it to ONNX, load it with fastinfer and compare it with onnxruntime
(model_demo.py)."""

from __future__ import annotations

import argparse

from .. import runtime
from .kernels_demo import run_kernels_demo
from .model_demo import run_model_demo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastinfer", description=__doc__)
    parser.add_argument("--threads", type=int, default=None, help="intra-op threads")
    args = parser.parse_args(argv)
    if args.threads is not None:
        runtime.set_num_threads(args.threads)
    info = runtime.cpu_info()
    print(
        f"fastinfer on {info['brand'] or info['vendor']}: isa={info['isa']}, "
        f"threads={info['num_threads']}"
    )
    run_kernels_demo()
    run_model_demo()
    return 0
