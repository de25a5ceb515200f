"""Where bytes live. Keys are server-generated; a client's name never becomes a path."""

from pathlib import Path
from typing import Protocol


class BlobStore(Protocol):
    async def check(self) -> None:
        """Raise when the store cannot be written (readiness probe)."""
        ...

    def new_part_path(self) -> Path:
        """A fresh, unused path under the temporary directory for an incoming upload."""
        ...

    async def commit(self, part: Path, key: str) -> None:
        """Move a finished part into place as the original of `key` (atomic)."""
        ...

    def original_path(self, key: str) -> Path: ...

    def rendition_path(self, key: str, name: str) -> Path:
        """Where a derived file (thumbnail, render) of `key` lives; parent directories exist."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the original and every rendition of `key`; missing ones are fine."""
        ...
