"""`atrium cleanup --backfill` gives older files what uploads get now, in resumable batches."""

import os
import sqlite3
import subprocess
import uuid
from pathlib import Path

import httpx
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.maintenance.backfill import backfill
from app.models import File, FileText, ImageMeta
from app.storage import keys
from tests.conftest import MakeUser, sqlite_only
from tests.files.helpers import png_bytes
from tests.previews.factory import docx_bytes, mp4_bytes, pdf_bytes
from tests.previews.helpers import detail, found, upload

ATRIUM = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "atrium")


async def forget_derived(app: FastAPI, ids: list[uuid.UUID]) -> None:
    """Put the files back as a version without app.previews left them: nothing read yet."""
    factory: async_sessionmaker[AsyncSession] = app.state.session_factory
    async with factory() as session:
        await session.execute(
            sa.update(File)
            .where(File.id.in_(ids))
            .values(derived_version=None, page_count=None, duration_seconds=None, media_width=None)
        )
        await session.execute(sa.update(ImageMeta).where(ImageMeta.file_id.in_(ids)).values(thumbhash=None))
        await session.execute(sa.delete(FileText).where(FileText.file_id.in_(ids)))
        storage_keys = (await session.scalars(sa.select(File.storage_key).where(File.id.in_(ids)))).all()
        await session.commit()
    for storage_key in storage_keys:
        await app.state.storage.delete_prefix(keys.renditions_of(storage_key))


async def run_backfill(app: FastAPI, **options: int) -> tuple[int, bool]:
    factory: async_sessionmaker[AsyncSession] = app.state.session_factory
    async with factory() as session:
        report = await backfill(session, storage=app.state.storage, work=app.state.image_work, **options)
    return report.files, report.complete


async def test_backfill_reads_older_files_in_resumable_batches(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    pdf = await upload(client, alice, pdf_bytes(["archived narwhal"]), "old.pdf")
    docx = await upload(client, alice, docx_bytes(["archived axolotl"]), "old.docx")
    image = await upload(client, alice, png_bytes((80, 40)), "old.png")
    video = await upload(client, alice, mp4_bytes(seconds=1.0), "old.mp4")
    await forget_derived(app, [uuid.UUID(item["id"]) for item in (pdf, docx, image, video)])
    assert await found(client, alice, "narwhal") == []
    assert (await detail(client, alice, image))["image"]["thumbhash"] is None
    assert (await client.get(pdf["urls"]["preview"], headers=alice.headers)).status_code == 404

    assert await run_backfill(app, batch_size=1, max_batches=2) == (2, False)  # stopped early
    assert await run_backfill(app, batch_size=3) == (2, True)  # went on with the other two
    assert await run_backfill(app) == (0, True)  # nothing left: a rerun reads nothing again

    assert await found(client, alice, "narwhal") == ["old.pdf"]
    assert await found(client, alice, "axolotl") == ["old.docx"]
    assert (await detail(client, alice, pdf))["page_count"] == 1
    assert (await detail(client, alice, image))["image"]["thumbhash"] == image["image"]["thumbhash"]
    assert (await detail(client, alice, video))["media"] == video["media"]
    response = await client.get(pdf["urls"]["preview"], headers=alice.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"


@sqlite_only
def test_cleanup_backfill_on_the_command_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'atrium.db'}",
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "ENVIRONMENT": "test",
    }

    def atrium(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        command = [ATRIUM, *args]
        return subprocess.run(command, cwd=tmp_path, env=env, input=stdin, capture_output=True, text=True)

    assert atrium("migrate").returncode == 0
    created = atrium(
        "create-user", "alice", "--email", "a@example.com", "--password-stdin", stdin="pw123456\n"
    )
    assert created.returncode == 0, created.stderr
    source = tmp_path / "source"
    source.mkdir()
    for index in range(3):
        (source / f"doc{index}.pdf").write_bytes(pdf_bytes(["page"] * (index + 1)))
    assert atrium("import", str(source), "--user", "alice").returncode == 0
    with sqlite3.connect(tmp_path / "atrium.db") as db:
        db.execute("UPDATE file SET derived_version = NULL, page_count = NULL")
    stopped = atrium("cleanup", "--backfill", "--batch-size", "2", "--max-batches", "1")
    assert stopped.returncode == 0, stopped.stderr
    assert "read 2 files in 1 batches, stopped early" in stopped.stdout
    finished = atrium("cleanup", "--backfill")
    assert "read 1 files in 1 batches, every file is read" in finished.stdout
    with sqlite3.connect(tmp_path / "atrium.db") as db:
        pages = db.execute("SELECT name, page_count FROM file ORDER BY name").fetchall()
    assert pages == [("doc0.pdf", 1), ("doc1.pdf", 2), ("doc2.pdf", 3)]
