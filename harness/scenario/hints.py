"""Validation errors that point at the fix: the path of the bad value, what is wrong, and "did you mean …".

The valid names come from the schema itself (the pydantic model at the error's path), so a new key or check
kind gets hints without anyone listing it here.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """"; did you mean 'x'?" for the closest valid name, or "" when none is close."""
    if not isinstance(word, str):
        return ""
    match = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""


def _strip(tp: Any) -> Any:
    """The type under Annotated[...] and Optional[...] (a union with None and one other member)."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
            continue
        if get_origin(tp) in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _tag(model: Any, tag_field: str = "kind") -> str | None:
    """The discriminator value of a union member (its `kind: Literal['...']`)."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)) or tag_field not in model.model_fields:
        return None
    ann = model.model_fields[tag_field].annotation
    return get_args(ann)[0] if get_origin(ann) is Literal else None


def tags(union: Any) -> list[str]:
    """The kinds a discriminated union accepts."""
    return [t for t in (_tag(m) for m in get_args(_strip(union))) if t is not None]


def type_at(root: type[BaseModel], loc: Sequence[int | str]) -> Any:
    """The schema type at an error location (None where the schema stops: a free dict, an unknown key)."""
    tp: Any = root
    for part in loc:
        tp = _strip(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            if field is None:
                return None
            tp = field.annotation
        elif get_origin(tp) in (Union, types.UnionType):
            tp = next((m for m in get_args(tp) if _tag(m) == part), None)
            if tp is None:
                return None
        elif get_origin(tp) is list and isinstance(part, int):
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            return None
    return tp


def keys_at(root: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """The keys the object at `loc` accepts (empty where the schema does not say)."""
    tp = _strip(type_at(root, loc))
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return []


def _path(loc: Sequence[int | str]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".") or "$"


def format_errors(exc: ValidationError, root: type[BaseModel] | None = None) -> str:
    """One line per problem: path, what is wrong, what was found, and a hint from the schema under `root`."""
    lines = []
    for err in exc.errors():
        loc, found = err["loc"], err.get("input")
        path = _path(loc)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            hint = did_you_mean(loc[-1], keys_at(root, loc[:-1])) if root else ""
            lines.append(f"{path}: unknown key (not part of the scenario schema){hint}")
        elif err["type"] == "missing":
            lines.append(f"{path}: required key is missing")
        elif err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            kinds = tags(type_at(root, loc)) if root else []
            tag = found.get("kind") if isinstance(found, dict) else None
            known = f" (kinds: {', '.join(kinds)})" if kinds else ""
            lines.append(f"{path}.kind: unknown kind {tag!r}{did_you_mean(tag, kinds)}{known}" if tag is not None
                         else f"{path}: give a `kind`{known}")
        elif path == "$":  # a whole-scenario rule: its message names the paths; the document is no help
            lines.append(msg)
        else:
            shown = repr(found)
            if len(shown) > 80:
                shown = shown[:77] + "..."
            lines.append(f"{path}: {msg}; found {shown}{_type_hint(err['type'], found)}")
    return "invalid scenario:\n  " + "\n  ".join(lines)


def _type_hint(kind: str, found: object) -> str:
    """Numbers are strict: a quoted number is a string; say how to write it."""
    if kind in ("int_type", "float_type") and isinstance(found, str):
        return " (a string: write the number without quotes)"
    if kind == "bool_type" and isinstance(found, str | int):
        return " (write true or false, without quotes)"
    return ""
