import logging
import os
import re
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request

from app.config import ConfigError, Settings
from app.main import create_app
from tests.conftest import local_store_only
from tests.files.helpers import left_parts, stored_blobs


def test_production_refuses_to_start_without_secret(tmp_path: Path) -> None:
    settings = Settings(environment="production", upload_dir=tmp_path, secret_key=None)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(settings)


def test_serve_command_gives_one_line_reason(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ENVIRONMENT": "production",
        "UPLOAD_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/a.db",
    }
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-c", "from app.cli import cli; cli()", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "atrium: SECRET_KEY must be set when ENVIRONMENT=production"
    ]
    assert not (tmp_path / "a.db").exists()


def test_generated_secret_is_kept_and_private(tmp_path: Path) -> None:
    first = Settings(upload_dir=tmp_path, secret_key=None).signing_key
    second = Settings(upload_dir=tmp_path, secret_key=None).signing_key
    assert first == second
    assert len(first) >= 32
    mode = stat.S_IMODE((tmp_path / ".secret_key").stat().st_mode)
    assert mode == 0o600


def test_short_secret_and_wildcard_cors_are_refused() -> None:
    with pytest.raises(ValueError, match="SECRET_KEY"):
        Settings(secret_key="changeme")
    with pytest.raises(ValueError, match="CORS_ORIGINS"):
        Settings(cors_origins="*")  # type: ignore[arg-type]


def test_environment_names_from_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "6001")
    monkeypatch.setenv("HOST", "127.0.0.1")
    monkeypatch.setenv("MAX_FILE_SIZE", "1000")
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("UPLOAD_DIR", "/srv/atrium")
    settings = Settings()
    assert settings.port == 6001
    assert settings.host == "127.0.0.1"
    assert settings.request_size_limit == 10_000
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.upload_dir == Path("/srv/atrium")


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).status_code == 200


async def test_readiness_fails_without_database(settings: Settings, tmp_path: Path) -> None:
    broken = settings.model_copy(update={"database_url": "postgresql+asyncpg://atrium:x@127.0.0.1:9/atrium"})
    app = create_app(broken)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"


@local_store_only  # breaks the directory's tmp/; an S3 store's probe is a PUT into the bucket
async def test_readiness_fails_when_storage_cannot_be_written(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    tmp_dir = settings.upload_dir / "tmp"
    tmp_dir.rmdir()
    tmp_dir.write_text("not a directory")
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"


async def test_unknown_route_and_method_are_problems(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["code"] == "not_found"
    wrong_method = await client.delete("/healthz")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == "method_not_allowed"


async def test_unexpected_error_is_a_bare_500_logged_with_request_id(
    app: FastAPI, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    logging.getLogger("atrium").propagate = True
    with caplog.at_level(logging.ERROR, logger="atrium"):
        response = await client.get("/boom", headers={"X-Request-ID": "req-12345"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "req-12345"
    body = response.json()
    assert body["code"] == "internal_error"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    records = [r for r in caplog.records if r.name == "atrium.errors"]
    assert records
    assert records[0].request_id == "req-12345"  # type: ignore[attr-defined]
    assert "secret internals" in caplog.text


async def test_request_id_on_every_response(client: httpx.AsyncClient) -> None:
    generated = await client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    echoed = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    hostile = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert hostile.headers["x-request-id"] != "bad id\twith spaces"
    problem = await client.get("/api/missing")
    assert "x-request-id" in problem.headers


async def test_cors_allows_only_listed_origins(client: httpx.AsyncClient) -> None:
    allowed = await client.get("/healthz", headers={"Origin": "http://localhost:5173"})
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:5173"
    other = await client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = await client.options(
        "/api/auth/user",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:3000"
    evil_preflight = await client.options(
        "/api/auth/user",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert evil_preflight.headers.get("access-control-allow-origin") != "https://evil.example"


async def _chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        yield b"x" * min(size, total - sent)
        sent += size


async def test_oversize_bodies_are_refused_declared_or_chunked(settings: Settings) -> None:
    app = create_app(settings)
    reads: list[int] = []

    @app.post("/sink")
    async def sink(request: Request) -> None:
        reads.append(len(await request.body()))

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            declared = await client.post("/sink", content=b"x" * (1024 * 1024 + 1))
            chunked = await client.post("/sink", content=_chunks(3 * 1024 * 1024))
            small = await client.post("/sink", content=b"x" * 10)
    for response in (declared, chunked):
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "request_too_large"
    assert small.status_code == 200
    assert reads == [10]


async def test_chunked_login_body_cannot_exhaust_memory(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/login", content=_chunks(20 * 1024 * 1024), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


async def test_chunked_upload_over_the_request_limit_keeps_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    app = create_app(settings.model_copy(update={"max_file_size": 10_000, "max_request_size": 20_000}))
    boundary = "b0undary"
    part = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        + b"hello world\n" * 800
        + b"\r\n"
    )

    async def body() -> AsyncIterator[bytes]:
        for _ in range(3):  # three 9.6 kB files: each under the file limit, together over 20 kB
            yield part
        yield f"--{boundary}--\r\n".encode()

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            token = (
                await client.post(
                    "/api/auth/register",
                    json={"username": "ada", "email": "ada@example.com", "password": "long enough"},
                )
            ).json()["access_token"]
            response = await client.post(
                "/api/upload",
                content=body(),
                headers={
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                    "Authorization": f"Bearer {token}",
                },
            )
            listing = await client.get("/api/files", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "request_too_large"
    assert listing.json()["total"] == 0
    assert await stored_blobs(settings) == []
    assert await left_parts(settings) == []


async def test_docs_pages_load_nothing_external(client: httpx.AsyncClient) -> None:
    for page in ("/docs", "/redoc"):
        response = await client.get(page)
        assert response.status_code == 200
        assert not re.search(r"https?://", response.text), page
        assets = re.findall(r'(?:src|href)="(/[^"]+)"', response.text)
        assert assets
        for asset in assets:
            assert (await client.get(asset)).status_code == 200, asset
    redirect = await client.get("/docs/oauth2-redirect")
    assert redirect.status_code == 200


async def test_openapi_declares_security_and_documents_401(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert schema["openapi"].startswith("3.1")
    schemes = schema["components"]["securitySchemes"]
    assert schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == "/api/auth/token"
    assert "Problem" in schema["components"]["schemas"]
    protected = [
        (path, method, op)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if op.get("security")
    ]
    assert protected
    for path, method, op in protected:
        assert "401" in op["responses"], f"{method.upper()} {path} does not document 401"
