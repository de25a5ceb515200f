"""Images get a ThumbHash placeholder at upload, made from the small thumbnail."""

import base64
import io

import httpx
import pytest
import thumbhash
from PIL import Image

from tests.conftest import MakeUser
from tests.files.helpers import jpeg_bytes
from tests.previews.helpers import upload


def gradient_png(size: tuple[int, int]) -> bytes:
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(("size", "ratio"), [((600, 300), 2.0), ((300, 600), 0.5), ((400, 400), 1.0)])
async def test_thumbhash_is_small_base64_and_decodes_to_the_aspect_ratio(
    client: httpx.AsyncClient, make_user: MakeUser, size: tuple[int, int], ratio: float
) -> None:
    alice = await make_user()
    item = await upload(client, alice, gradient_png(size), "gradient.png")
    encoded = item["image"]["thumbhash"]
    raw = base64.b64decode(encoded, validate=True)
    assert len(raw) < 40
    width, height, rgba = thumbhash.thumb_hash_to_rgba(list(raw))
    assert len(rgba) == width * height * 4
    assert width / height == pytest.approx(ratio, rel=0.2)
    image = await client.get(f"/api/images/{item['id']}", headers=alice.headers)
    assert image.json()["image"]["thumbhash"] == encoded


async def test_thumbhash_is_the_reference_encoders_hash_of_the_small_thumbnail(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    """The stored placeholder has the bytes the reference encoder (the pure-Python port of the one
    the share page decodes with) makes from the same 64 px version of the small thumbnail."""
    alice = await make_user()
    image = Image.radial_gradient("L").resize((500, 320)).convert("RGB")
    image.paste((200, 40, 90), (0, 0, 120, 320))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    item = await upload(client, alice, buffer.getvalue(), "radial.png")
    thumbnail = await client.get(f"/api/images/{item['id']}/thumbnail", headers=alice.headers)
    assert thumbnail.status_code == 200
    with Image.open(io.BytesIO(thumbnail.content)) as im:
        small = im.convert("RGBA")
    small.thumbnail((64, 64), Image.Resampling.BILINEAR)
    expected = thumbhash.rgba_to_thumb_hash(small.width, small.height, list(small.tobytes()))
    assert base64.b64decode(item["image"]["thumbhash"]) == bytes(expected)


async def test_thumbhash_follows_exif_orientation(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user()
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown rotated a quarter turn: portrait
    buffer = io.BytesIO()
    Image.new("RGB", (600, 300), "green").save(buffer, "JPEG", exif=exif.tobytes())
    item = await upload(client, alice, buffer.getvalue(), "rotated.jpg")
    width, height, _ = thumbhash.thumb_hash_to_rgba(list(base64.b64decode(item["image"]["thumbhash"])))
    assert width < height


async def test_damaged_image_is_kept_without_a_thumbhash(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    item = await upload(client, alice, jpeg_bytes((64, 48))[:300], "cut.jpg")
    assert item["kind"] == "image"
    assert item["image"] is None or item["image"]["thumbhash"] is None
