"""Which code made a run: a fingerprint of the package's source, the git commit when there is one, and the
versions of the packages mesaopt depends on. Every run records them (run.json); `status` and the report flag runs
whose fingerprint differs from the code that reads them.

The fingerprint hashes every source file of the installed `mesaopt` package (Python modules and report
templates), by path relative to the package and content, so it changes with any edit and does not depend on where
the package lives or on git. A run id does not include it (results that did not change must not be recomputed after
every edit; RESULTS_VERSION in study.py marks the changes that alter results); it tells a reader which runs were
made by other code.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import subprocess
from importlib import metadata
from pathlib import Path

import mesaopt

PACKAGE_DIR = Path(mesaopt.__file__).resolve().parent
SOURCE_SUFFIXES = (".py", ".j2")
"""Files that make up the code: modules and the report's templates."""

FINGERPRINT_CHARS = 16
"""Hex characters of the SHA-256 kept: 64 bits, no accidental clash between two versions of the code."""

GIT_TIMEOUT_S = 5.0
"""A git query that takes longer than this is abandoned and the commit left unknown."""

CODE_KEY, COMMIT_KEY, DIRTY_KEY = "code", "commit", "commit_dirty"
PACKAGE_PREFIX = "package:"
"""run.json keys: the fingerprint, the commit, whether the package's files differ from it, and each version."""


def code_fingerprint(package_dir: Path = PACKAGE_DIR) -> str:
    """SHA-256 (prefix) over the relative path and bytes of every source file of the package, in path order."""
    digest = hashlib.sha256()
    files = sorted(p for p in package_dir.rglob("*") if p.suffix in SOURCE_SUFFIXES and "__pycache__" not in p.parts)
    for path in files:
        digest.update(path.relative_to(package_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:FINGERPRINT_CHARS]


@functools.cache
def current_code() -> str:
    """The fingerprint of the code running now (computed once per process)."""
    return code_fingerprint()


def _git(package_dir: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(package_dir), *args], capture_output=True, text=True, timeout=GIT_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_commit(package_dir: Path = PACKAGE_DIR) -> tuple[str | None, bool | None]:
    """The commit the package's checkout is at and whether the package's files differ from it; (None, None) when
    the package is not in a git checkout (an installed wheel) or git is missing."""
    commit = _git(package_dir, "rev-parse", "HEAD")
    if not commit:
        return None, None
    changes = _git(package_dir, "status", "--porcelain", "--", ".")
    return commit, None if changes is None else bool(changes)


def package_versions() -> dict[str, str]:
    """Installed versions of mesaopt and every package it requires (extras included when installed)."""
    versions = {"mesaopt": mesaopt.__version__}
    try:
        requirements = metadata.requires("mesaopt") or []
    except metadata.PackageNotFoundError:
        requirements = []
    for requirement in requirements:
        name = re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0]
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return dict(sorted(versions.items()))


@functools.cache
def provenance() -> dict[str, str]:
    """What run.json records about the code (computed once per process): fingerprint, commit, dirty, versions."""
    commit, dirty = git_commit()
    out = {CODE_KEY: current_code(), COMMIT_KEY: commit or "", DIRTY_KEY: "" if dirty is None else str(dirty)}
    out.update({f"{PACKAGE_PREFIX}{name}": version for name, version in package_versions().items()})
    return out


def recorded_code(run_path: Path) -> str | None:
    """The fingerprint a run directory's run.json records, or None when it records none (older code) or is
    unreadable (then the run store's own checks report it)."""
    try:
        return json.loads((run_path / "run.json").read_text()).get(CODE_KEY) or None
    except (OSError, ValueError, AttributeError):
        return None


def made_by_other_code(run_path: Path, current: str | None = None) -> bool:
    """Whether a stored run was made by code other than this (a run that records no fingerprint counts as other)."""
    return recorded_code(run_path) != (current or current_code())


def describe_code(environment: dict[str, str]) -> str:
    """One line (rich markup) saying which code made a run, against the code running now."""
    made = environment.get(CODE_KEY)
    current = current_code()
    verdict = "this code" if made == current else f"[yellow]other code[/] (now {current})"
    commit = environment.get(COMMIT_KEY) or "no commit recorded"
    dirty = " with local changes" if environment.get(DIRTY_KEY) == "True" else ""
    return f"code: {made or 'not recorded'}, {verdict}; commit: {commit}{dirty}"
