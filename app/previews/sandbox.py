"""Run one extraction in a child process bounded in time and memory; the parent only ever sees
a validated `Extracted` or None (with a logged warning). Sync: call it from a worker thread."""

import logging
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from pydantic import ValidationError

from app.previews.result import Extracted

logger = logging.getLogger("atrium.previews")
OUTPUT_LIMIT = 4 * 1024 * 1024  # the child's JSON: 1 MiB of text (escaped) and a small image


@dataclass(frozen=True)
class Bounds:
    seconds: float = 20.0
    memory_bytes: int = 1024 * 1024 * 1024


DEFAULT_BOUNDS = Bounds()


def run_isolated(job: str, source: BinaryIO, *, bounds: Bounds = DEFAULT_BOUNDS) -> Extracted | None:
    """What the child extracts from `source` for `job` ("pdf", "video", "audio", "office:<type>"),
    or None when it fails, crashes, runs out of time or memory, or answers nonsense."""
    with _descriptor(source) as fd:
        command = [
            sys.executable, "-m", "app.previews.child", job, str(fd),
            str(bounds.memory_bytes), str(int(bounds.seconds) + 1),
        ]  # fmt: skip
        try:
            done = subprocess.run(  # noqa: S603 (our own interpreter and module, no shell)
                command, pass_fds=(fd,), capture_output=True, timeout=bounds.seconds, check=False
            )
        except subprocess.TimeoutExpired:
            logger.warning("extraction %s: no answer within %.0f s, stopped", job, bounds.seconds)
            return None
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["(no message)"]
        logger.warning("extraction %s failed (exit %d): %s", job, done.returncode, tail[0][:300])
        return None
    return _parse(job, done.stdout)


def _parse(job: str, output: bytes) -> Extracted | None:
    if len(output) > OUTPUT_LIMIT:
        logger.warning("extraction %s: %d bytes of output refused", job, len(output))
        return None
    try:
        result = Extracted.model_validate_json(output)
    except ValidationError as exc:
        logger.warning("extraction %s: unusable answer: %s", job, str(exc).splitlines()[0])
        return None
    if result.preview is not None and not _is_webp(result.preview):
        return result.model_copy(update={"preview": None})
    return result


def _is_webp(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


@contextmanager
def _descriptor(source: BinaryIO) -> Iterator[int]:
    """A descriptor of a regular file the child can read: the source's own, else a spooled copy."""
    own = _regular_fileno(source)
    if own is not None:
        yield own
        return
    with tempfile.TemporaryFile(prefix="atrium-extract-") as spool:
        shutil.copyfileobj(source, spool, 1024 * 1024)
        spool.flush()
        yield spool.fileno()


def _regular_fileno(source: BinaryIO) -> int | None:
    try:
        fd = source.fileno()
        return fd if stat.S_ISREG(os.fstat(fd).st_mode) else None
    except (OSError, ValueError, AttributeError):
        return None
