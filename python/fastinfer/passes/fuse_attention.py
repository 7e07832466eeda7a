"""Attention fusion: scaled dot-product attention as exported for BERT-style self-attention.

Matched::

    q = Mul(q, c_q); k_t = Mul(k_t, c_k)    # optional, scalar constants (torch's SDPA splits
                                            # the scale as sqrt(scale) on each operand)
    s = MatMul(q, k_t)                      # q (B, H, S, D), k_t (B, H, D, S)
    s = Div(s, c) | Mul(s, c)               # optional, c a scalar constant
    s = Add(s, mask)                        # optional, either operand order
    p = Softmax(s, axis=-1)
    p = Where(IsNaN(p), 0, p)               # optional: torch's SDPA guard for rows that are
                                            # masked out entirely
    o = MatMul(p, v)                        # v (B, H, S, D)

-> ``Attention(q, k_t, v, mask or "")`` with attribute ``scale`` (the product of the
constants' factors) and ``nan_to_zero`` (1 when the guard was there). The K transpose (and the
head reshapes) stay in the graph: the fused op reads K already transposed.
"""

from __future__ import annotations

from ..ir.graph import FUSED_DOMAIN, Graph, Node
from ._match import Index, first_match, other_input, rank, replace, scalar


def _softmax_over_last_axis(graph: Graph, node: Node) -> bool:
    # Before opset 13 the default axis is 1 (and means "flatten from axis 1"), which equals
    # the last axis only for 2-D inputs.
    axis = node.attrs.get("axis", -1 if graph.opset >= 13 else 1)
    r = rank(graph, node.inputs[0])
    return axis == -1 or (r is not None and axis == r - 1)


def _has_rank_4_or_unknown(graph: Graph, names: list[str]) -> bool:
    return all(rank(graph, n) in (None, 4) for n in names)


def _prescaled(idx: Index, name: str, qk: Node) -> tuple[str, float, Node] | None:
    """(unscaled operand, factor, the Mul) when `name` is Mul(x, c) by a scalar constant and
    read only by `qk`."""
    mul = idx.producer_of(name, "Mul")
    if mul is None or idx.sole_user(name) is not qk:
        return None
    for x, c in (mul.inputs, mul.inputs[::-1]):
        value = scalar(idx.graph, c)
        if value is not None and value != 0.0 and scalar(idx.graph, x) is None:
            return x, value, mul
    return None


def _nan_guard(idx: Index, p: str) -> Node | None:
    """The Where of ``Where(IsNaN(p), 0, p)`` when p's only readers are that pair."""
    users = idx.users.get(p, [])
    if len(users) != 2 or p in idx.graph_outputs:
        return None
    isnan = next((u for u in users if u.op_type == "IsNaN" and not u.domain), None)
    where = next((u for u in users if u.op_type == "Where" and not u.domain), None)
    if isnan is None or where is None:
        return None
    if idx.sole_user(isnan.outputs[0]) is not where or where.inputs[0] != isnan.outputs[0]:
        return None
    if where.inputs[2] != p or scalar(idx.graph, where.inputs[1]) != 0.0:
        return None
    return where


def _match(idx: Index, qk: Node) -> tuple[list[Node], list[str], str, float, bool] | None:
    g = idx.graph
    q, k_t = qk.inputs
    nodes = [qk]
    s = qk.outputs[0]
    scale = 1.0
    if q != k_t:
        for i, operand in enumerate((q, k_t)):
            pre = _prescaled(idx, operand, qk)
            if pre is not None:
                x, factor, mul = pre
                scale *= factor
                nodes.append(mul)
                q, k_t = (x, k_t) if i == 0 else (q, x)
    user = idx.sole_user(s)
    if user is not None and not user.domain and user.op_type in ("Div", "Mul"):
        c = other_input(user, s)
        value = scalar(g, c) if c else None
        if value is None or value == 0.0 or (user.op_type == "Div" and user.inputs[1] != c):
            return None
        scale *= 1.0 / value if user.op_type == "Div" else value
        nodes.append(user)
        s = user.outputs[0]
        user = idx.sole_user(s)
    mask = ""
    if user is not None and not user.domain and user.op_type == "Add":
        mask = other_input(user, s) or ""
        if not mask:
            return None
        nodes.append(user)
        s = user.outputs[0]
        user = idx.sole_user(s)
    if user is None or user.domain or user.op_type != "Softmax":
        return None
    if not _softmax_over_last_axis(g, user):
        return None
    nodes.append(user)
    p = user.outputs[0]
    guard = _nan_guard(idx, p)
    if guard is not None:
        nodes.extend([idx.producer_of(guard.inputs[0]), guard])
        p = guard.outputs[0]
    pv = idx.sole_user(p, "MatMul")
    if pv is None or pv.inputs[0] != p:
        return None
    v = pv.inputs[1]
    nodes.append(pv)
    if not _has_rank_4_or_unknown(g, [q, k_t, v]):
        return None
    return nodes, [q, k_t, v, mask], pv.outputs[0], scale, guard is not None


def fuse_attention(graph: Graph) -> int:
    """Replaces scaled dot-product attention subgraphs by one ``Attention`` node.

    The scores may be scaled by scalar constants (Div or Mul of the scores, Mul of Q or K^T)
    and masked by an Add of any value (constant or computed) before a Softmax over the last
    axis, whose NaNs may be replaced by zeros (``Where(IsNaN(p), 0, p)``). Q, K^T and V must be
    4-D where their rank is known. Intermediates must have no other readers.

    Parameters
    ----------
    graph : Graph
        Rewritten in place.

    Returns
    -------
    int
        The number of attention subgraphs replaced.
    """
    count = 0
    while True:
        found = first_match(graph, "MatMul", _match)
        if found is None:
            return count
        nodes, inputs, out, scale, nan_to_zero = found
        attrs: dict[str, object] = {"scale": float(scale)}
        if nan_to_zero:
            attrs["nan_to_zero"] = 1
        fused = Node(
            "Attention",
            inputs,
            [out],
            attrs,
            name=f"Attention/{nodes[0].name}",
            domain=FUSED_DOMAIN,
        )
        replace(graph, nodes, fused)
        count += 1
