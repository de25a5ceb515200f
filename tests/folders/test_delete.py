import hashlib
import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from app.storage import keys
from tests.conftest import MakeUser, UserHandle
from tests.folders.conftest import MakeFolder, PutFile, Rows


async def delete(
    client: httpx.AsyncClient, user: UserHandle, folder: dict[str, Any], *, recursive: bool | None = None
) -> httpx.Response:
    params = {} if recursive is None else {"recursive": str(recursive).lower()}
    return await client.delete(f"/api/folders/{folder['id']}", params=params, headers=user.headers)


async def stored_original(app: FastAPI, rows: Rows, file_id: str) -> bytes:
    """The file's original as its store holds it (any store)."""
    stored: bytes = await app.state.storage.read_bytes(keys.original((await rows.file(file_id)).storage_key))
    return stored


async def test_delete_empty_folder(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder, rows: Rows
) -> None:
    alice = await make_user("alice")
    keep = await make_folder(alice, "keep")
    gone = await make_folder(alice, "gone")
    response = await delete(client, alice, gone)
    assert response.status_code == 204
    assert response.content == b""
    assert [str(f.id) for f in await rows.folders(alice.id)] == [keep["id"]]
    assert (await client.get(f"/api/folders/{gone['id']}", headers=alice.headers)).status_code == 404


async def test_folder_with_a_subfolder_is_not_empty(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder, rows: Rows
) -> None:
    alice = await make_user("alice")
    parent = await make_folder(alice, "parent")
    await make_folder(alice, "child", parent)
    for recursive in (None, False):
        response = await delete(client, alice, parent, recursive=recursive)
        assert response.status_code == 409
        assert response.json()["code"] == "folder_not_empty"
    assert len(await rows.folders(alice.id)) == 2


async def test_folder_with_a_live_file_is_not_empty(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder, put_file: PutFile, rows: Rows
) -> None:
    alice = await make_user("alice")
    folder = await make_folder(alice, "f")
    file_id = await put_file(alice, folder, 20)
    response = await delete(client, alice, folder)
    assert response.status_code == 409
    assert response.json()["code"] == "folder_not_empty"
    row = await rows.file(file_id)
    assert (str(row.folder_id), row.deleted_at) == (folder["id"], None)
    assert len(await rows.folders(alice.id)) == 1


async def test_folder_with_only_trashed_files_is_empty_and_they_are_detached(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder, put_file: PutFile, rows: Rows
) -> None:
    alice = await make_user("alice")
    folder = await make_folder(alice, "f")
    trashed = await put_file(alice, folder, 20, trashed=True)
    trashed_at = (await rows.file(trashed)).deleted_at

    assert (await delete(client, alice, folder)).status_code == 204

    row = await rows.file(trashed)
    assert (row.folder_id, row.deleted_at) == (None, trashed_at)
    assert await rows.folders(alice.id) == []


async def test_recursive_delete_trashes_every_live_file_and_removes_the_subtree(
    client: httpx.AsyncClient,
    app: FastAPI,
    make_user: MakeUser,
    make_folder: MakeFolder,
    put_file: PutFile,
    rows: Rows,
) -> None:
    alice = await make_user("alice")
    top = await make_folder(alice, "top")
    mid = await make_folder(alice, "mid", top)
    leaf = await make_folder(alice, "leaf", mid)
    sibling = await make_folder(alice, "sibling")
    inside = [await put_file(alice, top, 20), await put_file(alice, mid, 30), await put_file(alice, leaf, 40)]
    already_trashed = await put_file(alice, leaf, 50, trashed=True)
    trashed_at = (await rows.file(already_trashed)).deleted_at
    outside = [await put_file(alice, sibling, 60), await put_file(alice, None, 70)]

    response = await delete(client, alice, top, recursive=True)

    assert response.status_code == 204
    assert [str(f.id) for f in await rows.folders(alice.id)] == [sibling["id"]]
    for file_id in inside:
        row = await rows.file(file_id)
        assert row.deleted_at is not None, "trashed, not purged"
        assert row.folder_id is None, "restore brings it back to the top level"
        assert sorted(await rows.activities(file_id)) == ["delete", "upload"]
        stored = await stored_original(app, rows, file_id)
        assert hashlib.sha256(stored).hexdigest() == row.sha256, "bytes stay on disk"
    old = await rows.file(already_trashed)
    assert (old.deleted_at, old.folder_id) == (trashed_at, None)
    assert (await rows.activities(already_trashed)).count("delete") == 1, "trashed once, not again"
    assert await stored_original(app, rows, already_trashed)  # still stored
    for file_id in outside:
        row = await rows.file(file_id)
        assert row.deleted_at is None
        assert await rows.activities(file_id) == ["upload"]

    tree = (await client.get("/api/folders", headers=alice.headers)).json()
    assert [(n["name"], n["file_count"]) for n in tree] == [("sibling", 1)]


async def test_recursive_delete_of_an_inner_folder_updates_the_parents_counts(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder, put_file: PutFile
) -> None:
    alice = await make_user("alice")
    top = await make_folder(alice, "top")
    inner = await make_folder(alice, "inner", top)
    await put_file(alice, top, 20)
    await put_file(alice, inner, 30)
    assert (await delete(client, alice, inner, recursive=True)).status_code == 204
    body = (await client.get(f"/api/folders/{top['id']}", headers=alice.headers)).json()
    assert (body["file_count"], body["total_size"], body["folder_count"], body["children"]) == (1, 20, 0, [])


async def test_delete_of_unknown_or_foreign_folder_is_404_and_deletes_nothing(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder, put_file: PutFile, rows: Rows
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    bobs = await make_folder(bob, "b")
    bobs_file = await put_file(bob, bobs, 20)
    for target in (bobs, {"id": str(uuid.uuid4())}):
        for recursive in (None, True):
            response = await delete(client, alice, target, recursive=recursive)
            assert response.status_code == 404
            assert response.json()["code"] == "folder_not_found"
    assert len(await rows.folders(bob.id)) == 1
    assert (await rows.file(bobs_file)).deleted_at is None
