"""Blocking byte work for maintenance (run in worker threads): no database here."""

import hashlib
from dataclasses import dataclass

from app.storage import packed
from app.storage.base import BlobNotFound, BlobStore
from app.storage.packed import BlobDamaged, Stored

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Digest:
    size: int
    sha256: str


DAMAGED = Digest(size=-1, sha256="")  # a compressed blob that does not decode


def digest(store: BlobStore, blob: Stored) -> Digest | None:
    """Size and SHA-256 of a blob's logical bytes read in 1 MiB chunks; None when it is gone."""
    hasher = hashlib.sha256()
    size = 0
    try:
        with packed.open_sync(store, blob) as handle:
            while chunk := handle.read(CHUNK):
                hasher.update(chunk)
                size += len(chunk)
    except BlobDamaged:
        return DAMAGED
    except BlobNotFound:
        return None
    except packed.DECODE_ERRORS:
        return DAMAGED
    return Digest(size=size, sha256=hasher.hexdigest())
