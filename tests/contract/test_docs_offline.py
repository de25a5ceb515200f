"""Swagger UI and ReDoc work with no internet: loaded in headless Chromium from a live server, every
request the pages make stays on that server (ReDoc's bundle would fetch its logo from a CDN; the
docs' Content-Security-Policy keeps it from leaving), and the pages still read /openapi.json."""

import json
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from app.config import Settings
from app.docs import DOCS_CSP
from tests.conftest import TEST_SECRET
from tests.contract.helpers import CHROMIUM_FLAGS, browser_tab, ensure_chromium
from tests.servers import running_server

PAGES = ("/docs", "/redoc")


@pytest.fixture(scope="session")
def chromium() -> str:
    return ensure_chromium()


def page_requests(chromium: str, url: str, workdir: Path) -> tuple[list[str], str]:
    """The URLs the page itself requested (not the browser's own traffic), and its final DOM."""
    net_log = workdir / "net.json"
    command = [
        chromium,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={workdir / 'profile'}",
        f"--log-net-log={net_log}",
        "--virtual-time-budget=15000",
        "--dump-dom",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    events = json.loads(net_log.read_text())["events"]
    requested = [
        event["params"]["url"]
        for event in events
        if event.get("params", {}).get("initiator") == origin and "url" in event["params"]
    ]
    return requested, done.stdout


@pytest.mark.parametrize("page", PAGES)
def test_docs_pages_make_no_request_off_the_machine(
    chromium: str, settings: Settings, tmp_path: Path, page: str
) -> None:
    with running_server(settings, TEST_SECRET) as url:
        requested, dom = page_requests(chromium, url + page, tmp_path)
    assert f"{url}/openapi.json" in requested  # the page ran and read the document
    assert [found for found in requested if not found.startswith(url + "/")] == []
    assert "Atrium" in dom


async def test_docs_pages_reference_only_local_assets(client: httpx.AsyncClient) -> None:
    for page in (*PAGES, "/docs/oauth2-redirect"):
        response = await client.get(page)
        assert response.status_code == 200
        assert response.headers["content-security-policy"] == DOCS_CSP
        assert "http://" not in response.text
        assert "https://" not in response.text
    assert "default-src 'self'" in DOCS_CSP
    assert "img-src 'self' data:" in DOCS_CSP


def test_swagger_ui_sign_in_and_upload_work_as_filled(
    chromium: str, settings: Settings, tmp_path: Path
) -> None:
    """Authorize shows no scope section (there are none) and signs in through `/api/auth/token`;
    the upload's "Try it out" form, filled only with a file, uploads it (no sample folder id)."""
    script = (Path(__file__).parent / "swagger_upload.js").read_text()
    with running_server(settings, TEST_SECRET) as url:
        body = {"username": "swagger", "email": "swagger@example.com", "password": "correct horse battery"}
        assert httpx.post(f"{url}/api/auth/register", json=body).status_code == 201
        with browser_tab(chromium, tmp_path / "profile") as tab:
            tab.open(f"{url}/docs")
            seen = json.loads(tab.evaluate(script))
        listed = httpx.get(f"{url}/api/files", headers={"Authorization": f"Bearer {login(url)}"}).json()
    assert seen["dialogMentionsScopes"] is False
    assert seen["folderValue"] == "root"
    assert seen["status"] == "201", seen
    assert [item["name"] for item in listed["items"]] == ["swagger.txt"]


def login(url: str) -> str:
    form = {"username": "swagger", "password": "correct horse battery"}
    token: str = httpx.post(f"{url}/api/auth/token", data=form).json()["access_token"]
    return token
