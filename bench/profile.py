"""py-spy attached to a server while it runs one workload: which frames own the time."""

import contextlib
import shutil
import signal
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from bench.procs import Service


def py_spy_path() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


@contextlib.contextmanager
def recording(pid: int, output: Path, *, rate: int = 250) -> Iterator[None]:
    """Record collapsed stacks of `pid` and its children while the block runs."""
    spy = py_spy_path()
    if spy is None:
        raise RuntimeError("py-spy is not installed (it is a dev dependency)")
    argv = [spy, "record", "--pid", str(pid), "--subprocesses", "--format", "raw", "--rate", str(rate)]
    service = Service("py-spy", [*argv, "--output", str(output)], log=output.with_suffix(".log"))
    try:
        yield
    finally:
        # py-spy writes its output when interrupted.
        with contextlib.suppress(ProcessLookupError):
            service.proc.send_signal(signal.SIGINT)
        with contextlib.suppress(Exception):
            service.proc.wait(20)
        service.stop()


def top_frames(collapsed: str, *, limit: int = 15) -> list[str]:
    """Own-time share of the hottest frames, from py-spy's `raw` (collapsed stack) output."""
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        own[_short_frame(frames[-1])] += int(count)
        total += int(count)
    if total == 0:
        return ["no samples"]
    return [f"{100 * count / total:5.1f}%  {frame}" for frame, count in own.most_common(limit)]


def _short_frame(frame: str) -> str:
    """`func (/long/path/site-packages/pkg/mod.py:12)` -> `func (pkg/mod.py:12)`."""
    name, _, where = frame.partition(" (")
    for marker in ("site-packages/", "lib/python3."):
        if marker in where:
            where = where.split(marker, 1)[1]
            if marker.startswith("lib/"):
                where = where.split("/", 1)[-1]
    return f"{name} ({where}" if where else name
