"""Real tus clients against a real server process on loopback: tuspy and tus-js-client 4 (Node),
each cut off mid-file by a breaking connection and resumed by a fresh client from the server's
offset, ending in a File whose SHA-256 matches; and a PATCH cut mid-body keeps exactly the bytes
that arrived."""

import fcntl
import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tusclient.client import TusClient
from tusclient.exceptions import TusCommunicationError

from app.config import Settings
from tests.servers import Server
from tests.uploads.helpers import TUS, CuttingProxy, sha256, text_bytes

MIB = 1024 * 1024
NODE_DIR = Path(__file__).parent / "node"


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    started = Server(settings)
    yield started
    started.stop()


@pytest.fixture(scope="session")
def tus_js_client() -> Path:
    """tus-js-client installed from the committed package-lock.json (once, whichever worker is first)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node, "Node 20 is needed for the tus-js-client test"
    assert npm, "npm is needed to install tus-js-client"
    with open(NODE_DIR / "package-lock.json") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        installed = NODE_DIR / "node_modules" / ".package-lock.json"
        if (
            not installed.exists()
            or installed.stat().st_mtime < (NODE_DIR / "package-lock.json").stat().st_mtime
        ):
            subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=NODE_DIR,
                check=True,
                timeout=300,
            )
    return NODE_DIR / "resume.js"


def head_offset(url: str, token: str) -> int:
    response = httpx.head(url, headers={"Authorization": f"Bearer {token}", **TUS}, timeout=10)
    assert response.status_code == 200, response.status_code
    return int(response.headers["upload-offset"])


def wait_for_offset(url: str, token: str, minimum: int = 1) -> int:
    """The server notices the broken connection on its own time; wait until it recorded the bytes."""
    deadline = time.monotonic() + 15
    while (offset := head_offset(url, token)) < minimum and time.monotonic() < deadline:
        time.sleep(0.05)
    return offset


def file_of(server: Server, token: str, url: str) -> dict[str, object]:
    upload = server.get(f"/api/uploads/{url.rstrip('/').rsplit('/', 1)[1]}", token)
    assert upload["state"] == "done", upload
    file: dict[str, object] = upload["file"]
    return file


def test_tuspy_cut_mid_file_resumes_from_the_servers_offset(server: Server, tmp_path: Path) -> None:
    token = server.register("tuspy")
    data = text_bytes(16 * MIB, seed=7)
    path = tmp_path / "big.txt"
    path.write_bytes(data)
    proxy = CuttingProxy(server.port, cut_after=6 * MIB)
    try:
        endpoint = f"{proxy.url}/api/uploads/tus"
        auth = {"Authorization": f"Bearer {token}"}
        first = TusClient(endpoint, headers=auth).uploader(
            file_path=str(path), chunk_size=len(data), metadata={"filename": "big.txt"}
        )
        with pytest.raises(TusCommunicationError):
            first.upload()
        assert proxy.cut.is_set()
        url = first.url
        assert url is not None
        offset = wait_for_offset(url, token)
        assert 0 < offset < len(data)
        fresh = TusClient(endpoint, headers=auth).uploader(
            file_path=str(path), url=url, chunk_size=4 * MIB, retries=5, retry_delay=1
        )
        assert fresh.offset == offset  # a fresh client starts where the server says
        fresh.upload()
    finally:
        proxy.close()
    file = file_of(server, token, url)
    assert (file["sha256"], file["size"], file["name"]) == (sha256(data), len(data), "big.txt")


def test_tus_js_client_cut_mid_file_resumes_from_the_servers_offset(
    server: Server, tmp_path: Path, tus_js_client: Path
) -> None:
    token = server.register("tusjs")
    data = text_bytes(12 * MIB, seed=9)
    path = tmp_path / "from-node.txt"
    path.write_bytes(data)
    proxy = CuttingProxy(server.port, cut_after=5 * MIB)
    try:
        run = subprocess.run(
            ["node", str(tus_js_client), f"{proxy.url}/api/uploads/tus", token, str(path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        proxy.close()
    attempts = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert run.returncode == 0, (run.stdout, run.stderr)
    assert proxy.cut.is_set()
    assert attempts[0]["ok"] is False  # the first Upload broke mid-file
    assert attempts[-1]["ok"] is True
    assert len(attempts) >= 2
    file = file_of(server, token, attempts[-1]["url"])
    assert file["id"] == attempts[-1]["fileId"]
    assert (file["sha256"], file["size"], file["name"]) == (sha256(data), len(data), "from-node.txt")


def create(server: Server, token: str, length: int) -> str:
    sent = {"Authorization": f"Bearer {token}", **TUS, "Upload-Length": str(length)}
    response = httpx.post(f"{server.url}/api/uploads/tus", headers=sent, timeout=10)
    assert response.status_code == 201
    return response.headers["location"]


def open_patch(server: Server, token: str, url: str, length: int, *extra: str) -> socket.socket:
    """A PATCH whose headers promise `length` body bytes; the caller sends some and hangs up."""
    sock = socket.create_connection(("127.0.0.1", server.port))
    lines = [
        f"PATCH {httpx.URL(url).path} HTTP/1.1",
        f"Host: 127.0.0.1:{server.port}",
        f"Authorization: Bearer {token}",
        "Tus-Resumable: 1.0.0",
        "Content-Type: application/offset+octet-stream",
        "Upload-Offset: 0",
        f"Content-Length: {length}",
        *extra,
    ]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def test_a_patch_cut_mid_body_keeps_exactly_the_bytes_that_arrived(server: Server) -> None:
    token = server.register("cutter")
    data = text_bytes(MIB, seed=3)
    url = create(server, token, len(data))
    sock = open_patch(server, token, url, len(data))
    sock.sendall(data[:300_001])
    time.sleep(0.3)
    sock.close()
    assert wait_for_offset(url, token, 300_001) == 300_001
    rest = {"Authorization": f"Bearer {token}", **TUS, "Content-Type": "application/offset+octet-stream"}
    response = httpx.patch(
        url, content=data[300_001:], headers={**rest, "Upload-Offset": "300001"}, timeout=30
    )
    assert response.status_code == 204
    file = file_of(server, token, url)
    assert file["sha256"] == sha256(data)


def test_a_checksummed_patch_cut_mid_body_keeps_nothing(server: Server) -> None:
    token = server.register("checker")
    data = text_bytes(MIB, seed=4)
    url = create(server, token, len(data))
    sock = open_patch(server, token, url, len(data), "Upload-Checksum: sha1 AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    sock.sendall(data[:300_000])
    time.sleep(0.3)
    sock.close()
    time.sleep(0.5)
    assert head_offset(url, token) == 0


def test_two_processes_never_write_one_upload_at_once(settings: Settings) -> None:
    first, second = Server(settings), Server(settings)
    try:
        token = first.register("twice")
        data = text_bytes(MIB, seed=5)
        url = create(first, token, len(data))
        held = open_patch(first, token, url, len(data))
        held.sendall(data[:100_000])
        time.sleep(0.3)
        sent = {"Authorization": f"Bearer {token}", **TUS, "Content-Type": "application/offset+octet-stream"}
        other = httpx.patch(
            f"{second.url}{httpx.URL(url).path}",
            content=data,
            headers={**sent, "Upload-Offset": "0"},
            timeout=30,
        )
        assert (other.status_code, other.json()["code"]) == (423, "upload_locked")
        held.sendall(data[100_000:])
        reply = held.recv(4096).decode()
        held.close()
        assert reply.startswith("HTTP/1.1 204"), reply
        assert file_of(second, token, url)["sha256"] == sha256(data)
    finally:
        first.stop()
        second.stop()
