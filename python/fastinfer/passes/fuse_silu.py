"""SiLU fusion: ``Mul(x, Sigmoid(x))`` (either operand order), as exporters write
``nn.SiLU`` and swish, becomes one fastinfer ``Silu`` node."""

from __future__ import annotations

from ..ir.graph import FUSED_DOMAIN, Graph, Node
from ._match import Index, other_input, replace


def _match(idx: Index, sigmoid: Node) -> Node | None:
    """The Mul that multiplies `sigmoid`'s input by its output, if that is its only use."""
    if sigmoid.op_type != "Sigmoid" or sigmoid.domain or len(sigmoid.inputs) != 1:
        return None
    mul = idx.sole_user(sigmoid.outputs[0], "Mul")
    if mul is None or other_input(mul, sigmoid.outputs[0]) != sigmoid.inputs[0]:
        return None
    return mul


def fuse_silu(graph: Graph) -> int:
    """Replaces each ``x * Sigmoid(x)`` whose Sigmoid feeds only that Mul by ``Silu(x)``.

    Parameters
    ----------
    graph : Graph
        Rewritten in place.

    Returns
    -------
    int
        The number of pairs replaced.
    """
    count = 0
    while True:
        idx = Index(graph)
        found = next(((s, m) for s in graph.nodes if (m := _match(idx, s)) is not None), None)
        if found is None:
            return count
        sigmoid, mul = found
        fused = Node(
            "Silu", [sigmoid.inputs[0]], [mul.outputs[0]], {}, f"Silu/{mul.name}", FUSED_DOMAIN
        )
        replace(graph, [sigmoid, mul], fused)
        count += 1
