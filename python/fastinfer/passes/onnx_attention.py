"""ONNX's own Attention op (opset 23, what torch's dynamo exporter emits for
scaled_dot_product_attention) becomes fastinfer's fused Attention where they agree.

Covered: 4-D Q, K, V (batch, heads, seq, head size) with as many K/V heads as Q heads, no
past key/value, is_causal (without a cache ONNX's causal triangle is the top-left one,
which the fused op's causal flag computes without a mask), no softcap, only output Y used,
and a float (additive) or
bool (True = attend) mask. A bool mask becomes an additive one with the lowest float32
for masked positions, as onnxruntime fills them. K is transposed for the fused op, which
takes K^T. Anything else stays ONNX's op, which the partitioned backend runs on onnxruntime.
"""

from __future__ import annotations

import math

import numpy as np

from ..ir.graph import FUSED_DOMAIN, Graph, Node, Value

LOWEST = np.float32(np.finfo(np.float32).min)


def _convertible(graph: Graph, n: Node, used: set[str]) -> bool:
    if n.domain not in ("", "ai.onnx") or n.op_type != "Attention" or len(n.inputs) < 3:
        return False
    if any(i for i in n.inputs[4:]) or any(o in used for o in n.outputs[1:] if o):
        return False
    a = n.attrs
    if a.get("softcap", 0.0) or a.get("qk_matmul_output_mode", 0):
        return False
    if a.get("left_window_size", -1) >= 0 or a.get("right_window_size", -1) >= 0:
        return False  # sliding windows
    shapes = [graph.value(i).shape for i in n.inputs[:3]]
    if any(s is None or len(s) != 4 for s in shapes):
        return False
    (q, k, v) = shapes
    if not (isinstance(q[1], int) and q[1] == k[1] == v[1]):
        return False  # grouped-query attention (fewer K/V heads) is not fused
    if "scale" not in a and not isinstance(q[3], int):
        return False
    mask = n.inputs[3] if len(n.inputs) > 3 else ""
    return not mask or graph.value(mask).dtype in (np.dtype(np.float32), np.dtype(np.bool_))


def onnx_attention(graph: Graph) -> int:
    """Rewrites ONNX Attention nodes into fastinfer's fused Attention; returns how many."""
    used = {i for n in graph.nodes for i in n.inputs if i} | set(graph.output_names)
    out_nodes: list[Node] = []
    count = 0
    for n in graph.nodes:
        if not _convertible(graph, n, used):
            out_nodes.append(n)
            continue
        q, k, v = n.inputs[:3]
        scale = n.attrs.get("scale", 1.0 / math.sqrt(graph.value(q).shape[3]))
        kt = graph.unique_name(f"{k}/T")
        graph.values[kt] = Value(kt, graph.value(k).dtype, None)
        out_nodes.append(Node("Transpose", [k], [kt], {"perm": [0, 1, 3, 2]}, f"{n.name}/kT"))
        inputs = [q, kt, v]
        mask = n.inputs[3] if len(n.inputs) > 3 else ""
        if mask and graph.value(mask).dtype == np.dtype(np.bool_):
            additive = graph.unique_name(f"{mask}/additive")
            graph.values[additive] = Value(additive, np.dtype(np.float32), graph.value(mask).shape)
            zero = graph.add_constant(f"{n.name}/zero", np.float32(0.0))
            lowest = graph.add_constant(f"{n.name}/lowest", LOWEST)
            out_nodes.append(Node("Where", [mask, zero, lowest], [additive], {}, f"{n.name}/mask"))
            mask = additive
        if mask:
            inputs.append(mask)
        out_nodes.append(
            Node(
                "Attention",
                inputs,
                [n.outputs[0]],
                {"scale": float(scale), **({"causal": 1} if n.attrs.get("is_causal", 0) else {})},
                name=f"Attention/{n.name}",
                domain=FUSED_DOMAIN,
            )
        )
        count += 1
    graph.nodes = out_nodes
    return count
