"""The owner's side of share links: create (only their own things), list, read, change, revoke."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import MakeUser
from tests.files.helpers import jpeg_bytes, png_bytes, random_id, upload
from tests.shares.helpers import album_with, make_folder, share

pytestmark = pytest.mark.anyio


async def test_a_link_to_an_album_has_the_share_shape_and_a_random_token(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    album, _ = await album_with(client, alice, [("a.png", png_bytes())])
    created = await share(client, alice, album_id=album["id"], description="For the family", max_downloads=3)
    assert created["target"] == {"type": "album", "id": album["id"], "name": "Holiday"}
    assert created["url"] == f"http://testserver/s/{created['token']}"
    assert len(created["token"]) >= 22
    assert created["token"].replace("-", "").replace("_", "").isalnum()
    assert created["has_password"] is False
    assert "password" not in created
    assert "password_hash" not in created
    assert created["allow_download"] is True
    assert created["show_metadata"] is True
    assert (created["max_downloads"], created["download_count"], created["view_count"]) == (3, 0, 0)
    other = await share(client, alice, album_id=album["id"])
    assert other["token"] != created["token"]
    listed = (await client.get("/api/shares", headers=alice.headers)).json()
    assert listed["total"] == 2
    assert {s["id"] for s in listed["items"]} == {created["id"], other["id"]}
    one = await client.get(f"/api/shares/{created['id']}", headers=alice.headers)
    assert one.status_code == 200
    assert one.json()["description"] == "For the family"


async def test_links_to_folders_galleries_and_files(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    folder_id = await make_folder(client, alice, "Client work")
    assert (await share(client, alice, folder_id=folder_id))["target"]["name"] == "Client work"
    gallery = (await client.post("/api/galleries", json={"title": "Prints"}, headers=alice.headers)).json()
    assert (await share(client, alice, gallery_id=gallery["id"]))["target"]["type"] == "gallery"
    files = [await upload(client, alice, jpeg_bytes(), f"{i}.jpg") for i in range(2)]
    made = await share(client, alice, file_ids=[f["id"] for f in files])
    assert made["target"] == {"type": "files", "id": None, "name": "2 files"}


async def test_only_the_callers_own_things_can_be_shared(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    album, files = await album_with(client, alice, [("a.png", png_bytes())])
    folder_id = await make_folder(client, alice, "Mine")
    cases = [
        ({"album_id": album["id"]}, "album_not_found"),
        ({"folder_id": folder_id}, "folder_not_found"),
        ({"file_ids": [files[0]["id"]]}, "file_not_found"),
        ({"album_id": random_id()}, "album_not_found"),
        ({"gallery_id": album["id"]}, "gallery_not_found"),  # an album is no gallery
    ]
    for body, code in cases:
        response = await client.post("/api/shares", json=body, headers=bob.headers)
        assert (response.status_code, response.json()["code"]) == (404, code), body
    mixed = {"file_ids": [files[0]["id"], random_id()]}
    assert (await client.post("/api/shares", json=mixed, headers=alice.headers)).status_code == 404
    assert (await client.get("/api/shares", headers=bob.headers)).json()["total"] == 0


async def test_exactly_one_target_and_a_token_are_required(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    album, files = await album_with(client, alice, [("a.png", png_bytes())])
    for body in ({}, {"album_id": album["id"], "file_ids": [files[0]["id"]]}, {"file_ids": []}):
        response = await client.post("/api/shares", json=body, headers=alice.headers)
        assert response.status_code == 422, body
    assert (await client.post("/api/shares", json={"album_id": album["id"]})).status_code == 401


async def test_another_users_links_are_404_to_read_change_or_revoke(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    album, _ = await album_with(client, alice, [("a.png", png_bytes())])
    link = await share(client, alice, album_id=album["id"])
    for method, body in (("GET", None), ("PATCH", {"description": "mine"}), ("DELETE", None)):
        response = await client.request(method, f"/api/shares/{link['id']}", json=body, headers=bob.headers)
        assert (response.status_code, response.json()["code"]) == (404, "share_not_found")
    assert (await client.get(f"/api/s/{link['token']}")).status_code == 200


async def test_patch_changes_options_and_null_removes_them(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    album, _ = await album_with(client, alice, [("a.png", png_bytes())])
    soon = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    link = await share(
        client, alice, album_id=album["id"], password="secret words", expires_at=soon, max_downloads=2
    )
    assert link["has_password"] is True
    assert link["expires_at"] is not None
    changed = await client.patch(
        f"/api/shares/{link['id']}",
        json={"allow_download": False, "show_metadata": False, "description": "new"},
        headers=alice.headers,
    )
    assert changed.status_code == 200
    body = changed.json()
    assert (body["allow_download"], body["show_metadata"], body["description"]) == (False, False, "new")
    assert body["has_password"] is True
    assert body["max_downloads"] == 2
    cleared = await client.patch(
        f"/api/shares/{link['id']}",
        json={"password": None, "expires_at": None, "max_downloads": None},
        headers=alice.headers,
    )
    body = cleared.json()
    assert (body["has_password"], body["expires_at"], body["max_downloads"]) == (False, None, None)
    bad = await client.patch(
        f"/api/shares/{link['id']}", json={"allow_download": None}, headers=alice.headers
    )
    assert bad.status_code == 422


async def test_delete_revokes_the_link_at_once(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    album, files = await album_with(client, alice, [("a.png", png_bytes())])
    link = await share(client, alice, album_id=album["id"])
    assert (await client.get(f"/api/s/{link['token']}")).status_code == 200
    assert (await client.delete(f"/api/shares/{link['id']}", headers=alice.headers)).status_code == 204
    for path in ("", f"/files/{files[0]['id']}/download", f"/files/{files[0]['id']}/thumbnail", "/zip"):
        response = await client.get(f"/api/s/{link['token']}{path}")
        assert (response.status_code, response.json()["code"]) == (404, "share_not_found"), path
    assert (await client.get(f"/api/shares/{link['id']}", headers=alice.headers)).status_code == 404


async def test_deleting_the_album_deletes_its_links(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    album, _ = await album_with(client, alice, [("a.png", png_bytes())])
    link = await share(client, alice, album_id=album["id"])
    assert (await client.delete(f"/api/albums/{album['id']}", headers=alice.headers)).status_code == 204
    assert (await client.get(f"/api/s/{link['token']}")).status_code == 404
    assert (await client.get("/api/shares", headers=alice.headers)).json()["total"] == 0
