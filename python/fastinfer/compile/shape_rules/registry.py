"""The table of shape rules: op type -> function giving each output's dtype and shape.

A rule sees one node through a :class:`RuleContext` and returns ``[(dtype, shape), ...]``,
one entry per output the node has. Shapes are tuples whose dims are ints or symbolic dims
(:class:`fastinfer.compile.symbolic.SymInt`): write rules with ordinary arithmetic
(``+ - * // %``), comparisons and ``max``/``min``; a comparison on a symbolic dim is decided
on the current shapes and recorded as a guard, so the compiled plan is reused only for
shapes where it holds. Never call ``int()`` on a dim: use ``ctx.concrete(d)`` when a rule
really needs a number (that pins the dim to its current value).

RuleContext (see symbolic.py):
  ctx.node          the ir.Node (op_type, inputs, outputs, attrs)
  ctx.has(i)        input i is given (not omitted)
  ctx.shape(i)      input i's shape, a tuple of dims
  ctx.dtype(i)      input i's numpy dtype
  ctx.ints(i)       input i's values as a flat list of ints / symbolic dims, when it is a
                    constant or computed from shapes only (Reshape's shape, Slice's starts,
                    TopK's k, ...); raises NotStatic otherwise
  ctx.attr(name, default)
  ctx.concrete(d)   d as an int (pins it)
"""

from __future__ import annotations

from collections.abc import Callable

SHAPE_RULES: dict[str, Callable] = {}


def shape_rule(*ops: str) -> Callable:
    """Registers the decorated function as the shape rule of each op in `ops`."""

    def register(fn: Callable) -> Callable:
        for op in ops:
            SHAPE_RULES[op] = fn
        return fn

    return register
