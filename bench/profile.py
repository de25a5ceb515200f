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


# Leaf frames of threads that wait (py-spy cannot always tell a C-level wait from work).
IDLE_LEAVES = (
    "Condition.wait (threading.py",
    "_connection_worker_thread (aiosqlite/core.py:59)",  # aiosqlite's queue.get
    "Runner.run (asyncio/runners.py",  # the event loop inside epoll
    "Connection._recv (multiprocessing/",  # uvicorn's supervisor
    "_worker (concurrent/futures/thread.py",
)


def top_frames(collapsed: str, *, limit: int = 12) -> list[str]:
    """From py-spy's `raw` output: the busy share, the hottest own-time frames, the app's inclusive."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    busy = idle = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_short_frame(frame) for frame in stack.split(";")]
        if frames[-1].startswith(IDLE_LEAVES):
            idle += int(count)
            continue
        busy += int(count)
        own[frames[-1]] += int(count)
        for frame in {frame for frame in frames if frame.split(" (", 1)[-1].startswith("app/")}:
            inclusive[frame] += int(count)
    if busy == 0:
        return ["no busy samples"]
    lines = [
        f"busy: {100 * busy / (busy + idle):.0f}% of samples; shares below are of busy samples",
        "own time:",
    ]
    lines += [f"{100 * n / busy:5.1f}%  {frame}" for frame, n in own.most_common(limit)]
    lines += ["inclusive, app code:"]
    lines += [f"{100 * n / busy:5.1f}%  {frame}" for frame, n in inclusive.most_common(limit // 2)]
    return lines


def _short_frame(frame: str) -> str:
    """`func (/long/path/site-packages/pkg/mod.py:12)` -> `func (pkg/mod.py:12)`."""
    name, _, where = frame.partition(" (")
    for marker in ("site-packages/", "lib/python3."):
        if marker in where:
            where = where.split(marker, 1)[1]
            if marker.startswith("lib/"):
                where = where.split("/", 1)[-1]
            break
    else:
        if "/app/" in where:
            where = "app/" + where.split("/app/", 1)[1]
    return f"{name} ({where}" if where else name
