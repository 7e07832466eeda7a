"""Dead code elimination: nodes and constants that no graph output depends on."""

from __future__ import annotations

from ..ir.graph import Graph


def dead_code(graph: Graph) -> int:
    """Removes nodes whose outputs nothing uses, and constants no node or output reads.

    A node is live if one of its outputs is a graph output or an input of a live node, so a
    chain of nodes feeding only each other is removed as a whole. Entries of
    ``graph.values`` for removed values are dropped too (not counted).

    Parameters
    ----------
    graph : Graph
        Rewritten in place.

    Returns
    -------
    int
        The number of nodes plus constants removed.
    """
    live = set(graph.output_names)
    kept = []
    # Nodes are in topological order: walking backwards sees every reader before its producer.
    for node in reversed(graph.nodes):
        if any(o in live for o in node.outputs if o):
            kept.append(node)
            live.update(i for i in node.inputs if i)
    kept.reverse()
    removed = len(graph.nodes) - len(kept)
    graph.nodes = kept

    unused = [c for c in graph.constants if c not in live]
    for name in unused:
        del graph.constants[name]
    removed += len(unused)

    # Keep value descriptions only for values that still exist, so that they cannot go stale
    # if a later pass reuses a name.
    existing = live | set(graph.input_names) | {o for n in kept for o in n.outputs}
    for name in [v for v in graph.values if v not in existing]:
        del graph.values[name]
    return removed
