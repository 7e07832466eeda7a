"""Exceptions raised by fastinfer. Each subclasses a built-in so callers can catch either."""

from __future__ import annotations


class FastInferError(Exception):
    """Base class of every fastinfer-specific error."""
