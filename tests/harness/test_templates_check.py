"""`template check` findings on deliberately broken templates, and the `template` CLI's contract."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from enrich_templates import TemplateEngine, TemplateEvalError
from harness.templates import cli
from harness.templates.check import CheckReport, Finding, exported, run_check

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "scenarios" / "templates"
SEED = (TEMPLATES / "ansira_seed.jsonnet").read_text(encoding="utf-8")
LIB = "local event = import 'lytemplates.libsonnet';\n"
N = 40  # realistic samples per check: enough to see the ~10% missing fields, quick to render


@pytest.fixture(scope="module")
def engine() -> Iterator[TemplateEngine]:
    with TemplateEngine(isolation="process", timeout_s=5.0, memory_limit_mb=256) as eng:
        yield eng


@pytest.fixture
def check(engine: TemplateEngine) -> Callable[..., CheckReport]:
    def run(source: str, **kwargs: object) -> CheckReport:
        return run_check(source, engine=engine, samples=N, seed=7, **kwargs)  # type: ignore[arg-type]

    return run


def only(report: CheckReport, kind: str, severity: str = "error") -> list[Finding]:
    return [f for f in report.findings if f.kind == kind and f.severity == severity]


def test_seed_template_is_clean(check: Callable[..., CheckReport]) -> None:
    report = check(SEED, user_fields=["email"])
    assert report.exit_code() == 0
    assert report.failing() == []
    assert report.fields_read == {"email": report.rendered}
    # Spoilt emails only produce warnings: the audience (EXISTS email) keeps them away in production.
    assert {f.severity for f in report.findings} <= {"warning"}
    assert report.exit_code("warning") == 1


def test_field_read_but_not_exported(check: Callable[..., CheckReport]) -> None:
    source = (
        LIB
        + "{email: event.get('email', ''), firstName: event.get('first_name'), sourceCode: {keyName: 'X'}}"
    )
    report = check(source, user_fields=["email"])
    [finding] = only(report, "field_not_exported")
    assert "'first_name'" in finding.message and "user_fields: email" in finding.message
    assert finding.count == report.fields_read["first_name"]
    assert report.exit_code() == 1
    assert check(source, user_fields=["email", "first_name"]).exit_code() == 0


def test_null_email_on_every_realistic_profile(check: Callable[..., CheckReport]) -> None:
    source = LIB + "{email: event.get('email_address'), sourceCode: {keyName: 'ITSP201511'}}"
    report = check(source, user_fields=["email"])
    [finding] = [f for f in only(report, "contract") if f.message == "email: expected string, got null"]
    assert finding.realistic == N and finding.count >= N
    assert finding.example is not None and finding.example["body"]["email"] is None
    assert finding.example["profile"] == "sample #1"


def test_typod_keyname_against_source_codes(check: Callable[..., CheckReport]) -> None:
    source = LIB + "{email: event.get('email', ''), sourceCode: {keyName: 'ITSP20151'}}"
    report = check(source, user_fields=["email"], source_codes=["ITSP201511", "PE"])
    [finding] = [f for f in only(report, "contract") if f.message.startswith("sourceCode.keyName")]
    assert "unknown source code 'ITSP20151'; known: ITSP201511, PE" in finding.message
    assert finding.realistic == N
    assert check(source, user_fields=["email"]).exit_code() == 0  # no list of codes, nothing to compare


def test_missing_keyname_is_a_contract_problem(check: Callable[..., CheckReport]) -> None:
    report = check(LIB + "{email: event.get('email', ''), sourceCode: {keyname: 'X'}}", user_fields=["email"])
    assert [f.message for f in only(report, "contract")] == ["sourceCode.keyName: is required but missing"]


def test_partial_assert_omission_is_reported_not_failed(check: Callable[..., CheckReport]) -> None:
    source = LIB + (
        "assert event.has('first_name') : 'no first name';\n"
        "{email: event.get('email', ''), firstName: event.get('first_name'), sourceCode: {keyName: 'X'}}"
    )
    report = check(source, user_fields=["email", "first_name"])
    [omission] = report.omissions
    assert omission.message == "no first name"
    assert 0 < omission.realistic < N and omission.edge >= 2  # missing + null first_name edge cases
    assert only(report, "omits_all") == [] and report.exit_code() == 0


def test_assert_that_omits_everyone_is_a_finding(check: Callable[..., CheckReport]) -> None:
    source = (
        LIB
        + "assert event.isExit() : 'exits only';\n{email: event.get('email', ''), sourceCode: {keyName: 'X'}}"
    )
    report = check(source, user_fields=["email"])
    [finding] = only(report, "omits_all")
    assert "'exits only'" in finding.message and finding.realistic == N
    assert report.exit_code() == 1


def test_runtime_error_reports_template_line_and_col(check: Callable[..., CheckReport]) -> None:
    source = LIB + (
        "{\n  email: event.get('email', ''),\n  sourceCode: {keyName: 'X'},\n"
        "  address: {postalCode: std.asciiUpper(event.get('postal_code'))},\n}"
    )
    report = check(source, user_fields=["email", "postal_code"])
    [finding] = only(report, "runtime_error")
    assert finding.message == "Unexpected type null (line 5, col 25)"
    assert finding.example is not None and (finding.example["line"], finding.example["col"]) == (5, 25)
    assert "postal_code" not in finding.example["entity"]  # the example is a profile without the field
    assert 0 < finding.realistic < N


def test_timeouts_stop_the_check(engine: TemplateEngine) -> None:
    with TemplateEngine(isolation="process", timeout_s=0.2, memory_limit_mb=512) as slow:
        source = (
            LIB + "{email: event.get('email'), n: std.foldl(function(a, x) a + x, std.range(1, 30000000), 0)}"
        )
        report = run_check(source, engine=slow, samples=10, user_fields=["email"])
    [finding] = only(report, "timeout")
    assert finding.count == 3 and report.stopped_early == "stopped after 3 timeouts"
    assert report.rendered == 3


def test_body_over_one_megabyte(check: Callable[..., CheckReport]) -> None:
    report = check(SEED, user_fields=["email"])
    sizes = [f for f in report.findings if f.message.startswith("$: body is")]
    assert sizes and all(f.severity == "warning" for f in sizes)
    assert sizes[0].example is not None and "1,000,001-character" in sizes[0].example["profile"]


def test_unparseable_template_is_not_checked(check: Callable[..., CheckReport]) -> None:
    with pytest.raises(TemplateEvalError, match="Unexpected"):
        check("{a: }")


@pytest.mark.parametrize(
    ("name", "fields", "expected"),
    [
        ("email", ["email"], True),
        ("address.city", ["address"], True),
        ("address.city", ["email"], False),
        ("anything", [], True),
        ("segment_events", ["email"], True),
    ],
    ids=["listed", "dotted-parent-listed", "not-listed", "empty-list-exports-all", "segment-events"],
)
def test_exported_rule(name: str, fields: list[str], expected: bool) -> None:
    assert exported(name, fields) is expected


# -- CLI ----------------------------------------------------------------------------------------------------


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="harness")
    cli.add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_cli_check_seed_clean_and_broken_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run_cli(
            [
                "template",
                "check",
                str(TEMPLATES / "ansira_seed.jsonnet"),
                "--fields",
                "email",
                "--samples",
                "20",
                "--memory-mb",
                "256",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "OK: no errors" in out and "\x1b[" not in out  # no colour codes when not a terminal
    code = run_cli(
        [
            "template",
            "check",
            str(TEMPLATES / "ansira_broken.jsonnet"),
            "--job",
            str(TEMPLATES / "ansira_job.json"),
            "--source-codes",
            "ITSP201511",
            "--samples",
            "20",
            "--memory-mb",
            "256",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "ERROR field_not_exported" in out and "ERROR runtime_error" in out and "FAIL" in out


def test_cli_check_json_report(capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli(
        [
            "template",
            "check",
            str(TEMPLATES / "ansira_broken.jsonnet"),
            "--fields",
            "email,first_name,postal_code",
            "--source-codes",
            "ITSP201511",
            "--samples",
            "20",
            "--report",
            "json",
            "--memory-mb",
            "256",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 1 and doc["exit_code"] == 1
    kinds = {(f["kind"], f["severity"]) for f in doc["findings"]}
    assert {("field_not_exported", "error"), ("contract", "error"), ("runtime_error", "error")} <= kinds
    for f in doc["findings"]:
        assert set(f) >= {"kind", "severity", "message", "count", "example"}
        assert f["count"] >= 1 and f["example"]["profile"]
    assert {r["field"]: r["exported"] for r in doc["fields_read"]} == {
        "email_address": False,
        "first_name": True,
        "postal_code": True,
    }


@pytest.mark.parametrize(
    ("files", "extra", "message"),
    [
        ({}, [], "template file not found"),
        ({"t.jsonnet": "{a: }"}, [], "Unexpected"),
        ({"t.jsonnet": "local p = import '/etc/passwd'; p"}, [], "'/etc/passwd' refused"),
        ({"t.jsonnet": SEED, "job.json": "{not json"}, ["--job", "job.json"], "job.json: not valid JSON"),
        (
            {"t.jsonnet": SEED, "job.json": '{"user_fields": "email"}'},
            ["--job", "job.json"],
            "user_fields must be a list",
        ),
        ({"t.jsonnet": SEED, "job.json": "[1]"}, ["--job", "job.json"], "must hold a JSON object"),
        ({"t.jsonnet": SEED}, ["--job", "nope.json"], "job file not found"),
        ({"t.jsonnet": SEED}, ["--samples", "0"], "--samples must be at least 1"),
    ],
    ids=[
        "missing-template",
        "syntax-error",
        "forbidden-import",
        "bad-job-json",
        "bad-user-fields",
        "job-not-object",
        "missing-job",
        "bad-samples",
    ],
)
def test_cli_check_unusable_input_exits_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    files: dict[str, str],
    extra: list[str],
    message: str,
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert run_cli(["template", "check", "t.jsonnet", *extra]) == 2
    assert message in capsys.readouterr().err


def test_cli_render_prints_the_exact_body(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    code = run_cli(
        [
            "template",
            "render",
            str(TEMPLATES / "ansira_guarded.jsonnet"),
            "--profile",
            str(TEMPLATES / "profile_jane.json"),
            "--job",
            str(TEMPLATES / "ansira_job.json"),
        ]
    )
    out = capsysbinary.readouterr().out
    assert code == 0
    assert out == b'{"email":"jane.doe@example.com","firstName":"Jane","sourceCode":{"keyName":"ITSP201511"}}'


def test_cli_render_job_export_list_filters_the_entity(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    (tmp_path / "t.jsonnet").write_text(LIB + "{n: event.get('first_name', 'hidden'), s: event.segSlug()}")
    (tmp_path / "job.jsonnet").write_text("{config: {user_fields: ['email']}}")
    code = run_cli(
        [
            "template",
            "render",
            str(tmp_path / "t.jsonnet"),
            "--profile",
            str(TEMPLATES / "profile_jane.json"),
            "--job",
            str(tmp_path / "job.jsonnet"),
            "--segment-event",
            "enter:ansira_source",
        ]
    )
    assert code == 0 and capsysbinary.readouterr().out == b'{"n":"hidden","s":"ansira_source"}'


def test_cli_render_override_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli(
        [
            "template",
            "render",
            str(TEMPLATES / "url_override.jsonnet"),
            "--profile",
            str(TEMPLATES / "profile_jane.json"),
            "--segment-event",
            "enter:src",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert "url: https://profiles.example.com/service/api/v2/users?brand=PU" in captured.err
    assert "header: X-Lytics-Segment: src" in captured.err


@pytest.mark.parametrize(
    ("template", "extra", "code", "message"),
    [
        (
            LIB + "assert event.has('nope') : 'needs nope';\n{}",
            [],
            1,
            "would omit this user: assert failed: needs nope",
        ),
        (LIB + "{\n  a: std.length(event.get('nope')),\n}", [], 1, "t.jsonnet:3:6: Unexpected type null"),
        (SEED, ["--segment-event", "join:x"], 2, "expected enter:<slug> or exit:<slug>"),
        (SEED, ["--profile-missing"], 2, ""),
    ],
    ids=["assert-omits", "runtime-error", "bad-segment-event", "bad-argument"],
)
def test_cli_render_failures(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    template: str,
    extra: list[str],
    code: int,
    message: str,
) -> None:
    (tmp_path / "t.jsonnet").write_text(template)
    monkeypatch.chdir(tmp_path)
    argv = ["template", "render", "t.jsonnet", "--profile", str(TEMPLATES / "profile_jane.json"), *extra]
    if extra == ["--profile-missing"]:
        with pytest.raises(SystemExit) as exit_info:
            run_cli(argv)
        assert exit_info.value.code == 2
        return
    assert run_cli(argv) == code
    assert message in capsys.readouterr().err


def test_cli_render_reads_the_profile_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.StringIO('{"email": "s@t.io"}'))
    assert run_cli(["template", "render", str(TEMPLATES / "ansira_seed.jsonnet"), "--profile", "-"]) == 0
    assert capsysbinary.readouterr().out == b'{"email":"s@t.io","sourceCode":{"keyName":"XXXXXXXXXXXXX"}}'


@pytest.mark.parametrize("body", ["{ config: import 'other.jsonnet' }", "{ config: { user_fields: [importstr 'x'] } }"],
                         ids=["import", "importstr"])
def test_a_job_file_may_not_import(tmp_path: Path, body: str) -> None:
    """Refused from the record the import guard keeps, even where importstr would have read the stand-in as text."""
    from harness.errors import ConfigError
    from harness.templates.inputs import load_job_config

    f = tmp_path / "job.jsonnet"
    f.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"job\.jsonnet: import '.+': refused: job, profile and event files may not"):
        load_job_config(str(f))
