"""ONNX backend node test cases, selected and classified for fastinfer's native backend.

Shared by tests/test_onnx_conformance.py (one pytest case per ONNX case) and
tools/conformance_report.py (writes docs/conformance.md): both see the same claimed op set,
the same filters and the same known failures.

Every ONNX node case whose nodes all have a claimed op type is *selected*. A selected case is
then either *filtered* (it cannot apply to a CPU fp32/int inference runtime; each filter has
its reason written next to it), a *known failure* (a real gap or bug in a claimed op, run as
xfail(strict=True) so that a fix shows up as XPASS), or expected to pass.
"""

from __future__ import annotations

import collections
import functools
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper, version_converter
from onnx.backend.test.case.test_case import TestCase

import fastinfer
from fastinfer.compile.lower import CONSTANT_INPUTS as LOWERING_CONSTANT_INPUTS
from fastinfer.compile.lower import native_ops

# Tolerances: ours, unless the case sets its own. onnx's expect() stores (1e-3, 1e-7) when a
# case gives none, so only other values are the case's own.
RTOL, ATOL = 1e-4, 1e-5
ONNX_DEFAULT_RTOL, ONNX_DEFAULT_ATOL = 1e-3, 1e-7

# The loader rejects opsets older than this (by design); older cases are converted first,
# as the loader's error message tells users to do.
MIN_OPSET = 13

# Kernel names in the registry that are not ONNX ops (fused ops, the plan's Copy): they have
# no ONNX cases, so they are listed but do not select anything.
INTERNAL_OPS = {"Copy", "FusedConv", "FusedLinear"}

# Inputs the native backend needs as constants (op type -> input positions): those that
# define an output shape, since plans are compiled per input-shape signature (kernels say
# "... must be a constant; shapes are static in a plan"), and Conv's W and B, which are
# packed when the plan is built ("W must be a constant initializer"). The ONNX cases feed
# them as graph inputs, so the conformance run turns them into initializers with the case's
# values. How the runtime treats them when they stay graph inputs is checked separately
# (test_constant_input_fed_at_runtime).
# The lowering's own table (python/fastinfer/compile/lower.py), so the two cannot drift.
CONSTANT_INPUTS: dict[str, tuple[int, ...]] = dict(LOWERING_CONSTANT_INPUTS)

# Element types the native runtime has no tensors for (it has float32, float64, int64, int32,
# int8, uint8 and bool).
UNSUPPORTED_ELEM_TYPES = {
    TensorProto.FLOAT16,
    TensorProto.BFLOAT16,
    TensorProto.STRING,
    TensorProto.INT16,
    TensorProto.UINT16,
    TensorProto.UINT32,
    TensorProto.UINT64,
    TensorProto.COMPLEX64,
    TensorProto.COMPLEX128,
} | {
    getattr(TensorProto, name)
    for name in (
        "FLOAT8E4M3FN",
        "FLOAT8E4M3FNUZ",
        "FLOAT8E5M2",
        "FLOAT8E5M2FNUZ",
        "FLOAT8E8M0",
        "UINT4",
        "INT4",
        "FLOAT4E2M1",
        "UINT2",
        "INT2",
    )
    if hasattr(TensorProto, name)
}


def claimed_ops() -> set[str]:
    """ONNX op types the native backend claims: what native_ops() reports, without the
    registry's internal kernel names."""
    return native_ops() - INTERNAL_OPS


# -- filters: reason -> predicate ----------------------------------------------------------
def _elem_types(model: onnx.ModelProto) -> set[int]:
    g = model.graph
    types = {v.type.tensor_type.elem_type for v in [*g.input, *g.output, *g.value_info]}
    types |= {t.data_type for t in g.initializer}
    for node in g.node:
        for attr in node.attribute:
            if attr.name == "to" and node.op_type == "Cast":
                types.add(attr.i)
            if attr.type == onnx.AttributeProto.TENSOR:
                types.add(attr.t.data_type)
    return types


def _has_non_tensor_io(model: onnx.ModelProto) -> bool:
    g = model.graph
    return any(v.type.WhichOneof("value") != "tensor_type" for v in [*g.input, *g.output])


