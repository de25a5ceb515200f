"""GET /s/{token}: the page for people, rendered on the server; strict CSP, no inline script, no
external asset; the password form sets a cookie scoped to the link."""

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from app.models import Share
from tests.conftest import MakeUser
from tests.files.helpers import png_bytes, upload
from tests.shares.helpers import album_with, share

pytestmark = pytest.mark.anyio


def no_external_or_inline(html: str) -> None:
    assert "<script>" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=\"/s-assets/)", html)
    assert not re.search(r"\son[a-z]+=", html)  # no inline handlers
    assert not re.search(r"(src|href|action)=\"(https?:)?//", html)  # nothing off the machine
    assert "style=" not in html


async def test_the_page_shows_a_grid_of_the_shared_images(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    album, files = await album_with(
        client, alice, [(f"{i}.png", png_bytes(color=c)) for i, c in enumerate(("red", "green", "blue"))]
    )
    link = await share(client, alice, album_id=album["id"], description="Summer <2026>")
    response = await client.get(f"/s/{link['token']}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["referrer-policy"] == "no-referrer"
    html = response.text
    no_external_or_inline(html)
    assert html.count('<img src="/api/s/') == 3
    assert "Summer &lt;2026&gt;" in html  # escaped
    assert f'href="/api/s/{link["token"]}/zip"' in html
    assert html.count(">Download</a>") == 3
    for file in files:
        assert f"/api/s/{link['token']}/files/{file['id']}/thumbnail?size=small" in html
        assert f'data-thumbhash="{file["image"]["thumbhash"]}"' in html
    assets = ("share.css", "share.js", "placeholders.js", "thumbhash.js")
    for asset in assets:
        kind = "text/css" if asset.endswith(".css") else "text/javascript"
        served = await client.get(f"/s-assets/{asset}")
        assert served.status_code == 200
        assert served.headers["content-type"].startswith(kind)
    assert (await client.get("/s-assets/nope.js")).status_code == 404


async def test_no_download_buttons_when_the_link_forbids_them(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    item = await upload(client, alice, png_bytes(), "a.png")
    link = await share(client, alice, file_ids=[item["id"]], allow_download=False)
    html = (await client.get(f"/s/{link['token']}")).text
    assert "/zip" not in html
    assert "/download" not in html
    assert html.count('<img src="/api/s/') == 1


async def test_plain_pages_for_unknown_revoked_and_expired_links(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    item = await upload(client, alice, png_bytes(), "a.png")
    unknown = await client.get("/s/no-such-token")
    assert unknown.status_code == 404
    assert "does not exist or was revoked" in unknown.text
    revoked = await share(client, alice, file_ids=[item["id"]])
    await client.delete(f"/api/shares/{revoked['id']}", headers=alice.headers)
    assert (await client.get(f"/s/{revoked['token']}")).status_code == 404
    expired = await share(client, alice, file_ids=[item["id"]])
    async with app.state.session_factory() as session:
        past = datetime.now(UTC) - timedelta(minutes=1)
        await session.execute(update(Share).where(Share.token == expired["token"]).values(expires_at=past))
        await session.commit()
    page = await client.get(f"/s/{expired['token']}")
    assert page.status_code == 410
    assert "expired" in page.text
    assert page.headers["content-type"].startswith("text/html")
    no_external_or_inline(page.text)


async def test_the_password_form_sets_a_cookie_for_this_link_only(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    album, files = await album_with(client, alice, [("a.png", png_bytes())])
    link = await share(client, alice, album_id=album["id"], password="let me in")
    token = link["token"]
    locked = await client.get(f"/s/{token}")
    assert locked.status_code == 401
    assert f'action="/s/{token}/unlock"' in locked.text
    assert 'type="password"' in locked.text
    wrong = await client.post(f"/s/{token}/unlock", data={"password": "nope"})
    assert wrong.status_code == 401
    assert "Wrong password" in wrong.text
    unlocked = await client.post(f"/s/{token}/unlock", data={"password": "let me in"})
    assert unlocked.status_code == 303
    assert unlocked.headers["location"] == f"/s/{token}"
    cookies = unlocked.headers.get_list("set-cookie")
    assert sorted(re.search(r"Path=([^;]+)", c, re.I).group(1) for c in cookies) == [  # type: ignore[union-attr]
        f"/api/s/{token}",
        f"/s/{token}",
    ]
    for cookie in cookies:
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
        assert "Max-Age=3600" in cookie
    page = await client.get(f"/s/{token}")
    assert page.status_code == 200
    assert page.text.count('<img src="/api/s/') == 1
    thumb = await client.get(f"/api/s/{token}/files/{files[0]['id']}/thumbnail")
    assert thumb.status_code == 200  # the API path carries the cookie too
    assert (await client.get("/api/albums", headers=alice.headers)).status_code == 200


async def test_a_client_asking_for_json_gets_the_problem_instead_of_a_page(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    item = await upload(client, alice, png_bytes(), "a.png")
    locked = await share(client, alice, file_ids=[item["id"]], password="let me in")
    json_only = {"Accept": "application/json"}
    unknown = await client.get("/s/nope", headers=json_only)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "share_not_found")
    page = await client.get(f"/s/{locked['token']}", headers=json_only)
    assert (page.status_code, page.json()["code"]) == (401, "share_locked")
    wrong = await client.post(f"/s/{locked['token']}/unlock", data={"password": "no"}, headers=json_only)
    assert (wrong.status_code, wrong.json()["code"]) == (401, "share_password_invalid")
