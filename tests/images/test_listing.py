"""GET /api/images filters and sorting; GET /api/tags."""

import httpx

from tests.conftest import MakeUser
from tests.gallery import add_to_album, create_album, upload


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_filters(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    canon = await upload(client, alice, "c.jpg", camera=("Canon", "EOS R5"), taken="2024:05:01 10:00:00")
    nikon = await upload(
        client, alice, "n.jpg", camera=("NIKON CORPORATION", "Z 6"), taken="2023:01:01 08:00:00"
    )
    plain = await upload(client, alice, "p.png")
    await upload(client, alice, "notes.txt", data=b"not an image\n" * 3)
    album = await create_album(client, alice)
    await add_to_album(client, alice, album["id"], [nikon["id"]])
    await client.put(f"/api/images/{plain['id']}", json={"tags": ["Sea", "sky"]}, headers=alice.headers)

    async def get(**params: str) -> list[str]:
        return ids(await client.get("/api/images", params=params, headers=alice.headers))

    assert set(await get()) == {canon["id"], nikon["id"], plain["id"]}
    assert await get(camera="canon") == [canon["id"]]
    assert await get(camera="z 6") == [nikon["id"]]
    assert await get(album_id=album["id"]) == [nikon["id"]]
    assert await get(tag="sea") == [plain["id"]]
    assert await get(taken_after="2024-01-01T00:00:00Z") == [canon["id"]]
    assert await get(taken_before="2024-01-01T00:00:00Z") == [nikon["id"]]
    assert await get(sort="taken_at", order="asc") == [nikon["id"], canon["id"], plain["id"]]
    assert await get(sort="name", order="asc") == [canon["id"], nikon["id"], plain["id"]]


async def test_sort_by_views(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    a = await upload(client, alice, "a.png")
    b = await upload(client, alice, "b.png", color=(1, 2, 3))
    for _ in range(2):
        await client.get(f"/api/images/{b['id']}", headers=alice.headers)
    response = await client.get("/api/images", params={"sort": "view_count"}, headers=alice.headers)
    assert ids(response) == [b["id"], a["id"]]
    bad = await client.get("/api/images", params={"sort": "sha256"}, headers=alice.headers)
    assert bad.status_code == 422


async def test_another_users_public_images_only(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    shown = await upload(client, alice, "shown.png")
    await upload(client, alice, "hidden.png", color=(9, 9, 9))
    public = await create_album(client, alice, privacy_setting="public")
    await add_to_album(client, alice, public["id"], [shown["id"]])
    for headers in (bob.headers, {}):
        response = await client.get("/api/images", params={"user_id": alice.id}, headers=headers)
        assert ids(response) == [shown["id"]]
    assert (await client.get("/api/images")).status_code == 401
    assert ids(await client.get("/api/images", headers=bob.headers)) == []
    # a private album's listing is closed to others
    private = await create_album(client, alice)
    response = await client.get("/api/images", params={"album_id": private["id"]}, headers=bob.headers)
    assert response.status_code == 404


async def test_tags_counts_and_prefix(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    a = await upload(client, alice, "a.png")
    b = await upload(client, alice, "b.png", color=(1, 1, 1))
    c = await upload(client, bob, "c.png")
    await client.put(f"/api/images/{a['id']}", json={"tags": ["beach", "Sunset"]}, headers=alice.headers)
    await client.put(f"/api/images/{b['id']}", json={"tags": ["beach", "bear"]}, headers=alice.headers)
    await client.put(f"/api/images/{c['id']}", json={"tags": ["beach"]}, headers=bob.headers)
    response = await client.get("/api/tags", headers=alice.headers)
    assert response.json() == [
        {"name": "beach", "count": 2},
        {"name": "bear", "count": 1},
        {"name": "sunset", "count": 1},
    ]
    response = await client.get("/api/tags", params={"prefix": "BE"}, headers=alice.headers)
    assert response.json() == [{"name": "beach", "count": 2}, {"name": "bear", "count": 1}]
    assert (await client.get("/api/tags", params={"prefix": "%"}, headers=alice.headers)).json() == []
    await client.delete(f"/api/images/{b['id']}", headers=alice.headers)
    response = await client.get("/api/tags", params={"prefix": "be"}, headers=alice.headers)
    assert response.json() == [{"name": "beach", "count": 1}]
    assert (await client.get("/api/tags")).status_code == 401