def _training_mode(model: onnx.ModelProto) -> bool:
    for node in model.graph.node:
        attrs = {a.name: a for a in node.attribute}
        if node.op_type == "BatchNormalization" and attrs.get("training_mode", None):
            if attrs["training_mode"].i:
                return True
        # Dropout's third input is training_mode; given at all, the case tests training.
        if node.op_type == "Dropout" and len(node.input) > 2 and node.input[2]:
            return True
    return False


FILTERS: dict[str, Callable[[onnx.ModelProto], bool]] = {
    "dtype without native tensors (float16, bfloat16, float8/4, int4/2, int16, uint16/32/64, "
    "string, complex)": lambda m: bool(_elem_types(m) & UNSUPPORTED_ELEM_TYPES),
    "sequence or optional values (the native runtime has dense tensors only)": _has_non_tensor_io,
    "training mode (BatchNormalization training_mode=1, Dropout with a training_mode input): "
    "the runtime is inference only": _training_mode,
}


# -- known failures of claimed ops: reason -> case names (run as xfail(strict=True)) --------
def _names(*patterns: str) -> Callable[[str], bool]:
    regex = re.compile("|".join(f"(?:{p})" for p in patterns))
    return lambda name: regex.fullmatch(name) is not None


KNOWN_FAILURES: dict[str, Callable[[str], bool]] = {
    "3-D pooling (rank-5 input) is not implemented, only 1-D and 2-D": _names(
        r"test_(average|max)pool_3d_.*"
    ),
    "MaxPool is float32 only; ONNX allows int8/uint8": _names(r"test_maxpool_2d_uint8"),
}

# Cases whose expected outputs are less precise than RTOL/ATOL: (rtol, atol) and why.
TOLERANCE_OVERRIDES: dict[str, tuple[float, float, str]] = {
    "test_averagepool_2d_ceil_last_window_starts_on_pad": (
        ONNX_DEFAULT_RTOL,
        ONNX_DEFAULT_ATOL,
        "onnx writes the expected values with 4 decimals (averagepool.py); onnx's own rtol",
    ),
}


@dataclass
class Case:
    """One selected ONNX case, ready to run."""

    name: str
    op: str  # the ONNX op the case tests (for _expanded cases, the op it expands)
    model: onnx.ModelProto
    data_sets: list[tuple[list[np.ndarray], list[np.ndarray]]]
    rtol: float
    atol: float
    filtered: str | None = None  # a FILTERS reason
    known_failure: str | None = None  # a KNOWN_FAILURES reason
    frozen_inputs: tuple[str, ...] = ()  # CONSTANT_INPUTS turned into initializers


@dataclass
class Collection:
    claimed: set[str]
    cases: list[Case]  # selected (claimed) cases, filtered ones included
    unclaimed: dict[str, list[str]]  # op -> names of its cases that use an unclaimed op


def _array(value) -> np.ndarray:
    # Some cases store TensorProto (e.g. Cast to float8) or numpy scalars.
    if isinstance(value, TensorProto):
        return numpy_helper.to_array(value)
    return np.asarray(value)


def _opset(model: onnx.ModelProto) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)


def freeze_constant_inputs(
    model: onnx.ModelProto, inputs: list[np.ndarray]
) -> tuple[onnx.ModelProto, list[np.ndarray], tuple[str, ...]]:
    """The model with its shape-defining graph inputs (CONSTANT_INPUTS) as initializers."""
    names = [v.name for v in model.graph.input]
    const_names = {
        node.input[i]
        for node in model.graph.node
        for i in CONSTANT_INPUTS.get(node.op_type, ())
        if i < len(node.input) and node.input[i] in names
    }
    if not const_names:
        return model, inputs, ()
    frozen = onnx.ModelProto()
    frozen.CopyFrom(model)
    del frozen.graph.input[:]
    kept = []
    for value, name, arr in zip(model.graph.input, names, inputs):
        if name in const_names:
            frozen.graph.initializer.append(numpy_helper.from_array(arr, name))
        else:
            frozen.graph.input.append(value)
            kept.append(arr)
    return frozen, kept, tuple(sorted(const_names))


