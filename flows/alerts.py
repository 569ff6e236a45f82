"""Alerts as code: apply deploy/automations.yaml to a Prefect server (`make deploy` runs this).

    python -m flows.alerts apply deploy/automations.yaml

The notifications go to one block, `ftf-alerts`, made from the environment (first match wins):

- FTF_ALERT_WEBHOOK_URL: any HTTP endpoint; Prefect POSTs {"subject": ..., "body": ...} as JSON;
- FTF_ALERT_SLACK_WEBHOOK_URL: a Slack incoming webhook;
- FTF_ALERT_SENDGRID_API_KEY + FTF_ALERT_EMAIL_TO (comma-separated; FTF_ALERT_EMAIL_FROM optional): e-mail.

With none of them set, nothing is applied and one line says so (the deployments still work).
Applying again replaces the automations of the same names: the YAML file is the one definition.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

BLOCK_NAME = "ftf-alerts"
PLACEHOLDER = "{{ notify_block }}"
ENVIRONMENT = ("FTF_ALERT_WEBHOOK_URL", "FTF_ALERT_SLACK_WEBHOOK_URL", "FTF_ALERT_SENDGRID_API_KEY")


class AlertsError(RuntimeError):
    """The automations file or the alert settings are wrong (one line, no traceback)."""


@dataclass
class Destination:
    kind: str          # webhook | slack | email
    target: str        # what a person recognises: the URL's host, or the addresses


def notification_block(env: dict[str, str] | None = None):
    """The notification block the environment asks for (not saved yet), or None when none is set."""
    env = os.environ if env is None else env
    from prefect.blocks.notifications import CustomWebhookNotificationBlock, SendgridEmail, SlackWebhook

    if env.get("FTF_ALERT_WEBHOOK_URL"):
        return CustomWebhookNotificationBlock(
            name=BLOCK_NAME, url=env["FTF_ALERT_WEBHOOK_URL"], method="POST",
            json_data={"subject": "{{subject}}", "body": "{{body}}", "source": "{{name}}"})
    if env.get("FTF_ALERT_SLACK_WEBHOOK_URL"):
        return SlackWebhook(url=env["FTF_ALERT_SLACK_WEBHOOK_URL"])
    if env.get("FTF_ALERT_SENDGRID_API_KEY"):
        recipients = [a.strip() for a in env.get("FTF_ALERT_EMAIL_TO", "").split(",") if a.strip()]
        if not recipients:
            raise AlertsError("FTF_ALERT_SENDGRID_API_KEY is set but FTF_ALERT_EMAIL_TO (comma-separated) is empty")
        return SendgridEmail(api_key=env["FTF_ALERT_SENDGRID_API_KEY"], to_emails=recipients,
                             sender_email=env.get("FTF_ALERT_EMAIL_FROM", "ftf-warehouse@localhost"))
    return None


def load_automations(path: Path, block_id: str) -> list:
    """The automations in `path`, with the notification block filled in, validated by Prefect's model."""
    import yaml
    from prefect.events.schemas.automations import AutomationCore
    from pydantic import ValidationError

    text = path.read_text(encoding="utf-8")
    if PLACEHOLDER not in text:
        raise AlertsError(f"{path}: no action sends to \"{PLACEHOLDER}\"")
    data = yaml.safe_load(text.replace(PLACEHOLDER, block_id))
    items = data.get("automations") if isinstance(data, dict) else None
    if not items:
        raise AlertsError(f"{path}: expected a top-level 'automations:' list")
    automations = []
    for index, item in enumerate(items):
        try:
            automations.append(AutomationCore.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise AlertsError(f"{path}: automation {item.get('name', index)!r}: {where}: {first['msg']}") from None
    return automations


def apply(path: Path, env: dict[str, str] | None = None) -> list[str]:
    """Save the notification block and (re)create every automation of `path`; returns their names."""
    block = notification_block(env)
    if block is None:
        return []
    block_id = block.save(BLOCK_NAME, overwrite=True)
    automations = load_automations(path, str(block_id))
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        for automation in automations:
            for existing in client.read_automations_by_name(automation.name):
                client.delete_automation(existing.id)
            client.create_automation(automation)
    return [a.name for a in automations]


def _main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "apply":
        print("usage: python -m flows.alerts apply deploy/automations.yaml", file=sys.stderr)
        return 2
    try:
        names = apply(Path(argv[1]))
    except (AlertsError, OSError) as exc:
        print(f"alerts: {exc}", file=sys.stderr)
        return 1
    if not names:
        print(f"alerts: none of {', '.join(ENVIRONMENT)} is set: automations not applied (README: Alerts)")
        return 0
    print(f"alerts: applied {', '.join(names)} (notifications to block {BLOCK_NAME!r})")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
