"""Albums holding uploaded images: order, reorder, covers, foreign ids, deletion."""

import httpx
from fastapi import FastAPI

from tests.conftest import MakeUser
from tests.gallery import Rows, add_to_album, create_album, upload, upload_many


async def test_images_keep_the_order_they_were_added_and_reorder(
    client: httpx.AsyncClient, make_user: MakeUser, app: FastAPI
) -> None:
    alice = await make_user("alice")
    a, b, c = await upload_many(client, alice, 3)
    album = await create_album(client, alice)
    response = await add_to_album(client, alice, album["id"], [b, a])
    assert response.status_code == 200
    assert response.json()["image_ids"] == [b, a]
    response = await add_to_album(client, alice, album["id"], [c, a])  # a is already there: stays put
    assert response.json()["image_ids"] == [b, a, c]
    assert response.json()["image_count"] == 3
    assert response.json()["cover_image_id"] == b

    url = f"/api/albums/{album['id']}"
    response = await client.put(f"{url}/order", json={"image_ids": [c, b, a]}, headers=alice.headers)
    assert response.status_code == 200
    assert response.json()["image_ids"] == [c, b, a]
    assert (await client.get(url, headers=alice.headers)).json()["image_ids"] == [c, b, a]
    assert await Rows(app).items(album["id"]) == [c, b, a]


async def test_reorder_must_name_exactly_the_albums_images(
    client: httpx.AsyncClient, make_user: MakeUser, app: FastAPI
) -> None:
    alice = await make_user("alice")
    a, b, c = await upload_many(client, alice, 3)
    album = await create_album(client, alice)
    await add_to_album(client, alice, album["id"], [a, b])
    url = f"/api/albums/{album['id']}/order"
    for wrong in ([a], [a, b, c], [b, b], [b, a, a]):
        response = await client.put(url, json={"image_ids": wrong}, headers=alice.headers)
        assert response.status_code == 422, wrong
        assert response.json()["code"] == "order_mismatch"
    assert await Rows(app).items(album["id"]) == [a, b]


async def test_adding_a_foreign_image_is_404_and_changes_nothing(
    client: httpx.AsyncClient, make_user: MakeUser, app: FastAPI
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    (mine,) = await upload_many(client, alice, 1)
    theirs = (await upload(client, bob, "b.png"))["id"]
    album = await create_album(client, alice)
    response = await add_to_album(client, alice, album["id"], [mine, theirs])
    assert response.status_code == 404
    assert response.json()["code"] == "image_not_found"
    assert await Rows(app).items(album["id"]) == []
    # nor can bob put his image into alice's album
    assert (await add_to_album(client, bob, album["id"], [theirs])).status_code == 404


async def test_only_images_go_into_albums(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    text = await upload(client, alice, "notes.txt", data=b"just some words\n" * 4)
    album = await create_album(client, alice)
    assert (await add_to_album(client, alice, album["id"], [text["id"]])).status_code == 404


async def test_cover_moves_on_when_removed_or_deleted(
    client: httpx.AsyncClient, make_user: MakeUser, app: FastAPI
) -> None:
    alice = await make_user("alice")
    a, b, c = await upload_many(client, alice, 3)
    album = await create_album(client, alice)
    other = await create_album(client, alice, "Other")
    await add_to_album(client, alice, album["id"], [a, b, c])
    await add_to_album(client, alice, other["id"], [b])
    url = f"/api/albums/{album['id']}"
    response = await client.put(url, json={"cover_image_id": b}, headers=alice.headers)
    assert response.json()["cover_image_id"] == b

    assert (await client.delete(f"{url}/images/{b}", headers=alice.headers)).status_code == 204
    data = (await client.get(url, headers=alice.headers)).json()
    assert data["cover_image_id"] == a
    assert data["image_ids"] == [a, c]
    assert (await client.delete(f"{url}/images/{b}", headers=alice.headers)).status_code == 404

    assert (await client.delete(f"/api/images/{a}", headers=alice.headers)).status_code == 204
    data = (await client.get(url, headers=alice.headers)).json()
    assert (data["cover_image_id"], data["image_ids"], data["image_count"]) == (c, [c], 1)

    await client.delete(f"/api/images/{c}", headers=alice.headers)
    data = (await client.get(url, headers=alice.headers)).json()
    assert (data["cover_image_id"], data["image_ids"]) == (None, [])
    assert (await Rows(app).collection(album["id"])).cover_file_id is None  # type: ignore[union-attr]
    # the other album still has b
    assert (await client.get(f"/api/albums/{other['id']}", headers=alice.headers)).json()["image_ids"] == [b]


async def test_delete_album_keeps_images_unless_asked(
    client: httpx.AsyncClient, make_user: MakeUser, app: FastAPI
) -> None:
    alice = await make_user("alice")
    a, b, c = await upload_many(client, alice, 3)
    keep = await create_album(client, alice, "keep")
    drop = await create_album(client, alice, "drop")
    other = await create_album(client, alice, "other")
    await add_to_album(client, alice, keep["id"], [a])
    await add_to_album(client, alice, drop["id"], [b, c])
    await add_to_album(client, alice, other["id"], [c, a])
    rows = Rows(app)

    assert (await client.delete(f"/api/albums/{keep['id']}", headers=alice.headers)).status_code == 204
    assert await rows.collection(keep["id"]) is None
    assert (await rows.file(a)).deleted_at is None
    assert (await client.get(f"/api/images/{a}", headers=alice.headers)).status_code == 200

    response = await client.delete(f"/api/albums/{drop['id']}?delete_images=true", headers=alice.headers)
    assert response.status_code == 204
    assert (await rows.file(b)).deleted_at is not None
    assert (await rows.file(c)).deleted_at is not None
    assert (await client.get(f"/api/images/{b}", headers=alice.headers)).status_code == 404
    # c left every album, a stays
    assert await rows.items(other["id"]) == [a]
    assert (await rows.collection(other["id"])).cover_file_id.hex == a.replace("-", "")  # type: ignore[union-attr]
    trash = (await client.get("/api/trash", headers=alice.headers)).json()
    assert {f["id"] for f in trash["items"]} == {b, c}


async def test_public_album_lists_images_to_anyone(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    (a,) = await upload_many(client, alice, 1)
    album = await create_album(client, alice, privacy_setting="public")
    await add_to_album(client, alice, album["id"], [a])
    for headers in (bob.headers, {}):
        data = (await client.get(f"/api/albums/{album['id']}", headers=headers)).json()
        assert data["image_ids"] == [a]


async def test_album_detail_carries_the_images(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    a, b = await upload_many(client, alice, 2)
    album = await create_album(client, alice)
    await add_to_album(client, alice, album["id"], [b, a])
    images = (await client.get(f"/api/albums/{album['id']}", headers=alice.headers)).json()["images"]
    assert [i["id"] for i in images] == [b, a]
    assert images[0]["urls"]["preview"] == f"/api/images/{b}/thumbnail"
    assert images[0]["view_count"] == 0
