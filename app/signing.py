"""Signed, expiring URLs for thumbnails (SIGNED_URL_SECONDS): a CDN may cache them until they
expire, and they need no token. The signature is an HMAC of the path and query (expiry included)
under the app's signing key; the expiry is rounded up to the next multiple of the lifetime, so a
URL stays the same for a while and caches hit (its life is between one and two lifetimes).

`file_read` builds `urls` without a request; the app puts its signer in a context variable for
each request (`SigningContext`), and `signed_url` reads it.
"""

import base64
import hashlib
import hmac
import time
from contextvars import ContextVar
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from app.config import Settings
from app.errors import Forbidden


@dataclass(frozen=True)
class Signer:
    key: bytes
    seconds: int

    def sign(self, path: str, expires: int) -> str:
        digest = hmac.new(self.key, f"{path}\n{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")

    def url(self, path: str, now: float | None = None) -> str:
        """`path` (which may carry a query) with `expires` and `signature` added."""
        moment = int(time.time() if now is None else now)
        expires = (moment // self.seconds + 2) * self.seconds
        joiner = "&" if "?" in path else "?"
        return f"{path}{joiner}expires={expires}&signature={self.sign(path, expires)}"

    def check(self, path: str, expires: int, signature: str, now: float | None = None) -> int:
        """The seconds left; refuses a signature that does not match (403 signed_url_invalid)
        or has expired (403 signed_url_expired), in that order."""
        if not hmac.compare_digest(self.sign(path, expires), signature):
            raise Forbidden("the signature of this URL is not valid", code="signed_url_invalid")
        left = expires - int(time.time() if now is None else now)
        if left <= 0:
            raise Forbidden("this signed URL has expired", code="signed_url_expired")
        return left


def signer_of(settings: Settings) -> Signer | None:
    """The app's signer, or None when SIGNED_URL_SECONDS is 0 (off)."""
    if not settings.signed_url_seconds:
        return None
    return Signer(key=("signed-url:" + settings.signing_key).encode(), seconds=settings.signed_url_seconds)


def verify(settings: Settings, path: str, *, expires: int | None, signature: str | None) -> int:
    """The seconds a signed URL has left, or 403 (signed_url_invalid, signed_url_expired)."""
    signer = signer_of(settings)
    if signer is None or expires is None or signature is None:
        raise Forbidden("this URL is not signed for this server", code="signed_url_invalid")
    return signer.check(path, expires, signature)


_current: ContextVar[Signer | None] = ContextVar("atrium_signer", default=None)


def signed_url(path: str) -> str | None:
    signer = _current.get()
    return None if signer is None else signer.url(path)


class SigningContext:
    """ASGI middleware: the app's signer (or None) is current while a request is handled."""

    def __init__(self, app: ASGIApp, signer: Signer | None) -> None:
        self.app = app
        self.signer = signer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _current.set(self.signer)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)
