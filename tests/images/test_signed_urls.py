"""SIGNED_URL_SECONDS: `urls.thumbnail` in File is a signed, expiring URL that needs no token and
may be cached publicly until it expires; a changed or expired one is refused."""

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.config import Settings
from app.signing import signer_of
from tests.conftest import TEST_SECRET, MakeUser
from tests.files.helpers import png_bytes, upload

pytestmark = pytest.mark.anyio
SECONDS = 120


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"signed_url_seconds": SECONDS})


async def test_a_signed_thumbnail_needs_no_token_and_is_public_until_it_expires(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    item = await upload(client, alice, png_bytes((300, 200)), "photo.png")
    url = item["urls"]["thumbnail"]
    assert url.startswith(f"/api/images/{item['id']}/thumbnail?size=small&expires=")
    unsigned = await client.get(f"/api/images/{item['id']}/thumbnail")
    assert unsigned.status_code == 404  # a private image, no token
    response = await client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    cache = response.headers["cache-control"]
    assert cache.startswith("public, max-age=")
    assert SECONDS <= int(cache.split("=")[1]) <= 2 * SECONDS
    listed = (await client.get("/api/files", headers=alice.headers)).json()["items"][0]
    assert listed["urls"]["thumbnail"] == url  # stable for a while: caches hit


async def test_text_files_get_no_thumbnail_url(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user()
    item = await upload(client, alice, b"just words\n", "a.txt")
    assert item["urls"]["thumbnail"] is None


@pytest.mark.parametrize("change", ["signature", "expires", "size", "image"])
async def test_a_changed_url_is_invalid(client: httpx.AsyncClient, make_user: MakeUser, change: str) -> None:
    alice = await make_user()
    item = await upload(client, alice, png_bytes(), "photo.png")
    other = await upload(client, alice, png_bytes(color="green"), "other.png")
    query = {key: values[0] for key, values in parse_qs(urlsplit(item["urls"]["thumbnail"]).query).items()}
    path = f"/api/images/{item['id']}/thumbnail"
    if change == "signature":
        query["signature"] = ("A" if query["signature"][0] != "A" else "B") + query["signature"][1:]
    elif change == "expires":
        query["expires"] = str(int(query["expires"]) + 3600)
    elif change == "size":
        query["size"] = "medium"
    else:
        path = f"/api/images/{other['id']}/thumbnail"
    response = await client.get(path, params=query)
    assert (response.status_code, response.json()["code"]) == (403, "signed_url_invalid")


async def test_an_expired_url_is_refused(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    alice = await make_user()
    item = await upload(client, alice, png_bytes(), "photo.png")
    signer = signer_of(settings)
    assert signer is not None
    path = f"/api/images/{item['id']}/thumbnail?size=small"
    expired = signer.url(path, now=0)  # signed long ago: expired at 2 * SECONDS after the epoch
    response = await client.get(expired)
    assert (response.status_code, response.json()["code"]) == (403, "signed_url_expired")
    missing = await client.get(path + "&expires=99999999999")
    assert (missing.status_code, missing.json()["code"]) == (403, "signed_url_invalid")


async def test_without_the_setting_no_url_is_signed(tmp_path: Path, database_url: str) -> None:
    off = Settings(environment="test", database_url=database_url, upload_dir=tmp_path, secret_key=TEST_SECRET)
    assert signer_of(off) is None
