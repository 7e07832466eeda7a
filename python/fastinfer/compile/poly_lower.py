"""Lowering for a shape class: an analysed graph becomes a `_core.PolyPlan` recipe.

Mirrors lower.py (aliases for Reshape & co, outputs written in place, constants used in
place) with one difference: every dim is an expression id, and values computed from shapes
(a Reshape target, Slice ends) enter as *generated* tensors that the plan fills for each
shape. The C++ side binds the recipe to concrete dims per run (poly_plan.cc).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _core
from ..errors import InvalidModelError
from ..ir import Graph
from ..ir.graph import aligned
from .conv_layout import blocked_conv_attrs
from .lower import ALIAS_OPS, _code, _core_attr, _node_has_kernel, check_supported
from .shape_engine import ShapeAnalysis
from .shape_values import is_symbolic
from .symbolic import NotStatic

# Plans cached per shape class by default: a server sees every batch size and length.
DEFAULT_CACHE_SIZE = 64


@dataclass
class PolyCompiled:
    """A shape class's plan with the names that map its inputs and outputs."""

    plan: Any  # fastinfer._core.PolyPlan
    keep: list[np.ndarray]  # arrays the plan uses in place
    input_names: list[str]
    output_names: list[str]
    step_nodes: list[tuple[str, str]]
    num_guards: int = 0
    num_symbols: int = 0
    packed: list[Any] = field(default_factory=list)

    def run(self, feeds: Mapping[str, np.ndarray], profile: bool = False, pool: Any = None):
        """Outputs by name (and per-step seconds when profiling), or None when the shapes are
        outside this class. `pool`: the model's _core.ThreadPool, or None (the default)."""
        res = self.plan.run([feeds[n] for n in self.input_names], profile, pool)
        if res is None:
            return None
        if profile:
            outs, seconds = res
            return dict(zip(self.output_names, outs)), seconds
        return dict(zip(self.output_names, res))


def lower_poly(
    graph: Graph,
    analysis: ShapeAnalysis,
    arenas: Any,
    capacity: int = DEFAULT_CACHE_SIZE,
    weight_prefix: str = "",
    released: frozenset[str] = frozenset(),
) -> PolyCompiled:
    """Records the recipe of `graph`'s steps (from `analysis`) in a new `_core.PolyPlan`."""
    check_supported(graph)
    layouts = blocked_conv_attrs(graph)
    table = analysis.table
    plan = _core.PolyPlan(arenas, capacity)
    keep: list[np.ndarray] = []
    slots: dict[str, int] = {}
    outputs: dict[str, int] = {}
    written: set[str] = set()
    # Dims become expressions as tensors are declared, so the table is sent last; the plan
    # only needs it before the first bind. Declarations are kept and replayed.
    decls: list[tuple] = []

    def dims(name: str) -> list[int]:
        return [table.expr_of(d) for d in analysis.info(name).shape]

    def code(name: str) -> int:
        return _code(analysis.info(name).dtype)

    def declare(kind: str, *args) -> int:
        decls.append((kind, args))
        return len(decls) - 1

    for v in graph.inputs:
        slots[v.name] = declare("input", code(v.name), dims(v.name), v.name)
    for v in graph.outputs:
        if v.name not in outputs:
            outputs[v.name] = declare("output", code(v.name), dims(v.name), v.name)

    def slot(name: str) -> int:
        if not name:
            return -1
        if name in slots:
            return slots[name]
        if name in outputs and name in written:
            return outputs[name]
        if name in released:
            array = graph.constants[name]
            slots[name] = declare(
                "constant_placeholder", _code(array.dtype), list(array.shape), name
            )
            return slots[name]
        if name in graph.constants:
            array = aligned(np.asarray(graph.constants[name], order="C"))
            keep.append(array)
            slots[name] = declare("constant", array, name)
            return slots[name]
        info = analysis.infos.get(name)
        if info is not None and info.value is not None:
            value = np.asarray(info.value)
            if is_symbolic(value):
                if np.dtype(info.dtype) not in (np.dtype(np.int64), np.dtype(np.int32)):
                    raise NotStatic(f"value '{name}' is symbolic but not an integer tensor")
                elems = [table.expr_of(e) for e in value.ravel().tolist()]
                slots[name] = declare(
                    "generated", _code(info.dtype), list(value.shape), elems, name
                )
            else:
                array = aligned(np.asarray(value, dtype=info.dtype, order="C"))
                keep.append(array)
                slots[name] = declare("constant", array, name)
            return slots[name]
        raise InvalidModelError(f"value '{name}' is used before it is produced")

    steps: list[tuple] = []
    registered = set(_core.registered_ops())
    for node in analysis.steps:
        op = node.op_type
        if op not in ALIAS_OPS and not _node_has_kernel(node, registered):
            # Shape-only today (folded per shape), but symbolic here: it must run.
            raise NotStatic(f"{op} '{node.name}' computes from symbolic dims but has no kernel")
        produced = [o for o in node.outputs if o]
        if op == "Dropout" and len(produced) > 1:
            raise NotStatic("Dropout's mask output is not supported by shape classes")
        if op in ALIAS_OPS:
            out = produced[0]
            if out not in outputs:
                slots[out] = declare("alias", slot(node.inputs[0]), code(out), dims(out), out)
                continue
            op, inputs, attrs = "Copy", [slot(node.inputs[0])], {}
        else:
            inputs = [slot(i) for i in node.inputs]
            attrs = {k: _core_attr(k, v, node.name) for k, v in node.attrs.items()}
            attrs.update(layouts.get(id(node), {}))
            if op == "FusedLinear" and weight_prefix and node.inputs[1] in graph.constants:
                attrs["weight_id"] = f"{weight_prefix}/{node.inputs[1]}"
                attrs["weight_released"] = int(node.inputs[1] in released)
        out_ids = []
        for o in produced:
            if o in outputs:
                out_ids.append(outputs[o])
                written.add(o)
            else:
                slots[o] = declare("intermediate", code(o), dims(o), o)
                out_ids.append(slots[o])
        if len(produced) != len(node.outputs) and "" in node.outputs[: len(produced)]:
            raise InvalidModelError(f"node '{node.name}': omitted middle outputs are not supported")
        steps.append((op, node.name, inputs, out_ids, attrs))
    for name, out_id in outputs.items():
        if name not in written:
            steps.append(("Copy", f"output:{name}", [slot(name)], [out_id], {}))

    plan.set_exprs(table.nodes, table.num_symbols)
    for expr, kind in table.guards:
        plan.add_guard(expr, kind)
    ids: list[int] = []
    for kind, args in decls:
        if kind == "alias":
            base, *rest = args
            ids.append(plan.add_alias(ids[base] if base >= 0 else -1, *rest))
        else:
            ids.append(getattr(plan, f"add_{kind}")(*args))
    for op, name, inputs, out_ids, attrs in steps:
        plan.add_step(
            op,
            name,
            [ids[i] if i >= 0 else -1 for i in inputs],
            [ids[i] for i in out_ids],
            attrs,
        )
    return PolyCompiled(
        plan,
        keep,
        graph.input_names,
        list(outputs),
        list(plan.steps()),
        num_guards=len(table.guards),
        num_symbols=table.num_symbols,
    )
