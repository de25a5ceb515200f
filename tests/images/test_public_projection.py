"""Visitors of a public image see what it shows, never the owner's private metadata."""

import io
from typing import Any

import httpx
from PIL import Image

from app.images.schemas import PUBLIC_EXIF
from tests.conftest import MakeUser, UserHandle
from tests.gallery import add_to_album, create_album, upload
from tests.images.factory import camera_exif

PRIVATE_FIELDS = {"sha256", "folder_id", "duplicate_of", "download_count", "tags", "deleted_at"}


def photo_with_gps() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(buffer, "JPEG", exif=camera_exif())
    return buffer.getvalue()


async def public_photo(client: httpx.AsyncClient, alice: UserHandle) -> tuple[dict[str, Any], dict[str, Any]]:
    """A photo with GPS, tags, a folder and a duplicate, in a public album."""
    data = photo_with_gps()
    await upload(client, alice, "first.jpg", data=data)
    image = await upload(client, alice, "photo.jpg", data=data)
    assert image["duplicate_of"] is not None
    folder = (await client.post("/api/folders", json={"name": "clients"}, headers=alice.headers)).json()
    move = {"target_folder_id": folder["id"]}
    assert (
        await client.put(f"/api/files/{image['id']}/move", json=move, headers=alice.headers)
    ).status_code == 200
    tags = {"tags": ["client-acme-nda"]}
    assert (
        await client.put(f"/api/images/{image['id']}", json=tags, headers=alice.headers)
    ).status_code == 200
    album = await create_album(client, alice, privacy_setting="public")
    await add_to_album(client, alice, album["id"], [image["id"]])
    return image, album


def assert_public_projection(item: dict[str, Any]) -> None:
    assert not PRIVATE_FIELDS & item.keys(), item
    exif = item["image"]["exif"]
    assert set(exif) <= PUBLIC_EXIF
    assert "gps_latitude" not in exif
    assert "gps_longitude" not in exif
    assert (exif["camera_make"], exif["f_number"], exif["iso"]) == ("Canon", 2.8, 400)
    assert item["urls"]["download"] == f"/api/images/{item['id']}/download"


async def test_visitors_see_the_public_projection_on_every_read_path(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    image, album = await public_photo(client, alice)
    for headers in ({}, bob.headers):
        detail = await client.get(f"/api/images/{image['id']}", headers=headers)
        assert detail.status_code == 200
        assert_public_projection(detail.json())
        listing = await client.get("/api/images", params={"user_id": alice.id}, headers=headers)
        assert [i["id"] for i in listing.json()["items"]] == [image["id"]]
        assert_public_projection(listing.json()["items"][0])
        in_album = await client.get("/api/images", params={"album_id": album["id"]}, headers=headers)
        assert_public_projection(in_album.json()["items"][0])
        album_detail = await client.get(f"/api/albums/{album['id']}", headers=headers)
        assert_public_projection(album_detail.json()["images"][0])

    owner = (await client.get(f"/api/images/{image['id']}", headers=alice.headers)).json()
    assert owner["tags"] == ["client-acme-nda"]
    assert owner["sha256"] == image["sha256"]
    assert owner["folder_id"] is not None
    assert owner["duplicate_of"] == image["duplicate_of"]
    assert owner["image"]["exif"]["gps_latitude"] < 0
    owner_album = (await client.get(f"/api/albums/{album['id']}", headers=alice.headers)).json()
    assert owner_album["images"][0]["tags"] == ["client-acme-nda"]


async def test_visitors_cannot_probe_tags_through_the_filter(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    image, album = await public_photo(client, alice)
    for params in ({"user_id": alice.id}, {"album_id": album["id"]}):
        response = await client.get("/api/images", params={**params, "tag": "client-acme-nda"})
        assert response.status_code == 400
        assert response.json()["code"] == "tag_filter_private"
        own = await client.get(
            "/api/images", params={**params, "tag": "client-acme-nda"}, headers=alice.headers
        )
        assert [i["id"] for i in own.json()["items"]] == [image["id"]]
