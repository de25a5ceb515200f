"""Hostile files end with no preview and a logged warning: never a 500, a hung worker or a dead
server. Each is uploaded, then the server must still answer and keep taking good files."""

import logging

import httpx
import pytest

from tests.conftest import MakeUser
from tests.previews.factory import docx_bomb, looping_pdf, mp4_bytes, pdf_bytes
from tests.previews.helpers import detail, found, healthy, upload


async def still_serving(client: httpx.AsyncClient, make_user: MakeUser, name: str) -> None:
    assert await healthy(client)
    carol = await make_user(f"carol{name}")
    item = await upload(client, carol, pdf_bytes(["afterwards ocelot"]), "after.pdf")
    assert (await detail(client, carol, item))["page_count"] == 1
    assert await found(client, carol, "ocelot") == ["after.pdf"]


async def test_truncated_mp4(
    client: httpx.AsyncClient, make_user: MakeUser, caplog: pytest.LogCaptureFixture
) -> None:
    alice = await make_user()
    caplog.set_level(logging.WARNING, logger="atrium.previews")
    item = await upload(client, alice, mp4_bytes()[:3000], "cut.mp4")
    assert item["kind"] == "video"
    assert item["media"] is None
    response = await client.get(item["urls"]["preview"], headers=alice.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "preview_unavailable"
    assert any("extraction video" in record.getMessage() for record in caplog.records)
    await still_serving(client, make_user, "mp4")


async def test_pdf_with_a_reference_loop(
    client: httpx.AsyncClient, make_user: MakeUser, caplog: pytest.LogCaptureFixture
) -> None:
    alice = await make_user()
    caplog.set_level(logging.WARNING, logger="atrium.previews")
    item = await upload(client, alice, looping_pdf(), "loop.pdf")
    assert (await detail(client, alice, item))["page_count"] is None
    response = await client.get(item["urls"]["preview"], headers=alice.headers)
    assert response.status_code == 404
    assert any("extraction pdf" in record.getMessage() for record in caplog.records)
    await still_serving(client, make_user, "loop")


async def test_pdf_with_a_page_200000_points_wide(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user()
    item = await upload(client, alice, pdf_bytes(["enormous okapi"], width=200_000, height=200), "wide.pdf")
    assert (await detail(client, alice, item))["page_count"] == 1
    assert await found(client, alice, "okapi") == ["wide.pdf"]
    response = await client.get(item["urls"]["preview"], headers=alice.headers)
    assert response.status_code in (200, 404)  # a sliver at 256 px: drawn tiny, or not at all
    if response.status_code == 200:
        assert len(response.content) < 64 * 1024
    await still_serving(client, make_user, "wide")


async def test_zip_bomb_named_docx_is_kept_without_text(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    item = await upload(client, alice, docx_bomb(), "bomb.docx")
    assert item["kind"] == "document"
    assert await found(client, alice, "bomb") == ["bomb.docx"]  # found by its name only
    await still_serving(client, make_user, "bomb")
