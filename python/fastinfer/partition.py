"""Partitioned execution: the nodes the native backend lacks run on onnxruntime, the rest
natively, as consecutive steps of one model.

The optimized graph's nodes, in topological order, are cut into maximal runs with the same
placement. Each run becomes a segment with its own inputs (graph inputs or earlier
segments' outputs) and outputs (what later segments or the graph read): a native segment is
a sub-model with its own shape classes; an onnxruntime segment is an InferenceSession over
that subgraph. Like onnxruntime's execution-provider assignment, which node ran where is
reported (``Model.placement``, ``Model.summary()``, the load log).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .compile.lower import _data_dependent, unsupported_ops
from .ir import Graph, Node, Value
from .ir.onnx_io import to_onnx

NATIVE, ORT = "native", "onnxruntime"

_ORT_TYPES = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(int8)": np.int8,
    "tensor(uint8)": np.uint8,
    "tensor(bool)": np.bool_,
}


@dataclass
class Segment:
    placement: str  # NATIVE or ORT
    nodes: list[Node]
    inputs: list[str]
    outputs: list[str]
    runner: Any = None  # a Model (native) or an onnxruntime InferenceSession

    def run(self, env: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        feeds = {n: env[n] for n in self.inputs}
        if self.placement == NATIVE:
            return self.runner.run(feeds)
        return dict(zip(self.outputs, self.runner.run(self.outputs, feeds)))


def placements(graph: Graph) -> dict[str, str]:
    """Node name -> where it runs: onnxruntime for nodes the native backend lacks."""
    missing = {n for names in unsupported_ops(graph).values() for n in names}
    return {n.name: ORT if n.name in missing else NATIVE for n in graph.nodes}


def _cut(graph: Graph, where: dict[str, str]) -> list[Segment]:
    runs: list[Segment] = []
    for node in graph.nodes:
        place = where[node.name]
        if not runs or runs[-1].placement != place:
            runs.append(Segment(place, [], [], []))
        runs[-1].nodes.append(node)
    _pull_shape_chains(graph, runs)
    later_reads: set[str] = set(graph.output_names)
    for seg in reversed(runs):
        produced = {o for n in seg.nodes for o in n.outputs if o}
        seg.outputs = sorted(produced & later_reads)
        reads = {i for n in seg.nodes for i in n.inputs if i}
        seg.inputs = sorted((reads - produced) - set(graph.constants))
        later_reads |= set(seg.inputs)
    return runs


def _pull_shape_chains(graph: Graph, runs: list[Segment]) -> None:
    """Gives each native segment its own copy of the shape computations it reads.

    A value computed from shapes only (Shape -> Gather -> Concat -> a Reshape target) is
    a constant for each shape class inside one native plan; passed in from another segment
    it would be plain data, which Reshape cannot take. So the chain back to its Shape nodes
    is repeated inside the segment (cheap: a few small ops), and the tensors those Shape
    nodes read become the segment's inputs."""
    dependent = _data_dependent(graph)
    producers = graph.producers()
    order = {id(n): k for k, n in enumerate(graph.nodes)}
    for seg in runs:
        if seg.placement != NATIVE:
            continue
        have = {id(n) for n in seg.nodes}
        produced = {o for n in seg.nodes for o in n.outputs if o}
        stack = [i for n in seg.nodes for i in n.inputs if i and i not in produced]
        extra: list[Node] = []
        while stack:
            v = stack.pop()
            node = producers.get(v)
            if node is None or v in dependent or v in graph.constants or id(node) in have:
                continue
            have.add(id(node))
            extra.append(node)
            if node.op_type not in ("Shape", "Size"):
                stack.extend(i for i in node.inputs if i)
        if extra:
            seg.nodes = sorted(seg.nodes + extra, key=lambda n: order[id(n)])


def _subgraph(graph: Graph, seg: Segment, dtypes: Mapping[str, np.dtype]) -> Graph:
    used = {i for n in seg.nodes for i in n.inputs if i}
    producer = {o: n for n in seg.nodes for o in n.outputs if o}
    values = {}
    for name in seg.inputs + seg.outputs:
        known = graph.value(name)
        dtype = dtypes.get(name, known.dtype)
        if dtype is None and name in producer and producer[name].inputs:
            # ONNX inference does not know custom ops' types; take the producer's input
            # type (onnxruntime checks it when it builds the session, so a wrong guess
            # is an error, not a wrong result).
            first = producer[name].inputs[0]
            dtype = dtypes.get(first, graph.value(first).dtype)
        values[name] = Value(name, dtype, known.shape)
    sub = Graph(
        nodes=[
            Node(n.op_type, list(n.inputs), list(n.outputs), dict(n.attrs), n.name, n.domain)
            for n in seg.nodes
        ],
        inputs=[values[n] for n in seg.inputs],
        outputs=[values[n] for n in seg.outputs],
        constants={k: v for k, v in graph.constants.items() if k in used},
        values={**{k: v for k, v in graph.values.items() if k in used}, **values},
        opset=graph.opset,
        name=f"{graph.name}:{seg.placement}{seg.nodes[0].name}",
    )
    return sub


def build_segments(graph: Graph, make_native, ort_options) -> tuple[list[Segment], dict]:
    """Cuts `graph` and builds each segment's runner; returns the segments and placements.

    `make_native(subgraph)` builds a native sub-model; onnxruntime sessions use
    `ort_options` (SessionOptions).
    """
    import onnxruntime as ort

    where = placements(graph)
    segments = _cut(graph, where)
    dtypes: dict[str, np.dtype] = {}
    for seg in segments:
        sub = _subgraph(graph, seg, dtypes)
        if seg.placement == ORT:
            proto = to_onnx(sub, with_value_info=False)
            seg.runner = ort.InferenceSession(
                proto.SerializeToString(), ort_options, providers=["CPUExecutionProvider"]
            )
            # onnxruntime knows the types of ops that ONNX shape inference does not.
            for out in seg.runner.get_outputs():
                if out.type in _ORT_TYPES:
                    dtypes[out.name] = np.dtype(_ORT_TYPES[out.type])
        else:
            seg.runner = make_native(sub)
    return segments, where
