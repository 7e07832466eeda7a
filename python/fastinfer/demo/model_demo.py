"""The model half of the demo: train a small MLP with numpy on synthetic data, export it
to ONNX on the spot, load it with fastinfer, check it against onnxruntime and time both."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .timing import best_time

FEATURES, HIDDEN, CLASSES = 64, 256, 10


def make_data(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs: one centre per class, noise of the same scale as the spacing."""
    centres = np.random.default_rng(7).standard_normal((CLASSES, FEATURES)).astype(np.float32)
    labels = rng.integers(0, CLASSES, size=n)
    x = centres[labels] + 2.5 * rng.standard_normal((n, FEATURES)).astype(np.float32)
    return x.astype(np.float32), labels


def train_mlp(steps: int = 300, lr: float = 0.1) -> dict[str, np.ndarray]:
    """Two-layer ReLU MLP trained with plain SGD on softmax cross-entropy."""
    rng = np.random.default_rng(0)
    w1 = (rng.standard_normal((FEATURES, HIDDEN)) * np.sqrt(2 / FEATURES)).astype(np.float32)
    b1 = np.zeros(HIDDEN, np.float32)
    w2 = (rng.standard_normal((HIDDEN, CLASSES)) * np.sqrt(1 / HIDDEN)).astype(np.float32)
    b2 = np.zeros(CLASSES, np.float32)
    for _ in range(steps):
        x, y = make_data(rng, 128)
        h = np.maximum(x @ w1 + b1, 0)
        logits = h @ w2 + b2
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(y)), y] -= 1
        g = p / len(y)
        gw2, gb2 = h.T @ g, g.sum(0)
        gh = (g @ w2.T) * (h > 0)
        gw1, gb1 = x.T @ gh, gh.sum(0)
        for param, grad in ((w1, gw1), (b1, gb1), (w2, gw2), (b2, gb2)):
            param -= lr * grad.astype(np.float32)
    return {"w1": w1, "b1": b1, "w2": w2, "b2": b2}


def export_onnx(params: dict[str, np.ndarray]) -> onnx.ModelProto:
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h0"]),
        helper.make_node("Add", ["h0", "b1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["h"]),
        helper.make_node("MatMul", ["h", "w2"], ["l0"]),
        helper.make_node("Add", ["l0", "b2"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes,
        "demo_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", FEATURES])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", CLASSES])],
        initializer=[numpy_helper.from_array(v, k) for k, v in params.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def run_model_demo() -> None:
    import onnxruntime as ort

    from ..model import load

    proto = export_onnx(train_mlp())
    model = load(proto)
    print(f"\n{model!r}\nbackend reason: {model.backend_reason}")
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    x_test, y_test = make_data(np.random.default_rng(1), 2048)
    ours = model.run(x_test)["logits"]
    theirs = session.run(None, {"x": x_test})[0]
    accuracy = float((ours.argmax(1) == y_test).mean())
    print(
        f"test accuracy {accuracy:.3f}; max |fastinfer - onnxruntime| "
        f"{np.abs(ours - theirs).max():.2e}"
    )
    print(f"{'batch':>6} | {'onnxruntime':>12} | {'fastinfer':>10} | speedup")
    for batch in (1, 32, 256):
        x = x_test[:batch]
        t_ort = best_time(lambda x=x: session.run(None, {"x": x}))
        t_fi = best_time(lambda x=x: model.run(x))
        print(f"{batch:>6} | {t_ort * 1e6:10.1f}us | {t_fi * 1e6:8.1f}us | {t_ort / t_fi:.2f}x")
