"""Every way a file leaves for the trash (or for good) takes it out of its albums and moves covers on."""

import asyncio

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.models import Activity
from tests.conftest import MakeUser, UserHandle
from tests.gallery import Rows, add_to_album, create_album, make_image, upload_many


async def album_with_cover(client: httpx.AsyncClient, user: UserHandle, ids: list[str], cover: str) -> str:
    album = await create_album(client, user)
    await add_to_album(client, user, album["id"], ids)
    url = f"/api/albums/{album['id']}"
    response = await client.put(url, json={"cover_image_id": cover}, headers=user.headers)
    assert response.json()["cover_image_id"] == cover
    return url


async def test_file_delete_of_a_cover_moves_the_cover_and_restore_keeps_it_out(
    client: httpx.AsyncClient, make_user: MakeUser, app: FastAPI
) -> None:
    alice = await make_user("alice")
    a, b, c = await upload_many(client, alice, 3)
    url = await album_with_cover(client, alice, [a, b, c], cover=a)

    assert (await client.delete(f"/api/files/{a}", headers=alice.headers)).status_code == 204
    data = (await client.get(url, headers=alice.headers)).json()
    assert (data["cover_image_id"], data["image_ids"], data["image_count"]) == (b, [b, c], 2)
    assert await Rows(app).items(url.rsplit("/", 1)[1]) == [b, c]
    async with Rows(app).session() as session:
        actions = list(await session.scalars(select(Activity.action).where(Activity.action == "delete")))
    assert actions == ["delete"]

    assert (await client.post(f"/api/files/{a}/restore", headers=alice.headers)).status_code == 200
    data = (await client.get(url, headers=alice.headers)).json()
    assert (data["cover_image_id"], data["image_ids"]) == (b, [b, c])


async def test_permanent_file_delete_of_a_cover_moves_the_cover(
    client: httpx.AsyncClient, make_user: MakeUser, app: FastAPI
) -> None:
    alice = await make_user("alice")
    a, b, c = await upload_many(client, alice, 3)
    url = await album_with_cover(client, alice, [a, b, c], cover=b)

    response = await client.delete(f"/api/files/{b}", params={"permanent": "true"}, headers=alice.headers)
    assert response.status_code == 204
    data = (await client.get(url, headers=alice.headers)).json()
    assert (data["cover_image_id"], data["image_ids"]) == (a, [a, c])
    collection = await Rows(app).collection(url.rsplit("/", 1)[1])
    assert collection is not None
    assert str(collection.cover_file_id) == a


async def test_recursive_folder_delete_takes_its_images_out_of_albums(
    client: httpx.AsyncClient, make_user: MakeUser, app: FastAPI
) -> None:
    alice = await make_user("alice")
    folder = await client.post("/api/folders", json={"name": "trip"}, headers=alice.headers)
    response = await client.post(
        "/api/upload",
        files={"files": ("in-folder.png", make_image(color=(1, 2, 3)))},
        data={"folder_id": folder.json()["id"]},
        headers=alice.headers,
    )
    inside = response.json()["files"][0]["id"]
    (outside,) = await upload_many(client, alice, 1)
    url = await album_with_cover(client, alice, [inside, outside], cover=inside)

    folder_url = f"/api/folders/{folder.json()['id']}"
    response = await client.delete(folder_url, params={"recursive": "true"}, headers=alice.headers)
    assert response.status_code == 204
    data = (await client.get(url, headers=alice.headers)).json()
    assert (data["cover_image_id"], data["image_ids"]) == (outside, [outside])
    assert await Rows(app).items(url.rsplit("/", 1)[1]) == [outside]
    assert (await Rows(app).file(inside)).deleted_at is not None


async def test_a_trash_racing_an_add_never_leaves_a_trashed_cover(
    client: httpx.AsyncClient, make_user: MakeUser, app: FastAPI
) -> None:
    """The trash picks new covers inside its write, so an add that makes the file a cover at the
    same moment is seen by it, or sees the file trashed."""
    alice = await make_user("alice")
    images = await upload_many(client, alice, 8)
    for image in images:
        album = await create_album(client, alice)
        trashed, added = await asyncio.gather(
            client.delete(f"/api/files/{image}", headers=alice.headers),
            add_to_album(client, alice, album["id"], [image]),
        )
        assert trashed.status_code == 204
        assert added.status_code in (200, 404), added.text
        collection = await Rows(app).collection(album["id"])
        assert collection is not None
        assert collection.cover_file_id is None, (image, added.status_code)
        assert await Rows(app).items(album["id"]) == []


async def test_a_trash_and_a_purge_of_one_album_image_racing_both_answer(
    client: httpx.AsyncClient, make_user: MakeUser, app: FastAPI
) -> None:
    """Both take the file's row before its album items, so neither waits on the other crosswise
    (on PostgreSQL that was a deadlock, and one of them a 500)."""
    alice = await make_user("alice")
    images = await upload_many(client, alice, 6)
    album = await create_album(client, alice)
    await add_to_album(client, alice, album["id"], images)
    for image in images:
        url = f"/api/files/{image}"
        trashed, purged = await asyncio.gather(
            client.delete(url, headers=alice.headers),
            client.delete(url, params={"permanent": "true"}, headers=alice.headers),
        )
        assert trashed.status_code in (204, 404), trashed.text
        assert purged.status_code == 204, purged.text
        assert (await client.get(url, headers=alice.headers)).status_code == 404
    assert await Rows(app).items(album["id"]) == []
    collection = await Rows(app).collection(album["id"])
    assert collection is not None
    assert collection.cover_file_id is None
