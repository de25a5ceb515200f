"""A client of ClamAV's clamd: the INSTREAM command over TCP or a unix socket.

Written on anyio sockets because aioclamd speaks TCP only, needs a file object and reads it 1 KiB
per thread hop; INSTREAM itself is a length-prefixed chunk stream and a one-line reply.
"""

import struct
from collections.abc import AsyncIterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import anyio
from anyio.abc import ByteStream

from app.storage.base import Bytes

CHUNK = 1024 * 1024  # clamd refuses a chunk longer than its StreamMaxLength; 1 MiB is far below
MAX_REPLY = 4096
SIZE_LIMIT = "size limit exceeded"


@dataclass(frozen=True)
class Verdict:
    """What clamd found: the signature's name, or None for a clean stream."""

    signature: str | None

    @property
    def clean(self) -> bool:
        return self.signature is None


class ScanUnavailable(Exception):
    """clamd could not give a verdict: unreachable, went away, refused the stream as too long."""

    def __init__(self, reason: str, *, too_long: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.too_long = too_long


async def _connect(address: str) -> ByteStream:
    parts = urlsplit(address)
    if parts.scheme == "unix":
        return await anyio.connect_unix(parts.path)
    return await anyio.connect_tcp(parts.hostname or "", parts.port or 0)


async def instream(address: str, chunks: AsyncIterable[Bytes], *, limit_seconds: float) -> Verdict:
    """Stream `chunks` to clamd and return its verdict; `ScanUnavailable` when it gives none."""
    try:
        with anyio.fail_after(limit_seconds):
            stream = await _connect(address)
            async with stream:
                return await _scan(stream, chunks)
    except TimeoutError as exc:
        raise ScanUnavailable(f"clamd gave no verdict within {limit_seconds:g} s") from exc
    except (OSError, anyio.BrokenResourceError, anyio.EndOfStream) as exc:
        raise ScanUnavailable(f"clamd at {address} is unreachable: {exc or type(exc).__name__}") from exc


async def _scan(stream: ByteStream, chunks: AsyncIterable[Bytes]) -> Verdict:
    await stream.send(b"zINSTREAM\0")
    try:
        async for chunk in chunks:
            view = memoryview(chunk)
            for start in range(0, len(view), CHUNK):
                piece = view[start : start + CHUNK]
                await stream.send(struct.pack("!L", len(piece)) + piece)
        await stream.send(struct.pack("!L", 0))
    except (OSError, anyio.BrokenResourceError):
        # clamd closes the stream once it is past StreamMaxLength, after saying so
        return parse_reply(await _reply(stream))
    return parse_reply(await _reply(stream))


async def _reply(stream: ByteStream) -> str:
    reply = bytearray()
    while b"\0" not in reply and len(reply) < MAX_REPLY:
        try:
            reply += await stream.receive(MAX_REPLY)
        except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
            break
    return reply.split(b"\0", 1)[0].decode("utf-8", "replace").strip()


def parse_reply(reply: str) -> Verdict:
    """`stream: OK`, `stream: <signature> FOUND`, or `<reason> ERROR`."""
    if reply.endswith(" FOUND"):
        return Verdict(signature=reply.removeprefix("stream:").removesuffix(" FOUND").strip())
    if reply.endswith(": OK"):
        return Verdict(signature=None)
    if SIZE_LIMIT in reply:
        raise ScanUnavailable("the file is longer than clamd's stream limit", too_long=True)
    raise ScanUnavailable(f"clamd answered {reply!r}" if reply else "clamd closed the connection")
