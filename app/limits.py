"""Refuse a request body whose declared length is over the limit before reading any of it."""

from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import problem_response


class RequestSizeLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = dict(scope["headers"]).get(b"content-length")
            if declared is not None and _exceeds(declared, self.limit):
                response = problem_response(
                    413, "request_too_large", f"the request body exceeds the {self.limit} byte limit"
                )
                response.headers["Connection"] = "close"
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _exceeds(declared: bytes, limit: int) -> bool:
    try:
        return int(declared) > limit
    except ValueError:
        return False
