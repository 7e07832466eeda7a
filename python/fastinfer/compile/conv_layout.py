"""Which convolutions keep their tensors in the channel-blocked layout (NCHW16c).

A tensor between convolutions is stored blocked, (N, C/16, H, W, 16), when the plan owns
both ends of it: its producer and every consumer are eligible convolutions (2-D, no
dilation, float32, channels in multiples of 16; group 1, or depthwise with one output
channel per input channel) that read it as their input or residual, and it is not a graph
output. Those convs then run the blocked kernels (cpp/src/ops/conv/blocked.h), whose tiles
broadcast one pixel and load 16 output channels per vector from contiguous memory (a
depthwise tile: one vector per pixel and tap); a chain's first conv reorders its NCHW input
and its last writes NCHW, so nothing outside the chain sees the layout. A residual may be
in either layout (the kernel reorders an NCHW one). A chain whose convs mostly sit at its
ends (each reordering its input or output) is not worth it and stays NCHW.

The layout is decided at lowering and passed as kernel attributes (``blocked_x``,
``blocked_y``, ``blocked_r``); the graph IR, saved models and exports stay NCHW.
``FASTINFER_CONV_LAYOUT=nchw`` turns it off (for comparisons).
"""

from __future__ import annotations

import os

import numpy as np

from ..ir.graph import Graph, Node

BLOCK = 16
CONV_OPS = ("Conv", "FusedConv")


def _eligible(graph: Graph, node: Node) -> bool:
    if node.op_type not in CONV_OPS or len(node.inputs) < 2:
        return False
    w = graph.constants.get(node.inputs[1])
    if w is None or w.ndim != 4 or w.dtype != np.float32:
        return False
    if graph.value(node.inputs[0]).dtype not in (None, np.dtype(np.float32)):
        return False
    if any(int(d) != 1 for d in node.attrs.get("dilations", [1, 1])):
        return False
    group = int(node.attrs.get("group", 1))
    if group != 1:  # depthwise, one output channel per input channel
        return group == w.shape[0] and w.shape[1] == 1 and w.shape[0] % BLOCK == 0
    return w.shape[0] % BLOCK == 0 and w.shape[1] % BLOCK == 0


def blocked_conv_attrs(graph: Graph) -> dict[int, dict[str, int]]:
    """``id(node)`` -> ``{"blocked_x", "blocked_y", "blocked_r": 0|1}`` (input, output and
    residual layouts) for the convs that take the blocked route (any of them blocked)."""
    if os.environ.get("FASTINFER_CONV_LAYOUT", "").lower() == "nchw":
        return {}
    convs = [n for n in graph.nodes if _eligible(graph, n)]
    eligible = {id(n) for n in convs}
    users = graph.consumers()
    graph_outputs = set(graph.output_names)
    blocked: set[str] = set()
    for n in convs:
        y = n.outputs[0]
        uses = users.get(y, [])
        if not uses or y in graph_outputs:
            continue
        if all(
            id(u) in eligible and all(i != y for k, i in enumerate(u.inputs) if k not in (0, 3))
            for u in uses
        ):
            blocked.add(y)
    _drop_boundary_chains(convs, blocked)
    attrs: dict[int, dict[str, int]] = {}
    for n in convs:
        bx, by = int(n.inputs[0] in blocked), int(n.outputs[0] in blocked)
        br = int(len(n.inputs) > 3 and n.inputs[3] in blocked)
        if bx or by or br:
            attrs[id(n)] = {"blocked_x": bx, "blocked_y": by, "blocked_r": br}
    return attrs


def _drop_boundary_chains(convs: list[Node], blocked: set[str]) -> None:
    """Unblocks every chain (convs joined by blocked tensors) with fewer interior convs,
    both tensors blocked, than convs at its ends, which pay a reorder each."""
    parent = {id(n): id(n) for n in convs}

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    by_tensor: dict[str, list[int]] = {}
    for n in convs:
        for t in (n.inputs[0], n.outputs[0], n.inputs[3] if len(n.inputs) > 3 else ""):
            if t in blocked:
                by_tensor.setdefault(t, []).append(id(n))
    for ids in by_tensor.values():
        for k in ids[1:]:
            parent[root(k)] = root(ids[0])
    interior: dict[int, int] = {}
    ends: dict[int, int] = {}
    for n in convs:
        bx, by = n.inputs[0] in blocked, n.outputs[0] in blocked
        r = root(id(n))
        if bx and by:
            interior[r] = interior.get(r, 0) + 1
        elif bx or by:
            ends[r] = ends.get(r, 0) + 1
    for t, ids in by_tensor.items():
        r = root(ids[0])
        if interior.get(r, 0) < ends.get(r, 0):
            blocked.discard(t)
