"""The usage counters stay equal to a full recount of the file rows after every kind of change."""

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

from app.db import utcnow
from app.library import usage
from app.maintenance import importer
from app.models import File, Folder, Usage, User
from tests.conftest import MakeUser, UserHandle
from tests.files.helpers import png_bytes
from tests.portfolio.helpers import upload_artwork

Counters = tuple[dict[tuple[str, str, bool], tuple[int, int]], dict[str, tuple[int, int]]]


async def counters(app: FastAPI) -> Counters:
    """What the counters say: per (owner, kind, trashed) and per folder (non-zero ones only)."""
    async with app.state.session_factory() as session:
        owners = await session.execute(
            sa.select(Usage.owner_id, Usage.kind, Usage.trashed, Usage.files, Usage.bytes)
        )
        folders = await session.execute(sa.select(Folder.id, Folder.live_files, Folder.live_bytes))
        return (
            {(str(o), k, bool(t)): (n, b) for o, k, t, n, b in owners if n or b},
            {str(f): (n, b) for f, n, b in folders if n or b},
        )


async def recount(app: FastAPI) -> Counters:
    """The same figures counted from every file row."""
    trashed = File.deleted_at.is_not(None)
    async with app.state.session_factory() as session:
        owners = await session.execute(
            sa.select(File.owner_id, File.kind, trashed, sa.func.count(), sa.func.sum(File.size)).group_by(
                File.owner_id, File.kind, trashed
            )
        )
        folders = await session.execute(
            sa.select(File.folder_id, sa.func.count(), sa.func.sum(File.size))
            .where(File.deleted_at.is_(None), File.folder_id.is_not(None))
            .group_by(File.folder_id)
        )
        return {(str(o), k, bool(t)): (n, int(b)) for o, k, t, n, b in owners}, {
            str(f): (n, int(b)) for f, n, b in folders
        }


class Library:
    """Changes the library through the API (and the importer) and checks the counters after each."""

    def __init__(self, app: FastAPI, client: httpx.AsyncClient, user: UserHandle) -> None:
        self.app, self.client, self.user = app, client, user
        self.steps = 0

    async def check(self, step: str) -> None:
        self.steps += 1
        assert await counters(self.app) == await recount(self.app), f"after {step}"
        await self.check_the_api(step)

    async def check_the_api(self, step: str) -> None:
        owner_id = uuid.UUID(self.user.id)
        (owners, _) = await recount(self.app)
        live = [v for (o, _k, t), v in owners.items() if o == self.user.id and not t]
        every = [v for (o, _k, _t), v in owners.items() if o == self.user.id]
        stats = (await self.call("GET", "/api/storage/stats")).json()
        assert (stats["total_files"], stats["total_size"]) == (
            sum(n for n, _ in live),
            sum(b for _, b in live),
        ), step
        assert stats["quota"]["used"] == sum(b for _, b in every), step
        assert sum(f["count"] for f in stats["by_folder"]) == stats["total_files"], step
        me = (await self.call("GET", "/api/auth/user")).json()["stats"]
        assert me["storage_used"] == sum(b for _, b in every), step
        listed = (await self.call("GET", "/api/files", params={"per_page": 1})).json()
        assert listed["total"] == stats["total_files"], step
        async with self.app.state.session_factory() as session:
            assert (await usage.count(session, owner_id=owner_id, trashed=None)).bytes == me["storage_used"]

    async def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = await self.client.request(method, url, headers=self.user.headers, **kwargs)
        assert response.status_code < 300, (method, url, response.text)
        return response

    async def upload(self, *files: tuple[str, bytes], folder: str | None = None) -> list[str]:
        parts = [("files", (name, content)) for name, content in files]
        response = await self.call(
            "POST", "/api/upload", files=parts, data={"folder_id": folder} if folder else {}
        )
        return [file["id"] for file in response.json()["files"]]

    async def folder(self, name: str, parent: str | None = None) -> str:
        response = await self.call("POST", "/api/folders", json={"name": name, "parent_id": parent})
        folder_id: str = response.json()["id"]
        return folder_id


def text(n: int) -> bytes:
    return f"line {n} of a note\n".encode() * (n + 1)


