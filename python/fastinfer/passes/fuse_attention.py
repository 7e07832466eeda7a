"""Attention fusion: scaled dot-product attention as exported for BERT-style self-attention.

Matched::

    s = MatMul(q, k_t)                      # q (B, H, S, D), k_t (B, H, D, S)
    s = Div(s, c) | Mul(s, c)               # optional, c a scalar constant
    s = Add(s, mask)                        # optional, either operand order
    o = MatMul(Softmax(s, axis=-1), v)      # v (B, H, S, D)

-> ``Attention(q, k_t, v, mask or "")`` with attribute ``scale`` (1/c, c or 1.0). The K
transpose (and the head reshapes) stay in the graph: the fused op reads K already transposed.
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


def _match(idx: Index, qk: Node) -> tuple[list[Node], list[str], str, float] | None:
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
    pv = idx.sole_user(user.outputs[0], "MatMul")
    if pv is None or pv.inputs[0] != user.outputs[0]:
        return None
    v = pv.inputs[1]
    nodes.append(pv)
    if not _has_rank_4_or_unknown(g, [q, k_t, v]):
        return None
    return nodes, [q, k_t, v, mask], pv.outputs[0], scale


def fuse_attention(graph: Graph) -> int:
    """Replaces scaled dot-product attention subgraphs by one ``Attention`` node.

    The scores may be scaled by a scalar constant (Div or Mul) and masked by an Add of any
    value (constant or computed) before a Softmax over the last axis. Q, K^T and V must be
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
        nodes, inputs, out, scale = found
        fused = Node(
            "Attention",
            inputs,
            [out],
            {"scale": float(scale)},
            name=f"Attention/{nodes[0].name}",
            domain=FUSED_DOMAIN,
        )
        replace(graph, nodes, fused)
        count += 1
