from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event

from tests.conftest import MakeUser, UserHandle
from tests.files.helpers import png_bytes
from tests.folders.conftest import MakeFolder, PutFile


def shape(nodes: list[dict[str, Any]]) -> list[Any]:
    return [(node["name"], shape(node["children"])) for node in nodes]


def find(nodes: list[dict[str, Any]], name: str) -> dict[str, Any]:
    for node in nodes:
        if node["name"] == name:
            return node
        try:
            return find(node["children"], name)
        except LookupError:
            continue
    raise LookupError(name)


async def tree_of(client: httpx.AsyncClient, user: UserHandle) -> list[dict[str, Any]]:
    response = await client.get("/api/folders", headers=user.headers)
    assert response.status_code == 200, response.text
    nodes: list[dict[str, Any]] = response.json()
    return nodes


async def test_tree_nests_children_sorted_by_name(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder
) -> None:
    alice = await make_user("alice")
    work = await make_folder(alice, "work")
    photos = await make_folder(alice, "Photos")
    await make_folder(alice, "2025", photos)
    y2024 = await make_folder(alice, "2024", photos)
    await make_folder(alice, "summer", y2024)
    await make_folder(alice, "reports", work)

    tree = await tree_of(client, alice)

    assert shape(tree) == [
        ("Photos", [("2024", [("summer", [])]), ("2025", [])]),
        ("work", [("reports", [])]),
    ]
    assert tree[0]["parent_id"] is None
    assert tree[0]["children"][0]["parent_id"] == photos["id"]
    assert tree[0]["folder_count"] == 2
    assert set(tree[0]) >= {"id", "name", "description", "parent_id", "file_count", "total_size", "children"}


async def test_tree_counts_are_recursive_with_direct_counts_beside(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder, put_file: PutFile
) -> None:
    alice = await make_user("alice")
    top = await make_folder(alice, "top")
    mid = await make_folder(alice, "mid", top)
    leaf = await make_folder(alice, "leaf", mid)
    image = await make_folder(alice, "image", top)
    await make_folder(alice, "empty", image)
    await put_file(alice, top, 10)
    await put_file(alice, mid, 100)
    await put_file(alice, mid, 200)
    await put_file(alice, leaf, 1000)
    await put_file(alice, leaf, 5000, trashed=True)  # trash does not count
    await put_file(alice, None, 7)  # top-level files belong to no folder
    png = png_bytes()
    uploaded = await client.post(
        "/api/upload",
        files={"files": ("dot.png", png, "image/png")},
        data={"folder_id": image["id"]},
        headers=alice.headers,
    )
    assert uploaded.status_code == 201, uploaded.text

    tree = await tree_of(client, alice)

    counts = {
        name: (n["file_count"], n["total_size"], n["direct_file_count"], n["direct_size"])
        for name in ("top", "mid", "leaf", "image", "empty")
        for n in [find(tree, name)]
    }
    assert counts == {
        "top": (5, 1310 + len(png), 1, 10),
        "mid": (3, 1300, 2, 300),
        "leaf": (1, 1000, 1, 1000),
        "image": (1, len(png), 1, len(png)),
        "empty": (0, 0, 0, 0),
    }


async def test_tree_holds_only_the_callers_folders_and_files(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder, put_file: PutFile
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    shared_name = await make_folder(alice, "same")
    await put_file(alice, shared_name, 5)
    bobs = await make_folder(bob, "same")
    await put_file(bob, bobs, 50)
    await make_folder(bob, "bob only", bobs)

    alice_tree = await tree_of(client, alice)
    assert shape(alice_tree) == [("same", [])]
    assert (alice_tree[0]["file_count"], alice_tree[0]["total_size"]) == (1, 5)
    carol = await make_user("carol")
    assert await tree_of(client, carol) == []


async def test_tree_takes_the_same_number_of_queries_for_many_folders(
    client: httpx.AsyncClient, app: FastAPI, make_user: MakeUser, make_folder: MakeFolder, put_file: PutFile
) -> None:
    alice = await make_user("alice")
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    async def queries_for_tree() -> int:
        statements.clear()
        event.listen(app.state.engine.sync_engine, "before_cursor_execute", count)
        try:
            await tree_of(client, alice)
        finally:
            event.remove(app.state.engine.sync_engine, "before_cursor_execute", count)
        return sum(1 for s in statements if "folder" in s.lower() or "FROM file" in s)

    parent = await make_folder(alice, "a")
    await put_file(alice, parent, 2)
    few = await queries_for_tree()
    for i in range(12):
        parent = await make_folder(alice, f"n{i}", parent)
        await put_file(alice, parent, 2)
    many = await queries_for_tree()

    assert few == many == 1  # the folders carry their counters: no scan of the files
    assert find(await tree_of(client, alice), "a")["file_count"] == 13
