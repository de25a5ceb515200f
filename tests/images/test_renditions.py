"""Thumbnails and renders: sizes, caching headers, 304, on-disk cache reuse."""

import asyncio
import io
from typing import Any, BinaryIO

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from app.config import Settings
from app.images import renditions
from app.storage import keys, open_store
from tests.conftest import MakeUser
from tests.files.helpers import delete_blobs, stored_blobs
from tests.gallery import Rows, add_to_album, create_album, upload


def dimensions(response: httpx.Response) -> tuple[int, int]:
    assert response.status_code == 200, response.text
    with Image.open(io.BytesIO(response.content)) as image:
        return image.size


async def renditions_of(settings: Settings) -> list[str]:
    return await stored_blobs(settings, keys.RENDITIONS)


def name_of(key: str) -> str:
    return key.rsplit("/", 1)[-1]


async def test_thumbnail_sizes(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    image = await upload(client, alice, size=(1200, 600))
    url = f"/api/images/{image['id']}/thumbnail"
    response = await client.get(url, headers=alice.headers)
    assert response.headers["content-type"] == "image/webp"
    assert dimensions(response) == (256, 128)
    assert dimensions(await client.get(url, params={"size": "medium"}, headers=alice.headers)) == (1024, 512)
    # never enlarged beyond the original
    assert dimensions(await client.get(url, params={"size": "large"}, headers=alice.headers)) == (1200, 600)
    response = await client.get(url, params={"size": "huge"}, headers=alice.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_thumbnail_etag_304_and_cache_control(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    image = await upload(client, alice)
    url = f"/api/images/{image['id']}/thumbnail"
    first = await client.get(url, headers=alice.headers)
    etag = first.headers["etag"]
    assert etag.startswith('"')  # strong, not W/
    assert first.headers["cache-control"] == "private, max-age=31536000, immutable"
    again = await client.get(url, headers={**alice.headers, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    other = await client.get(url, params={"size": "medium"}, headers={**alice.headers, "If-None-Match": etag})
    assert other.status_code == 200
    assert other.headers["etag"] != etag

    album = await create_album(client, alice, privacy_setting="public")
    await add_to_album(client, alice, album["id"], [image["id"]])
    public = await client.get(url)
    assert public.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert public.headers["etag"] == etag
    assert public.content == first.content


async def test_concurrent_thumbnail_requests_all_get_the_whole_thumbnail(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings, app: FastAPI
) -> None:
    alice = await make_user("alice")
    image = await upload(client, alice, size=(800, 800))
    key = (await Rows(app).file(image["id"])).storage_key
    await delete_blobs(settings, await renditions_of(settings))  # as if the upload never made thumbnails
    url = f"/api/images/{image['id']}/thumbnail?size=medium"
    responses = await asyncio.gather(*(client.get(url, headers=alice.headers) for _ in range(4)))
    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1
    made = [found for found in await renditions_of(settings) if key in found]
    assert [name_of(found) for found in made] == ["medium.webp"]  # no stray temporary files


async def test_render_cover_exact_size_and_cache_reuse(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    alice = await make_user("alice")
    image = await upload(client, alice, size=(400, 300))
    url = f"/api/images/{image['id']}/render"
    params = {"w": "120", "h": "120", "fit": "cover", "format": "jpeg", "quality": "80"}
    response = await client.get(url, params=params, headers=alice.headers)
    assert response.headers["content-type"] == "image/jpeg"
    assert dimensions(response) == (120, 120)
    cached = [found for found in await renditions_of(settings) if name_of(found).startswith("render-")]
    assert len(cached) == 1
    made_at = (await open_store(settings).stat(cached[0])).modified

    again = await client.get(url, params=params, headers=alice.headers)
    assert again.content == response.content
    assert (await open_store(settings).stat(cached[0])).modified == made_at
    assert [
        found for found in await renditions_of(settings) if name_of(found).startswith("render-")
    ] == cached

    contain = await client.get(url, params={"w": "120", "h": "120", "format": "png"}, headers=alice.headers)
    assert contain.headers["content-type"] == "image/png"
    assert dimensions(contain) == (120, 90)


async def test_concurrent_renders_make_it_once(
    client: httpx.AsyncClient, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await make_user("alice")
    image = await upload(client, alice, size=(900, 700))
    calls: list[object] = []
    real_render = renditions.render

    def counting_render(source: BinaryIO, **options: Any) -> bytes:
        calls.append(source)
        return real_render(source, **options)

    monkeypatch.setattr(renditions, "render", counting_render)
    url = f"/api/images/{image['id']}/render?w=300&h=200&fit=cover"
    responses = await asyncio.gather(*(client.get(url, headers=alice.headers) for _ in range(4)))
    assert [r.status_code for r in responses] == [200] * 4
    assert len({r.content for r in responses}) == 1
    assert len(calls) == 1
    other = await client.get(url.replace("w=300", "w=301"), headers=alice.headers)
    assert other.status_code == 200
    assert len(calls) == 2


async def test_render_bounds(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    image = await upload(client, alice)
    url = f"/api/images/{image['id']}/render"
    for params in ({"w": "4097"}, {"h": "0"}, {"fit": "stretch"}, {"format": "gif"}, {"quality": "101"}):
        response = await client.get(url, params=params, headers=alice.headers)
        assert response.status_code == 422, params
    # no size: the original's size (never enlarged), re-encoded as asked
    response = await client.get(url, params={"format": "webp"}, headers=alice.headers)
    assert response.headers["content-type"] == "image/webp"
    assert dimensions(response) == (64, 48)


async def test_deleted_image_has_no_thumbnail(
    client: httpx.AsyncClient, make_user: MakeUser, app: FastAPI
) -> None:
    alice = await make_user("alice")
    image = await upload(client, alice)
    await client.delete(f"/api/images/{image['id']}", headers=alice.headers)
    assert (
        await client.get(f"/api/images/{image['id']}/thumbnail", headers=alice.headers)
    ).status_code == 404
