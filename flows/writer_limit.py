"""One writer at a time across machines: a Prefect global concurrency limit, held server-side.

The file lock (warehouse.db.writer_lock) only sees processes on one machine. When runs talk to a
Prefect server on which the limit exists (`prefect gcl create ftf-warehouse-writer --limit 1`),
a run first takes a slot of that limit (waiting as long as it would wait for the file lock), then
the file lock. The slot is leased: if a worker machine dies, the server frees it when the lease
expires. Without a server, or without the limit, runs use the file lock alone, as before.
"""
from __future__ import annotations

import contextlib
import os
import time

from flows.prefect_server import TEMPORARY_SERVER_URL

WRITER_LIMIT = "ftf-warehouse-writer"


class WriterSlotBusy(RuntimeError):
    """Another run (on any machine) held the cross-machine writer slot for longer than we could wait."""


def _server_has_limit(name: str) -> bool:
    """True when PREFECT_API_URL names a server that has the global concurrency limit `name`."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url or url == os.environ.get(TEMPORARY_SERVER_URL):
        return False   # a temporary local server: nothing to share with other machines
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            return False
    return True


@contextlib.contextmanager
def writer_slot(wait_seconds: float, logger, name: str = WRITER_LIMIT):
    """Hold one slot of the server-side limit `name` while writing, if the server has it."""
    if not _server_has_limit(name):
        yield False
        return
    from prefect.concurrency.sync import concurrency

    logger.info("Taking the cross-machine writer slot (global concurrency limit %r); waiting up to %.0f s.",
                name, wait_seconds)
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(concurrency(name, occupy=1, timeout_seconds=max(wait_seconds, 1.0), strict=True))
        except TimeoutError:
            raise WriterSlotBusy(f"another run holds the cross-machine writer slot {name!r}; "
                                 f"waited {wait_seconds:.0f} s") from None
        logger.info("Cross-machine writer slot held after %.1f s.", time.monotonic() - started)
        yield True
