"""What one anonymous render may cost: bounded pixels, first frame only, one cache entry per picture."""

import io
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from app.config import Settings
from tests.conftest import MakeUser
from tests.gallery import add_to_album, create_album, upload


def originals_of(settings: Settings) -> list[Path]:
    return [p for p in (settings.upload_dir / "originals").rglob("*") if p.is_file()]


def gif_with_a_broken_tail(frames: int = 6) -> bytes:
    """An animated GIF whose bytes after the last whole frame are cut: only a reader that walks
    every frame (as `n_frames` does) trips over them."""
    pictures = [Image.new("P", (8, 8), i % 2) for i in range(3)]
    buffer = io.BytesIO()
    pictures[0].save(buffer, "GIF", save_all=True, append_images=pictures[1:], duration=10, disposal=1)
    body = buffer.getvalue()[:-1]  # without the trailer
    frame = body[body.rfind(b"\x21\xf9") :]  # the last frame: graphic control extension onwards
    return body + frame * frames + frame[:4]


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
async def test_images_over_50_megapixels_are_refused_at_upload(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    alice = await make_user("alice")
    buffer = io.BytesIO()
    Image.new("1", (7100, 7100)).save(buffer, "PNG")  # 50.4 MP in a few KB
    response = await client.post(
        "/api/upload", files={"files": ("big.png", buffer.getvalue())}, headers=alice.headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "image_too_large"
    assert originals_of(settings) == []


async def test_render_reads_only_the_first_frames_of_an_animation(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    image = await upload(client, alice, "anim.gif", data=gif_with_a_broken_tail())
    album = await create_album(client, alice, privacy_setting="public")
    await add_to_album(client, alice, album["id"], [image["id"]])
    render = await client.get(f"/api/images/{image['id']}/render", params={"format": "png"})
    assert render.status_code == 200, render.text
    with Image.open(io.BytesIO(render.content)) as shown:
        assert shown.size == (8, 8)
    thumbnail = await client.get(f"/api/images/{image['id']}/thumbnail")
    assert thumbnail.status_code == 200, thumbnail.text


def render_files(settings: Settings) -> list[Path]:
    return [p for p in (settings.upload_dir / "renditions").rglob("render-*") if p.is_file()]


async def test_sizes_past_the_source_share_one_cache_entry(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    alice = await make_user("alice")
    image = await upload(client, alice, size=(64, 48))
    album = await create_album(client, alice, privacy_setting="public")
    await add_to_album(client, alice, album["id"], [image["id"]])
    url = f"/api/images/{image['id']}/render"
    bodies = set()
    for w in range(64, 114):
        response = await client.get(url, params={"w": w})
        assert response.status_code == 200
        bodies.add(response.content)
    for params in ({"h": 48}, {"h": 4096}, {"w": 64, "h": 48}, {"w": 4096, "h": 4096}, {}):
        bodies.add((await client.get(url, params=params)).content)
    assert len(bodies) == 1
    with Image.open(io.BytesIO(bodies.pop())) as shown:
        assert shown.size == (64, 48)
    assert len(render_files(settings)) == 1


async def test_equivalent_parameters_share_one_cache_entry(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    alice = await make_user("alice")
    image = await upload(client, alice, size=(400, 300))
    url = f"/api/images/{image['id']}/render"

    async def get(**params: object) -> httpx.Response:
        response = await client.get(url, params=params, headers=alice.headers)
        assert response.status_code == 200, response.text
        return response

    # an edge that does not bind; one-edge cover is contain
    same = [await get(w=100), await get(w=100, h=300), await get(w=100, fit="cover"), await get(h=75)]
    assert len({r.content for r in same}) == 1
    # quality in steps of 5; PNG has none
    assert (await get(w=100, quality=83)).content == (await get(w=100, quality=85)).content
    assert (await get(w=100, format="png", quality=10)).content == (await get(w=100, format="png")).content
    # a cover box bigger than the source is the largest crop of its aspect
    covers = [await get(w=800, h=400, fit="cover"), await get(w=4000, h=2000, fit="cover")]
    assert covers[0].content == covers[1].content
    with Image.open(io.BytesIO(covers[0].content)) as crop:
        assert crop.size == (400, 200)
    assert len(render_files(settings)) == 3  # jpeg 100 wide, png 100 wide, jpeg cover 400x200
    # a smaller picture is another entry
    assert (await get(w=99)).content != same[0].content
    assert len(render_files(settings)) == 4


def client_at(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 1234))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_new_renders_are_rate_limited_per_client(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    settings.render_rate_limit = 3
    alice, bob = await make_user("alice"), await make_user("bob")
    image = await upload(client, alice, size=(400, 300))
    album = await create_album(client, alice, privacy_setting="public")
    await add_to_album(client, alice, album["id"], [image["id"]])
    url = f"/api/images/{image['id']}/render"
    async with client_at(app, "10.0.0.1") as visitor:
        for w in (10, 20, 30):
            assert (await visitor.get(url, params={"w": w})).status_code == 200
        refused = await visitor.get(url, params={"w": 40})
        assert refused.status_code == 429
        assert refused.json()["code"] == "rate_limited"
        assert 1 <= int(refused.headers["retry-after"]) <= settings.render_rate_window_seconds
        assert len(render_files(settings)) == 3  # nothing decoded for the refused one
        # what is cached costs nothing and is still served
        assert (await visitor.get(url, params={"w": 10})).status_code == 200
        # a signed-in user counts as themselves, not as their address
        assert (await visitor.get(url, params={"w": 40}, headers=bob.headers)).status_code == 200
    async with client_at(app, "10.0.0.2") as other:
        assert (await other.get(url, params={"w": 50})).status_code == 200
    assert len(render_files(settings)) == 5
