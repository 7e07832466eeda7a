"""Full-size members of the model zoo for bench/compare_zoo.py --full: the transformers
architectures at the sizes users deploy (default configs: BERT-base, GPT-2 small, ViT-B/16,
ResNet-50, ConvNeXt-T, MobileNetV2 1.0, T5-small's encoder), random weights, images at
224 px and text at sequence 128. Built from configs, so nothing is downloaded.

The test zoo (tests/zoo.py) keeps toy sizes so CI stays fast; these are for timing only.
"""

from __future__ import annotations

import numpy as np

import zoo

IMAGE = 224
SEQ = 128
TEXT_POS = 512


def image_feeds(batch: int, seq: int = 0, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"pixel_values": rng.standard_normal((batch, 3, IMAGE, IMAGE)).astype(np.float32)}


def _image(model_cls: str, config_cls: str, **config):
    def build():
        import torch

        model = zoo._hf(model_cls, config_cls, image_size=IMAGE, **config)
        # Trained-looking BatchNorm statistics (see zoo._calibrate_batchnorm), from 224 px
        # images: keeps activations in a realistic range through 50 layers.
        norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        with torch.no_grad():
            for bn in norms:
                bn.reset_running_stats()
                bn.momentum = None
            model.train()
            model(pixel_values=torch.from_numpy(image_feeds(4, seed=1)["pixel_values"]))
        model.eval()
        return zoo._wrap(model, ("pixel_values",), "logits")

    return build


def _image_model(name: str, build) -> zoo.ZooModel:
    return zoo.ZooModel(
        name=name, build=build, input_names=("pixel_values",), feeds=image_feeds,
        input_axes=zoo.BATCH_AXES, output_axes=zoo.BATCH_AXES, seqs=(), attention=zoo.CNN,
    )  # fmt: skip


def _text_model(name: str, build, vocab: int) -> zoo.ZooModel:
    return zoo.ZooModel(
        name=name, build=build, input_names=zoo.TEXT,
        feeds=lambda b, s: zoo.text_feeds(b, s, vocab), input_axes=zoo.TEXT_AXES,
        output_axes=zoo.TEXT_AXES, seqs=(SEQ,),
    )  # fmt: skip


FULL: dict[str, zoo.ZooModel] = {
    m.name: m
    for m in [
        _text_model("bert-base", zoo.text("BertModel", "BertConfig"), 30522),
        _text_model(
            "gpt2-small",
            zoo.text("GPT2Model", "GPT2Config", use_cache=False, bos_token_id=0, eos_token_id=0),
            50257,
        ),
        _text_model("t5-small-encoder", zoo.text("T5EncoderModel", "T5Config"), 32128),
        _image_model("vit-base", _image("ViTForImageClassification", "ViTConfig")),
        _image_model("resnet-50", _image("ResNetForImageClassification", "ResNetConfig")),
        _image_model("convnext-tiny", _image("ConvNextForImageClassification", "ConvNextConfig")),
        _image_model(
            "mobilenet-v2-1.0", _image("MobileNetV2ForImageClassification", "MobileNetV2Config")
        ),
    ]
}


def register() -> list[str]:
    """Adds the full-size models to zoo.ZOO (so zoo.ExportCache exports them) and returns
    their names, with MiniLM (real weights, already full size) last."""
    zoo.ZOO.update(FULL)
    return [*FULL, "all-MiniLM-L6-v2"]
