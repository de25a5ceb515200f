"""Galleries: the shared collection service under portfolio names, ownership, visibility, order."""

import httpx

from app.models import CollectionItem, File
from tests.conftest import MakeUser
from tests.files.conftest import CountRows
from tests.portfolio.helpers import create_gallery, public_gallery_with, upload_artwork


async def test_create_defaults_to_private_with_protected_originals(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    gallery = await create_gallery(client, alice.headers, title="  Seascapes ", description="salt")
    assert (gallery["title"], gallery["description"]) == ("Seascapes", "salt")
    assert gallery["visibility"] == "private"
    assert gallery["allow_original_download"] is False
    assert gallery["artwork_count"] == 0
    assert gallery["artist_id"] == alice.id
    response = await client.post(
        "/api/galleries", json={"title": "x", "visibility": "shared"}, headers=alice.headers
    )
    assert response.status_code == 422
    assert (await client.post("/api/galleries", json={"title": "x"})).status_code == 401


async def test_galleries_are_not_albums(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    gallery = await create_gallery(client, alice.headers)
    assert (await client.get(f"/api/albums/{gallery['id']}", headers=alice.headers)).status_code == 404
    assert (await client.get("/api/albums", headers=alice.headers)).json()["total"] == 0


async def test_list_own_and_an_artists_public_ones(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    bob = await make_user("bob")
    public = await create_gallery(client, alice.headers, title="Shown", visibility="public")
    private = await create_gallery(client, alice.headers, title="Hidden")
    own = (await client.get("/api/galleries", headers=alice.headers)).json()
    assert {g["id"] for g in own["items"]} == {public["id"], private["id"]}
    for headers in (bob.headers, {}):
        seen = (await client.get(f"/api/galleries?artist_id={alice.id}", headers=headers)).json()
        assert [g["id"] for g in seen["items"]] == [public["id"]]
        assert seen["total"] == 1
    assert (await client.get("/api/galleries", headers=bob.headers)).json()["total"] == 0
    assert (await client.get("/api/galleries")).status_code == 401


async def test_private_gallery_is_404_to_others_and_anonymous(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    bob = await make_user("bob")
    gallery = await create_gallery(client, alice.headers)
    artwork = await upload_artwork(client, alice.headers, gallery_id=gallery["id"])
    for headers in (bob.headers, {}):
        response = await client.get(f"/api/galleries/{gallery['id']}", headers=headers)
        assert response.status_code == 404
        assert response.json()["code"] == "gallery_not_found"
        assert (await client.get(f"/api/artworks/{artwork['id']}", headers=headers)).status_code == 404
    for method, path, body in (
        ("PUT", "", {"title": "Mine now"}),
        ("DELETE", "", None),
        ("POST", "/artworks", {"artwork_ids": [artwork["id"]]}),
        ("DELETE", f"/artworks/{artwork['id']}", None),
        ("PUT", "/order", {"artwork_ids": [artwork["id"]]}),
    ):
        response = await client.request(
            method, f"/api/galleries/{gallery['id']}{path}", json=body, headers=bob.headers
        )
        assert response.status_code == 404, (method, path, response.text)
    detail = (await client.get(f"/api/galleries/{gallery['id']}", headers=alice.headers)).json()
    assert (detail["title"], detail["artwork_ids"]) == ("Works", [artwork["id"]])


async def test_public_gallery_is_readable_but_not_changeable_by_others(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    bob = await make_user("bob")
    gallery, [artwork] = await public_gallery_with(client, alice.headers)
    bobs = await upload_artwork(client, bob.headers)
    seen = await client.get(f"/api/galleries/{gallery['id']}")
    assert seen.status_code == 200
    assert seen.json()["artwork_ids"] == [artwork["id"]]
    assert seen.json()["artworks"][0]["title"] == "Work 0"
    for method, path, body in (
        ("PUT", "", {"title": "Mine now"}),
        ("DELETE", "", None),
        ("POST", "/artworks", {"artwork_ids": [bobs["id"]]}),
        ("DELETE", f"/artworks/{artwork['id']}", None),
        ("PUT", "/order", {"artwork_ids": [artwork["id"]]}),
    ):
        response = await client.request(
            method, f"/api/galleries/{gallery['id']}{path}", json=body, headers=bob.headers
        )
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["code"] == "not_owner"
    detail = (await client.get(f"/api/galleries/{gallery['id']}", headers=alice.headers)).json()
    assert (detail["title"], detail["artwork_ids"]) == ("Works", [artwork["id"]])


async def test_only_the_callers_artworks_are_added_all_or_nothing(
    client: httpx.AsyncClient, make_user: MakeUser, count_rows: CountRows
) -> None:
    from tests.files.helpers import multipart, multipart_headers, part, png_bytes

    alice = await make_user("alice")
    bob = await make_user("bob")
    gallery = await create_gallery(client, alice.headers)
    mine = await upload_artwork(client, alice.headers)
    theirs = await upload_artwork(client, bob.headers)
    body = multipart([part("files", png_bytes(), filename="plain.png")])
    plain = (await client.post("/api/upload", content=body, headers=multipart_headers(alice.headers))).json()
    for foreign in (theirs["id"], plain["files"][0]["id"]):
        response = await client.post(
            f"/api/galleries/{gallery['id']}/artworks",
            json={"artwork_ids": [mine["id"], foreign]},
            headers=alice.headers,
        )
        assert response.status_code == 404
        assert response.json()["code"] == "artwork_not_found"
    assert await count_rows(CollectionItem) == 0


async def test_order_is_kept_and_can_be_changed(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    gallery, artworks = await public_gallery_with(client, alice.headers, count=3)
    ids = [a["id"] for a in artworks]
    detail = (await client.get(f"/api/galleries/{gallery['id']}")).json()
    assert detail["artwork_ids"] == ids
    assert [a["id"] for a in detail["artworks"]] == ids
    wanted = [ids[2], ids[0], ids[1]]
    response = await client.put(
        f"/api/galleries/{gallery['id']}/order", json={"artwork_ids": wanted}, headers=alice.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["artwork_ids"] == wanted
    assert (await client.get(f"/api/galleries/{gallery['id']}")).json()["artwork_ids"] == wanted
    response = await client.put(
        f"/api/galleries/{gallery['id']}/order", json={"artwork_ids": ids[:2]}, headers=alice.headers
    )
    assert response.status_code == 422
    assert response.json()["code"] == "order_mismatch"
    assert (await client.get(f"/api/galleries/{gallery['id']}")).json()["artwork_ids"] == wanted


async def test_remove_an_artwork_from_a_gallery_keeps_the_artwork(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    gallery, [first, second] = await public_gallery_with(client, alice.headers, count=2)
    url = f"/api/galleries/{gallery['id']}/artworks/{first['id']}"
    assert (await client.delete(url, headers=alice.headers)).status_code == 204
    assert (await client.delete(url, headers=alice.headers)).status_code == 404
    detail = (await client.get(f"/api/galleries/{gallery['id']}")).json()
    assert detail["artwork_ids"] == [second["id"]]
    assert (await client.get(f"/api/artworks/{first['id']}", headers=alice.headers)).status_code == 200


async def test_deleting_a_gallery_keeps_its_artworks(
    client: httpx.AsyncClient, make_user: MakeUser, count_rows: CountRows
) -> None:
    alice = await make_user("alice")
    gallery, artworks = await public_gallery_with(client, alice.headers, count=2)
    assert (await client.delete(f"/api/galleries/{gallery['id']}", headers=alice.headers)).status_code == 204
    assert (await client.get(f"/api/galleries/{gallery['id']}", headers=alice.headers)).status_code == 404
    assert await count_rows(File) == 2
    assert await count_rows(CollectionItem) == 0
    listed = (await client.get("/api/artworks", headers=alice.headers)).json()
    assert {a["id"] for a in listed["items"]} == {a["id"] for a in artworks}
    trash = (await client.get("/api/trash", headers=alice.headers)).json()
    assert trash["total"] == 0


async def test_update_maps_title_and_visibility(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    bob = await make_user("bob")
    gallery = await create_gallery(client, alice.headers)
    response = await client.put(
        f"/api/galleries/{gallery['id']}",
        json={"title": "Open studio", "visibility": "public", "allow_original_download": True},
        headers=alice.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["title"], body["visibility"], body["allow_original_download"]) == (
        "Open studio",
        "public",
        True,
    )
    assert (await client.get(f"/api/galleries/{gallery['id']}", headers=bob.headers)).status_code == 200
