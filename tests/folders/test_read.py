import uuid

import httpx

from tests.conftest import MakeUser
from tests.folders.conftest import MakeFolder, PutFile


async def test_get_folder_has_direct_children_counts_and_path(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder, put_file: PutFile
) -> None:
    alice = await make_user("alice")
    top = await make_folder(alice, "top")
    mid = await make_folder(alice, "mid", top, description="middle")
    sub_b = await make_folder(alice, "b", mid)
    sub_a = await make_folder(alice, "A", mid)
    await make_folder(alice, "deep", sub_a)
    await put_file(alice, mid, 3)
    await put_file(alice, sub_a, 4)

    response = await client.get(f"/api/folders/{mid['id']}", headers=alice.headers)

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["name"], body["description"], body["parent_id"]) == (
        mid["id"],
        "mid",
        "middle",
        top["id"],
    )
    counts = (body["file_count"], body["total_size"], body["direct_file_count"], body["direct_size"])
    assert counts == (2, 7, 1, 3)
    assert body["path"] == [{"id": top["id"], "name": "top"}]
    assert [c["id"] for c in body["children"]] == [sub_a["id"], sub_b["id"]]
    assert body["children"][0]["folder_count"] == 1
    assert body["children"][0]["file_count"] == 1
    assert "children" not in body["children"][0]


async def test_get_unknown_or_foreign_folder_is_404(
    client: httpx.AsyncClient, make_user: MakeUser, make_folder: MakeFolder
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    bobs = await make_folder(bob, "secret")
    for folder_id in (bobs["id"], str(uuid.uuid4())):
        response = await client.get(f"/api/folders/{folder_id}", headers=alice.headers)
        assert response.status_code == 404
        assert response.json()["code"] == "folder_not_found"
    assert (await client.get("/api/folders/not-a-uuid", headers=alice.headers)).status_code == 422
    assert (await client.get(f"/api/folders/{bobs['id']}", headers=bob.headers)).status_code == 200
