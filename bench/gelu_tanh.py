"""GPT-2's MLP up-projection, x @ W + b then gelu_new (the tanh GELU as the exporters write
it: Pow, Mul, Add, Tanh, Mul), timed against onnxruntime on the same ONNX file, on every
kernel path of this CPU; and the Gelu(approximate="tanh") op alone.

    PYTHONPATH=python python bench/gelu_tanh.py [threads]

fastinfer fuses the subgraph into the linear layer's epilogue (activation "gelu_tanh");
"linear only" is the same layer without the GELU, to show what the epilogue costs. Medians
of interleaved blocks (compare_models.interleaved_medians); ratios < 1: fastinfer is faster.
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

import fastinfer
from fastinfer import _core

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_models import interleaved_medians  # noqa: E402

F = onnx.TensorProto.FLOAT


def gelu_new_nodes(x: str, y: str) -> list:
    """0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), node for node as torch exports it."""
    mk = helper.make_node
    return [
        mk("Pow", [x, "three"], ["cube"]),
        mk("Mul", ["cube", "k"], ["kc"]),
        mk("Add", [x, "kc"], ["inner"]),
        mk("Mul", ["inner", "c"], ["u"]),
        mk("Tanh", ["u"], ["t"]),
        mk("Add", ["t", "one"], ["t1"]),
        mk("Mul", [x, "t1"], ["xt"]),
        mk("Mul", ["xt", "half"], [y]),
    ]


def mlp_model(k: int, n: int, gelu: bool, rng: np.random.Generator) -> onnx.ModelProto:
    w = (rng.standard_normal((k, n)) / math.sqrt(k)).astype(np.float32)
    b = (rng.standard_normal(n) * 0.1).astype(np.float32)
    consts = {"W": w, "b": b}
    nodes = [helper.make_node("MatMul", ["x", "W"], ["xw"])]
    if gelu:
        nodes.append(helper.make_node("Add", ["xw", "b"], ["h"]))
        nodes += gelu_new_nodes("h", "y")
        scalars = {"three": 3.0, "k": 0.044715, "c": math.sqrt(2 / math.pi), "one": 1.0}
        consts |= {name: np.array(v, np.float32) for name, v in {**scalars, "half": 0.5}.items()}
    else:
        nodes.append(helper.make_node("Add", ["xw", "b"], ["y"]))
    graph = helper.make_graph(
        nodes,
        "mlp",
        [helper.make_tensor_value_info("x", F, ["m", k])],
        [helper.make_tensor_value_info("y", F, ["m", n])],
        [numpy_helper.from_array(v, name) for name, v in consts.items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def gelu_op_model(n: int) -> onnx.ModelProto:
    graph = helper.make_graph(
        [helper.make_node("Gelu", ["x"], ["y"], approximate="tanh")],
        "gelu",
        [helper.make_tensor_value_info("x", F, ["m", n])],
        [helper.make_tensor_value_info("y", F, ["m", n])],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])


def ort_session(model: onnx.ModelProto, threads: int) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def main() -> None:
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    rng = np.random.default_rng(0)
    fastinfer.set_num_threads(threads)
    k, n = 768, 3072
    mlp, linear_only, gelu_op = mlp_model(k, n, True, rng), mlp_model(k, n, False, rng), None
    gelu_op = gelu_op_model(n)
    sessions = {name: ort_session(m, threads) for name, m in [("mlp", mlp), ("gelu", gelu_op)]}
    print(
        f"CPU paths {_core.supported_isas()}, {threads} thread(s); onnxruntime "
        f"{ort.__version__} on its own best path. ms, and fastinfer / onnxruntime.\n"
    )
    print(
        "| path | rows | MLP fastinfer | MLP onnxruntime | ratio | linear only (fastinfer) "
        "| Gelu op fastinfer | Gelu op onnxruntime | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    original = _core.active_isa()
    try:
        for isa in _core.supported_isas():
            _core._force_isa(isa)
            fi = {
                name: fastinfer.load(m, backend="native")
                for name, m in [("mlp", mlp), ("lin", linear_only), ("gelu", gelu_op)]
            }
            assert [nd.op_type for nd in fi["mlp"].graph.nodes] == ["FusedLinear"]
            for m in (1, 128):
                x = rng.standard_normal((m, k)).astype(np.float32)
                h = (rng.standard_normal((m, n)) * 3).astype(np.float32)
                want = sessions["mlp"].run(None, {"x": x})[0]
                np.testing.assert_allclose(fi["mlp"].run({"x": x})["y"], want, atol=2e-5)
                t = interleaved_medians({
                    "fi": fi["mlp"].run,
                    "onnxruntime": lambda f: sessions["mlp"].run(None, f),
                    "lin": fi["lin"].run,
                }, {"x": x}, threads)  # fmt: skip
                g = interleaved_medians({
                    "fi": fi["gelu"].run,
                    "onnxruntime": lambda f: sessions["gelu"].run(None, f),
                }, {"x": h}, threads)  # fmt: skip
                t |= {"gfi": g["fi"], "gort": g["onnxruntime"], "ort": t["onnxruntime"]}
                print(
                    f"| {isa} | {m} | {t['fi'] * 1e3:.3f} | {t['ort'] * 1e3:.3f} | "
                    f"{t['fi'] / t['ort']:.2f} | {t['lin'] * 1e3:.3f} | {t['gfi'] * 1e3:.3f} | "
                    f"{t['gort'] * 1e3:.3f} | {t['gfi'] / t['gort']:.2f} |"
                )
    finally:
        _core._force_isa(original)


if __name__ == "__main__":
    main()
