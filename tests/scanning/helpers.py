"""Bytes the test clamd flags or passes, and a clamd address nobody answers on."""

from bench.clamd import EICAR, MARKER
from bench.procs import free_port
from tests.files.helpers import png_bytes

__all__ = ["EICAR", "MARKER", "STREAM_MAX", "infected_png", "unreachable"]

STREAM_MAX = 1024 * 1024  # the test clamd's limit: small, so a file past it is cheap to send


def infected_png() -> bytes:
    """A valid PNG that carries the body signature after its end."""
    return png_bytes((20, 20), "navy") + MARKER


def unreachable() -> str:
    """A loopback port nobody listens on: clamd stopped."""
    return f"tcp://127.0.0.1:{free_port()}"
