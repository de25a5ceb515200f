"""Downloads: Range, If-Range, If-None-Match, HEAD, safe Content-Disposition, large chunks.

Starlette's FileResponse handles Range but answers 416/400 in plain text, never answers
If-None-Match with 304, and reads 64 KiB per thread hop; this response decides every
conditional up front (so `status_code` is the real status) and streams the store's chunks.
"""

import re
from collections.abc import Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from secrets import token_hex

import anyio
from fastapi import Request
from starlette.background import BackgroundTask
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from app.db import release_session
from app.errors import NotFound, problem_response
from app.files.download import Download, TextPreview
from app.kinds import is_active
from app.names import content_disposition
from app.problems import Responses
from app.storage import packed
from app.storage.base import BlobNotFound, BlobStore, ByteRange
from app.storage.packed import Stored

SMALL_RANGE = 4 * 1024 * 1024  # read with the stat and sent as one body
# asyncio's write buffer: a longer body can wait for its reader, so its request's connection goes
# back to the pool before it is sent
HELD_BODY = 64 * 1024
MAX_RANGES = 16
SANDBOX_CSP = "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'"


def protective_headers(filename: str, disposition: str) -> dict[str, str]:
    """What every stored file is sent with: never sniffed, sandboxed if shown, safely named."""
    return {
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": SANDBOX_CSP,
        "Content-Disposition": content_disposition(filename, disposition),
    }


BINARY = {"type": "string", "format": "binary"}
_HEADERS = {
    "ETag": "the strong validator to send back in If-None-Match or If-Range",
    "Last-Modified": "when the bytes last changed",
    "Cache-Control": "`private, no-cache` unless the bytes may be shared",
    "Accept-Ranges": "`bytes`: Range requests are honoured",
    "Content-Disposition": "`attachment` or `inline`, with the file's (RFC 6266 encoded) name",
}


def _headers(*names: str) -> dict[str, dict[str, object]]:
    return {name: {"description": _HEADERS[name], "schema": {"type": "string"}} for name in names}


def served(description: str, media_types: Sequence[str] = ("*/*",)) -> Responses:
    """The documented success of a route answering with `send`: its media types (binary) and
    headers, the 206 of a Range request and the 304 of a matching If-None-Match."""
    headers = _headers("ETag", "Last-Modified", "Cache-Control", "Accept-Ranges", "Content-Disposition")
    content = {media_type: {"schema": BINARY} for media_type in media_types}
    range_header = {"description": "the range sent: `bytes start-end/size`", "schema": {"type": "string"}}
    return {
        200: {"description": description, "content": content, "headers": headers},
        206: {
            "description": "the requested range (several as multipart/byteranges)",
            "content": content | {"multipart/byteranges": {"schema": BINARY}},
            "headers": headers | {"Content-Range": range_header},
        },
        304: {
            "description": "not modified (If-None-Match, If-Modified-Since)",
            "headers": _headers("ETag", "Last-Modified", "Cache-Control"),
        },
    }


# At most 19 digits: past int64 a position means nothing, and int() of a huge string is refused.
_RANGE_SPEC = re.compile(r"^\s*(\d{0,19})\s*-\s*(\d{0,19})\s*$")


def http_date(moment: datetime) -> str:
    return format_datetime(moment.replace(microsecond=0), usegmt=True)


def parse_ranges(header: str, size: int) -> list[ByteRange] | None:
    """Satisfiable ranges, merged and sorted; None when the header is to be ignored (RFC 9110 14.2)."""
    unit, _, specs = header.partition("=")
    if unit.strip().lower() != "bytes" or not specs.strip():
        return None
    raw = specs.split(",")
    if len(raw) > MAX_RANGES:
        return None
    ranges: list[ByteRange] = []
    for spec in raw:
        match = _RANGE_SPEC.match(spec)
        if match is None or match.group(1) == match.group(2) == "":
            return None
        first, last = match.group(1), match.group(2)
        if first == "":
            suffix = int(last)
            if suffix > 0 and size > 0:
                ranges.append((max(0, size - suffix), size))
            continue
        start = int(first)
        end = size if last == "" else min(int(last) + 1, size)
        if last != "" and int(last) < start:
            return None
        if start < size:
            ranges.append((start, end))
    return merge_ranges(ranges)


def merge_ranges(ranges: Sequence[ByteRange]) -> list[ByteRange]:
    merged: list[ByteRange] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def etag_matches(header: str, etag: str, *, weak: bool) -> bool:
    """If-None-Match compares weakly; If-Range strongly (W/ tags never match)."""
    for candidate in (item.strip() for item in header.split(",")):
        if candidate == "*" and weak:
            return True
        if candidate.startswith("W/"):
            if weak and candidate[2:] == etag:
                return True
        elif candidate == etag:
            return True
    return False


def _not_modified_since(header: str | None, last_modified: datetime) -> bool:
    if not header:
        return False
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    return since.tzinfo is not None and last_modified.replace(microsecond=0) <= since


