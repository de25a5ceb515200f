"""Where bytes live. Keys are server-generated; a client's name never becomes a path."""

from typing import Protocol


class BlobStore(Protocol):
    async def check(self) -> None:
        """Raise when the store cannot be written (readiness probe)."""
        ...
