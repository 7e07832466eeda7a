"""The register-only peak loops that bench/ judges each kernel path against: every loop
this CPU can run returns a plausible rate, and a bad request names what is wrong."""

import pytest

from fastinfer import _core

# kind -> the path it needs (bench/peaks.py pairs each path with its loops).
KINDS = {
    "fp32_fma_ymm": "avx2",
    "int8_maddubs": "avx2",
    "int8_avx_vnni": "avx2_vnni",
    "fp32_fma": "avx512",
    "int8_maddubs_zmm": "avx512",
    "int8_vnni": "avx512_vnni",
}
SUPPORTED = set(_core.supported_isas())


@pytest.mark.parametrize("kind", sorted(k for k, isa in KINDS.items() if isa in SUPPORTED))
def test_peak_loop_runs(kind):
    rate = _core._measure_peak(kind, 200_000)
    # A loop that did not run, or an error in its operation count, falls outside these
    # bounds (real cores: ~5e10 .. 2e12); they are wide so a loaded machine cannot fail it.
    assert 1e8 < rate < 1e14


def test_unknown_kind_names_the_choices():
    with pytest.raises(ValueError, match="int8_maddubs_zmm; got 'int4'"):
        _core._measure_peak("int4", 10)


def test_iterations_must_be_positive():
    with pytest.raises(ValueError, match="iterations must be >= 1"):
        _core._measure_peak("fp32_fma_ymm", 0)
