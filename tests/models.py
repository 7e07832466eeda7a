"""Real models for end-to-end tests and benchmarks: small torch modules exported to ONNX.

Helpers only (no tests). Each builder returns the serialized ONNX bytes of a model with
random weights drawn from a fixed seed, exported at opset 17 with dynamic batch (and, for
the encoder, sequence) axes, so one file serves every batch size and sequence length.
torch is a test dependency (pyproject `test` extra); nothing is downloaded.
"""

from __future__ import annotations

import functools
import io
import math
import warnings

import numpy as np
import onnxruntime as ort

OPSET = 17

# fp32 comparison against onnxruntime. Both libraries sum in a different order (blocked
# GEMM panels, different softmax/GELU/exp approximations, fused vs unfused LayerNorm), so
# bit equality is not expected; relative error of a well-conditioned fp32 dot product of
# length K grows like sqrt(K) * 2^-24 ~ 1e-6 for K <= 3072, and a few layers amplify it.
# 1e-4 relative leaves ~100x margin yet catches any real bug (wrong axis, missing bias,
# off-by-one in a window), which shows up as errors of order 1e-2..1. The absolute part is
# scaled by the output's largest magnitude (at least 1) so that near-zero outputs (logits
# that cancel) are judged against the size of the values around them, not themselves.
RTOL = 1e-4
ATOL = 1e-4


def assert_close(got: np.ndarray, want: np.ndarray, what: str = "output") -> None:
    """fastinfer vs onnxruntime with RTOL and ATOL relative to the output scale."""
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != {want.dtype}"
    scale = max(float(np.max(np.abs(want))), 1.0) if want.size else 1.0
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL * scale, err_msg=what)


def _export(
    module, args: tuple, input_names: list[str], dynamic_axes: dict, fold: bool = True
) -> bytes:
    """torch.onnx.export to bytes with the TorchScript exporter (dynamo=False): the dynamo
    exporter needs onnxscript, which is not a dependency, and the TorchScript one maps
    these modules onto plain opset-17 ops."""
    import torch

    module.eval()
    buf = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        # The TorchScript exporter is deprecated in recent torch and says so on each call;
        # pytest turns warnings into errors for the whole suite.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            args,
            buf,
            input_names=input_names,
            output_names=["output"],
            dynamic_axes=dynamic_axes,
            opset_version=OPSET,
            do_constant_folding=fold,
            dynamo=False,
        )
    return buf.getvalue()


# -- MLP -------------------------------------------------------------------------------------
MLP_IN = 784


