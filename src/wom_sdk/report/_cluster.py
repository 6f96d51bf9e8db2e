"""Optional grouping of complaint aspects by embedding similarity.

Categories already group aspects coarsely; embeddings catch synonyms inside
and across them ("电池续航" / "battery life" / "续航短"). The caller supplies
``embed(list[str]) -> list[list[float]]`` (e.g. an OpenAI-compatible
``/embeddings`` endpoint); nothing here touches the network.

The clustering is greedy "leader" clustering: aspects in order of frequency
(ties by text), each joins the most similar existing cluster leader when the
cosine similarity reaches ``threshold``, else it leads a new cluster. It is
deterministic for a deterministic ``embed`` and needs no numpy.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence

from ._types import AspectCluster

__all__ = ["cluster_aspects"]


def cluster_aspects(
    aspects: Sequence[tuple[str, int]],
    embed: Callable[[list[str]], Sequence[Sequence[float]]],
    *,
    threshold: float = 0.8,
) -> tuple[AspectCluster, ...]:
    """Group ``(aspect, count)`` pairs; clusters are returned largest first."""
    ordered = sorted(aspects, key=lambda kv: (-kv[1], kv[0]))
    if not ordered:
        return ()
    vectors = embed([a for a, _ in ordered])
    if len(vectors) != len(ordered):
        raise ValueError(f"embed returned {len(vectors)} vectors for {len(ordered)} texts")
    leaders: list[list[float]] = []
    members: list[list[tuple[str, int]]] = []
    for (aspect, count), raw in zip(ordered, vectors, strict=True):
        vector = _unit(raw)
        best, best_sim = -1, threshold
        for i, leader in enumerate(leaders):
            sim = sum(map(operator.mul, vector, leader))
            # ">" keeps the first (most frequent) leader on ties; the first
            # comparison uses ">=" against the threshold itself.
            if sim > best_sim or (best < 0 and sim >= threshold):
                best, best_sim = i, sim
        if best < 0:
            leaders.append(vector)
            members.append([(aspect, count)])
        else:
            members[best].append((aspect, count))
    clusters = [
        AspectCluster(label=group[0][0], count=sum(c for _, c in group), aspects=tuple(group))
        for group in members
    ]
    clusters.sort(key=lambda c: (-c.count, c.label))
    return tuple(clusters)


def _unit(vector: Sequence[float]) -> list[float]:
    values = [float(v) for v in vector]
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values] if norm else values
