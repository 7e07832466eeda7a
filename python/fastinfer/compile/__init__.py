"""From an optimized graph with dynamic shapes to a native plan for one input signature."""

from .lower import CompiledPlan, lower
from .specialize import specialize

__all__ = ["CompiledPlan", "lower", "specialize"]
