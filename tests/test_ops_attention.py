"""The fused Attention kernel against numpy softmax(q @ k_t * scale + mask) @ v."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from nn_helpers import run_node

RTOL, ATOL = 1e-4, 1e-5


def reference(q, kt, v, scale, mask=None, causal=False, nan_probs_to_zero=False):
    """In float64; causal: key j visible to query i iff j <= i (top-left, as ONNX)."""
    q, kt, v = (a.astype(np.float64) for a in (q, kt, v))
    s = (q @ kt) * scale
    if mask is not None:  # added in float32, as every library does: -1e9 swamps the scores
        s = (s.astype(np.float32) + mask).astype(np.float64)
    if causal:
        sq, sk = s.shape[-2:]
        s = np.where(np.arange(sk)[None, :] <= np.arange(sq)[:, None], s, -np.inf)
    with np.errstate(invalid="ignore"):
        s = np.exp(s - s.max(-1, keepdims=True))
        p = s / s.sum(-1, keepdims=True)
    if nan_probs_to_zero:
        p = np.where(np.isnan(p), 0.0, p)
    return p @ v


def run_attention(q, kt, v, scale, mask=None, **attrs):
    inputs = [(q, False), (kt, False), (v, False)] + ([(mask, False)] if mask is not None else [])
    shape = q.shape[:-1] + v.shape[-1:]
    attrs = {"scale": float(scale), **{k: int(val) for k, val in attrs.items()}}
    return run_node("Attention", inputs, [shape], attrs)[0]


def randn(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


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


@pytest.mark.parametrize("d", [1, 3, 8, 16, 31, 32, 33, 64, 80])
@pytest.mark.parametrize("s", [1, 7, 9, 16, 17, 33])
def test_head_dims_and_lengths(isa, rng, d, s):
    """Every head dim 1..80 kind (tails of 8 and 16 lanes, one vector, two) with key and
    query counts around the vector widths and the row groups (6 and 8)."""
    q, kt, v = randn(rng, 1, 2, s, d), randn(rng, 1, 2, d, s), randn(rng, 1, 2, s, d)
    got = run_attention(q, kt, v, 1 / np.sqrt(d))
    np.testing.assert_allclose(got, reference(q, kt, v, 1 / np.sqrt(d)), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("sq,sk,dv", [(5, 40, 1), (13, 3, 80), (70, 65, 17), (1, 300, 64)])
def test_rectangular(isa, rng, sq, sk, dv):
    q, kt, v = randn(rng, 2, 1, sq, 24), randn(rng, 2, 1, 24, sk), randn(rng, 2, 1, sk, dv)
    got = run_attention(q, kt, v, 0.2)
    np.testing.assert_allclose(got, reference(q, kt, v, 0.2), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    "mask_shape",
    [
        (1,),
        (19,),
        (1, 19),
        (11, 1),
        (11, 19),
        (3, 1, 1, 19),
        (1, 2, 1, 1),
        (3, 2, 11, 19),
        (2, 11, 1),
        (3, 1, 11, 1),
    ],
)
def test_mask_broadcasts_in_each_dim(isa, rng, mask_shape):
    b, h, sq, sk, d = 3, 2, 11, 19, 8
    q, kt, v = randn(rng, b, h, sq, d), randn(rng, b, h, d, sk), randn(rng, b, h, sk, d)
    mask = randn(rng, *mask_shape) * 3
    got = run_attention(q, kt, v, 0.3, mask)
    np.testing.assert_allclose(got, reference(q, kt, v, 0.3, mask), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("fill", [-np.inf, np.finfo(np.float32).min, -1e9])
@pytest.mark.parametrize("nan_probs_to_zero", [False, True])
def test_fully_masked_rows(isa, rng, fill, nan_probs_to_zero):
    """Rows whose every key is masked: -inf gives NaN (or 0 with nan_probs_to_zero, as
    torch's exported Where(IsNaN(p), 0, p)); a finite fill gives the softmax of the
    (equal) masked scores, a mean of v, as numpy does."""
    b, h, sq, sk, d = 1, 2, 20, 37, 16
    q, kt, v = randn(rng, b, h, sq, d), randn(rng, b, h, d, sk), randn(rng, b, h, sk, d)
    mask = np.zeros((b, 1, sq, sk), np.float32)
    mask[..., 3, :] = fill
    mask[..., 11:, 30:] = fill  # the key tail of later rows: skipped tiles
    got = run_attention(q, kt, v, 0.25, mask, nan_probs_to_zero=nan_probs_to_zero)
    want = reference(q, kt, v, 0.25, mask, nan_probs_to_zero=nan_probs_to_zero)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    if fill == -np.inf:
        row = got[:, :, 3]
        assert (row == 0).all() if nan_probs_to_zero else np.isnan(row).all()


@pytest.mark.parametrize("sq,sk", [(1, 1), (7, 7), (16, 16), (45, 45), (130, 130), (9, 20)])
@pytest.mark.parametrize("with_mask", [False, True])
def test_causal(isa, rng, sq, sk, with_mask):
    """causal=1: key j is visible to query i iff j <= i, with or without a padding mask."""
    b, h, d = 2, 3, 16
    q, kt, v = randn(rng, b, h, sq, d), randn(rng, b, h, d, sk), randn(rng, b, h, sk, d)
    mask = None
    if with_mask:
        mask = np.zeros((b, 1, 1, sk), np.float32)
        mask[1, ..., max(1, sk - 3) :] = -np.inf  # right padding of the second sequence
    got = run_attention(q, kt, v, 0.25, mask, causal=1)
    want = reference(q, kt, v, 0.25, mask, causal=True)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_materialised_causal_mask_matches_flag(isa, rng):
    """A causal mask written out (-inf above the diagonal, as exporters materialise it)
    gives the causal flag's result: the skipped tiles change nothing."""
    b, h, s, d = 1, 4, 77, 32
    q, kt, v = randn(rng, b, h, s, d), randn(rng, b, h, d, s), randn(rng, b, h, s, d)
    for fill in (-np.inf, np.finfo(np.float32).min):
        mask = np.triu(np.full((s, s), fill, np.float32), 1)
        got = run_attention(q, kt, v, 0.2, mask)
        np.testing.assert_allclose(
            got, run_attention(q, kt, v, 0.2, causal=1), rtol=1e-5, atol=1e-6
        )


def test_nan_scores_propagate(isa, rng):
    q, kt, v = randn(rng, 1, 1, 9, 8), randn(rng, 1, 1, 8, 21), randn(rng, 1, 1, 21, 8)
    q[0, 0, 4, 2] = np.nan
    got = run_attention(q, kt, v, 1.0)
    assert np.isnan(got[0, 0, 4]).all()
    assert np.isfinite(np.delete(got, 4, axis=2)).all()
    zeroed = run_attention(q, kt, v, 1.0, nan_probs_to_zero=1)
    assert (zeroed[0, 0, 4] == 0).all()


def test_large_head_dim_and_long_keys(isa, rng):
    q, kt, v = randn(rng, 1, 1, 10, 300), randn(rng, 1, 1, 300, 1030), randn(rng, 1, 1, 1030, 70)
    got = run_attention(q, kt, v, 1 / np.sqrt(300))
    want = reference(q, kt, v, 1 / np.sqrt(300))
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
def test_fully_masked_row_beside_others(isa, rng, nan_to_zero):
    """A query row that sees no key: softmax over all -inf is NaN; with nan_to_zero (torch's
    exported SDPA guard, Where(IsNaN(p), 0, p)) its probabilities, and so its output, are 0.
    The other rows are unaffected either way."""
    b, h, sq, sk, d = 2, 3, 9, 13, 16
    q = rng.standard_normal((b, h, sq, d)).astype(np.float32)
    kt = rng.standard_normal((b, h, d, sk)).astype(np.float32)
    v = rng.standard_normal((b, h, sk, d)).astype(np.float32)
    mask = np.zeros((b, 1, sq, sk), np.float32)
    mask[1, 0, 4, :] = -np.inf
    attrs = {"scale": 0.25, "nan_probs_to_zero": nan_to_zero}
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
