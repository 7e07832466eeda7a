"""Lowering: a static-shaped graph becomes a native plan of kernel calls over one arena."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from onnx import helper

from .. import _core
from ..errors import InvalidModelError, UnsupportedOpError
from ..fused import FUSED_ONLY_OPS, FUSED_SCHEMAS
from ..ir import Graph
from ..ir.graph import FUSED_DOMAIN
from .conv_layout import blocked_conv_attrs

# Ops that only reinterpret their input's bytes: lowered to aliases (no copy, no step)
# unless their result is a graph output, which must land in the caller's buffer.
ALIAS_OPS = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"}

INTERNAL_OPS = {"Copy"}

# Inputs the kernels need as constants (a plan is static per input-shape signature): shape,
# axes and index arguments, and convolution weights. Specialization folds everything that
# depends only on input shapes; a value computed from input *data* cannot be folded.
CONSTANT_INPUTS = {
    "Reshape": (1,),
    "Expand": (1,),
    "Tile": (1,),
    "Slice": (1, 2, 3, 4),
    "Squeeze": (1,),
    "Unsqueeze": (1,),
    "Split": (1,),
    "ReduceMean": (1,),
    "ReduceSum": (1,),
    "ReduceMax": (1,),
    "ReduceMin": (1,),
    "ReduceL1": (1,),
    "ReduceL2": (1,),
    "ReduceLogSum": (1,),
    "ReduceLogSumExp": (1,),
    "ReduceProd": (1,),
    "ReduceSumSquare": (1,),
    "CumSum": (1,),
    "OneHot": (1,),
    "TopK": (1,),
    "Pad": (1, 3),
    "Range": (0, 1, 2),
    "ConstantOfShape": (0,),
    "CumProd": (1,),
    "CenterCropPad": (1,),
    "HannWindow": (0,),
    "HammingWindow": (0,),
    "BlackmanWindow": (0,),
    "Conv": (1, 2),
}
CONSTANT_INPUTS.update(
    {k: s.constant_inputs for k, s in FUSED_SCHEMAS.items() if s.constant_inputs}
)


# Ops that never reach a kernel: their result depends on shapes only, which are static per
# plan, so specialization turns them into constants.
FOLDED_OPS = {"Shape", "Size"}


def native_ops() -> set[str]:
    """Standard ONNX op types the native backend runs (fused ops excluded)."""
    return (set(_core.registered_ops()) | ALIAS_OPS | FOLDED_OPS) - FUSED_ONLY_OPS - INTERNAL_OPS


def _node_has_kernel(node, registered: set[str]) -> bool:
    if node.domain == FUSED_DOMAIN:
        return node.op_type in registered
    if node.domain not in ("", "ai.onnx"):
        return False
    if node.op_type in FUSED_ONLY_OPS or node.op_type in INTERNAL_OPS:
        return False
    return node.op_type in registered or node.op_type in ALIAS_OPS


def _data_dependent(graph: Graph) -> set[str]:
    """Values computed from input data (not only from input shapes and constants)."""
    dependent = set(graph.input_names)
    for n in graph.nodes:
        if n.op_type in ("Shape", "Size"):
            continue
        if any(i in dependent for i in n.inputs if i):
            dependent.update(o for o in n.outputs if o)
    return dependent


def unsupported_ops(graph: Graph) -> dict[str, list[str]]:
    """What the native backend cannot run: description -> node names. A description is
    the op type, or "<op> with <input> computed from input data"."""
    registered = set(_core.registered_ops())
    dependent = _data_dependent(graph)
    missing: dict[str, list[str]] = {}
    for n in graph.nodes:
        # Shape-only computations (Shape, and whatever only reads shapes and constants)
        # become constants when a plan is specialized: they need no kernel.
        if n.op_type in ("Shape", "Size") or not any(i in dependent for i in n.inputs if i):
            continue
        if not _node_has_kernel(n, registered):
            op = n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}.{n.op_type}"
            missing.setdefault(op, []).append(n.name)
            continue
        for pos in CONSTANT_INPUTS.get(n.op_type, ()):
            if pos < len(n.inputs) and n.inputs[pos] in dependent:
                key = f"{n.op_type} with input {pos} computed from input data"
                missing.setdefault(key, []).append(n.name)
    return missing


def check_supported(graph: Graph) -> None:
    missing = unsupported_ops(graph)
    if missing:
        parts = [
            f"{op} (nodes {', '.join(repr(x) for x in names[:3])}"
            f"{', ...' if len(names) > 3 else ''})"
            for op, names in sorted(missing.items())
        ]
        raise UnsupportedOpError(
            "the native backend does not support: "
            + "; ".join(parts)
            + ". Use backend='onnxruntime' or backend='auto'.",
            ops=sorted({k.split(" ")[0] for k in missing}),
        )


def placeholder(array: np.ndarray) -> np.ndarray:
    """An array with `array`'s dtype and shape and no memory (all elements alias one
    zero): stands for weights whose only copy is packed."""
    return np.lib.stride_tricks.as_strided(
        np.zeros(1, array.dtype), array.shape, (0,) * array.ndim, writeable=False
    )


def _code(dtype: np.dtype) -> int:
    return int(helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))


def _core_attr(name: str, value: Any, node_name: str) -> Any:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, (int, float)) for v in value):
        return list(value)
    raise InvalidModelError(
        f"node '{node_name}': attribute '{name}' of type {type(value).__name__} is not supported"
    )


@dataclass
class CompiledPlan:
    """A native plan with the names that map its inputs and outputs."""

    plan: Any  # fastinfer._core.Plan
    constants: list[np.ndarray]  # arrays the plan uses in place: kept alive here
    input_names: list[str]
    output_names: list[str]
    step_nodes: list[tuple[str, str]]  # (op, node name) per step

    def run(self, feeds: Mapping[str, np.ndarray], profile: bool = False, pool: Any = None):
        arrays = [feeds[name] for name in self.input_names]
        if profile:
            outs, seconds = self.plan.run(arrays, True, pool)
            return dict(zip(self.output_names, outs)), seconds
        return dict(zip(self.output_names, self.plan.run(arrays, False, pool)))

    def memory(self) -> dict[str, int]:
        return {
            "arena_bytes": self.plan.arena_bytes,
            "arena_lower_bound_bytes": self.plan.arena_lower_bound,
            "intermediate_bytes_without_reuse": self.plan.intermediate_bytes,
            "constant_bytes": self.plan.constant_bytes,
            "arenas_allocated": self.plan.arenas_allocated,
        }


def lower(
    graph: Graph,
    weight_prefix: str = "",
    released: frozenset[str] = frozenset(),
    release_weight: Callable[[str], bool] | None = None,
) -> CompiledPlan:
    """Builds and finalizes a `fastinfer._core.Plan` for a static-shaped graph.

    ``weight_prefix`` names FusedLinear weights (``prefix/constant``) so their packed copies
    are shared by id; constants in ``released`` have given up their fp32 data (the model
    keeps only the packed copy) and enter the plan as placeholders. ``release_weight(name)``
    is offered each FusedLinear weight right after its kernel packed it; when it returns
    True the weight is dropped here too, so a model never holds all its weights twice (peak
    memory), only one layer's at a time."""
    check_supported(graph)
    layouts = blocked_conv_attrs(graph)
    plan = _core.Plan()
    slots: dict[str, int] = {}
    constants: list[np.ndarray] = []

    def desc(name: str) -> tuple[int, list[int]]:
        v = graph.value(name)
        if v.dtype is None or not v.is_static:
            raise InvalidModelError(f"value '{name}' has no static dtype and shape: {v!r}")
        return _code(v.dtype), [int(d) for d in v.shape]

    for v in graph.inputs:
        slots[v.name] = plan.add_input(*desc(v.name), v.name)
    outputs: dict[str, int] = {}
    written: set[str] = set()
    for v in graph.outputs:
        if v.name in outputs:
            continue
        outputs[v.name] = plan.add_output(*desc(v.name), v.name)

    def slot(name: str) -> int:
        if not name:
            return -1
        if name in slots:
            return slots[name]
        if name in outputs and name in written:
            return outputs[name]
        if name in released:
            array = graph.constants[name]
            slots[name] = plan.add_constant_placeholder(_code(array.dtype), list(array.shape), name)
            return slots[name]
        if name in graph.constants:
            array = graph.constants[name]
            constants.append(array)
            slots[name] = plan.add_constant(array, name, borrow=True)
            return slots[name]
        raise InvalidModelError(f"value '{name}' is used before it is produced")

    for node in graph.nodes:
        op = node.op_type
        shared_weight = ""  # a FusedLinear constant weight, offered to release_weight
        produced = [o for o in node.outputs if o]
        if op == "Dropout" and len(node.outputs) > 1 and node.outputs[1]:
            # Inference-mode Dropout keeps everything: its mask is all true.
            mask = node.outputs[1]
            ones = np.ones(desc(mask)[1], dtype=bool)
            if mask in outputs:
                plan.add_step(
                    "Copy", f"{node.name}:mask", [plan.add_constant(ones, mask)], [outputs[mask]]
                )
                written.add(mask)
            else:
                slots[mask] = plan.add_constant(ones, mask)
            produced = produced[:1]
        if op in ALIAS_OPS:
            produced = produced[:1]
            out = produced[0]
            if out not in outputs:
                slots[out] = plan.add_alias(slot(node.inputs[0]), *desc(out), out)
                continue
            op = "Copy"
            inputs = [slot(node.inputs[0])]
            attrs: dict[str, Any] = {}
        else:
            inputs = [slot(i) for i in node.inputs]
            attrs = {k: _core_attr(k, v, node.name) for k, v in node.attrs.items()}
            attrs.update(layouts.get(id(node), {}))
            if op == "FusedLinear" and weight_prefix and node.inputs[1] in graph.constants:
                shared_weight = node.inputs[1]
                attrs["weight_id"] = f"{weight_prefix}/{shared_weight}"
                attrs["weight_released"] = int(shared_weight in released)
        out_ids = []
        for o in produced:
            if o in outputs:
                out_ids.append(outputs[o])
                written.add(o)
            else:
                slots[o] = plan.add_intermediate(*desc(o), o)
                out_ids.append(slots[o])
        # An omitted output in the middle would shift the kernel's output positions.
        if len(produced) != len(node.outputs) and "" in node.outputs[: len(produced)]:
            raise InvalidModelError(f"node '{node.name}': omitted middle outputs are not supported")
        plan.add_step(op, node.name, inputs, out_ids, attrs)
        if shared_weight and release_weight is not None and shared_weight not in released:
            array = graph.constants[shared_weight]
            if release_weight(shared_weight):
                # The plan found or made the packed copy; no kernel reads these bytes again.
                graph.constants[shared_weight] = placeholder(array)
                constants[:] = [c for c in constants if c is not array]
                released = released | {shared_weight}
            del array

    # Graph outputs that no node writes: an input or a constant passed straight through.
    for name, out_id in outputs.items():
        if name not in written:
            plan.add_step("Copy", f"output:{name}", [slot(name)], [out_id])
    plan.finalize()
    return CompiledPlan(plan, constants, graph.input_names, list(outputs), plan.steps())
