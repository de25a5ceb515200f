"""Blobs as files under one root: `originals/<xx>/<key>`, `renditions/<xx>/<key>/<name>`,
upload parts in `tmp/` and the bytes of resumable uploads in `resumable/<upload id>`. Every call is
one worker-thread hop (a streamed read is one per chunk); small ranges are read with the stat, in
the same hop."""

import contextlib
import fcntl
import os
import shutil
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import BinaryIO

import anyio
from anyio import to_thread

from app.storage import keys
from app.storage.base import (
    BlobEntry,
    BlobNotFound,
    BlobStat,
    Bytes,
    Capacity,
    Hasher,
    KeepCheck,
    RangeChoice,
    ResumableBusy,
    Sweep,
)

CHUNK_SIZE = 1024 * 1024
PART_SUFFIX = ".part"
CLAIM_SUFFIX = ".claim"
NAMESPACES = {"originals": 1, "renditions": 2, "quarantine": 1}  # path segments after the namespace


def _stat_of(result: os.stat_result) -> BlobStat:
    return BlobStat(size=result.st_size, modified=datetime.fromtimestamp(result.st_mtime, UTC))


def _write_atomically(target: Path, chunks: Iterator[Bytes] | None = None, data: Bytes = b"") -> BlobStat:
    """Write beside the target and rename over it, so a reader sees the old or the new bytes whole."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(partial, "wb") as handle:
            handle.write(data)
            for chunk in chunks or ():
                handle.write(chunk)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return _stat_of(target.stat())


def _create_held(path: Path, content: bytes = b"") -> int:
    """Create `path` locked (flock) by this process: written and locked under a hidden name, then
    renamed, so a sweeper never sees it unlocked or empty while its writer lives. The kernel drops
    the lock when the process dies, which is how a sweep tells a crashed upload from a live one."""
    hidden = path.with_name(f".{path.name}.new")
    fd = os.open(hidden, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if content:
            os.write(fd, content)
        os.rename(hidden, path)
    except BaseException:
        os.close(fd)
        hidden.unlink(missing_ok=True)
        raise
    return fd


def _write_all(fd: int, data: Bytes, offset: int, hasher: Hasher | None) -> None:
    if hasher is not None:
        hasher.update(data)
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


def _hold(path: Path, upload_id: str) -> int:
    """An fd of `path` locked (flock) by this holder; busy when anyone else holds it."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        raise BlobNotFound(upload_id) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if not path.exists() or os.stat(path).st_ino != os.fstat(fd).st_ino:
            raise BlobNotFound(upload_id)  # deleted or handed over while we waited for the lock
    except BlockingIOError:
        os.close(fd)
        raise ResumableBusy(upload_id) from None
    except BaseException:
        os.close(fd)
        raise
    return fd


