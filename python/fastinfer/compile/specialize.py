"""Specialization: make every shape static for one input-shape signature.

Plans are compiled per signature, so everything that depends only on shapes (Shape,
Gather of a shape, Range, ConstantOfShape, Expand of constants, ...) becomes a constant and
the native plan only computes on tensors. The shapes of all values come from one run of
ONNX's numpy reference evaluator over the *original* model with zero-filled inputs of the
signature: values that do not depend on input data are exact in that run, and every
shape is. That keeps specialization exact without a shape function per op.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import onnx
from onnx.reference import ReferenceEvaluator

from ..errors import InvalidModelError
from ..ir import Graph, Value

# Ops whose output depends on the input's shape only, not its values.
SHAPE_ONLY_OPS = {"Shape", "Size"}


def reference_values(
    original: onnx.ModelProto, feeds: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Every value of the original model for zero-filled inputs of the signature."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            evaluator = ReferenceEvaluator(original)
            results = evaluator.run(None, dict(feeds), intermediate=True)
    except Exception as exc:
        raise InvalidModelError(
            f"cannot infer shapes for inputs { ({k: v.shape for k, v in feeds.items()}) }: {exc}"
        ) from None
    return {k: np.asarray(v) for k, v in results.items() if k and v is not None}


def zero_feeds(graph: Graph, shapes: Mapping[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    return {v.name: np.zeros(shapes[v.name], dtype=v.dtype) for v in graph.inputs}


def specialize(
    graph: Graph, values: Mapping[str, np.ndarray], shapes: Mapping[str, tuple[int, ...]]
) -> Graph:
    """A copy of `graph` with static shapes and its shape-only computations folded.

    Parameters
    ----------
    graph : Graph
        The optimized graph (dynamic dims allowed).
    values : mapping
        :func:`reference_values` of the original model for this signature.
    shapes : mapping
        The concrete shape of every graph input.
    """
    g = graph.copy()
    for v in g.inputs:
        v.shape = tuple(int(d) for d in shapes[v.name])
        g.values[v.name] = v
    for name, arr in values.items():
        if name not in g.constants:
            g.values[name] = Value(name, arr.dtype, tuple(arr.shape))

    data_dependent = set(g.input_names)
    kept = []
    for node in g.nodes:
        depends_on_data = node.op_type not in SHAPE_ONLY_OPS and any(
            i in data_dependent for i in node.inputs if i
        )
        outputs = [o for o in node.outputs if o]
        if not depends_on_data and all(o in values for o in outputs):
            for o in outputs:
                g.constants[o] = np.asarray(values[o], order="C")
            continue
        if not depends_on_data:
            raise InvalidModelError(
                f"node '{node.name}' ({node.op_type}) computes a constant the specializer "
                "could not evaluate"
            )
        data_dependent.update(outputs)
        missing = [o for o in outputs if o not in g.values or not g.values[o].is_static]
        if missing:
            raise InvalidModelError(
                f"no static shape for {missing} produced by node '{node.name}' ({node.op_type})"
            )
        kept.append(node)
    g.nodes = kept
    _remove_dead(g)
    return g


def _remove_dead(g: Graph) -> None:
    needed = set(g.output_names)
    alive = []
    for node in reversed(g.nodes):
        if any(o in needed for o in node.outputs):
            alive.append(node)
            needed.update(i for i in node.inputs if i)
    g.nodes = list(reversed(alive))
    g.constants = {k: v for k, v in g.constants.items() if k in needed}
