"""The S3 server the tests start: the bench's (bench/s3.py), so both run the same moto server."""

from typing import Any

from app.config import Settings
from bench.s3 import ACCESS_KEY, REGION, SECRET_KEY, S3Server, s3_server

__all__ = ["ACCESS_KEY", "REGION", "SECRET_KEY", "S3Server", "on_s3", "s3_server"]


def on_s3(settings: Settings, server: S3Server, **changes: Any) -> Settings:
    """The test's settings on a prefix of its own in `server`'s bucket, with `changes`."""
    return settings.model_copy(update={"storage_url": server.url(), **server.settings, **changes})
