"""Bytes in a local directory: originals, renditions and temporary parts under one root."""

import os
import re
import shutil
import uuid
from pathlib import Path

from anyio import to_thread

KEY_PATTERN = re.compile(r"^[0-9a-f]{32}$")
RENDITION_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def check_key(key: str) -> str:
    """Keys are server-generated uuid hex; anything else is a bug, never a path."""
    if not KEY_PATTERN.match(key):
        raise ValueError(f"invalid storage key {key!r}")
    return key


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp_dir = root / "tmp"
        self.originals_dir = root / "originals"
        self.renditions_dir = root / "renditions"

    def prepare(self) -> None:
        for directory in (self.root, self.tmp_dir, self.originals_dir, self.renditions_dir):
            directory.mkdir(parents=True, exist_ok=True)

    async def check(self) -> None:
        await to_thread.run_sync(self._probe_write)

    def _probe_write(self) -> None:
        probe = self.tmp_dir / f".probe-{uuid.uuid4().hex}"
        probe.write_bytes(b"ok")
        os.unlink(probe)

    def new_part_path(self) -> Path:
        return self.tmp_dir / f"{uuid.uuid4().hex}.part"

    async def commit(self, part: Path, key: str) -> None:
        await to_thread.run_sync(self._commit_sync, part, key)

    def _commit_sync(self, part: Path, key: str) -> None:
        target = self.original_path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, target)

    def original_path(self, key: str) -> Path:
        check_key(key)
        return self.originals_dir / key[:2] / key

    def rendition_dir(self, key: str) -> Path:
        check_key(key)
        return self.renditions_dir / key[:2] / key

    def rendition_path(self, key: str, name: str) -> Path:
        if not RENDITION_NAME.match(name) or name.startswith("."):
            raise ValueError(f"invalid rendition name {name!r}")
        directory = self.rendition_dir(key)
        directory.mkdir(parents=True, exist_ok=True)
        return directory / name

    async def delete(self, key: str) -> None:
        await to_thread.run_sync(self._delete_sync, key)

    def _delete_sync(self, key: str) -> None:
        self.original_path(key).unlink(missing_ok=True)
        shutil.rmtree(self.rendition_dir(key), ignore_errors=True)
