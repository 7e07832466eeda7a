"""Lazy reading of large initializers straight from the file (fastinfer.reader.onnx_file)."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import fastinfer
from fastinfer.errors import InvalidModelError
from fastinfer.reader.onnx_file import STREAM_OVER, read_split


def model_with_weights(tmp_path):
    rng = np.random.default_rng(0)
    big = rng.standard_normal((256, 300)).astype(np.float32)  # > STREAM_OVER bytes
    small = rng.standard_normal(300).astype(np.float32)
    assert big.nbytes > STREAM_OVER > small.nbytes
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["h"]), helper.make_node("Add", ["h", "b"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 256])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 300])],
        initializer=[numpy_helper.from_array(big, "w"), numpy_helper.from_array(small, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    return path, big, small


def test_split_keeps_structure_and_leaves_large_initializers_in_the_file(tmp_path):
    path, big, small = model_with_weights(tmp_path)
    model, lazy = read_split(str(path))
    assert [i.name for i in model.graph.initializer] == ["b"]
    assert [n.op_type for n in model.graph.node] == ["MatMul", "Add"]
    assert len(lazy) == 1
    with open(path, "rb") as f:
        tensor = lazy[0].read(f)
    assert tensor.name == "w"
    np.testing.assert_array_equal(numpy_helper.to_array(tensor), big)


def test_loading_from_a_path_gives_the_same_results(tmp_path):
    path, big, small = model_with_weights(tmp_path)
    x = np.ones((2, 256), np.float32)
    from_path = fastinfer.load(path, backend="native").run(x)["y"]
    from_bytes = fastinfer.load(path.read_bytes(), backend="native").run(x)["y"]
    np.testing.assert_array_equal(from_path, from_bytes)
    np.testing.assert_allclose(from_path, x @ big + small, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("cut", [1, 10, 100, 1000, 60000, -10])
def test_truncated_file_is_invalid_model(tmp_path, cut):
    path, _, _ = model_with_weights(tmp_path)
    data = path.read_bytes()
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(data[:cut])
    with pytest.raises(InvalidModelError):
        fastinfer.load(broken, backend="native")
