"""Real bytes for upload tests: images made with Pillow, an ELF header, hand-built multipart bodies."""

import asyncio
import contextlib
import hashlib
import io
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import httpx
import obstore
from PIL import Image

from app.config import Settings
from app.storage import keys, open_store
from app.storage.local import LocalBlobStore
from app.storage.s3 import S3BlobStore

if TYPE_CHECKING:
    from tests.conftest import UserHandle

BOUNDARY = "atrium-test-boundary-7d93"


def png_bytes(size: tuple[int, int] = (16, 12), color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(size: tuple[int, int] = (16, 12), color: str = "blue") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


def opaque_bytes() -> bytes:
    """64 bytes libmagic calls application/octet-stream: fixed, because random bytes are read
    as text/plain or audio/mpeg about once in 500 draws."""
    return hashlib.sha512(b"atrium opaque").digest()


def elf_bytes() -> bytes:
    """The first bytes of a real executable."""
    with open("/bin/true", "rb") as handle:
        return handle.read(4096)


def part(
    name: str, content: bytes, *, filename: bytes | str | None = None, content_type: str | None = None
) -> bytes:
    disposition = f'form-data; name="{name}"'.encode()
    if filename is not None:
        raw = filename.encode() if isinstance(filename, str) else filename
        disposition += b'; filename="' + raw + b'"'
    headers = b"Content-Disposition: " + disposition + b"\r\n"
    if content_type:
        headers += f"Content-Type: {content_type}\r\n".encode()
    return b"--" + BOUNDARY.encode() + b"\r\n" + headers + b"\r\n" + content + b"\r\n"


def multipart(parts: Iterable[bytes]) -> bytes:
    return b"".join(parts) + b"--" + BOUNDARY.encode() + b"--\r\n"


def multipart_headers(user_headers: dict[str, str]) -> dict[str, str]:
    return {**user_headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def stored_files(upload_dir: Path) -> list[Path]:
    """Every regular file under UPLOAD_DIR except the secret key."""
    return sorted(
        Path(root) / name for root, _, names in os.walk(upload_dir) for name in names if name != ".secret_key"
    )


def tmp_parts(upload_dir: Path) -> list[Path]:
    return sorted((upload_dir / "tmp").iterdir())


async def stored_blobs(settings: Settings, *prefixes: str) -> list[str]:
    """Every file or object of the settings' store under `prefixes` (default: originals, renditions
    and quarantine) by key, on any store; raw listings, so a stray temporary file shows too."""
    store, found = open_store(settings), []
    for prefix in prefixes or (keys.ORIGINALS, keys.RENDITIONS, keys.QUARANTINE):
        if isinstance(store, LocalBlobStore):
            found += [_key_of(path.relative_to(store.root)) for path in stored_files(store.root / prefix)]
        else:
            assert isinstance(store, S3BlobStore)
            batches = obstore.list(store.objects, prefix=prefix)
            found += [meta["path"] async for batch in batches for meta in batch]
    return sorted(found)


def _key_of(relative: Path) -> str:
    """A local store's path as its key: `originals/ab/ab12…` is `originals/ab12…`."""
    namespace, _shard, *rest = relative.parts
    return "/".join([namespace, *rest])


async def read_blobs(settings: Settings, found: list[str]) -> list[bytes]:
    store = open_store(settings)
    return [await store.read_bytes(key) for key in found]


async def put_blob(settings: Settings, key: str, data: bytes) -> None:
    await open_store(settings).put(key, data)


async def delete_blobs(settings: Settings, found: list[str]) -> None:
    store = open_store(settings)
    for key in found:
        await store.delete(key)


async def left_parts(settings: Settings) -> list[str]:
    """What uploads in progress (or dead) keep beside the blobs: a local store's `tmp/` files, an S3
    store's objects under `tmp/` (parts and claims; an uncompleted multipart upload is no object)."""
    store = open_store(settings)
    if isinstance(store, LocalBlobStore):
        return [path.name for path in tmp_parts(store.root)]
    assert isinstance(store, S3BlobStore)
    batches = obstore.list(store.objects, prefix="tmp")
    return sorted([meta["path"] async for batch in batches for meta in batch])


def random_id() -> str:
    return str(uuid.uuid4())


async def upload(
    client: httpx.AsyncClient, user: "UserHandle", data: bytes, name: str | bytes
) -> dict[str, Any]:
    body = multipart([part("files", data, filename=name)])
    response = await client.post("/api/upload", headers=multipart_headers(user.headers), content=body)
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()["files"][0]
    return item


def asgi_scope(method: str, path: str, headers: dict[str, str]) -> dict[str, Any]:
    """An HTTP request's ASGI scope, for driving the app with hand-made receive and send."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }


@contextlib.asynccontextmanager
async def all_taken(limiter: anyio.CapacityLimiter) -> AsyncIterator[None]:
    """Every token of `limiter` held (busy decoders or threads) until the block ends."""
    holders = [object() for _ in range(int(limiter.total_tokens))]
    for holder in holders:
        await limiter.acquire_on_behalf_of(holder)
    try:
        yield
    finally:
        for holder in holders:
            limiter.release_on_behalf_of(holder)


async def until(condition: Callable[[], bool], *, seconds: float = 20) -> bool:
    """Wait until `condition()` holds, at most `seconds`; whether it does."""
    for _ in range(int(seconds / 0.02)):
        if condition():
            return True
        await asyncio.sleep(0.02)
    return condition()


async def until_waiting(limiter: anyio.CapacityLimiter, count: int) -> None:
    """Return once `count` tasks wait for `limiter`."""
    if not await until(lambda: limiter.statistics().tasks_waiting >= count):
        raise AssertionError(f"{limiter.statistics().tasks_waiting} tasks wait, not {count}")


PAST_THE_POOL = 20  # requests waiting at once: more than a worker's pool holds (15: 5 kept, 10 overflow)


async def assert_a_list_answers(
    client: httpx.AsyncClient, user: "UserHandle", *, seconds: float = 10
) -> None:
    """A file list answers within `seconds` while the requests under test wait."""
    listed = await asyncio.wait_for(client.get("/api/files", headers=user.headers), seconds)
    assert listed.status_code == 200
