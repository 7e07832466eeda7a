"""optimize() end to end: an MLP, a 2-layer BERT-like encoder and a small CNN."""

from __future__ import annotations

import math

import numpy as np
import pytest
from onnx import TensorProto, helper

from fastinfer.ir.graph import Graph
from fastinfer.passes import optimize
from passes_util import assert_same, build, const, feeds_for
from test_passes_layernorm import layernorm_consts, layernorm_nodes
from test_passes_linear import GELU_CONSTS, _gelu_erf

BATCH, SEQ, HID, HEADS, VOCAB, FFN = 2, 5, 16, 2, 30, 32
HEAD = HID // HEADS


def _int_const_node(name: str, values: list[int]):
    t = helper.make_tensor(f"{name}_t", TensorProto.INT64, [len(values)], values)
    return helper.make_node("Constant", [], [name], value=t)


def _linear(rng, x: str, y: str, k: int, n: int, p: str) -> tuple[list, list]:
    nodes = [
        helper.make_node("MatMul", [x, f"{p}_W"], [f"{p}_mm"]),
        helper.make_node("Add", [f"{p}_b", f"{p}_mm"], [y]),
    ]
    return nodes, [
        const(f"{p}_W", rng.standard_normal((k, n)) * 0.2),
        const(f"{p}_b", rng.standard_normal(n) * 0.1),
    ]


def _encoder_layer(rng, x: str, y: str, p: str) -> tuple[list, list]:
    nodes, inits = [], []
    for name in "qkv":
        n, i = _linear(rng, x, f"{p}_{name}", HID, HID, f"{p}_{name}")
        nodes += n
        inits += i
        # torch computes the head shape with Shape/Gather/Concat; constants after folding.
        nodes.append(_int_const_node(f"{p}_{name}_shape", [BATCH, SEQ, HEADS, HEAD]))
        nodes.append(
            helper.make_node("Reshape", [f"{p}_{name}", f"{p}_{name}_shape"], [f"{p}_{name}_r"])
        )
        perm = [0, 2, 3, 1] if name == "k" else [0, 2, 1, 3]
        nodes.append(helper.make_node("Transpose", [f"{p}_{name}_r"], [f"{p}_{name}_h"], perm=perm))
    nodes += [
        helper.make_node("MatMul", [f"{p}_q_h", f"{p}_k_h"], [f"{p}_s"]),
        helper.make_node("Div", [f"{p}_s", "sqrt_d"], [f"{p}_ss"]),
        helper.make_node("Add", [f"{p}_ss", "ext_mask"], [f"{p}_sm"]),
        helper.make_node("Softmax", [f"{p}_sm"], [f"{p}_p"], axis=-1),
        helper.make_node("MatMul", [f"{p}_p", f"{p}_v_h"], [f"{p}_ctx"]),
        helper.make_node("Transpose", [f"{p}_ctx"], [f"{p}_ctx_t"], perm=[0, 2, 1, 3]),
        _int_const_node(f"{p}_ctx_shape", [BATCH, SEQ, HID]),
        helper.make_node("Reshape", [f"{p}_ctx_t", f"{p}_ctx_shape"], [f"{p}_ctx_r"]),
    ]
    n, i = _linear(rng, f"{p}_ctx_r", f"{p}_o", HID, HID, f"{p}_o")
    nodes += n + [helper.make_node("Add", [f"{p}_o", x], [f"{p}_res1"])]
    inits += i
    nodes += layernorm_nodes(f"{p}_res1", f"{p}_ln1", 13, prefix=f"{p}_ln1")
    inits += layernorm_consts(rng, prefix=f"{p}_ln1", c=HID)
    n, i = _linear(rng, f"{p}_ln1", f"{p}_f1", HID, FFN, f"{p}_f1")
    nodes += n + _gelu_erf(f"{p}_f1", f"{p}_g", "div")
    inits += i
    n, i = _linear(rng, f"{p}_g", f"{p}_f2", FFN, HID, f"{p}_f2")
    nodes += n + [helper.make_node("Add", [f"{p}_f2", f"{p}_ln1"], [f"{p}_res2"])]
    inits += i
    nodes += layernorm_nodes(f"{p}_res2", y, 13, prefix=f"{p}_ln2")
    inits += layernorm_consts(rng, prefix=f"{p}_ln2", c=HID)
    # The GELU node names are shared across layers: make them unique per layer.
    for node in nodes:
        node.input[:] = [f"{p}_{i}" if i.startswith("g_") else i for i in node.input]
        node.output[:] = [f"{p}_{o}" if o.startswith("g_") else o for o in node.output]
    return nodes, inits


def bert_graph(rng) -> Graph:
    nodes = [
        helper.make_node("Gather", ["word_emb", "input_ids"], ["we"]),
        helper.make_node("Gather", ["pos_emb", "pos_ids"], ["pe"]),  # folded: both constant
        helper.make_node("Add", ["we", "pe"], ["emb"]),
        helper.make_node("Unsqueeze", ["mask", "mask_axes"], ["mask4"]),
        helper.make_node("Sub", ["one", "mask4"], ["inv_mask"]),
        helper.make_node("Mul", ["inv_mask", "neg_big"], ["ext_mask"]),
    ]
    nodes += layernorm_nodes("emb", "h0", 13, prefix="emb_ln")
    inits = [
        const("word_emb", rng.standard_normal((VOCAB, HID))),
        const("pos_emb", rng.standard_normal((SEQ, HID))),
        const("pos_ids", np.arange(SEQ, dtype=np.int64)),
        const("mask_axes", np.array([1, 2], np.int64)),
        const("neg_big", np.float32(-10000.0)),
        const("sqrt_d", np.float32(math.sqrt(HEAD))),
        *[c for c in GELU_CONSTS if c.name in ("sqrt2", "one", "half")],
        *layernorm_consts(rng, prefix="emb_ln", c=HID),
    ]
    for layer in range(2):
        n, i = _encoder_layer(rng, f"h{layer}", f"h{layer + 1}", f"l{layer}")
        nodes += n
        inits += i
    return build(
        nodes,
        {"input_ids": [BATCH, SEQ], "mask": [BATCH, SEQ]},
        ["h2"],
        inits,
        opset=13,
        input_types={"input_ids": TensorProto.INT64},
    )


