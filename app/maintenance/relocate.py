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

NAMESPACES = (keys.ORIGINALS, keys.RENDITIONS, keys.QUARANTINE)


@dataclass
class RelocateReport:
    copied: int = 0
    copied_bytes: int = 0
    skipped: int = 0  # already in the target: same size and SHA-256
    corrupt: list[str] = field(default_factory=list)  # originals whose bytes miss their recorded SHA-256
    mismatched: list[str] = field(default_factory=list)  # read back from the target as other bytes


async def recorded_hashes(session: AsyncSession) -> dict[str, str]:
    """Original key -> recorded SHA-256, for every file row (trashed ones too)."""
    rows = await session.execute(select(File.storage_key, File.sha256))
    return {keys.original(storage_key): sha256 for storage_key, sha256 in rows}


async def relocate(
    source: BlobStore,
    target: BlobStore,
    *,
    recorded: Mapping[str, str],
    progress: Callable[[BlobEntry], None] = lambda entry: None,
) -> RelocateReport:
    report = RelocateReport()
    for namespace in NAMESPACES:
        async for entry in source.scan(namespace):
            await _relocate_one(source, target, entry, recorded.get(entry.key), report)
            progress(entry)
    return report


async def _relocate_one(
    source: BlobStore, target: BlobStore, entry: BlobEntry, expected: str | None, report: RelocateReport
) -> None:
    if await _holds(source, target, entry, expected):
        report.skipped += 1
        return
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
    if await _sha256(target, entry.key) != sent:
        report.mismatched.append(entry.key)
        return
    report.copied += 1
    report.copied_bytes += entry.size


async def _holds(source: BlobStore, target: BlobStore, entry: BlobEntry, expected: str | None) -> bool:
    """Whether the target has the blob already: same size, then the same SHA-256 (the recorded
    one for an original, else the source's, hashed only when the sizes agree)."""
    try:
        stat = await target.stat(entry.key)
    except BlobNotFound:
        return False
    if stat.size != entry.size:
        return False
    wanted = expected or await _sha256(source, entry.key)
    return await _sha256(target, entry.key) == wanted


async def _sha256(store: BlobStore, key: str) -> str | None:
    found = await to_thread.run_sync(disk.digest, store, key)
    return found.sha256 if found else None
