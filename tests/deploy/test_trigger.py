"""meta.runs.trigger: the flow's own parameter outside a deployment; Prefect's word inside one."""
from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from flows import refresh as refresh_module


@pytest.mark.parametrize("deployment_id, auto_scheduled, requested, expected", [
    (None, False, "cli", "cli"),                  # ftf run
    (None, False, "test", "test"),                # tests calling the flow
    (uuid.uuid4(), True, "schedule", "schedule"),  # refresh-daily, created by the scheduler
    (uuid.uuid4(), True, "manual", "schedule"),    # any deployment's scheduled run
    (uuid.uuid4(), False, "schedule", "manual"),   # refresh-daily started by hand (UI "Run")
    (uuid.uuid4(), False, "manual", "manual"),     # refresh-manual
    (uuid.uuid4(), False, "cli", "manual"),        # a deployment without a trigger parameter
])
def test_effective_trigger(monkeypatch, deployment_id, auto_scheduled, requested, expected):
    flow_run = SimpleNamespace(deployment_id=deployment_id, auto_scheduled=auto_scheduled)
    monkeypatch.setattr(refresh_module.FlowRunContext, "get", staticmethod(lambda: SimpleNamespace(flow_run=flow_run)))
    assert refresh_module.effective_trigger(requested) == expected


def test_effective_trigger_outside_any_flow_run():
    assert refresh_module.effective_trigger("cli") == "cli"
