"""`show_metadata`: the EXIF summary (never the location) or nothing; with it off no location leaves
through the link: JPEG originals lose their GPS losslessly, other formats are re-encoded."""

import io

import httpx
import pytest
from PIL import Image

from app.imaging.decode import ImageError
from app.imaging.location import jpeg_without_gps, without_location
from tests.conftest import MakeUser
from tests.shares.helpers import album_with, gps_of, jpeg_with_gps, png_with_gps, scan_data, share

pytestmark = pytest.mark.anyio


async def test_a_link_showing_metadata_shows_the_camera_but_never_the_location(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    data = jpeg_with_gps()
    album, files = await album_with(client, alice, [("photo.jpg", data)])
    link = await share(client, alice, album_id=album["id"])
    exif = (await client.get(f"/api/s/{link['token']}")).json()["items"]["items"][0]["image"]["exif"]
    assert exif["camera_make"] == "Canon"
    assert exif["iso"] == 400
    assert "gps_latitude" not in exif
    assert "GPSInfo" not in exif
    original = await client.get(f"/api/s/{link['token']}/files/{files[0]['id']}/download")
    assert original.content == data  # the owner chose to show metadata: the file as stored


async def test_a_jpeg_leaves_without_gps_and_with_its_image_data_unchanged(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    data = jpeg_with_gps((320, 240))
    assert gps_of(data)  # the fixture carries a location
    album, files = await album_with(client, alice, [("photo.jpg", data)])
    link = await share(client, alice, album_id=album["id"], show_metadata=False)
    item = (await client.get(f"/api/s/{link['token']}")).json()["items"]["items"][0]
    assert item["image"]["exif"] == {}
    response = await client.get(f"/api/s/{link['token']}/files/{files[0]['id']}/download")
    assert response.status_code == 200
    served = response.content
    assert gps_of(served) == {}
    assert scan_data(served) == scan_data(data)  # the compressed image data, byte for byte
    assert len(served) == len(data)  # spliced in place, nothing re-encoded
    with Image.open(io.BytesIO(served)) as image:
        assert image.getexif()[0x010F] == "Canon"  # the rest of the EXIF is intact
        assert image.size == (320, 240)
    assert response.headers["etag"] != f'"{files[0]["sha256"]}"'
    mine = await client.get(f"/api/files/{files[0]['id']}/download", headers=alice.headers)
    assert mine.content == data  # the owner's own bytes are untouched


async def test_another_format_with_a_location_is_reencoded_without_metadata(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    data = png_with_gps()
    album, files = await album_with(client, alice, [("photo.png", data)])
    link = await share(client, alice, album_id=album["id"], show_metadata=False)
    served = (await client.get(f"/api/s/{link['token']}/files/{files[0]['id']}/download")).content
    assert served != data
    with Image.open(io.BytesIO(served)) as image, Image.open(io.BytesIO(data)) as before:
        assert image.format == "PNG"
        assert not image.getexif()
        assert "exif" not in image.info
        assert image.tobytes() == before.tobytes()  # the same pixels, losslessly


def test_the_gps_splice_keeps_every_other_byte() -> None:
    data = jpeg_with_gps()
    spliced = jpeg_without_gps(data)
    changed = [i for i, (a, b) in enumerate(zip(data, spliced, strict=True)) if a != b]
    exif_end = data.index(b"\xff\xdb")  # the first segment after APP1 (quantisation tables)
    assert changed
    assert max(changed) < exif_end
    assert jpeg_without_gps(spliced) == spliced  # nothing left to remove
    plain = io.BytesIO()
    Image.new("RGB", (8, 8)).save(plain, "JPEG")
    assert jpeg_without_gps(plain.getvalue()) == plain.getvalue()


def test_xmp_with_a_location_is_dropped_and_other_xmp_kept() -> None:
    plain = io.BytesIO()
    Image.new("RGB", (8, 8)).save(plain, "JPEG")
    data = plain.getvalue()

    def app1(payload: bytes) -> bytes:
        return b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload

    located = app1(b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta exif:GPSLatitude='48,51.5N'/>")
    harmless = app1(b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta dc:title='Paris'/>")
    with_xmp = data[:2] + located + harmless + data[2:]
    assert jpeg_without_gps(with_xmp) == data[:2] + harmless + data[2:]


def test_a_broken_file_is_an_image_error_not_a_crash() -> None:
    with pytest.raises(ImageError):
        without_location(io.BytesIO(b"\xff\xd8\x00\x00\x00\x00\x00\x00"))
    with pytest.raises(ImageError):
        without_location(io.BytesIO(b"not an image at all"))
