import base64
import json
import time
import uuid
from datetime import timedelta

import httpx

from app.auth import security
from app.db import utcnow
from tests.conftest import TEST_SECRET, MakeUser

REGISTER = "/api/auth/register"
LOGIN = "/api/auth/login"


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["code"] == code
    assert body["status"] == status
    return body


async def test_register_answers_user_and_token(client: httpx.AsyncClient) -> None:
    response = await client.post(
        REGISTER, json={"username": "Ada", "email": "Ada@Example.com", "password": "long enough"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 24 * 3600
    assert body["user"]["username"] == "Ada"
    assert body["user"]["email"] == "ada@example.com"
    assert body["user"]["created_at"].endswith("Z")
    assert "password" not in json.dumps(body)
    me = await client.get("/api/auth/user", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["stats"] == {
        "total_files": 0,
        "total_images": 0,
        "storage_used": 0,
        "storage_quota": 10 * 1024**3,
    }


async def test_usernames_equal_but_for_case_conflict(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    await make_user("alice")
    response = await client.post(
        REGISTER, json={"username": "ALICE", "email": "other@example.com", "password": "long enough"}
    )
    _problem(response, 409, "username_taken")


async def test_email_taken_conflicts(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    await make_user("alice")
    response = await client.post(
        REGISTER, json={"username": "bob", "email": "ALICE@example.com", "password": "long enough"}
    )
    _problem(response, 409, "email_taken")


async def test_weak_password_and_bad_email_are_422(client: httpx.AsyncClient) -> None:
    weak = await client.post(
        REGISTER, json={"username": "bob", "email": "b@example.com", "password": "short"}
    )
    body = _problem(weak, 422, "validation_error")
    assert isinstance(body["errors"], list)
    assert body["errors"][0]["loc"] == ["body", "password"]
    bad_email = await client.post(
        REGISTER, json={"username": "bob", "email": "not-an-email", "password": "long enough"}
    )
    _problem(bad_email, 422, "validation_error")


async def test_malformed_json_is_422_not_500(client: httpx.AsyncClient) -> None:
    for raw in (b"{bad", b"", b"[]", b"null", b'{"username": 5}', b"\xff\xfe"):
        response = await client.post(REGISTER, content=raw, headers={"Content-Type": "application/json"})
        _problem(response, 422, "validation_error")


async def test_login_by_username_or_email(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    await make_user("alice", password="correct horse")
    by_name = await client.post(LOGIN, json={"username": "ALICE", "password": "correct horse"})
    by_email = await client.post(LOGIN, json={"username": "alice@example.com", "password": "correct horse"})
    assert by_name.status_code == by_email.status_code == 200
    assert by_name.json()["user"]["username"] == "alice"


async def test_unknown_user_and_wrong_password_answer_alike(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    await make_user("alice", password="correct horse")

    async def timed(username: str) -> tuple[httpx.Response, float]:
        start = time.perf_counter()
        response = await client.post(LOGIN, json={"username": username, "password": "wrong password"})
        elapsed = time.perf_counter() - start
        assert response.status_code == 401  # a 429 would be fast for both and prove nothing
        return response, elapsed

    wrong, _ = await timed("alice")
    unknown, _ = await timed("nobody")
    assert wrong.json() | {"detail": ""} == unknown.json() | {"detail": ""}
    assert wrong.json()["detail"] == unknown.json()["detail"]
    _problem(unknown, 401, "invalid_credentials")


def test_unknown_user_costs_a_hash_verification() -> None:
    """An unknown user's login verifies a dummy hash, so it takes as long as a wrong password."""
    stored = security.hash_password("correct horse")
    timings: dict[str | None, list[float]] = {None: [], stored: []}
    for _ in range(9):  # interleaved, so load on the machine falls on both alike
        for stored_hash in (None, stored):
            start = time.perf_counter()
            assert security.verify_password("wrong password", stored_hash) == (False, None)
            timings[stored_hash].append(time.perf_counter() - start)
    # Without the dummy check the unknown-user path takes microseconds against milliseconds (~0.001).
    assert min(timings[None]) > min(timings[stored]) * 0.1


async def test_token_endpoint_takes_the_oauth2_form(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    await make_user("alice", password="correct horse")
    response = await client.post("/api/auth/token", data={"username": "alice", "password": "correct horse"})
    assert response.status_code == 200
    token = response.json()["access_token"]
    me = await client.get("/api/auth/user", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    bad = await client.post("/api/auth/token", data={"username": "alice", "password": "nope"})
    _problem(bad, 401, "invalid_credentials")


async def test_missing_token_is_401_with_challenge(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/auth/user")
    _problem(response, 401, "not_authenticated")
    assert response.headers["www-authenticate"] == "Bearer"


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_tampered_and_unsigned_tokens_are_refused(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user("alice")
    bob = await make_user("bob")
    header, payload, signature = alice.token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = dict(claims, sub=bob.id)
    tampered = f"{header}.{_b64(forged)}.{signature}"
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    other_key = security.create_access_token(
        "another-secret-key-that-is-long-enough-000",
        user_id=uuid.UUID(alice.id),
        session_id=uuid.UUID(claims["sid"]),
        issued_at=utcnow(),
        expires_at=utcnow() + timedelta(hours=1),
    )
    for token in (tampered, unsigned, other_key, "garbage", alice.token + "x"):
        response = await client.get("/api/auth/user", headers={"Authorization": f"Bearer {token}"})
        _problem(response, 401, "invalid_token")
        assert response.headers["www-authenticate"] == "Bearer"
    ok = await client.get("/api/auth/user", headers=alice.headers)
    assert ok.status_code == 200


async def test_expired_token_is_refused(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    sid = json.loads(base64.urlsafe_b64decode(alice.token.split(".")[1] + "=="))["sid"]
    expired = security.create_access_token(
        TEST_SECRET,
        user_id=uuid.UUID(alice.id),
        session_id=uuid.UUID(sid),
        issued_at=utcnow() - timedelta(hours=2),
        expires_at=utcnow() - timedelta(hours=1),
    )
    response = await client.get("/api/auth/user", headers={"Authorization": f"Bearer {expired}"})
    _problem(response, 401, "invalid_token")


async def test_logout_revokes_only_that_token(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice", password="correct horse")
    second = (await client.post(LOGIN, json={"username": "alice", "password": "correct horse"})).json()
    response = await client.post("/api/auth/logout", headers=alice.headers)
    assert response.status_code == 204
    revoked = await client.get("/api/auth/user", headers=alice.headers)
    _problem(revoked, 401, "invalid_token")
    again = await client.post("/api/auth/logout", headers=alice.headers)
    _problem(again, 401, "invalid_token")
    other = await client.get("/api/auth/user", headers={"Authorization": f"Bearer {second['access_token']}"})
    assert other.status_code == 200


async def test_update_user_email_and_preferences(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user("alice")
    await make_user("bob")
    response = await client.patch(
        "/api/auth/user",
        headers=alice.headers,
        json={"email": "new@example.com", "preferences": {"default_album_privacy": "public"}},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "new@example.com"
    assert body["preferences"] == {
        "default_album_privacy": "public",
        "default_sort": "created_at",
        "thumbnail_size": "small",
    }
    partial = await client.patch(
        "/api/auth/user", headers=alice.headers, json={"preferences": {"thumbnail_size": "large"}}
    )
    assert partial.json()["preferences"]["default_album_privacy"] == "public"
    assert partial.json()["preferences"]["thumbnail_size"] == "large"
    taken = await client.patch("/api/auth/user", headers=alice.headers, json={"email": "bob@example.com"})
    _problem(taken, 409, "email_taken")
    bad = await client.patch(
        "/api/auth/user", headers=alice.headers, json={"preferences": {"thumbnail_size": "huge"}}
    )
    _problem(bad, 422, "validation_error")
    unknown = await client.patch("/api/auth/user", headers=alice.headers, json={"preferences": {"x": 1}})
    _problem(unknown, 422, "validation_error")