def _claims(model: onnx.ModelProto, claimed: set[str]) -> bool:
    return all(n.domain in ("", "ai.onnx") and n.op_type in claimed for n in model.graph.node)


@functools.lru_cache(maxsize=1)
def collect() -> Collection:
    """Builds every ONNX node case (a few seconds, in memory) and selects the claimed ones."""
    from onnx.backend.test.case.node import collect_testcases

    # The case generators compute expected outputs with numpy and warn on overflow/inf.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        onnx_cases: list[TestCase] = collect_testcases()
    claimed = claimed_ops()
    op_of = {c.name: c.model.graph.node[0].op_type for c in onnx_cases if c.model.graph.node}
    cases: list[Case] = []
    unclaimed: dict[str, list[str]] = {}
    for tc in onnx_cases:
        op = op_of.get(tc.name.removesuffix("_expanded"), "?")
        if not _claims(tc.model, claimed):
            if op in claimed:
                unclaimed.setdefault(op, []).append(tc.name)
            continue
        own_tol = (tc.rtol, tc.atol) != (ONNX_DEFAULT_RTOL, ONNX_DEFAULT_ATOL)
        case = Case(
            name=tc.name,
            op=op,
            model=tc.model,
            data_sets=[
                ([_array(x) for x in ins], [_array(y) for y in outs]) for ins, outs in tc.data_sets
            ],
            rtol=tc.rtol if own_tol else RTOL,
            atol=tc.atol if own_tol else ATOL,
        )
        if tc.name in TOLERANCE_OVERRIDES:
            case.rtol, case.atol, _ = TOLERANCE_OVERRIDES[tc.name]
        case.filtered = next((r for r, pred in FILTERS.items() if pred(tc.model)), None)
        if case.filtered is None:
            case.known_failure = next((r for r, m in KNOWN_FAILURES.items() if m(tc.name)), None)
        cases.append(case)
    return Collection(claimed, cases, unclaimed)


def prepare(case: Case, data_set: int = 0, freeze: bool = True):
    """(model, feeds, expected outputs) for one data set of a case: old opsets converted,
    CONSTANT_INPUTS frozen when `freeze`."""
    model = case.model
    if _opset(model) < MIN_OPSET:
        model = version_converter.convert_version(model, MIN_OPSET)
    inputs, outputs = case.data_sets[data_set]
    if freeze:
        model, inputs, frozen = freeze_constant_inputs(model, list(inputs))
        case.frozen_inputs = frozen
    feeds = dict(zip([v.name for v in model.graph.input], inputs))
    expected = dict(zip([v.name for v in model.graph.output], outputs))
    return model, feeds, expected


def check_case(case: Case, freeze: bool = True) -> None:
    """Runs every data set of the case on the native backend; raises on any mismatch."""
    for i in range(len(case.data_sets)):
        model, feeds, expected = prepare(case, i, freeze)
        got = fastinfer.load(model, backend="native").run(feeds)
        for name, want in expected.items():
            out = got[name]
            assert out.dtype == want.dtype, f"{name}: dtype {out.dtype}, expected {want.dtype}"
            assert out.shape == want.shape, f"{name}: shape {out.shape}, expected {want.shape}"
            np.testing.assert_allclose(
                out, want, rtol=case.rtol, atol=case.atol, err_msg=f"output {name}"
            )


def outcome(case: Case) -> str:
    """'filtered', 'passed', 'failed', 'xfailed' or 'xpassed' (a known failure that passes)."""
    if case.filtered:
        return "filtered"
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            check_case(case)
    except Exception:
        return "xfailed" if case.known_failure else "failed"
    return "xpassed" if case.known_failure else "passed"


