"""Graph passes: each is ``pass_name(graph) -> int``, rewriting the graph in place and
returning how many rewrites it made; :func:`optimize` runs them in order to a fixed point."""

from __future__ import annotations

from collections.abc import Callable

from ..ir.graph import Graph
from .constant_folding import constant_folding
from .dead_code import dead_code
from .fuse_attention import fuse_attention
from .fuse_conv import fuse_conv
from .fuse_gelu import fuse_gelu
from .fuse_layernorm import fuse_layernorm
from .fuse_linear import fuse_linear
from .fuse_silu import fuse_silu
from .onnx_attention import onnx_attention
from .refresh_shapes import refresh_shapes

Pass = Callable[[Graph], int]

# Folding first: exporters compute shapes and scales with Constant/Shape arithmetic, and the
# fusions match constants only. LayerNorm and attention go before linear fusion because
# their MatMuls and Adds would otherwise be taken by it (the attention MatMuls have no
# constant weight, but a LayerNorm's beta Add looks like a bias). Standalone GELU fusion
# runs after linear fusion so that a GELU following a linear layer becomes its activation.
_BASIC: list[Pass] = [constant_folding, dead_code]
_ALL: list[Pass] = [
    constant_folding,
    dead_code,
    fuse_layernorm,
    fuse_attention,
    onnx_attention,
    fuse_conv,
    fuse_linear,
    fuse_gelu,
    fuse_silu,
    dead_code,
]
LEVELS: dict[str, list[Pass]] = {"none": [], "basic": _BASIC, "all": _ALL}
# Run once, after the first round of "all": folding has then made the exporter's shape
# arithmetic constant, and fusions that compare shapes (a residual Add's operands) match in
# the next round (see refresh_shapes.py). Once, because inference is the slowest pass.
_REFRESH_AFTER_FIRST_ROUND = {"all"}

# A guard only: every rewrite removes nodes or turns ONNX ops into fused ones that no pass
# matches again, so a fixed point comes in 2-3 rounds.
MAX_ROUNDS = 10


def optimize(graph: Graph, level: str = "all") -> dict[str, int]:
    """Runs the passes of `level` over `graph`, repeatedly, until none rewrites anything.

    Parameters
    ----------
    graph : Graph
        Rewritten in place.
    level : {"all", "basic", "none"}
        "basic" folds constants and removes dead code; "all" also fuses LayerNorm,
        attention, Conv + BN/Relu, linear layers (with bias and activation), GELU and SiLU.

    Returns
    -------
    dict[str, int]
        The total rewrites per pass, by pass name.

    Raises
    ------
    ValueError
        If `level` is unknown.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown optimization level '{level}'; expected one of {list(LEVELS)}")
    passes = LEVELS[level]
    totals = {p.__name__: 0 for p in passes}
    for round_ in range(MAX_ROUNDS):
        changed = 0
        for p in passes:
            n = p(graph)
            totals[p.__name__] += n
            changed += n
        if round_ == 0 and level in _REFRESH_AFTER_FIRST_ROUND:
            n = refresh_shapes(graph)
            totals["refresh_shapes"] = n
            changed += n
        if changed == 0:
            break
    return totals


__all__ = [
    "LEVELS",
    "constant_folding",
    "dead_code",
    "fuse_attention",
    "fuse_conv",
    "fuse_gelu",
    "fuse_layernorm",
    "fuse_linear",
    "fuse_silu",
    "optimize",
    "refresh_shapes",
]
