"""docs/scenarios.md stays complete and true: every section, step, check kind and key of the schema is documented
(read from the pydantic model, so a new one without docs fails here), and every example validates."""

from __future__ import annotations

import json
import re
import shutil
import typing
from pathlib import Path
from typing import Any

import _gojsonnet
import pytest
from pydantic import BaseModel, TypeAdapter

from harness.runner import RunnerOptions
from harness.scenario import engine
from harness.scenario import model as m

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
CHECK_CLASSES: tuple[type[BaseModel], ...] = typing.get_args(typing.get_args(m.Check)[0])
KINDS = sorted(typing.get_args(c.model_fields["kind"].annotation)[0] for c in CHECK_CLASSES)
STEPS = sorted(m.Step.model_fields)


def section(title: str) -> str:
    start = DOC.index(f"\n## {title}\n")
    end = DOC.find("\n## ", start + 1)
    return DOC[start:end if end > 0 else None]


def examples(text: str) -> list[tuple[str, str]]:
    """(heading, jsonnet) for every ```jsonnet block, with the nearest ### heading above it."""
    out, heading = [], ""
    for part in re.split(r"(^### [^\n]*$|```jsonnet\n.*?```)", text, flags=re.M | re.S):
        if part.startswith("### "):
            heading = part[4:].strip().strip("`")
        elif part.startswith("```jsonnet"):
            out.append((heading, part[len("```jsonnet\n"):-3]))
    return out


def render(snippet: str) -> Any:
    return json.loads(_gojsonnet.evaluate_snippet("doc-example", snippet))


@pytest.mark.parametrize("action", STEPS)
def test_every_step_has_a_heading_and_an_example(action: str) -> None:
    found = [src for heading, src in examples(section("Steps")) if heading == action]
    assert found, f"docs/scenarios.md: add '### `{action}`' with a jsonnet example under ## Steps"
    assert m.Step.model_validate(render(found[0])).action == action


@pytest.mark.parametrize("kind", KINDS)
def test_every_check_kind_has_a_heading_and_an_example(kind: str) -> None:
    found = [src for heading, src in examples(section("Checks")) if heading == kind]
    assert found, f"docs/scenarios.md: add '### `{kind}`' with a jsonnet example under ## Checks"
    check = TypeAdapter(m.Check).validate_python(render(found[0]))
    assert check.kind == kind
    shown = render(found[0])
    undocumented = set(type(check).model_fields) - {"name", "kind"} - set(shown)
    assert not undocumented, f"the `{kind}` example should show {sorted(undocumented)}"


MODELS: list[tuple[type[BaseModel], str]] = [
    (m.Scenario, "Sections"), (m.Lytics, "Sections"), (m.Profiles, "Sections"), (m.Generate, "Sections"),
    (m.Field_, "Sections"), (m.Mapping_, "Sections"), (m.Segment, "Sections"), (m.Template, "Sections"),
    (m.Auth, "Sections"), (m.Job, "Sections"), (m.WaitUntil, "Steps"), (m.UpdateJob, "Steps"),
    (m.CollectRate, "Steps"), (m.Bound, "Checks"),
]


@pytest.mark.parametrize(("model", "where"), MODELS, ids=[c.__name__ for c, _ in MODELS])
def test_every_key_is_documented(model: type[BaseModel], where: str) -> None:
    text = section(where)
    missing = [k for k in model.model_fields if f"`{k}`" not in text and not re.search(rf"[{{,]\s*{k}\b", text)]
    assert not missing, f"docs/scenarios.md ## {where}: document {model.__name__} keys {missing}"


def test_every_runner_option_is_documented() -> None:
    text = section("Sections")
    missing = [k for k in RunnerOptions.__dataclass_fields__ if f"`{k}`" not in text]
    assert not missing, f"docs/scenarios.md ### runner: document {missing}"


def test_every_library_scenario_is_in_the_table() -> None:
    table = section("The library")
    missing = [p.name for p in (ROOT / "scenarios").glob("*.jsonnet") if f"`{p.name}`" not in table]
    assert not missing


def test_full_examples_load(tmp_path: Path) -> None:
    root = tmp_path / "scenarios"
    shutil.copytree(ROOT / "scenarios" / "lib", root / "lib")
    full = [src for _, src in examples(DOC) if "import 'lib/" in src]
    assert full
    for i, src in enumerate(full):
        f = root / f"example{i}.jsonnet"
        f.write_text(src, encoding="utf-8")
        assert engine.load(f).name
