"""backend="auto" with an op the native backend lacks: only that op runs on onnxruntime."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import fastinfer


def contrib_gelu_model(seed: int = 0):
    """MatMul -> com.microsoft.Gelu (an onnxruntime contrib op) -> MatMul + Add -> Relu."""
    rng = np.random.default_rng(seed)
    w1 = rng.standard_normal((16, 32)).astype(np.float32)
    w2 = rng.standard_normal((32, 8)).astype(np.float32)
    b2 = rng.standard_normal(8).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h"], name="mm1"),
        helper.make_node("Gelu", ["h"], ["g"], name="contrib_gelu", domain="com.microsoft"),
        helper.make_node("MatMul", ["g", "w2"], ["h2"], name="mm2"),
        helper.make_node("Add", ["h2", "b2"], ["h3"], name="add"),
        helper.make_node("Relu", ["h3"], ["y"], name="relu"),
    ]
    graph = helper.make_graph(
        nodes,
        "partitioned",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8])],
        initializer=[
            numpy_helper.from_array(a, n) for a, n in ((w1, "w1"), (w2, "w2"), (b2, "b2"))
        ],
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(graph, opset_imports=opsets)


def test_auto_runs_the_missing_op_on_onnxruntime_and_the_rest_natively():
    proto = contrib_gelu_model()
    model = fastinfer.load(proto, backend="auto")
    assert model.backend == "partitioned"
    assert "com.microsoft.Gelu" in model.backend_reason
    assert model.placement["contrib_gelu"] == "onnxruntime"
    native = [n for n, p in model.placement.items() if p == "native"]
    assert len(native) >= 2  # the MatMuls (fused into FusedLinear) stay native
    text = model.summary()
    assert "onnxruntime: contrib_gelu" in text
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    for batch in (1, 3, 7):
        x = np.random.default_rng(batch).standard_normal((batch, 16)).astype(np.float32)
        np.testing.assert_allclose(model(x), sess.run(None, {"x": x})[0], rtol=1e-4, atol=1e-4)


def test_native_still_refuses_and_names_the_op():
    with pytest.raises(fastinfer.UnsupportedOpError, match="com.microsoft.Gelu"):
        fastinfer.load(contrib_gelu_model(), backend="native")


def test_partitioned_model_pickles():
    import pickle

    model = fastinfer.load(contrib_gelu_model(), backend="auto")
    x = np.ones((2, 16), np.float32)
    again = pickle.loads(pickle.dumps(model))
    assert again.backend == "partitioned"
    np.testing.assert_allclose(again(x), model(x), rtol=1e-6, atol=1e-6)
