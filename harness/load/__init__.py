"""Load tests: locust drives mock Lytics' collect endpoint while the runner enriches against mock Ansira.

Every part runs in its own process (locust and its gevent never enter pytest or the mocks); the orchestrator
joins locust's client-side figures with the mocks' journals and the runner's outcome log, and checks the
scenario's thresholds. Entry point: `harness load SCENARIO` (harness.load.cli).
"""
