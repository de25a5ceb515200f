"""Albums without images: creation, privacy defaults, visibility to others, nesting."""

import uuid

import httpx

from tests.conftest import MakeUser


async def create_album(
    client: httpx.AsyncClient, headers: dict[str, str], **body: object
) -> dict[str, object]:
    response = await client.post("/api/albums", json={"name": "Trip", **body}, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()
    return data


async def test_create_album_answers_the_contract_fields(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    album = await create_album(client, alice.headers, name="  Summer ", description="beach")
    assert album["name"] == "Summer"
    assert album["description"] == "beach"
    assert album["privacy_setting"] == "private"
    assert album["image_count"] == 0
    assert album["cover_image_id"] is None
    assert album["parent_id"] is None
    assert {"id", "created_at", "updated_at"} <= set(album)


async def test_default_privacy_comes_from_preferences(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    response = await client.patch(
        "/api/auth/user", json={"preferences": {"default_album_privacy": "public"}}, headers=alice.headers
    )
    assert response.status_code == 200, response.text
    assert (await create_album(client, alice.headers))["privacy_setting"] == "public"
    explicit = await create_album(client, alice.headers, privacy_setting="shared")
    assert explicit["privacy_setting"] == "shared"


async def test_create_requires_a_token_and_a_name(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    response = await client.post("/api/albums", json={"name": "x"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    response = await client.post("/api/albums", json={"name": "  "}, headers=alice.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    response = await client.post(
        "/api/albums", json={"name": "x", "privacy_setting": "friends"}, headers=alice.headers
    )
    assert response.status_code == 422


async def test_private_album_is_404_to_others_public_one_is_readable(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    private = await create_album(client, alice.headers, privacy_setting="private")
    public = await create_album(client, alice.headers, privacy_setting="public")
    for headers in (bob.headers, {}):
        response = await client.get(f"/api/albums/{private['id']}", headers=headers)
        assert response.status_code == 404
        assert response.json()["code"] == "album_not_found"
        response = await client.get(f"/api/albums/{public['id']}", headers=headers)
        assert response.status_code == 200
        assert response.json()["image_ids"] == []
    assert (await client.get(f"/api/albums/{private['id']}", headers=alice.headers)).status_code == 200


async def test_others_cannot_change_or_delete(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    album = await create_album(client, alice.headers, privacy_setting="public")
    url = f"/api/albums/{album['id']}"
    assert (await client.put(url, json={"name": "mine"}, headers=bob.headers)).status_code == 404
    assert (await client.delete(url, headers=bob.headers)).status_code == 404
    assert (await client.put(f"{url}/order", json={"image_ids": []}, headers=bob.headers)).status_code == 404
    response = await client.get(url, headers=alice.headers)
    assert response.json()["name"] == "Trip"


async def test_list_own_and_others_public(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await create_album(client, alice.headers, name="a-private", privacy_setting="private")
    await create_album(client, alice.headers, name="a-public", privacy_setting="public")
    await create_album(client, bob.headers, name="b-private")

    own = (await client.get("/api/albums", headers=alice.headers)).json()
    assert own["total"] == 2
    assert {a["name"] for a in own["items"]} == {"a-private", "a-public"}

    for headers in (bob.headers, {}):
        response = await client.get("/api/albums", params={"user_id": alice.id}, headers=headers)
        assert response.status_code == 200
        assert [a["name"] for a in response.json()["items"]] == ["a-public"]
    assert (await client.get("/api/albums")).status_code == 401


async def test_update_fields(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    album = await create_album(client, alice.headers, description="old")
    url = f"/api/albums/{album['id']}"
    response = await client.put(url, json={"name": "New", "privacy_setting": "public"}, headers=alice.headers)
    assert response.status_code == 200
    data = response.json()
    assert (data["name"], data["privacy_setting"], data["description"]) == ("New", "public", "old")
    response = await client.put(url, json={"description": None}, headers=alice.headers)
    assert response.json()["description"] is None
    response = await client.put(url, json={"cover_image_id": str(uuid.uuid4())}, headers=alice.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "cover_not_in_collection"


async def test_nesting_own_albums_only_and_no_cycles(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    top = await create_album(client, alice.headers, name="top")
    child = await create_album(client, alice.headers, name="child", parent_id=top["id"])
    grandchild = await create_album(client, alice.headers, name="grandchild", parent_id=child["id"])
    assert child["parent_id"] == top["id"]

    response = await client.post(
        "/api/albums", json={"name": "x", "parent_id": top["id"]}, headers=bob.headers
    )
    assert response.status_code == 404

    for parent in (grandchild["id"], top["id"]):
        response = await client.put(
            f"/api/albums/{top['id']}", json={"parent_id": parent}, headers=alice.headers
        )
        assert response.status_code == 409
        assert response.json()["code"] == "album_cycle"
    assert (await client.get(f"/api/albums/{top['id']}", headers=alice.headers)).json()["parent_id"] is None

    response = await client.put(
        f"/api/albums/{grandchild['id']}", json={"parent_id": None}, headers=alice.headers
    )
    assert response.json()["parent_id"] is None

    assert (await client.delete(f"/api/albums/{top['id']}", headers=alice.headers)).status_code == 204
    assert (await client.get(f"/api/albums/{child['id']}", headers=alice.headers)).json()["parent_id"] is None
    assert (await client.get(f"/api/albums/{top['id']}", headers=alice.headers)).status_code == 404