@functools.cache
def mlp_onnx(seed: int = 0) -> bytes:
    """784-256-128-10 with ReLU: Gemm/MatMul + Add + Relu after export."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(MLP_IN, 256),
        nn.ReLU(),
        nn.Linear(256, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )
    x = torch.randn(2, MLP_IN)
    return _export(model, (x,), ["x"], {"x": {0: "batch"}, "output": {0: "batch"}})


def mlp_inputs(batch: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x": rng.standard_normal((batch, MLP_IN)).astype(np.float32)}


# -- ResNet-style CNN ------------------------------------------------------------------------
def _resnet_module(channels: int = 16, num_classes: int = 10):
    import torch
    from torch import nn

    class Block(nn.Module):
        """Basic residual block; with stride 2 the shortcut is a 1x1 stride-2 conv + BN."""

        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.short = (
                nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                if stride != 1 or cin != cout
                else nn.Identity()
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = torch.relu(self.bn1(self.conv1(x)))
            y = self.bn2(self.conv2(y))
            return torch.relu(y + self.short(x))

    class ResNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            c = channels
            self.stem = nn.Sequential(
                nn.Conv2d(3, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU()
            )
            self.pool = nn.MaxPool2d(2)
            self.layer1 = Block(c, c, 1)
            self.layer2 = Block(c, 2 * c, 2)
            self.layer3 = Block(2 * c, 4 * c, 2)
            self.gap = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(4 * c, num_classes)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.pool(self.stem(x))
            x = self.layer3(self.layer2(self.layer1(x)))
            return self.fc(torch.flatten(self.gap(x), 1))

    model = ResNet()
    # Non-trivial BatchNorm statistics: with the defaults (mean 0, var 1) folding errors
    # in BN would go unnoticed.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    return model


CNN_SIZE = 32


@functools.cache
def cnn_onnx(seed: int = 0, size: int = CNN_SIZE) -> bytes:
    """Conv/BN/ReLU stem, MaxPool, three residual blocks (two with stride 2), global
    average pool, Flatten, Linear; eval mode, NCHW 3 x size x size, dynamic batch."""
    import torch

    torch.manual_seed(seed)
    model = _resnet_module()
    x = torch.randn(2, 3, size, size)
    # No constant folding: torch would fold each BatchNorm into its Conv, and then neither
    # fastinfer's BN kernel nor its Conv+BN folding pass would be exercised.
    axes = {"x": {0: "batch"}, "output": {0: "batch"}}
    return _export(model, (x,), ["x"], axes, fold=False)


def cnn_inputs(batch: int, seed: int = 0, size: int = CNN_SIZE) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x": rng.standard_normal((batch, 3, size, size)).astype(np.float32)}


# -- BERT-style encoder ----------------------------------------------------------------------
def _bert_module(vocab: int, hidden: int, heads: int, layers: int, ffn: int, max_pos: int):
    import torch
    from torch import nn

    class SelfAttention(nn.Module):
        """Multi-head self-attention written out (no nn.MultiheadAttention) so that the
        exported graph has the MatMul/Transpose/Softmax pattern of real BERT exports."""

        def __init__(self) -> None:
            super().__init__()
            self.heads, self.dh = heads, hidden // heads
            self.q = nn.Linear(hidden, hidden)
            self.k = nn.Linear(hidden, hidden)
            self.v = nn.Linear(hidden, hidden)
            self.out = nn.Linear(hidden, hidden)

        def split(self, t: torch.Tensor) -> torch.Tensor:
            b, s, _ = t.shape
            return t.view(b, s, self.heads, self.dh).transpose(1, 2)

        def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
            q, k, v = self.split(self.q(x)), self.split(self.k(x)), self.split(self.v(x))
            scores = q @ k.transpose(-1, -2) / math.sqrt(self.dh) + bias
            ctx = torch.softmax(scores, dim=-1) @ v
            b, _, s, _ = ctx.shape
            return self.out(ctx.transpose(1, 2).reshape(b, s, hidden))

    class Layer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attn = SelfAttention()
            self.ln1 = nn.LayerNorm(hidden, eps=1e-12)
            self.ff1 = nn.Linear(hidden, ffn)
            self.ff2 = nn.Linear(ffn, hidden)
            self.ln2 = nn.LayerNorm(hidden, eps=1e-12)

        def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
            x = self.ln1(x + self.attn(x, bias))
            return self.ln2(x + self.ff2(nn.functional.gelu(self.ff1(x))))

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tok = nn.Embedding(vocab, hidden)
            self.pos = nn.Embedding(max_pos, hidden)
            self.ln = nn.LayerNorm(hidden, eps=1e-12)
            self.layers = nn.ModuleList(Layer() for _ in range(layers))

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            s = input_ids.shape[1]
            positions = torch.arange(s, device=input_ids.device).unsqueeze(0)
            x = self.ln(self.tok(input_ids) + self.pos(positions))
            # [b, s] 1/0 mask -> additive [b, 1, 1, s] bias: padded keys get -10000, as in
            # BERT, so that softmax gives them ~0 weight.
            bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
            for layer in self.layers:
                x = layer(x, bias)
            return x

    return Encoder()


BERT_VOCAB = 1000
BERT_MAX_POS = 512


@functools.cache
def bert_onnx(
    seed: int = 0, hidden: int = 64, heads: int = 4, layers: int = 2, ffn: int = 256
) -> bytes:
    """Token + position embeddings, LayerNorm, `layers` encoder layers; inputs
    input_ids/attention_mask int64 [batch, seq], output [batch, seq, hidden]."""
    import torch

    torch.manual_seed(seed)
    model = _bert_module(BERT_VOCAB, hidden, heads, layers, ffn, BERT_MAX_POS)
    ids = torch.randint(0, BERT_VOCAB, (2, 8))
    mask = torch.ones(2, 8, dtype=torch.int64)
    axes = {0: "batch", 1: "sequence"}
    return _export(
        model,
        (ids, mask),
        ["input_ids", "attention_mask"],
        {"input_ids": axes, "attention_mask": axes, "output": axes},
    )


def bert_base_onnx(layers: int = 4) -> bytes:
    """BERT-base-sized encoder (hidden 768, 12 heads, FFN 3072) for benchmarks."""
    return bert_onnx(0, hidden=768, heads=12, layers=layers, ffn=3072)


def bert_inputs(batch: int, seq: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Random tokens; every row but the first is padded on the right by a different
    amount, so the attention mask matters."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, BERT_VOCAB, size=(batch, seq), dtype=np.int64)
    mask = np.ones((batch, seq), dtype=np.int64)
    for b in range(1, batch):
        mask[b, max(1, seq - b * max(1, seq // 8)) :] = 0
    return {"input_ids": ids, "attention_mask": mask}


# -- onnxruntime reference -------------------------------------------------------------------
def ort_session(model: bytes, threads: int = 1) -> ort.InferenceSession:
    """The reference: onnxruntime CPU with every graph optimization, as a user would run it."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])


def ort_run(model: bytes, feeds: dict[str, np.ndarray]) -> np.ndarray:
    return ort_session(model).run(None, feeds)[0]


MODELS = {
    "mlp": (mlp_onnx, lambda batch, seq: mlp_inputs(batch)),
    "cnn": (cnn_onnx, lambda batch, seq: cnn_inputs(batch)),
    "bert": (bert_onnx, lambda batch, seq: bert_inputs(batch, seq)),
}
