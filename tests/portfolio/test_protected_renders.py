"""An artwork whose original is protected cannot be fetched losslessly at full size through render."""

import io

import httpx
from PIL import Image, ImageChops

from tests.conftest import MakeUser
from tests.portfolio.helpers import create_gallery, upload_artwork


def png_of(im: Image.Image) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, "PNG")
    return buffer.getvalue()


def opened(response: httpx.Response) -> Image.Image:
    assert response.status_code == 200, response.text
    return Image.open(io.BytesIO(response.content))


def identical(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is None


async def test_visitors_get_no_lossless_full_size_copy_of_a_protected_original(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    original = Image.effect_noise((600, 400), 60).convert("RGB")
    gallery = await create_gallery(client, alice.headers, visibility="public")
    artwork = await upload_artwork(client, alice.headers, content=png_of(original), gallery_id=gallery["id"])
    url = f"/api/images/{artwork['id']}/render"
    for headers in ({}, bob.headers):
        assert (await client.get(f"/api/images/{artwork['id']}/download", headers=headers)).status_code == 403
        png = await client.get(url, params={"format": "png"}, headers=headers)
        assert png.headers["content-type"] == "image/png"
        assert opened(png).size == (300, 200)  # lossless only at half size
        assert opened(await client.get(url, params={"format": "png", "w": 200}, headers=headers)).size == (
            200,
            133,
        )
        assert png.headers["cache-control"].startswith("private")  # the owner gets another picture
        # lossy at full size, never above quality 85
        best = await client.get(url, params={"format": "webp", "quality": 100}, headers=headers)
        assert opened(best).size == (600, 400)
        assert best.content == (await client.get(url, params={"format": "webp", "quality": 85})).content
    owner = await client.get(url, params={"format": "png"}, headers=alice.headers)
    assert identical(opened(owner), original)

    await client.put(
        f"/api/galleries/{gallery['id']}", json={"allow_original_download": True}, headers=alice.headers
    )
    assert identical(opened(await client.get(url, params={"format": "png"})), original)


async def test_protected_renders_stay_within_the_large_thumbnail_bound(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    gallery = await create_gallery(client, alice.headers, visibility="public")
    content = png_of(Image.linear_gradient("L").resize((3000, 1000)))
    artwork = await upload_artwork(client, alice.headers, content=content, gallery_id=gallery["id"])
    url = f"/api/images/{artwork['id']}/render"
    assert opened(await client.get(url)).size == (2048, 683)
    assert opened(await client.get(url, params={"w": 4096, "h": 4096, "fit": "cover"})).size == (1000, 1000)
    assert opened(await client.get(url, params={"w": 4000, "h": 1000, "fit": "cover"})).size == (2048, 512)
    assert opened(await client.get(url, params={"format": "png"})).size == (1500, 500)
    assert opened(await client.get(url, headers=alice.headers)).size == (3000, 1000)
