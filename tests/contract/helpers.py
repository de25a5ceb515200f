"""A real server on loopback for contract checks: `uvicorn app.main:create_app` on a free port,
on the test's migrated database and upload dir; the Node toolchain the TypeScript check needs; and
a headless Chromium driven over the DevTools protocol for the docs pages."""

import itertools
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from bench.system import apt_install

TS_PROJECT = Path(__file__).parent / "ts"
NODE = "/usr/bin/node"


def ensure_chromium() -> str:
    """Debian's Chromium, installed when missing (as root)."""
    if shutil.which("chromium") is None:
        assert os.geteuid() == 0, "the docs checks need Chromium: apt-get install chromium"
        apt_install("chromium")
    found = shutil.which("chromium")
    assert found is not None
    return found


CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


class Tab:
    """One page of a headless Chromium driven over the DevTools protocol."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.ids = itertools.count(1)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self.ids)
        self.socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == call_id:
                assert "error" not in message, message
                result: dict[str, Any] = message["result"]
                return result

    def evaluate(self, expression: str) -> Any:
        """The value of a script (awaited when it is a promise); a thrown error fails the test."""
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def open(self, url: str) -> None:
        self.call("Page.navigate", url=url)
        path = "/" + url.split("/", 3)[3]
        for _ in range(400):
            ready = self.call(
                "Runtime.evaluate",
                expression=f"document.readyState === 'complete' && location.pathname === {json.dumps(path)}",
                returnByValue=True,
            )
            if ready.get("result", {}).get("value") is True:
                return
            time.sleep(0.05)
        raise AssertionError(f"{url} did not load")


@contextmanager
def browser_tab(chromium: str, profile: Path) -> Iterator[Tab]:
    """A headless Chromium on a loopback DevTools port, closed on exit."""
    command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0"]
    process = subprocess.Popen(
        [*command, "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        port = _devtools_port(profile / "DevToolsActivePort")
        targets = httpx.get(f"http://127.0.0.1:{port}/json/list").json()
        page = next(target for target in targets if target["type"] == "page")
        with connect(page["webSocketDebuggerUrl"], max_size=None) as socket:
            yield Tab(socket)
    finally:
        process.terminate()
        process.wait(timeout=15)


def _devtools_port(port_file: Path) -> int:
    for _ in range(400):
        if port_file.exists() and port_file.read_text().strip():
            return int(port_file.read_text().split()[0])
        time.sleep(0.05)
    raise AssertionError("Chromium did not open its DevTools port")


def ensure_node() -> None:
    """Node 20+ and npm from Debian when missing (as root); the suite needs no preinstalled service."""
    if Path(NODE).exists() and shutil.which("npm"):
        return
    assert os.geteuid() == 0, "the contract check needs Node 20 and npm: apt-get install nodejs npm"
    apt_install("nodejs", "npm")


def run(*command: str, timeout: float = 300) -> str:
    """Run a command in the TypeScript project; its output is the failure message."""
    done = subprocess.run(
        command, cwd=TS_PROJECT, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout
