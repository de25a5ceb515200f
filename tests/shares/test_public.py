"""The visitor's side: what a link shows and refuses (unknown, revoked, expired, capped, locked),
files outside the share, trash after sharing, `privacy_setting: shared`, portfolio protection."""

import hashlib
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from app.models import Share
from tests.conftest import MakeUser
from tests.files.helpers import png_bytes, upload
from tests.portfolio.helpers import add_to_gallery, create_gallery, upload_artwork
from tests.shares.helpers import album_with, share

pytestmark = pytest.mark.anyio


async def test_the_listing_is_the_public_projection(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    album, files = await album_with(
        client, alice, [("b.png", png_bytes()), ("a.png", png_bytes(color="green"))]
    )
    await client.patch(f"/api/files/{files[0]['id']}", json={"tags": ["secret"]}, headers=alice.headers)
    link = await share(client, alice, album_id=album["id"], description="Our trip")
    response = await client.get(f"/api/s/{link['token']}")
    assert response.status_code == 200
    body = response.json()
    assert body["share"] == {
        "description": "Our trip",
        "expires_at": None,
        "allow_download": True,
        "show_metadata": True,
        "has_password": False,
        "downloads_left": None,
    }
    assert body["target"] == {"type": "album", "id": album["id"], "name": "Holiday"}
    assert body["items"]["total"] == 2
    assert [i["name"] for i in body["items"]["items"]] == ["b.png", "a.png"]
    item = body["items"]["items"][0]
    for private in ("tags", "sha256", "folder_id", "download_count", "duplicate_of", "owner_id"):
        assert private not in item
    assert item["urls"]["download"] == f"/api/s/{link['token']}/files/{files[0]['id']}/download"
    paged = (await client.get(f"/api/s/{link['token']}?page=2&per_page=1")).json()["items"]
    assert (paged["page"], paged["per_page"], [i["id"] for i in paged["items"]]) == (2, 1, [files[1]["id"]])
    view_count = (await client.get(f"/api/shares/{link['id']}", headers=alice.headers)).json()["view_count"]
    assert view_count == 1  # page 1 counts a view, page 2 does not


async def test_unknown_tokens_are_404(client: httpx.AsyncClient) -> None:
    for token in ("nope", "x" * 64, "A" * 43):
        response = await client.get(f"/api/s/{token}")
        assert (response.status_code, response.json()["code"]) == (404, "share_not_found")


async def test_an_expired_link_is_410_everywhere(
    client: httpx.AsyncClient, make_user: MakeUser, app: FastAPI
) -> None:
    alice = await make_user("alice")
    album, files = await album_with(client, alice, [("a.png", png_bytes())])
    link = await share(client, alice, album_id=album["id"])
    async with app.state.session_factory() as session:
        past = datetime.now(UTC) - timedelta(seconds=1)
        await session.execute(update(Share).where(Share.token == link["token"]).values(expires_at=past))
        await session.commit()
    base = f"/api/s/{link['token']}"
    for path in ("", f"/files/{files[0]['id']}/download", f"/files/{files[0]['id']}/thumbnail", "/zip"):
        response = await client.get(base + path)
        assert (response.status_code, response.json()["code"]) == (410, "share_expired"), path
    unlock = await client.post(f"{base}/unlock", json={"password": "whatever"})
    assert unlock.status_code == 410


async def test_a_file_outside_the_share_is_404_even_if_shared_elsewhere(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    album, _ = await album_with(client, alice, [("in.png", png_bytes())])
    other_album, outside = await album_with(
        client, alice, [("out.png", png_bytes())], privacy_setting="public"
    )
    link = await share(client, alice, album_id=album["id"])
    await share(client, alice, album_id=other_album["id"])
    bobs = await upload(client, bob, png_bytes(), "bob.png")
    for file_id in (outside[0]["id"], bobs["id"]):
        download = await client.get(f"/api/s/{link['token']}/files/{file_id}/download")
        assert (download.status_code, download.json()["code"]) == (404, "file_not_found")
        thumb = await client.get(f"/api/s/{link['token']}/files/{file_id}/thumbnail")
        assert (thumb.status_code, thumb.json()["code"]) == (404, "image_not_found")


async def test_a_file_trashed_after_sharing_disappears(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    kept = await upload(client, alice, png_bytes(color="red"), "red.png")
    trashed = await upload(client, alice, png_bytes(color="blue"), "blue.png")
    link = await share(client, alice, file_ids=[kept["id"], trashed["id"]])
    assert (await client.delete(f"/api/files/{trashed['id']}", headers=alice.headers)).status_code == 204
    listing = (await client.get(f"/api/s/{link['token']}")).json()["items"]
    assert [i["id"] for i in listing["items"]] == [kept["id"]]
    assert (await client.get(f"/api/s/{link['token']}/files/{trashed['id']}/download")).status_code == 404
    restored = await client.post(f"/api/files/{trashed['id']}/restore", headers=alice.headers)
    assert restored.status_code == 200
    assert (await client.get(f"/api/s/{link['token']}")).json()["items"]["total"] == 2


async def test_downloads_are_the_original_bytes_and_counted(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    data = png_bytes((30, 20), "orange")
    album, files = await album_with(client, alice, [("o.png", data)])
    link = await share(client, alice, album_id=album["id"])
    response = await client.get(f"/api/s/{link['token']}/files/{files[0]['id']}/download")
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["etag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    ranged = await client.get(
        f"/api/s/{link['token']}/files/{files[0]['id']}/download", headers={"Range": "bytes=0-3"}
    )
    assert ranged.status_code == 206
    assert ranged.content == data[:4]
    owner_view = (await client.get(f"/api/shares/{link['id']}", headers=alice.headers)).json()
    assert owner_view["download_count"] == 1  # the range is no download
    file_view = (await client.get(f"/api/files/{files[0]['id']}", headers=alice.headers)).json()
    assert file_view["download_count"] == 1


async def test_a_link_without_downloads_refuses_originals_and_zip(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    album, files = await album_with(client, alice, [("a.png", png_bytes())])
    link = await share(client, alice, album_id=album["id"], allow_download=False)
    listing = (await client.get(f"/api/s/{link['token']}")).json()
    assert listing["items"]["items"][0]["urls"]["download"] is None
    download = await client.get(f"/api/s/{link['token']}/files/{files[0]['id']}/download")
    assert (download.status_code, download.json()["code"]) == (403, "download_not_allowed")
    archive = await client.get(f"/api/s/{link['token']}/zip")
    assert (archive.status_code, archive.json()["code"]) == (403, "download_not_allowed")
    thumb = await client.get(f"/api/s/{link['token']}/files/{files[0]['id']}/thumbnail")
    assert thumb.status_code == 200
    assert thumb.headers["content-type"] == "image/webp"


async def test_the_download_cap_ends_downloads_with_410(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    album, files = await album_with(client, alice, [("a.png", png_bytes())])
    link = await share(client, alice, album_id=album["id"], max_downloads=2)
    url = f"/api/s/{link['token']}/files/{files[0]['id']}/download"
    assert (await client.get(url)).status_code == 200
    assert (await client.get(f"/api/s/{link['token']}/zip")).status_code == 200
    for path in (url, f"/api/s/{link['token']}/zip"):
        response = await client.get(path)
        assert (response.status_code, response.json()["code"]) == (410, "share_download_limit")
    listing = (await client.get(f"/api/s/{link['token']}")).json()
    assert listing["share"]["downloads_left"] == 0
    assert listing["items"]["items"][0]["urls"]["download"] is None
    raised = await client.patch(f"/api/shares/{link['id']}", json={"max_downloads": 3}, headers=alice.headers)
    assert raised.json()["download_count"] == 2
    assert (await client.get(url)).status_code == 200


async def test_a_shared_album_is_private_except_through_its_link(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    album, files = await album_with(client, alice, [("a.png", png_bytes())], privacy_setting="shared")
    image_id = files[0]["id"]
    assert (await client.get(f"/api/albums/{album['id']}")).status_code == 404
    assert (await client.get(f"/api/albums/{album['id']}", headers=bob.headers)).status_code == 404
    assert (await client.get(f"/api/images/{image_id}")).status_code == 404
    assert (await client.get(f"/api/images/{image_id}/thumbnail", headers=bob.headers)).status_code == 404
    link = await share(client, alice, album_id=album["id"])
    assert (await client.get(f"/api/s/{link['token']}/files/{image_id}/thumbnail")).status_code == 200
    # the link opens the link's files only: the public routes stay closed
    assert (await client.get(f"/api/images/{image_id}")).status_code == 404


async def test_user_tokens_do_not_open_links_and_unlock_tokens_are_no_user_tokens(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    album, _ = await album_with(client, alice, [("a.png", png_bytes())])
    link = await share(client, alice, album_id=album["id"], password="open sesame")
    locked = await client.get(f"/api/s/{link['token']}", headers=alice.headers)
    assert (locked.status_code, locked.json()["code"]) == (401, "share_locked")  # even the owner's token
    unlocked = await client.post(f"/api/s/{link['token']}/unlock", json={"password": "open sesame"})
    token = unlocked.json()["access_token"]
    assert (
        await client.get("/api/auth/user", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 401
    assert bob.token != token


async def test_portfolio_protection_holds_through_links(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    watermark = {"text": "© Alice", "opacity": 0.5, "position": "center"}
    assert (
        await client.put("/api/artists/me", json={"watermark": watermark}, headers=alice.headers)
    ).status_code == 200
    gallery = await create_gallery(client, alice.headers, visibility="private")
    artwork = await upload_artwork(client, alice.headers, content=png_bytes((600, 400), "white"))
    await add_to_gallery(client, alice.headers, gallery["id"], artwork["id"])
    link = await share(client, alice, gallery_id=gallery["id"])
    base = f"/api/s/{link['token']}"
    listing = (await client.get(base)).json()
    assert listing["items"]["items"][0]["urls"]["download"] is None
    download = await client.get(f"{base}/files/{artwork['id']}/download")
    assert (download.status_code, download.json()["code"]) == (403, "original_protected")
    archive = await client.get(f"{base}/zip")
    assert (archive.status_code, archive.json()["code"]) == (403, "original_protected")
    marked = await client.get(f"{base}/files/{artwork['id']}/thumbnail?size=medium")
    owners = await client.get(f"/api/images/{artwork['id']}/thumbnail?size=medium", headers=alice.headers)
    assert marked.status_code == owners.status_code == 200
    assert marked.content != owners.content  # the visitor's copy carries the watermark
    assert "private" in marked.headers["cache-control"]
    released = await client.put(
        f"/api/galleries/{gallery['id']}", json={"allow_original_download": True}, headers=alice.headers
    )
    assert released.status_code == 200
    assert (await client.get(f"{base}/files/{artwork['id']}/download")).status_code == 200
    assert (await client.get(f"{base}/zip")).status_code == 200
