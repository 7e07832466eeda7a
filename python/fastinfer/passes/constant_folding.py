"""Constant folding: evaluates nodes whose inputs are all constants, at compile time."""

from __future__ import annotations

import numpy as np
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from ..compile.shape_values import VALUE_RULES
from ..ir.graph import Graph, Node, Value
from ..ir.onnx_io import onnx_elem_type

# Ops whose outputs differ from run to run: folding would freeze one draw.
RANDOM_OPS = frozenset(
    {
        "RandomNormal",
        "RandomNormalLike",
        "RandomUniform",
        "RandomUniformLike",
        "Multinomial",
        "Bernoulli",
        "Dropout",  # random in training mode
    }
)

# A folded constant is stored in the plan (and in memory while compiling). Ops like Expand,
# Tile and ConstantOfShape turn a few bytes into an arbitrarily large tensor that is cheaper
# to compute at run time than to store, so a result above this size that is also larger than
# its inputs stays a node.
MAX_FOLDED_BYTES = 64 << 20


def _predicted_nbytes(graph: Graph, node: Node) -> int | None:
    """The size of the outputs of `node` if known before running it, else None."""
    total = 0
    for out in node.outputs:
        if not out:
            continue
        v = graph.value(out)
        if not v.is_static or v.dtype is None:
            return None
        total += int(np.prod(v.shape, dtype=np.int64)) * np.dtype(v.dtype).itemsize
    # Shape inference may not know the output of the ops that blow up; their output size
    # follows from their constant inputs.
    c = [graph.constants.get(i) for i in node.inputs]
    if total == 0 and node.op_type == "ConstantOfShape" and c[0] is not None:
        value = node.attrs.get("value")
        itemsize = 4 if value is None else np.asarray(value).dtype.itemsize
        total = int(np.prod(c[0], dtype=np.int64)) * itemsize
    elif total == 0 and node.op_type == "Expand" and c[0] is not None and c[1] is not None:
        shape = np.broadcast_shapes(c[0].shape, tuple(int(d) for d in c[1]))
        total = int(np.prod(shape, dtype=np.int64)) * c[0].itemsize
    elif total == 0 and node.op_type == "Tile" and c[0] is not None and c[1] is not None:
        total = c[0].nbytes * int(np.prod(c[1], dtype=np.int64))
    return total or None


def _too_big(nbytes: int, input_bytes: int) -> bool:
    return nbytes > MAX_FOLDED_BYTES and nbytes > input_bytes


# Ops of exporters' shape arithmetic folded in numpy directly (building a reference
# evaluator per node costs ~0.3 ms, a fifth of loading a transformer export).
_NUMPY_FOLDS = {"Unsqueeze", "Squeeze", "Concat", "Gather", "Cast", "Identity"}


def _evaluate_numpy(graph: Graph, node: Node) -> list[np.ndarray] | None:
    if node.op_type not in _NUMPY_FOLDS:
        return None
    vals = [graph.constants[i] if i else None for i in node.inputs]
    if node.op_type == "Unsqueeze" and len(vals) < 2 and "axes" not in node.attrs:
        return None  # invalid: the reference evaluator says why
    if node.op_type == "Cast":
        out = np.dtype(helper.tensor_dtype_to_np_dtype(int(node.attrs["to"])))
        src = vals[0].dtype.kind
        # Strings, and float -> int rounding rules, stay with the reference.
        if out.kind not in "biuf" or src not in "biuf" or (out.kind in "iu" and src == "f"):
            return None
    else:
        out = vals[0].dtype
    return [np.asarray(r, dtype=out) for r in VALUE_RULES[node.op_type](node, vals, [out])]


def _evaluate(graph: Graph, node: Node) -> list[np.ndarray]:
    """Runs one node on its constant inputs (numpy for shape arithmetic, else the ONNX
    reference evaluator)."""
    fast = _evaluate_numpy(graph, node)
    if fast is not None:
        return fast
    names = [i for i in node.inputs if i]
    feeds = {i: graph.constants[i] for i in names}
    inputs = [
        helper.make_tensor_value_info(i, onnx_elem_type(a.dtype), list(a.shape))
        for i, a in feeds.items()
    ]
    outputs = [helper.make_tensor_value_info(o, 0, None) for o in node.outputs if o]
    attrs = {
        k: numpy_helper.from_array(v) if isinstance(v, np.ndarray) else v
        for k, v in node.attrs.items()
    }
    proto = helper.make_node(node.op_type, node.inputs, node.outputs, **attrs)
    model = helper.make_model(
        helper.make_graph([proto], "fold", inputs, outputs),
        opset_imports=[helper.make_opsetid("", graph.opset)],
    )
    model.ir_version = min(model.ir_version, 9)
    return list(ReferenceEvaluator(model).run(None, feeds))


def _foldable(graph: Graph, node: Node, graph_outputs: set[str]) -> bool:
    if node.domain or node.op_type in RANDOM_OPS:
        return False
    if not all(i == "" or i in graph.constants for i in node.inputs):
        return False
    # A graph output stays computed by a node: a plan maps outputs to arena tensors.
    return not any(o in graph_outputs for o in node.outputs)


def constant_folding(graph: Graph) -> int:
    """Replaces every node whose inputs are all constants by the constants it computes.

    ``Constant`` nodes (no inputs) become graph constants too. Ops with random outputs, nodes
    producing a graph output, fused ops, nodes the reference evaluator cannot run and results
    over 64 MiB that are larger than their inputs are left in place.

    Parameters
    ----------
    graph : Graph
        Rewritten in place; folded values are added to ``graph.constants`` under their names.
        Constants no longer used are left for :func:`dead_code` to remove.

    Returns
    -------
    int
        The number of nodes folded.
    """
    folded = 0
    graph_outputs = set(graph.output_names)
    kept: list[Node] = []
    for node in graph.nodes:
        if not _foldable(graph, node, graph_outputs):
            kept.append(node)
            continue
        input_bytes = sum(graph.constants[i].nbytes for i in node.inputs if i)
        predicted = _predicted_nbytes(graph, node)
        if predicted is not None and _too_big(predicted, input_bytes):
            kept.append(node)
            continue
        try:
            results = _evaluate(graph, node)
        except Exception:  # noqa: BLE001
            # The reference evaluator lacks some ops and dtypes; such a node simply runs at
            # run time, as it would without this pass.
            kept.append(node)
            continue
        arrays = [np.asarray(r) for r in results]
        if _too_big(sum(a.nbytes for a in arrays), input_bytes):
            kept.append(node)
            continue
        for name, array in zip([o for o in node.outputs if o], arrays):
            graph.constants[name] = np.asarray(array, order="C")
            graph.values[name] = Value(name, array.dtype, tuple(array.shape))
        folded += 1
    graph.nodes = kept
    return folded
