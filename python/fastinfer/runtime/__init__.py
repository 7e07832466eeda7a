"""Runtime settings: CPU detection and the intra-op thread pools."""

from __future__ import annotations

from .threads import ThreadPool, cpu_info, get_num_threads, set_num_threads

__all__ = ["ThreadPool", "cpu_info", "get_num_threads", "set_num_threads"]
