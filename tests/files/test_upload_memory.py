import hashlib
import threading
import time
from collections.abc import AsyncIterator

import httpx
import psutil
from fastapi import FastAPI

from app.config import Settings
from app.storage import open_store
from tests.conftest import MakeUser
from tests.files.helpers import BOUNDARY, left_parts, multipart_headers, stored_blobs

MIB = 1024 * 1024
TOTAL = 200 * MIB


class PeakRss:
    """Samples this process's resident memory in a background thread."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.baseline = self.process.memory_info().rss
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.005)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth(self) -> int:
        return self.peak - self.baseline


async def test_200_mib_upload_streams_to_disk(
    app: FastAPI, client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    app.state.settings = settings.model_copy(update={"max_file_size": 256 * MIB})
    alice = await make_user()
    block = (b"0123456789abcde" * 4369 + b"\n") * 16  # 1 MiB of text lines
    assert len(block) == MIB
    digest = hashlib.sha256()

    async def body() -> AsyncIterator[bytes]:
        disposition = 'Content-Disposition: form-data; name="files"; filename="big.txt"'
        yield f"--{BOUNDARY}\r\n{disposition}\r\n\r\n".encode()
        for _ in range(TOTAL // MIB):
            digest.update(block)
            yield block
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    with PeakRss() as rss:
        response = await client.post("/api/upload", headers=multipart_headers(alice.headers), content=body())
    assert response.status_code == 201, response.text
    item = response.json()["files"][0]
    assert item["size"] == TOTAL
    assert item["sha256"] == digest.hexdigest()
    (stored,) = await stored_blobs(settings)
    assert (await open_store(settings).stat(stored)).size == TOTAL
    assert await left_parts(settings) == []
    assert rss.growth < 50 * MIB, f"peak RSS grew by {rss.growth / MIB:.1f} MiB"
