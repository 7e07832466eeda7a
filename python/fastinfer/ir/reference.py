"""A numpy reference interpreter for IR graphs, fused ops included.

ONNX ops run through ``onnx.reference.ReferenceEvaluator``; the ops that fastinfer's passes
create (domain ``ai.fastinfer``) run through the numpy definitions of their schemas
(fastinfer/fused). Tests compare a graph before and after a pass with this interpreter to
prove that the pass keeps the numerics.
"""

from __future__ import annotations

import numpy as np
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import OpRun

from ..fused import FUSED_SCHEMAS
from .graph import Graph
from .onnx_io import to_onnx

FUSED_OPS: list[type[OpRun]] = [s.reference for s in FUSED_SCHEMAS.values()]


def run_reference(graph: Graph, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Runs `graph` with the numpy reference interpreter.

    Parameters
    ----------
    graph : Graph
        The graph to run; it may contain fused ops of the domain ``ai.fastinfer``.
    inputs : dict[str, numpy.ndarray]
        One array per graph input, by name.

    Returns
    -------
    dict[str, numpy.ndarray]
        One array per graph output, by name.
    """
    # Value infos are left out: passes may leave stale entries for values they removed, and
    # the evaluator does not need them.
    model = to_onnx(graph, with_value_info=False)
    session = ReferenceEvaluator(model, new_ops=FUSED_OPS)
    results = session.run(None, dict(inputs))
    return dict(zip(graph.output_names, results))
