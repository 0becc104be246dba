"""lytemplates.libsonnet, cut into its top-level definitions so each template is served only what it names.

go-jsonnet parses the library again on every evaluation (the Python binding keeps no AST between calls),
and parsing costs microseconds per node: serving all ~20 helpers to the seed template, which calls only
`get`, would cost more than the template itself. The file stays one readable, valid jsonnet library; its
layout rule (each definition a column-0 `local`, the member object last at a column-0 `{`) is what lets
`tailored()` cut it. `full_source()` is the file as written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from enrich_templates.scan import scan

LIBRARY_NAME = "lytemplates.libsonnet"

# The ext vars a definition reads, so the engine only serialises the inputs a template can reach.
_TRACED = "_traced"
_EXT_VARS = {"_fields": "ly_entity", "_jobConf": "ly_job_config", "_authConf": "ly_auth_config"}


@dataclass(frozen=True)
class Unit:
    name: str
    text: str  # the definition without comment lines
    deps: frozenset[str]


@dataclass(frozen=True)
class Served:
    """The library text for one template, and which render inputs it reads."""

    source: bytes
    members: frozenset[str]
    ext_vars: frozenset[str]


def full_source() -> str:
    return resources.files("enrich_templates").joinpath(LIBRARY_NAME).read_text(encoding="utf-8")


def _unit_name(first_line: str) -> str:
    rest = first_line[len("local ") :]
    end = 0
    while end < len(rest) and (rest[end].isalnum() or rest[end] == "_"):
        end += 1
    if end == 0:
        raise ValueError(f"{LIBRARY_NAME}: cannot read a definition name in {first_line!r}")
    return rest[:end]


@lru_cache(maxsize=1)
def units() -> tuple[Unit, ...]:
    """The definitions in file order (a jsonnet local uses only earlier ones, so file order is valid)."""
    blocks: list[list[str]] = []
    for line in full_source().splitlines():
        if line.startswith("{"):
            break
        if line.startswith("local "):
            blocks.append([line])
        elif blocks and line.strip() and not line.lstrip().startswith("//"):
            blocks[-1].append(line)
    names = [_unit_name(block[0]) for block in blocks]
    out: list[Unit] = []
    for name, block in zip(names, blocks, strict=True):
        text = "\n".join(block)
        mentioned = scan(text).bare_names - {name}
        out.append(Unit(name, text, frozenset(n for n in names if n in mentioned)))
    return tuple(out)


@lru_cache(maxsize=1)
def public_members() -> frozenset[str]:
    return frozenset(u.name for u in units() if not u.name.startswith("_"))


@lru_cache(maxsize=256)
def tailored(wanted: frozenset[str], trace: bool = False) -> Served:
    """The library holding the public members in `wanted` (other names are ignored) and their dependencies.

    With trace=True every definition X that has an X_traced twin is served from the twin (under the name X).
    """
    by_name = {u.name: u for u in units()}
    members = frozenset(wanted & public_members())
    needed: set[str] = set()
    stack = list(members)
    while stack:
        name = stack.pop()
        if name not in needed:
            needed.add(name)
            twin = by_name.get(name + _TRACED)
            stack.extend(by_name[name].deps | (twin.deps if trace and twin else frozenset()))
    body = []
    for unit in units():
        if unit.name not in needed:
            continue
        twin = by_name.get(unit.name + _TRACED)
        if trace and twin is not None:
            body.append(twin.text.replace(f"local {twin.name}", f"local {unit.name}", 1))
        else:
            body.append(unit.text)
    obj = "{" + ", ".join(f"{m}:: {m}" for m in sorted(members)) + "}"
    source = "\n".join([*body, obj]) + "\n"
    return Served(source.encode("utf-8"), members, frozenset(_EXT_VARS[n] for n in needed if n in _EXT_VARS))


def served_for(names: Iterable[str], *, trace: bool = False) -> Served:
    return tailored(frozenset(names) & public_members(), trace)
