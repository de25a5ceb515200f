"""`atrium upload` against a live server, and `atrium cleanup` removing expired uploads."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.config import Settings
from tests.files.helpers import elf_bytes
from tests.servers import Server
from tests.uploads.helpers import OCTET, TUS, CuttingProxy, sha256, text_bytes

ATRIUM = str(Path(sys.executable).parent / "atrium")
MIB = 1024 * 1024


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    started = Server(settings)
    yield started
    started.stop()


def atrium(*args: str, token: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ATRIUM_TOKEN": token}
    return subprocess.run([ATRIUM, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def files_of(server: Server, token: str) -> dict[str, str]:
    return {item["name"]: item["sha256"] for item in server.get("/api/files?per_page=200", token)["items"]}


def test_upload_sends_files_and_folders_and_says_what_was_refused(server: Server, tmp_path: Path) -> None:
    token = server.register("cli")
    folder = tmp_path / "docs"
    (folder / "deeper").mkdir(parents=True)
    notes, log = text_bytes(3 * MIB, seed=1), text_bytes(1000, seed=2)
    (folder / "notes.txt").write_bytes(notes)
    (folder / "deeper" / "log.txt").write_bytes(log)
    (folder / "tool.bin").write_bytes(elf_bytes() + b"\0" * 9000)
    (tmp_path / "empty.txt").write_bytes(b"")
    result = atrium(
        "upload",
        str(folder),
        str(tmp_path / "empty.txt"),
        "--url",
        server.url,
        "--chunk-mib",
        "1",
        token=token,
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr
    assert "uploaded 3 files, refused 1" in result.stdout
    assert "tool.bin: 415 unsupported_type" in result.stdout
    assert files_of(server, token) == {
        "notes.txt": sha256(notes),
        "log.txt": sha256(log),
        "empty.txt": sha256(b""),
    }
    assert not (tmp_path / ".atrium-upload.json").exists()  # nothing left to resume


def test_upload_goes_on_after_the_network_breaks_and_counts_each_byte_once(
    server: Server, tmp_path: Path
) -> None:
    token = server.register("breaker")
    data = text_bytes(12 * MIB, seed=6)
    (tmp_path / "big.txt").write_bytes(data)
    proxy = CuttingProxy(server.port, cut_after=3 * MIB + MIB // 2)
    try:
        command = ("upload", "big.txt", "--url", proxy.url, "--chunk-mib", "1")
        result = atrium(*command, token=token, cwd=tmp_path)
    finally:
        proxy.close()
    assert result.returncode == 0, result.stderr
    assert proxy.cut.is_set()
    assert files_of(server, token) == {"big.txt": sha256(data)}
    totals = [line for line in result.stderr.splitlines() if line.startswith("total")]
    assert totals, result.stderr
    assert all("12.6/12.6 MB" in line for line in totals), result.stderr  # the resent chunk counted once


def answer_ctrl_c() -> None:
    """In the child: SIGINT back to its default. A suite started as a background job of a
    non-interactive shell (`make test &`) inherits SIGINT ignored, and so would the client."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_upload_resumes_after_ctrl_c_from_its_state_file(server: Server, tmp_path: Path) -> None:
    token = server.register("resumer")
    data = text_bytes(12 * MIB, seed=5)
    (tmp_path / "big.txt").write_bytes(data)
    proxy = CuttingProxy(server.port, cut_after=3 * MIB + MIB // 2, stall=True)
    env = {**os.environ, "ATRIUM_TOKEN": token}
    command = [ATRIUM, "upload", "big.txt", "--url", proxy.url, "--chunk-mib", "1"]
    running = subprocess.Popen(
        command,
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=answer_ctrl_c,
    )
    try:
        assert proxy.cut.wait(30), "the upload never got going"
        running.send_signal(signal.SIGINT)
        _, stderr = running.communicate(timeout=120)
    finally:
        proxy.close()
        if running.poll() is None:
            running.kill()
    assert running.returncode == 130, stderr
    assert "run the same command again to resume" in stderr
    state = json.loads((tmp_path / ".atrium-upload.json").read_text())
    (location,) = state.values()
    head = {"Authorization": f"Bearer {token}", **TUS}
    for _ in range(50):  # the server notices the broken connection on its own time: until then it is busy
        probe = httpx.patch(
            f"{server.url}{location}", headers={**head, **OCTET, "Upload-Offset": "0"}, timeout=10
        )
        if probe.status_code != 423:
            break
        time.sleep(0.1)
    resumed = atrium("upload", "big.txt", "--url", server.url, token=token, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming big.txt from" in resumed.stderr
    offset = int(resumed.stderr.split("resuming big.txt from ", 1)[1].split()[0])
    assert offset == 3 * MIB  # whole checksummed chunks; the one cut off is discarded
    assert files_of(server, token) == {"big.txt": sha256(data)}


def test_cleanup_removes_expired_uploads_with_their_bytes(
    server: Server, settings: Settings, tmp_path: Path
) -> None:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("reads the SQLite file directly")
    token = server.register("expiring")
    sent = {"Authorization": f"Bearer {token}", **TUS, "Upload-Length": "100"}
    location = httpx.post(f"{server.url}/api/uploads/tus", headers=sent, timeout=10).headers["location"]
    assert len(list((settings.upload_dir / "resumable").iterdir())) == 1
    database = settings.database_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(database) as db:
        db.execute("UPDATE upload_session SET expires_at = '2000-01-01 00:00:00.000000'")
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "UPLOAD_DIR": str(settings.upload_dir),
        "ENVIRONMENT": "test",
    }
    result = subprocess.run(
        [ATRIUM, "cleanup"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "removed 1 expired resumable uploads" in result.stdout
    assert list((settings.upload_dir / "resumable").iterdir()) == []
    head = httpx.head(location, headers={"Authorization": f"Bearer {token}", **TUS}, timeout=10)
    assert head.status_code == 404
