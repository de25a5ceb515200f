"""Bytes in a local directory: originals, renditions and temporary parts under one root."""

import os
import uuid
from pathlib import Path

from anyio import to_thread


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
