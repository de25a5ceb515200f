"""COMPRESS_AT_REST through the HTTP API, on either store (ATRIUM_TEST_S3=1 runs it on S3):
compressible originals are kept as seekable zstd, and every way of reading them (downloads and
every Range form, previews, thumbnails and renders, ZIPs, share links) sees the logical bytes,
with the logical ETag, Content-Length and SHA-256; incompressible ones stay as they are."""

import hashlib
import io
import zipfile

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from app.files import derived
from app.files.originals import original_of
from app.storage import packed
from tests.compression.helpers import bmp_bytes, noise, prose, row_of, stored_size, tone, wav_bytes
from tests.conftest import MakeUser
from tests.files.helpers import jpeg_bytes, png_bytes, upload
from tests.previews.factory import pdf_bytes
from tests.shares.helpers import album_with, share

pytestmark = pytest.mark.anyio


def zip_of(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inside.txt", data)
    return buffer.getvalue()


TEXT = prose(6 * 1024 * 1024 + 12345)  # past SMALL_RANGE: ranges are streamed, not read at once
MIB = 1024 * 1024


async def test_a_compressed_text_downloads_as_its_bytes(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    item = await upload(client, alice, TEXT, "book.txt")
    assert (item["size"], item["sha256"]) == (len(TEXT), hashlib.sha256(TEXT).hexdigest())
    row = await row_of(app, item["id"])
    assert row.encoding == packed.ZSTD
    assert row.stored_size == await stored_size(app, item["id"]) < len(TEXT) * 0.9
    url = item["urls"]["download"]
    whole = await client.get(url, headers=alice.headers)
    assert whole.status_code == 200
    assert whole.content == TEXT
    assert whole.headers["content-length"] == str(len(TEXT))
    assert whole.headers["etag"] == f'"{hashlib.sha256(TEXT).hexdigest()}"'
    head = await client.head(url, headers=alice.headers)
    assert (head.status_code, head.headers["content-length"]) == (200, str(len(TEXT)))


@pytest.mark.parametrize(
    ("header", "ranges"),
    [
        ("bytes=0-99", [(0, 100)]),
        (f"bytes={MIB - 10}-{MIB + 9}", [(MIB - 10, MIB + 10)]),  # across a frame boundary
        ("bytes=3000000-", [(3000000, len(TEXT))]),  # open: streamed
        ("bytes=-5000", [(len(TEXT) - 5000, len(TEXT))]),
        (f"bytes=100-{5 * MIB + 99}", [(100, 5 * MIB + 100)]),  # past SMALL_RANGE: streamed
        ("bytes=0-9,4000000-4000009", [(0, 10), (4000000, 4000010)]),  # multipart/byteranges
    ],
)
async def test_every_range_form_reads_the_logical_bytes(
    client: httpx.AsyncClient, make_user: MakeUser, header: str, ranges: list[tuple[int, int]]
) -> None:
    alice = await make_user()
    item = await upload(client, alice, TEXT, "book.txt")
    response = await client.get(item["urls"]["download"], headers={**alice.headers, "Range": header})
    assert response.status_code == 206
    if len(ranges) == 1:
        start, end = ranges[0]
        assert response.content == TEXT[start:end]
        assert response.headers["content-range"] == f"bytes {start}-{end - 1}/{len(TEXT)}"
        assert response.headers["content-length"] == str(end - start)
        return
    assert response.headers["content-type"].startswith("multipart/byteranges")
    for start, end in ranges:
        assert f"Content-Range: bytes {start}-{end - 1}/{len(TEXT)}".encode() in response.content
        assert TEXT[start:end] in response.content


async def test_if_range_and_unsatisfiable_ranges_use_the_logical_size(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    item = await upload(client, alice, TEXT, "book.txt")
    etag = f'"{item["sha256"]}"'
    url, headers = item["urls"]["download"], {**alice.headers, "Range": "bytes=2000000-2000099"}
    held = await client.get(url, headers={**headers, "If-Range": etag})
    assert (held.status_code, held.content) == (206, TEXT[2000000:2000100])
    changed = await client.get(url, headers={**headers, "If-Range": '"other"'})
    assert (changed.status_code, len(changed.content)) == (200, len(TEXT))
    past = await client.get(url, headers={**alice.headers, "Range": f"bytes={len(TEXT)}-"})
    assert past.status_code == 416
    assert past.headers["content-range"] == f"bytes */{len(TEXT)}"
    cached = await client.get(url, headers={**alice.headers, "If-None-Match": etag})
    assert cached.status_code == 304


async def test_incompressible_files_stay_as_they_are(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    cases = {
        "photo.jpg": (jpeg_bytes((300, 200)), None),  # not tried: compressed by its format
        "photo.png": (png_bytes((300, 200)), None),
        "bundle.zip": (zip_of(prose(300_000)), None),
        "hiss.wav": (wav_bytes(noise(200_000)), packed.IDENTITY),  # tried: saves under 10%
    }
    for name, (data, encoding) in cases.items():
        item = await upload(client, alice, data, name)
        row = await row_of(app, item["id"])
        assert (name, row.encoding, row.stored_size) == (name, encoding, None)
        assert await stored_size(app, item["id"]) == len(data)
        download = await client.get(item["urls"]["download"], headers=alice.headers)
        assert download.content == data


async def test_uncompressed_images_and_audio_are_compressed(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    for name, data in (("gradient.bmp", bmp_bytes()), ("tone.wav", wav_bytes(tone()))):
        item = await upload(client, alice, data, name)
        assert (await row_of(app, item["id"])).encoding == packed.ZSTD, name
        assert await stored_size(app, item["id"]) < len(data) * 0.9
        assert (await client.get(item["urls"]["download"], headers=alice.headers)).content == data


async def test_thumbnails_renders_and_previews_read_the_logical_bytes(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    image = await upload(client, alice, bmp_bytes((400, 300)), "gradient.bmp")
    base = f"/api/images/{image['id']}"
    for path, params in (("/thumbnail", {"size": "medium"}), ("/render", {"w": "120", "format": "png"})):
        response = await client.get(base + path, params=params, headers=alice.headers)
        assert response.status_code == 200, response.text
        with Image.open(io.BytesIO(response.content)) as made:
            gray = made.convert("L")
            assert gray.width / gray.height == pytest.approx(4 / 3, abs=0.02)
            # the gradient runs dark to light from top to bottom, as in the BMP
            assert (
                gray.getpixel((gray.width // 2, 1))
                < 40
                < 215
                < gray.getpixel((gray.width // 2, gray.height - 2))
            )
    text = await upload(client, alice, TEXT, "book.txt")
    preview = await client.get(f"/api/files/{text['id']}/preview", headers=alice.headers)
    assert preview.status_code == 200
    assert preview.text == TEXT[: 64 * 1024].decode()


async def test_zips_and_share_links_hold_the_logical_bytes(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    text = await upload(client, alice, TEXT, "book.txt")
    picture = bmp_bytes((200, 150))
    album, files = await album_with(client, alice, [("gradient.bmp", picture)])
    zipped = await client.post(
        "/api/files/zip", json={"file_ids": [text["id"], files[0]["id"]]}, headers=alice.headers
    )
    assert zipped.status_code == 200, zipped.text
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
        assert archive.testzip() is None
        assert archive.read("book.txt") == TEXT
        assert archive.read("gradient.bmp") == picture
    link = await share(client, alice, album_id=album["id"])
    url = f"/api/s/{link['token']}/files/{files[0]['id']}/download"
    assert (await client.get(url)).content == picture
    ranged = await client.get(url, headers={"Range": "bytes=1000-1999"})
    assert (ranged.status_code, ranged.content) == (206, picture[1000:2000])


async def test_storage_stats_show_the_stored_size(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user()
    await upload(client, alice, TEXT, "book.txt")
    await upload(client, alice, jpeg_bytes(), "photo.jpg")
    stats = (await client.get("/api/storage/stats", headers=alice.headers)).json()
    assert stats["total_size"] == len(TEXT) + len(jpeg_bytes())
    assert len(jpeg_bytes()) < stats["stored_size"] < stats["total_size"] * 0.9


async def test_sandboxed_previews_read_the_logical_bytes(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    """PDFs are read by a child process from a descriptor: of the logical bytes, spooled."""
    alice = await make_user()
    pages = [f"page {n} " + "lorem ipsum " * 40 for n in range(6)]
    document = pdf_bytes(pages)
    item = await upload(client, alice, document, "report.pdf")
    row = await row_of(app, item["id"])
    assert row.encoding == packed.ZSTD
    found = await derived.derive(
        app.state.storage,
        app.state.image_work,
        storage_key=row.storage_key,
        source=original_of(row),
        kind=row.kind,
        mime_type=row.mime_type,
    )
    assert found.extracted is not None
    assert found.extracted.page_count == len(pages)
    assert found.text is not None
    assert "page 5" in found.text
