"""End to end on a real Prefect server and worker: `make e2e` (about 1–2 minutes), not `make test`.

The slow module is collected only when FTF_E2E=1 (set by `make e2e`), so a plain `pytest`
skips it without a trace. Every process started here runs in its own session, is stopped by
PID (worker: SIGINT, server: SIGTERM), and is killed with its children after a bound.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

collect_ignore = [] if os.environ.get("FTF_E2E") == "1" else ["test_deployments.py", "test_run_log.py"]

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STOP_BOUND = 20.0      # seconds a process gets to stop on its signal before SIGKILL


def free_port() -> int:
    """A free port that is not Prefect's default 4200 (the UI must follow the port it is served on)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port != 4200:
            return port


def clean_env(**extra: str) -> dict[str, str]:
    """This machine's environment without any PREFECT_* or FTF_* setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FTF_"))}
    env.update(PREFECT_SERVER_ANALYTICS_ENABLED="false", PYTHONUNBUFFERED="1", COLUMNS="160")
    env.update(extra)
    return env


def _default_sigint() -> None:  # pragma: no cover - runs in the child before exec
    # A shell's background job starts with SIGINT ignored, and Python keeps an ignored SIGINT:
    # give the child the default, so Ctrl-C (SIGINT) stops a worker as it does in a terminal.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Service:
    """A long-running command (server, worker, `ftf serve`) with its output in a log file."""

    def __init__(self, name: str, args: list[str], *, env: dict, cwd: Path, logs: Path):
        self.name, self.log_path = name, logs / f"{name}.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_default_sigint)
        self.stopped_how: str | None = None

    def log(self, last: int = 60) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-last:])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: signal.Signals, *, group: bool = False) -> str:
        """Send `sig` to the process (by PID; with group=True to its process group, e.g. `make` and the
        server it started); SIGKILL its process group after STOP_BOUND."""
        started = time.monotonic()
        if self.alive():
            (os.killpg if group else os.kill)(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=STOP_BOUND)
                self.stopped_how = f"{sig.name}: exited {self.proc.returncode} in {time.monotonic() - started:.1f} s"
            except subprocess.TimeoutExpired:
                self.stopped_how = f"{sig.name} ignored for {STOP_BOUND:.0f} s: SIGKILL"
        else:
            self.stopped_how = f"had exited ({self.proc.returncode})"
        try:  # children left behind (uvicorn, flow-run subprocesses) go with the group
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait(timeout=10)
        self._log.close()
        print(f"[e2e] {self.name}: {self.stopped_how}")
        return self.stopped_how


def wait_healthy(api_url: str, server: Service, timeout: float = 90.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        assert server.alive(), f"prefect server exited:\n{server.log()}"
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as r:
                if r.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    pytest.fail(f"no healthy Prefect server at {api_url} after {timeout:.0f} s:\n{server.log()}")


class WebhookReceiver:
    """A local HTTP endpoint standing in for the alert webhook: records every POST body."""

    def __init__(self):
        import http.server
        import threading

        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                received.append(self.rfile.read(length).decode("utf-8", "replace"))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ftf-alerts"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def webhook():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, webhook):
    """A real Prefect server (temporary PREFECT_HOME, free port), `make deploy`, and a process worker."""
    root = tmp_path_factory.mktemp("e2e")
    logs = root / "logs"
    logs.mkdir()
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    prefect_home = root / "prefect-home"
    env = clean_env(PREFECT_HOME=str(prefect_home), PREFECT_API_URL=api_url)
    timings: dict[str, float] = {}
    services: list[Service] = []
    t0 = time.monotonic()
    server_env = {k: v for k, v in env.items() if k != "PREFECT_API_URL"}
    # exactly as the README says for another port: `make server PREFECT_PORT=...` (never the default 4200)
    server = Service("server", ["make", "--no-print-directory", "-C", str(PROJECT), "server", f"PREFECT_PORT={port}"],
                     env=server_env, cwd=root, logs=logs)
    services.append(server)
    try:
        timings["server healthy"] = wait_healthy(api_url, server)

        t = time.monotonic()
        # `make deploy` also applies deploy/automations.yaml, notifying the local webhook receiver
        deploy = subprocess.run(["make", "--no-print-directory", "deploy"], cwd=PROJECT,
                                env=dict(env, FTF_ALERT_WEBHOOK_URL=webhook.url),
                                capture_output=True, text=True, timeout=240)
        timings["make deploy"] = time.monotonic() - t
        assert deploy.returncode == 0, f"make deploy failed:\n{deploy.stdout[-4000:]}\n{deploy.stderr[-4000:]}"

        # The worker runs in a folder of its own: only the deployment's pull step (FTF_PROJECT_DIR)
        # takes a flow run to the code. Its own FTF_HOME is a decoy: runs get theirs from job variables.
        worker_dir, decoy_home = root / "worker-cwd", root / "worker-default-home"
        worker_dir.mkdir()
        worker_env = dict(env, FTF_PROJECT_DIR=str(PROJECT), FTF_HOME=str(decoy_home),
                          PREFECT_WORKER_QUERY_SECONDS="2")
        worker = Service("worker", [str(BIN / "prefect"), "worker", "start", "--pool", "ftf-process",
                                    "--type", "process"], env=worker_env, cwd=worker_dir, logs=logs)
        services.append(worker)
        yield dict(api_url=api_url, env=env, root=root, server=server, worker=worker, decoy_home=decoy_home,
                   timings=timings, logs=logs, services=services, started=t0, port=port, deploy_output=deploy.stdout)
    finally:
        # worker (and `ftf serve`, if a test started one) before the server: SIGINT = Ctrl-C
        for service in reversed(services[1:]):
            service.stop(signal.SIGINT)
        server.stop(signal.SIGTERM, group=True)
        timings["total"] = time.monotonic() - t0
        print("[e2e] timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
