"""Conversion between ONNX protos and the graph IR."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from ..errors import InvalidModelError
from .graph import Graph, Node, Shape, Value, aligned, aligned_empty


def np_dtype(elem_type: int) -> np.dtype | None:
    if elem_type == 0:
        return None
    try:
        return np.dtype(helper.tensor_dtype_to_np_dtype(elem_type))
    except (KeyError, ValueError, TypeError):
        return None


def onnx_elem_type(dtype: np.dtype) -> int:
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def _shape_of(type_proto: onnx.TypeProto) -> Shape:
    if not type_proto.HasField("tensor_type") or not type_proto.tensor_type.HasField("shape"):
        return None
    dims: list[int | str | None] = []
    for d in type_proto.tensor_type.shape.dim:
        if d.HasField("dim_value"):
            dims.append(int(d.dim_value))
        elif d.HasField("dim_param"):
            dims.append(d.dim_param)
        else:
            dims.append(None)
    return tuple(dims)


def _value_of(info: onnx.ValueInfoProto) -> Value:
    elem = info.type.tensor_type.elem_type if info.type.HasField("tensor_type") else 0
    return Value(info.name, np_dtype(elem), _shape_of(info.type))


def _attr_value(attr: onnx.AttributeProto, node: onnx.NodeProto) -> Any:
    kind = attr.type
    if kind == onnx.AttributeProto.GRAPH or kind == onnx.AttributeProto.GRAPHS:
        raise InvalidModelError(
            f"node '{node.name}' ({node.op_type}) has a subgraph attribute '{attr.name}': "
            "control flow is not supported"
        )
    value = helper.get_attribute_value(attr)
    if kind == onnx.AttributeProto.TENSOR:
        return numpy_helper.to_array(value)
    if kind == onnx.AttributeProto.STRING:
        return value.decode("utf-8", errors="replace")
    if kind == onnx.AttributeProto.STRINGS:
        return [v.decode("utf-8", errors="replace") for v in value]
    if kind in (onnx.AttributeProto.INTS, onnx.AttributeProto.FLOATS):
        return list(value)
    return value


def from_onnx(
    model: onnx.ModelProto,
    *,
    release_weights: bool = False,
    lazy_path: str | None = None,
    lazy: list | None = None,
) -> Graph:
    """Builds the IR from a checked, shape-inferred ONNX model (external data loaded).

    ``release_weights``: clear each initializer's data in `model` once converted, so the
    weights are never held twice (the proto is not usable afterwards)."""
    g = model.graph
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    graph = Graph(name=g.name or "graph", opset=int(opset))
    for init in g.initializer:
        graph.constants[init.name] = aligned(numpy_helper.to_array(init))
        if release_weights:
            for field in ("raw_data", "float_data", "int32_data", "int64_data", "double_data"):
                init.ClearField(field)
    if lazy:
        # Large initializers left in the file by reader.loader.read_model: one at a time, so
        # each is held twice only while it converts.
        with open(lazy_path, "rb") as f:
            for t in lazy:
                try:
                    array = t.where.read_array(f, aligned_empty)
                    if array is None:
                        array = aligned(numpy_helper.to_array(t.where.read(f)))
                    graph.constants[t.name] = array
                except Exception as exc:
                    raise InvalidModelError(
                        f"model '{lazy_path}': initializer '{t.name}' is corrupt: {exc}"
                    ) from None
                del array
    for vi in list(g.value_info) + list(g.input) + list(g.output):
        v = _value_of(vi)
        graph.values[v.name] = v
    for name, c in graph.constants.items():
        graph.values[name] = Value(name, c.dtype, tuple(c.shape))
    # Inputs that are also initializers are constants with an overridable default; treat
    # them as constants (as onnxruntime does by default).
    graph.inputs = [graph.values[i.name] for i in g.input if i.name not in graph.constants]
    graph.outputs = [graph.values[o.name] for o in g.output]
    for i, n in enumerate(g.node):
        attrs = {a.name: _attr_value(a, n) for a in n.attribute}
        domain = n.domain if n.domain not in ("ai.onnx",) else ""
        graph.nodes.append(
            Node(
                n.op_type,
                list(n.input),
                list(n.output),
                attrs,
                n.name or f"{n.op_type}_{i}",
                domain,
            )
        )
    return graph


def _value_info(v: Value) -> onnx.ValueInfoProto:
    elem = onnx_elem_type(v.dtype) if v.dtype is not None else 0
    shape = None if v.shape is None else list(v.shape)
    return helper.make_tensor_value_info(v.name, elem, shape)


def to_onnx(
    graph: Graph, *, with_value_info: bool = True, constants_as_inputs_over: int | None = None
) -> onnx.ModelProto:
    """Writes the IR as an ONNX model. Fused ops are in the domain ``ai.fastinfer``.

    ``constants_as_inputs_over``: constants larger than this many bytes become graph inputs
    with their dtype and shape but no data (enough for shape inference, without copying
    the weights into the proto)."""
    nodes = []
    for n in graph.nodes:
        attrs = {}
        for k, v in n.attrs.items():
            attrs[k] = numpy_helper.from_array(v) if isinstance(v, np.ndarray) else v
        nodes.append(
            helper.make_node(
                n.op_type, n.inputs, n.outputs, name=n.name, domain=n.domain or None, **attrs
            )
        )
    limit = constants_as_inputs_over
    big = {n for n, c in graph.constants.items() if limit is not None and c.nbytes > limit}
    inits = [
        numpy_helper.from_array(np.asarray(c), name)
        for name, c in graph.constants.items()
        if name not in big
    ]
    weight_inputs = [
        _value_info(Value(n, graph.constants[n].dtype, tuple(graph.constants[n].shape)))
        for n in sorted(big)
    ]
    io = set(graph.input_names) | set(graph.output_names) | set(graph.constants)
    value_info = []
    if with_value_info:
        value_info = [
            _value_info(v) for k, v in graph.values.items() if k not in io and v.dtype is not None
        ]
    g = helper.make_graph(
        nodes,
        graph.name,
        [_value_info(v) for v in graph.inputs] + weight_inputs,
        [_value_info(graph.value(v.name)) for v in graph.outputs],
        initializer=inits,
        value_info=value_info,
    )
    opsets = [helper.make_opsetid("", graph.opset)]
    # Other domains (fastinfer's fused ops, onnxruntime's com.microsoft, ...) at version 1:
    # the IR does not keep their opset versions.
    for domain in sorted({n.domain for n in graph.nodes} - {"", "ai.onnx"}):
        opsets.append(helper.make_opsetid(domain, 1))
    model = helper.make_model(g, opset_imports=opsets, producer_name="fastinfer")
    model.ir_version = min(model.ir_version, 9)
    return model
