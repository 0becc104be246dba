"""Evaluate a parsed filter against one profile.

The tree is compiled once into nested closures (cached on the node) so that re-evaluating a
segment for every profile change costs a few dictionary lookups. Internally every predicate
yields True, False or None, where None is qlbridge's "not ok" (the expression could not be
evaluated, e.g. BETWEEN on a missing field or a number compared with "abc"). None is
contagious through NOT and AND, skipped by OR, and a top-level None is "no match".
SEMANTICS.md lists each rule with its qlbridge source.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from . import ast as A
from . import compare as C
from . import values as V
from .functions import FUNCTIONS

Result = bool | None
Fn = Callable[[Mapping[str, Any], "_Ctx | None"], Result]
Getter = Callable[[Mapping[str, Any], "_Ctx | None"], Any]
Resolver = Callable[[str], "A.Filter | None"]

MAX_INCLUDE_DEPTH = 32
_UNRESOLVED = object()


@dataclass(frozen=True)
class Semantics:
    """Knobs for rules where public sources leave room (defaults follow qlbridge's vm).

    between_inclusive: qlbridge's BETWEEN is exclusive (``lo < x < hi``); set True for ``<=``.
    empty_is_missing: treat "", [] and {} as absent (qlbridge: they exist, since lytics/qlbridge#53).
    """

    between_inclusive: bool = False
    empty_is_missing: bool = False


DEFAULT_SEMANTICS = Semantics()


class _Ctx:
    """Per-call state: the clock, the INCLUDE resolver and what it has already resolved."""

    __slots__ = ("_now", "_now_ts", "resolve", "resolved", "sem")

    def __init__(self, now: datetime | None, resolve: Resolver | None, sem: Semantics) -> None:
        self._now = now
        self._now_ts: int | None = None
        self.resolve = resolve
        self.sem = sem
        self.resolved: dict[str, A.Node] = {}  # targets whose whole include graph resolves, acyclic

    def now_ts(self) -> int:
        if self._now_ts is None:
            now = self._now or datetime.now(UTC)
            self._now_ts = V.epoch_from_datetime(now)
        return self._now_ts

    def include(self, target: str, profile: Mapping[str, Any]) -> object:
        """Evaluate segment ``target``; _UNRESOLVED if it, or anything it includes, cannot be resolved.

        qlbridge resolves the include graph eagerly (vm.resolveIncludesDepth), so an unknown target or
        a cycle anywhere below makes the INCLUDE itself fail, even under NOT or OR.
        """
        flt = self.resolved.get(target)
        if flt is None:
            flt = self._resolve_graph(target, set(), 0)
            if flt is None:
                return _UNRESOLVED
        fn, _ = _compiled(flt, self.sem)
        return fn(profile, self)

    def _lookup(self, target: str) -> A.Node | None:
        if self.resolve is None:
            return None
        try:
            flt = self.resolve(target)
        except LookupError:
            return None
        if flt is not None and not isinstance(flt, A.Node):
            raise TypeError(f"resolve({target!r}) returned {type(flt).__name__}, expected a Filter or None")
        return flt

    def _resolve_graph(self, target: str, visiting: set[str], depth: int) -> A.Node | None:
        if target in self.resolved:
            return self.resolved[target]
        if target in visiting or depth > MAX_INCLUDE_DEPTH:
            return None
        flt = self._lookup(target)
        if flt is None:
            return None
        visiting.add(target)
        for sub in _includes(flt):
            if self._resolve_graph(sub, visiting, depth + 1) is None:
                return None
        visiting.discard(target)
        self.resolved[target] = flt
        return flt


def _includes(node: A.Node) -> tuple[str, ...]:
    hit = node._cache.get("includes")
    if hit is None:
        hit = node._cache["includes"] = tuple(n.target for n in node.walk() if isinstance(n, A.Include))
    return hit


def evaluate(
    flt: A.Node,
    profile: Mapping[str, Any],
    *,
    now: datetime | None = None,
    resolve: Resolver | None = None,
    semantics: Semantics | None = None,
) -> bool:
    """True when ``profile`` matches ``flt`` (a Filter or any expression node).

    :param now: anchor for date math such as ``"now-1d"`` and ``daysago()``; naive means UTC.
    :param resolve: slug/id -> Filter (or None) for ``INCLUDE``; unknown targets and cycles never match.
    :raises TypeError: for a non-node filter, a non-mapping profile or a non-datetime ``now``.
    """
    sem = semantics or DEFAULT_SEMANTICS
    if not isinstance(flt, A.Node):
        raise TypeError(f"evaluate() needs a parsed Filter or node, got {type(flt).__name__}")
    fn, needs_ctx = _compiled(flt, sem)
    if type(profile) is not dict and not isinstance(profile, Mapping):
        raise TypeError(f"profile must be a mapping, got {type(profile).__name__}")
    if now is not None:
        if not isinstance(now, datetime):
            raise TypeError(f"now must be a datetime, got {type(now).__name__}")
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
    if not needs_ctx:
        return fn(profile, None) is True
    return fn(profile, _Ctx(now, resolve, sem)) is True


def _compiled(node: A.Node, sem: Semantics) -> tuple[Fn, bool]:
    key = None if sem is DEFAULT_SEMANTICS else sem
    hit = node._cache.get(key)
    if hit is None:
        target = node.expr if isinstance(node, A.Filter) else node
        hit = (_compile(target, sem), _needs_ctx(target))
        node._cache[key] = hit
    return hit


def _needs_ctx(node: A.Node) -> bool:
    for n in node.walk():
        if isinstance(n, A.Include | A.Func) or (isinstance(n, A.Literal) and n.rel is not None):
            return True
        if isinstance(n, A.Compare) and not isinstance(n.left, A.Literal) and not isinstance(n.right, A.Literal):
            return True
        if isinstance(n, A.Contains | A.Between) and not all(isinstance(x, A.Literal) for x in n.children()[1:]):
            return True
    return False


# --------------------------------------------------------------------------------------- getters
def _getter(node: A.Node, sem: Semantics) -> Getter:
    g = _raw_getter(node, sem)
    if not sem.empty_is_missing or isinstance(node, A.Literal):
        return g
    return lambda p, c: None if C.is_empty(v := g(p, c)) else v


def _raw_getter(node: A.Node, sem: Semantics) -> Getter:
    if isinstance(node, A.Literal):
        const = node.value
        return lambda p, c: const
    if isinstance(node, A.Field):
        return _field_getter(node.path)
    if isinstance(node, A.Func):
        impl = FUNCTIONS[node.name].impl
        args = [_getter(a, sem) for a in node.args]
        return lambda p, c: impl([g(p, c) for g in args], c)  # type: ignore[arg-type]
    raise TypeError(f"{type(node).__name__} is not a value")


def _field_getter(path: tuple[str, ...]) -> Getter:
    if len(path) == 1:
        key = path[0]
        return lambda p, c: p.get(key)
    flat = ".".join(path)

    def get(p: Mapping[str, Any], c: _Ctx | None) -> Any:
        v = p.get(flat)
        if v is not None:
            return v
        cur: Any = p
        for part in path:
            if type(cur) is not dict and not isinstance(cur, Mapping):
                return None
            cur = cur.get(part)
        return cur

    return get


# ------------------------------------------------------------------------------------ comparison
def _compile_compare(n: A.Compare, sem: Semantics) -> Fn:
    left, op, right = n.left, n.op, n.right
    if isinstance(left, A.Literal) and not isinstance(right, A.Literal):
        left, op, right = right, C.FLIP[op], left
    get = _getter(left, sem)
    if isinstance(right, A.Literal):
        lit = right
        if lit.value is None:  # x == NULL / x != NULL: emptiness test
            if op not in ("==", "!="):
                return lambda p, c: None
            want = op == "=="
            return lambda p, c: C.is_empty(get(p, c)) is want
        missing = C.ON_MISSING[op]

        def cmp(p: Mapping[str, Any], c: _Ctx | None) -> Result:
            v = get(p, c)
            return missing if v is None else C.compare_value(op, v, lit, c)

        return cmp
    get_r = _getter(right, sem)

    def cmp_dyn(p: Mapping[str, Any], c: _Ctx | None) -> Result:
        v, w = get(p, c), get_r(p, c)
        if v is None or w is None:
            return False if v is None and w is None else C.ON_MISSING[op]
        lit = C.runtime_literal(w)
        return None if lit is None else C.compare_value(op, v, lit, c)

    return cmp_dyn


def _compile_between(n: A.Between, sem: Semantics) -> Fn:
    get = _getter(n.field, sem)
    bound_lo, bound_hi = _bound(n.lo, sem), _bound(n.hi, sem)
    le_ = operator.le if sem.between_inclusive else operator.lt

    def between(p: Mapping[str, Any], c: _Ctx | None) -> Result:
        v = get(p, c)
        lo, hi = bound_lo(p, c), bound_hi(p, c)
        if v is None or lo is None or hi is None or lo.value is None or hi.value is None:
            return None
        x, a, b = C.between_keys(v, lo, hi, c)
        return None if x is None or a is None or b is None else le_(a, x) and le_(x, b)

    if n.negated:
        return lambda p, c: None if (r := between(p, c)) is None else not r
    return between


def _bound(node: A.Node, sem: Semantics) -> Callable[[Mapping[str, Any], _Ctx | None], A.Literal | None]:
    if isinstance(node, A.Literal):
        return lambda p, c: node
    get = _getter(node, sem)
    return lambda p, c: C.runtime_literal(get(p, c))


# ------------------------------------------------------------------------- contains / like / in
def _compile_contains(n: A.Contains, sem: Semantics) -> Fn:
    get, get_needle = _getter(n.field, sem), _getter(n.value, sem)

    def contains(p: Mapping[str, Any], c: _Ctx | None) -> Result:
        v = get(p, c)
        return False if v is None else C.contains_value(v, get_needle(p, c))

    return _negatable(contains, n.negated)


def _compile_like(n: A.Like, sem: Semantics) -> Fn:
    get, rx = _getter(n.field, sem), n.regex

    def like(p: Mapping[str, Any], c: _Ctx | None) -> Result:
        v = get(p, c)
        return False if v is None else C.like_value(v, rx)

    return _negatable(like, n.negated)


def _compile_membership(n: A.In | A.Intersects, sem: Semantics) -> Fn:
    get = _getter(n.field, sem)
    if isinstance(n.values, A.Field):
        get_r = _getter(n.values, sem)

        def member_dyn(p: Mapping[str, Any], c: _Ctx | None) -> Result:
            v, r = get(p, c), get_r(p, c)
            return False if v is None or r is None else C.members_of(r).hit(v)

        return _negatable(member_dyn, n.negated)
    members = C.Members(list(n.values))

    def member(p: Mapping[str, Any], c: _Ctx | None) -> Result:
        v = get(p, c)
        return False if v is None else members.hit(v)

    return _negatable(member, n.negated)


# ---------------------------------------------------------------------------------------- logic
def _negatable(fn: Fn, negated: bool) -> Fn:
    if not negated:
        return fn
    return lambda p, c: None if (r := fn(p, c)) is None else not r


def _compile_and(n: A.And, sem: Semantics) -> Fn:
    fns = tuple(_compile(i, sem) for i in n.items)
    if len(fns) == 2:
        f1, f2 = fns

        def and2(p: Mapping[str, Any], c: _Ctx | None) -> Result:
            r = f1(p, c)
            return r if r is not True else f2(p, c)

        return and2

    def and_(p: Mapping[str, Any], c: _Ctx | None) -> Result:
        for f in fns:
            r = f(p, c)
            if r is not True:
                return r
        return True

    return and_


def _compile_or(n: A.Or, sem: Semantics) -> Fn:
    fns = tuple(_compile(i, sem) for i in n.items)

    def or_(p: Mapping[str, Any], c: _Ctx | None) -> Result:
        for f in fns:  # noqa: SIM110 - a plain loop avoids any()'s generator setup on the hot path
            if f(p, c) is True:
                return True
        return False

    return or_


def _compile_not(n: A.Not, sem: Semantics) -> Fn:
    if isinstance(n.expr, A.Include):  # qlbridge: NOT INCLUDE of an unevaluable segment is true
        target = n.expr.target

        def not_include(p: Mapping[str, Any], c: _Ctx | None) -> Result:
            r = c.include(target, p) if c is not None else _UNRESOLVED
            return None if r is _UNRESOLVED else r is not True

        return not_include
    return _negatable(_compile(n.expr, sem), True)


def _compile_include(n: A.Include, sem: Semantics) -> Fn:
    target = n.target

    def include(p: Mapping[str, Any], c: _Ctx | None) -> Result:
        r = c.include(target, p) if c is not None else _UNRESOLVED
        return None if r is _UNRESOLVED else r  # type: ignore[return-value]

    return include


def _compile_exists(n: A.Exists, sem: Semantics) -> Fn:
    if isinstance(n.field, A.Field) and len(n.field.path) == 1 and not sem.empty_is_missing:
        key = n.field.path[0]
        return lambda p, c: p.get(key) is not None
    get = _getter(n.field, sem)
    return lambda p, c: get(p, c) is not None


def _compile_operand(n: A.Node, sem: Semantics) -> Fn:
    get = _getter(n, sem)
    return lambda p, c: v if type(v := get(p, c)) is bool else None


_COMPILERS: dict[type, Callable[[Any, Semantics], Fn]] = {
    A.And: _compile_and,
    A.Or: _compile_or,
    A.Not: _compile_not,
    A.Include: _compile_include,
    A.MatchAll: lambda n, sem: lambda p, c: True,
    A.Exists: _compile_exists,
    A.Compare: _compile_compare,
    A.Contains: _compile_contains,
    A.Like: _compile_like,
    A.In: _compile_membership,
    A.Intersects: _compile_membership,
    A.Between: _compile_between,
    A.Field: _compile_operand,
    A.Literal: _compile_operand,
    A.Func: _compile_operand,
}


def _compile(node: A.Node, sem: Semantics) -> Fn:
    if isinstance(node, A.Filter):
        return _compiled(node, sem)[0]
    try:
        compiler = _COMPILERS[type(node)]
    except KeyError:
        raise TypeError(f"cannot evaluate a {type(node).__name__}") from None
    return compiler(node, sem)


__all__ = ["DEFAULT_SEMANTICS", "MAX_INCLUDE_DEPTH", "Semantics", "evaluate"]
