"""Symbolic shape analysis of an optimized graph for one shape class.

Walks the nodes once with the input dims as symbols (SymInt, hinted with the shapes being
compiled). Each node's shape rule gives its outputs' dtypes and symbolic shapes; nodes
whose inputs are all known values (constants, shape computations) are evaluated here by
their value rules and need no step. What remains are the steps of the plan, over tensors
whose dims are expressions, plus the guards under which all of it holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import fused  # noqa: F401 (registers the fused ops' shape rules)
from ..errors import KernelError
from ..ir import Graph, Node
from ..ir.graph import FUSED_DOMAIN
from .shape_rules import SHAPE_RULES
from .shape_values import MAX_VALUE_ELEMENTS, VALUE_RULES, typed
from .symbolic import Dim, ExprTable, NotStatic, SymInt, concrete

INT64 = np.dtype(np.int64)


@dataclass
class Info:
    """What compile time knows of a value: dtype, symbolic shape and, for constants and
    shape computations, its elements (a numpy array, an object array when symbolic)."""

    dtype: np.dtype
    shape: tuple[Dim, ...]
    value: np.ndarray | None = None


class RuleContext:
    """One node's view for its shape rule (protocol in shape_rules/registry.py)."""

    __slots__ = ("node", "infos")

    def __init__(self, node: Node, infos: list[Info | None]) -> None:
        self.node, self.infos = node, infos

    @property
    def n_inputs(self) -> int:
        return len(self.infos)

    def has(self, i: int) -> bool:
        return i < len(self.infos) and self.infos[i] is not None

    def _info(self, i: int) -> Info:
        if not self.has(i):
            raise ValueError(f"{self.node.op_type} '{self.node.name}' lacks input {i}")
        return self.infos[i]

    def shape(self, i: int) -> tuple[Dim, ...]:
        return self._info(i).shape

    def dtype(self, i: int) -> np.dtype:
        return self._info(i).dtype

    def ints(self, i: int) -> list[Dim]:
        info = self._info(i)
        if info.value is None:
            raise NotStatic(
                f"input {i} of {self.node.op_type} '{self.node.name}' is computed from input "
                "data; the native backend needs it from shapes and constants"
            )
        return list(np.asarray(info.value).ravel().tolist())

    def attr(self, name: str, default: Any = None) -> Any:
        return self.node.attrs.get(name, default)

    concrete = staticmethod(concrete)


@dataclass
class ShapeAnalysis:
    table: ExprTable
    infos: dict[str, Info]
    steps: list[Node] = field(default_factory=list)

    def info(self, name: str) -> Info:
        return self.infos[name]


def _is_concrete_shape(shape: tuple[Dim, ...]) -> bool:
    return all(isinstance(d, int) for d in shape)


def _numel(shape: tuple[Dim, ...]) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def _input_infos(graph: Graph, shapes: Mapping[str, tuple[int, ...]], table: ExprTable):
    named: dict[str, SymInt] = {}
    infos: dict[str, Info] = {}
    for v in graph.inputs:
        actual = tuple(int(d) for d in shapes[v.name])
        declared = tuple(v.shape) if v.shape is not None else (None,) * len(actual)
        dims: list[Dim] = []
        for decl, got in zip(declared, actual):
            if isinstance(decl, int):
                dims.append(decl)
            elif isinstance(decl, str) and decl and decl in named:
                dims.append(named[decl])
            else:
                sym = table.symbol(got)
                if isinstance(decl, str) and decl:
                    named[decl] = sym
                dims.append(sym)
        infos[v.name] = Info(np.dtype(v.dtype), tuple(dims))
    return infos


def _shape_value(node: Node, info: Info) -> np.ndarray:
    dims = list(info.shape)
    if node.op_type == "Size":
        total: Dim = 1
        for d in dims:
            total = total * d
        out = np.empty((), dtype=object)
        out[()] = total
        return typed(out, INT64)
    start = int(node.attrs.get("start", 0))
    end = node.attrs.get("end")
    picked = dims[start:] if end is None else dims[start : int(end)]
    out = np.empty(len(picked), dtype=object)
    out[:] = picked
    return typed(out, INT64)


