"""Errors of the C++ side reach users as the package's exceptions, naming the node."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import fastinfer


def gather_model():
    table = np.arange(20, dtype=np.float32).reshape(10, 2)
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "ids"], ["y"], name="lookup")],
        "g",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["n"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2])],
        initializer=[numpy_helper.from_array(table, "table")],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), table


def test_index_out_of_range_is_a_kernel_error_naming_the_node():
    proto, table = gather_model()
    model = fastinfer.load(proto, backend="native")
    np.testing.assert_array_equal(model(np.array([1, -1], np.int64)), table[[1, -1]])
    with pytest.raises(
        fastinfer.KernelError, match=r"Gather 'lookup': index 12 is out of range"
    ) as e:
        model(np.array([0, 12], np.int64))
    assert e.value.node == "lookup" and e.value.op == "Gather"
    assert isinstance(e.value, ValueError)  # catchable as the built-in too
    # The model still works after a failed run (its arena went back to the pool).
    np.testing.assert_array_equal(model(np.array([3], np.int64)), table[[3]])
