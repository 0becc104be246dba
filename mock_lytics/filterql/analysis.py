"""Static questions about a filter, answered without a profile.

The segment engine uses them to skip work: a profile change that touches none of a segment's
``referenced_fields`` cannot change its membership, unless the segment is ``time_dependent``
(it compares against "now") or includes other segments.
"""

from __future__ import annotations

from collections.abc import Callable

from . import ast as A
from .functions import FUNCTIONS


def included_segments(flt: A.Node) -> frozenset[str]:
    """Slugs/ids named by ``INCLUDE`` anywhere in ``flt`` (not followed transitively)."""
    return frozenset(n.target for n in flt.walk() if isinstance(n, A.Include))


def referenced_fields(flt: A.Node, *, resolve: Callable[[str], A.Filter | None] | None = None) -> frozenset[str]:
    """Top-level profile keys ``flt`` reads.

    A dotted path ``hits.foo`` yields both ``hits`` (its first component) and ``hits.foo`` (the flat
    key, which is looked up first). With ``resolve``, included segments are followed (cycles are
    cut); without it their fields are not known, so check :func:`included_segments` too.
    """
    out: set[str] = set()
    seen: set[str] = set()
    stack: list[A.Node] = [flt]
    while stack:
        node = stack.pop()
        for n in node.walk():
            if isinstance(n, A.Field):
                out.add(n.path[0])
                if len(n.path) > 1:
                    out.add(n.name)
            elif isinstance(n, A.Include) and resolve is not None and n.target not in seen:
                seen.add(n.target)
                target = resolve(n.target)
                if target is not None:
                    stack.append(target)
    return frozenset(out)


def time_dependent(flt: A.Node) -> bool:
    """True when the result can change with the clock alone (date math, daysago(), timewindow())."""
    for n in flt.walk():
        if isinstance(n, A.Literal) and n.rel is not None:
            return True
        if isinstance(n, A.Func) and FUNCTIONS[n.name].uses_now:
            return True
    return False
