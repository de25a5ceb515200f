"""Each maintenance finding, built on disk for real, then found (and fixed) through the admin API."""

import os
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from app.config import Settings
from app.db import utcnow
from app.main import create_app
from app.maintenance import service
from app.models import Activity, File
from app.storage import keys
from app.storage.local import LocalBlobStore
from tests.conftest import MakeUser, UserHandle, local_store_only
from tests.files.helpers import delete_blobs, put_blob, read_blobs
from tests.maintenance.conftest import Upload

pytestmark = pytest.mark.anyio

HOURS_AGO = time.time() - 2 * 3600


def age(path: Path) -> Path:
    os.utime(path, (HOURS_AGO, HOURS_AGO))
    return path


def store(settings: Settings) -> LocalBlobStore:
    return LocalBlobStore(settings.upload_dir)


@pytest.mark.parametrize("endpoint", ["sweep", "orphans", "purge-trash", "verify"])
async def test_maintenance_is_for_admins(
    client: httpx.AsyncClient, make_user: MakeUser, endpoint: str
) -> None:
    url = f"/api/admin/maintenance/{endpoint}"
    assert (await client.post(url)).status_code == 401
    alice = await make_user("alice")
    response = await client.post(url, headers=alice.headers)
    assert response.status_code == 403
    assert response.json()["code"] == "admin_required"


def dead_claim(settings: Settings, key: str) -> None:
    """What an upload killed between its bytes and its rows leaves: a claim nobody holds."""
    (settings.upload_dir / "tmp" / f"{uuid.uuid4().hex}.claim").write_text(key)


@local_store_only
async def test_sweep_removes_what_nobody_holds_at_once(
    client: httpx.AsyncClient, admin: UserHandle, upload: Upload, app: FastAPI, settings: Settings
) -> None:
    tmp = settings.upload_dir / "tmp"
    dead = tmp / f"{uuid.uuid4().hex}.part"
    dead.write_bytes(b"crashed upload, a second ago")
    live = await app.state.storage.new_part()
    await live.append(b"upload in progress")
    not_a_part = tmp / "keep.bin"
    not_a_part.write_bytes(b"x")
    kept = await upload(admin, "kept.txt", b"rows made it in\n")
    async with app.state.session_factory() as session:
        kept_key = await session.scalar(select(File.storage_key).where(File.id == uuid.UUID(kept["id"])))
    lost_key = uuid.uuid4().hex
    await app.state.storage.put(keys.original(lost_key), b"rows never came")
    await app.state.storage.put(keys.rendition(lost_key, "small.webp"), b"thumb")
    dead_claim(settings, keys.original(lost_key))
    dead_claim(settings, keys.original(kept_key))

    response = await client.post("/api/admin/maintenance/sweep", headers=admin.headers)
    assert response.status_code == 200
    assert response.json() == {"removed": [dead.name], "removed_blobs": [keys.original(lost_key)]}
    assert not dead.exists()
    assert not_a_part.exists()
    assert sorted(p.suffix for p in tmp.iterdir()) == [".bin", ".part"]  # the live part, no claims
    assert not store(settings).path_of(keys.original(lost_key)).exists()
    assert not store(settings).path_of(keys.rendition(lost_key, "small.webp")).exists()
    download = await client.get(f"/api/files/{kept['id']}/download", headers=admin.headers)
    assert download.content == b"rows made it in\n"
    await live.append(b", still going")
    await live.discard()


@local_store_only
async def test_startup_sweeps_dead_parts_but_not_live_ones(settings: Settings) -> None:
    tmp = settings.upload_dir / "tmp"
    tmp.mkdir(parents=True)
    dead = tmp / "left-by-a-crash.part"
    dead.write_bytes(b"x")
    junk = tmp / "empty.claim"  # torn by a power loss: names no key
    junk.write_bytes(b"")
    other_process = LocalBlobStore(settings.upload_dir)
    live = await other_process.new_part()
    await live.append(b"another process is uploading")
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        assert not dead.exists()
        assert not junk.exists()
        assert live.path.exists()
    await live.discard()


@local_store_only  # ages files on disk: an object's time is the server's
async def test_orphan_blobs_are_found_and_removed_with_fix(
    client: httpx.AsyncClient, admin: UserHandle, upload: Upload, settings: Settings
) -> None:
    kept = await upload(admin, "kept.txt", b"kept\n")
    storage = store(settings)
    key = uuid.uuid4().hex
    orphan = storage.path_of(keys.original(key))
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"no row points here")
    age(orphan)
    rendition = storage.path_of(keys.rendition(key, "small.webp"))
    rendition.parent.mkdir(parents=True)
    rendition.write_bytes(b"thumb")
    young = storage.path_of(keys.original(uuid.uuid4().hex))  # an upload between bytes and row
    young.parent.mkdir(parents=True, exist_ok=True)
    young.write_bytes(b"row arrives in a moment")

    report = await client.post("/api/admin/maintenance/orphans", headers=admin.headers)
    assert report.json() == {"orphan_keys": [key], "missing_file_ids": [], "removed": 0}
    assert orphan.exists()
    fixed = await client.post("/api/admin/maintenance/orphans", params={"fix": "true"}, headers=admin.headers)
    assert fixed.json() == {"orphan_keys": [key], "missing_file_ids": [], "removed": 1}
    assert not orphan.exists()
    assert not rendition.exists()
    assert young.exists()
    download = await client.get(f"/api/files/{kept['id']}/download", headers=admin.headers)
    assert download.content == b"kept\n"


