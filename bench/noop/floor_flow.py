"""The Prefect floor: a flow with one task per source that does nothing, started from the
command line the way `ftf run` starts the refresh flow: Prefect's temporary API server started
before Prefect is imported (flows/prefect_server.py), then the flow run and its task runs; it
exits as `ftf run` does (flows.cli.skip_the_final_garbage_collection).
`make bench` times this script against `ftf run`."""
from __future__ import annotations

import contextlib
import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from flows.prefect_server import start_early  # noqa: E402

server = start_early()   # as `ftf run`: the server starts while this process imports Prefect

from prefect import flow, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402

from flows.catalog import load_catalog  # noqa: E402
from flows.cli import skip_the_final_garbage_collection  # noqa: E402


@task(name="nothing", cache_policy=NO_CACHE)
def nothing(source_id: str) -> str:
    return source_id


@flow(name="prefect-floor")
def floor(source_ids: list[str]) -> int:
    done = [nothing.submit(s) for s in source_ids]
    return len([d.result() for d in done])


if __name__ == "__main__":
    if server is not None:
        server.wait_until_healthy()
        server.answer_first_request()   # as `ftf run` (which imports the rest of what it needs meanwhile)
    with server.run_settings() if server is not None else contextlib.nullcontext():   # as `ftf run`
        print(f"floor: {floor(list(load_catalog()))} no-op tasks")
    skip_the_final_garbage_collection()   # and ends the way `ftf run` ends
