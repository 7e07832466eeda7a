"""Attention fusion: scaled dot-product attention as exported for BERT-style self-attention.

Matched::

    s = MatMul(q, k_t)                      # q (B, H, S, D), k_t (B, H, D, S)
    s = Div(s, c) | Mul(s, c)               # optional, c a scalar constant
    s = Add(s, mask)                        # optional, either operand order
    p = Softmax(s, axis=-1)
    p = Where(IsNaN(p), 0, p)               # optional (torch's exporter, for masked rows)
    o = MatMul(p, v)                        # v (B, H, S, D)

-> ``Attention(q, k_t, v, mask or "")`` with attribute ``scale`` (1/c, c or 1.0), and
``nan_probs_to_zero=1`` where the NaN guard was. The K transpose (and the head reshapes)
stay in the graph: the fused op reads K already transposed. Scales applied to q and k_t
before the product (torch's exporter multiplies each by sqrt(scale)) stay as they are: the
fused op reads the scaled operands.
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


def _nan_guard(idx: Index, p: str) -> tuple[list[Node], str] | None:
    """``Where(IsNaN(p), 0, p)`` reading `p` (and nothing else reading it): its two nodes
    and output."""
    users = idx.users.get(p, [])
    if len(users) != 2 or p in idx.graph_outputs:
        return None
    isnan = next((u for u in users if u.op_type == "IsNaN" and not u.domain), None)
    where = next((u for u in users if u.op_type == "Where" and not u.domain), None)
    if isnan is None or where is None or idx.sole_user(isnan.outputs[0]) is not where:
        return None
    if where.inputs[0] != isnan.outputs[0] or where.inputs[2] != p:
        return None
    if scalar(idx.graph, where.inputs[1]) != 0.0:
        return None
    return [isnan, where], where.outputs[0]


def _match(idx: Index, qk: Node) -> tuple[list[Node], list[str], str, dict] | None:
    g = idx.graph
    q, k_t = qk.inputs
    nodes = [qk]
    s = qk.outputs[0]
    scale = 1.0
    user = idx.sole_user(s)
    if user is not None and not user.domain and user.op_type in ("Div", "Mul"):
        c = other_input(user, s)
        value = scalar(g, c) if c else None
        if value is None or value == 0.0 or (user.op_type == "Div" and user.inputs[1] != c):
            return None
        scale = 1.0 / value if user.op_type == "Div" else value
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
    attrs: dict = {"scale": float(scale)}
    guard = _nan_guard(idx, p)
    if guard is not None:
        nodes += guard[0]
        p = guard[1]
        attrs["nan_probs_to_zero"] = 1
    pv = idx.sole_user(p, "MatMul")
    if pv is None or pv.inputs[0] != p:
        return None
    v = pv.inputs[1]
    nodes.append(pv)
    if not _has_rank_4_or_unknown(g, [q, k_t, v]):
        return None
    return nodes, [q, k_t, v, mask], pv.outputs[0], attrs


def fuse_attention(graph: Graph) -> int:
    """Replaces scaled dot-product attention subgraphs by one ``Attention`` node.

    The scores may be scaled by a scalar constant (Div or Mul) and masked by an Add of any
    value (constant or computed) before a Softmax over the last axis, whose NaN
    probabilities may be replaced by 0 (``Where(IsNaN(p), 0, p)``). Q, K^T and V must be
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
        nodes, inputs, out, attrs = found
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