def cnn_graph(rng) -> Graph:
    def conv_bn_relu(x, y, cin, cout, p):
        nodes = [
            helper.make_node("Conv", [x, f"{p}_W", f"{p}_cb"], [f"{p}_c"], pads=[1, 1, 1, 1]),
            helper.make_node(
                "BatchNormalization",
                [f"{p}_c", f"{p}_s", f"{p}_b", f"{p}_m", f"{p}_v"],
                [f"{p}_n"],
                epsilon=1e-5,
            ),
            helper.make_node("Relu", [f"{p}_n"], [y]),
        ]
        inits = [
            const(f"{p}_W", rng.standard_normal((cout, cin, 3, 3)) * 0.3),
            const(f"{p}_cb", rng.standard_normal(cout) * 0.1),
            const(f"{p}_s", rng.uniform(0.5, 1.5, cout)),
            const(f"{p}_b", rng.standard_normal(cout) * 0.1),
            const(f"{p}_m", rng.standard_normal(cout) * 0.1),
            const(f"{p}_v", rng.uniform(0.5, 1.5, cout)),
        ]
        return nodes, inits

    n1, i1 = conv_bn_relu("x", "r1", 3, 8, "c1")
    n2, i2 = conv_bn_relu("p1", "r2", 8, 16, "c2")
    nodes = [
        *n1,
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        *n2,
        helper.make_node("GlobalAveragePool", ["r2"], ["gap"]),
        helper.make_node("Flatten", ["gap"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "fc_W", "fc_b"], ["y"], transB=1),
    ]
    inits = [
        *i1,
        *i2,
        const("fc_W", rng.standard_normal((10, 16))),
        const("fc_b", rng.standard_normal(10)),
    ]
    return build(nodes, {"x": [2, 3, 8, 8]}, ["y"], inits)


def mlp_graph(rng) -> Graph:
    nodes, inits = [], []
    dims = [12, 24, 24, 5]
    x = "x"
    for layer in range(3):
        n, i = _linear(rng, x, f"a{layer}", dims[layer], dims[layer + 1], f"fc{layer}")
        nodes += n
        inits += i
        x = f"a{layer}"
        if layer < 2:
            nodes.append(helper.make_node("Relu", [x], [f"r{layer}"]))
            x = f"r{layer}"
    return build(nodes, {"x": [4, 12]}, [x], inits)


def _ops(graph: Graph) -> dict[str, int]:
    return graph.op_counts()


def test_optimize_mlp(rng):
    g = mlp_graph(rng)
    before = g.copy()
    counts = optimize(g)
    assert counts["fuse_linear"] == 5  # 3 linears + 2 relus
    assert _ops(g) == {"FusedLinear": 3}
    assert [n.attrs["activation"] for n in g.nodes] == ["relu", "relu", ""]
    assert_same(before, g, feeds_for(g, rng))


def test_optimize_bert(rng):
    g = bert_graph(rng)
    before = g.copy()
    feeds = feeds_for(g, rng)
    feeds["mask"] = (rng.uniform(size=(BATCH, SEQ)) > 0.3).astype(np.float32)
    counts = optimize(g)
    ops = _ops(g)
    assert ops["Attention"] == 2
    assert ops["LayerNormalization"] == 5
    assert ops["FusedLinear"] == 12
    assert (
        sorted(n.attrs["activation"] for n in g.nodes if n.op_type == "FusedLinear").count("gelu")
        == 2
    )
    for gone in ("Softmax", "ReduceMean", "Erf", "MatMul", "Constant", "Div", "Pow", "Sqrt"):
        assert gone not in ops, gone
    assert counts["constant_folding"] >= 9  # 8 reshape shapes + the position embedding
    assert_same(before, g, feeds, rtol=1e-4, atol=1e-4)  # float64 reference fused ops
    assert sum(optimize(g).values()) == 0  # a fixed point


def test_optimize_cnn(rng):
    g = cnn_graph(rng)
    before = g.copy()
    counts = optimize(g)
    assert counts["fuse_conv"] == 4
    assert _ops(g) == {
        "Flatten": 1,
        "FusedConv": 2,
        "FusedLinear": 1,
        "GlobalAveragePool": 1,
        "MaxPool": 1,
    }
    # BN folding rounds the folded weights once to float32.
    assert_same(before, g, feeds_for(g, rng), rtol=1e-4, atol=1e-5)


def test_optimize_levels(rng):
    g = mlp_graph(rng)
    assert optimize(g, level="basic") == {"constant_folding": 0, "dead_code": 0}
    assert "MatMul" in _ops(g)
    with pytest.raises(ValueError, match="unknown optimization level"):
        optimize(g, level="O3")
