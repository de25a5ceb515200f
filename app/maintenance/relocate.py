"""`atrium migrate-storage --to URL`: every blob, by key, from the configured store into another.

Originals, renditions and quarantined originals are copied as they are (keys are the same in every
store). Each blob streams through a part of the target that is committed only when its SHA-256
matches the file's recorded one (originals; a corrupt source is reported and not copied), then the
target is read back and hashed: what lands is what left. A key the target already holds with the
same size and hash is skipped, so an interrupted run is simply run again.
"""

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from anyio import to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.maintenance import disk
from app.models import File
from app.storage import keys
from app.storage.base import BlobEntry, BlobNotFound, BlobStore
from app.storage.packed import Stored

NAMESPACES = (keys.ORIGINALS, keys.RENDITIONS, keys.QUARANTINE)


@dataclass(frozen=True)
class Recorded:
    """What an original must hash to: its recorded SHA-256, of its logical bytes read as its row
    says it is stored."""

    sha256: str
    stored: Stored  # how its row says it is stored

    @property
    def packed(self) -> bool:
        return self.stored.packed


@dataclass
class RelocateReport:
    copied: int = 0
    copied_bytes: int = 0
    skipped: int = 0  # already in the target: same size and SHA-256
    corrupt: list[str] = field(default_factory=list)  # originals whose bytes miss their recorded SHA-256
    mismatched: list[str] = field(default_factory=list)  # read back from the target as other bytes


async def recorded_hashes(session: AsyncSession) -> dict[str, Recorded]:
    """Original key -> its recorded SHA-256 and how it is stored, for every file row (trashed too)."""
    rows = await session.execute(select(File.storage_key, File.sha256, File.size, File.encoding))
    return {
        keys.original(storage_key): Recorded(sha256, Stored(keys.original(storage_key), size, encoding))
        for storage_key, sha256, size, encoding in rows
    }


async def relocate(
    source: BlobStore,
    target: BlobStore,
    *,
    recorded: Mapping[str, Recorded],
    progress: Callable[[BlobEntry], None] = lambda entry: None,
) -> RelocateReport:
    report = RelocateReport()
    for namespace in NAMESPACES:
        async for entry in source.scan(namespace):
            await _relocate_one(source, target, entry, recorded.get(entry.key), report)
            progress(entry)
    return report


async def _relocate_one(
    source: BlobStore, target: BlobStore, entry: BlobEntry, recorded: Recorded | None, report: RelocateReport
) -> None:
    if await _holds(source, target, entry, recorded):
        report.skipped += 1
        return
    # a compressed original is checked by its logical bytes before it goes; a plain one on the way
    if recorded is not None and recorded.packed and await _sha256(source, recorded.stored) != recorded.sha256:
        report.corrupt.append(entry.key)
        return
    expected = recorded.sha256 if recorded is not None and not recorded.packed else None
    hasher = hashlib.sha256()
    part = await target.new_part(entry.key)
    try:
        async for chunk in source.read(entry.key):
            await part.append(chunk, hasher=hasher)
        sent = hasher.hexdigest()
        if expected is not None and sent != expected:
            report.corrupt.append(entry.key)
            return
        await part.commit(entry.key)
    finally:
        await part.discard()  # drops the claim, and the bytes when they were refused (a commit stays)
    if await _sha256(target, Stored(entry.key)) != sent:
        report.mismatched.append(entry.key)
        return
    report.copied += 1
    report.copied_bytes += entry.size


async def _holds(source: BlobStore, target: BlobStore, entry: BlobEntry, recorded: Recorded | None) -> bool:
    """Whether the target has the blob already: same size, then the same SHA-256 of its logical
    bytes (the recorded one for an original, else the source's, hashed only when the sizes agree)."""
    try:
        stat = await target.stat(entry.key)
    except BlobNotFound:
        return False
    if stat.size != entry.size:
        return False
    stored = recorded.stored if recorded is not None else Stored(entry.key)
    wanted = recorded.sha256 if recorded is not None else await _sha256(source, stored)
    return await _sha256(target, stored) == wanted


async def _sha256(store: BlobStore, stored: Stored) -> str | None:
    """The SHA-256 of a blob's logical bytes ("" when it does not decode, None when it is gone)."""
    found = await to_thread.run_sync(disk.digest, store, stored)
    return found.sha256 if found else None
