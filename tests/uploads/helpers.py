"""Shared by the tus tests: headers, bodies, and a real server process on a free loopback port."""

import base64
import contextlib
import hashlib
import io
import os
import socket
import threading
from pathlib import Path

from PIL import Image

from tests.conftest import UserHandle
from tests.images.factory import camera_exif

TUS = {"Tus-Resumable": "1.0.0"}
OCTET = {"Content-Type": "application/offset+octet-stream"}
REPO = Path(__file__).resolve().parents[2]


def metadata(**values: str) -> str:
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items())


def headers(user: UserHandle, **extra: str) -> dict[str, str]:
    return {**user.headers, **TUS, **{key.replace("_", "-"): value for key, value in extra.items()}}


def text_bytes(size: int, seed: int = 1) -> bytes:
    """Plain text (libmagic says text/plain) of exactly `size` bytes, different per seed."""
    line = hashlib.sha256(str(seed).encode()).hexdigest() + "\n"
    lines = (line * (size // len(line) + 1)).encode()
    return lines[:size]


def photo_bytes(size: tuple[int, int] = (640, 480)) -> bytes:
    """A JPEG with camera EXIF (make, model, GPS)."""
    buffer = io.BytesIO()
    noise = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    noise.save(buffer, "JPEG", exif=camera_exif(), quality=90)
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class CuttingProxy:
    """A TCP proxy on loopback that breaks the connection once, after `cut_after` bytes went from
    client to server (mid-body of a large PATCH), then forwards everything: a bad network. With
    `stall`, the connection hangs there instead, until the proxy closes. While `flowing` is clear,
    bytes going up wait (`waiting` counts the sends held so): a server that stopped answering."""

    def __init__(self, upstream_port: int, cut_after: int, *, stall: bool = False) -> None:
        self.upstream_port = upstream_port
        self.cut_after = cut_after
        self.stall = stall
        self.closed = threading.Event()
        self.forwarded = 0
        self.cut = threading.Event()
        self.flowing = threading.Event()
        self.flowing.set()
        self.waiting = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _allowance(self, size: int) -> int:
        """How many of `size` bytes may go up before the cut (all of them once it happened)."""
        with self._lock:
            if self.cut.is_set():
                return size
            allowed = min(size, self.cut_after - self.forwarded)
            self.forwarded += allowed
            return allowed

    def _pipe(self, source: socket.socket, target: socket.socket, upward: bool) -> None:
        try:
            while data := source.recv(65536):
                if upward:
                    self._wait_for_flow()
                allowed = self._allowance(len(data)) if upward else len(data)
                target.sendall(data[:allowed])
                if allowed < len(data):
                    self.cut.set()
                    if self.stall:
                        self.closed.wait(60)
                    break
        except OSError:
            pass
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _wait_for_flow(self) -> None:
        if self.flowing.is_set():
            return
        with self._lock:
            self.waiting += 1
        self.flowing.wait(60)
        with self._lock:
            self.waiting -= 1

    def close(self) -> None:
        self.flowing.set()
        self.closed.set()
        self.listener.close()
