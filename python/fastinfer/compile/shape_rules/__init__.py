"""Shape rules, one module per op family; importing the package fills SHAPE_RULES."""

import importlib
import pkgutil

from .registry import SHAPE_RULES, shape_rule

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "registry":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["SHAPE_RULES", "shape_rule"]
