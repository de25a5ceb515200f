"""Links with a password: 401 `share_locked` until unlocked; unlock tokens are for one link and die
with a password change or a revoke; failed unlocks are limited per address and per link."""

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import MakeUser
from tests.files.helpers import png_bytes
from tests.shares.helpers import album_with, share

pytestmark = pytest.mark.anyio


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_locked_link_needs_its_unlock_token_everywhere(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    album, files = await album_with(client, alice, [("a.png", png_bytes())])
    link = await share(client, alice, album_id=album["id"], password="correct horse")
    base = f"/api/s/{link['token']}"
    paths = ("", f"/files/{files[0]['id']}/download", f"/files/{files[0]['id']}/thumbnail", "/zip")
    for path in paths:
        response = await client.get(base + path)
        assert (response.status_code, response.json()["code"]) == (401, "share_locked"), path
        assert response.headers["www-authenticate"] == "Bearer"
    wrong = await client.post(f"{base}/unlock", json={"password": "battery staple"})
    assert (wrong.status_code, wrong.json()["code"]) == (401, "share_password_invalid")
    unlocked = await client.post(f"{base}/unlock", json={"password": "correct horse"})
    assert unlocked.status_code == 200
    body = unlocked.json()
    assert body["token_type"] == "bearer"
    assert 0 < body["expires_in"] <= 3600
    for path in paths:
        assert (await client.get(base + path, headers=bearer(body["access_token"]))).status_code == 200, path
    listing = (await client.get(base, headers=bearer(body["access_token"]))).json()
    assert listing["share"]["has_password"] is True
    assert (await client.get(base, headers=bearer("not-a-token"))).status_code == 401


async def test_an_unlock_token_opens_its_own_link_only(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    album, _ = await album_with(client, alice, [("a.png", png_bytes())])
    first = await share(client, alice, album_id=album["id"], password="same password")
    second = await share(client, alice, album_id=album["id"], password="same password")
    token = (await client.post(f"/api/s/{first['token']}/unlock", json={"password": "same password"})).json()
    assert (
        await client.get(f"/api/s/{second['token']}", headers=bearer(token["access_token"]))
    ).status_code == 401


async def test_changing_or_removing_the_password_or_revoking_invalidates_unlock_tokens(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    album, _ = await album_with(client, alice, [("a.png", png_bytes())])
    link = await share(client, alice, album_id=album["id"], password="first password")
    base = f"/api/s/{link['token']}"

    async def unlock(password: str) -> dict[str, str]:
        response = await client.post(f"{base}/unlock", json={"password": password})
        assert response.status_code == 200, response.text
        return bearer(response.json()["access_token"])

    old = await unlock("first password")
    await client.patch(
        f"/api/shares/{link['id']}", json={"password": "second password"}, headers=alice.headers
    )
    assert (await client.get(base, headers=old)).status_code == 401
    assert (await client.post(f"{base}/unlock", json={"password": "first password"})).status_code == 401
    new = await unlock("second password")
    assert (await client.get(base, headers=new)).status_code == 200
    # the same password set again is a new hash: the tokens of the old one die too
    await client.patch(
        f"/api/shares/{link['id']}", json={"password": "second password"}, headers=alice.headers
    )
    assert (await client.get(base, headers=new)).status_code == 401
    await client.patch(f"/api/shares/{link['id']}", json={"password": None}, headers=alice.headers)
    assert (await client.get(base)).status_code == 200  # no password, no lock
    await client.patch(
        f"/api/shares/{link['id']}", json={"password": "third password"}, headers=alice.headers
    )
    third = await unlock("third password")
    await client.delete(f"/api/shares/{link['id']}", headers=alice.headers)
    assert (await client.get(base, headers=third)).status_code == 404


async def test_failed_unlocks_are_limited_per_address(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    album, _ = await album_with(client, alice, [("a.png", png_bytes())])
    link = await share(client, alice, album_id=album["id"], password="the real one")
    url = f"/api/s/{link['token']}/unlock"
    statuses = [(await client.post(url, json={"password": f"guess {i}"})).status_code for i in range(12)]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    limited = await client.post(url, json={"password": "the real one"})  # even the right one, for now
    assert (limited.status_code, limited.json()["code"]) == (429, "rate_limited")
    assert int(limited.headers["retry-after"]) > 0


async def test_failed_unlocks_are_limited_per_link_across_addresses(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    album, _ = await album_with(client, alice, [("a.png", png_bytes())])
    link = await share(client, alice, album_id=album["id"], password="the real one")
    other = await share(client, alice, album_id=album["id"], password="the real one")
    url = f"/api/s/{link['token']}/unlock"
    statuses = []
    for address in range(6):  # 9 failures from each of 6 addresses: under the address limit
        transport = httpx.ASGITransport(app=app, client=(f"10.0.0.{address + 1}", 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as visitor:
            for attempt in range(9):
                statuses.append((await visitor.post(url, json={"password": f"guess {attempt}"})).status_code)
    assert statuses[:50] == [401] * 50
    assert set(statuses[50:]) == {429}
    fresh = httpx.ASGITransport(app=app, client=("10.0.1.1", 1234))
    async with httpx.AsyncClient(transport=fresh, base_url="http://testserver") as visitor:
        assert (await visitor.post(url, json={"password": "x"})).status_code == 429  # this link
        open_other = await visitor.post(f"/api/s/{other['token']}/unlock", json={"password": "the real one"})
        assert open_other.status_code == 200  # another link is not locked out
