"""Blocking byte work for maintenance (run in worker threads): no database here."""

import hashlib
from dataclasses import dataclass

from app.storage.base import BlobNotFound, BlobStore

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Digest:
    size: int
    sha256: str


def digest(store: BlobStore, key: str) -> Digest | None:
    """Size and SHA-256 of a blob read in 1 MiB chunks; None when it is gone."""
    hasher = hashlib.sha256()
    size = 0
    try:
        with store.open_sync(key) as handle:
            while chunk := handle.read(CHUNK):
                hasher.update(chunk)
                size += len(chunk)
    except BlobNotFound:
        return None
    return Digest(size=size, sha256=hasher.hexdigest())
