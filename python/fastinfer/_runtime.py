"""Old home of the runtime settings, kept only for model.py's import (the lead is rewriting
model.py); delete this file once it imports from ``.runtime``."""

from __future__ import annotations

from .runtime import set_num_threads

__all__ = ["set_num_threads"]
