"""Shapes refreshed after folding: ONNX shape inference again over the optimized graph.

The loader infers shapes once, on the graph as exported. Where an exporter computes pads
or shapes through small constant subgraphs (TF-style "same" padding: ConstantOfShape ->
Concat -> Reshape -> Slice -> Transpose -> Cast -> Pad before each conv of Hugging Face's
MobileNetV2), ONNX's data propagation gives up and every dim after such a Pad gets a fresh
unknown symbol (``unk__N``). Once constant folding has made the pads constants and the
Pads are folded into their convs, inference can pin the dims down again: then a residual
Add sees that its two operands have the same shape and fuses into the conv before it.
"""

from __future__ import annotations

import itertools

import onnx

from ..ir.graph import Graph, Value
from ..ir.onnx_io import _value_of, to_onnx
from .unfuse import unfuse

# Constants bigger than this go to shape inference as typed inputs without data.
INFERENCE_DATA_LIMIT = 4096
_UNKNOWN_PREFIX = "unk__"
_calls = itertools.count()


def _score(dim: object) -> int:
    if isinstance(dim, int):
        return 2
    if isinstance(dim, str) and dim and not dim.startswith(_UNKNOWN_PREFIX):
        return 1  # a named symbol: equal names are equal dims
    return 0


def _more_precise(new: tuple | None, old: tuple | None) -> bool:
    if new is None:
        return False
    if old is None:
        return True
    if len(new) != len(old):
        return False
    # Inference never contradicts a known dim; if it did, keep what the loader had.
    if any(isinstance(o, int) and isinstance(n, int) and o != n for n, o in zip(new, old)):
        return False
    return sum(map(_score, new)) > sum(map(_score, old))


def _has_unknown_dims(graph: Graph) -> bool:
    return any(
        v.shape is None or any(_score(d) == 0 for d in v.shape)
        for k, v in graph.values.items()
        if k not in graph.constants
    )


def infer_value_infos(g: Graph) -> list[onnx.ValueInfoProto] | None:
    """ONNX shape inference (with data propagation) over `g` with its fused ops expanded
    and its weights as typed inputs without data: the value infos of every inferred value,
    or None when inference fails. `g` is a copy the caller owns (it is edited): only its
    graph inputs keep their value infos, as stale or symbolic ones would only conflict."""
    keep = set(g.input_names)
    outputs = {v.name: g.value(v.name).dtype for v in g.outputs}
    g.values = {k: v for k, v in g.values.items() if k in keep}
    for name, dtype in outputs.items():
        g.values[name] = Value(name, dtype, None)
    model = to_onnx(unfuse(g), with_value_info=False, constants_as_inputs_over=INFERENCE_DATA_LIMIT)
    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception:  # inference failing is not fatal: the caller keeps what it had
        return None
    return list(inferred.graph.value_info) + list(inferred.graph.output)


def refresh_shapes(graph: Graph) -> int:
    """Re-infers the shapes of `graph`'s values and keeps each one that inference now
    knows better (more dims concrete or named). Unknown symbols that inference makes up
    are renamed per call, so they never equal the loader's.

    Parameters
    ----------
    graph : Graph
        Its value shapes are updated in place; nodes are untouched.

    Returns
    -------
    int
        The number of values whose shape improved (0 when every shape was known, without
        running inference).
    """
    if not _has_unknown_dims(graph):
        return 0
    infos = infer_value_infos(graph.copy())
    if infos is None:
        return 0  # the loader's shapes stand
    suffix = f"~{next(_calls)}"
    improved = 0
    for vi in infos:
        old = graph.values.get(vi.name)
        if old is None:
            continue  # an intermediate of an expanded fused op
        new = _value_of(vi)
        shape = new.shape
        if shape is not None:
            shape = tuple(
                d + suffix if isinstance(d, str) and d.startswith(_UNKNOWN_PREFIX) else d
                for d in shape
            )
        if _more_precise(shape, old.shape):
            graph.values[vi.name] = Value(vi.name, old.dtype or new.dtype, shape)
            improved += 1
    return improved
