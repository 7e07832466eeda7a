"""Specialization: make every shape static for one input-shape signature.

Plans are compiled per signature, so everything that depends only on shapes (Shape,
Gather of a shape, Range, ConstantOfShape, Expand of constants, ...) becomes a constant and
the native plan only computes on tensors.

How: ONNX shape inference (with data propagation) runs over the optimized graph with its
fused ops expanded back to standard ONNX and the signature's input dims; weights go in as
typed inputs without data, so nothing large is copied. Shape/Size nodes then become
constants and constant folding evaluates what depends only on them. Where inference leaves
a shape unknown, one run of ONNX's numpy reference evaluator on zero-filled inputs gives
every value exactly (slower, and it holds all intermediates at once).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
from onnx.reference import ReferenceEvaluator

from ..errors import InvalidModelError
from ..ir import Graph, Value
from ..ir.onnx_io import _value_of, to_onnx

# Ops whose output depends on the input's shape only, not its values.
SHAPE_ONLY_OPS = {"Shape", "Size"}


def _with_input_shapes(graph: Graph, shapes: Mapping[str, tuple[int, ...]]) -> Graph:
    g = graph.copy()
    for v in g.inputs:
        v.shape = tuple(int(d) for d in shapes[v.name])
        g.values[v.name] = v
    return g


def inferred_shapes(graph: Graph, shapes: Mapping[str, tuple[int, ...]]) -> dict[str, Value]:
    """Static dtype and shape of every value ONNX shape inference can pin down."""
    from ..passes.refresh_shapes import infer_value_infos

    infos = infer_value_infos(_with_input_shapes(graph, shapes))
    if infos is None:
        return {}  # the reference run decides
    out: dict[str, Value] = {}
    for vi in infos:
        v = _value_of(vi)
        if v.dtype is not None and v.is_static:
            out[v.name] = v
    return out


def _fold_shape_nodes(g: Graph) -> int:
    """Shape/Size of a value with a static shape -> a constant."""
    folded = 0
    kept = []
    for n in g.nodes:
        v = g.value(n.inputs[0]) if n.op_type in SHAPE_ONLY_OPS else None
        if v is None or not v.is_static:
            kept.append(n)
            continue
        dims = np.array(v.shape, dtype=np.int64)
        if n.op_type == "Size":
            value = np.array(int(np.prod(dims)), dtype=np.int64)
        else:
            start = int(n.attrs.get("start", 0))
            end = n.attrs.get("end")
            value = dims[start:] if end is None else dims[start : int(end)]
        g.constants[n.outputs[0]] = value
        g.values[n.outputs[0]] = Value(n.outputs[0], value.dtype, tuple(value.shape))
        folded += 1
    g.nodes = kept
    return folded


def _data_dependent(g: Graph) -> set[str]:
    dependent = set(g.input_names)
    for n in g.nodes:
        if n.op_type not in SHAPE_ONLY_OPS and any(i in dependent for i in n.inputs if i):
            dependent.update(o for o in n.outputs if o)
    return dependent


def _complete(g: Graph) -> bool:
    """Every remaining node computes on input data and has static outputs."""
    dependent = _data_dependent(g)
    for n in g.nodes:
        if not any(i in dependent for i in n.inputs if i):
            return False
        if any(not g.value(o).is_static or g.value(o).dtype is None for o in n.outputs if o):
            return False
    return True


def _remove_dead(g: Graph) -> None:
    needed = set(g.output_names)
    alive = []
    for node in reversed(g.nodes):
        if any(o in needed for o in node.outputs):
            alive.append(node)
            needed.update(i for i in node.inputs if i)
    g.nodes = list(reversed(alive))
    g.constants = {k: v for k, v in g.constants.items() if k in needed}


def specialize(graph: Graph, shapes: Mapping[str, tuple[int, ...]]) -> Graph:
    """A copy of `graph` with static shapes and its shape-only computations folded.

    Parameters
    ----------
    graph : Graph
        The optimized graph (dynamic dims allowed).
    shapes : mapping
        The concrete shape of every graph input.
    """
    from ..passes.constant_folding import constant_folding

    g = _with_input_shapes(graph, shapes)
    g.values.update(inferred_shapes(graph, shapes))
    while _fold_shape_nodes(g) + constant_folding(g):
        pass
    if _complete(g):
        _remove_dead(g)
        return g
    return specialize_by_reference(graph, shapes)


def specialize_by_reference(graph: Graph, shapes: Mapping[str, tuple[int, ...]]) -> Graph:
    """The exact but heavier path: every value from one reference run on zero inputs."""
    from ..ir.reference import FUSED_OPS

    g = _with_input_shapes(graph, shapes)
    feeds = {v.name: np.zeros(v.shape, dtype=v.dtype) for v in g.inputs}
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            evaluator = ReferenceEvaluator(to_onnx(graph, with_value_info=False), new_ops=FUSED_OPS)
            results = evaluator.run(None, feeds, intermediate=True)
    except Exception as exc:
        raise InvalidModelError(f"cannot infer shapes for inputs {dict(shapes)}: {exc}") from None
    values = {k: np.asarray(v) for k, v in results.items() if k and v is not None}
    for name, arr in values.items():
        if name not in g.constants:
            g.values[name] = Value(name, arr.dtype, tuple(arr.shape))
    dependent = set(g.input_names)
    kept = []
    for node in g.nodes:
        outputs = [o for o in node.outputs if o]
        depends = node.op_type not in SHAPE_ONLY_OPS and any(
            i in dependent for i in node.inputs if i
        )
        if not depends:
            if not all(o in values for o in outputs):
                raise InvalidModelError(
                    f"node '{node.name}' ({node.op_type}) computes a constant the specializer "
                    "could not evaluate"
                )
            for o in outputs:
                g.constants[o] = values[o]
            continue
        dependent.update(outputs)
        kept.append(node)
    g.nodes = kept
    _remove_dead(g)
    return g
