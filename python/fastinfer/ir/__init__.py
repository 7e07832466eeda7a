"""The graph IR: what the loader produces, the passes rewrite and the lowering compiles."""

from .graph import Graph, Node, Value

__all__ = ["Graph", "Node", "Value"]
