"""harness.astguard: ast.parse serialised across threads (CPython 3.11's AST conversion is not thread-safe)."""

from __future__ import annotations

import ast
import gc
import itertools
import threading

from harness import astguard

NESTED = "(" * 40 + "1" + ")" * 40 + "\n" + "\n".join(
    f"def f{i}(a, b=[x for x in range(3)]):\n    return {{'k': [a, b, (a, b)]}}" for i in range(100))


def test_importing_harness_wraps_ast_parse_once() -> None:
    wrapped = ast.parse
    assert getattr(wrapped, "_enrichsim_serialised", False)
    astguard.install()
    assert ast.parse is wrapped  # idempotent: not wrapped twice
    assert isinstance(ast.parse("x = 1"), ast.Module)


def test_a_parse_waits_while_another_thread_parses() -> None:
    done = threading.Event()
    t = threading.Thread(target=lambda: (ast.parse("1 + 1"), done.set()))
    with astguard._LOCK:  # what a parse in progress holds
        t.start()
        assert not done.wait(0.2)
    t.join(5)
    assert done.is_set()


class _Churn:
    """A finalizer that runs Python code: a collection during ast.parse lets another thread take the GIL."""

    other: _Churn

    def __del__(self) -> None:
        sum(range(50))


def test_parses_in_threads_under_collections_raise_no_system_error() -> None:
    errors: list[str] = []
    stop = threading.Event()

    def parse() -> None:
        for _ in range(150):
            try:
                ast.parse(NESTED)
            except SystemError as exc:  # "AST constructor recursion depth mismatch" without the guard
                errors.append(str(exc))
        stop.set()

    def churn() -> None:
        while not stop.is_set():
            objs = [_Churn() for _ in range(100)]
            for a, b in itertools.pairwise(objs):
                a.other, b.other = b, a
            del objs
            gc.collect(0)

    threads = [threading.Thread(target=f) for f in (parse, parse, churn, churn)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
