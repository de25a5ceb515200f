"""Galleries share the visibility rule; an owner's watermark marks what others see."""

import uuid

import httpx
from fastapi import FastAPI

from app.models import Collection, CollectionItem, User
from tests.conftest import MakeUser
from tests.gallery import Rows, create_album, upload


async def put_in_public_gallery(app: FastAPI, owner_id: str, image_id: str) -> str:
    """Galleries are made by the portfolio's routes (another branch); the row is the same table."""
    async with Rows(app).session() as session:
        gallery = Collection(owner_id=uuid.UUID(owner_id), kind="gallery", name="Works", visibility="public")
        session.add(gallery)
        await session.flush()
        session.add(CollectionItem(collection_id=gallery.id, file_id=uuid.UUID(image_id), position=0))
        await session.commit()
        return str(gallery.id)


async def test_image_in_public_gallery_is_public_but_galleries_are_not_albums(
    client: httpx.AsyncClient, make_user: MakeUser, app: FastAPI
) -> None:
    alice = await make_user("alice")
    image = await upload(client, alice)
    assert (await client.get(f"/api/images/{image['id']}")).status_code == 404
    gallery_id = await put_in_public_gallery(app, alice.id, image["id"])
    assert (await client.get(f"/api/images/{image['id']}")).status_code == 200
    assert (await client.get(f"/api/images/{image['id']}/thumbnail")).status_code == 200
    assert (await client.get(f"/api/albums/{gallery_id}", headers=alice.headers)).status_code == 404
    assert (await client.get("/api/albums", headers=alice.headers)).json()["total"] == 0
    response = await client.put(f"/api/albums/{gallery_id}", json={"name": "x"}, headers=alice.headers)
    assert response.status_code == 404


async def test_watermark_marks_what_others_see(
    client: httpx.AsyncClient, make_user: MakeUser, app: FastAPI
) -> None:
    alice = await make_user("alice")
    image = await upload(client, alice, size=(600, 400), color=(30, 30, 30))
    album = await create_album(client, alice, privacy_setting="public")
    await client.post(
        f"/api/albums/{album['id']}/images", json={"image_ids": [image["id"]]}, headers=alice.headers
    )
    async with Rows(app).session() as session:
        owner = await session.get(User, uuid.UUID(alice.id))
        assert owner is not None
        owner.watermark = {"text": "(c) alice", "opacity": 0.9, "position": "center"}
        await session.commit()

    base = f"/api/images/{image['id']}"
    for path, params in (("/thumbnail", {"size": "medium"}), ("/render", {"w": "300"})):
        mine = await client.get(base + path, params=params, headers=alice.headers)
        theirs = await client.get(base + path, params=params)
        assert (mine.status_code, theirs.status_code) == (200, 200)
        assert mine.content != theirs.content, path
        assert mine.headers["etag"] != theirs.headers["etag"]
    small_mine = await client.get(base + "/thumbnail", headers=alice.headers)
    small_theirs = await client.get(base + "/thumbnail")
    assert small_mine.content == small_theirs.content  # small thumbnails are never marked


async def test_head_and_public_download_counts(
    client: httpx.AsyncClient, make_user: MakeUser, app: FastAPI
) -> None:
    alice = await make_user("alice")
    image = await upload(client, alice)
    album = await create_album(client, alice, privacy_setting="public")
    await client.post(
        f"/api/albums/{album['id']}/images", json={"image_ids": [image["id"]]}, headers=alice.headers
    )
    head = await client.head(f"/api/images/{image['id']}/thumbnail")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == "image/webp"
    download = await client.get(f"/api/images/{image['id']}/download")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment")
    assert (await Rows(app).file(image["id"])).download_count == 1
    ranged = await client.get(f"/api/images/{image['id']}/download", headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206
    assert len(ranged.content) == 10
