"""kill -9 in the middle of uploads: the next start removes every part and blob the dead process
left, at once, while another process sharing the data goes on uploading."""

import asyncio
import signal
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from app.config import Settings
from app.storage import keys
from app.storage.local import LocalBlobStore
from tests.servers import Server

pytestmark = pytest.mark.anyio
BOUNDARY = "crashtestboundary"
CHUNK = b"x" * 65536
SENT_FIRST = 80


@pytest.fixture
def servers(settings: Settings) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop(signal.SIGKILL)


def start(settings: Settings, servers: list[Server]) -> Server:
    server = Server(settings, wait=False)
    servers.append(server)
    server.wait_ready()
    return server


async def slow_body(name: str, release: asyncio.Event) -> AsyncIterator[bytes]:
    """A multipart body that sends 5 MiB (more than one write batch), then waits for `release`."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    for _ in range(SENT_FIRST):
        yield CHUNK
    await release.wait()
    yield CHUNK + f"\r\n--{BOUNDARY}--\r\n".encode()


async def upload(url: str, token: str, name: str, release: asyncio.Event) -> httpx.Response:
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
    }
    async with httpx.AsyncClient(timeout=60) as http:
        return await http.post(f"{url}/api/upload", content=slow_body(name, release), headers=headers)


def parts_in(settings: Settings) -> list[Path]:
    return sorted((settings.upload_dir / "tmp").glob("*.part"))


def rows(settings: Settings) -> list[tuple[str, int]]:
    with sqlite3.connect(settings.database_url.removeprefix("sqlite+aiosqlite:///")) as db:
        return db.execute("SELECT storage_key, size FROM file").fetchall()


async def wait_for(condition: Callable[[], bool], what: str) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def test_kill_9_mid_upload_leaves_nothing_after_restart(
    settings: Settings, servers: list[Server]
) -> None:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("reads the SQLite file directly")
    doomed, survivor = start(settings, servers), start(settings, servers)
    register = {"username": "crash", "email": "crash@example.com", "password": "correct horse"}
    async with httpx.AsyncClient() as http:
        token = (await http.post(f"{doomed.url}/api/auth/register", json=register)).json()["access_token"]
    never, finish = asyncio.Event(), asyncio.Event()
    cut = [asyncio.create_task(upload(doomed.url, token, f"cut-{i}.txt", never)) for i in range(3)]
    going_on = asyncio.create_task(upload(survivor.url, token, "survives.txt", finish))
    await wait_for(lambda: len(parts_in(settings)) == 4, "four parts on disk")

    doomed.stop(signal.SIGKILL)
    for task in cut:  # each is stuck in its own body generator: the server that read it is gone
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert len(parts_in(settings)) == 4  # the dead process could not clean up
    start(settings, servers)  # its replacement sweeps at startup, at once
    (held,) = parts_in(settings)  # only the live upload's part is left

    finish.set()
    done = await going_on
    assert done.status_code == 201, done.text
    assert not held.exists()
    assert parts_in(settings) == []
    store = LocalBlobStore(settings.upload_dir)
    stored = [entry.key async for entry in store.scan(keys.ORIGINALS)]
    kept = rows(settings)
    assert sorted(stored) == sorted(keys.original(key) for key, _ in kept)  # no orphan, no row without bytes
    assert [size for _, size in kept] == [(SENT_FIRST + 1) * len(CHUNK)]
    assert list((settings.upload_dir / "tmp").glob("*.claim")) == []
