import uuid
from typing import Any

import httpx
import pytest

from app.folders.service import MAX_FOLDER_DEPTH
from tests.conftest import MakeUser, UserHandle
from tests.folders.conftest import MakeFolder, Rows

pytestmark = pytest.mark.anyio


async def patch(
    client: httpx.AsyncClient, user: UserHandle, folder: dict[str, Any], body: dict[str, Any]
) -> httpx.Response:
    return await client.patch(f"/api/folders/{folder['id']}", json=body, headers=user.headers)


async def parents(rows: Rows, user: UserHandle) -> dict[str, str | None]:
    return {f.name: str(f.parent_id) if f.parent_id else None for f in await rows.folders(user.id)}


async def test_rename(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder, rows: Rows
) -> None:
    alice = await make_user("alice")
    folder = await make_folder(alice, "old", description="kept")
    response = await patch(client, alice, folder, {"name": " new "})
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["description"], body["parent_id"]) == ("new", "kept", None)
    assert body["updated_at"] >= folder["updated_at"]
    assert [f.name for f in await rows.folders(alice.id)] == ["new"]


async def test_rename_to_a_siblings_name_is_409(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder, rows: Rows
) -> None:
    alice = await make_user("alice")
    await make_folder(alice, "Taken")
    folder = await make_folder(alice, "mine")
    response = await patch(client, alice, folder, {"name": "TAKEN"})
    assert response.status_code == 409
    assert response.json()["code"] == "folder_exists"
    assert sorted(f.name for f in await rows.folders(alice.id)) == ["Taken", "mine"]


async def test_changing_only_the_case_of_a_name_is_allowed(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder
) -> None:
    alice = await make_user("alice")
    folder = await make_folder(alice, "photos")
    response = await patch(client, alice, folder, {"name": "Photos"})
    assert response.status_code == 200
    assert response.json()["name"] == "Photos"


async def test_invalid_or_null_name_is_422(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder
) -> None:
    alice = await make_user("alice")
    folder = await make_folder(alice, "f")
    for body in ({"name": ".."}, {"name": "a/b"}, {"name": None}, {"name": ""}, {"bogus": 1}):
        response = await patch(client, alice, folder, body)
        assert response.status_code == 422, body
        assert response.json()["code"] == "validation_error"


async def test_description_set_and_cleared(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder
) -> None:
    alice = await make_user("alice")
    folder = await make_folder(alice, "f")
    assert (await patch(client, alice, folder, {"description": "d"})).json()["description"] == "d"
    assert (await patch(client, alice, folder, {"name": "g"})).json()["description"] == "d"
    assert (await patch(client, alice, folder, {"description": None})).json()["description"] is None


async def test_move_into_another_folder_and_back_to_the_top(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder, rows: Rows
) -> None:
    alice = await make_user("alice")
    target = await make_folder(alice, "target")
    folder = await make_folder(alice, "mover")
    await make_folder(alice, "inner", folder)

    moved = await patch(client, alice, folder, {"parent_id": target["id"]})
    assert moved.status_code == 200
    assert moved.json()["parent_id"] == target["id"]
    assert moved.json()["path"] == [{"id": target["id"], "name": "target"}]
    assert (await parents(rows, alice))["mover"] == target["id"]

    renamed = await patch(client, alice, folder, {"name": "renamed"})  # no parent_id: stays
    assert renamed.json()["parent_id"] == target["id"]

    back = await patch(client, alice, folder, {"parent_id": None})
    assert back.status_code == 200
    assert back.json()["parent_id"] is None
    assert (await parents(rows, alice)) == {"target": None, "renamed": None, "inner": folder["id"]}


async def test_move_and_rename_together(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder
) -> None:
    alice = await make_user("alice")
    target = await make_folder(alice, "target")
    await make_folder(alice, "clash", target)
    folder = await make_folder(alice, "clash")
    response = await patch(client, alice, folder, {"parent_id": target["id"], "name": "clash 2"})
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["parent_id"]) == ("clash 2", target["id"])


async def test_move_onto_a_name_clash_is_409(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder, rows: Rows
) -> None:
    alice = await make_user("alice")
    target = await make_folder(alice, "target")
    await make_folder(alice, "Docs", target)
    folder = await make_folder(alice, "docs")
    response = await patch(client, alice, folder, {"parent_id": target["id"]})
    assert response.status_code == 409
    assert response.json()["code"] == "folder_exists"
    assert (await parents(rows, alice))["docs"] is None


async def test_move_into_itself_is_a_cycle(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder, rows: Rows
) -> None:
    alice = await make_user("alice")
    folder = await make_folder(alice, "f")
    response = await patch(client, alice, folder, {"parent_id": folder["id"]})
    assert response.status_code == 409
    assert response.json()["code"] == "folder_cycle"
    assert (await parents(rows, alice)) == {"f": None}


async def test_move_into_a_deep_descendant_is_a_cycle(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder, rows: Rows
) -> None:
    alice = await make_user("alice")
    chain = [await make_folder(alice, "level0")]
    for level in range(1, 25):
        chain.append(await make_folder(alice, f"level{level}", chain[-1]))
    before = await parents(rows, alice)

    for source, target in [(chain[0], chain[-1]), (chain[0], chain[1]), (chain[5], chain[20])]:
        response = await patch(client, alice, source, {"parent_id": target["id"]})
        assert response.status_code == 409, (source["name"], target["name"])
        assert response.json()["code"] == "folder_cycle"
    assert await parents(rows, alice) == before

    # Moving down a sibling branch or up the chain is fine.
    ok = await patch(client, alice, chain[20], {"parent_id": chain[2]["id"]})
    assert ok.status_code == 200


async def test_move_to_unknown_or_foreign_parent_is_404(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder, rows: Rows
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    folder = await make_folder(alice, "f")
    bobs = await make_folder(bob, "b")
    for parent_id in (bobs["id"], str(uuid.uuid4())):
        response = await patch(client, alice, folder, {"parent_id": parent_id})
        assert response.status_code == 404
        assert response.json()["code"] == "folder_not_found"
    assert (await parents(rows, alice)) == {"f": None}
    assert (await parents(rows, bob)) == {"b": None}


async def test_patch_of_a_foreign_folder_is_404_and_changes_nothing(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder, rows: Rows
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    bobs = await make_folder(bob, "b")
    response = await patch(client, alice, bobs, {"name": "hijacked"})
    assert response.status_code == 404
    assert response.json()["code"] == "folder_not_found"
    assert [f.name for f in await rows.folders(bob.id)] == ["b"]


async def test_nesting_is_bounded(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder, rows: Rows
) -> None:
    alice = await make_user("alice")
    chain = [await make_folder(alice, "d1")]
    for level in range(2, MAX_FOLDER_DEPTH + 1):
        chain.append(await make_folder(alice, f"d{level}", chain[-1]))
    too_deep = await client.post(
        "/api/folders", json={"name": "over", "parent_id": chain[-1]["id"]}, headers=alice.headers
    )
    assert too_deep.status_code == 422
    assert too_deep.json()["code"] == "folder_too_deep"

    # A two-level subtree moved under the next-to-last level would reach MAX + 1.
    other = await make_folder(alice, "other")
    await make_folder(alice, "other child", other)
    moved = await patch(client, alice, other, {"parent_id": chain[-2]["id"]})
    assert moved.status_code == 422
    assert moved.json()["code"] == "folder_too_deep"
    assert (await parents(rows, alice))["other"] is None
    assert (await patch(client, alice, other, {"parent_id": chain[-3]["id"]})).status_code == 200
    assert (await client.get("/api/folders", headers=alice.headers)).status_code == 200