def _fold_concrete(graph: Graph, node: Node, vals: list) -> list[np.ndarray]:
    """Evaluates a node on concrete small inputs with the ONNX reference (once per class)."""
    from ..passes.constant_folding import _evaluate

    g = Graph(opset=graph.opset)
    for name, v in zip(node.inputs, vals):
        if name:
            g.constants[name] = np.asarray(v)
    return [np.asarray(r) for r in _evaluate(g, node)]


def analyze(graph: Graph, shapes: Mapping[str, tuple[int, ...]]) -> ShapeAnalysis:
    """Symbolic shapes of every value of `graph` for the class of `shapes`.

    Raises NotStatic when some node has no shape rule or needs, as a shape, a value computed
    from input data; ValueError when the shapes contradict the graph.
    """
    table = ExprTable()
    infos = _input_infos(graph, shapes, table)
    result = ShapeAnalysis(table, infos)

    def info(name: str) -> Info | None:
        if not name:
            return None
        found = infos.get(name)
        if found is None and name in graph.constants:
            c = graph.constants[name]
            found = Info(c.dtype, tuple(c.shape), c if c.size <= MAX_VALUE_ELEMENTS else None)
            infos[name] = found
        if found is None:
            raise ValueError(f"value '{name}' is used before it is produced")
        return found

    outputs = set(graph.output_names)
    for node in graph.nodes:
        ins = [info(i) for i in node.inputs]
        op = node.op_type
        if node.domain not in ("", "ai.onnx", FUSED_DOMAIN):
            raise NotStatic(f"op {node.domain}.{op} has no shape rule")
        if op in ("Shape", "Size") and ins[0] is not None:
            value = _shape_value(node, ins[0])
            infos[node.outputs[0]] = Info(INT64, tuple(value.shape), value)
            continue
        rule = SHAPE_RULES.get(op)
        if rule is None:
            raise NotStatic(f"op {op} has no shape rule")
        try:
            outs = rule(RuleContext(node, ins))
        except NotStatic:
            raise
        except ValueError as exc:  # the inputs' shapes contradict the node
            raise KernelError(
                f"{op} '{node.name}': {exc} (for input shapes {dict(shapes)})",
                node=node.name,
                op=op,
            ) from None
        names = [o for o in node.outputs]
        if len(outs) < len([o for o in names if o]):
            raise ValueError(f"shape rule of {op} gave {len(outs)} outputs for node '{node.name}'")
        values = None
        known = all(i is None or i.value is not None for i in ins)
        small = all(_is_concrete_shape(s) and _numel(s) <= MAX_VALUE_ELEMENTS for _, s in outs)
        if known and small and not (outputs & set(names)):
            values = _evaluate_values(graph, node, ins, outs)
        for k, name in enumerate(names):
            if not name:
                continue
            dtype, shape = outs[k]
            infos[name] = Info(np.dtype(dtype), tuple(shape), None if values is None else values[k])
        if values is None:
            result.steps.append(node)
    return result


def _evaluate_values(graph, node, ins, outs) -> list[np.ndarray] | None:
    vals = [None if i is None else i.value for i in ins]
    dtypes = [np.dtype(d) for d, _ in outs]
    try:
        if node.op_type in ("Reshape", "Flatten"):
            results = [np.asarray(vals[0]).reshape(tuple(outs[0][1]))]
        elif node.op_type in VALUE_RULES:
            results = VALUE_RULES[node.op_type](node, vals, dtypes)
        elif all(v is None or np.asarray(v).dtype != object for v in vals):
            results = _fold_concrete(graph, node, vals)
        else:
            return None
    except NotStatic:
        return None
    except Exception:  # noqa: BLE001 - the reference evaluator lacks the op: run it as a step
        if node.op_type in VALUE_RULES:
            raise
        return None
    out = []
    for r, (dtype, shape) in zip(results, outs):
        r = typed(np.asarray(r), dtype)
        if tuple(r.shape) != tuple(shape):
            raise ValueError(
                f"{node.op_type} '{node.name}': value of shape {r.shape} where the shape rule "
                f"says {tuple(shape)}"
            )
        out.append(r)
    return out
