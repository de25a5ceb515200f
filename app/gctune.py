"""Garbage-collector settings for a serving process.

A request allocates thousands of short-lived containers (ORM states, rows, schemas), so with
CPython's defaults (a young collection every 700 allocations) the collector runs a dozen times
per request, and every so often a full collection walks the whole heap (routes, schemas,
mappers: ~100 ms on this machine), stalling every request in flight. Freezing what startup
built moves it out of the collector's sight; a larger young generation lets most objects die
by reference counting before any collection sees them.

The GIL is handed between threads every 5 ms by default, so while the event loop runs Python a
database or file thread that finished its call waits up to 5 ms to hand its result back; a writer
holding the SQLite write gate (app/sqlitegate.py) pays that on each statement, and every other
writer waits for it. Serving hands the GIL over every 0.5 ms.
"""

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 20_000
SWITCH_SECONDS = 0.0005


@contextmanager
def server_gc() -> Iterator[None]:
    """Freeze the startup heap, collect less often and switch threads sooner while serving; undo
    all three on exit. A heap its embedder froze already (a test process) is left as it is."""
    before = gc.get_threshold()
    switch = sys.getswitchinterval()
    freezing = gc.get_freeze_count() == 0
    sys.setswitchinterval(SWITCH_SECONDS)
    if freezing:
        gc.collect()
        gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, before[1], before[2])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        if freezing:
            gc.unfreeze()
        sys.setswitchinterval(switch)
