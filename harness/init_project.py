"""`enrichsim init [DIR]`: start a user's project that runs scenarios locally and in CI with no further edits.

The files are written only when none of them exists yet (nothing is overwritten, nothing half-written), so
running it twice, or in a project that already has a README, is a clear error with exit 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from harness import __version__
from harness.errors import ConfigError

QUICKSTART = """\
// Quickstart: the Lytics -> Ansira integration guide's six steps, end to end, on the simulated stack.
//
// Proves: with an OAuth client-credentials authorization, the source audience
// `FILTER AND (EXISTS email, NOT EXISTS ansira_uuid)`, the guide's template, the `ansira` stream mappings and a
// backfilling webhook_enrichment job, every user with an email is sent to Ansira once, gets an `ansira_uuid`
// written back, and leaves the audience. `enrichsim/ansira.libsonnet` is the packaged library: copy a piece
// into your own file, or override it with `+:`, to describe your set-up.
local ansira = import 'enrichsim/ansira.libsonnet';

ansira.base {
  name: 'quickstart',
  description: 'The integration guide end to end: 50 generated users backfilled, each enriched once.',
  profiles+: { generate: { count: 50, missing_email: 0.1 } },
  checks: [
    ansira.checks.all_enriched,
    ansira.checks.one_call_per_user,
    ansira.checks.audience_drained,
    ansira.checks.nothing_pending,
  ],
}
"""

PYTEST_INI = """\
# `pytest` runs every scenario in scenarios/ as a test, and your own tests in tests/.
# `-p enrichsim` loads the plugin even where plugin autoloading is turned off.
[pytest]
testpaths = scenarios tests
addopts = -p enrichsim
"""

CONFTEST = '''\
"""Fixtures shared by this project's tests.

The enrichsim pytest plugin (loaded by pytest.ini) runs each scenarios/*.jsonnet file as a test and gives you
the fixtures `ansira_mock`, `lytics_mock` (a mock on a loopback port, reset before each test, with a session
that carries its credentials) and `enrichment_stack` (both mocks and the runner).
"""

from __future__ import annotations

import pytest


@pytest.fixture
def ansira_token(ansira_mock) -> str:
    """An access token from mock Ansira, fetched as Lytics does (client credentials, RFC 6749 section 4.4)."""
    creds = ansira_mock.credentials
    answer = ansira_mock.session.post(creds["token_url"], data={"grant_type": "client_credentials"},
                                      auth=(creds["client_id"], creds["client_secret"]), timeout=10)
    answer.raise_for_status()
    return answer.json()["access_token"]
'''

EXAMPLE_TEST = '''\
"""An example of testing against mock Ansira directly: the call your webhook template makes."""

from __future__ import annotations


def test_ansira_answers_an_upsert_with_a_uuid(ansira_mock, ansira_token) -> None:
    creds = ansira_mock.credentials
    body = {"email": "jane@example.com", "sourceCode": {"keyName": creds["source_code"]}}
    answer = ansira_mock.session.post(creds["user_url"], params={"access_token": ansira_token}, json=body,
                                      timeout=10)
    assert answer.status_code == 201, answer.text  # created; the same email again answers 200
    assert answer.json()["uuid"]


def test_ansira_refuses_a_call_without_a_token(ansira_mock) -> None:
    creds = ansira_mock.credentials
    body = {"email": "jane@example.com", "sourceCode": {"keyName": creds["source_code"]}}
    assert ansira_mock.session.post(creds["user_url"], json=body, timeout=10).status_code == 401
'''

GITHUB_WORKFLOW = f"""\
# Runs the enrichsim scenarios and your tests on every push; JUnit reports are published as checks and artifacts.
name: enrichsim
on: [push, pull_request]
env:
  ENRICHSIM_SPEC: "enrichsim=={__version__}"  # or a wheel URL, or git+https://... of the enrichsim repo
jobs:
  scenarios:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install "$ENRICHSIM_SPEC"
      - run: enrichsim run scenarios/ --out reports/enrichsim
      - run: pytest tests --junitxml=reports/pytest/junit.xml
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: enrichsim-reports
          path: reports/
      - uses: mikepenz/action-junit-report@v4
        if: always()
        with:
          report_paths: "reports/**/junit.xml"
