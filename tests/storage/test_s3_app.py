"""The whole app on a real S3 server (moto on loopback): uploads stream into multipart uploads,
downloads and ranges come from ranged GETs, renditions live in the bucket, trash purges delete
them, and DOWNLOAD_REDIRECT answers 302 to a presigned URL that keeps the disposition."""

import hashlib

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.storage import keys
from app.storage.s3 import S3BlobStore
from tests.conftest import MakeUser
from tests.files.helpers import png_bytes, upload
from tests.previews.factory import mp4_bytes, pdf_bytes
from tests.storage.helpers import S3Server, on_s3
from tests.uploads.helpers import metadata

pytestmark = pytest.mark.anyio
BIG = b"".join(f"line {i:08d}\n".encode() for i in range(20 * 1024 * 1024 // 14))  # ~20 MiB: several parts


@pytest.fixture(params=[False, True], ids=["streamed", "redirected"])
def settings(request: pytest.FixtureRequest, settings: Settings, s3: S3Server) -> Settings:
    return on_s3(settings, s3, download_redirect=request.param, max_file_size=64 * 1024 * 1024)


async def fetch(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> httpx.Response:
    """GET through the API, following a redirect to the S3 server with a plain client (no token)."""
    response = await client.get(url, headers=headers)
    if response.status_code != 302:
        return response
    assert response.headers["cache-control"] == "private, no-store"
    async with httpx.AsyncClient() as outside:
        return await outside.get(response.headers["location"], headers={"Range": headers.get("Range", "")})


async def test_a_big_upload_lands_in_the_bucket_and_comes_back(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    alice = await make_user()
    item = await upload(client, alice, BIG, "big.bin.txt")
    assert item["size"] == len(BIG)
    store = app.state.storage
    assert isinstance(store, S3BlobStore)
    originals = [entry async for entry in store.scan(keys.ORIGINALS)]
    assert [entry.size for entry in originals] == [len(BIG)]
    direct = await client.get(item["urls"]["download"], headers=alice.headers)
    assert direct.status_code == (302 if settings.download_redirect else 200)
    whole = await fetch(client, item["urls"]["download"], alice.headers)
    assert whole.status_code == 200
    assert hashlib.sha256(whole.content).hexdigest() == hashlib.sha256(BIG).hexdigest()
    assert whole.headers["content-disposition"].startswith('attachment; filename="big.bin.txt"')
    ranged = await fetch(
        client, item["urls"]["download"], {**alice.headers, "Range": "bytes=9000000-9999999"}
    )
    assert ranged.status_code == 206
    assert ranged.content == BIG[9000000:10000000]
    head = await client.head(item["urls"]["download"], headers=alice.headers)
    assert (head.status_code, head.headers["content-length"]) == (200, str(len(BIG)))


async def test_renditions_live_in_the_bucket_and_go_with_the_file(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    item = await upload(client, alice, png_bytes((640, 480)), "photo.png")
    thumbnail = await client.get(f"/api/images/{item['id']}/thumbnail", headers=alice.headers)
    assert thumbnail.status_code == 200
    assert thumbnail.headers["content-type"] == "image/webp"
    store = app.state.storage
    storage_key = (await store_keys(store))[0].split("/")[1]
    renditions = [entry.key async for entry in store.scan(keys.renditions_of(storage_key))]
    assert renditions
    assert (await client.delete(f"/api/files/{item['id']}", headers=alice.headers)).status_code == 204
    assert (await client.delete("/api/trash", headers=alice.headers)).status_code == 204
    assert await store_keys(store) == []
    assert [entry async for entry in store.scan(keys.RENDITIONS)] == []


async def store_keys(store: S3BlobStore) -> list[str]:
    return [entry.key async for entry in store.scan(keys.ORIGINALS)]


async def test_a_missing_blob_is_content_missing(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    item = await upload(client, alice, b"some text\n", "a.txt")
    for key in await store_keys(app.state.storage):
        await app.state.storage.delete(key)
    response = await client.get(item["urls"]["download"], headers=alice.headers)
    assert (response.status_code, response.json()["code"]) == (404, "content_missing")


async def test_a_resumable_upload_in_several_patches_lands_in_the_bucket(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    alice = await make_user()
    tus = {**alice.headers, "Tus-Resumable": "1.0.0"}
    sizes = {"Upload-Length": str(len(BIG)), "Upload-Metadata": metadata(filename="big.txt")}
    created = await client.post("/api/uploads/tus", headers={**tus, **sizes})
    assert created.status_code == 201, created.text
    url = httpx.URL(created.headers["location"]).path
    store = app.state.storage
    step = 7 * 1024 * 1024 + 3  # pieces that straddle the multipart buffer
    for offset in range(0, len(BIG), step):
        patched = await client.patch(
            url,
            content=BIG[offset : offset + step],
            headers={**tus, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"},
        )
        assert patched.status_code == 204, patched.text
        if offset == 0:
            assert len(await store.resumable_ids()) == 1
    assert await store.resumable_ids() == []
    done = (await client.get(f"/api/uploads/{url.rsplit('/', 1)[1]}", headers=alice.headers)).json()
    assert done["state"] == "done"
    whole = await fetch(client, done["file"]["urls"]["download"], alice.headers)
    assert hashlib.sha256(whole.content).hexdigest() == hashlib.sha256(BIG).hexdigest()


async def test_a_pdf_in_the_bucket_gets_its_preview_and_text(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    """The sandboxed decoder reads a regular file: the bucket's bytes are spooled to one."""
    alice = await make_user()
    item = await upload(client, alice, pdf_bytes(["Quarterly zeppelin report", "Appendix"]), "r.pdf")
    response = await client.get(item["urls"]["preview"], headers=alice.headers)
    assert (response.status_code, response.headers["content-type"]) == (200, "image/webp")
    found = await client.get("/api/search", params={"q": "zeppelin"}, headers=alice.headers)
    assert [hit["name"] for hit in found.json()["items"]] == ["r.pdf"]


async def test_a_video_in_the_bucket_gets_its_poster_from_the_uploads_own_copy(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    """The part kept a local copy of the bytes for the extraction child (no read back)."""
    alice = await make_user()
    item = await upload(client, alice, mp4_bytes(seconds=1.0), "clip.mp4")
    assert (item["media"]["width"], item["media"]["height"]) == (320, 180)
    poster = await client.get(item["urls"]["preview"], headers=alice.headers)
    assert (poster.status_code, poster.headers["content-type"]) == (200, "image/webp")
