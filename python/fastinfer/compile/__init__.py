"""From an optimized graph with dynamic shapes to a native plan for one input signature.

Nothing is imported here: fastinfer.fused imports compile.shape_rules, and compile.lower
reads fastinfer.fused, so importing the modules from this file would make a cycle.
"""
