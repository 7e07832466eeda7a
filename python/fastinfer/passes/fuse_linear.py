"""Linear fusion: MatMul/Gemm with constant weights (+ bias, + activation) -> FusedLinear.

``FusedLinear(x, W, b)`` computes ``activation(x @ W + b)`` with W a constant (K, N) matrix,
b a constant (N,) vector or "" and ``activation`` one of "", "relu", "gelu", "gelu_tanh".
"""

from __future__ import annotations

import numpy as np

from ..ir.graph import FUSED_DOMAIN, Graph, Node
from ._match import Index, constant, other_input, rank, replace
from .fuse_gelu import match_gelu

_GELU_ACTIVATION = {"none": "gelu", "tanh": "gelu_tanh"}


def _as_bias(graph: Graph, name: str, n: int, y_rank: int | None, dtype: np.dtype) -> str | None:
    """`name` as an (N,) constant, if adding it to a (..., N) value of rank `y_rank` is the
    same as adding it along the last axis (a scalar or a (1, ..., 1, N) shape), else None."""
    c = constant(graph, name)
    if c is None or c.dtype != dtype or c.size not in (1, n):
        return None
    if c.ndim > 1 and (y_rank is None or c.ndim > y_rank):
        return None  # it would add leading dims to the result
    if c.size == n and c.ndim > 0 and c.shape[-1] != n:
        return None
    if c.shape == (n,):
        return name
    return graph.add_constant(f"{name}_vec", np.broadcast_to(c.reshape(-1), (n,)).copy())


def _linear(graph: Graph, matmul_like: Node, x: str, w: str, out: str, b: str) -> Node:
    return Node(
        "FusedLinear",
        [x, w, b],
        [out],
        {"activation": ""},
        name=f"FusedLinear/{matmul_like.name}",
        domain=FUSED_DOMAIN,
    )


def _fuse_matmul(idx: Index, node: Node) -> bool:
    graph = idx.graph
    x, w_name = node.inputs
    w = constant(graph, w_name)
    if w is None or w.ndim != 2 or x in graph.constants:
        return False
    y = node.outputs[0]
    add = idx.sole_user(y, "Add")
    bias = ""
    if add is not None and other_input(add, y) is not None:
        x_rank = rank(graph, x)
        bias = _as_bias(graph, other_input(add, y), w.shape[1], x_rank, w.dtype) or ""
    if bias:
        replace(graph, [node, add], _linear(graph, node, x, w_name, add.outputs[0], bias))
    else:
        replace(graph, [node], _linear(graph, node, x, w_name, y, ""))
    return True


def _fuse_gemm(idx: Index, node: Node) -> bool:
    graph = idx.graph
    a = node.attrs
    if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
        return False
    x, b_name = node.inputs[:2]
    c_name = node.inputs[2] if len(node.inputs) > 2 else ""
    w = constant(graph, b_name)
    if w is None or w.ndim != 2 or x in graph.constants:
        return False
    n = w.shape[0] if a.get("transB", 0) else w.shape[1]
    bias = ""
    if c_name:
        # Gemm's x is 2-D, so the result has rank 2.
        bias = _as_bias(graph, c_name, n, 2, w.dtype)
        if bias is None:
            return False
    if a.get("transB", 0):
        b_name = graph.add_constant(f"{b_name}_t", w.T.copy())
    replace(graph, [node], _linear(graph, node, x, b_name, node.outputs[0], bias))
    return True


def _near_users(idx: Index, name: str, depth: int = 5) -> list[Node]:
    """Nodes reading `name` through at most `depth` edges: where a GELU's Erf or Tanh is."""
    found: list[Node] = []
    frontier = [name]
    for _ in range(depth):
        nxt = [u for v in frontier for u in idx.users.get(v, []) if all(u is not f for f in found)]
        found.extend(nxt)
        frontier = [o for u in nxt for o in u.outputs]
    return found


def _fuse_activation(idx: Index, node: Node) -> bool:
    """Folds the activation reading a FusedLinear's output into it."""
    graph = idx.graph
    y = node.outputs[0]
    user = idx.sole_user(y)
    activation = None
    if user is not None and user.op_type == "Relu" and not user.domain:
        activation, absorbed, out = "relu", [user], user.outputs[0]
    elif user is not None and user.op_type == "Gelu" and user.domain in ("", FUSED_DOMAIN):
        activation = _GELU_ACTIVATION.get(user.attrs.get("approximate", "none"))
        absorbed, out = [user], user.outputs[0]
    else:
        near = _near_users(idx, y)
        m = next((m for u in near if (m := match_gelu(idx, u)) and m.x == y), None)
        # The GELU subgraph reads x several times; all of its readers must be in the match.
        if m is not None and idx.is_private(y, m.nodes):
            activation, absorbed, out = _GELU_ACTIVATION[m.approximate], m.nodes, m.output
    if activation is None:
        return False
    fused = Node(node.op_type, node.inputs, [out], {**node.attrs, "activation": activation})
    fused.name, fused.domain = node.name, node.domain
    replace(graph, [node, *absorbed], fused)
    return True


def fuse_linear(graph: Graph) -> int:
    """Rewrites MatMul/Gemm with constant weights into ``FusedLinear`` and folds into it a
    bias Add and a Relu or GELU that follow it.

    - ``MatMul(x, W)`` with W a constant 2-D matrix, followed by ``Add(., b)`` (either operand
      order) with b a constant of N elements along the last axis -> ``FusedLinear(x, W, b)``;
      without such an Add -> ``FusedLinear(x, W, "")``.
    - ``Gemm(x, B, C)`` with B constant, alpha = beta = 1, no transA -> ``FusedLinear`` (B
      transposed at compile time if transB; C, if any, must be a bias as above).
    - ``FusedLinear`` + ``Relu`` / ``Gelu`` / a GELU subgraph (see :mod:`.fuse_gelu`) -> its
      ``activation`` set to "relu", "gelu" or "gelu_tanh".

    Only values read by nothing but the next node of the pattern, and not graph outputs, are
    fused away.

    Parameters
    ----------
    graph : Graph
        Rewritten in place.

    Returns
    -------
    int
        The number of rewrites: one per FusedLinear created, one per activation folded.
    """
    count = 0
    # Nodes already found unfusable: a rewrite elsewhere does not change what reads them
    # (rewrites replace a node and its private readers only), so each is checked once
    # instead of once per restart of the scan.
    settled: set[int] = set()
    keep_alive: list[Node] = []  # so that no new node can take a settled node's id
    while True:
        idx = Index(graph)
        for node in graph.nodes:
            if id(node) in settled:
                continue
            if node.domain == "" and node.op_type == "MatMul" and _fuse_matmul(idx, node):
                break
            if node.domain == "" and node.op_type == "Gemm" and _fuse_gemm(idx, node):
                break
            if (
                node.domain == FUSED_DOMAIN
                and node.op_type == "FusedLinear"
                and node.attrs.get("activation", "") == ""
            ):
                if _fuse_activation(idx, node):
                    break
                settled.add(id(node))
                keep_alive.append(node)
        else:
            return count
        count += 1
