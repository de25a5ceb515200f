"""Blocking disk work for maintenance (run in worker threads): no database here."""

import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.storage.local import KEY_PATTERN

CHUNK = 1024 * 1024
PART_SUFFIX = ".part"


def remove_stale_parts(tmp_dir: Path, *, max_age_seconds: float) -> list[str]:
    """Delete `*.part` files under tmp_dir last written before the cutoff; return their names."""
    cutoff = time.time() - max_age_seconds
    removed = []
    for entry in _entries(tmp_dir):
        if entry.name.endswith(PART_SUFFIX) and entry.is_file() and entry.stat().st_mtime < cutoff:
            Path(entry.path).unlink(missing_ok=True)
            removed.append(entry.name)
    return sorted(removed)


def _entries(directory: Path) -> Iterator[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as entries:
            yield from entries
    except FileNotFoundError:
        return


def stored_keys(*roots: Path, max_age_seconds: float) -> set[str]:
    """Keys with bytes under `<root>/<xx>/<key>` older than the cutoff (a fresh upload's bytes
    land before its row, so young blobs are left alone)."""
    cutoff = time.time() - max_age_seconds
    keys: set[str] = set()
    for root in roots:
        for shard in _entries(root):
            for entry in _entries(Path(shard.path)) if shard.is_dir() else ():
                if KEY_PATTERN.match(entry.name) and entry.stat().st_mtime < cutoff:
                    keys.add(entry.name)
    return keys


def existing(paths: list[Path]) -> list[bool]:
    return [path.is_file() for path in paths]


@dataclass(frozen=True)
class Digest:
    size: int
    sha256: str


def digest(path: Path) -> Digest | None:
    """Size and SHA-256 of a file read in 1 MiB chunks; None when it is gone."""
    hasher = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                hasher.update(chunk)
                size += len(chunk)
    except FileNotFoundError:
        return None
    return Digest(size=size, sha256=hasher.hexdigest())
