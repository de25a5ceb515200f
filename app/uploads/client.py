"""`atrium upload`: files and folders sent through tus, resumable after an interruption or Ctrl-C
from a small state file (which upload each file is, by path, size and modification time)."""

import base64
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from app.uploads.protocol import OFFSET_STREAM, TUS_PATH, TUS_VERSION, encode_metadata

CHUNK_BYTES = 8 * 1024 * 1024
RETRIES = 5
RESYNC_SECONDS = 0.5
RESYNC = frozenset({409, 423})  # another writer (a PATCH the server has not finished yet): ask again
TIMEOUT = httpx.Timeout(60, connect=10)
Advance = Callable[[int], None]  # bytes more of the current file are on the server


@dataclass(frozen=True)
class Refusal:
    path: Path
    status: int
    code: str
    detail: str


@dataclass
class Report:
    uploaded: list[tuple[Path, str]] = field(default_factory=list)  # path, file id
    refused: list[Refusal] = field(default_factory=list)


@dataclass
class Confirmed:
    """How much of one file the server holds; `advance` hears every change of it."""

    advance: Advance
    offset: int = 0

    def reach(self, offset: int) -> None:
        self.advance(offset - self.offset)
        self.offset = offset


class Resync(Exception):
    """The server's offset is not ours (yet): ask it again."""


class Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.detail)
        self.refusal = refusal


class State:
    """The upload each file is (its path on the server), kept in a JSON file between runs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}

    @staticmethod
    def key_of(file: Path) -> str:
        """A file by path, size and modification time: a changed file is a new upload."""
        stat = file.stat()
        return f"{file.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"

    def set(self, key: str, location: str | None) -> None:
        if location is None:
            self.entries.pop(key, None)
        else:
            self.entries[key] = location
        if not self.entries:
            self.path.unlink(missing_ok=True)
            return
        partial = self.path.with_name(f".{self.path.name}.tmp")
        partial.write_text(json.dumps(self.entries, indent=1))
        os.replace(partial, self.path)


def collect(paths: Iterable[Path]) -> list[Path]:
    """The files named, and every file under the folders named, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(child for child in path.rglob("*") if child.is_file())
        elif path.is_file():
            found.append(path)
    return found


def _refusal(path: Path, response: httpx.Response) -> Refusal:
    try:
        body: dict[str, Any] = response.json()
        code, detail = str(body.get("code", "")), str(body.get("detail", ""))
    except ValueError:
        code, detail = "", response.reason_phrase
    return Refusal(path, response.status_code, code or str(response.status_code), detail)


class Uploader:
    """One server, one token: uploads files one after another, each resumed where the server is."""

    def __init__(self, url: str, token: str, state: State, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.server = url.rstrip("/")
        self.state = state
        self.chunk_bytes = chunk_bytes
        headers = {"Authorization": f"Bearer {token}", "Tus-Resumable": TUS_VERSION}
        self.http = httpx.Client(base_url=self.server, headers=headers, timeout=TIMEOUT)

    def close(self) -> None:
        self.http.close()

    def upload(self, path: Path, *, advance: Advance, announce: Callable[[str], None]) -> str:
        """Send one file; its File id. `Refused` when the server refuses it."""
        key = State.key_of(path)
        size = path.stat().st_size
        location, offset = self._resume(key, path)
        if location is not None and offset:
            announce(f"resuming {path.name} from {offset} bytes")
        confirmed = Confirmed(advance)
        confirmed.reach(offset)
        if location is None:
            location, made = self._create(path, size)
            if made is not None:  # an empty file is made at creation
                return made
            self.state.set(key, location)
        for attempt in range(RETRIES + 1):
            try:
                file_id = self._send(path, location, confirmed, size)
                break
            except (httpx.TransportError, Resync):
                if attempt == RETRIES:
                    raise
                time.sleep(RESYNC_SECONDS * attempt)
                confirmed.reach(self._offset_after_error(path, location))
            except Refused:
                self.state.set(key, None)
                raise
        self.state.set(key, None)
        return file_id

    def _resume(self, key: str, path: Path) -> tuple[str | None, int]:
        location = self.state.entries.get(key)
        if location is None:
            return None, 0
        response = self.http.head(location)
        if response.status_code != 200:  # expired, ended or gone: start again
            self.state.set(key, None)
            return None, 0
        return location, int(response.headers["upload-offset"])

    def _create(self, path: Path, size: int) -> tuple[str, str | None]:
        """The new upload's path on the server, and the file it made already (an empty file)."""
        sent = {"Upload-Length": str(size), "Upload-Metadata": encode_metadata({"filename": path.name})}
        response = self.http.post(TUS_PATH, headers=sent)
        if response.status_code != 201:
            raise Refused(_refusal(path, response))
        return httpx.URL(response.headers["location"]).path, response.headers.get("atrium-file-id")

    def _offset_after_error(self, path: Path, location: str) -> int:
        response = self.http.head(location)
        if response.status_code != 200:
            raise Refused(_refusal(path, response))
        return int(response.headers["upload-offset"])

    def _send(self, path: Path, location: str, confirmed: Confirmed, size: int) -> str:
        with open(path, "rb") as handle:
            while True:
                offset = confirmed.offset
                handle.seek(offset)
                chunk = handle.read(self.chunk_bytes)
                digest = base64.b64encode(hashlib.sha256(chunk).digest()).decode()
                sent = {
                    "Content-Type": OFFSET_STREAM,
                    "Upload-Offset": str(offset),
                    "Upload-Checksum": f"sha256 {digest}",
                }
                response = self.http.patch(location, content=chunk, headers=sent)
                if response.status_code in RESYNC:
                    raise Resync
                if response.status_code != 204:
                    raise Refused(_refusal(path, response))
                confirmed.reach(int(response.headers["upload-offset"]))
                if "atrium-file-id" in response.headers:
                    return response.headers["atrium-file-id"]
                if confirmed.offset >= size:
                    raise Refused(Refusal(path, 0, "no_file", "the server kept the bytes but made no file"))
