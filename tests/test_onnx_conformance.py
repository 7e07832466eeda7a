"""ONNX backend node conformance for the native backend.

Every case of onnx.backend.test.case.node whose nodes all have an op type the native backend
claims (fastinfer.compile.lower.native_ops(), `_expanded` variants included) runs through
fastinfer.load(model, backend="native"); outputs must match in dtype, shape and value.
Selection, filters (with their reasons) and known failures live in conformance_cases.py,
shared with tools/conformance_report.py (docs/conformance.md).
"""

from __future__ import annotations

import collections

import pytest

import conformance_cases as cc
from fastinfer.errors import FastInferError

COLLECTION = cc.collect()


def _param(case: cc.Case):
    marks = []
    if case.filtered:
        marks.append(pytest.mark.skip(reason=f"filtered: {case.filtered}"))
    elif case.known_failure:
        marks.append(pytest.mark.xfail(strict=True, reason=case.known_failure))
    return pytest.param(case, id=case.name, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in COLLECTION.cases])
def test_onnx_node_case(case: cc.Case):
    cc.check_case(case)


def _fed_param(case: cc.Case):
    reason = next((r for r, m in cc.SILENT_WRONG_WHEN_FED.items() if m(case.name)), None)
    marks = [pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)] if reason else []
    return pytest.param(case, id=case.name, marks=marks)


@pytest.mark.parametrize("case", [_fed_param(c) for c in cc.fed_at_runtime_cases()])
def test_constant_input_fed_at_runtime(case: cc.Case):
    """With its shape/weight inputs left as graph inputs, a case must either still be right or
    be refused with an error; a wrong result (AssertionError) is a bug."""
    try:
        cc.check_case(case, freeze=False)
    except (FastInferError, ValueError):
        pass  # refused with a clear error: fine, the runtime documents these as constants


def test_conformance_summary(record_property, capsys):
    """Counts per op and overall (the numbers docs/conformance.md is generated from)."""
    summary = cc.summarize(COLLECTION)
    for key, value in summary["totals"].items():
        record_property(key, value)
    with capsys.disabled():
        print("\n" + cc.summary_text(summary))
    # Every selected case is accounted for exactly once.
    totals = summary["totals"]
    assert totals["selected"] == sum(
        totals[k] for k in ("passed", "failed", "xfailed", "xpassed", "filtered")
    )
    assert collections.Counter(c.name for c in COLLECTION.cases).most_common(1)[0][1] == 1
