"""What artists protect: watermarks on renditions for visitors, originals behind allow_original_download,
and private galleries invisible through every image URL."""

import hashlib
import io

import httpx
from PIL import Image, ImageChops

from app.config import Settings
from tests.conftest import MakeUser, UserHandle
from tests.files.helpers import png_bytes, read_blobs, stored_blobs
from tests.portfolio.helpers import add_to_gallery, create_gallery, upload_artwork

WATERMARK = {"text": "SAMPLE", "opacity": 1.0, "position": "center"}


def decode(response: httpx.Response) -> Image.Image:
    assert response.status_code == 200, response.text
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image.convert("RGB")


def spread(image: Image.Image) -> int:
    """The widest range of any channel: about 0 for a plain colour."""
    return max(high - low for low, high in image.getextrema())  # type: ignore[operator, misc]


def differs(a: Image.Image, b: Image.Image) -> bool:
    return a.size != b.size or ImageChops.difference(a, b).getbbox() is not None


async def watermarked_artist(client: httpx.AsyncClient, make_user: MakeUser) -> UserHandle:
    alice = await make_user("alice")
    response = await client.put("/api/artists/me", json={"watermark": WATERMARK}, headers=alice.headers)
    assert response.status_code == 200, response.text
    return alice


async def originals(settings: Settings, sha256: str) -> list[str]:
    found = await stored_blobs(settings)
    contents = await read_blobs(settings, found)
    return [
        key for key, data in zip(found, contents, strict=True) if hashlib.sha256(data).hexdigest() == sha256
    ]


async def test_visitors_get_watermarked_renditions_the_owner_and_the_original_do_not(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    alice = await watermarked_artist(client, make_user)
    bob = await make_user("bob")
    original = png_bytes((300, 200), "navy")
    gallery = await create_gallery(client, alice.headers, visibility="public")
    artwork = await upload_artwork(client, alice.headers, content=original, gallery_id=gallery["id"])
    medium = f"/api/images/{artwork['id']}/thumbnail?size=medium"

    for_anonymous = decode(await client.get(medium))
    for_bob = decode(await client.get(medium, headers=bob.headers))
    for_owner = decode(await client.get(medium, headers=alice.headers))
    assert differs(for_anonymous, for_owner)
    assert differs(for_bob, for_owner)
    assert spread(for_owner) <= 8  # still plain navy, up to WebP noise
    assert spread(for_anonymous) > 64  # the text is drawn on it
    render = f"/api/images/{artwork['id']}/render?w=200&h=200&fit=cover&format=png"
    assert differs(decode(await client.get(render)), decode(await client.get(render, headers=alice.headers)))
    small = f"/api/images/{artwork['id']}/thumbnail?size=small"
    assert not differs(
        decode(await client.get(small)), decode(await client.get(small, headers=alice.headers))
    )

    sha = hashlib.sha256(original).hexdigest()
    assert artwork["sha256"] == sha
    assert len(await originals(settings, sha)) == 1
    download = await client.get(f"/api/artworks/{artwork['id']}", headers=alice.headers)
    got = await client.get(download.json()["urls"]["download"], headers=alice.headers)
    assert got.status_code == 200
    assert got.content == original


async def test_no_watermark_without_one_in_the_profile(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    gallery = await create_gallery(client, alice.headers, visibility="public")
    artwork = await upload_artwork(
        client, alice.headers, content=png_bytes((300, 200)), gallery_id=gallery["id"]
    )
    medium = f"/api/images/{artwork['id']}/thumbnail?size=medium"
    assert not differs(
        decode(await client.get(medium)), decode(await client.get(medium, headers=alice.headers))
    )


async def test_originals_are_protected_unless_the_gallery_allows_downloads(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    bob = await make_user("bob")
    original = png_bytes((30, 20), "olive")
    gallery = await create_gallery(client, alice.headers, visibility="public")
    artwork = await upload_artwork(client, alice.headers, content=original, gallery_id=gallery["id"])
    url = f"/api/images/{artwork['id']}/download"
    for headers in ({}, bob.headers):
        response = await client.get(url, headers=headers)
        assert response.status_code == 403
        assert response.json()["code"] == "original_protected"
    owner = await client.get(url, headers=alice.headers)
    assert (owner.status_code, owner.content) == (200, original)
    public_face = (await client.get(f"/api/galleries/{gallery['id']}")).json()["artworks"][0]
    assert public_face["urls"]["download"] is None

    response = await client.put(
        f"/api/galleries/{gallery['id']}", json={"allow_original_download": True}, headers=alice.headers
    )
    assert response.status_code == 200, response.text
    for headers in ({}, bob.headers):
        response = await client.get(url, headers=headers)
        assert (response.status_code, response.content) == (200, original)
    public_face = (await client.get(f"/api/galleries/{gallery['id']}")).json()["artworks"][0]
    assert public_face["urls"]["download"] == url


async def test_a_downloadable_private_gallery_does_not_open_its_originals(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    public = await create_gallery(client, alice.headers, visibility="public")
    private = await create_gallery(client, alice.headers, allow_original_download=True)
    artwork = await upload_artwork(client, alice.headers, gallery_id=public["id"])
    await add_to_gallery(client, alice.headers, private["id"], artwork["id"])
    response = await client.get(f"/api/images/{artwork['id']}/download")
    assert response.status_code == 403
    assert response.json()["code"] == "original_protected"


async def test_private_gallery_artworks_are_404_through_every_image_url(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    bob = await make_user("bob")
    gallery = await create_gallery(client, alice.headers, allow_original_download=True)
    artwork = await upload_artwork(client, alice.headers, gallery_id=gallery["id"])
    urls = [
        f"/api/images/{artwork['id']}",
        f"/api/images/{artwork['id']}/thumbnail?size=small",
        f"/api/images/{artwork['id']}/thumbnail?size=large",
        f"/api/images/{artwork['id']}/render?w=10",
        f"/api/images/{artwork['id']}/download",
        f"/api/files/{artwork['id']}/download",
        f"/api/artworks/{artwork['id']}",
    ]
    for url in urls:
        for headers in ({}, bob.headers):
            response = await client.get(url, headers=headers)
            assert response.status_code in (401, 404), (url, response.status_code)
            if "/api/files/" not in url:
                assert response.status_code == 404, url
    for url in urls[:5]:
        assert (await client.get(url, headers=alice.headers)).status_code == 200, url
