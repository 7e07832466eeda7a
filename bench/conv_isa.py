"""Conv layers and CNNs on each kernel path against onnxruntime, as markdown.

    PYTHONPATH=python python bench/conv_isa.py layers [threads ...] [--isas avx2,avx512]
        [--layers SUBSTRING,...]
    HF_HUB_OFFLINE=1 PYTHONPATH=python python bench/conv_isa.py models [threads ...]
        [--isas avx2,avx512] [--models resnet,mobilenet-v2,convnext,efficientnet]

`layers`: typical layers (ResNet 3x3 stride 1 and 2, 1x1, the 7x7 stem, MobileNetV2
depthwise 3x3 stride 1 and 2, ConvNeXt depthwise 7x7; Conv + bias + Relu, 224-px
geometry) as one-node models, batch 1. Per path: fastinfer's Gflop/s, its share of that
path's single-thread FMA peak times the threads (ymm for AVX2, zmm for AVX-512, measured in
the same process) and onnxruntime's time over fastinfer's (> 1: fastinfer is faster).

`models`: the CNNs of the zoo (tests/zoo.py; TorchScript export, opset 17) at batch 1 and 8.

Each path runs in its own process (FASTINFER_ISA), which imports no torch and calls the two
libraries in alternating blocks (bench/compare_models.py's interleaved_medians); the
figures are medians. onnxruntime always runs its best path (AVX-512 on an AVX-512 CPU), so
the AVX2 rows compare fastinfer's AVX2 kernels with onnxruntime's AVX-512 ones.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(os.path.dirname(HERE), "tests")
sys.path[:0] = [HERE, TESTS]

ISAS = ["avx2", "avx512"]
CNNS = ["resnet", "mobilenet-v2", "convnext", "efficientnet"]
BATCHES = [1, 8]
PEAK_KIND = {"avx2": "fp32_fma_ymm", "avx512": "fp32_fma", "scalar": "fp32_fma_ymm"}

# name -> (channels in, channels out, input size, kernel, stride, group)
LAYERS = {
    "resnet stem 7x7 s2 3->64 @224": (3, 64, 224, 7, 2, 1),
    "resnet 3x3 s1 64 @56": (64, 64, 56, 3, 1, 1),
    "resnet 3x3 s1 128 @28": (128, 128, 28, 3, 1, 1),
    "resnet 3x3 s1 256 @14": (256, 256, 14, 3, 1, 1),
    "resnet 3x3 s2 128 @56->28": (128, 128, 56, 3, 2, 1),
    "resnet 1x1 256->64 @56": (256, 64, 56, 1, 1, 1),
    "resnet 1x1 512->2048 @7": (512, 2048, 7, 1, 1, 1),
    "resnet-50 1x1 1024->256 @14": (1024, 256, 14, 1, 1, 1),
    "resnet-50 1x1 256->1024 @14": (256, 1024, 14, 1, 1, 1),
    "resnet-50 1x1 512->128 @28": (512, 128, 28, 1, 1, 1),
    "resnet-50 1x1 2048->512 @7": (2048, 512, 7, 1, 1, 1),
    "resnet-50 3x3 s2 256 @28->14": (256, 256, 28, 3, 2, 1),
    "mobilenet-v2 dw 3x3 s1 144 @56": (144, 144, 56, 3, 1, 144),
    "mobilenet-v2 dw 3x3 s1 384 @14": (384, 384, 14, 3, 1, 384),
    "mobilenet-v2 dw 3x3 s2 96 @112->56": (96, 96, 112, 3, 2, 96),
    "mobilenet-v2 dw 3x3 s2 144 @56->28": (144, 144, 56, 3, 2, 144),
    "mobilenet-v2 dw 3x3 s1 960 @7": (960, 960, 7, 3, 1, 960),
    "convnext dw 7x7 s1 96 @56": (96, 96, 56, 7, 1, 96),
    "convnext dw 7x7 s1 384 @14": (384, 384, 14, 7, 1, 384),
}


def layer_model(cin: int, cout: int, size: int, k: int, stride: int, group: int):
    """Conv (pads k // 2) + bias + Relu as an ONNX model, random weights from seed 0."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    w = rng.standard_normal((cout, cin // group, k, k)).astype(np.float32) * 0.1
    b = rng.standard_normal(cout).astype(np.float32)
    p = k // 2
    nodes = [
        helper.make_node(
            "Conv", ["x", "w", "b"], ["c"], kernel_shape=[k, k], strides=[stride, stride],
            pads=[p, p, p, p], group=group,
        ),
        helper.make_node("Relu", ["c"], ["y"]),
    ]  # fmt: skip
    out = (size + 2 * p - k) // stride + 1
    graph = helper.make_graph(
        nodes,
        "layer",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, cin, size, size])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, cout, out, out])],
        initializer=[numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    flops = 2 * cout * out * out * (cin // group) * k * k
    return model, flops


def ort_runner(model_or_path, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    src = model_or_path if isinstance(model_or_path, str) else model_or_path.SerializeToString()
    sess = ort.InferenceSession(src, opts, providers=["CPUExecutionProvider"])
    return lambda feeds: sess.run(None, feeds)[0]


def fi_runner(model_or_path, threads: int):
    import fastinfer

    model = fastinfer.load(model_or_path, backend="native", num_threads=threads)
    return lambda feeds: next(iter(model.run(feeds).values()))


def child_layers(threads: int, only: list[str]) -> dict:
    from compare_models import interleaved_medians, set_threads_env

    set_threads_env(threads)
    import numpy as np

    import fastinfer
    from fastinfer import _core

    isa = _core.active_isa()
    peak = _core._measure_peak(PEAK_KIND.get(isa, "fp32_fma_ymm"), 30_000_000) * threads
    rows = []
    for name, geo in LAYERS.items():
        if not any(m in name for m in only):
            continue
        model, flops = layer_model(*geo)
        x = np.random.default_rng(1).standard_normal((1, geo[0], geo[2], geo[2]))
        feeds = {"x": x.astype(np.float32)}
        runners = {
            "fastinfer": fi_runner(model, threads),
            "onnxruntime": ort_runner(model, threads),
        }
        want, got = runners["onnxruntime"](feeds), runners["fastinfer"](feeds)
        err = float(np.max(np.abs(got - want)) / max(float(np.max(np.abs(want))), 1e-30))
        med = interleaved_medians(runners, feeds, threads)
        rows.append({"layer": name, "flops": flops, "median_s": med, "max_rel_err": err})
    return {"isa": isa, "threads": threads, "peak": peak, "cpu": fastinfer.cpu_info(), "rows": rows}


def child_models(paths: dict[str, str], threads: int) -> dict:
    from compare_models import interleaved_medians, set_threads_env

    set_threads_env(threads)
    import numpy as np

    import zoo
    from fastinfer import _core

    rows = []
    for name, path in paths.items():
        for batch in BATCHES:
            feeds = zoo.ZOO[name].feeds(batch, 0)
            runners = {
                "fastinfer": fi_runner(path, threads),
                "onnxruntime": ort_runner(path, threads),
            }
            want, got = runners["onnxruntime"](feeds), runners["fastinfer"](feeds)
            err = float(np.max(np.abs(got - want)) / max(float(np.max(np.abs(want))), 1e-30))
            med = interleaved_medians(runners, feeds, threads)
            rows.append({"model": name, "batch": batch, "median_s": med, "max_rel_err": err})
    return {"isa": _core.active_isa(), "threads": threads, "rows": rows}


def run_child(isa: str, *args: str) -> dict:
    env = {**os.environ, "FASTINFER_ISA": isa}
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True, env=env
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def layers_table(results: list[dict]) -> str:
    t = results[0]["threads"]
    head = "| layer | MFLOP |" + "".join(
        f" {r['isa']} Gflop/s | {r['isa']} % peak | ORT/fi ({r['isa']}) |" for r in results
    )
    lines = [
        f"### {t} thread{'s' if t > 1 else ''}",
        "",
        head,
        "|---|---|" + "---|---|---|" * len(results),
    ]
    for i, first in enumerate(results[0]["rows"]):
        row = f"| {first['layer']} | {first['flops'] / 1e6:.0f} |"
        for r in results:
            x = r["rows"][i]
            fi, ort = x["median_s"]["fastinfer"], x["median_s"]["onnxruntime"]
            gf = x["flops"] / fi
            row += f" {gf / 1e9:.1f} | {100 * gf / r['peak']:.0f}% | {ort / fi:.2f}x |"
        lines.append(row)
    peaks = ", ".join(f"{r['isa']} {r['peak'] / 1e9:.0f} Gflop/s" for r in results)
    return "\n".join(lines + ["", f"Peaks ({PEAK_KIND['avx2']} for avx2, x threads): {peaks}"])


def models_table(results: list[dict]) -> str:
    t = results[0]["threads"]
    head = "| model | batch |" + "".join(
        f" fi {r['isa']} ms | ORT ms | ORT/fi ({r['isa']}) | err |" for r in results
    )
    lines = [
        f"### {t} thread{'s' if t > 1 else ''}",
        "",
        head,
        "|---|---|" + "---|---|---|---|" * len(results),
    ]
    for i, x0 in enumerate(results[0]["rows"]):
        row = f"| {x0['model']} | {x0['batch']} |"
        for r in results:
            x = r["rows"][i]
            fi, ort = x["median_s"]["fastinfer"], x["median_s"]["onnxruntime"]
            row += f" {fi * 1e3:.3f} | {ort * 1e3:.3f} | {ort / fi:.2f}x | {x['max_rel_err']:.0e} |"
        lines.append(row)
    return "\n".join(lines)


def take(args: list[str], flag: str, default: list[str]) -> list[str]:
    if flag not in args:
        return default
    i = args.index(flag)
    value = args[i + 1].split(",")
    del args[i : i + 2]
    return value


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == ["--layers-child"]:
        print(json.dumps(child_layers(int(args[1]), args[2].split("|"))))
        return 0
    if args[:1] == ["--models-child"]:
        print(json.dumps(child_models(json.loads(args[1]), int(args[2]))))
        return 0
    mode = args.pop(0) if args else "layers"
    isas = take(args, "--isas", ISAS)
    models = take(args, "--models", CNNS)
    only = take(args, "--layers", [""])
    threads = [int(a) for a in args] or [1, 2]
    if mode == "layers":
        for t in threads:
            results = [run_child(isa, "--layers-child", str(t), "|".join(only)) for isa in isas]
            if t == threads[0]:
                cpu = results[0]["cpu"]
                print(f"CPU: {cpu['brand']} ({cpu['vendor']})\n")
            print(layers_table(results) + "\n", flush=True)
        return 0
    import zoo

    with tempfile.TemporaryDirectory() as tmp:
        cache = zoo.ExportCache(tmp)
        paths = {m: str(cache.path(m, "torchscript", 17)) for m in models}
        for t in threads:
            results = [run_child(isa, "--models-child", json.dumps(paths), str(t)) for isa in isas]
            print(models_table(results) + "\n", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
