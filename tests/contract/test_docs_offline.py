"""Swagger UI and ReDoc work with no internet: loaded in headless Chromium from a live server, every
request the pages make stays on that server (ReDoc's bundle would fetch its logo from a CDN; the
docs' Content-Security-Policy keeps it from leaving), and the pages still read /openapi.json."""

import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from app.config import Settings
from app.docs import DOCS_CSP
from tests.conftest import TEST_SECRET
from tests.contract.helpers import running_server

PAGES = ("/docs", "/redoc")


@pytest.fixture(scope="session")
def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        assert os.geteuid() == 0, "the docs check needs Chromium: apt-get install chromium"
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
        found = shutil.which("chromium")
    assert found is not None
    return found


def page_requests(chromium: str, url: str, workdir: Path) -> tuple[list[str], str]:
    """The URLs the page itself requested (not the browser's own traffic), and its final DOM."""
    net_log = workdir / "net.json"
    command = [
        chromium,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
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