async def test_counters_equal_a_recount_after_every_kind_of_change(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, tmp_path: Path
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    lib = Library(app, client, alice)
    await Library(app, client, bob).upload(("b.txt", text(3)), ("b.png", png_bytes(color="blue")))
    await lib.check("another owner's upload")

    red, note = await lib.upload(("red.png", png_bytes(color="red")), ("note.txt", text(1)))
    await lib.check("upload at the top level")
    top = await lib.folder("top")
    inner = await lib.folder("inner", top)
    green, memo = await lib.upload(("green.png", png_bytes(color="green")), ("memo.txt", text(2)), folder=top)
    (deep,) = await lib.upload(("deep.txt", text(4)), folder=inner)
    await lib.check("upload into folders")

    await lib.call("PUT", f"/api/files/{note}/move", json={"target_folder_id": inner})
    await lib.check("move into a folder")
    await lib.call("PUT", f"/api/files/{memo}/move", json={"target_folder_id": None})
    await lib.check("move to the top level")
    await lib.call(
        "POST", "/api/images/batch", json={"operation": "move", "image_ids": [red, green], "folder_id": inner}
    )
    await lib.check("batch move of images")

    await lib.call("DELETE", f"/api/files/{note}")
    await lib.check("trash")
    await lib.call("POST", f"/api/files/{note}/restore")
    await lib.check("restore")
    await lib.call("DELETE", f"/api/images/{red}")
    await lib.check("trash an image")
    await lib.call("POST", "/api/images/batch", json={"operation": "delete", "image_ids": [green]})
    await lib.check("batch delete of images")
    await lib.call("DELETE", f"/api/files/{memo}", params={"permanent": "true"})
    await lib.check("permanent delete of a live file")
    await lib.call("DELETE", f"/api/files/{red}", params={"permanent": "true"})
    await lib.check("permanent delete of a trashed file")

    art = await upload_artwork(client, alice.headers)
    await lib.check("artwork upload")
    await lib.call("DELETE", f"/api/artworks/{art['id']}")
    await lib.check("artwork to the trash")
    await lib.call("POST", f"/api/files/{art['id']}/restore")
    await lib.call("DELETE", f"/api/artworks/{art['id']}", params={"permanent": "true"})
    await lib.check("artwork deleted for good")

    await lib.call("DELETE", f"/api/folders/{top}", params={"recursive": "true"})
    await lib.check("recursive folder delete")
    await lib.call("POST", f"/api/files/{deep}/restore")
    await lib.check("restore of a file whose folder is gone")

    await import_into(app, alice, tmp_path / "source")
    await lib.check("import")

    (old,) = await lib.upload(("old.txt", text(5)))
    await lib.call("DELETE", f"/api/files/{old}")
    async with app.state.session_factory() as session:  # trashed long ago: the purge takes it
        ago = utcnow() - timedelta(days=365)
        await session.execute(sa.update(File).where(File.id == uuid.UUID(old)).values(deleted_at=ago))
        await session.commit()
    await purge_old_trash(app, client, make_user)
    await lib.check("purge of old trash")

    await lib.call("DELETE", f"/api/files/{deep}")
    await lib.call("DELETE", "/api/trash")
    await lib.check("empty trash")
    assert lib.steps == 20


async def import_into(app: FastAPI, user: UserHandle, root: Path) -> None:
    (root / "trip" / "day one").mkdir(parents=True)
    (root / "top.txt").write_bytes(text(6))
    (root / "trip" / "a.png").write_bytes(png_bytes(color="white"))
    (root / "trip" / "day one" / "b.txt").write_bytes(text(7))
    async with app.state.session_factory() as session:
        owner = await session.get(User, uuid.UUID(user.id))
        assert owner is not None
        report = await importer.import_tree(
            session,
            settings=app.state.settings,
            store=app.state.storage,
            work=app.state.image_work,
            user=owner,
            root=root,
            paths=importer.list_files(root),
        )
    assert report.imported == 3, report


async def purge_old_trash(app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser) -> None:
    root = await make_user("root")
    async with app.state.session_factory() as session:
        await session.execute(sa.update(User).where(User.id == uuid.UUID(root.id)).values(is_admin=True))
        await session.commit()
    response = await client.post("/api/admin/maintenance/purge-trash", headers=root.headers)
    assert response.status_code == 200, response.text
    assert response.json()["purged"] == 1


async def test_the_rebuild_statements_recount_rows_written_straight_into_the_database(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    lib = Library(app, client, alice)
    folder = await lib.folder("f")
    await lib.upload(("a.txt", text(1)), ("b.png", png_bytes()), folder=folder)
    expected = await counters(app)
    async with app.state.session_factory() as session:
        await session.execute(sa.delete(Usage))
        await session.execute(sa.update(Folder).values(live_files=0, live_bytes=0))
        await session.commit()
        for statement in usage.rebuild():
            await session.execute(statement)
        await session.commit()
    assert await counters(app) == expected == await recount(app)


async def test_racing_trashes_and_restores_of_one_file_count_it_once(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    """Each change moves a file only from the state it finds it in, in the statement that writes,
    so requests that race over one file move the counters once."""
    alice = Library(app, client, await make_user("alice"))
    folder = await alice.folder("racing")
    notes = await alice.upload(*[(f"n{n}.txt", text(n)) for n in range(6)], folder=folder)
    for note in notes:
        trashes = [client.delete(f"/api/files/{note}", headers=alice.user.headers) for _ in range(3)]
        assert {response.status_code for response in await asyncio.gather(*trashes)} == {204}
        await alice.check(f"three trashes of {note}")
        restores = [client.post(f"/api/files/{note}/restore", headers=alice.user.headers) for _ in range(3)]
        answers = await asyncio.gather(*restores)
        assert [(answer.status_code, answer.json()["deleted_at"]) for answer in answers] == [(200, None)] * 3
        await alice.check(f"three restores of {note}")


async def test_a_purge_racing_a_trash_of_one_file_counts_it_once(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    """A permanent delete counts the file as it is when its row goes, not as it read it before."""
    alice = Library(app, client, await make_user("alice"))
    folder = await alice.folder("racing")
    notes = await alice.upload(*[(f"n{n}.txt", text(n)) for n in range(6)], folder=folder)
    for note in notes:
        trash = client.delete(f"/api/files/{note}", headers=alice.user.headers)
        purge = client.delete(f"/api/files/{note}", params={"permanent": "true"}, headers=alice.user.headers)
        assert {response.status_code for response in await asyncio.gather(trash, purge)} <= {204, 404}
        await alice.check(f"a trash and a purge of {note}")
