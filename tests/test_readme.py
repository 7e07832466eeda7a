"""README.md runs as written: every ```python block on its own, in a fresh process and an
empty working directory (a user who copies one block must be able to run it), and the
`python ...` commands of its ```bash blocks, except the ones excused below."""

from __future__ import annotations

import itertools
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
TIMEOUT_S = 300

# `python ...` commands of the bash blocks that this test does not run, and why.
NOT_RUN = {
    "python3 -m venv .venv": "an install step",
    "python -m pytest tests": "the test suite itself",
    "python -m pytest bench --benchmark-group-by=group": "benchmarks: minutes of timing",
    "python bench/compare.py": "benchmarks: minutes of timing",
}


def _blocks(lang: str) -> list[str]:
    return [m.group(1) for m in re.finditer(rf"^```{lang}\n(.*?)^```", README, re.S | re.M)]


def _python_commands() -> list[str]:
    """The bash blocks' commands that start with python (after VAR=value assignments)."""
    commands = []
    for block in _blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            for is_and, group in itertools.groupby(words, lambda w: w == "&&"):
                argv = [] if is_and else list(group)
                while argv and re.match(r"^\w+=", argv[0]):
                    argv.pop(0)
                if argv and argv[0] in ("python", "python3"):
                    commands.append(" ".join(argv))
    return commands


def _run(argv: list[str], cwd: Path) -> None:
    # A relative PYTHONPATH (the README's `PYTHONPATH=python pytest`) must survive the cd.
    env = dict(os.environ)
    if env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(
            os.path.abspath(p) for p in env["PYTHONPATH"].split(os.pathsep)
        )
    out = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert out.returncode == 0, (
        f"exit {out.returncode}:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    )


PYTHON_BLOCKS = _blocks("python")
COMMANDS = [c for c in _python_commands() if c not in NOT_RUN]


def test_readme_has_what_this_test_reads() -> None:
    assert len(PYTHON_BLOCKS) >= 3
    assert "python -m fastinfer" in COMMANDS
    # an excuse for a command the README no longer has would hide nothing: drop it
    assert set(NOT_RUN) <= set(_python_commands())


@pytest.mark.parametrize("index", range(len(PYTHON_BLOCKS)))
def test_python_block_runs(index: int, tmp_path: Path) -> None:
    _run([sys.executable, "-c", PYTHON_BLOCKS[index]], tmp_path)


@pytest.mark.parametrize("command", COMMANDS)
def test_bash_python_command_runs(command: str, tmp_path: Path) -> None:
    _run([sys.executable, *shlex.split(command)[1:]], tmp_path)
