"""GELU fusion: the elementwise subgraphs exporters write for GELU become one Gelu op.

Erf form (``torch.onnx.export`` of ``nn.GELU()``)::

    y = x * 0.5 * (1 + Erf(x / 1.4142135))      # or Erf(x * 0.70710678)

Tanh form (``nn.GELU(approximate="tanh")``)::

    y = 0.5 * x * (1 + Tanh(0.7978846 * (x + 0.044715 * Pow(x, 3))))   # or x * x * x

The three factors ``x``, ``0.5`` and ``(1 + ...)`` may be multiplied in any order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..ir.graph import FUSED_DOMAIN, Graph, Node
from ._match import Index, is_scalar, other_input, replace

# Exporters round these constants differently (0.7071 vs 0.70710678...), so match loosely;
# the fused op uses the exact value, which is what the model means.
_RTOL = 1e-4
SQRT2 = math.sqrt(2.0)
TANH_BETA = math.sqrt(2.0 / math.pi)
TANH_KAPPA = 0.044715


@dataclass
class GeluMatch:
    """A GELU subgraph: `x` in, `output` out, made of `nodes`."""

    x: str
    output: str
    nodes: list[Node]
    approximate: str  # "none" (erf) or "tanh"


def _const_operand(graph: Graph, node: Node, value: float) -> str | None:
    """For a binary node with one operand the scalar `value`, the other operand."""
    a, b = node.inputs if len(node.inputs) == 2 else ("", "")
    if is_scalar(graph, b, value, _RTOL):
        return a
    if node.op_type in ("Add", "Mul") and is_scalar(graph, a, value, _RTOL):
        return b
    return None


def _half_product(idx: Index, x: str, factor: str) -> tuple[list[Node], str] | None:
    """Matches ``x * 0.5 * factor`` in any order, starting from `factor`."""
    g = idx.graph
    m1 = idx.sole_user(factor, "Mul")
    if m1 is None:
        return None
    o = other_input(m1, factor)
    if o == x:  # (x * f) * 0.5
        m2 = idx.sole_user(m1.outputs[0], "Mul")
        if m2 is not None and _const_operand(g, m2, 0.5) == m1.outputs[0]:
            return [m1, m2], m2.outputs[0]
    elif o is not None and is_scalar(g, o, 0.5, _RTOL):  # x * (f * 0.5)
        m2 = idx.sole_user(m1.outputs[0], "Mul")
        if m2 is not None and other_input(m2, m1.outputs[0]) == x:
            return [m1, m2], m2.outputs[0]
    elif o is not None:  # (x * 0.5) * f
        h = idx.producer_of(o, "Mul")
        if h is not None and idx.sole_user(o) is m1 and _const_operand(g, h, 0.5) == x:
            return [h, m1], m1.outputs[0]
    return None


def _one_plus(idx: Index, name: str) -> Node | None:
    add = idx.sole_user(name, "Add")
    if add is None or _const_operand(idx.graph, add, 1.0) != name:
        return None
    return add


def _match_erf(idx: Index, erf: Node) -> GeluMatch | None:
    g = idx.graph
    scaled = erf.inputs[0]
    pre = idx.producer_of(scaled, "Div") or idx.producer_of(scaled, "Mul")
    if pre is None or idx.sole_user(scaled) is not erf:
        return None
    x = _const_operand(g, pre, SQRT2 if pre.op_type == "Div" else 1.0 / SQRT2)
    add = _one_plus(idx, erf.outputs[0])
    if x is None or add is None:
        return None
    tail = _half_product(idx, x, add.outputs[0])
    if tail is None:
        return None
    return GeluMatch(x, tail[1], [pre, erf, add, *tail[0]], "none")


def _match_cube(idx: Index, cube: str, x: str) -> list[Node] | None:
    """Matches ``Pow(x, 3)``, ``x * (x * x)`` or ``(x * x) * x``."""
    node = idx.producer_of(cube, "Pow")
    if node is not None:
        return [node] if node.inputs[0] == x and is_scalar(idx.graph, node.inputs[1], 3.0) else None
    node = idx.producer_of(cube, "Mul")
    if node is None or x not in node.inputs:
        return None
    sq = other_input(node, x)
    square = idx.producer_of(sq, "Mul") if sq else None
    if square is None or square.inputs != [x, x] or idx.sole_user(sq) is not node:
        return None
    return [square, node]


def _match_tanh(idx: Index, tanh: Node) -> GeluMatch | None:
    g = idx.graph
    outer = idx.producer_of(tanh.inputs[0], "Mul")
    if outer is None or idx.sole_user(tanh.inputs[0]) is not tanh:
        return None
    s = _const_operand(g, outer, TANH_BETA)
    add = idx.producer_of(s, "Add") if s else None
    if add is None or idx.sole_user(s) is not outer:
        return None
    for x, t in (add.inputs, add.inputs[::-1]):
        kmul = idx.producer_of(t, "Mul")
        if kmul is None or idx.sole_user(t) is not add:
            continue
        cube = _const_operand(g, kmul, TANH_KAPPA)
        cube_nodes = _match_cube(idx, cube, x) if cube else None
        if cube_nodes is None or idx.sole_user(cube) is not kmul:
            continue
        one_plus = _one_plus(idx, tanh.outputs[0])
        tail = _half_product(idx, x, one_plus.outputs[0]) if one_plus else None
        if tail is None:
            return None
        nodes = [*cube_nodes, kmul, add, outer, tanh, one_plus, *tail[0]]
        return GeluMatch(x, tail[1], nodes, "tanh")
    return None


def match_gelu(idx: Index, node: Node) -> GeluMatch | None:
    """The GELU subgraph around `node` (its Erf or Tanh), or None.

    Every intermediate value must have a single use and be no graph output; `x` may have
    other readers.
    """
    if node.domain:
        return None
    if node.op_type == "Erf":
        return _match_erf(idx, node)
    if node.op_type == "Tanh":
        return _match_tanh(idx, node)
    return None


def gelu_domain(graph: Graph) -> str:
    """Gelu is an ONNX op from opset 20; before that it is fastinfer's."""
    return "" if graph.opset >= 20 else FUSED_DOMAIN


def fuse_gelu(graph: Graph) -> int:
    """Replaces GELU subgraphs (erf or tanh form) by one ``Gelu`` node.

    The node has attribute ``approximate`` ("none" or "tanh") and is in the ONNX domain for
    opset >= 20, else in ``ai.fastinfer``.

    Parameters
    ----------
    graph : Graph
        Rewritten in place.

    Returns
    -------
    int
        The number of subgraphs replaced.
    """
    count = 0
    while True:
        idx = Index(graph)
        match = next((m for n in graph.nodes if (m := match_gelu(idx, n)) is not None), None)
        if match is None:
            return count
        fused = Node(
            "Gelu",
            [match.x],
            [match.output],
            {"approximate": match.approximate},
            name=f"Gelu/{match.nodes[-1].name}",
            domain=gelu_domain(graph),
        )
        replace(graph, match.nodes, fused)
        count += 1
