"""One rule: the owner reads their image; anyone reads an image in a public album; else 404."""

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.models import Activity
from tests.conftest import MakeUser
from tests.gallery import Rows, add_to_album, create_album, upload

READS = ("", "/thumbnail", "/render?w=32", "/download")


async def test_private_image_is_404_to_others_and_anonymous(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    image = await upload(client, alice)
    private = await create_album(client, alice, privacy_setting="private")
    await add_to_album(client, alice, private["id"], [image["id"]])
    for suffix in READS:
        url = f"/api/images/{image['id']}{suffix}"
        assert (await client.get(url, headers=alice.headers)).status_code == 200, suffix
        for headers in (bob.headers, {}):
            response = await client.get(url, headers=headers)
            assert response.status_code == 404, suffix
            assert response.json()["code"] == "image_not_found"


async def test_image_in_public_album_is_readable_without_token(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    image = await upload(client, alice)
    album = await create_album(client, alice, privacy_setting="public")
    await add_to_album(client, alice, album["id"], [image["id"]])
    for suffix in READS:
        for headers in (bob.headers, {}):
            response = await client.get(f"/api/images/{image['id']}{suffix}", headers=headers)
            assert response.status_code == 200, suffix
    response = await client.get(f"/api/images/{image['id']}/download")
    assert (
        response.content
        == (await client.get(f"/api/files/{image['id']}/download", headers=alice.headers)).content
    )

    # made private again: gone for everyone but alice
    await client.put(f"/api/albums/{album['id']}", json={"privacy_setting": "private"}, headers=alice.headers)
    for suffix in READS:
        assert (await client.get(f"/api/images/{image['id']}{suffix}")).status_code == 404
    # and others cannot change it even while public
    await client.put(f"/api/albums/{album['id']}", json={"privacy_setting": "public"}, headers=alice.headers)
    url = f"/api/images/{image['id']}"
    assert (await client.put(url, json={"title": "mine"}, headers=bob.headers)).status_code == 404
    assert (await client.delete(url, headers=bob.headers)).status_code == 404


async def test_detail_counts_views_and_records_activity(
    client: httpx.AsyncClient, make_user: MakeUser, app: FastAPI
) -> None:
    alice = await make_user("alice")
    image = await upload(client, alice, size=(40, 30))
    url = f"/api/images/{image['id']}"
    first = (await client.get(url, headers=alice.headers)).json()
    second = (await client.get(url, headers=alice.headers)).json()
    assert (first["view_count"], second["view_count"]) == (1, 2)
    assert second["image"]["width"] == 40
    assert second["image"]["height"] == 30
    assert (await Rows(app).file(image["id"])).view_count == 2
    async with (await Rows(app).settled()).session() as session:
        views = list(await session.scalars(select(Activity).where(Activity.action == "view")))
    assert len(views) == 2
    assert {str(v.file_id) for v in views} == {image["id"]}


async def test_non_images_are_not_images(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    text = await upload(client, alice, "notes.txt", data=b"plain words\n" * 5)
    assert (await client.get(f"/api/images/{text['id']}", headers=alice.headers)).status_code == 404
