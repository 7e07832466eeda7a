"""Runs one ONNX-style node through a one-step native plan, for the per-op tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from fastinfer import _core

ONNX_CODES = {
    np.dtype(np.float32): 1,
    np.dtype(np.uint8): 2,
    np.dtype(np.int8): 3,
    np.dtype(np.int32): 6,
    np.dtype(np.int64): 7,
    np.dtype(np.bool_): 9,
    np.dtype(np.float64): 11,
}


def run_node(
    op: str,
    inputs: Sequence[np.ndarray | None],
    outputs: Sequence[tuple[np.dtype, tuple[int, ...]]],
    attrs: dict | None = None,
    constants: Sequence[int] = (),
    name: str = "n0",
) -> list[np.ndarray]:
    """Runs `op` on `inputs` (None for an omitted optional input).

    `outputs` gives each output's dtype and shape, as the lowering would; `constants` are
    the indices of inputs passed as plan constants (initializers).
    """
    p = _core.Plan()
    ids, feeds = [], []
    for i, x in enumerate(inputs):
        if x is None:
            ids.append(-1)
            continue
        x = np.array(x, order="C", copy=True)
        if i in constants:
            ids.append(p.add_constant(x, f"c{i}"))
        else:
            ids.append(p.add_input(ONNX_CODES[x.dtype], list(x.shape), f"in{i}"))
            feeds.append(x)
    outs = [
        p.add_output(ONNX_CODES[np.dtype(dt)], list(shape), f"out{j}")
        for j, (dt, shape) in enumerate(outputs)
    ]
    p.add_step(op, name, ids, outs, attrs or {})
    p.finalize()
    return list(p.run(feeds))


def run1(op, inputs, dtype, shape, attrs=None, constants=()):
    """Single-output convenience wrapper."""
    return run_node(op, inputs, [(dtype, shape)], attrs, constants)[0]


def node_error(op, inputs, outputs, attrs=None, constants=(), exc=ValueError) -> str:
    """The message of the `exc` that building or running `op` raises (run_node's
    arguments); checks that it starts by naming the node, as every kernel error does."""
    with pytest.raises(exc) as info:
        run_node(op, inputs, outputs, attrs, constants)
    msg = str(info.value)
    assert msg.startswith(f"{op} 'n0': "), msg
    return msg


def error1(op, inputs, dtype, shape, attrs=None, constants=(), exc=ValueError) -> str:
    """node_error for a single-output op (run1's arguments)."""
    return node_error(op, inputs, [(dtype, shape)], attrs, constants, exc)