async def test_missing_originals_are_reported(
    client: httpx.AsyncClient, admin: UserHandle, upload: Upload, app: FastAPI, settings: Settings
) -> None:
    lost = await upload(admin, "lost.txt", b"lost\n")
    await upload(admin, "fine.txt", b"fine\n")
    async with app.state.session_factory() as session:
        key = await session.scalar(select(File.storage_key).where(File.id == uuid.UUID(lost["id"])))
    await delete_blobs(settings, [keys.original(key)])
    report = await client.post("/api/admin/maintenance/orphans", headers=admin.headers)
    assert report.json() == {"orphan_keys": [], "missing_file_ids": [lost["id"]], "removed": 0}
    verify = await client.post("/api/admin/maintenance/verify", headers=admin.headers)
    assert verify.json() == {"checked": 2, "missing": [lost["id"]], "corrupt": []}


async def test_verify_finds_a_flipped_byte(
    client: httpx.AsyncClient, admin: UserHandle, upload: Upload, app: FastAPI, settings: Settings
) -> None:
    bad = await upload(admin, "bad.txt", b"precious words\n")
    await upload(admin, "good.txt", b"other words\n")
    healthy = await client.post("/api/admin/maintenance/verify", headers=admin.headers)
    assert healthy.json() == {"checked": 2, "missing": [], "corrupt": []}
    async with app.state.session_factory() as session:
        key = await session.scalar(select(File.storage_key).where(File.id == uuid.UUID(bad["id"])))
    (stored,) = await read_blobs(settings, [keys.original(key)])
    data = bytearray(stored)
    data[3] ^= 0x01
    await put_blob(settings, keys.original(key), bytes(data))  # same size, different bytes
    report = await client.post("/api/admin/maintenance/verify", headers=admin.headers)
    assert report.json() == {"checked": 2, "missing": [], "corrupt": [bad["id"]]}


async def test_purge_trash_removes_old_trash_only(
    client: httpx.AsyncClient, admin: UserHandle, upload: Upload, app: FastAPI, settings: Settings
) -> None:
    old = await upload(admin, "old.txt", b"old trash\n")
    recent = await upload(admin, "recent.txt", b"recent trash\n")
    live = await upload(admin, "live.txt", b"live\n")
    for file in (old, recent):
        assert (await client.delete(f"/api/files/{file['id']}", headers=admin.headers)).status_code == 204
    expired = utcnow() - timedelta(days=settings.trash_retention_days, minutes=1)
    async with app.state.session_factory() as session:
        await session.execute(update(File).where(File.id == uuid.UUID(old["id"])).values(deleted_at=expired))
        await session.commit()
        old_key = await session.scalar(select(File.storage_key).where(File.id == uuid.UUID(old["id"])))
    response = await client.post("/api/admin/maintenance/purge-trash", headers=admin.headers)
    assert response.json() == {"purged": 1, "freed": 10}
    assert not store(settings).path_of(keys.original(old_key)).exists()
    async with app.state.session_factory() as session:
        remaining = set(await session.scalars(select(File.id)))
        purges = (await session.scalars(select(Activity.file_id).where(Activity.action == "purge"))).all()
    assert remaining == {uuid.UUID(recent["id"]), uuid.UUID(live["id"])}
    assert purges == [uuid.UUID(old["id"])]
    trash = (await client.get("/api/trash", headers=admin.headers)).json()
    assert [file["id"] for file in trash["items"]] == [recent["id"]]


async def test_verify_holds_no_connection_while_it_hashes(
    admin: UserHandle, upload: Upload, app: FastAPI
) -> None:
    """A verify of a large library reads the disk for minutes: it must not keep a pooled
    connection (on PostgreSQL an idle transaction) all that time."""
    for n in range(3):
        await upload(admin, f"{n}.txt", f"words {n}\n".encode())
    engine = app.state.engine
    held: list[int] = []
    async with app.state.session_factory() as session:
        report = await service.verify(
            session, storage=app.state.storage, progress=lambda: held.append(engine.pool.checkedout())
        )
    assert report.checked == 3
    assert held == [0, 0, 0]
