"""The function table the parser resolves calls against, so a typo is a parse error, not a silent None."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One builtin. `contextual` functions get `(event, now, *args)`; the rest get just their argument values.

    `aggregate` marks the functions whose per-event value is merged across events (count, set, valuect, map);
    `kind` is the Lytics field type the result naturally has, used when a column gives no KIND.
    """

    name: str
    impl: Callable[..., Any]
    min_args: int
    max_args: int | None
    aggregate: str | None = None
    kind: str | None = None
    contextual: bool = False

    def arity_text(self) -> str:
        if self.max_args == self.min_args:
            n = self.min_args
            return f"{n} argument{'' if n == 1 else 's'}"
        if self.max_args is None:
            return f"at least {self.min_args} argument{'' if self.min_args == 1 else 's'}"
        return f"{self.min_args} to {self.max_args} arguments"


FUNCTIONS: dict[str, FunctionSpec] = {}


def register(
    *names: str,
    args: int | tuple[int, int | None],
    aggregate: str | None = None,
    kind: str | None = None,
    contextual: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator adding `impl` under each of `names` (lower-case; aliases share one implementation)."""
    lo, hi = (args, args) if isinstance(args, int) else args

    def deco(impl: Callable[..., Any]) -> Callable[..., Any]:
        for name in names:
            if name in FUNCTIONS:
                raise RuntimeError(f"LQL function {name!r} registered twice")
            FUNCTIONS[name] = FunctionSpec(name, impl, lo, hi, aggregate, kind, contextual)
        return impl

    return deco
