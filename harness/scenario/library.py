"""The packaged jsonnet library: `import 'enrichsim/ansira.libsonnet'` works from a scenario in any folder.

The library's source stays in this repo's scenarios/ (LAYOUT says which folder backs which library folder).
A wheel carries a copy under harness/_library/enrichsim/, made from that source at build time by setup.py;
a checkout (or an editable install) reads scenarios/ itself. Both answer the same names.

This module imports only the standard library: setup.py reads LAYOUT from it before anything is installed.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

LIBRARY_NAME = "enrichsim"  # the first path component of a library import
LAYOUT = {"": "scenarios/lib", "templates": "scenarios/templates"}  # library subfolder -> repo folder
SUFFIXES = (".libsonnet", ".jsonnet", ".json")  # what the library ships; anything else in those folders stays out
PACKAGED = Path(__file__).resolve().parent.parent / "_library"  # harness/_library in an installed wheel


def _checkout_root() -> Path | None:
    root = Path(__file__).resolve().parent.parent.parent
    return root if (root / LAYOUT[""] / "ansira.libsonnet").is_file() else None


def folders() -> dict[str, Path]:
    """Library subfolder ("" = top) -> the folder on disk that holds its files (packaged copy first)."""
    packaged = PACKAGED / LIBRARY_NAME
    if packaged.is_dir():
        return {sub: packaged / sub if sub else packaged for sub in LAYOUT}
    root = _checkout_root()
    return {sub: root / src for sub, src in LAYOUT.items()} if root is not None else {}


def roots() -> list[Path]:
    """Folders a library file may import from (its own folder and the library's other folders)."""
    return [p.resolve() for p in folders().values()]


def resolve(rel: str) -> Path | None:
    """The file behind `enrichsim/...` (None when `rel` is not a library name or names no library file).

    Only plain names are accepted: no `..`, no absolute path, so a library import never leaves the library.
    """
    parts = PurePosixPath(rel).parts
    if len(parts) < 2 or parts[0] != LIBRARY_NAME or any(p in ("..", ".", "") for p in parts):
        return None
    found = folders()
    sub, rest = (parts[1], parts[2:]) if len(parts) > 2 and parts[1] in found and parts[1] else ("", parts[1:])
    base = found.get(sub)
    if base is None:
        return None
    target = base.joinpath(*rest).resolve()
    if not target.is_relative_to(base.resolve()) or not target.is_file() or target.suffix not in SUFFIXES:
        return None
    return target


def names() -> list[str]:
    """Every import name the library answers, e.g. `enrichsim/ansira.libsonnet` (for hints and docs)."""
    out: list[str] = []
    for sub, folder in folders().items():
        if folder.is_dir():
            prefix = f"{LIBRARY_NAME}/{sub}/" if sub else f"{LIBRARY_NAME}/"
            out += sorted(prefix + f.name for f in folder.iterdir() if f.is_file() and f.suffix in SUFFIXES)
    return out


def files_to_package(repo: Path) -> dict[str, Path]:
    """Path inside harness/_library -> source file in the repo: what setup.py copies into the wheel."""
    out: dict[str, Path] = {}
    for sub, src in LAYOUT.items():
        folder = repo / src
        for f in sorted(folder.iterdir()):
            if f.is_file() and f.suffix in SUFFIXES:
                out[str(PurePosixPath(LIBRARY_NAME, sub, f.name)) if sub else f"{LIBRARY_NAME}/{f.name}"] = f
    return out
