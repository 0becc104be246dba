"""Ready files carry credentials: always a fresh 0600 file, whatever a stale or planted `<name>.tmp` is."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness.service import write_ready

INFO = {"lytics_api_key": "k-secret", "ansira_client_secret": "s-secret"}


def _mode(path: Path) -> int:
    return os.stat(path, follow_symlinks=False).st_mode & 0o777


def test_stale_tmp_file_with_loose_mode_is_not_reused(tmp_path: Path) -> None:
    target = tmp_path / "ready.json"
    stale = tmp_path / "ready.tmp"
    stale.write_text("old")
    stale.chmod(0o644)
    write_ready(str(target), INFO)
    assert json.loads(target.read_text()) == INFO
    assert _mode(target) == 0o600
    assert stale.read_text() == "old"  # never opened, so never truncated


def test_symlinked_tmp_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    victim.chmod(0o644)
    (tmp_path / "ready.tmp").symlink_to(victim)
    target = tmp_path / "ready.json"
    write_ready(str(target), INFO)
    assert victim.read_text() == "precious" and _mode(victim) == 0o644
    assert not target.is_symlink() and _mode(target) == 0o600
    assert json.loads(target.read_text()) == INFO


def test_existing_target_symlink_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "ready.json"
    target.symlink_to(victim)
    write_ready(str(target), INFO)
    assert victim.read_text() == "precious"
    assert not target.is_symlink() and _mode(target) == 0o600


def test_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "ready.json"
    with pytest.raises(TypeError):
        write_ready(str(target), {"not-json": object()})
    assert list(tmp_path.iterdir()) == []
