"""Request metrics by route template and status, the access log line (LOG_FORMAT=json), and
`GET /metrics` (only when METRICS_ENABLED)."""

import logging
import time

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import metrics
from app.requestid import close_facts, open_facts

access = logging.getLogger("atrium.access")
router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def prometheus_metrics() -> Response:
    """Prometheus text format."""
    return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)


def route_of(scope: Scope) -> str:
    """The matched route's template (`/api/files/{file_id}`), never the raw path: bounded labels."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class ObserveMiddleware:
    """Pure ASGI, so streaming bodies pass through untouched; runs inside the request id."""

    def __init__(self, app: ASGIApp, *, access_log: bool) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        facts, token = open_facts()

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            close_facts(token)
            self._record(scope, status, time.perf_counter() - started, facts.get("user_id"))

    def _record(self, scope: Scope, status: int, seconds: float, user_id: str | None) -> None:
        method, route = scope["method"], route_of(scope)
        metrics.REQUESTS.labels(method, route, str(status)).inc()
        metrics.LATENCY.labels(method, route).observe(seconds)
        if self.access_log:
            fields = {"method": method, "path": scope["path"], "route": route, "status": status}
            fields |= {"duration_ms": round(seconds * 1000, 2), "user_id": user_id}
            access.info("%s %s %d", method, route, status, extra=fields)
