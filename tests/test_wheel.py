"""A wheel built with `pip wheel .` installs into a fresh venv and works there.

Slow (it compiles the extension and makes a venv): CI runs it as part of the full suite.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SMOKE = """
import numpy as np, fastinfer
from fastinfer import kernels
info = fastinfer.cpu_info()
assert info["isa"] in info["supported_isas"], info
rng = np.random.default_rng(0)
x = rng.standard_normal((3, 40)).astype(np.float32)
w = rng.standard_normal((40, 20)).astype(np.float32)
np.testing.assert_allclose(kernels.linear(x, kernels.pack(w)), x @ w, rtol=1e-4, atol=1e-4)
y = kernels.linear_int8(x, kernels.pack_int8(w))
assert np.abs(y - x @ w).max() < 0.05 * np.abs(x @ w).max()
print("wheel ok", fastinfer.__version__, info["isa"])
"""


def run(cmd: list[str], cwd: Path | None = None) -> str:
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=1200)
    assert out.returncode == 0, (
        f"{' '.join(cmd)} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    )
    return out.stdout


@pytest.mark.slow
def test_wheel_installs_and_runs_in_fresh_venv(tmp_path):
    if not (ROOT / "pyproject.toml").exists():
        pytest.fail(f"the wheel test needs the source tree; {ROOT} has no pyproject.toml")
    wheel_dir = tmp_path / "wheels"
    run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-w", str(wheel_dir)])
    wheels = list(wheel_dir.glob("fastinfer-*.whl"))
    assert len(wheels) == 1, wheels
    names = zipfile.ZipFile(wheels[0]).namelist()
    assert any(n.startswith("fastinfer/_core") and n.endswith(".so") for n in names), names
    # No -march=native: the wheel is tagged for generic x86-64 (linux_x86_64 here).
    assert wheels[0].name.endswith(("x86_64.whl", "aarch64.whl")), wheels[0].name

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    run([str(python), "-m", "pip", "install", "--quiet", str(wheels[0])])
    # Run from a folder without the sources so the installed wheel is what imports.
    out = run([str(python), "-c", SMOKE], cwd=tmp_path)
    assert "wheel ok" in out
