"""The extraction child: `python -m app.previews.child JOB FD` reads the file open on FD, writes
one JSON `Found` to stdout and exits. Its address space, CPU time and file writes are
limited before any decoder is imported, so a hostile file ends this process, not the server."""

import os
import resource
import sys
from collections.abc import Callable
from typing import BinaryIO

from app.previews.found import Found

Job = Callable[[BinaryIO], Found]


def limit(*, memory_bytes: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # it writes no file: only its stdout pipe
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def job_named(name: str) -> Job:
    """The extractor of one job; imported here, after the limits are set."""
    if name == "pdf":
        from app.previews.pdf import extract_pdf

        return extract_pdf
    if name in ("video", "audio"):
        from app.previews import media

        return media.extract_video if name == "video" else media.extract_audio
    if name.startswith("office:"):
        from app.previews.office import office_text

        mime_type = name.removeprefix("office:")
        return lambda source: Found(text=office_text(source, mime_type))
    raise SystemExit(f"unknown job {name!r}")


def main(argv: list[str]) -> int:
    name, fd, memory, cpu = argv[1], int(argv[2]), int(argv[3]), int(argv[4])
    limit(memory_bytes=memory, cpu_seconds=cpu)
    extract = job_named(name)
    with os.fdopen(fd, "rb") as source:
        source.seek(0)
        result = extract(source)
    sys.stdout.write(result.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
