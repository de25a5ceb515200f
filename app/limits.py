"""Bound every request body: refuse a declared oversize length at once, and count the bytes
that actually arrive (a chunked body declares no length)."""

from collections.abc import Collection

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import problem_response

KIB = 1024


class BodyTooLarge(HTTPException):
    """An HTTPException, so FastAPI's body parsing re-raises it instead of answering 400."""

    code = "request_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body exceeds the {limit} byte limit", {"Connection": "close"})


class RequestSizeLimitMiddleware:
    """Streaming upload paths get `limit` (a path ending in `/` names every path under it); every
    other route gets `small_limit` (JSON, forms)."""

    def __init__(
        self, app: ASGIApp, *, limit: int, small_limit: int = 1024 * KIB, upload_paths: Collection[str] = ()
    ) -> None:
        self.app = app
        self.limit = limit
        self.small_limit = small_limit
        self.upload_paths = frozenset(path for path in upload_paths if not path.endswith("/"))
        self.upload_prefixes = tuple(path for path in upload_paths if path.endswith("/"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        streaming = path in self.upload_paths or path.startswith(self.upload_prefixes)
        limit = self.limit if streaming else self.small_limit
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and _exceeds(declared, limit):
            error = BodyTooLarge(limit)
            response = problem_response(413, error.code, error.detail, headers=dict(error.headers or {}))
            await response(scope, receive, send)
            return
        await self.app(scope, _counting(receive, limit), send)


def _counting(receive: Receive, limit: int) -> Receive:
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return counted


def _exceeds(declared: bytes, limit: int) -> bool:
    try:
        return int(declared) > limit
    except ValueError:
        return False
