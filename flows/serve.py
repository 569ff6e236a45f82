"""`ftf serve`: the one-process alternative to a work pool and a worker, for a laptop.

One long-running process registers the same two deployments as deploy/prefect.yaml with a
Prefect server and runs their flow runs itself (each as a subprocess):

- `refresh-daily`: every day at 06:00 UTC, live mode;
- `refresh-manual`: no schedule; press "Run" in the UI or `prefect deployment run 'refresh/refresh-manual'`.

It needs a server that outlives it (`make server`, UI at http://127.0.0.1:4200): without one,
Prefect would start a temporary server that forgets the schedule and every run when the process
stops. Ctrl-C stops serving and pauses both deployments (so the daily schedule does not pile
up runs nobody will pick up) until the next `ftf serve` or `make deploy`.
"""
from __future__ import annotations

import os
import sys
import time
import urllib.error
import urllib.request

DEFAULT_API_URL = "http://127.0.0.1:4200/api"
DAILY_CRON = "0 6 * * *"
TIMEZONE = "UTC"
DAILY_SLUG = "daily-0600-utc"   # same slug as deploy/prefect.yaml: either one can update the other's schedule
WAIT_FOR_WRITER_SECONDS = 900   # a deployment run waits this long for another run to stop writing

# Deployment name -> default parameters; deploy/prefect.yaml says the same (a test checks it).
DEPLOYMENTS = {
    "refresh-daily": {"mode": "live", "wait_for_writer_seconds": WAIT_FOR_WRITER_SECONDS},
    "refresh-manual": {"mode": "mirror", "wait_for_writer_seconds": WAIT_FOR_WRITER_SECONDS},
}


class ServeError(RuntimeError):
    """`ftf serve` cannot start (no reachable Prefect server)."""


def api_url(explicit: str | None = None) -> str:
    """--api-url, else $PREFECT_API_URL / the active Prefect profile, else `make server`'s address."""
    if explicit:
        return explicit.rstrip("/")
    from prefect.settings import get_current_settings
    configured = get_current_settings().api.url
    return (configured or os.environ.get("PREFECT_API_URL") or DEFAULT_API_URL).rstrip("/")


def server_is_healthy(url: str, timeout: float = 5.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_for_server(url: str, seconds: float = 30.0) -> bool:
    """True once the server at `url` answers /health (a just-started `make server` needs a few seconds)."""
    deadline = time.monotonic() + seconds
    while not server_is_healthy(url, timeout=2.0):
        if time.monotonic() >= deadline:
            return False
        time.sleep(1.0)
    return True


def _main(argv: list[str]) -> int:
    """`python -m flows.serve wait URL [SECONDS]`: used by `make deploy` / `make worker`."""
    if len(argv) >= 2 and argv[0] == "wait":
        url = argv[1].rstrip("/")
        if wait_for_server(url, float(argv[2]) if len(argv) > 2 else 30.0):
            return 0
        print(f"no Prefect server answers at {url}: run `make server` in another terminal first "
              f"(or set PREFECT_API_URL to your server's API)", file=sys.stderr)
        return 1
    print("usage: python -m flows.serve wait URL [SECONDS]", file=sys.stderr)
    return 2


def deployments() -> list:
    """The two RunnerDeployments of `refresh` (module entrypoint: works from any folder)."""
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    from flows.refresh import refresh

    daily = refresh.to_deployment(
        name="refresh-daily",
        schedules=[Cron(DAILY_CRON, timezone=TIMEZONE, slug=DAILY_SLUG)],
        parameters=DEPLOYMENTS["refresh-daily"],
        description="Every day at 06:00 UTC: refresh every source from the publishers' URLs (live mode), "
                    "load one snapshot, rebuild the marts and publish the bundle. Served by `ftf serve`.",
        tags=["ftf-warehouse", "scheduled"],
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    manual = refresh.to_deployment(
        name="refresh-manual",
        parameters=DEPLOYMENTS["refresh-manual"],
        description="Run by hand from the UI or `prefect deployment run 'refresh/refresh-manual' -p ...`. "
                    "Served by `ftf serve`.",
        tags=["ftf-warehouse", "manual"],
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    return [daily, manual]


def serve(api: str | None = None, *, limit: int | None = None) -> None:
    """Register both deployments with the server at `api` and run their flow runs until Ctrl-C."""
    # flow runs are subprocesses of this one: they inherit these (INFO logs reach the UI)
    os.environ["PREFECT_LOGGING_LEVEL"] = os.environ.get("FTF_SERVE_LOGGING_LEVEL", "INFO")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    url = api_url(api)
    if not server_is_healthy(url):
        raise ServeError(f"no Prefect server answers at {url}: start one with `make server` (UI on "
                         f"http://127.0.0.1:4200) in another terminal, or pass --api-url / set PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = url
    import prefect
    from prefect.settings import PREFECT_API_URL, PREFECT_LOGGING_LEVEL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: url, PREFECT_LOGGING_LEVEL: os.environ["PREFECT_LOGGING_LEVEL"]}):
        prefect.serve(*deployments(), limit=limit)


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
