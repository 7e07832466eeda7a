"""Conv fusion: BatchNormalization folded into the Conv before it, a zero Pad folded into
the Conv after it; Conv + Relu/Relu6 and Conv + Add(residual) (+ Relu/Relu6) ->
FusedConv."""

from __future__ import annotations

import numpy as np

from ..ir.graph import FUSED_DOMAIN, Graph, Node
from ._match import Index, constant, replace, scalar


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


def _pad_amounts(g: Graph, pad: Node) -> list[int] | None:
    """The begin/end amounts of a Pad that adds zeros (mode "constant", value 0) to the
    spatial axes only, else None. Opsets before 11 carry pads and value as attributes; a
    Pad with the opset-18 axes input is left alone."""
    if pad.attrs.get("mode", "constant") not in ("constant", b"constant"):
        return None
    if len(pad.inputs) > 3 and pad.inputs[3]:
        return None
    if len(pad.inputs) > 1:
        amounts = constant(g, pad.inputs[1])
        value = scalar(g, pad.inputs[2]) if len(pad.inputs) > 2 and pad.inputs[2] else 0.0
    else:
        amounts, value = pad.attrs.get("pads"), float(pad.attrs.get("value", 0.0))
    if amounts is None or value != 0.0:
        return None
    amounts = [int(a) for a in np.asarray(amounts).reshape(-1)]
    rank = len(amounts) // 2
    if rank not in (3, 4) or any(a < 0 for a in amounts):
        return None
    if amounts[0] or amounts[1] or amounts[rank] or amounts[rank + 1]:
        return None  # batch or channel padding
    return amounts


