"""Memory of compiled plans: constants used in place, packed weights shared across the
plans of one model (one per input-shape signature)."""

from __future__ import annotations

import gc

import numpy as np
from onnx import TensorProto, helper, numpy_helper

import fastinfer


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def big_linear_model(k: int = 2048, n: int = 4096):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((k, n), dtype=np.float32)
    b = rng.standard_normal(n, dtype=np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["h"]), helper.make_node("Add", ["h", "b"], ["y"])],
        "big_linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", n])],
        initializer=[numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), w, b


def test_plans_for_new_shapes_share_packed_weights():
    proto, w, b = big_linear_model()
    weight_mib = w.nbytes / 2**20  # 32 MiB
    model = fastinfer.load(proto, backend="native")
    x1 = np.ones((1, w.shape[0]), np.float32)
    np.testing.assert_allclose(model.run(x1)["y"], x1 @ w + b, rtol=1e-4, atol=1e-3)
    gc.collect()
    before = rss_mib()
    for batch in (2, 3, 4):  # three more plans
        x = np.ones((batch, w.shape[0]), np.float32)
        np.testing.assert_allclose(model.run(x)["y"], x @ w + b, rtol=1e-4, atol=1e-3)
    grown = rss_mib() - before
    # Packing per plan would add 3 x 32 MiB; shared, the new plans add only their arenas.
    assert grown < weight_mib / 2, f"RSS grew {grown:.1f} MiB for three new plans"
    classes = model.memory()["shape_classes"]
    # One shape class (nothing here depends on whether batch is 1) bound to four batches.
    assert [c["cached"] for c in classes] == [4]


def test_plan_uses_constants_in_place():
    proto, w, _ = big_linear_model(k=512, n=1024)
    model = fastinfer.load(proto, backend="native")
    model.run(np.ones((1, 512), np.float32))
    mem = model.memory()
    # The weights are packed once for the model; their fp32 copy is released.
    assert mem["packed_weight_bytes"] >= w.nbytes
    assert mem["constant_bytes"] < w.nbytes
    # The arena holds no weights: only intermediates (none here: one fused node).
    assert mem["arena_bytes"] < 1024


def test_packed_weights_replace_the_fp32_copy(tmp_path):
    proto, w, b = big_linear_model()
    model = fastinfer.load(proto, backend="native")
    x = np.random.default_rng(1).standard_normal((3, w.shape[0]), dtype=np.float32)
    y = model.run(x)["y"]
    # The model's own fp32 copy of w is gone (only the packed copy remains)...
    assert model._graph.constants["w"].strides == (0, 0)
    # ...yet every view of the model still sees the real weights.
    np.testing.assert_array_equal(model.graph.constants["w"], w)
    np.testing.assert_allclose(model.run(x[:2])["y"], y[:2], rtol=1e-6, atol=1e-5)  # new plan
    model.save(tmp_path / "m.onnx")
    again = fastinfer.load(tmp_path / "m.onnx", backend="native")
    np.testing.assert_allclose(again.run(x)["y"], y, rtol=1e-6, atol=1e-5)
    model.export_onnx(tmp_path / "std.onnx")
    import onnxruntime as ort

    sess = ort.InferenceSession(str(tmp_path / "std.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(sess.run(None, {"x": x})[0], y, rtol=1e-4, atol=1e-3)
