"""Artwork upload through the shared pipeline, and the artwork CRUD with its ownership rules."""

import httpx

from app.config import Settings
from app.models import CollectionItem, File
from tests.conftest import MakeUser
from tests.files.conftest import CountRows
from tests.files.helpers import elf_bytes, jpeg_bytes, png_bytes, random_id, stored_blobs
from tests.portfolio.helpers import (
    add_to_gallery,
    create_gallery,
    public_gallery_with,
    upload_artwork,
    upload_artwork_response,
)


async def test_upload_answers_an_artwork_with_portfolio_fields(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    alice = await make_user("alice")
    artwork = await upload_artwork(
        client,
        alice.headers,
        title="Harbour at dusk",
        description="oil study",
        medium="oil on canvas",
        year="2024",
        dimensions="40 x 30 cm",
    )
    assert artwork["title"] == "Harbour at dusk"
    assert artwork["description"] == "oil study"
    assert (artwork["medium"], artwork["year"], artwork["dimensions"]) == (
        "oil on canvas",
        2024,
        "40 x 30 cm",
    )
    assert artwork["kind"] == "image"
    assert artwork["mime_type"] == "image/png"
    assert {"sha256", "size", "urls", "name", "tags"} <= set(artwork)
    assert len(await stored_blobs(settings)) >= 1
    listed = await client.get("/api/artworks", headers=alice.headers)
    assert [a["id"] for a in listed.json()["items"]] == [artwork["id"]]
    assert listed.json()["total"] == 1


async def test_a_plain_upload_is_not_an_artwork(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    from tests.files.helpers import multipart, multipart_headers, part, png_bytes

    alice = await make_user("alice")
    body = multipart([part("files", png_bytes(), filename="photo.png")])
    response = await client.post("/api/upload", content=body, headers=multipart_headers(alice.headers))
    assert response.status_code == 201, response.text
    photo_id = response.json()["files"][0]["id"]
    artwork = await upload_artwork(client, alice.headers)
    listed = (await client.get("/api/artworks", headers=alice.headers)).json()
    assert [a["id"] for a in listed["items"]] == [artwork["id"]]
    assert (await client.get(f"/api/artworks/{photo_id}", headers=alice.headers)).status_code == 404


async def test_non_image_upload_is_415_and_nothing_is_kept(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, count_rows: CountRows
) -> None:
    alice = await make_user("alice")
    damaged_png = png_bytes((40, 30))[:33] + bytes(range(256)) * 4  # a real PNG header, then noise
    for content, name, code in (
        (b"just some words\n" * 20, "notes.txt", "unsupported_type"),
        (elf_bytes(), "tool.png", "type_mismatch"),
        (damaged_png, "broken.png", "not_an_image"),
    ):
        response = await upload_artwork_response(client, alice.headers, content=content, filename=name)
        assert response.status_code == 415, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == code
    assert await count_rows(File) == 0
    assert await stored_blobs(settings) == []


async def test_missing_title_or_bad_year_is_422_and_nothing_is_kept(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, count_rows: CountRows
) -> None:
    alice = await make_user("alice")
    response = await upload_artwork_response(client, alice.headers, title="  ")
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "title"]
    response = await upload_artwork_response(client, alice.headers, year="last spring")
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "year"]
    assert await count_rows(File) == 0
    assert await stored_blobs(settings) == []


async def test_upload_into_a_gallery(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, count_rows: CountRows
) -> None:
    alice = await make_user("alice")
    bob = await make_user("bob")
    gallery = await create_gallery(client, alice.headers)
    artwork = await upload_artwork(client, alice.headers, gallery_id=gallery["id"])
    detail = (await client.get(f"/api/galleries/{gallery['id']}", headers=alice.headers)).json()
    assert detail["artwork_ids"] == [artwork["id"]]

    kept = await stored_blobs(settings)
    response = await upload_artwork_response(client, bob.headers, gallery_id=gallery["id"])
    assert response.status_code == 404
    assert response.json()["code"] == "gallery_not_found"
    assert await count_rows(File) == 1
    assert await stored_blobs(settings) == kept


