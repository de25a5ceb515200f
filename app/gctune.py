"""Garbage-collector settings for a serving process.

A request allocates thousands of short-lived containers (ORM states, rows, schemas), so with
CPython's defaults (a young collection every 700 allocations) the collector runs a dozen times
per request, and every so often a full collection walks the whole heap (routes, schemas,
mappers: ~100 ms on this machine), stalling every request in flight. Freezing what startup
built moves it out of the collector's sight; a larger young generation lets most objects die
by reference counting before any collection sees them.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 20_000


@contextmanager
def server_gc() -> Iterator[None]:
    """Freeze the startup heap and collect less often while serving; undo both on exit."""
    before = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, before[1], before[2])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
