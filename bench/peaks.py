"""The measured peaks that a kernel path's GEMMs are judged against.

Each path is compared with the loop of the instructions its kernels are built from (see
_core._measure_peak): AVX2 fp32 with ymm FMAs, AVX2 int8 with the vpmaddubsw + vpmaddwd +
vpaddd chain (exact int8 without VNNI cannot beat it), AVX-VNNI with VEX vpdpbusd ymm,
AVX-512 with zmm (without VNNI: the zmm vpmaddubsw + vpmaddwd + vpaddd chain). None for
the scalar path.
"""

from __future__ import annotations

from fastinfer import _core

# isa -> (fp32 peak kind, int8 peak kind)
PEAK_KINDS: dict[str, tuple[str | None, str | None]] = {
    "scalar": (None, None),
    "avx2": ("fp32_fma_ymm", "int8_maddubs"),
    "avx2_vnni": ("fp32_fma_ymm", "int8_avx_vnni"),
    "avx512": ("fp32_fma", "int8_maddubs_zmm"),
    "avx512_vnni": ("fp32_fma", "int8_vnni"),
}


def measure(kind: str | None, iterations: int = 30_000_000) -> float | None:
    """One core's peak in Gop/s (Gflop/s for fp32) for `kind`, or None."""
    if kind is None:
        return None
    return _core._measure_peak(kind, iterations) / 1e9


def peaks_for(isa: str, iterations: int = 30_000_000) -> dict[str, float | None]:
    """{"fp32": Gflop/s, "int8": Gop/s} per core for the path `isa`, measured now."""
    fp32_kind, int8_kind = PEAK_KINDS[isa]
    return {"fp32": measure(fp32_kind, iterations), "int8": measure(int8_kind, iterations)}