async def test_owner_updates_an_artwork(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    artwork = await upload_artwork(client, alice.headers, title="Draft", medium="ink")
    response = await client.put(
        f"/api/artworks/{artwork['id']}",
        json={"title": "Final", "medium": None, "year": 1999, "tags": ["Sea", "sea", "dusk"]},
        headers=alice.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["title"], body["medium"], body["year"]) == ("Final", None, 1999)
    assert body["tags"] == ["dusk", "sea"]
    again = (await client.get(f"/api/artworks/{artwork['id']}", headers=alice.headers)).json()
    assert (again["title"], again["medium"], again["year"], again["tags"]) == (
        "Final",
        None,
        1999,
        ["dusk", "sea"],
    )


async def test_others_cannot_see_edit_or_delete_a_private_artwork(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    bob = await make_user("bob")
    artwork = await upload_artwork(client, alice.headers, title="Mine")
    url = f"/api/artworks/{artwork['id']}"
    assert (await client.get(url, headers=bob.headers)).status_code == 404
    assert (await client.get(url)).status_code == 404
    response = await client.put(url, json={"title": "Stolen"}, headers=bob.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "artwork_not_found"
    assert (await client.delete(url, headers=bob.headers)).status_code == 404
    assert (await client.get(url, headers=alice.headers)).json()["title"] == "Mine"


async def test_a_public_artwork_is_seen_by_others_but_not_changeable(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    bob = await make_user("bob")
    _, [artwork] = await public_gallery_with(client, alice.headers)
    url = f"/api/artworks/{artwork['id']}"
    seen = await client.get(url)
    assert seen.status_code == 200
    assert seen.json()["title"] == "Work 0"
    assert not {"sha256", "folder_id", "tags"} & set(seen.json())
    response = await client.put(url, json={"title": "Stolen"}, headers=bob.headers)
    assert response.status_code == 403
    assert response.json()["code"] == "not_owner"
    assert (await client.delete(url, headers=bob.headers)).status_code == 403
    assert (await client.get(url, headers=alice.headers)).json()["title"] == "Work 0"


async def test_deleting_an_artwork_takes_it_out_of_its_galleries_into_the_trash(
    client: httpx.AsyncClient, make_user: MakeUser, count_rows: CountRows
) -> None:
    alice = await make_user("alice")
    gallery, [first, second] = await public_gallery_with(client, alice.headers, count=2)
    other = await create_gallery(client, alice.headers)
    await add_to_gallery(client, alice.headers, other["id"], first["id"])
    response = await client.delete(f"/api/artworks/{first['id']}", headers=alice.headers)
    assert response.status_code == 204
    detail = (await client.get(f"/api/galleries/{gallery['id']}", headers=alice.headers)).json()
    assert detail["artwork_ids"] == [second["id"]]
    assert detail["cover_artwork_id"] == second["id"]
    assert (await client.get(f"/api/galleries/{other['id']}", headers=alice.headers)).json()[
        "artwork_ids"
    ] == []
    assert await count_rows(CollectionItem) == 1
    trash = (await client.get("/api/trash", headers=alice.headers)).json()
    assert [f["id"] for f in trash["items"]] == [first["id"]]
    assert (await client.get(f"/api/artworks/{first['id']}", headers=alice.headers)).status_code == 404
    listed = (await client.get("/api/artworks", headers=alice.headers)).json()
    assert [a["id"] for a in listed["items"]] == [second["id"]]


async def test_permanent_delete_removes_the_bytes(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, count_rows: CountRows
) -> None:
    alice = await make_user("alice")
    artwork = await upload_artwork(client, alice.headers, content=jpeg_bytes((20, 20)))
    response = await client.delete(f"/api/artworks/{artwork['id']}?permanent=true", headers=alice.headers)
    assert response.status_code == 204
    assert await count_rows(File) == 0
    assert await stored_blobs(settings) == []


async def test_unknown_artwork_is_404(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    response = await client.get(f"/api/artworks/{random_id()}", headers=alice.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "artwork_not_found"
