"""Devices: what this machine offers, and choosing one without ever falling back silently."""

from __future__ import annotations

from ..errors import DeviceError


def _ort_providers() -> list[str]:
    try:
        import onnxruntime as ort
    except ImportError:  # pragma: no cover - onnxruntime is a dependency
        return []
    return list(ort.get_available_providers())


def cuda_available() -> bool:
    """True when onnxruntime's CUDA execution provider can run here (onnxruntime-gpu and a
    visible GPU)."""
    if "CUDAExecutionProvider" not in _ort_providers():
        return False
    try:
        import ctypes

        ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    return True


def devices() -> list[str]:
    """Devices models can run on here: always "cpu", and "cuda" when available."""
    return ["cpu", "cuda"] if cuda_available() else ["cpu"]


def resolve_device(device: str) -> str:
    """ "cpu" | "cuda" | "auto" -> the device to use; DeviceError if it is unavailable."""
    if device not in ("cpu", "cuda", "auto"):
        raise ValueError(f"device must be 'cpu', 'cuda' or 'auto', got {device!r}")
    if device == "auto":
        return "cuda" if cuda_available() else "cpu"
    if device == "cuda" and not cuda_available():
        providers = ", ".join(_ort_providers()) or "none"
        raise DeviceError(
            "device='cuda' was requested but CUDA is not available: it needs onnxruntime-gpu "
            f"and a visible NVIDIA GPU (onnxruntime providers here: {providers}). "
            "fastinfer never falls back to the CPU silently; pass device='cpu' or 'auto'."
        )
    return device
