"""Prefect's temporary API server, started as soon as a command knows it will run a flow.

Without `PREFECT_API_URL`, the first Prefect client of a process imports the server module
(`prefect.server.api.server`, about 4–5 s of imports in *this* process), then starts the server as
a uvicorn subprocess and waits for it (prefect.server.api.server.SubprocessASGIServer). This
module starts that same subprocess (same command, same app factory, same settings) before the
command imports Prefect at all, and points `PREFECT_API_URL` at it: the server starts on the other
core while this process imports the flow, and this process never imports the server's code.
`ftf run` and the Prefect floor of `make bench` (bench/noop/floor_flow.py) both start this way.

Standard library only: it must run before Prefect is imported.
"""
from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

STARTUP_TIMEOUT_SETTING = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
DEFAULT_STARTUP_TIMEOUT_SECONDS = 20.0   # Prefect's own default for its temporary server
STOP_TIMEOUT_SECONDS = 5.0               # as SubprocessASGIServer.stop: then kill
TEMPORARY_SERVER_URL = "FTF_TEMPORARY_PREFECT_API_URL"   # set with PREFECT_API_URL: it is this process's own


class TemporaryServerError(RuntimeError):
    """The temporary server did not start (one line: why)."""


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stopped_with_this_process():
    """A preexec_fn for the server's subprocess: on Linux, the kernel sends it SIGTERM when this process
    dies (prctl PR_SET_PDEATHSIG), so a killed command (kill -9, OOM) does not leave its server
    running. None elsewhere: there a normal exit still stops the server (atexit)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    import signal

    prctl = ctypes.CDLL(None, use_errno=True).prctl   # looked up before the fork: the child only calls it
    parent = os.getpid()

    def die_with_parent() -> None:
        prctl(1, int(signal.SIGTERM))       # 1 = PR_SET_PDEATHSIG
        if os.getppid() != parent:          # the parent died before the call: nobody would signal
            os._exit(0)
    return die_with_parent


def _prefect_app_dir() -> str:
    """The folder holding the prefect package (uvicorn's --app-dir), found without importing it."""
    spec = importlib.util.find_spec("prefect")
    if spec is None or spec.origin is None:
        raise TemporaryServerError("Prefect is not installed in this environment")
    return str(Path(spec.origin).resolve().parent.parent)


class TemporaryServer:
    """One uvicorn subprocess serving Prefect's API on 127.0.0.1, as Prefect's own temporary server."""

    def __init__(self, port: int | None = None):
        self.port = port or _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def command(self) -> list[str]:
        """The command SubprocessASGIServer._run_uvicorn_command runs (Prefect 3.9)."""
        return [sys.executable, "-m", "uvicorn", "--app-dir", _prefect_app_dir(), "--factory",
                "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(self.port),
                "--log-level", "error", "--lifespan", "on"]

    def start(self) -> TemporaryServer:
        """Start the subprocess (without waiting) and point this process's Prefect clients at it."""
        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
               "PREFECT__SERVER_FINAL": "1"}
        # stdout stays clean for `ftf run --json`; the server logs errors only, to stderr
        self.process = subprocess.Popen(self.command(), env=env, stdout=sys.stderr.fileno() if _has_fileno() else None,
                                        preexec_fn=_stopped_with_this_process())
        os.environ["PREFECT_API_URL"] = os.environ[TEMPORARY_SERVER_URL] = self.api_url
        atexit.register(self.stop)   # registered before Prefect's own handlers: runs after them
        return self

    def wait_until_healthy(self, timeout: float | None = None) -> float:
        """Block until GET /api/health answers 200; returns the seconds waited."""
        if timeout is None:
            timeout = float(os.environ.get(STARTUP_TIMEOUT_SETTING, DEFAULT_STARTUP_TIMEOUT_SECONDS))
        started = time.monotonic()
        while True:
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                raise TemporaryServerError(f"Prefect's temporary server exited before it was ready (exit code {code})")
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as response:
                    if response.status == 200:
                        return time.monotonic() - started
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() - started >= timeout:
                raise TemporaryServerError(f"Prefect's temporary server did not start within {timeout:.0f} s")
            time.sleep(0.05)

    def answer_first_request(self) -> threading.Thread:
        """Send the request a Prefect client sends first (GET /api/admin/version) from a background
        thread: a new server takes about half a second over its first answer, which it can spend
        while this process finishes its own imports instead of inside the flow run's start."""
        def ask() -> None:
            with contextlib.suppress(OSError, urllib.error.URLError):
                urllib.request.urlopen(f"{self.api_url}/admin/version", timeout=30).read()
        thread = threading.Thread(target=ask, name="prefect-server-first-request", daemon=True)
        thread.start()
        return thread

    def run_settings(self):
        """The settings a flow run on this server runs with (a context manager): no flow-run heartbeats.
        Heartbeats tell a long-lived server that a run's process died; this server dies with the process.
        Prefect 3.9 sends one every 180 s from a thread that sleeps in one-second steps, and the end of
        every flow run waits for that thread: up to 1 s, about half a second on average."""
        from prefect.settings import temporary_settings

        return temporary_settings(updates={"flows.heartbeat_frequency": None})

    def stop(self) -> None:
        """Terminate the server (SIGTERM), wait up to 5 s, then kill it."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _has_fileno() -> bool:
    try:
        sys.stderr.fileno()
        return True
    except (AttributeError, OSError, ValueError):
        return False


def start_early() -> TemporaryServer | None:
    """Start Prefect's temporary server now, unless this process already has an API to talk to
    (`PREFECT_API_URL`: a `make server`, a deployment's worker). Call it before importing Prefect: a
    process that already imported it (tests, a worker) has read its settings and paid the import, so
    there Prefect starts its own server as usual (None)."""
    if os.environ.get("PREFECT_API_URL") or "prefect.context" in sys.modules:
        return None
    return TemporaryServer().start()
