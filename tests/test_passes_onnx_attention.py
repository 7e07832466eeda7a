"""ONNX's opset-23 Attention becomes fastinfer's fused Attention where they agree, and
stays ONNX's op (run by onnxruntime under backend="auto") where they do not."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import fastinfer

B, H, S, D = "batch", 4, "seq", 8


def attention_model(mask: str | None, **attrs):
    inputs = [
        helper.make_tensor_value_info(n, TensorProto.FLOAT, [B, H, S, D]) for n in ("q", "k", "v")
    ]
    names = ["q", "k", "v"]
    if mask:
        elem = TensorProto.BOOL if mask == "bool" else TensorProto.FLOAT
        inputs.append(helper.make_tensor_value_info("mask", elem, [B, 1, S, S]))
        names.append("mask")
    node = helper.make_node("Attention", names, ["y"], name="attn", **attrs)
    graph = helper.make_graph(
        [node], "a", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, [B, H, S, D])]
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)])


def feeds(mask: str | None, batch: int, seq: int):
    rng = np.random.default_rng(batch * 10 + seq)
    f = {n: rng.standard_normal((batch, H, seq, D)).astype(np.float32) for n in ("q", "k", "v")}
    if mask == "bool":
        keep = np.ones((batch, 1, seq, seq), bool)
        keep[1:, ..., seq // 2 :] = False  # later rows pad their second half
        f["mask"] = keep
    elif mask == "float":
        f["mask"] = rng.standard_normal((batch, 1, seq, seq)).astype(np.float32)
    return f


@pytest.mark.parametrize("mask", [None, "bool", "float"])
@pytest.mark.parametrize("attrs", [{}, {"scale": 0.25}, {"is_causal": 1}])
def test_onnx_attention_runs_natively_and_matches_onnxruntime(mask, attrs):
    proto = attention_model(mask, **attrs)
    model = fastinfer.load(proto, backend="native")
    assert model.graph.op_counts().get("Attention") == 1
    fused = [n for n in model.graph.nodes if n.op_type == "Attention"]
    assert all(n.domain == "ai.fastinfer" for n in fused)
    # is_causal becomes the fused op's flag: no mask is materialised for it.
    assert fused[0].attrs.get("causal", 0) == attrs.get("is_causal", 0)
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    for batch, seq in [(1, 5), (3, 16), (2, 37)]:
        f = feeds(mask, batch, seq)
        np.testing.assert_allclose(model(**f), sess.run(None, f)[0], rtol=1e-5, atol=1e-5)


def test_softcap_attention_stays_onnx_and_runs_partitioned():
    proto = attention_model(None, softcap=5.0)
    model = fastinfer.load(proto, backend="auto")
    assert model.backend == "partitioned"
    assert model.placement["attn"] == "onnxruntime"
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    f = feeds(None, 2, 6)
    np.testing.assert_allclose(model(**f), sess.run(None, f)[0], rtol=1e-6, atol=1e-6)
