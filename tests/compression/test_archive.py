"""`atrium archive --older-than DAYS` (uploads kept as they are here), then `atrium verify`,
`atrium backup` and `atrium restore`, through the installed command on the test app's own
deployment (its database and store, S3 included)."""

import hashlib
import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from app.config import Settings
from app.db import utcnow
from app.models import File
from app.storage import keys, packed
from tests.compression.helpers import prose, row_of, stored_size
from tests.conftest import MakeUser
from tests.files.helpers import jpeg_bytes, upload
from tests.maintenance.helpers import Atrium, Result

pytestmark = pytest.mark.anyio
TEXT = prose(2 * 1024 * 1024 + 99)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"compress_at_rest": False})


async def age(app: FastAPI, file_id: str, *, created_days: float, read_days: float | None) -> None:
    now = utcnow()
    read = None if read_days is None else now - timedelta(days=read_days)
    async with app.state.session_factory() as session:
        await session.execute(
            update(File)
            .where(File.id == uuid.UUID(file_id))
            .values(created_at=now - timedelta(days=created_days), last_accessed_at=read)
        )
        await session.commit()


def archive(deployment: Atrium, days: str = "30") -> Result:
    result = deployment("archive", "--older-than", days)
    assert result.returncode == 0, result.stderr
    return result


async def test_archive_compresses_what_nobody_read_for_days_once(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, deployment: Atrium
) -> None:
    alice = await make_user()
    items = {name: await upload(client, alice, TEXT, name) for name in ("idle.txt", "never.txt", "read.txt")}
    photo = await upload(client, alice, jpeg_bytes(), "photo.jpg")
    new = await upload(client, alice, TEXT, "new.txt")
    await age(app, items["idle.txt"]["id"], created_days=90, read_days=45)
    await age(app, items["never.txt"]["id"], created_days=90, read_days=None)  # null: created_at counts
    await age(app, items["read.txt"]["id"], created_days=90, read_days=2)
    await age(app, photo["id"], created_days=90, read_days=None)
    before = (await client.get("/api/storage/stats", headers=alice.headers)).json()
    assert before["stored_size"] == before["total_size"]

    first = archive(deployment)
    assert "compressed 2 files" in first.stdout
    assert items["idle.txt"]["id"] in first.stdout
    assert items["never.txt"]["id"] in first.stdout
    for name, item in {**items, "photo.jpg": photo, "new.txt": new}.items():
        row = await row_of(app, item["id"])
        expected = packed.ZSTD if name in ("idle.txt", "never.txt") else None
        assert (name, row.encoding) == (name, expected)
        assert (row.stored_size == await stored_size(app, item["id"])) == (expected is not None)
    after = (await client.get("/api/storage/stats", headers=alice.headers)).json()
    saved = sum([len(TEXT) - await stored_size(app, items[n]["id"]) for n in ("idle.txt", "never.txt")])
    assert after["total_size"] == before["total_size"]
    assert after["stored_size"] == after["total_size"] - saved < after["total_size"]
    whole = await client.get(items["idle.txt"]["urls"]["download"], headers=alice.headers)
    assert (whole.content, whole.headers["etag"]) == (TEXT, f'"{hashlib.sha256(TEXT).hexdigest()}"')

    again = archive(deployment)
    assert "compressed 0 files, saved 0 bytes" in again.stdout
    final = (await client.get("/api/storage/stats", headers=alice.headers)).json()
    assert (final["total_size"], final["stored_size"]) == (after["total_size"], after["stored_size"])


async def test_verify_checks_the_logical_bytes_and_finds_damage(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, deployment: Atrium
) -> None:
    alice = await make_user()
    item = await upload(client, alice, TEXT, "idle.txt")
    await age(app, item["id"], created_days=90, read_days=None)
    archive(deployment)
    verified = deployment("verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "0 missing, 0 corrupt" in verified.stdout
    key = keys.original((await row_of(app, item["id"])).storage_key)
    raw = bytearray(await app.state.storage.read_bytes(key))
    raw[len(raw) // 3] ^= 0x55
    await app.state.storage.put(key, raw)
    damaged = deployment("verify")
    assert damaged.returncode == 1
    assert f"corrupt {item['id']}" in damaged.stdout


async def test_an_archive_stopped_before_its_row_is_finished_by_the_next(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, deployment: Atrium
) -> None:
    """The blob was compressed but the row still says "as its bytes": reads already see the
    logical bytes (the sizes differ), and the next run records it."""
    alice = await make_user()
    item = await upload(client, alice, TEXT, "idle.txt")
    await age(app, item["id"], created_days=90, read_days=None)
    key = keys.original((await row_of(app, item["id"])).storage_key)
    made = await packed.pack(app.state.storage, key)
    assert made is not None
    await made.part.release()
    assert (await client.get(item["urls"]["download"], headers=alice.headers)).content == TEXT
    ranged = await client.get(item["urls"]["download"], headers={**alice.headers, "Range": "bytes=5-14"})
    assert ranged.content == TEXT[5:15]
    await age(app, item["id"], created_days=90, read_days=None)  # the download above was a read
    assert "compressed 1 files" in archive(deployment).stdout
    row = await row_of(app, item["id"])
    assert (row.encoding, row.stored_size) == (packed.ZSTD, made.stored_size)
    assert deployment("verify").returncode == 0


async def test_backup_and_restore_keep_compressed_originals(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    deployment: Atrium,
    fresh: Atrium,
    tmp_path: Path,
) -> None:
    alice = await make_user()
    idle = await upload(client, alice, TEXT, "idle.txt")
    plain = await upload(client, alice, jpeg_bytes(), "photo.jpg")
    await age(app, idle["id"], created_days=90, read_days=None)
    archive(deployment)
    dest = tmp_path / "backup"
    backed = deployment("backup", str(dest))
    assert backed.returncode == 0, backed.stderr
    manifest: dict[str, Any] = json.loads((dest / "manifest.json").read_text())
    entries = {entry["id"]: entry for entry in manifest["files"]}
    assert entries[idle["id"]]["sha256"] == hashlib.sha256(TEXT).hexdigest()  # the logical bytes'
    assert entries[idle["id"]]["encoding"] == packed.ZSTD
    assert entries[idle["id"]]["stored_size"] == await stored_size(app, idle["id"])
    assert entries[plain["id"]]["encoding"] is None
    restored = fresh("restore", str(dest))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    verified = fresh("verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "checked 2 files: 0 missing, 0 corrupt" in verified.stdout
