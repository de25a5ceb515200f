"""DOWNLOAD_REDIRECT on S3 (moto on loopback): a presigned URL would hand out the compressed
bytes, so compressed originals are served through the API; plain ones still redirect."""

import httpx
import pytest

from app.config import Settings
from tests.compression.helpers import prose
from tests.conftest import MakeUser
from tests.files.helpers import jpeg_bytes, upload
from tests.storage.helpers import S3Server, on_s3

pytestmark = pytest.mark.anyio
TEXT = prose(2 * 1024 * 1024)


@pytest.fixture
def settings(settings: Settings, s3: S3Server) -> Settings:
    return on_s3(settings, s3, download_redirect=True, compress_at_rest=True)


async def test_compressed_originals_are_served_not_redirected(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    text = await upload(client, alice, TEXT, "book.txt")
    served = await client.get(text["urls"]["download"], headers=alice.headers)
    assert (served.status_code, served.content) == (200, TEXT)
    ranged = await client.get(text["urls"]["download"], headers={**alice.headers, "Range": "bytes=10-19"})
    assert (ranged.status_code, ranged.content) == (206, TEXT[10:20])
    photo = await upload(client, alice, jpeg_bytes(), "photo.jpg")
    moved = await client.get(photo["urls"]["download"], headers=alice.headers)
    assert moved.status_code == 302
    async with httpx.AsyncClient() as outside:
        assert (await outside.get(moved.headers["location"])).content == jpeg_bytes()
