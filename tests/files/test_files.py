import uuid
from typing import Any

import httpx
from sqlalchemy import select

from app.config import Settings
from app.models import Activity, File, FileTag, Folder
from tests.conftest import MakeUser, UserHandle
from tests.files.conftest import CountRows
from tests.files.helpers import (
    delete_blobs,
    jpeg_bytes,
    multipart,
    multipart_headers,
    part,
    png_bytes,
    put_blob,
    read_blobs,
    stored_blobs,
)


async def upload(client: httpx.AsyncClient, user: UserHandle, data: bytes, name: str) -> dict[str, Any]:
    body = multipart([part("files", data, filename=name)])
    response = await client.post("/api/upload", headers=multipart_headers(user.headers), content=body)
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()["files"][0]
    return item


async def make_folder(app: Any, owner_id: str, name: str = "docs") -> str:
    async with app.state.session_factory() as session:
        folder = Folder(owner_id=uuid.UUID(owner_id), name=name)
        session.add(folder)
        await session.commit()
        return str(folder.id)


async def names(client: httpx.AsyncClient, user: UserHandle, **params: Any) -> list[str]:
    response = await client.get("/api/files", headers=user.headers, params=params)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def test_list_filters_sort_and_paginate(
    client: httpx.AsyncClient, make_user: MakeUser, app: Any
) -> None:
    alice = await make_user()
    bob = await make_user("bob")
    await upload(client, alice, png_bytes(), "b.png")
    await upload(client, alice, b"some text here\n" * 100, "a.txt")
    small = await upload(client, alice, jpeg_bytes(), "c.jpg")
    await upload(client, bob, b"bob's text\n", "bob.txt")

    assert await names(client, alice, sort="name", order="asc") == ["a.txt", "b.png", "c.jpg"]
    assert await names(client, alice, sort="name", order="desc") == ["c.jpg", "b.png", "a.txt"]
    assert (await names(client, alice, sort="size", order="desc"))[0] == "a.txt"
    assert await names(client, alice, type="image", sort="name", order="asc") == ["b.png", "c.jpg"]
    assert await names(client, alice, type="image/jpeg") == ["c.jpg"]
    assert await names(client, alice, type="text") == ["a.txt"]
    assert await names(client, alice, min_size=1000) == ["a.txt"]
    assert "c.jpg" in await names(client, alice, max_size=small["size"])
    assert "c.jpg" not in await names(client, alice, max_size=small["size"] - 1)
    assert await names(client, alice, folder_id="root", sort="name", order="asc") == [
        "a.txt",
        "b.png",
        "c.jpg",
    ]
    assert await names(client, alice, created_after="2999-01-01T00:00:00Z") == []
    assert len(await names(client, alice, created_before="2999-01-01T00:00:00Z")) == 3
    # A timestamp without an offset is read as UTC (it once answered 500).
    assert await names(client, alice, created_after="2999-01-01T00:00:00") == []
    assert len(await names(client, alice, created_after="2000-01-01T00:00:00")) == 3

    page = (await client.get("/api/files", headers=alice.headers, params={"per_page": 2, "page": 2})).json()
    assert page["total"] == 3
    assert page["page"] == 2
    assert page["per_page"] == 2
    assert len(page["items"]) == 1

    bad_sort = await client.get("/api/files", headers=alice.headers, params={"sort": "owner_id"})
    assert bad_sort.status_code == 422
    assert bad_sort.json()["code"] == "validation_error"