def _fold_pad(idx: Index, conv: Node) -> bool:
    """``Conv(Pad(x, zeros))`` -> ``Conv(x)`` with the pads added to its own. HF MobileNetV2
    and EfficientNet export a Pad before every Conv (TensorFlow's asymmetric "same"
    padding); the Conv's pads cost nothing extra, a Pad is a copy of the tensor."""
    g = idx.graph
    pad = idx.producer_of(conv.inputs[0], "Pad")
    if pad is None or idx.sole_user(pad.outputs[0]) is not conv:
        return False
    auto_pad = conv.attrs.get("auto_pad", "NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    if auto_pad not in ("NOTSET", "VALID"):  # SAME_* pads depend on the padded size
        return False
    amounts = _pad_amounts(g, pad)
    if amounts is None:
        return False
    rank = len(amounts) // 2
    nd = rank - 2
    old = [0] * (2 * nd) if auto_pad == "VALID" else list(conv.attrs.get("pads", [0] * (2 * nd)))
    if len(old) != 2 * nd:
        return False
    new = [old[i] + amounts[2 + i] for i in range(nd)] + [
        old[nd + i] + amounts[rank + 2 + i] for i in range(nd)
    ]
    fused = Node(
        conv.op_type,
        [pad.inputs[0]] + list(conv.inputs[1:]),
        list(conv.outputs),
        {**{k: v for k, v in conv.attrs.items() if k != "auto_pad"}, "pads": new},
        name=conv.name,
        domain=conv.domain,
    )
    replace(g, [pad, conv], fused)
    return True


def _activation(idx: Index, name: str) -> tuple[Node, str] | None:
    """The Relu or Clip(0, 6) that is the sole user of `name`, and its FusedConv name."""
    user = idx.sole_user(name)
    if user is None or user.domain:
        return None
    if user.op_type == "Relu":
        return user, "relu"
    if user.op_type == "Clip":
        g = idx.graph
        if len(user.inputs) > 1:  # opset 11+: min and max are inputs
            ins = list(user.inputs) + [""] * (3 - len(user.inputs))
            lo = scalar(g, ins[1]) if ins[1] else None
            hi = scalar(g, ins[2]) if ins[2] else None
        else:
            lo, hi = user.attrs.get("min"), user.attrs.get("max")
        if lo == 0.0 and hi == 6.0:
            return user, "relu6"
    return None


def _fuse_relu(idx: Index, conv: Node) -> bool:
    found = _activation(idx, conv.outputs[0])
    if found is None:
        return False
    act_node, act = found
    fused = Node(
        "FusedConv",
        list(conv.inputs),
        [act_node.outputs[0]],
        {**conv.attrs, "activation": act},
        name=f"FusedConv/{conv.name}",
        domain=FUSED_DOMAIN,
    )
    replace(idx.graph, [conv, act_node], fused)
    return True


def _same_shape(graph: Graph, a: str, b: str) -> bool:
    va, vb = graph.value(a), graph.value(b)
    return (
        va.shape is not None
        and va.shape == vb.shape
        and all(d is not None for d in va.shape)
        and va.dtype == vb.dtype == np.float32
    )


def _fuse_residual(idx: Index, conv: Node) -> bool:
    """``[Relu](Add(Conv(...), r))`` -> ``FusedConv(x, W, b, r)``: the residual block's
    skip connection is added to the output tile while it is in cache, instead of two more
    passes over the tensor. Only without broadcasting (r has the Conv output's shape)."""
    g = idx.graph
    add = idx.sole_user(conv.outputs[0], "Add")
    if add is None or len(add.inputs) != 2:
        return False
    other = add.inputs[1] if add.inputs[0] == conv.outputs[0] else add.inputs[0]
    if not _same_shape(g, conv.outputs[0], other) or not _same_shape(g, add.outputs[0], other):
        return False
    act_node, act = _activation(idx, add.outputs[0]) or (None, "")
    inputs = list(conv.inputs) + [""] * (3 - len(conv.inputs)) + [other]
    fused = Node(
        "FusedConv",
        inputs,
        [(act_node or add).outputs[0]],
        {**conv.attrs, "activation": act},
        name=f"FusedConv/{conv.name}",
        domain=FUSED_DOMAIN,
    )
    replace(g, [conv, add] + ([act_node] if act_node else []), fused)
    return True


def fuse_conv(graph: Graph) -> int:
    """Folds BatchNormalization into the preceding Conv and zero Pads into the following
    Conv, then fuses Conv + Relu (or Relu6).

    - ``BatchNormalization(Conv(x, W, b), scale, B, mean, var)`` with constant W, b (or none)
      and BN parameters, inference mode -> ``Conv(x, W', b')`` with
      ``W' = W * scale / sqrt(var + eps)`` per output channel and
      ``b' = (b - mean) * scale / sqrt(var + eps) + B``. Computed in float64 and rounded
      once, so results differ from the unfused graph by float32 rounding.
    - ``Conv(Pad(x))`` with a constant-mode Pad of zeros on the spatial axes (its output
      read by the Conv alone) -> ``Conv(x)`` with the Pad's amounts added to its pads
      (auto_pad NOTSET or VALID).
    - ``Relu(Conv(...))`` -> ``FusedConv`` (domain ``ai.fastinfer``) with the Conv's inputs,
      its attributes and ``activation="relu"``; ``Clip(Conv(...), 0, 6)`` likewise with
      ``activation="relu6"``.
    - ``Relu(Add(Conv(...), r))`` (Relu or Relu6 optional) -> ``FusedConv(x, W, b, r)``: a
      4th input added to the Conv output before the activation; r must have the output's
      shape.
      BatchNormalizations are folded first, so the Conv of ``Add(BN(Conv), r)`` matches.

    The Conv output must have no other reader and be no graph output.

    Parameters
    ----------
    graph : Graph
        Rewritten in place.

    Returns
    -------
    int
        The number of BatchNormalizations and Pads folded plus activations fused.
    """
    count = 0
    while True:
        idx = Index(graph)
        convs = [n for n in graph.nodes if n.op_type == "Conv" and not n.domain]
        if not any(_fold_bn(idx, c) or _fold_pad(idx, c) for c in convs) and not any(
            _fuse_relu(idx, c) or _fuse_residual(idx, c) for c in convs
        ):
            return count
        count += 1
