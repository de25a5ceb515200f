"""ZIPs: owners' albums, folders (subfolders as directories) and file lists (all or nothing), and a
link's ZIP; contents re-hashed, names de-duplicated, streamed as attachments."""

import hashlib

import httpx
import pytest

from tests.conftest import MakeUser
from tests.files.helpers import jpeg_bytes, png_bytes, random_id, upload
from tests.shares.helpers import album_with, make_folder, move, share, zip_contents

pytestmark = pytest.mark.anyio


def digests(contents: dict[str, bytes]) -> dict[str, str]:
    return {
        name: hashlib.sha256(data).hexdigest() for name, data in contents.items() if not name.endswith("/")
    }


async def test_an_album_zip_holds_its_images_with_unique_names(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    first, second, third = png_bytes(color="red"), png_bytes(color="green"), jpeg_bytes()
    album, files = await album_with(
        client, alice, [("photo.png", first), ("Photo.png", second), ("x.jpg", third)]
    )
    response = await client.get(f"/api/albums/{album['id']}/zip", headers=alice.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith('attachment; filename="Holiday.zip"')
    assert int(response.headers["content-length"]) == len(response.content)
    contents = zip_contents(response.content)
    assert list(contents) == ["photo.png", "Photo (2).png", "x.jpg"]
    assert digests(contents) == {
        "photo.png": files[0]["sha256"],
        "Photo (2).png": files[1]["sha256"],
        "x.jpg": files[2]["sha256"],
    }


async def test_a_folder_zip_keeps_the_tree(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    top = await make_folder(client, alice, "Project")
    sub = await make_folder(client, alice, "Drafts", top)
    await make_folder(client, alice, "Empty", top)
    deep = await make_folder(client, alice, "Old", sub)
    placed = {}
    for name, folder, color in (
        ("a.png", top, "red"),
        ("b.png", sub, "green"),
        ("c.png", deep, "blue"),
        ("a.png", top, "white"),
    ):
        item = await upload(client, alice, png_bytes(color=color), name)
        await move(client, alice, item["id"], folder)
        placed[item["id"]] = item
    trashed = await upload(client, alice, png_bytes(color="black"), "gone.png")
    await move(client, alice, trashed["id"], top)
    await client.delete(f"/api/files/{trashed['id']}", headers=alice.headers)
    outside = await upload(client, alice, png_bytes(color="yellow"), "outside.png")
    response = await client.get(f"/api/folders/{top}/zip", headers=alice.headers)
    assert response.status_code == 200
    contents = zip_contents(response.content)
    assert sorted(contents) == [
        "Drafts/",
        "Drafts/Old/",
        "Drafts/Old/c.png",
        "Drafts/b.png",
        "Empty/",
        "a (2).png",
        "a.png",
    ]
    assert set(digests(contents).values()) == {item["sha256"] for item in placed.values()}
    assert outside["sha256"] not in digests(contents).values()


async def test_a_files_zip_is_all_or_nothing(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    mine = [await upload(client, alice, png_bytes(color=c), "same.png") for c in ("red", "green")]
    bobs = await upload(client, bob, png_bytes(), "bob.png")
    ids = [m["id"] for m in mine]
    response = await client.post("/api/files/zip", json={"file_ids": ids}, headers=alice.headers)
    assert response.status_code == 200
    assert digests(zip_contents(response.content)) == {
        "same.png": mine[0]["sha256"],
        "same (2).png": mine[1]["sha256"],
    }
    for extra in (bobs["id"], random_id()):
        refused = await client.post("/api/files/zip", json={"file_ids": [*ids, extra]}, headers=alice.headers)
        assert (refused.status_code, refused.json()["code"]) == (404, "file_not_found")
    await client.delete(f"/api/files/{ids[0]}", headers=alice.headers)
    trashed = await client.post("/api/files/zip", json={"file_ids": ids}, headers=alice.headers)
    assert trashed.status_code == 404
    assert (
        await client.post("/api/files/zip", json={"file_ids": []}, headers=alice.headers)
    ).status_code == 422
    assert (await client.post("/api/files/zip", json={"file_ids": ids})).status_code == 401


async def test_another_users_album_or_folder_zip_is_404(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    album, _ = await album_with(client, alice, [("a.png", png_bytes())], privacy_setting="public")
    folder = await make_folder(client, alice, "Mine")
    album_zip = await client.get(f"/api/albums/{album['id']}/zip", headers=bob.headers)
    assert (album_zip.status_code, album_zip.json()["code"]) == (404, "album_not_found")
    folder_zip = await client.get(f"/api/folders/{folder}/zip", headers=bob.headers)
    assert (folder_zip.status_code, folder_zip.json()["code"]) == (404, "folder_not_found")


async def test_a_links_zip_holds_what_the_link_shows(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    top = await make_folder(client, alice, "Client")
    sub = await make_folder(client, alice, "Raw", top)
    inside = await upload(client, alice, png_bytes(color="red"), "one.png")
    deeper = await upload(client, alice, png_bytes(color="green"), "two.png")
    await move(client, alice, inside["id"], top)
    await move(client, alice, deeper["id"], sub)
    await upload(client, alice, png_bytes(color="blue"), "elsewhere.png")
    link = await share(client, alice, folder_id=top)
    response = await client.get(f"/api/s/{link['token']}/zip")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith('attachment; filename="Client.zip"')
    contents = zip_contents(response.content)
    assert digests(contents) == {"one.png": inside["sha256"], "Raw/two.png": deeper["sha256"]}
    listing = (await client.get(f"/api/s/{link['token']}")).json()["items"]
    assert {i["id"] for i in listing["items"]} == {inside["id"], deeper["id"]}
    assert (await client.get(f"/api/shares/{link['id']}", headers=alice.headers)).json()[
        "download_count"
    ] == 1
