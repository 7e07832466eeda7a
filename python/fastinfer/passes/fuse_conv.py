"""Conv fusion: BatchNormalization folded into the Conv before it; Conv + Relu -> FusedConv."""

from __future__ import annotations

import numpy as np

from ..ir.graph import FUSED_DOMAIN, Graph, Node
from ._match import Index, constant, replace


def _fold_bn(idx: Index, conv: Node) -> bool:
    """Folds ``BatchNormalization(Conv(x, W, b))`` (inference mode) into W and b."""
    g = idx.graph
    bn = idx.sole_user(conv.outputs[0], "BatchNormalization")
    if bn is None or bn.inputs[0] != conv.outputs[0] or bn.attrs.get("training_mode", 0):
        return False
    if any(o for o in bn.outputs[1:]):  # running mean/var outputs exist only for training
        return False
    w = constant(g, conv.inputs[1])
    b_name = conv.inputs[2] if len(conv.inputs) > 2 else ""
    b = constant(g, b_name) if b_name else np.zeros(w.shape[0] if w is not None else 0)
    params = [constant(g, n) for n in bn.inputs[1:5]]
    if w is None or b is None or any(p is None for p in params):
        return False
    scale, beta, mean, var = (p.astype(np.float64).reshape(-1) for p in params)
    m = w.shape[0]
    if any(p.size != m for p in (scale, beta, mean, var)) or b.size != m:
        return False
    # In float64, so that the folded weights are the exact product rounded once.
    factor = scale / np.sqrt(var + float(bn.attrs.get("epsilon", 1e-5)))
    new_w = w.astype(np.float64) * factor.reshape((m,) + (1,) * (w.ndim - 1))
    new_b = (b.astype(np.float64).reshape(-1) - mean) * factor + beta
    w_name = g.add_constant(f"{conv.inputs[1]}_bn", new_w.astype(w.dtype))
    b_new = g.add_constant(f"{conv.name or 'conv'}_bn_bias", new_b.astype(w.dtype))
    fused = Node("Conv", [conv.inputs[0], w_name, b_new], [bn.outputs[0]], dict(conv.attrs))
    fused.name = conv.name
    replace(g, [conv, bn], fused)
    return True


def _fuse_relu(idx: Index, conv: Node) -> bool:
    relu = idx.sole_user(conv.outputs[0], "Relu")
    if relu is None:
        return False
    fused = Node(
        "FusedConv",
        list(conv.inputs),
        [relu.outputs[0]],
        {**conv.attrs, "activation": "relu"},
        name=f"FusedConv/{conv.name}",
        domain=FUSED_DOMAIN,
    )
    replace(idx.graph, [conv, relu], fused)
    return True


def fuse_conv(graph: Graph) -> int:
    """Folds BatchNormalization into the preceding Conv, then fuses Conv + Relu.

    - ``BatchNormalization(Conv(x, W, b), scale, B, mean, var)`` with constant W, b (or none)
      and BN parameters, inference mode -> ``Conv(x, W', b')`` with
      ``W' = W * scale / sqrt(var + eps)`` per output channel and
      ``b' = (b - mean) * scale / sqrt(var + eps) + B``. Computed in float64 and rounded
      once, so results differ from the unfused graph by float32 rounding.
    - ``Relu(Conv(...))`` -> ``FusedConv`` (domain ``ai.fastinfer``) with the Conv's inputs,
      its attributes and ``activation="relu"``.

    The Conv output must have no other reader and be no graph output.

    Parameters
    ----------
    graph : Graph
        Rewritten in place.

    Returns
    -------
    int
        The number of BatchNormalizations folded plus Relus fused.
    """
    count = 0
    while True:
        idx = Index(graph)
        convs = [n for n in graph.nodes if n.op_type == "Conv" and not n.domain]
        if not any(_fold_bn(idx, c) or _fuse_relu(idx, c) for c in convs):
            return count
        count += 1