"""

GITLAB_CI = f"""\
# Runs the enrichsim scenarios and your tests; GitLab shows the JUnit reports in the merge request.
enrichsim:
  image: python:3.12-slim
  variables:
    ENRICHSIM_SPEC: "enrichsim=={__version__}"  # or a wheel URL, or git+https://... of the enrichsim repo
  script:
    - pip install "$ENRICHSIM_SPEC"
    - enrichsim run scenarios/ --out reports/enrichsim
    - pytest tests --junitxml=reports/pytest/junit.xml
  artifacts:
    when: always
    paths:
      - reports/
    reports:
      junit:
        - reports/enrichsim/junit.xml
        - reports/pytest/junit.xml
"""

README = f"""\
# Lytics -> Ansira enrichment scenarios

Made by `enrichsim init` (enrichsim {__version__}). Everything here runs on your machine against simulated Lytics
and Ansira services on loopback ports: no account, no credentials.

    enrichsim run                 # scenarios/quickstart.jsonnet (or all of scenarios/ without it); exit 0 = passed
    enrichsim run scenarios/ --out reports/   # every scenario, with report.json, junit.xml, report.txt
    enrichsim list                # the scenarios in scenarios/ with their descriptions
    pytest                        # the scenarios as tests, plus tests/

## Next steps

1. Read `scenarios/quickstart.jsonnet`: the integration guide's six set-up steps come from the packaged library
   `enrichsim/ansira.libsonnet` (`enrichsim/variants.libsonnet` has common deviations; the template samples are
   `enrichsim/templates/*.jsonnet`).
2. Describe your own set-up: copy the quickstart to `scenarios/my_case.jsonnet` and change only what your case is
   about (your template, audience, mappings, the users, Ansira's rate limits and faults), then
   `enrichsim check scenarios/my_case.jsonnet` to validate it and `enrichsim run scenarios/my_case.jsonnet`.
3. Check a webhook template before it goes to Lytics: `enrichsim template check YOUR_TEMPLATE.jsonnet`.
4. CI: `.github/workflows/enrichsim.yml` (GitHub Actions) and `.gitlab-ci.yml` (GitLab CI) run the scenarios and
   `tests/`, and publish their JUnit reports. Set `ENRICHSIM_SPEC` there to where you install enrichsim from.
5. Drive the simulated stack by hand or from another tool: `enrichsim serve --ready-file stack.json` writes the
   URLs and credentials as JSON.
"""

FILES: dict[str, str] = {
    "scenarios/quickstart.jsonnet": QUICKSTART,
    "pytest.ini": PYTEST_INI,
    "conftest.py": CONFTEST,
    "tests/test_ansira_example.py": EXAMPLE_TEST,
    ".github/workflows/enrichsim.yml": GITHUB_WORKFLOW,
    ".gitlab-ci.yml": GITLAB_CI,
    "README.md": README,
}


def scaffold(folder: Path) -> list[Path]:
    """Write FILES under `folder` (created if needed); refuse, writing nothing, if any of them exists."""
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"init: {folder} exists and is not a folder")
    targets = [folder / name for name in FILES]
    existing = [str(t) for t in targets if t.exists() or t.is_symlink()]
    if existing:
        raise ConfigError(f"init: refusing to overwrite existing files: {', '.join(existing)} "
                          "(move them away, or init another folder)")
    written: list[Path] = []
    for target, text in zip(targets, FILES.values(), strict=True):
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8") as fh:  # "x": never replace a file that appeared meanwhile
            fh.write(text)
        written.append(target)
    return written


def cmd_init(args: argparse.Namespace) -> int:
    folder = Path(args.dir)
    for path in scaffold(folder):
        print(f"wrote {path}")
    where = "" if args.dir == "." else f"cd {args.dir} && "
    print(f"next: {where}enrichsim run && pytest   (README.md says what to change)")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="start a project: scenarios/, pytest config, CI workflows, README")
    p.add_argument("dir", nargs="?", default=".", help="the project folder (default: the current one)")
    p.set_defaults(func=cmd_init)
