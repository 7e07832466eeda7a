"""The public API keeps its names while modules live in their layer's subpackage."""

from __future__ import annotations

import numpy as np

import fastinfer


def test_moved_modules_keep_their_top_level_names() -> None:
    import fastinfer.batch
    import fastinfer.memory
    from fastinfer.batch import pack_ragged
    from fastinfer.memory import Pool

    assert fastinfer.memory is fastinfer.runtime.memory
    assert fastinfer.batch is fastinfer.serving.batch
    assert Pool is fastinfer.runtime.memory.Pool
    ragged = pack_ragged([np.ones((2, 3), np.float32), np.zeros((1, 3), np.float32)])
    assert list(ragged.offsets) == [0, 2, 3]


def test_devices_is_still_a_function_at_the_top() -> None:
    assert fastinfer.devices()[0] == "cpu"
    assert set(fastinfer.devices()) <= {"cpu", "cuda"}
