"""Several machines, simulated: PostgreSQL, a Prefect server on it, two workers in their own folders.

`make e2e-multi` only (FTF_E2E_MULTI=1): a plain `pytest` skips this folder. Everything started
here is stopped here, by PID: workers (SIGINT), the Prefect server (SIGTERM), PostgreSQL (pg_ctl stop).
"""
from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from bench.ged_generate import generate
from tests.e2e.conftest import BIN, PROJECT, Service, clean_env, free_port, wait_healthy

collect_ignore = [] if os.environ.get("FTF_E2E_MULTI") == "1" else ["test_two_workers.py"]

WRITER_LIMIT = "ftf-warehouse-writer"
EVENT_ROWS = 1_000_000


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail("PostgreSQL is not installed: `make e2e-multi` installs Debian's postgresql package")
    return Path(found[-1]).parent


def _as_postgres(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a PostgreSQL command as the postgres user when we are root (initdb refuses root)."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kwargs)


class Postgres:
    """A throwaway PostgreSQL cluster in a temporary folder, on a free port of 127.0.0.1."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.root = Path(tempfile.mkdtemp(prefix="ftf-pg-"))
        self.root.chmod(0o755)
        self.data, self.port = self.root / "data", free_port()
        self.log = self.root / "postgres.log"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")

    def start(self) -> str:
        done = _as_postgres([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
        assert done.returncode == 0, f"initdb failed: {done.stderr[-2000:]}"
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        done = _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start"])
        assert done.returncode == 0, f"pg_ctl start failed: {done.stderr[-2000:]}{self.log.read_text()[-2000:]}"
        done = _as_postgres([str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                             "-c", "CREATE DATABASE prefect"])
        assert done.returncode == 0, f"CREATE DATABASE failed: {done.stderr[-2000:]}"
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/prefect"

    def stop(self) -> str:
        done = _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(self.root, ignore_errors=True)
        how = "stopped" if done.returncode == 0 else f"pg_ctl stop: {done.stderr.strip()[-300:]}"
        print(f"[e2e-multi] postgres: {how}")
        return how


def prefect(args: list[str], env: dict, timeout: float = 240) -> subprocess.CompletedProcess:
    done = subprocess.run([str(BIN / "prefect"), *args], cwd=PROJECT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"prefect {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


DEPLOYMENTS = """\
# Two deployments of the refresh flow, one per work queue: each worker (machine) takes one of them.
name: ftf-warehouse-multi
prefect-version: 3.9.1
build: null
push: null
pull:
  - prefect.deployments.steps.set_working_directory:
      directory: "{{ $FTF_PROJECT_DIR }}"
deployments:
"""
DEPLOYMENT = """\
  - name: multi-{queue}
    entrypoint: flows/refresh.py:refresh
    parameters:
      mode: mirror
      publish: false
      wait_for_writer_seconds: 900
      sources: [icsr_2015_01, ucdp_ged]
      url_overrides: {{ucdp_ged: "{events}"}}
    schedules: []
    work_pool: {{name: ftf-multi, work_queue_name: {queue}, job_variables: {{}}}}
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """PostgreSQL, a Prefect server on it with the writer limit, two deployments, two workers."""
    root = tmp_path_factory.mktemp("e2e-multi")
    logs = root / "logs"
    logs.mkdir()
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    postgres = Postgres()
    services: list[Service] = []
    try:
        database_url = postgres.start()
        timings["postgres started"] = time.monotonic() - t0
        port = free_port()
        api_url = f"http://127.0.0.1:{port}/api"
        env = clean_env(PREFECT_HOME=str(root / "prefect-home"), PREFECT_API_URL=api_url)
        server_env = {k: v for k, v in env.items() if k != "PREFECT_API_URL"}
        server_env["PREFECT_API_DATABASE_CONNECTION_URL"] = database_url
        server = Service("server", [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                         env=server_env, cwd=root, logs=logs)
        services.append(server)
        timings["server healthy"] = wait_healthy(api_url, server, timeout=180)
        prefect(["gcl", "create", WRITER_LIMIT, "--limit", "1"], env)
        prefect(["work-pool", "create", "ftf-multi", "--type", "process", "--overwrite"], env)
        spec = root / "prefect-multi.yaml"
        # a generated GED release makes each run's writing long enough (tens of seconds) for the two to race
        events = generate(root / "GEDEvent_e2e.csv", EVENT_ROWS, seed=21)
        spec.write_text(DEPLOYMENTS + "".join(DEPLOYMENT.format(queue=q, events=events) for q in ("a", "b")))
        prefect(["--no-prompt", "deploy", "--all", "--prefect-file", str(spec)], env)
        timings["deployed"] = time.monotonic() - t0
        homes = {}
        for queue in ("a", "b"):   # two "machines": own working folder, own data folder, own queue
            machine = root / f"machine-{queue}"
            machine.mkdir()
            homes[queue] = machine / "data"
            worker_env = dict(env, FTF_PROJECT_DIR=str(PROJECT), FTF_HOME=str(homes[queue]),
                              PREFECT_WORKER_QUERY_SECONDS="2")
            services.append(Service(f"worker-{queue}", [str(BIN / "prefect"), "worker", "start", "--pool", "ftf-multi",
                                                        "--work-queue", queue, "--type", "process"],
                                    env=worker_env, cwd=machine, logs=logs))
        yield dict(api_url=api_url, env=env, homes=homes, services=services, timings=timings, logs=logs)
    finally:
        for service in reversed(services[1:]):
            service.stop(signal.SIGINT)
        if services:
            services[0].stop(signal.SIGTERM)
        postgres.stop()
        timings["total"] = time.monotonic() - t0
        print("[e2e-multi] timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
