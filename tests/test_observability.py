"""GET /metrics (behind METRICS_ENABLED) and LOG_FORMAT=json access lines."""

import json
import logging

import httpx
import pytest

from app.config import Settings
from app.main import create_app
from tests.conftest import MakeUser
from tests.files.helpers import elf_bytes, multipart, multipart_headers, part


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.metrics_enabled = True
    settings.log_format = "json"
    return settings


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus text (0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    for line in text.splitlines():
        metric, _, value = line.rpartition(" ")
        if metric == (f"{name}{{{wanted}}}" if labels else name):
            return float(value)
    return 0.0


async def test_metrics_count_requests_uploads_and_refusals(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    before = (await client.get("/metrics")).text
    route = "/api/files/{file_id}"
    for _ in range(3):
        await client.get("/api/files/00000000-0000-0000-0000-000000000000", headers=alice.headers)
    kept = multipart([part("files", b"hello metrics\n" * 10, filename="a.txt")])
    assert (
        await client.post("/api/upload", content=kept, headers=multipart_headers(alice.headers))
    ).status_code == 201
    refused = multipart([part("files", elf_bytes(), filename="a.txt")])
    assert (
        await client.post("/api/upload", content=refused, headers=multipart_headers(alice.headers))
    ).status_code == 415

    response = await client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    after = response.text
    labels = {"method": "GET", "route": route, "status": "404"}
    assert (
        sample(after, "atrium_http_requests_total", **labels)
        - sample(before, "atrium_http_requests_total", **labels)
        == 3
    )
    assert sample(after, "atrium_http_request_duration_seconds_count", method="GET", route=route) >= 3
    assert sample(after, "atrium_upload_bytes_total") - sample(before, "atrium_upload_bytes_total") == 140
    refusals = "atrium_uploads_refused_total"
    assert (
        sample(after, refusals, code="type_mismatch") + sample(after, refusals, code="unsupported_type") >= 1
    )


async def test_metrics_are_off_by_default(tmp_path: object, settings: Settings) -> None:
    settings.metrics_enabled = False
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        assert (await http.get("/metrics")).status_code == 404


async def test_json_logs_one_object_per_line(
    client: httpx.AsyncClient, make_user: MakeUser, caplog: pytest.LogCaptureFixture
) -> None:
    alice = await make_user()
    handler = logging.getLogger("atrium").handlers[0]
    lines: list[str] = []
    capture = logging.Handler()
    capture.emit = lambda record: lines.append(handler.format(record))  # type: ignore[method-assign]
    capture.addFilter(handler.filters[0])
    logging.getLogger("atrium").addHandler(capture)
    try:
        response = await client.get("/api/folders", headers={**alice.headers, "X-Request-ID": "req-42"})
    finally:
        logging.getLogger("atrium").removeHandler(capture)
    assert response.status_code == 200
    entries = [json.loads(line) for line in lines]
    [access] = [entry for entry in entries if entry["logger"] == "atrium.access"]
    assert access["request_id"] == "req-42"
    assert access["route"] == "/api/folders"
    assert access["status"] == 200
    assert access["user_id"] == alice.id
    assert access["duration_ms"] >= 0
