"""What a scan means for bytes on their way in: refuse malware, and SCAN_FAIL_MODE when clamd
gives no verdict (closed: refuse with 503; open: keep and log)."""

import logging
from contextlib import suppress

import anyio

from app import metrics
from app.config import Settings
from app.errors import AppError, ServiceUnavailable, Unprocessable
from app.scanning.clamd import ScanUnavailable, Verdict, instream
from app.storage import packed
from app.storage.base import BlobStore, Bytes
from app.storage.packed import Stored

logger = logging.getLogger("atrium.scanning")
STREAM_QUEUE = 1  # batches waiting for clamd; past it the upload waits for the scan


class MalwareDetected(Unprocessable):
    code = "malware_detected"

    def __init__(self, name: str, signature: str) -> None:
        super().__init__(f"'{name}' was flagged by the malware scanner: {signature}")
        self.signature = signature


async def scan_blob(settings: Settings, store: BlobStore, blob: Stored) -> Verdict:
    """clamd's verdict on a stored blob's (logical) bytes; `ScanUnavailable` when it gives none."""
    assert settings.clamd_address, "scanning is off"
    limit = settings.scan_timeout_seconds
    return await instream(settings.clamd_address, packed.read(store, blob), limit_seconds=limit)


class Streamed:
    """clamd's scan of a file's bytes while they arrive: fed batch by batch as the upload goes on,
    so the scan overlaps with it. Its verdict is None when clamd gave none (unreachable, timed out,
    or idle too long behind a slow client): the stored blob is then scanned as usual."""

    def __init__(self, settings: Settings) -> None:
        assert settings.clamd_address, "scanning is off"
        self._address = settings.clamd_address
        self._limit = settings.scan_timeout_seconds
        self._send, self._receive = anyio.create_memory_object_stream[Bytes](STREAM_QUEUE)
        self.verdict: Verdict | None = None

    async def run(self) -> None:
        async with self._receive:
            try:
                self.verdict = await instream(self._address, self._receive, limit_seconds=self._limit)
            except ScanUnavailable as exc:
                logger.info("streamed scan gave no verdict, the stored blob will be scanned: %s", exc.reason)

    async def feed(self, data: Bytes) -> None:
        with suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):  # it ended without a verdict
            await self._send.send(data)

    def end(self) -> None:
        self._send.close()


async def check_blob(
    settings: Settings, store: BlobStore, *, key: str, name: str, streamed: Streamed | None = None
) -> Verdict | None:
    """Refuse a flagged blob (`MalwareDetected`); without a verdict, apply SCAN_FAIL_MODE. Returns
    the verdict (None when scanning is off or failed open). A verdict of the streamed scan stands
    for the blob's."""
    if not settings.clamd_address:
        return None
    try:
        verdict = (streamed.verdict if streamed else None) or await scan_blob(settings, store, Stored(key))
    except ScanUnavailable as exc:
        metrics.SCANS.labels("unavailable").inc()
        if settings.scan_fail_mode == "closed":
            raise unavailable(exc) from exc
        logger.warning("kept %r unscanned (SCAN_FAIL_MODE=open): %s", name, exc.reason)
        return None
    metrics.SCANS.labels("clean" if verdict.clean else "malware").inc()
    if verdict.signature is not None:
        logger.warning("refused %r: malware %s", name, verdict.signature)
        raise MalwareDetected(name, verdict.signature)
    return verdict


def unavailable(exc: ScanUnavailable) -> AppError:
    detail = f"the malware scanner gave no verdict: {exc.reason}"
    return ServiceUnavailable(detail, code="scanner_unavailable")
