"""Shared fixtures: every kernel test runs once per ISA path this CPU supports."""

from __future__ import annotations

import numpy as np
import pytest

from fastinfer import _core

SUPPORTED_ISAS = list(_core.supported_isas())


@pytest.fixture(params=SUPPORTED_ISAS)
def isa(request):
    """Force one kernel path for the duration of a test, then restore the original."""
    original = _core.active_isa()
    _core._force_isa(request.param)
    try:
        yield request.param
    finally:
        _core._force_isa(original)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
