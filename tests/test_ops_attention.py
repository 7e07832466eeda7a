"""The fused Attention kernel against numpy softmax(q @ k_t * scale + mask) @ v."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from nn_helpers import run_node

RTOL, ATOL = 1e-4, 1e-5


def reference(q, kt, v, scale, mask=None):
    s = (q @ kt) * scale
    if mask is not None:
        s = s + mask
    s = np.exp(s - s.max(-1, keepdims=True))
    return (s / s.sum(-1, keepdims=True)) @ v


@pytest.mark.parametrize(
    ("b", "h", "sq", "sk", "d", "dv"),
    [
        (1, 1, 1, 1, 8, 8),
        (2, 3, 17, 17, 16, 16),
        (1, 12, 64, 64, 64, 64),
        (3, 2, 5, 129, 7, 9),
        (1, 1, 300, 40, 32, 24),
    ],
)
@pytest.mark.parametrize("mask_shape", [None, "full", "key_padding", "causal"])
def test_attention(isa, rng, b, h, sq, sk, d, dv, mask_shape):
    q = rng.standard_normal((b, h, sq, d)).astype(np.float32)
    kt = rng.standard_normal((b, h, d, sk)).astype(np.float32)
    v = rng.standard_normal((b, h, sk, dv)).astype(np.float32)
    scale = 1.0 / np.sqrt(d)
    mask = {
        None: None,
        "full": rng.standard_normal((b, h, sq, sk)).astype(np.float32),
        "key_padding": np.where(rng.random((b, 1, 1, sk)) < 0.2, -1e9, 0).astype(np.float32),
        "causal": np.triu(np.full((sq, sk), -np.inf, np.float32), 1),
    }[mask_shape]
    want = reference(q, kt, v, scale, mask)
    inputs = [(q, False), (kt, False), (v, False)] + ([(mask, False)] if mask is not None else [])
    (got,) = run_node("Attention", inputs, [want.shape], {"scale": float(scale)})
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_concurrent_runs_agree(rng):
    from fastinfer import _core

    p = _core.Plan()
    shape_q, shape_k = (2, 4, 33, 16), (2, 4, 16, 33)
    ids = [p.add_input(1, list(s), n) for s, n in [(shape_q, "q"), (shape_k, "k"), (shape_q, "v")]]
    y = p.add_output(1, list(shape_q), "y")
    p.add_step("Attention", "attn", ids, [y], {"scale": 0.25})
    p.finalize()
    feeds = [
        [rng.standard_normal(s).astype(np.float32) for s in (shape_q, shape_k, shape_q)]
        for _ in range(4)
    ]
    wants = [reference(f[0], f[1], f[2], 0.25) for f in feeds]
    errors = []

    def worker(i):
        for _ in range(20):
            (out,) = p.run(feeds[i])
            if not np.allclose(out, wants[i], rtol=RTOL, atol=ATOL):
                errors.append(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


@pytest.mark.parametrize(
    ("shapes", "out", "match"),
    [
        ([(1, 2, 4, 8), (1, 2, 8, 4)], (1, 2, 4, 8), "expects 3-4 inputs"),
        ([(1, 2, 4, 8), (1, 2, 4, 8), (1, 2, 4, 8)], (1, 2, 4, 8), "shapes do not agree"),
        ([(2, 4, 8), (2, 8, 4), (2, 4, 8)], (2, 4, 8), "q, k_t and v must be 4-D"),
        (
            [(1, 2, 4, 8), (1, 2, 8, 4), (1, 2, 4, 8), (3, 4)],
            (1, 2, 4, 8),
            "mask .* does not broadcast",
        ),
        ([(1, 2, 4, 8), (1, 2, 8, 4), (1, 2, 4, 8)], (1, 2, 4, 4), "output 0 has shape"),
    ],
)
def test_errors(shapes, out, match):
    inputs = [(np.zeros(s, np.float32), False) for s in shapes]
    with pytest.raises(ValueError, match="Attention 'node': " + match):
        run_node("Attention", inputs, [out], {"scale": 1.0})


@pytest.mark.parametrize("nan_to_zero", [0, 1])
def test_fully_masked_rows(isa, rng, nan_to_zero):
    """A query row that sees no key: softmax over all -inf is NaN; with nan_to_zero (torch's
    exported SDPA guard, Where(IsNaN(p), 0, p)) its probabilities, and so its output, are 0.
    The other rows are unaffected either way."""
    b, h, sq, sk, d = 2, 3, 9, 13, 16
    q = rng.standard_normal((b, h, sq, d)).astype(np.float32)
    kt = rng.standard_normal((b, h, d, sk)).astype(np.float32)
    v = rng.standard_normal((b, h, sk, d)).astype(np.float32)
    mask = np.zeros((b, 1, sq, sk), np.float32)
    mask[1, 0, 4, :] = -np.inf
    attrs = {"scale": 0.25, "nan_to_zero": nan_to_zero}
    (got,) = run_node("Attention", [(q, False), (kt, False), (v, False), (mask, False)],
                      [(b, h, sq, d)], attrs)  # fmt: skip
    with np.errstate(invalid="ignore"):
        want = reference(q, kt, v, 0.25, mask)
    masked = np.zeros(got.shape, bool)
    masked[1, :, 4] = True
    np.testing.assert_allclose(got[~masked], want[~masked], rtol=RTOL, atol=ATOL)
    if nan_to_zero:
        assert np.all(got[masked] == 0)
    else:
        assert np.all(np.isnan(got[masked]))
