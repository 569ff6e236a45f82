"""deploy/: prefect.yaml, docker-compose.yml and Dockerfile say what the README promises (fast, no server).

The real server + worker round trip is `make e2e` (tests/e2e/)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[2]
DEPLOY = PROJECT / "deploy"


@pytest.fixture(scope="module")
def prefect_yaml() -> dict:
    return yaml.safe_load((DEPLOY / "prefect.yaml").read_text())


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def test_prefect_yaml_is_what_prefect_deploy_accepts(prefect_yaml):
    from prefect.cli.deploy._models import PrefectYamlModel  # the model `prefect deploy` validates with
    model = PrefectYamlModel.model_validate(prefect_yaml)
    assert [d.name for d in model.deployments] == ["refresh-daily", "refresh-manual"]


def test_two_deployments_of_refresh(prefect_yaml):
    deployments = {d["name"]: d for d in prefect_yaml["deployments"]}
    daily, manual = deployments["refresh-daily"], deployments["refresh-manual"]
    assert [(s["cron"], s["timezone"]) for s in daily["schedules"]] == [("0 6 * * *", "UTC")]
    assert daily["parameters"]["mode"] == "live" and manual["parameters"]["mode"] == "mirror"
    assert manual["schedules"] == []
    assert "trigger" not in daily["parameters"] and "trigger" not in manual["parameters"]
    for d in (daily, manual):
        path, _, function = d["entrypoint"].partition(":")
        assert (PROJECT / path).exists() and f"def {function}(" in (PROJECT / path).read_text()
        assert d["work_pool"]["name"] == "ftf-process"


def test_deployment_parameters_are_valid_for_the_flow(prefect_yaml):
    from flows.refresh import refresh
    for d in prefect_yaml["deployments"]:
        refresh.validate_parameters(d["parameters"])  # a misspelt or mistyped parameter fails here, not at 06:00


def test_pull_step_takes_runs_to_the_checkout_named_by_the_worker(prefect_yaml):
    assert prefect_yaml["pull"] == [
        {"prefect.deployments.steps.set_working_directory": {"directory": "{{ $FTF_PROJECT_DIR }}"}}]
    makefile = (PROJECT / "Makefile").read_text()
    assert "worker: export FTF_PROJECT_DIR ?= $(CURDIR)" in makefile


def test_ftf_serve_offers_the_same_deployments(prefect_yaml):
    from flows import serve
    deployments = {d["name"]: d for d in prefect_yaml["deployments"]}
    assert set(serve.DEPLOYMENTS) == set(deployments)
    for name, parameters in serve.DEPLOYMENTS.items():
        assert parameters == deployments[name]["parameters"], name
    (schedule,) = deployments["refresh-daily"]["schedules"]
    assert (serve.DAILY_CRON, serve.TIMEZONE, serve.DAILY_SLUG) == (schedule["cron"], schedule["timezone"], schedule["slug"])


def test_compose_production_shape(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "server", "deploy", "worker"}
    server_env = services["server"]["environment"]
    assert server_env["PREFECT_API_DATABASE_CONNECTION_URL"].startswith("postgresql+asyncpg://")
    assert "@postgres:5432/" in server_env["PREFECT_API_DATABASE_CONNECTION_URL"]
    assert services["server"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    worker = services["worker"]
    assert worker["environment"]["PREFECT_API_URL"] == "http://server:4200/api"
    assert worker["environment"]["FTF_HOME"] == "/data"
    assert worker["environment"]["FTF_PROJECT_DIR"] == "/app"
    assert "ftf-data:/data" in worker["volumes"]
    assert "ftf-data" in compose["volumes"]
    assert worker["command"][:3] == ["prefect", "worker", "start"] and "ftf-process" in worker["command"]
    assert "deploy/prefect.yaml" in " ".join(services["deploy"]["command"])
    for name in ("server", "deploy", "worker"):
        build = services[name]["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"


def test_dockerfile_installs_the_locked_dependencies_and_the_project():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "\nFROM python:3.11" in dockerfile
    assert "COPY requirements.lock" in dockerfile and "--require-hashes -r requirements.lock" in dockerfile
    assert "FTF_PROJECT_DIR=/app" in dockerfile and "FTF_HOME=/data" in dockerfile
    assert ".venv" in (DEPLOY / "Dockerfile.dockerignore").read_text().split()


def _compose_v2() -> bool:
    return shutil.which("docker") is not None and subprocess.run(
        ["docker", "compose", "version"], capture_output=True).returncode == 0


def test_docker_compose_accepts_the_file(tmp_path):
    """`docker compose config` where Compose v2 is installed. Else Compose v1 (Debian's docker-compose),
    which knows every key used here except the top-level `name` (a v2 key), so it checks a copy without it."""
    if _compose_v2():
        done = subprocess.run(["docker", "compose", "-f", str(DEPLOY / "docker-compose.yml"), "config", "-q"],
                              capture_output=True, text=True, cwd=PROJECT)
    elif shutil.which("docker-compose"):
        text = (DEPLOY / "docker-compose.yml").read_text()
        assert "\nname: ftf-warehouse\n" in text
        copy = DEPLOY / f".compose-v1-check-{tmp_path.name}.yml"   # beside the original: same relative paths
        copy.write_text(text.replace("\nname: ftf-warehouse\n", "\n"))
        try:
            done = subprocess.run(["docker-compose", "-f", str(copy), "config", "-q"],
                                  capture_output=True, text=True, cwd=PROJECT)
        finally:
            copy.unlink()
    else:
        pytest.skip("neither `docker compose` (v2) nor `docker-compose` is installed")
    assert done.returncode == 0, done.stdout + done.stderr


def test_run_form_is_the_parameters_model_without_trigger():
    """The UI's run form (the flow's parameter schema): the RefreshParameters fields, each titled and
    described; sources a multi-select of catalog ids, mode a choice; no `trigger` to set by hand."""
    from flows.catalog import load_catalog
    from flows.refresh import RefreshParameters, refresh
    form = refresh.parameters.model_dump()["properties"]
    assert list(form) == list(RefreshParameters.model_fields)
    assert "trigger" not in form
    model = RefreshParameters.model_json_schema()["properties"]
    for name, field in form.items():
        assert field["title"] == model[name]["title"] and field["title"] != name, name
        assert field["description"] == model[name]["description"] and len(field["description"]) > 20, name
    assert form["sources"]["type"] == "array"
    assert form["sources"]["items"]["enum"] == sorted(load_catalog())
    assert form["mode"]["enum"] == ["mirror", "live"]
    assert form["wait_for_writer_seconds"]["minimum"] == 0


def test_run_form_rejects_a_source_that_is_not_in_the_catalog():
    from prefect.exceptions import ParameterTypeError

    from flows.refresh import refresh
    assert refresh.validate_parameters({"sources": ["icsr_2015_01"]})["sources"] == ["icsr_2015_01"]
    assert refresh.validate_parameters({"sources": None})["sources"] == []
    with pytest.raises(ParameterTypeError):
        refresh.validate_parameters({"sources": ["nope"]})


# ---- alerts as code: deploy/automations.yaml (the real firing is in tests/e2e) ----------------------
def test_automations_file_is_what_prefect_accepts():
    from flows.alerts import load_automations
    block_id = "00000000-0000-4000-8000-000000000001"
    automations = {a.name: a for a in load_automations(DEPLOY / "automations.yaml", block_id)}
    assert set(automations) == {"ftf-refresh-failed", "ftf-refresh-daily-stale"}
    failed, stale = automations["ftf-refresh-failed"], automations["ftf-refresh-daily-stale"]
    assert failed.trigger.posture == "Reactive"
    assert set(failed.trigger.expect) == {"prefect.flow-run.Failed", "prefect.flow-run.Crashed"}
    assert failed.trigger.match_related.root == {"prefect.resource.role": "flow", "prefect.resource.name": "refresh"}
    assert stale.trigger.posture == "Proactive" and stale.trigger.expect == {"prefect.flow-run.Completed"}
    assert stale.trigger.within.total_seconds() == 26 * 3600
    assert stale.trigger.match_related.root == {"prefect.resource.role": "deployment", "prefect.resource.name": "refresh-daily"}
    for automation in automations.values():
        (action,) = automation.actions
        assert action.type == "send-notification" and str(action.block_document_id) == block_id


def test_make_deploy_applies_the_automations():
    makefile = (PROJECT / "Makefile").read_text()
    deploy_recipe = makefile.split("\ndeploy: setup\n", 1)[1].split("\n\n", 1)[0]
    assert "-m flows.alerts apply deploy/automations.yaml" in deploy_recipe


@pytest.mark.parametrize("env, kind", [
    ({"FTF_ALERT_WEBHOOK_URL": "http://127.0.0.1:9/hook"}, "CustomWebhookNotificationBlock"),
    ({"FTF_ALERT_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/X"}, "SlackWebhook"),
    ({"FTF_ALERT_SENDGRID_API_KEY": "key", "FTF_ALERT_EMAIL_TO": "a@example.org, b@example.org"}, "SendgridEmail"),
    ({}, None),
])
def test_notification_block_comes_from_the_environment(env, kind):
    from flows.alerts import notification_block
    block = notification_block(env)
    assert (type(block).__name__ if block else None) == kind
    if kind == "SendgridEmail":
        assert block.to_emails == ["a@example.org", "b@example.org"]


def test_email_without_recipients_is_one_clear_error():
    from flows.alerts import AlertsError, notification_block
    with pytest.raises(AlertsError, match="FTF_ALERT_EMAIL_TO"):
        notification_block({"FTF_ALERT_SENDGRID_API_KEY": "key"})