async def test_patch_tags_and_tag_filter(
    client: httpx.AsyncClient, make_user: MakeUser, count_rows: CountRows
) -> None:
    alice = await make_user()
    item = await upload(client, alice, b"notes\n", "notes.txt")
    response = await client.patch(
        f"/api/files/{item['id']}",
        headers=alice.headers,
        json={
            "name": "../renamed.txt",
            "title": "My notes",
            "description": "d",
            "tags": ["Work", "work ", "  urgent  ", ""],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "renamed.txt"
    assert body["title"] == "My notes"
    assert body["tags"] == ["urgent", "work"]
    assert await count_rows(FileTag) == 2
    assert await names(client, alice, tag="WORK") == ["renamed.txt"]
    assert await names(client, alice, tag="other") == []

    too_long = await client.patch(
        f"/api/files/{item['id']}", headers=alice.headers, json={"tags": ["x" * 65]}
    )
    assert too_long.status_code == 422
    too_many = await client.patch(
        f"/api/files/{item['id']}", headers=alice.headers, json={"tags": [f"t{i}" for i in range(51)]}
    )
    assert too_many.status_code == 422
    assert await count_rows(FileTag) == 2

    renamed = await client.patch(
        f"/api/files/{item['id']}", headers=alice.headers, json={"name": "final.txt"}
    )
    assert renamed.status_code == 200, renamed.text
    stored = (await client.get(f"/api/files/{item['id']}", headers=alice.headers)).json()
    fields = ("name", "title", "description", "tags", "updated_at")
    assert {key: renamed.json()[key] for key in fields} == {key: stored[key] for key in fields}
    assert stored["name"] == "final.txt"
    assert stored["tags"] == ["urgent", "work"]


async def test_move_into_own_folder_only(client: httpx.AsyncClient, make_user: MakeUser, app: Any) -> None:
    alice = await make_user()
    bob = await make_user("bob")
    item = await upload(client, alice, b"notes\n", "notes.txt")
    folder = await make_folder(app, alice.id)
    bobs = await make_folder(app, bob.id)
    moved = await client.put(
        f"/api/files/{item['id']}/move", headers=alice.headers, json={"target_folder_id": folder}
    )
    assert moved.status_code == 200
    assert moved.json()["folder_id"] == folder
    assert await names(client, alice, folder_id=folder) == ["notes.txt"]
    assert await names(client, alice, folder_id="root") == []

    foreign = await client.put(
        f"/api/files/{item['id']}/move", headers=alice.headers, json={"target_folder_id": bobs}
    )
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "folder_not_found"
    back = await client.put(
        f"/api/files/{item['id']}/move", headers=alice.headers, json={"target_folder_id": None}
    )
    assert back.json()["folder_id"] is None

    body = multipart([part("folder_id", bobs.encode()), part("files", b"x\n", filename="x.txt")])
    refused = await client.post("/api/upload", headers=multipart_headers(alice.headers), content=body)
    assert refused.status_code == 404
    body = multipart([part("files", b"x\n", filename="x.txt"), part("folder_id", folder.encode())])
    accepted = await client.post("/api/upload", headers=multipart_headers(alice.headers), content=body)
    assert accepted.json()["files"][0]["folder_id"] == folder


async def test_trash_restore_and_purge(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, app: Any, count_rows: CountRows
) -> None:
    alice = await make_user()
    keep = await upload(client, alice, b"keep\n", "keep.txt")
    gone = await upload(client, alice, png_bytes(), "gone.png")
    assert (await client.get(gone["urls"]["preview"], headers=alice.headers)).status_code == 200
    assert len(await stored_blobs(settings)) == 3  # two originals and a thumbnail

    bob = await make_user("bob")
    not_bobs = await client.delete(f"/api/files/{gone['id']}", headers=bob.headers)
    assert not_bobs.status_code == 404
    assert not_bobs.json()["code"] == "file_not_found"
    deleted = await client.delete(f"/api/files/{gone['id']}", headers=alice.headers)
    assert deleted.status_code == 204
    assert await names(client, alice) == ["keep.txt"]
    again = await client.delete(f"/api/files/{gone['id']}", headers=alice.headers)
    assert again.status_code == 204  # already in the trash: nothing more happens (one "delete" below)
    unknown = await client.delete(f"/api/files/{uuid.uuid4()}", headers=alice.headers)
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "file_not_found"
    trash = (await client.get("/api/trash", headers=alice.headers)).json()
    assert [item["name"] for item in trash["items"]] == ["gone.png"]
    assert trash["items"][0]["deleted_at"] is not None
    assert (await client.get(gone["urls"]["download"], headers=alice.headers)).status_code == 404

    restored = await client.post(f"/api/files/{gone['id']}/restore", headers=alice.headers)
    assert restored.status_code == 200
    assert restored.json()["deleted_at"] is None
    assert sorted(await names(client, alice)) == ["gone.png", "keep.txt"]

    await client.delete(f"/api/files/{gone['id']}", headers=alice.headers)
    purged = await client.delete("/api/trash", headers=alice.headers)
    assert purged.status_code == 204
    assert (await client.get("/api/trash", headers=alice.headers)).json()["total"] == 0
    assert await count_rows(File) == 1
    assert await read_blobs(settings, await stored_blobs(settings)) == [b"keep\n"]

    permanent = await client.delete(
        f"/api/files/{keep['id']}", headers=alice.headers, params={"permanent": "true"}
    )
    assert permanent.status_code == 204
    assert await stored_blobs(settings) == []
    assert await count_rows(File) == 0
    async with app.state.session_factory() as session:
        actions = (await session.scalars(select(Activity.action).order_by(Activity.id))).all()
    assert actions.count("delete") == 2
    assert actions.count("restore") == 1
    assert actions.count("purge") == 2


async def test_detail_reports_missing_bytes(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    alice = await make_user()
    item = await upload(client, alice, b"will vanish\n", "v.txt")
    (stored,) = await stored_blobs(settings)
    await put_blob(settings, stored, b"short")
    assert (await client.get(f"/api/files/{item['id']}", headers=alice.headers)).json()[
        "integrity"
    ] == "size_mismatch"
    await delete_blobs(settings, [stored])
    detail = (await client.get(f"/api/files/{item['id']}", headers=alice.headers)).json()
    assert detail["integrity"] == "missing"
    assert detail["sha256"] == item["sha256"]
    download = await client.get(item["urls"]["download"], headers=alice.headers)
    assert download.status_code == 404
    assert download.json()["code"] == "content_missing"
