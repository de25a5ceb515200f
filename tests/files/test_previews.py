import io
import struct
import zlib
from typing import Any

import httpx
from PIL import Image

from app.config import Settings
from app.models import File, ImageMeta
from app.storage import keys
from tests.conftest import MakeUser, UserHandle
from tests.files.conftest import CountRows
from tests.files.helpers import (
    delete_blobs,
    jpeg_bytes,
    left_parts,
    multipart,
    multipart_headers,
    part,
    png_bytes,
    stored_blobs,
)


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header declares a huge image."""
    data = bytearray(png_bytes((4, 4)))
    ihdr = bytearray(data[16:29])
    ihdr[0:8] = struct.pack(">II", width, height)
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(ihdr)))
    return bytes(data)


async def upload(client: httpx.AsyncClient, user: UserHandle, data: bytes, name: str) -> httpx.Response:
    body = multipart([part("files", data, filename=name)])
    return await client.post("/api/upload", headers=multipart_headers(user.headers), content=body)


async def uploaded(client: httpx.AsyncClient, user: UserHandle, data: bytes, name: str) -> dict[str, Any]:
    response = await upload(client, user, data, name)
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()["files"][0]
    return item


async def test_image_upload_records_size_and_preview_is_a_cached_thumbnail(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, count_rows: CountRows
) -> None:
    alice = await make_user()
    item = await uploaded(client, alice, jpeg_bytes((600, 300)), "wide.jpg")
    assert item["image"]["width"] == 600
    assert item["image"]["height"] == 300
    assert await count_rows(ImageMeta) == 1
    response = await client.get(item["urls"]["preview"], headers=alice.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"].startswith("inline;")
    thumb = Image.open(io.BytesIO(response.content))
    assert thumb.format == "WEBP"
    assert thumb.size == (256, 128)
    cached = [key for key in await stored_blobs(settings, keys.RENDITIONS) if key.endswith("/small.webp")]
    assert len(cached) == 1
    again = await client.get(
        item["urls"]["preview"], headers={**alice.headers, "If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304
    detail = (await client.get(f"/api/files/{item['id']}", headers=alice.headers)).json()
    assert detail["download_count"] == 0


async def test_text_preview_is_the_first_64_kib(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user()
    text = "ünïcode line\n".encode() * 10_000
    item = await uploaded(client, alice, text, "long.txt")
    response = await client.get(item["urls"]["preview"], headers=alice.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert len(response.content) <= 64 * 1024
    assert text.startswith(response.content)
    assert len(response.content) > 64 * 1024 - 4


async def test_other_kinds_have_no_preview(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user()
    import gzip

    item = await uploaded(client, alice, gzip.compress(b"data" * 100), "a.gz")
    response = await client.get(item["urls"]["preview"], headers=alice.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "preview_unavailable"


async def test_decompression_bomb_is_refused_at_upload(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, count_rows: CountRows
) -> None:
    alice = await make_user()
    response = await upload(client, alice, bomb_png(), "bomb.png")
    assert response.status_code == 422
    assert response.json()["code"] == "image_too_large"
    assert await stored_blobs(settings) == []
    assert await left_parts(settings) == []
    assert await count_rows(File) == 0


async def test_truncated_image_is_stored_and_its_preview_is_a_clean_422(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, count_rows: CountRows
) -> None:
    alice = await make_user()
    whole = jpeg_bytes((400, 400))
    item = await uploaded(client, alice, whole[: len(whole) // 2], "cut.jpg")
    assert item["kind"] == "image"
    assert await count_rows(File) == 1
    response = await client.get(item["urls"]["preview"], headers=alice.headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "image_unreadable"
    assert [key for key in await stored_blobs(settings, keys.RENDITIONS) if key.endswith(".webp")] == []
    download = await client.get(item["urls"]["download"], headers=alice.headers)
    assert download.content == whole[: len(whole) // 2]


async def test_preview_of_missing_bytes_is_404(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    alice = await make_user()
    item = await uploaded(client, alice, png_bytes(), "gone.png")
    await delete_blobs(settings, await stored_blobs(settings))  # the original and its small thumbnail
    response = await client.get(item["urls"]["preview"], headers=alice.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "content_missing"


async def test_inline_and_downloaded_bytes_are_sandboxed_and_never_sniffed(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    response = await client.post(
        "/api/upload", files={"files": ("notes.txt", b"plain notes, shown inline\n")}, headers=alice.headers
    )
    file_id = response.json()["files"][0]["id"]
    preview = await client.get(f"/api/files/{file_id}/preview", headers=alice.headers)
    download = await client.get(f"/api/files/{file_id}/download", headers=alice.headers)
    assert preview.headers["content-type"] == "text/plain; charset=utf-8"
    assert preview.headers["content-disposition"].startswith("inline;")
    assert download.headers["content-disposition"].startswith("attachment;")
    for served in (preview, download):
        assert served.status_code == 200
        assert served.headers["x-content-type-options"] == "nosniff"
        assert served.headers["content-security-policy"].startswith("sandbox;")
        assert "default-src 'none'" in served.headers["content-security-policy"]
