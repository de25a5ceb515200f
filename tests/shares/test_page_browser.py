"""The share page in a real browser: Debian's Chromium, headless, driven by playwright-core on Node
(installed by this module: `apt-get install chromium` when missing, `npm ci` from the committed
lock file). A server on a free loopback port serves a fresh database."""

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from app.config import Settings
from bench.system import apt_install
from tests.conftest import POSTGRES, TEST_SECRET
from tests.files.helpers import multipart, multipart_headers, part, png_bytes
from tests.servers import running_server

HERE = Path(__file__).parent / "browser"
CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(POSTGRES is not None, reason="the browser run needs no second database")


def ensure_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.fail("the share page test needs Debian's chromium: sudo apt-get install -y chromium")
    apt_install("chromium")


def ensure_playwright() -> None:
    if (HERE / "node_modules" / "playwright-core" / "package.json").exists():
        return
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True, timeout=600)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, template_db: str) -> Iterator[str]:
    ensure_chromium()
    ensure_playwright()
    root = tmp_path_factory.mktemp("browser-server")
    shutil.copyfile(template_db, root / "atrium.db")
    settings = Settings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{root / 'atrium.db'}",
        upload_dir=root / "uploads",
        secret_key=TEST_SECRET,
    )
    with running_server(settings) as base:
        yield base


def shared_album(base: str, count: int) -> tuple[str, str, list[bytes]]:
    """An album of `count` images, an open link and a locked one (password `let me in`)."""
    with httpx.Client(base_url=base, timeout=30) as http:
        body = {"username": "alice", "email": "alice@example.com", "password": "correct horse"}
        headers = {
            "Authorization": f"Bearer {http.post('/api/auth/register', json=body).json()['access_token']}"
        }
        contents = [
            png_bytes((300 + 10 * i, 200), color)
            for i, color in enumerate(("red", "green", "blue", "teal", "gold"))
        ][:count]
        parts = [part("files", data, filename=f"photo {i}.png") for i, data in enumerate(contents)]
        uploaded = http.post(
            "/api/upload", content=multipart(parts), headers=multipart_headers(headers)
        ).json()
        album = http.post(
            "/api/albums", json={"name": "Family", "privacy_setting": "shared"}, headers=headers
        ).json()
        ids = [f["id"] for f in uploaded["files"]]
        http.post(f"/api/albums/{album['id']}/images", json={"image_ids": ids}, headers=headers)
        open_link = http.post(
            "/api/shares", json={"album_id": album["id"], "description": "Hello"}, headers=headers
        )
        locked = http.post(
            "/api/shares", json={"album_id": album["id"], "password": "let me in"}, headers=headers
        )
        return open_link.json()["token"], locked.json()["token"], contents


def test_the_share_page_in_headless_chromium(server: str, tmp_path: Path) -> None:
    open_token, locked_token, contents = shared_album(server, 5)
    shots = Path(os.environ.get("ATRIUM_TEST_SHOTS") or tmp_path)  # where the page's screenshots go
    run = subprocess.run(
        [
            "node",
            "check.mjs",
            server,
            open_token,
            locked_token,
            "let me in",
            str(tmp_path / "profile"),
            str(shots),
        ],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["images"] == 5
    assert seen["loaded"] == 5
    assert seen["columnsPhone"] < seen["columnsDesktop"]  # the grid follows the window
    viewer = seen["viewer"]
    assert viewer["first"] != viewer["second"]
    assert viewer["back"] == viewer["first"]
    assert viewer["closed"] is True
    assert seen["download"]["name"] == "photo 0.png"
    downloaded = Path(seen["download"]["path"]).read_bytes()
    assert hashlib.sha256(downloaded).hexdigest() == hashlib.sha256(contents[0]).hexdigest()
    placeholders = seen["placeholders"]  # red, green, blue, teal, gold, blurred
    assert len(placeholders) == 5
    assert all(p["a"] == 255 for p in placeholders)
    assert placeholders[0]["r"] > 200 > placeholders[0]["g"]
    assert placeholders[2]["b"] > 200 > placeholders[2]["r"]
    assert seen["lockedImages"] == 0
    assert seen["unlockedImages"] == 5
    assert seen["unlockedLoaded"] == 5
    hosts = {urlsplit(url).hostname for url in seen["requests"] if not url.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, seen["requests"]
    # the one console message: the locked link's page answers 401 before its form is sent
    assert all("status of 401" in p for p in seen["problems"]), seen["problems"]
    assert (shots / "shares-phone.png").stat().st_size > 0
    assert (shots / "shares-desktop.png").stat().st_size > 0
