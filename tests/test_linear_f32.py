"""fp32 linear (packed weights, fused bias/ReLU/GELU) on every ISA path, against numpy."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from fastinfer import _core
from fastinfer.kernels import PackedF32Weights, linear, pack
from int8_reference import gelu_tanh

_erf = np.vectorize(math.erf, otypes=[np.float64])


def reference(x, w, bias=None, activation=None):
    """float64 ground truth of activation(x @ w + bias)."""
    y = x.astype(np.float64) @ w.astype(np.float64)
    if bias is not None:
        y = y + bias.astype(np.float64)
    if activation == "relu":
        y = np.maximum(y, 0.0)
    elif activation == "gelu":
        y = 0.5 * y * (1.0 + _erf(y / math.sqrt(2.0)))
    elif activation == "gelu_tanh":
        y = gelu_tanh(y)
    return y


def assert_close(y, x, w, bias=None, activation=None):
    """float32 sums of K products drift like sqrt(K) * |x| * |w| * eps: allow 1e-4 of it."""
    assert y.dtype == np.float32
    ref = reference(x, w, bias, activation)
    assert y.shape == ref.shape
    k = w.shape[0]
    scale = math.sqrt(k) * float(np.abs(x).max(initial=1.0)) * float(np.abs(w).max())
    err = np.abs(y.astype(np.float64) - ref)
    worst = float(err.max(initial=0.0))
    assert worst <= 1e-4 * scale + 1e-6, f"max abs error {worst:.3g} > {1e-4 * scale:.3g}"


def make(rng, m_shape, k, n):
    x = rng.standard_normal((*m_shape, k)).astype(np.float32)
    w = rng.standard_normal((k, n)).astype(np.float32)
    return x, w


@pytest.mark.parametrize(
    ("m_shape", "k", "n"),
    [
        ((1,), 1, 1),
        ((1,), 768, 768),
        ((13,), 3, 33),
        ((13,), 64, 1),
        ((5,), 1, 31),
        ((7,), 17, 32),
        ((12,), 256, 64),
        ((25,), 257, 65),
        ((37,), 300, 70),
        ((150,), 513, 97),
        ((2, 3), 40, 19),
        ((4,), 4096, 33),
        ((1,), 4096, 7),
    ],
)
def test_matches_numpy(isa, rng, m_shape, k, n):
    x, w = make(rng, m_shape, k, n)
    y = linear(x, pack(w))
    assert y.shape == (*m_shape, n)
    assert_close(y, x, w)


def test_1d_input(isa, rng):
    x, w = make(rng, (), 10, 6)
    y = linear(x, pack(w))
    assert y.shape == (6,)
    assert_close(y, x, w)


def test_random_shapes(isa, rng):
    for _ in range(12):
        m, k, n = (int(v) for v in rng.integers(1, 200, size=3))
        x, w = make(rng, (m,), k, n)
        assert_close(linear(x, pack(w)), x, w)


@pytest.mark.parametrize("activation", [None, "relu", "gelu", "gelu_tanh"])
@pytest.mark.parametrize(("m", "k", "n"), [(1, 1, 1), (13, 3, 33), (30, 300, 45), (64, 520, 96)])
def test_bias_and_activation(isa, rng, activation, m, k, n):
    x, w = make(rng, (m,), k, n)
    # Scaled so that many outputs land in GELU's curved region around 0.
    x *= 1.0 / math.sqrt(k)
    bias = rng.standard_normal(n).astype(np.float32)
    y = linear(x, pack(w), bias=bias, activation=activation)
    assert_close(y, x, w, bias, activation)
    if activation is not None:
        assert (y >= -0.2).all()  # both ReLU and GELU bound the output from below


def test_activation_without_bias(isa, rng):
    x, w = make(rng, (9,), 20, 40)
    assert_close(linear(x, pack(w), activation="gelu"), x, w, None, "gelu")
    assert_close(linear(x, pack(w), activation="relu"), x, w, None, "relu")


@pytest.mark.parametrize("activation", ["gelu", "gelu_tanh"])
def test_gelu_tails(isa, activation):
    # Both forms saturate: large |v| gives v (positive) or 0 (negative) exactly enough.
    v = np.array([-30.0, -6.0, -3.0, -0.5, 0.0, 0.5, 3.0, 6.0, 30.0], np.float32)
    w = np.eye(v.size, dtype=np.float32)
    y = linear(v[None, :], pack(w), activation=activation)
    np.testing.assert_allclose(y[0], reference(v[None, :], w, None, activation)[0], atol=1e-6)


def test_large_k(isa, rng):
    x, w = make(rng, (3,), 4096, 50)
    assert_close(linear(x, pack(w), bias=np.ones(50, np.float32)), x, w, np.ones(50))


def test_packed_weights_properties():
    w = np.zeros((10, 33), np.float32)
    p = pack(w)
    assert isinstance(p, PackedF32Weights)
    assert (p.k, p.n) == (10, 33)
    assert p.nbytes >= 10 * 33 * 4
    assert "k=10" in repr(p) and "n=33" in repr(p)
    with pytest.raises(AttributeError):
        p.k = 3


def test_packing_copies_weights(rng):
    x, w = make(rng, (4,), 8, 8)
    p = pack(w)
    expected = x @ w
    w[:] = 0.0
    np.testing.assert_allclose(linear(x, p), expected, rtol=1e-5, atol=1e-5)


def test_wrong_dtype_raises_type_error(rng):
    x, w = make(rng, (2,), 4, 3)
    p = pack(w)
    with pytest.raises(TypeError, match=r"x.*float32"):
        linear(x.astype(np.float64), p)
    with pytest.raises(TypeError, match=r"w.*float32"):
        pack(w.astype(np.float16))
    with pytest.raises(TypeError, match=r"bias.*float32"):
        linear(x, p, bias=np.zeros(3, np.float64))
    with pytest.raises(TypeError, match="x"):
        linear(x.tolist(), p)
    with pytest.raises(TypeError, match="packed_w"):
        linear(x, w)


def test_wrong_k_raises_value_error(rng):
    x, w = make(rng, (2,), 4, 3)
    with pytest.raises(ValueError, match=r"\(2, 5\).*\(4, 3\)"):
        linear(np.zeros((2, 5), np.float32), pack(w))


def test_bad_ranks_raise_value_error():
    with pytest.raises(ValueError, match="w must have 2 dimensions"):
        pack(np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="non-empty"):
        pack(np.zeros((0, 4), np.float32))
    with pytest.raises(ValueError, match="x must have at least 1 dimension"):
        linear(np.ones((), np.float32), pack(np.ones((1, 1), np.float32)))


def test_non_contiguous_raises_value_error(rng):
    x, w = make(rng, (4,), 6, 6)
    with pytest.raises(ValueError, match="x must be C-contiguous"):
        linear(x.T, pack(w))
    with pytest.raises(ValueError, match="w must be C-contiguous"):
        pack(w[:, ::2])
    with pytest.raises(ValueError, match="bias must be C-contiguous"):
        linear(x, pack(w), bias=np.zeros(12, np.float32)[::2])


def test_bad_activation_raises_value_error(rng):
    x, w = make(rng, (2,), 4, 3)
    with pytest.raises(ValueError, match="activation.*'tanh'"):
        linear(x, pack(w), activation="tanh")
    with pytest.raises(TypeError, match="activation"):
        linear(x, pack(w), activation=1)


@pytest.mark.parametrize("shape", [(4,), (1, 3), (3, 1)])
def test_bias_wrong_shape_raises_value_error(rng, shape):
    x, w = make(rng, (2,), 4, 3)
    with pytest.raises(ValueError, match=r"bias must have shape \(3,\)"):
        linear(x, pack(w), bias=np.zeros(shape, np.float32))


def test_empty_batch(isa):
    y = linear(np.zeros((0, 5), np.float32), pack(np.ones((5, 7), np.float32)))
    assert y.shape == (0, 7)


def test_same_result_with_1_and_2_threads(isa, rng):
    x, w = make(rng, (100,), 700, 300)
    bias = rng.standard_normal(300).astype(np.float32)
    p = pack(w)
    original = _core.get_num_threads()
    try:
        _core.set_num_threads(1)
        y1 = linear(x, p, bias, "gelu")
        _core.set_num_threads(2)
        y2 = linear(x, p, bias, "gelu")
    finally:
        _core.set_num_threads(original)
    # Each output element is summed in the same order whatever thread computes it.
    np.testing.assert_array_equal(y1, y2)
    assert_close(y2, x, w, bias, "gelu")


def test_concurrent_calls_from_python_threads(isa, rng):
    cases = []
    for i in range(6):
        x, w = make(rng, (20 + 7 * i,), 300 + 11 * i, 64 + 5 * i)
        cases.append((x, w, pack(w), linear(x, pack(w))))
    errors = []

    def worker(j):
        try:
            for _ in range(10):
                x, _w, p, expected = cases[j % len(cases)]
                np.testing.assert_array_equal(linear(x, p), expected)
        except Exception as e:  # reported to the main thread below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(j,)) for j in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    for x, w, _p, y in cases:
        assert_close(y, x, w)


def test_all_isas_agree(rng):
    x, w = make(rng, (29,), 333, 77)
    p = pack(w)
    original = _core.active_isa()
    results = {}
    try:
        for name in _core.supported_isas():
            _core._force_isa(name)
            results[name] = linear(x, p)
    finally:
        _core._force_isa(original)
    for y in results.values():
        assert_close(y, x, w)


@pytest.mark.parametrize(("kc", "mc"), [(1, 1), (3, 7), (16, 12), (128, 144), (1000, 6)])
def test_every_blocking(isa, rng, kc, mc):
    """Many K and M blocks: every later K block adds to y (and prefetches it), tiles of 1..6
    rows meet half and whole panels, and the next-slice prefetch runs past block ends."""
    default = _core._f32_blocking()
    _core._f32_set_blocking(kc, mc)
    try:
        assert _core._f32_blocking() == (kc, mc)
        for m, k, n in [(1, 5, 3), (7, 33, 17), (13, 257, 65), (20, 100, 40), (45, 130, 100)]:
            x, w = make(rng, (m,), k, n)
            bias = rng.standard_normal(n).astype(np.float32)
            y = linear(x, pack(w), bias=bias, activation="relu")
            assert_close(y, x, w, bias, "relu")
    finally:
        _core._f32_set_blocking(*default)


def test_blocking_resets_with_the_isa(rng):
    original = _core.active_isa()
    default = _core._f32_blocking()
    try:
        _core._f32_set_blocking(2, 3)
        _core._force_isa(original)
        assert _core._f32_blocking() == default
    finally:
        _core._force_isa(original)


@pytest.mark.parametrize(("kc", "mc"), [(0, 144), (128, 0), (-1, -1)])
def test_bad_blocking_raises_value_error(kc, mc):
    default = _core._f32_blocking()
    with pytest.raises(ValueError, match="kc and mc must be positive"):
        _core._f32_set_blocking(kc, mc)
    assert _core._f32_blocking() == default
