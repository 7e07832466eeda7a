"""Run a command on a CPU that looks like AVX2 + FMA only (no AVX-512, AVX-VNNI or AMX),
so onnxruntime picks its own AVX2 kernels and fastinfer's AVX2 path meets them like for
like on one core:

    python bench/cpuid_mask.py python bench/compare.py 1 2
    python bench/cpuid_mask.py python bench/compare_zoo.py 1 2 --full --cache /tmp/zoo

Compiles bench/cpuid_mask.c (Linux CPUID faulting; see the comment there) into a cache
folder when it changed, then execs the command with it in LD_PRELOAD. A measurement aid
only: nothing in either library changes, and where the CPU or kernel lacks CPUID faulting
the masked process says so and exits instead of measuring the unmasked CPU.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cpuid_mask.c")


def build() -> str:
    """Path of the compiled mask library, built once per source version."""
    with open(SOURCE, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    out = os.path.join(tempfile.gettempdir(), f"fastinfer-cpuid-mask-{digest}.so")
    if not os.path.exists(out):
        tmp = out + f".{os.getpid()}.tmp"
        subprocess.run(["cc", "-O2", "-Wall", "-shared", "-fPIC", "-o", tmp, SOURCE], check=True)
        os.replace(tmp, out)
    return out


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    env = dict(os.environ)
    env["LD_PRELOAD"] = " ".join(filter(None, [build(), env.get("LD_PRELOAD")]))
    os.execvpe(sys.argv[1], sys.argv[1:], env)


if __name__ == "__main__":
    raise SystemExit(main())
