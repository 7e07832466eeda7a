"""The runtime layer: CPU detection and the intra-op thread pools (threads.py), the devices
a model can run on (devices.py) and tensor memory (memory.py)."""

from __future__ import annotations

from .threads import ThreadPool, cpu_info, get_num_threads, kernel_configs, set_num_threads

__all__ = ["ThreadPool", "cpu_info", "get_num_threads", "kernel_configs", "set_num_threads"]