class LocalHeldResumable:
    """The bytes of one resumable upload held by this writer (an exclusive flock on the file)."""

    def __init__(self, path: Path, fd: int, store: "LocalBlobStore") -> None:
        self.path = path
        self._fd: int | None = fd
        self._store = store
        self._size = os.fstat(fd).st_size

    @property
    def size(self) -> int:
        return self._size

    def _held(self) -> int:
        if self._fd is None:
            raise RuntimeError("the resumable upload was handed over or deleted")
        return self._fd

    async def append(self, data: Bytes, *, hasher: Hasher | None = None) -> None:
        await to_thread.run_sync(_write_all, self._held(), data, self._size, hasher)
        self._size += len(data)

    async def truncate(self, size: int) -> None:
        await to_thread.run_sync(os.ftruncate, self._held(), size)
        self._size = min(self._size, size)

    async def read(self, start: int = 0, end: int | None = None) -> AsyncGenerator[bytes, None]:
        fd, position, stop = self._held(), start, self._size if end is None else min(end, self._size)
        while position < stop:
            chunk = await to_thread.run_sync(os.pread, fd, min(CHUNK_SIZE, stop - position), position)
            if not chunk:
                return
            position += len(chunk)
            yield chunk

    async def into_part(self) -> "LocalPart":
        """Move the file into `tmp/` as a part, still locked by the same fd: no sweep takes it."""
        fd = self._held()
        part = LocalPart(self._store.new_part_path(), self._store.path_of)
        await to_thread.run_sync(os.rename, self.path, part.path)
        part.adopt(os.fdopen(fd, "ab", buffering=0), self._size)
        self._fd = None
        return part

    async def delete(self) -> None:
        await to_thread.run_sync(partial(self.path.unlink, missing_ok=True))
        self.close()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class LocalPart:
    """An upload part in `tmp/`, held (flock) by its writer until it is committed or discarded.

    A commit moves the bytes to their key and leaves a held claim (`tmp/<id>.claim`, naming the key)
    until `release`: the upload's rows are in by then, so a claim nobody holds marks a blob whose
    upload died between its bytes and its rows."""

    def __init__(self, path: Path, target_of: Callable[[str], Path]) -> None:
        self.path = path
        self._target_of = target_of
        self._handle: BinaryIO | None = None
        self._claim: int | None = None
        self._size = 0

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def size(self) -> int:
        return self._size

    def adopt(self, handle: BinaryIO, size: int) -> None:
        """Take over bytes already at `path`, held (flock) by `handle`."""
        self._handle, self._size = handle, size

    def _append(self, data: Bytes, hasher: Hasher | None = None) -> None:
        if self._handle is None:
            self._handle = os.fdopen(_create_held(self.path), "wb", buffering=0)
        if hasher is not None:
            hasher.update(data)
        self._handle.write(data)

    async def append(self, data: Bytes, *, hasher: Hasher | None = None) -> None:
        await to_thread.run_sync(self._append, data, hasher)
        self._size += len(data)

    def _commit(self, key: str) -> None:
        target = self._target_of(key)
        if self._handle is None:
            self._append(b"")
        assert self._handle is not None
        self._claim = _create_held(self.path.with_suffix(CLAIM_SUFFIX), key.encode())
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, target)
        os.utime(target)  # its age is since it was placed, not since its last write (orphan sweeps)
        self._handle.close()
        self._handle = None

    async def commit(self, key: str) -> None:
        await to_thread.run_sync(self._commit, key)

    def _release(self) -> None:
        if self._claim is not None:
            self.path.with_suffix(CLAIM_SUFFIX).unlink(missing_ok=True)
            os.close(self._claim)
            self._claim = None

    async def release(self) -> None:
        with anyio.CancelScope(shield=True):
            await to_thread.run_sync(self._release)

    def _discard(self) -> None:
        if self._handle is not None:
            self.path.unlink(missing_ok=True)
            self._handle.close()
            self._handle = None
        self._release()

    async def discard(self) -> None:
        with anyio.CancelScope(shield=True):
            await to_thread.run_sync(self._discard)

    def local_copy(self) -> BinaryIO | None:
        return None  # the committed blob is a local file already: `open_sync` hands its descriptor


