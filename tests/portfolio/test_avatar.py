"""GET /api/artists/{id}/avatar: the avatar's small thumbnail for anyone, 404 without an avatar."""

import io

import httpx
from PIL import Image

from tests.conftest import MakeUser
from tests.files.helpers import png_bytes, random_id
from tests.portfolio.helpers import plain_upload


async def test_avatar_is_the_small_thumbnail(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    image_id = await plain_upload(client, alice.headers, png_bytes((600, 300), "navy"), "me.png")
    response = await client.put("/api/artists/me", json={"avatar_file_id": image_id}, headers=alice.headers)
    assert response.status_code == 200

    url = (await client.get(f"/api/artists/{alice.id}")).json()["avatar_url"]
    assert url == f"/api/artists/{alice.id}/avatar"
    response = await client.get(url)  # no token
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["cache-control"] == "public, no-cache"
    with Image.open(io.BytesIO(response.content)) as thumb:
        assert (thumb.format, thumb.size) == ("WEBP", (256, 128))
    preview = await client.get(f"/api/files/{image_id}/preview", headers=alice.headers)
    assert response.content == preview.content  # the one thumbnail the files made

    etag = response.headers["etag"]
    again = await client.get(url, headers={"If-None-Match": etag})
    assert (again.status_code, again.content) == (304, b"")
    head = await client.head(url)
    assert (head.status_code, head.content, head.headers["etag"]) == (200, b"", etag)


async def test_avatar_changes_with_the_profile(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    first = await plain_upload(client, alice.headers, png_bytes((64, 64), "red"), "a.png")
    second = await plain_upload(client, alice.headers, png_bytes((64, 32), "green"), "b.png")
    url = f"/api/artists/{alice.id}/avatar"
    await client.put("/api/artists/me", json={"avatar_file_id": first}, headers=alice.headers)
    before = await client.get(url)
    await client.put("/api/artists/me", json={"avatar_file_id": second}, headers=alice.headers)
    after = await client.get(url)
    assert before.status_code == after.status_code == 200
    assert before.headers["etag"] != after.headers["etag"]
    with Image.open(io.BytesIO(after.content)) as thumb:
        assert thumb.size == (64, 32)


async def test_no_avatar_is_404(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    url = f"/api/artists/{alice.id}/avatar"
    response = await client.get(url)
    assert (response.status_code, response.json()["code"]) == (404, "avatar_not_found")
    response = await client.get(f"/api/artists/{random_id()}/avatar")
    assert (response.status_code, response.json()["code"]) == (404, "artist_not_found")

    image_id = await plain_upload(client, alice.headers, png_bytes(), "me.png")
    await client.put("/api/artists/me", json={"avatar_file_id": image_id}, headers=alice.headers)
    assert (await client.get(url)).status_code == 200
    assert (await client.delete(f"/api/files/{image_id}", headers=alice.headers)).status_code == 204
    response = await client.get(url)  # a trashed avatar is no avatar
    assert (response.status_code, response.json()["code"]) == (404, "avatar_not_found")
    assert (await client.get(f"/api/artists/{alice.id}")).json()["avatar_url"] is None
