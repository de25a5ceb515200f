"""Every answer under /api/uploads/tus carries `Tus-Resumable` (problems too), as tus 1.0 asks."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.uploads.protocol import TUS_PATH, TUS_VERSION


class TusResumableHeader:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(TUS_PATH):
            await self.app(scope, receive, send)
            return

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).setdefault("Tus-Resumable", TUS_VERSION)
            await send(message)

        await self.app(scope, receive, send_with_version)