def _if_range_holds(header: str, *, etag: str, last_modified: datetime) -> bool:
    if header.startswith('"') or header.startswith("W/"):
        return etag_matches(header, etag, weak=False)
    try:
        return parsedate_to_datetime(header) == last_modified.replace(microsecond=0)
    except (TypeError, ValueError):
        return False


def byterange_parts(
    ranges: Sequence[ByteRange], *, boundary: str, media_type: str, size: int
) -> list[tuple[bytes, ByteRange]]:
    """Each range with the multipart/byteranges header that precedes it."""
    parts: list[tuple[bytes, ByteRange]] = []
    for index, (start, end) in enumerate(ranges):
        head = (
            ("\r\n" if index else "")
            + f"--{boundary}\r\nContent-Type: {media_type}\r\n"
            + f"Content-Range: bytes {start}-{end - 1}/{size}\r\n\r\n"
        )
        parts.append((head.encode("latin-1"), (start, end)))
    return parts


class BlobResponse(Response):
    """Sends all of a blob, one range, or several as multipart/byteranges; HEAD sends headers only."""

    def __init__(
        self,
        store: BlobStore,
        blob: Stored,
        *,
        size: int,
        ranges: list[ByteRange] | None,
        headers: dict[str, str],
        media_type: str,
        background: BackgroundTask | None = None,
    ) -> None:
        self.store = store
        self.blob = blob
        self.background = background
        self.parts: list[tuple[bytes, ByteRange]] = []
        self.status_code = 200 if ranges is None else 206
        self.media_type = media_type
        length = size
        if ranges is not None and len(ranges) == 1:
            start, end = ranges[0]
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
            self.parts = [(b"", ranges[0])]
            length = end - start
        elif ranges is not None:
            boundary = token_hex(13)
            self.parts = byterange_parts(ranges, boundary=boundary, media_type=media_type, size=size)
            self.trailer = f"\r\n--{boundary}--\r\n".encode()
            length = sum(len(head) + end - start for head, (start, end) in self.parts) + len(self.trailer)
            self.media_type = f"multipart/byteranges; boundary={boundary}"
        else:
            self.parts = [(b"", (0, size))]
        self.init_headers({**headers, "Content-Length": str(length)})
        self.multipart = ranges is not None and len(ranges) > 1

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        if scope["method"] == "HEAD":
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        else:
            async with anyio.create_task_group() as group:

                async def stream_then_stop() -> None:
                    await self._send_body(send)
                    group.cancel_scope.cancel()

                group.start_soon(stream_then_stop)
                await _wait_for_disconnect(receive)
                group.cancel_scope.cancel()
        if self.background is not None:
            await self.background()

    async def _send_body(self, send: Send) -> None:
        for head, (start, end) in self.parts:
            if head:
                await send({"type": "http.response.body", "body": head, "more_body": True})
            position = start
            async with aclosing(packed.read(self.store, self.blob, start, end)) as chunks:
                async for chunk in chunks:
                    position += len(chunk)
                    more = position < end or self.multipart
                    await send({"type": "http.response.body", "body": chunk, "more_body": more})
            if position < end:
                raise RuntimeError(f"blob {self.blob.key} is shorter than expected")
        if self.multipart:
            await send({"type": "http.response.body", "body": self.trailer, "more_body": False})
        elif self.parts[0][1][0] == self.parts[0][1][1]:
            await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


@dataclass(frozen=True)
class BlobProbe:
    """What one look at the stored bytes found: their (logical) size, the satisfiable ranges, the
    bytes of a small single range when they were read on the way, and how to read the rest."""

    size: int
    ranges: list[ByteRange] | None
    blob: Stored
    body: bytes | None = None


async def probe_blob(
    store: BlobStore, blob: Stored, range_header: str | None, *, read_small: bool
) -> BlobProbe:
    """Stat, parse the Range header, and read a single range of at most SMALL_RANGE bytes, in one
    store call (locally one worker-thread hop instead of one each for stat, open, read, close)."""
    parsed: list[list[ByteRange] | None] = []

    def choose(size: int) -> ByteRange | None:
        ranges = None if range_header is None else parse_ranges(range_header, size)
        parsed.append(ranges)
        if read_small and ranges and len(ranges) == 1 and ranges[0][1] - ranges[0][0] <= SMALL_RANGE:
            return ranges[0]
        return None

    size, body, blob = await packed.peek(store, blob, choose)
    ranges = parsed[-1]
    if body is not None and ranges and len(body) != ranges[0][1] - ranges[0][0]:
        raise RuntimeError(f"blob {blob.key} is shorter than expected")
    return BlobProbe(size, ranges, blob, body)


