"""Two server processes on loopback sharing one database and one store (PostgreSQL and S3 when the
suite runs on them): what one process does holds in the other at once. One pair for the module
(starting servers is the slow part); each test has its own user."""

import hashlib
import io
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import fresh_database, settings_for
from tests.images.factory import noisy
from tests.servers import Server, server_pair

MIB = 1024 * 1024
Pair = tuple[Server, Server]
pytestmark = pytest.mark.xdist_group("processes")


@pytest.fixture(scope="module")
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, template_db: str
) -> Iterator[Pair]:
    directory = tmp_path_factory.mktemp("processes")
    with fresh_database(directory, template_db) as database_url:
        settings = settings_for(request, directory, database_url)
        with server_pair(settings, LOGIN_ATTEMPTS="3", DEFAULT_STORAGE_QUOTA=str(3 * MIB)) as servers:
            yield servers


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _upload(server: Server, token: str, name: str, data: bytes, mime: str) -> httpx.Response:
    files = {"files": (name, data, mime)}
    return httpx.post(f"{server.url}/api/upload", files=files, headers=_auth(token), timeout=60)


def _login(server: Server, password: str) -> httpx.Response:
    body = {"username": "guessed", "password": password}
    return httpx.post(f"{server.url}/api/auth/login", json=body, timeout=30)


def test_failed_logins_are_counted_across_processes(pair: Pair) -> None:
    first, second = pair
    first.register("guessed")
    for server in (first, second, first):
        assert _login(server, "wrong password").status_code == 401
    limited = _login(second, "correct horse")
    assert (limited.status_code, limited.json()["code"]) == (429, "rate_limited")
    assert _login(first, "correct horse").status_code == 429


def test_concurrent_uploads_into_both_processes_stay_within_the_quota(pair: Pair) -> None:
    first, second = pair
    token = first.register("quota")
    bodies = [os.urandom(MIB // 2).hex().encode() for _ in range(6)]  # 1 MiB of text each

    def upload(n: int) -> httpx.Response:
        return _upload((first, second)[n % 2], token, f"f{n}.txt", bodies[n], "text/plain")

    with ThreadPoolExecutor(len(bodies)) as pool:
        answers = list(pool.map(upload, range(len(bodies))))
    kept = [a for a in answers if a.status_code == 201]
    refused = [a for a in answers if a.status_code != 201]
    assert {a.json()["code"] for a in refused} == {"quota_exceeded"}
    assert 1 <= len(kept) <= 3
    stats = second.get("/api/storage/stats", token)
    assert stats["quota"] == {"used": len(kept) * MIB, "limit": 3 * MIB}


def test_upload_in_one_process_downloads_from_the_other(pair: Pair) -> None:
    first, second = pair
    token = first.register("handover")
    data = os.urandom(MIB // 2).hex().encode()
    created = _upload(first, token, "notes.txt", data, "text/plain")
    assert created.status_code == 201, created.text
    file_id = created.json()["files"][0]["id"]
    got = httpx.get(f"{second.url}/api/files/{file_id}/download", headers=_auth(token), timeout=30)
    assert got.status_code == 200
    assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(data).hexdigest()


def test_a_thumbnail_asked_of_both_processes_at_once_is_the_same(pair: Pair) -> None:
    first, second = pair
    token = first.register("thumbs")
    photo = io.BytesIO()
    noisy((1200, 800)).save(photo, "JPEG", quality=90)
    created = _upload(first, token, "photo.jpg", photo.getvalue(), "image/jpeg")
    assert created.status_code == 201, created.text
    image_id = created.json()["files"][0]["id"]

    def thumbnail(server: Server) -> httpx.Response:
        url = f"{server.url}/api/images/{image_id}/thumbnail?size=medium"
        return httpx.get(url, headers=_auth(token), timeout=60)

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(thumbnail, [first, second, first, second]))
    assert [a.status_code for a in answers] == [200] * 4
    assert len({a.content for a in answers}) == 1
    assert thumbnail(second).content == answers[0].content  # and what stayed in the store


def test_logout_in_one_process_is_refused_by_the_other_at_once(pair: Pair) -> None:
    first, second = pair
    token = first.register("leaving")
    assert second.get("/api/auth/user", token)["username"] == "leaving"
    out = httpx.post(f"{first.url}/api/auth/logout", headers=_auth(token), timeout=30)
    assert out.status_code == 204
    refused = httpx.get(f"{second.url}/api/auth/user", headers=_auth(token), timeout=30)
    assert (refused.status_code, refused.json()["code"]) == (401, "invalid_token")