def _take_if_dead(path: Path) -> int | None:
    """An open, locked fd of `path` when no live process holds it (its writer died), else None."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


class LocalBlobStore:
    remote = False

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"
        self._resumable = root / "resumable"

    def prepare(self) -> None:
        for directory in (self.root, self._tmp, self._resumable, *(self.root / name for name in NAMESPACES)):
            directory.mkdir(parents=True, exist_ok=True)

    def path_of(self, key: str) -> Path:
        """Where `key` lives: `<namespace>/<xx>/<storage key>[/<name>]` (shards keep directories small)."""
        namespace, _, rest = key.partition("/")
        if namespace not in NAMESPACES:
            raise ValueError(f"invalid blob key {key!r}")
        storage_key, _, name = rest.partition("/")
        keys.check_storage_key(storage_key)
        path = self.root / namespace / storage_key[:2] / storage_key
        if NAMESPACES[namespace] == 1:
            if name:
                raise ValueError(f"invalid blob key {key!r}")
            return path
        if not keys.RENDITION_NAME.match(name):
            raise ValueError(f"invalid blob key {key!r}")
        return path / name

    def _key_of(self, path: Path) -> str | None:
        parts = path.relative_to(self.root).parts
        if not parts or parts[0] not in NAMESPACES or len(parts) != 2 + NAMESPACES[parts[0]]:
            return None
        key = "/".join((parts[0], *parts[2:]))
        try:
            self.path_of(key)
        except ValueError:
            return None
        return key

    async def check(self) -> None:
        await to_thread.run_sync(self._probe_write)

    def _probe_write(self) -> None:
        probe = self._tmp / f".probe-{uuid.uuid4().hex}"
        probe.write_bytes(b"ok")
        os.unlink(probe)

    async def put(self, key: str, data: Bytes) -> BlobStat:
        return await to_thread.run_sync(lambda: _write_atomically(self.path_of(key), data=data))

    async def put_stream(self, key: str, chunks: AsyncIterable[Bytes]) -> BlobStat:
        part = await self.new_part()
        try:
            async for chunk in chunks:
                await part.append(chunk)
            await part.commit(key)
        finally:
            await part.discard()
        return await self.stat(key)

    async def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncGenerator[bytes, None]:
        handle = await to_thread.run_sync(self._open, key)
        try:
            position, stop = start, end if end is not None else os.fstat(handle.fileno()).st_size
            while position < stop:
                chunk = await to_thread.run_sync(
                    os.pread, handle.fileno(), min(CHUNK_SIZE, stop - position), position
                )
                if not chunk:
                    return
                position += len(chunk)
                yield chunk
        finally:
            with anyio.CancelScope(shield=True):
                await to_thread.run_sync(handle.close)

    def _open(self, key: str) -> BinaryIO:
        try:
            return open(self.path_of(key), "rb", buffering=0)
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    async def read_bytes(self, key: str, start: int = 0, end: int | None = None) -> bytes:
        _, data = await self.peek(key, lambda size: (start, size if end is None else min(end, size)))
        return data or b""

    async def peek(self, key: str, choose: RangeChoice) -> tuple[BlobStat, bytes | None]:
        return await to_thread.run_sync(self._peek, key, choose)

    def _peek(self, key: str, choose: RangeChoice) -> tuple[BlobStat, bytes | None]:
        with self._open(key) as handle:
            stat = _stat_of(os.fstat(handle.fileno()))
            wanted = choose(stat.size)
            if wanted is None:
                return stat, None
            start, end = wanted
            return stat, os.pread(handle.fileno(), max(0, end - start), start) if end > start else b""

    async def stat(self, key: str) -> BlobStat:
        return await to_thread.run_sync(self._stat, key)

    def _stat(self, key: str) -> BlobStat:
        try:
            return _stat_of(self.path_of(key).stat())
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    async def delete(self, key: str) -> None:
        await to_thread.run_sync(lambda: self.path_of(key).unlink(missing_ok=True))

    async def delete_prefix(self, prefix: str) -> None:
        """A file's renditions (`renditions/<key>/`) go as one directory; other prefixes blob by blob."""
        namespace, _, storage_key = prefix.rstrip("/").partition("/")
        if namespace == "renditions" and prefix.endswith("/") and keys.STORAGE_KEY.match(storage_key):
            directory = self.root / namespace / storage_key[:2] / storage_key
            await to_thread.run_sync(lambda: shutil.rmtree(directory, ignore_errors=True))
            return
        async for entry in self.scan(prefix):
            await self.delete(entry.key)

    async def scan(self, prefix: str) -> AsyncIterator[BlobEntry]:
        namespace = prefix.split("/", 1)[0]
        if namespace not in NAMESPACES:
            return
        shards = await to_thread.run_sync(_subdirectories, self.root / namespace)
        for shard in shards:
            for entry in await to_thread.run_sync(self._entries_under, shard):
                if entry.key.startswith(prefix):
                    yield entry

    def _entries_under(self, directory: Path) -> list[BlobEntry]:
        found = []
        for base, _, names in os.walk(directory):
            for name in names:
                path = Path(base) / name
                key = self._key_of(path)
                if key is None:
                    continue
                try:
                    found.append(BlobEntry(key=key, **_stat_of(path.stat()).__dict__))
                except FileNotFoundError:
                    continue
        return found

    def open_sync(self, key: str) -> BinaryIO:
        try:
            return open(self.path_of(key), "rb")
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def new_part_path(self) -> Path:
        return self._tmp / f"{uuid.uuid4().hex}{PART_SUFFIX}"

    async def new_part(self, key: str | None = None, *, local_copy: bool = False) -> LocalPart:
        return LocalPart(self.new_part_path(), self.path_of)

    def _resumable_path(self, upload_id: str) -> Path:
        return self._resumable / keys.check_storage_key(upload_id)

    async def create_resumable(self, upload_id: str) -> None:
        path = self._resumable_path(upload_id)
        await to_thread.run_sync(lambda: os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)))

    @asynccontextmanager
    async def hold_resumable(self, upload_id: str) -> AsyncIterator[LocalHeldResumable]:
        path = self._resumable_path(upload_id)
        held = LocalHeldResumable(path, await to_thread.run_sync(_hold, path, upload_id), self)
        try:
            yield held
        finally:
            with anyio.CancelScope(shield=True):
                await to_thread.run_sync(held.close)

    async def resumable_size(self, upload_id: str) -> int:
        path = self._resumable_path(upload_id)
        try:
            return (await to_thread.run_sync(path.stat)).st_size
        except FileNotFoundError:
            raise BlobNotFound(upload_id) from None

    async def delete_resumable(self, upload_id: str) -> None:
        await to_thread.run_sync(partial(self._resumable_path(upload_id).unlink, missing_ok=True))

    async def resumable_ids(self) -> list[str]:
        entries = await to_thread.run_sync(_scan, self._resumable)
        return sorted(entry.name for entry in entries if keys.STORAGE_KEY.match(entry.name))

    async def sweep_parts(self, *, is_kept: KeepCheck, older_than_seconds: float) -> Sweep:
        """Every part and claim nobody holds is a crashed upload's, whatever its age: parts go at once;
        a claimed blob stays only if `is_kept` (its rows made it in). Hidden files of a create
        interrupted by a crash go once they are `older_than_seconds`."""
        sweep = Sweep()
        for entry in await to_thread.run_sync(_scan, self._tmp):
            path = Path(entry.path)
            if entry.name.endswith(PART_SUFFIX) and not entry.name.startswith("."):
                if await to_thread.run_sync(_remove_if_dead, path):
                    sweep.parts.append(entry.name)
            elif entry.name.endswith(CLAIM_SUFFIX) and not entry.name.startswith("."):
                if (key := await self._settle_claim(path, is_kept)) is not None:
                    sweep.blobs.append(key)
            elif entry.name.startswith(".") and entry.name.endswith(".new"):
                await to_thread.run_sync(_remove_if_older, path, time.time() - older_than_seconds)
        sweep.parts.sort()
        return sweep

    async def _settle_claim(self, path: Path, is_kept: KeepCheck) -> str | None:
        """Holding a dead upload's claim, delete its blob unless its rows made it in; the key deleted."""
        fd = await to_thread.run_sync(_take_if_dead, path)
        if fd is None:
            return None
        try:
            key = (await to_thread.run_sync(os.pread, fd, 1024, 0)).decode("utf-8", "replace")
            if keys.storage_key_of(key) is None:  # not a key this store writes: junk, not a blob
                await to_thread.run_sync(partial(path.unlink, missing_ok=True))
                return None
            kept = await is_kept(key)
            if not kept:
                await self.delete(key)
                if (storage_key := keys.storage_key_of(key)) is not None:
                    await self.delete_prefix(keys.renditions_of(storage_key))
            await to_thread.run_sync(partial(path.unlink, missing_ok=True))
        finally:
            await to_thread.run_sync(os.close, fd)
        return None if kept else key

    async def presign_get(self, key: str, *, seconds: int, disposition: str, media_type: str) -> None:
        return None

    async def capacity(self) -> Capacity:
        usage = await to_thread.run_sync(shutil.disk_usage, self.root)
        return Capacity(free=usage.free, total=usage.total)


def _remove_if_dead(path: Path) -> bool:
    fd = _take_if_dead(path)
    if fd is None:
        return False
    try:
        path.unlink(missing_ok=True)
    finally:
        os.close(fd)
    return True


def _remove_if_older(path: Path, cutoff: float) -> None:
    with contextlib.suppress(FileNotFoundError):
        if path.stat().st_mtime < cutoff:
            path.unlink()


def _scan(directory: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as entries:
            return list(entries)
    except FileNotFoundError:
        return []


def _subdirectories(directory: Path) -> list[Path]:
    return sorted(Path(entry.path) for entry in _scan(directory) if entry.is_dir())