async def file_response(
    request: Request,
    *,
    store: BlobStore,
    blob: Stored,
    media_type: str,
    filename: str,
    etag: str,
    last_modified: datetime,
    disposition: str = "attachment",
) -> Response:
    """A download honouring Range, If-Range, If-None-Match, If-Modified-Since and HEAD.

    `etag` is the bare validator (e.g. the sha256); it is sent quoted, as a strong ETag.
    """
    quoted = f'"{etag}"'
    not_modified = _is_not_modified(request, quoted, last_modified)
    range_header = None if not_modified else _range_header(request, etag=quoted, last_modified=last_modified)
    try:
        probe = await probe_blob(store, blob, range_header, read_small=request.method == "GET")
    except BlobNotFound as exc:
        raise NotFound("the stored bytes of this file are missing", code="content_missing") from exc
    if is_active(media_type):
        disposition = "attachment"
    headers = {
        "ETag": quoted,
        "Last-Modified": http_date(last_modified),
        "Cache-Control": "private, no-cache",
        "Accept-Ranges": "bytes",
        **protective_headers(filename, disposition),
    }
    if not_modified:
        return Response(
            status_code=304, headers={k: headers[k] for k in ("ETag", "Last-Modified", "Cache-Control")}
        )
    if probe.ranges == []:
        return problem_response(
            416,
            "range_not_satisfiable",
            f"the file has {probe.size} bytes",
            headers={"Content-Range": f"bytes */{probe.size}"},
        )
    if probe.body is not None and probe.ranges is not None:
        start, end = probe.ranges[0]
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{probe.size}"
        return Response(probe.body, status_code=206, headers=headers, media_type=media_type)
    return BlobResponse(
        store, probe.blob, size=probe.size, ranges=probe.ranges, headers=headers, media_type=media_type
    )


def _is_not_modified(request: Request, etag: str, last_modified: datetime) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return etag_matches(if_none_match, etag, weak=True)
    return _not_modified_since(request.headers.get("if-modified-since"), last_modified)


def _range_header(request: Request, *, etag: str, last_modified: datetime) -> str | None:
    """The Range header to honour: None for the whole file (none sent, or If-Range failed)."""
    header = request.headers.get("range")
    if header is None or request.method not in ("GET", "HEAD"):
        return None
    if_range = request.headers.get("if-range")
    if if_range is not None and not _if_range_holds(if_range, etag=etag, last_modified=last_modified):
        return None
    return header


REDIRECT_SECONDS = 300
REDIRECTED: Responses = {
    302: {
        "description": "with DOWNLOAD_REDIRECT on object storage: a short-lived presigned URL of the bytes",
        "headers": {"Location": {"description": "the presigned URL", "schema": {"type": "string"}}},
    }
}


async def redirect_to_store(request: Request, download: Download) -> Response | None:
    """A 302 to a presigned URL of the bytes (their disposition and type signed into it), or None
    when the store cannot presign, the request is no plain GET (HEAD, a matching If-None-Match),
    or the bytes are stored compressed (the URL would hand out the compressed bytes)."""
    quoted = f'"{download.etag}"'
    blob = download.blob
    if request.method != "GET" or blob.packed or _is_not_modified(request, quoted, download.last_modified):
        return None
    try:
        stat = await download.store.stat(blob.key)
    except BlobNotFound as exc:
        raise NotFound("the stored bytes of this file are missing", code="content_missing") from exc
    if packed.is_packed(blob, stat.size):
        return None
    disposition = "attachment" if is_active(download.media_type) else download.disposition
    url = await download.store.presign_get(
        blob.key,
        seconds=REDIRECT_SECONDS,
        disposition=content_disposition(download.filename, disposition),
        media_type=download.media_type,
    )
    if url is None:
        return None
    if download.on_full_get is not None and "range" not in request.headers:
        await download.on_full_get()
    return Response(status_code=302, headers={"Location": url, "Cache-Control": "private, no-store"})


async def send(request: Request, download: Download, *, redirect: bool = False) -> Response:
    """The response for a service's `Download`; counts it (`on_full_get`) only on a full GET 200.
    With `redirect`, a GET answers 302 to a presigned URL where the store can make one.

    The request's connection goes back to the pool before a remote store is asked, and before a
    long body is sent (`on_full_get` may take one again, briefly, to commit a count)."""
    if download.store.remote:
        await release_session(request)
    if redirect and (moved := await redirect_to_store(request, download)) is not None:
        return moved
    response = await file_response(
        request,
        store=download.store,
        blob=download.blob,
        media_type=download.media_type,
        filename=download.filename,
        etag=download.etag,
        last_modified=download.last_modified,
        disposition=download.disposition,
    )
    if download.cache_control is not None:
        response.headers["Cache-Control"] = download.cache_control
    if download.vary_authorization:
        vary = response.headers.get("Vary")
        response.headers["Vary"] = f"{vary}, Authorization" if vary else "Authorization"
    if download.on_full_get is not None and request.method == "GET" and response.status_code == 200:
        await download.on_full_get()
    if request.method != "HEAD" and int(response.headers.get("content-length", 0)) > HELD_BODY:
        await release_session(request)
    return response


def send_text(preview: TextPreview) -> Response:
    headers = {
        "ETag": f'"{preview.etag}"',
        "Cache-Control": "private, no-cache",
        **protective_headers(preview.filename, "inline"),
    }
    return Response(preview.text.encode("utf-8"), media_type="text/plain; charset=utf-8", headers=headers)


async def send_preview(request: Request, preview: Download | TextPreview) -> Response:
    if isinstance(preview, TextPreview):
        return send_text(preview)
    return await send(request, preview)
