"""The start-up heap, frozen out of the garbage collector's full collections.

A served process holds a couple of hundred thousand long-lived objects by the time its lifespan
is done (FastAPI, pydantic, SQLAlchemy, DBOS and apiforge's own modules and tables). CPython's
full collection walks every one of them, on whichever thread triggers it, the event loop
included: profiled under bench/bench_core.py, each took 13-104 ms of CPU (more wall time on a
busy machine), and a request or event delivery caught behind one waits that long. None of
those objects is ever garbage, so they are moved to the permanent generation once start-up is
done (``gc.freeze``); full collections then walk only what the process made since.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> int:
    """Collect what start-up left as garbage (so none of it is kept forever), then freeze the
    rest; the number of objects frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
