"""Helpers the walls force to exist twice (a mock cannot import `harness`, the runner cannot import a mock) must give
one answer; each pair is held together here, the way test_wire.py holds the two wire declarations together."""

from __future__ import annotations

import pytest

from harness.hosts import is_loopback as harness_is_loopback
from mock_lytics.catalog import is_loopback as lytics_is_loopback

HOSTS = ["localhost", "LOCALHOST", "127.0.0.1", "127.8.9.10", "::1", "[::1]", "0.0.0.0", "10.0.0.1", "example.com",
         "localhost.example.com", "[2001:db8::1]", "::ffff:127.0.0.1", "", "127.0.0.1:80"]


@pytest.mark.parametrize("host", HOSTS)
def test_the_runner_and_mock_lytics_agree_on_loopback(host: str) -> None:
    """Both refuse plain http beyond loopback (the runner for the URLs it calls, mock Lytics for the URLs it
    stores); a host one accepts and the other refuses would fail a job only in one of the two places."""
    assert harness_is_loopback(host) == lytics_is_loopback(host), host


def test_the_table_covers_both_answers() -> None:
    assert {harness_is_loopback(h) for h in HOSTS} == {True, False}
