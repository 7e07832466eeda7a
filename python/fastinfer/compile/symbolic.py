"""Symbolic dims with guards: how one compiled plan serves every input shape of a class.

A dynamic input dim becomes a :class:`SymInt`: an integer expression over the input dims
that also carries its value for the shapes being compiled (its *hint*). Shape rules compute
with SymInts as with ints. Arithmetic builds expressions; a comparison is decided on the
hints and recorded as a *guard* (as torch.compile does), so the plan compiled from these
expressions is reused exactly for the input shapes where every guard holds. The plan then
evaluates the expressions in C++ for each new shape: no Python runs per shape.

Expressions are interned in an :class:`ExprTable`, a flat list the C++ side evaluates in
order (children before parents).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Union

# Opcodes shared with cpp/src/plan/shape_program.cc (keep in sync).
OP_CONST, OP_SYM, OP_ADD, OP_SUB, OP_MUL, OP_FLOORDIV, OP_MOD, OP_MAX, OP_MIN = range(9)
# Guard kinds: the guarded expression e (= lhs - rhs) satisfies e == 0, e != 0, e > 0 or
# e >= 0 (the other orders are written with the operands swapped).
GUARD_EQ, GUARD_NE, GUARD_GT, GUARD_GE = range(4)


class NotStatic(Exception):
    """A rule needed a value that is not known from shapes and constants alone."""


def _floordiv(a: int, b: int) -> int:
    if b == 0:
        raise NotStatic("division by zero in a shape expression")
    return a // b


def _mod(a: int, b: int) -> int:
    if b == 0:
        raise NotStatic("modulo by zero in a shape expression")
    return a % b


_EVAL: dict[int, Callable[[int, int], int]] = {
    OP_ADD: operator.add,
    OP_SUB: operator.sub,
    OP_MUL: operator.mul,
    OP_FLOORDIV: _floordiv,
    OP_MOD: _mod,
    OP_MAX: max,
    OP_MIN: min,
}


class ExprTable:
    """Interned expressions and the guards recorded while compiling one shape class."""

    def __init__(self) -> None:
        self.nodes: list[tuple[int, int, int]] = []  # (opcode, a, b); leaves use a only
        self._index: dict[tuple[int, int, int], int] = {}
        self.guards: list[tuple[int, int]] = []  # (expr id, guard kind)
        self._guarded: set[tuple[int, int]] = set()
        self.num_symbols = 0

    def intern(self, key: tuple[int, int, int]) -> int:
        found = self._index.get(key)
        if found is None:
            found = len(self.nodes)
            self.nodes.append(key)
            self._index[key] = found
        return found

    def symbol(self, hint: int) -> SymInt:
        sym = self.num_symbols
        self.num_symbols += 1
        return SymInt(self, self.intern((OP_SYM, sym, 0)), hint)

    def const(self, value: int) -> int:
        return self.intern((OP_CONST, int(value), 0))

    def guard(self, expr: int, kind: int) -> None:
        if (expr, kind) not in self._guarded:
            self._guarded.add((expr, kind))
            self.guards.append((expr, kind))

    def expr_of(self, d: Dim) -> int:
        """The expression id of a dim (an int becomes a constant)."""
        return d.expr if isinstance(d, SymInt) else self.const(d)


class SymInt:
    """An integer expression over input dims with its value for the current shapes."""

    __slots__ = ("table", "expr", "hint")

    def __init__(self, table: ExprTable, expr: int, hint: int) -> None:
        self.table, self.expr, self.hint = table, expr, int(hint)

    # -- arithmetic builds expressions -----------------------------------------------------
    def _binary(self, other: Dim, op: int, swap: bool = False) -> Dim:
        if not isinstance(other, (int, SymInt)) or isinstance(other, bool):
            return NotImplemented
        a, b = (other, self) if swap else (self, other)
        ha = a.hint if isinstance(a, SymInt) else int(a)
        hb = b.hint if isinstance(b, SymInt) else int(b)
        # Identities keep expressions small: x + 0, x * 1, x // 1, x * 0.
        if op in (OP_ADD, OP_SUB) and isinstance(b, int) and b == 0:
            return a
        if op == OP_ADD and isinstance(a, int) and a == 0:
            return b
        if op in (OP_MUL, OP_FLOORDIV) and isinstance(b, int) and b == 1:
            return a
        if op == OP_MUL and isinstance(a, int) and a == 1:
            return b
        if op == OP_MUL and ((isinstance(a, int) and a == 0) or (isinstance(b, int) and b == 0)):
            return 0
        t = self.table
        key = (op, t.expr_of(a), t.expr_of(b))
        return SymInt(t, t.intern(key), _EVAL[op](ha, hb))

    def __add__(self, o):
        return self._binary(o, OP_ADD)

    def __radd__(self, o):
        return self._binary(o, OP_ADD, swap=True)

    def __sub__(self, o):
        return self._binary(o, OP_SUB)

    def __rsub__(self, o):
        return self._binary(o, OP_SUB, swap=True)

    def __mul__(self, o):
        return self._binary(o, OP_MUL)

    def __rmul__(self, o):
        return self._binary(o, OP_MUL, swap=True)

    def __floordiv__(self, o):
        return self._binary(o, OP_FLOORDIV)

    def __rfloordiv__(self, o):
        return self._binary(o, OP_FLOORDIV, swap=True)

    def __mod__(self, o):
        return self._binary(o, OP_MOD)

    def __rmod__(self, o):
        return self._binary(o, OP_MOD, swap=True)

    def __neg__(self):
        return self._binary(0, OP_SUB, swap=True)

    def __pos__(self):
        return self

    def __truediv__(self, o):
        raise NotStatic("true division of a symbolic dim")

    __rtruediv__ = __truediv__

    # -- comparisons are decided on the hints and guarded -----------------------------------
    def _compare(self, other: Dim, swap: bool, strict: bool) -> bool:
        """self > other (strict) or self >= other, or the reverse when swap."""
        lhs, rhs = (other, self) if swap else (self, other)
        diff = lhs - rhs
        if not isinstance(diff, SymInt):
            return diff > 0 if strict else diff >= 0
        holds = diff.hint > 0 if strict else diff.hint >= 0
        if holds:
            self.table.guard(diff.expr, GUARD_GT if strict else GUARD_GE)
        else:  # not (d > 0) is (-d >= 0); not (d >= 0) is (-d > 0)
            neg = -diff
            self.table.guard(neg.expr, GUARD_GE if strict else GUARD_GT)
        return holds

    def __eq__(self, other):  # type: ignore[override]
        if not isinstance(other, (int, SymInt)) or isinstance(other, bool):
            return NotImplemented
        if isinstance(other, SymInt) and other.expr == self.expr:
            return True
        diff = self - other
        if not isinstance(diff, SymInt):
            return diff == 0
        holds = diff.hint == 0
        self.table.guard(diff.expr, GUARD_EQ if holds else GUARD_NE)
        return holds

    def __ne__(self, other):  # type: ignore[override]
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __gt__(self, o):
        return self._compare(o, False, True)

    def __ge__(self, o):
        return self._compare(o, False, False)

    def __lt__(self, o):
        return self._compare(o, True, True)

    def __le__(self, o):
        return self._compare(o, True, False)

    def __bool__(self) -> bool:
        return self != 0

    def __hash__(self) -> int:
        return hash(("SymInt", self.expr))

    def __index__(self) -> int:
        raise NotStatic("a symbolic dim was used where a concrete integer is needed")

    __int__ = __index__

    def __repr__(self) -> str:
        return f"SymInt(e{self.expr}={self.hint})"

    def __str__(self) -> str:  # error messages show the current size
        return str(self.hint)


Dim = Union[int, SymInt]


def concrete(d: Dim) -> int:
    """`d` as an int; a symbolic dim is pinned to its current value by a guard."""
    if isinstance(d, SymInt):
        _ = d == d.hint  # records the guard
        return d.hint
    return int(d)


def hint(d: Dim) -> int:
    """The current value of a dim, without guarding it (for sizes, never for decisions)."""
    return d.hint if isinstance(d, SymInt) else int(d)


def is_symbolic(d: object) -> bool:
    return isinstance(d, SymInt)


def evaluate(table: ExprTable, symbols: list[int]) -> list[int]:
    """Every expression's value for `symbols` (the reference for the C++ evaluator)."""
    values: list[int] = []
    for op, a, b in table.nodes:
        if op == OP_CONST:
            values.append(a)
        elif op == OP_SYM:
            values.append(symbols[a])
        else:
            values.append(_EVAL[op](values[a], values[b]))
    return values
