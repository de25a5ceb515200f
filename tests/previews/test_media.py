"""Video and audio: a poster frame, duration and frame size in `media`."""

import io

import httpx
import pytest
from PIL import Image

from tests.conftest import MakeUser
from tests.previews.factory import mp4_bytes, wav_bytes
from tests.previews.helpers import detail, upload


async def test_video_gets_a_poster_duration_and_size(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user()
    item = await upload(client, alice, mp4_bytes(width=320, height=180, seconds=2.0), "clip.mp4")
    assert item["kind"] == "video"
    assert item["image"] is None
    assert item["media"]["duration_seconds"] == pytest.approx(2.0, abs=0.15)
    assert (item["media"]["width"], item["media"]["height"]) == (320, 180)
    assert (await detail(client, alice, item))["media"] == item["media"]
    response = await client.get(item["urls"]["preview"], headers=alice.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    poster = Image.open(io.BytesIO(response.content)).convert("RGB")
    assert poster.size == (256, 144)
    # the factory paints the left half green and the right half red growing with time: the poster
    # is a frame from about one second in, not the black of an empty decode
    left, right = poster.getpixel((40, 72)), poster.getpixel((216, 72))
    assert isinstance(left, tuple)
    assert isinstance(right, tuple)
    assert left[1] > 150
    assert right[0] > 100


async def test_audio_gets_its_duration_and_no_preview(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user()
    item = await upload(client, alice, wav_bytes(seconds=1.5), "note.wav")
    assert item["kind"] == "audio"
    assert item["media"] == {"duration_seconds": pytest.approx(1.5, abs=0.01), "width": None, "height": None}
    response = await client.get(item["urls"]["preview"], headers=alice.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "preview_unavailable"
