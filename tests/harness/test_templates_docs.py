"""Every `expression  // inputs  =>  result` example in docs/templates.md is evaluated: the docs stay true."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from enrich_templates import TemplateEngine

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "templates.md").read_text(encoding="utf-8")
TRIGGER = {"id": "87452fc0707c77159e018560ca69c4ba", "slug": "ansira_source", "event": "enter"}
_BLOCK = re.compile(r"```jsonnet\n(.*?)```", re.S)


def _inputs(text: str) -> dict[str, Any]:
    """Parse `entity {...} job {...} auth {...}` (any subset, in any order)."""
    decoder, out, pos = json.JSONDecoder(), {}, 0
    while True:
        m = re.compile(r"\s*(entity|job|auth)\s+").match(text, pos)
        if m is None:
            assert not text[pos:].strip(), f"cannot read example inputs: {text[pos:]!r}"
            return out
        out[m.group(1)], pos = decoder.raw_decode(text, m.end())


def _examples() -> list[tuple[str, str, dict[str, Any], Any]]:
    found = []
    for block in _BLOCK.findall(DOC):
        for line in block.splitlines():
            if "  =>  " not in line or "//" not in line:
                continue
            code, _, rest = line.partition("//")
            inputs, _, result = rest.partition("  =>  ")
            found.append((code.strip(), line.strip(), _inputs(inputs), json.loads(result)))
    return found


EXAMPLES = _examples()


def test_the_doc_has_examples_for_every_library_member() -> None:
    from enrich_templates import library

    shown = {name for name in library.public_members() if any(f"event.{name}(" in e[0] for e in EXAMPLES)}
    assert shown == library.public_members()


@pytest.mark.parametrize(
    ("expr", "inputs", "expected"), [(e[0], e[2], e[3]) for e in EXAMPLES], ids=[e[1][:60] for e in EXAMPLES]
)
def test_doc_example(expr: str, inputs: dict[str, Any], expected: Any) -> None:
    entity = {"segment_events": [TRIGGER], **inputs.get("entity", {})}
    source = f"local event = import 'lytemplates.libsonnet';\n{expr}\n"
    rendered = TemplateEngine(timeout_s=0).render(source, entity, inputs.get("job"), inputs.get("auth"))
    assert rendered.value == expected


@pytest.mark.parametrize("name", ["ansira_broken.jsonnet"])
def test_walkthrough_shows_the_real_template(name: str) -> None:
    assert (ROOT / "scenarios" / "templates" / name).read_text(encoding="utf-8").strip() in DOC
