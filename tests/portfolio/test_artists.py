"""Artist profiles and the public artist page (no token, no private data, a fixed statement count)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event

from tests.conftest import MakeUser
from tests.files.helpers import random_id
from tests.portfolio.helpers import create_gallery, plain_upload, public_gallery_with, upload_artwork


async def test_update_profile(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    artwork = await upload_artwork(client, alice.headers)
    body = {
        "display_name": "Alice Liddell",
        "bio": "Paints the sea.",
        "website": "https://alice.example/",
        "avatar_file_id": artwork["id"],
        "watermark": {"text": "© Alice", "opacity": 0.4, "position": "center"},
    }
    response = await client.put("/api/artists/me", json=body, headers=alice.headers)
    assert response.status_code == 200, response.text
    profile = response.json()
    assert profile["display_name"] == "Alice Liddell"
    assert profile["website"] == "https://alice.example/"
    assert profile["avatar_file_id"] == artwork["id"]
    assert profile["avatar_url"]
    assert profile["watermark"] == {"text": "© Alice", "opacity": 0.4, "position": "center"}
    response = await client.put(
        "/api/artists/me", json={"watermark": None, "bio": None}, headers=alice.headers
    )
    assert (response.json()["watermark"], response.json()["bio"]) == (None, None)
    me = (await client.get("/api/artists/me", headers=alice.headers)).json()
    assert (me["display_name"], me["watermark"], me["bio"]) == ("Alice Liddell", None, None)


async def test_profile_rejects_foreign_avatars_non_images_and_odd_websites(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    bob = await make_user("bob")
    bobs = await upload_artwork(client, bob.headers)
    text_id = await plain_upload(client, alice.headers, b"a note\n" * 10, "note.txt")
    for avatar, status, code in ((bobs["id"], 404, "file_not_found"), (random_id(), 404, "file_not_found")):
        response = await client.put("/api/artists/me", json={"avatar_file_id": avatar}, headers=alice.headers)
        assert (response.status_code, response.json()["code"]) == (status, code)
    response = await client.put("/api/artists/me", json={"avatar_file_id": text_id}, headers=alice.headers)
    assert (response.status_code, response.json()["code"]) == (422, "avatar_not_an_image")
    for website in ("ftp://alice.example/", "javascript:alert(1)", "alice.example"):
        response = await client.put("/api/artists/me", json={"website": website}, headers=alice.headers)
        assert response.status_code == 422, website
    for watermark in ({"text": ""}, {"text": "x", "opacity": 3}, {"text": "x", "position": "middle"}):
        response = await client.put("/api/artists/me", json={"watermark": watermark}, headers=alice.headers)
        assert response.status_code == 422, watermark
    me = (await client.get("/api/artists/me", headers=alice.headers)).json()
    assert (me["avatar_file_id"], me["website"], me["watermark"]) == (None, None, None)
    assert (await client.put("/api/artists/me", json={"bio": "x"})).status_code == 401


async def test_artist_page_is_public_and_shows_only_public_galleries_in_order(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    await client.put(
        "/api/artists/me",
        json={"display_name": "Alice", "bio": "b", "watermark": {"text": "© A"}},
        headers=alice.headers,
    )
    gallery, artworks = await public_gallery_with(client, alice.headers, count=3)
    ids = [a["id"] for a in artworks]
    reordered = [ids[1], ids[2], ids[0]]
    await client.put(
        f"/api/galleries/{gallery['id']}/order", json={"artwork_ids": reordered}, headers=alice.headers
    )
    hidden = await create_gallery(client, alice.headers, title="Sketchbook")
    await upload_artwork(client, alice.headers, title="Secret", gallery_id=hidden["id"])

    response = await client.get(f"/api/artists/{alice.id}")
    assert response.status_code == 200, response.text
    page = response.json()
    assert (page["id"], page["username"], page["display_name"], page["bio"]) == (
        alice.id,
        "alice",
        "Alice",
        "b",
    )
    assert [g["id"] for g in page["galleries"]] == [gallery["id"]]
    shown = page["galleries"][0]["artworks"]
    assert [a["id"] for a in shown] == reordered
    assert shown[0]["urls"]["thumbnail"]["medium"] == f"/api/images/{reordered[0]}/thumbnail?size=medium"
    assert shown[0]["urls"]["download"] is None
    assert "alice@example.com" not in response.text
    for private in ("email", "watermark", "sha256", "Secret", "Sketchbook"):
        assert private not in response.text


async def test_unknown_artist_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/artists/{random_id()}")
    assert response.status_code == 404
    assert response.json()["code"] == "artist_not_found"


@contextmanager
def count_statements(app: FastAPI) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_artist_page_runs_a_fixed_number_of_statements(
    client: httpx.AsyncClient, make_user: MakeUser, app: FastAPI
) -> None:
    small = await make_user("small")
    await public_gallery_with(client, small.headers, count=1)
    big = await make_user("big")
    for _ in range(3):
        await public_gallery_with(client, big.headers, count=5)
    with count_statements(app) as for_small:
        response = await client.get(f"/api/artists/{small.id}")
    assert len(response.json()["galleries"]) == 1
    with count_statements(app) as for_big:
        response = await client.get(f"/api/artists/{big.id}")
    assert [len(g["artworks"]) for g in response.json()["galleries"]] == [5, 5, 5]
    assert len(for_small) == len(for_big), (for_small, for_big)
    assert 0 < len(for_big) <= 4
