"""The FTS index follows every kind of edit, whichever code path writes the rows."""

import sqlite3
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from alembic import command
from app.config import Settings
from app.db import utcnow
from app.migrate import alembic_config, upgrade
from app.models import File, FileTag, FileText, ImageMeta
from tests.conftest import MakeUser, UserHandle, sqlite_only
from tests.search.conftest import AddFile

pytestmark = pytest.mark.anyio

Sessions = async_sessionmaker[AsyncSession]


async def found(client: httpx.AsyncClient, user: UserHandle, q: str) -> list[str]:
    response = await client.get("/api/search", params={"q": q}, headers=user.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def index_rows(sessions: Sessions) -> tuple[int, int]:
    """(index rows, rowid-map rows) on SQLite, (tsvector rows, the same) on PostgreSQL: both must
    equal the number of files."""
    async with sessions() as session:
        if session.get_bind().dialect.name == "postgresql":
            rows = (await session.execute(text("SELECT count(*) FROM file_search"))).scalar_one()
            return rows, rows
        fts = (await session.execute(text("SELECT count(*) FROM file_fts"))).scalar_one()
        docs = (await session.execute(text("SELECT count(*) FROM search_doc"))).scalar_one()
        return fts, docs


@pytest.fixture
async def alice(make_user: MakeUser) -> UserHandle:
    return await make_user("alice")


async def test_rename_title_and_description_are_reindexed(
    client: httpx.AsyncClient, alice: UserHandle, add_file: AddFile, session_factory: Sessions
) -> None:
    file_id = await add_file(alice.id, "before.txt")
    async with session_factory() as session:
        await session.execute(
            update(File)
            .where(File.id == file_id)
            .values(name="after.txt", title="heron", description="egret")
        )
        await session.commit()
    assert await found(client, alice, "before") == []
    for word in ("after", "heron", "egret"):
        assert await found(client, alice, word) == [str(file_id)]


async def test_tag_edits_are_reindexed(
    client: httpx.AsyncClient, alice: UserHandle, add_file: AddFile, session_factory: Sessions
) -> None:
    file_id = await add_file(alice.id, "x.txt", tags=("alpha",))
    assert await found(client, alice, "alpha") == [str(file_id)]
    async with session_factory() as session:
        await session.execute(delete(FileTag).where(FileTag.file_id == file_id, FileTag.name == "alpha"))
        session.add(FileTag(file_id=file_id, owner_id=uuid.UUID(alice.id), name="beta"))
        await session.commit()
    assert await found(client, alice, "alpha") == []
    assert await found(client, alice, "beta") == [str(file_id)]


async def test_text_and_camera_edits_are_reindexed(
    client: httpx.AsyncClient, alice: UserHandle, add_file: AddFile, session_factory: Sessions
) -> None:
    file_id = await add_file(alice.id, "x.jpg", text="oldtext", camera=("Canon", "EOS R5", "RF50"))
    async with session_factory() as session:
        await session.execute(update(FileText).where(FileText.file_id == file_id).values(content="newtext"))
        await session.execute(
            update(ImageMeta).where(ImageMeta.file_id == file_id).values(camera_make="Nikon")
        )
        await session.commit()
    assert await found(client, alice, "oldtext") == []
    assert await found(client, alice, "canon") == []
    assert await found(client, alice, "newtext nikon") == [str(file_id)]
    async with session_factory() as session:
        await session.execute(delete(FileText).where(FileText.file_id == file_id))
        await session.commit()
    assert await found(client, alice, "newtext") == []


async def test_trash_hides_and_restore_shows(
    client: httpx.AsyncClient, alice: UserHandle, add_file: AddFile, session_factory: Sessions
) -> None:
    file_id = await add_file(alice.id, "gone.txt")
    async with session_factory() as session:
        await session.execute(update(File).where(File.id == file_id).values(deleted_at=utcnow()))
        await session.commit()
    assert await found(client, alice, "gone") == []
    async with session_factory() as session:
        await session.execute(update(File).where(File.id == file_id).values(deleted_at=None))
        await session.commit()
    assert await found(client, alice, "gone") == [str(file_id)]


async def test_permanent_delete_removes_the_index_row(
    client: httpx.AsyncClient,
    alice: UserHandle,
    add_file: AddFile,
    session_factory: Sessions,
    settings: Settings,
) -> None:
    keep = await add_file(alice.id, "keep word.txt", tags=("t",), text="word", camera=("a", "b", "c"))
    drop = await add_file(alice.id, "drop word.txt", tags=("t", "u"), text="word", camera=("a", "b", "c"))
    assert await index_rows(session_factory) == (2, 2)
    async with session_factory() as session:
        await session.delete(await session.get(File, drop))
        await session.commit()
    assert await index_rows(session_factory) == (1, 1)
    assert await found(client, alice, "word") == [str(keep)]
    async with session_factory() as session:
        assert (await session.execute(select(FileTag).where(FileTag.file_id == drop))).first() is None


MIRROR_DIFFERS = (
    "SELECT count(*) FROM file f LEFT JOIN search_doc d ON d.file_id = f.id"
    " WHERE d.id IS NULL OR d.owner_id IS NOT f.owner_id OR d.created_at IS NOT f.created_at"
    " OR d.deleted_at IS NOT f.deleted_at"
)


@sqlite_only
async def test_search_doc_mirrors_owner_creation_and_trash(
    client: httpx.AsyncClient, make_user: MakeUser, add_file: AddFile, session_factory: Sessions
) -> None:
    """The unfiltered search reads owner, trash and tie order from search_doc alone (search02)."""
    alice, bob = await make_user("alice"), await make_user("bob")
    kept, trashed = await add_file(alice.id, "mirror a.txt"), await add_file(alice.id, "mirror b.txt")
    await add_file(bob.id, "mirror c.txt", deleted_at=utcnow())
    async with session_factory() as session:
        await session.execute(update(File).where(File.id == trashed).values(deleted_at=utcnow()))
        older = utcnow().replace(year=2001)
        await session.execute(update(File).where(File.id == kept).values(created_at=older))
        await session.commit()
        assert (await session.execute(text(MIRROR_DIFFERS))).scalar_one() == 0
    assert await found(client, alice, "mirror") == [str(kept)]
    assert await found(client, bob, "mirror") == []
    async with session_factory() as session:
        await session.execute(update(File).where(File.id == trashed).values(deleted_at=None))
        await session.commit()
        assert (await session.execute(text(MIRROR_DIFFERS))).scalar_one() == 0
    assert await found(client, alice, "mirror") == [str(trashed), str(kept)]  # equal scores: newest first


def test_migration_indexes_files_that_already_exist(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0001")
    user_id, file_id = uuid.uuid4().hex, uuid.uuid4().hex
    with sqlite3.connect(tmp_path / "old.db") as db:
        db.execute(
            "INSERT INTO user (id, username, username_key, email, password_hash, is_admin, preferences,"
            " created_at, updated_at)"
            " VALUES (?, 'u', 'u', 'u@x.io', 'h', 0, '{}', '2026-01-01', '2026-01-01')",
            (user_id,),
        )
        db.execute(
            "INSERT INTO file (id, owner_id, name, storage_key, mime_type, kind, size, sha256, created_at,"
            " updated_at, download_count, view_count, is_artwork)"
            " VALUES (?, ?, 'legacy.txt', 'k', 'text/plain', 'text', 1, 's',"
            " '2026-01-01', '2026-01-01', 0, 0, 0)",
            (file_id, user_id),
        )
        db.execute("INSERT INTO file_tag (file_id, name) VALUES (?, 'oldtag')", (file_id,))
    upgrade(url)
    with sqlite3.connect(tmp_path / "old.db") as db:
        hits = db.execute(
            "SELECT d.file_id FROM file_fts JOIN search_doc d ON d.id = file_fts.rowid"
            ' WHERE file_fts MATCH \'"legacy" AND "oldtag"\''
        ).fetchall()
    assert hits == [(file_id,)]
    with sqlite3.connect(tmp_path / "old.db") as db:
        assert db.execute(MIRROR_DIFFERS).fetchone() == (0,)
    command.downgrade(alembic_config(url), "compress01")  # search_doc as it was, still in step
    with sqlite3.connect(tmp_path / "old.db") as db:
        assert [row[1] for row in db.execute("PRAGMA table_info(search_doc)")] == ["id", "file_id"]
        db.execute(
            "INSERT INTO file (id, owner_id, name, storage_key, mime_type, kind, size, sha256, created_at,"
            " updated_at, download_count, view_count, is_artwork)"
            " SELECT ?, owner_id, 'later.txt', 'k2', mime_type, kind, size, sha256, created_at,"
            " updated_at, 0, 0, 0 FROM file",
            (uuid.uuid4().hex,),
        )
        later = db.execute(
            "SELECT count(*) FROM file_fts JOIN search_doc d ON d.id = file_fts.rowid"
            " WHERE file_fts MATCH 'later'"
        ).fetchone()
    assert later == (1,)
