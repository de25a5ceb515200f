"""A request id on every response and in every log line."""

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar, Token

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
_request_id: ContextVar[str] = ContextVar("request_id", default="-")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current_request_id() -> str:
    return _request_id.get()


def bind_request_id(request_id: str) -> Token[str]:
    return _request_id.set(request_id)


def unbind_request_id(token: Token[str]) -> None:
    _request_id.reset(token)


class RequestIdMiddleware:
    """Pure ASGI so streaming bodies are not buffered; trusts a sane incoming id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        # Kept in the scope too: the 500 handler runs outside this middleware.
        scope.setdefault("state", {})["request_id"] = request_id
        token = _request_id.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


# What a request learned about itself on the way (its user), for its access log line; a dict, so
# a dependency running in a copied context still writes where the middleware reads.
_facts: ContextVar[dict[str, str] | None] = ContextVar("request_facts", default=None)
ACCESS_FIELDS = ("method", "path", "route", "status", "duration_ms", "user_id")


def open_facts() -> tuple[dict[str, str], Token[dict[str, str] | None]]:
    facts: dict[str, str] = {}
    return facts, _facts.set(facts)


def close_facts(token: Token[dict[str, str] | None]) -> None:
    _facts.reset(token)


def note_user(user_id: object) -> None:
    """The authenticated caller of the current request (for its access log line)."""
    facts = _facts.get()
    if facts is not None:
        facts["user_id"] = str(user_id)


class JsonFormatter(logging.Formatter):
    """LOG_FORMAT=json: one JSON object per line; an access line adds route, status, duration and user."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", current_request_id()),
        }
        line.update({name: getattr(record, name) for name in ACCESS_FIELDS if hasattr(record, name)})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(level: int = logging.INFO, *, json_lines: bool = False) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if json_lines:
        formatter: logging.Formatter = JsonFormatter()
        formatter.converter = time.gmtime
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
    handler.setFormatter(formatter)
    root = logging.getLogger("atrium")
    root.handlers = [handler]
    root.setLevel(level)
    root.propagate = False
    logging.getLogger("uvicorn.access").disabled = json_lines  # atrium.access replaces it
    if json_lines:  # uvicorn's own lines as JSON too
        for name in ("uvicorn", "uvicorn.error"):
            logging.getLogger(name).handlers = [handler]
            logging.getLogger(name).propagate = False