# Cases whose CONSTANT_INPUTS, fed at run time instead of frozen, give a wrong result instead
# of an error: specialize.py takes every shape from one reference run with zero-filled inputs,
# so a Reshape/Squeeze/Unsqueeze whose shape or axes is a graph input gets the shape its
# zeros give (allowzero=0 copies dims; axes 0) and runs as an alias of that wrong shape.
# Cases that computed a wrong result when their shape inputs were fed at run time. Empty
# since lowering refuses a shape, axes or weight input computed from input data (see
# CONSTANT_INPUTS in compile/lower.py); kept so a regression has a place to be named.
SILENT_WRONG_WHEN_FED: dict[str, Callable[[str], bool]] = {}


def fed_at_runtime_cases() -> list[Case]:
    """Runnable cases that have CONSTANT_INPUTS (frozen in the conformance run)."""
    out = []
    for case in collect().cases:
        if case.filtered or case.known_failure:
            continue
        prepare(case)  # sets case.frozen_inputs
        if case.frozen_inputs:
            out.append(case)
    return out


OUTCOMES = ("passed", "failed", "xfailed", "xpassed", "filtered")


def summarize(collection: Collection | None = None) -> dict:
    """Runs every selected case once and counts outcomes overall, per op and per reason."""
    collection = collection or collect()
    per_op: dict[str, collections.Counter] = {
        op: collections.Counter() for op in sorted(collection.claimed)
    }
    filtered_by: collections.Counter = collections.Counter()
    xfailed_by: collections.Counter = collections.Counter()
    failed: list[str] = []
    for case in collection.cases:
        result = outcome(case)
        per_op.setdefault(case.op, collections.Counter())[result] += 1
        if result == "filtered":
            filtered_by[case.filtered] += 1
        elif result == "xfailed":
            xfailed_by[case.known_failure] += 1
        elif result == "failed":
            failed.append(case.name)
    for op, names in collection.unclaimed.items():
        per_op.setdefault(op, collections.Counter())["unclaimed"] += len(names)
    totals = {
        "claimed_ops": len(collection.claimed),
        "claimed_ops_with_cases": sum(
            1 for op in collection.claimed if sum(per_op[op][k] for k in OUTCOMES)
        ),
        "selected": len(collection.cases),
        "run": sum(1 for c in collection.cases if not c.filtered),
    }
    for key in OUTCOMES:
        totals[key] = sum(c[key] for c in per_op.values())
    # Adaptations made before running (see MIN_OPSET and CONSTANT_INPUTS).
    run = [c for c in collection.cases if not c.filtered]
    totals["run_after_opset_conversion"] = sum(1 for c in run if _opset(c.model) < MIN_OPSET)
    totals["run_with_constant_inputs_frozen"] = sum(1 for c in run if c.frozen_inputs)
    totals["expanded_with_unclaimed_ops"] = sum(len(v) for v in collection.unclaimed.values())
    return {
        "totals": totals,
        "per_op": per_op,
        "filtered_by": dict(filtered_by),
        "xfailed_by": dict(xfailed_by),
        "failed": failed,
    }


def summary_text(summary: dict) -> str:
    t = summary["totals"]
    lines = [
        f"ONNX node conformance, native backend: {t['claimed_ops']} claimed ops "
        f"({t['claimed_ops_with_cases']} with cases), {t['selected']} cases selected, "
        f"{t['run']} run: {t['passed']} passed, {t['failed']} failed, {t['xfailed']} xfailed, "
        f"{t['xpassed']} xpassed; {t['filtered']} filtered",
        f"  run after conversion to opset {MIN_OPSET}: {t['run_after_opset_conversion']}; "
        f"run with shape/weight inputs as initializers: {t['run_with_constant_inputs_frozen']}",
    ]
    lines += [f"  filtered {n:4d}: {r}" for r, n in summary["filtered_by"].items()]
    lines += [f"  xfailed  {n:4d}: {r}" for r, n in summary["xfailed_by"].items()]
    lines += [f"  FAILED: {name}" for name in summary["failed"]]
    header = f"  {'op':<20}" + "".join(f"{k:>10}" for k in (*OUTCOMES, "unclaimed"))
    lines.append(header)
    for op, counts in summary["per_op"].items():
        lines.append(f"  {op:<20}" + "".join(f"{counts[k]:>10}" for k in (*OUTCOMES, "unclaimed")))
    return "\n".join(lines)
