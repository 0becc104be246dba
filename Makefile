# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench bench-servers load reliability flake serve clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,load]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m harness run scenarios/quickstart.jsonnet

serve: $(STAMP)
	$(PY) -m harness serve

# The suite in TEST_WORKERS processes (pytest-xdist): most of its time is tests waiting on servers, timeouts and
# scenarios, so six workers on two cores overlap those waits (docs/performance.md, "make test in CI time";
# docs/reliability.md's flake budget measures the suite the same way). Work stealing: an idle worker takes tests
# queued on a busy one, so the long tests (a Retry-After window, a SIGKILLed runner's resume) do not leave the
# others waiting at the end. Measured on 2 cores: -n 4 166-178 s; -n 4 --dist worksteal 154-162 s; -n 6
# --dist worksteal 139-143 s.
TEST_WORKERS ?= 6

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal

# Micro benchmarks (pytest-benchmark), then the six end-to-end figures of docs/performance.md (mocks, runner and
# locust as separate processes; each figure three times, the median run reported with the spread; ~30 minutes;
# run it on a quiet machine: it refuses to write the docs when the load average before it is over 1). See
# docs/performance.md.
bench: $(STAMP)
	$(PY) -m pytest tests/bench --benchmark-enable --benchmark-only -p no:randomly
	$(PY) -m harness.load.bench

# Both mocks' raw capacity on every server option (the harness's four and granian, cheroot, gunicorn), interleaved
# and repeated, medians with spread (~3 minutes; quiet machine). See docs/load-testing.md, "The mocks' HTTP servers".
bench-servers: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) -m harness.load.serverbench

# The shipped load scenarios through `harness load` (locust + mocks + runner as processes), reports in out/load/.
# See docs/load-testing.md.
load: $(STAMP)
	$(PY) -m harness load scenarios/rate_limit_backfill.jsonnet --out out/load/rate_limit_backfill
	$(PY) -m harness load scenarios/load/ramp.jsonnet --out out/load/ramp
	$(PY) -m harness load scenarios/load/realtime_during_backfill.jsonnet --out out/load/realtime_during_backfill

# The fault matrix, crash/resume and stop tests in their long versions (scenarios/faults/full, 10 s outage,
# thousands of users); the short versions already run in `make test`. See docs/reliability.md.
reliability: $(STAMP)
	RELIABILITY_FULL=1 $(PY) -m pytest tests/reliability -p no:randomly --durations=15

# The flake budget: the scenario library 10 times and the whole suite 3 times while two busy loops compete for the
# cores (the suite in TEST_WORKERS processes, as `make test` runs it); prints every scenario, check or test that did
# not pass in every run and records the result in docs/reliability.md (~25 minutes). FLAKE_ARGS=--library-runs 2
# --suite-runs 0 for a quick look.
flake: $(STAMP)
	$(PY) tests/flake.py --record docs/reliability.md --suite-workers $(TEST_WORKERS) $(FLAKE_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .benchmarks
