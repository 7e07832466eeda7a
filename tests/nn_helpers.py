"""One-node plans for the nn kernel tests, and ONNX reference results to compare with."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper
from onnx.reference import ReferenceEvaluator

from fastinfer import _core

F32, I64 = 1, 7


def run_node(op, inputs, out_shapes, attrs=None, out_dtypes=None):
    """Builds and runs a one-step plan.

    inputs: list of (array, is_constant) pairs, or None for an omitted optional input.
    """
    p = _core.Plan()
    ids, feeds = [], []
    for i, item in enumerate(inputs):
        if item is None:
            ids.append(-1)
            continue
        arr, const = item
        if const:
            ids.append(p.add_constant(np.array(arr, order="C"), f"c{i}"))
        else:
            ids.append(p.add_input(F32, list(arr.shape), f"in{i}"))
            feeds.append(np.array(arr, dtype=np.float32, order="C"))
    dtypes = out_dtypes or [F32] * len(out_shapes)
    outs = [
        p.add_output(dt, list(s), f"out{j}") for j, (s, dt) in enumerate(zip(out_shapes, dtypes))
    ]
    p.add_step(op, "node", ids, outs, attrs or {})
    p.finalize()
    return p.run(feeds)


def onnx_reference(op, inputs, n_outputs=1, **attrs):
    """Runs op on the ONNX reference evaluator; inputs may contain None for omitted ones."""
    names = [f"i{k}" if a is not None else "" for k, a in enumerate(inputs)]
    node = helper.make_node(op, names, [f"o{j}" for j in range(n_outputs)], **attrs)
    graph = helper.make_graph(
        [node],
        "g",
        [
            helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, a.shape)
            for n, a in zip(names, inputs)
            if a is not None
        ],
        [
            helper.make_tensor_value_info(f"o{j}", onnx.TensorProto.UNDEFINED, None)
            for j in range(n_outputs)
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    feeds = {n: a for n, a in zip(names, inputs) if a is not None}
    return ReferenceEvaluator(model).run(None, feeds)


def ort_reference(op, inputs, out_types=(onnx.TensorProto.FLOAT,), **attrs):
    """Runs op on onnxruntime (CPU); used where the ONNX reference evaluator is known to
    differ from it (MaxPool indices with auto_pad)."""
    import onnxruntime as ort

    names = [f"i{k}" for k in range(len(inputs))]
    outs = [f"o{j}" for j in range(len(out_types))]
    graph = helper.make_graph(
        [helper.make_node(op, names, outs, **attrs)],
        "g",
        [
            helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, a.shape)
            for n, a in zip(names, inputs)
        ],
        [helper.make_tensor_value_info(o, t, None) for o, t in zip(outs, out_types)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, dict(zip(names, inputs)))
