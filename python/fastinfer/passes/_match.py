"""Helpers shared by the pattern-matching passes: who produces and uses a value, constants.

Passes find one match at a time on a fresh :class:`Index`, rewrite it, and look again: graphs
are at most a few thousand nodes, and re-indexing after each rewrite keeps every check
(single consumer, graph output) true for the graph as it is now.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..ir.graph import Graph, Node

COMMUTATIVE = frozenset({"Add", "Mul"})


class Index:
    """Producers and consumers of every value of `graph`, built once per look."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.producer = graph.producers()
        self.users = graph.consumers()
        self.graph_outputs = set(graph.output_names)

    def producer_of(self, name: str, op_type: str | None = None) -> Node | None:
        """The node producing `name` (of type `op_type`, in the ONNX domain, if given)."""
        node = self.producer.get(name)
        if node is None or (op_type is not None and (node.op_type != op_type or node.domain)):
            return None
        return node

    def sole_user(self, name: str, op_type: str | None = None) -> Node | None:
        """The only consumer of `name`, if it has exactly one use and is no graph output.

        A node that reads `name` twice (``Mul(x, x)``) counts as two uses.
        """
        users = self.users.get(name, [])
        if len(users) != 1 or name in self.graph_outputs:
            return None
        node = users[0]
        if op_type is not None and (node.op_type != op_type or node.domain):
            return None
        return node

    def is_private(self, name: str, allowed: Iterable[Node]) -> bool:
        """True if `name` is no graph output and only the nodes `allowed` read it."""
        ids = {id(n) for n in allowed}
        users = self.users.get(name, [])
        return name not in self.graph_outputs and all(id(n) in ids for n in users)


def constant(graph: Graph, name: str) -> np.ndarray | None:
    return graph.constants.get(name) if name else None


def scalar(graph: Graph, name: str) -> float | None:
    """The value of a one-element constant, else None."""
    c = constant(graph, name)
    if c is None or c.size != 1 or not np.issubdtype(c.dtype, np.number):
        return None
    return float(c.reshape(()))


def is_scalar(graph: Graph, name: str, value: float, rtol: float = 1e-5) -> bool:
    s = scalar(graph, name)
    return s is not None and abs(s - value) <= rtol * abs(value)


def other_input(node: Node, name: str) -> str | None:
    """For a binary op reading `name` once, the other operand."""
    if len(node.inputs) != 2 or node.inputs.count(name) != 1:
        return None
    return node.inputs[1] if node.inputs[0] == name else node.inputs[0]


def rank(graph: Graph, name: str) -> int | None:
    shape = graph.value(name).shape
    return None if shape is None else len(shape)


def replace(graph: Graph, old: list[Node], new: Node) -> None:
    """Puts `new` where the last of `old` was and removes `old`.

    The position keeps the order topological: every input of `new` is read by some node of
    `old`, so it is produced before the last of them, and every reader of the outputs of
    `new` (which takes over outputs of `old`) comes after it.
    """
    ids = {id(n) for n in old}
    last = max(i for i, n in enumerate(graph.nodes) if id(n) in ids)
    graph.nodes[last] = new
    graph.nodes = [n for n in graph.nodes if id(n) not in ids]


def first_match(graph: Graph, op_type: str, match):
    """The first ONNX-domain node of `op_type` for which ``match(index, node)`` returns
    something, and that result; None when no node matches. A fresh Index per call: the
    passes rewrite one match at a time."""
    idx = Index(graph)
    for node in graph.nodes:
        if node.op_type == op_type and not node.domain:
            found = match(idx, node)
            if found is not None:
                return found
    return None
