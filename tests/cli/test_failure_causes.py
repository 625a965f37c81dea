"""What a person reads after a push went wrong: `adsync status` shows the latest push with
its cause, `adsync alerts` names the cause of each alert; a CLI push raises the same alerts
a Dagster run would."""

from __future__ import annotations

import json
from pathlib import Path

from adsync_pipeline.examples.generator import generate_campaign_set
from adsync_pipeline.sandbox.reddit import RunningSandbox
from adsync_pipeline.sandbox.reddit_state import (
    AD_ACCOUNT_ID,
    FUNDING_INSTRUMENT_ID,
    PIXEL_ID,
    PROFILE_ID,
)
from adsync_pipeline.security.vault import Vault, generate_key
from adsync_pipeline.store.accounts import AccountRepository
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.sync.alerts import ALERT_KINDS
from tests.cli.conftest import EXAMPLE

WRONG_KEY = "a stored token cannot be decrypted"


def test_a_push_with_a_wrong_key_names_its_cause_in_status_and_alerts(
    adsync, pushed_set: int, tmp_path: Path, monkeypatch
) -> None:
    edited = json.loads(EXAMPLE.read_text())
    edited["campaigns"][0]["name"] += " (edited)"
    (tmp_path / "edited.json").write_text(json.dumps(edited))
    assert adsync("import", str(tmp_path / "edited.json")).code == 0
    monkeypatch.setenv("ADSYNC_ENCRYPTION_KEY", generate_key())

    pushed = adsync("sync", str(pushed_set), "--now")

    assert pushed.code == 1
    assert pushed.err.startswith(f"error: {WRONG_KEY}") and "Traceback" not in pushed.err
    status = adsync("status", str(pushed_set))
    assert status.code == 0, status.err
    lines = status.out.splitlines()
    assert "error/failed" in lines[0]  # the set is not left `syncing`
    assert lines[1] == "2 campaigns, 2 ad groups, 2 ads, 2 keywords"
    assert lines[3].split() == ["level", "key", "name", "status", "sync", "platform", "id"] + [
        "last",
        "error",
    ]
    push_line = next(line for line in lines if line.startswith("latest push:"))
    assert push_line.startswith("latest push: failed  (push via cli, run adsync-")
    assert f"  cause: {WRONG_KEY}" in lines[lines.index(push_line) + 1]
    latest = json.loads(adsync("status", str(pushed_set), "--json").out)["latest_push"]
    assert (latest["kind"], latest["trigger"], latest["status"]) == ("push", "cli", "failed")
    assert latest["cause"].startswith(WRONG_KEY)

    alerts = adsync("alerts").out.splitlines()
    assert alerts[0].split() == ["id", "raised", "kind", "set", "delivered", "cause"]
    (row,) = alerts[1:]
    assert "run_failed" in row and WRONG_KEY in row and latest["run_id"] in row


def test_a_cli_push_that_opens_the_breaker_raises_one_breaker_alert(
    adsync, connected: dict, env_db: str, reddit_sandbox: RunningSandbox
) -> None:
    db = Database.from_url(env_db)
    try:
        accounts = AccountRepository(db, Vault.from_env())
        account = accounts.find("reddit", AD_ACCOUNT_ID)
        assert account is not None
        # Cached: the first platform calls are the push's own, which the breaker counts.
        accounts.cache_resources(
            account.id,
            funding_instrument_id=FUNDING_INSTRUMENT_ID,
            profile_id=PROFILE_ID,
            pixel_id=PIXEL_ID,
            currency="USD",
        )
        doc = generate_campaign_set(10, ad_groups=1, ads=1, name="Breaker set")
        set_id = CampaignSetRepository(db).import_set(doc).campaign_set_id
    finally:
        db.dispose()
    reddit_sandbox.set_faults(force_status=503)

    failing = adsync("sync", str(set_id), "--now")
    refused = adsync("sync", str(set_id), "--now")

    assert failing.code == 1 and refused.code == 1
    assert refused.out.startswith("refused: circuit breaker open")
    found = json.loads(adsync("alerts", "--kind", "breaker_opened", "--json").out)
    assert len(found) == 1, found
    assert f"circuit breaker for reddit account {AD_ACCOUNT_ID} opened" in found[0]["message"]
    assert "failed with retryable errors" in found[0]["message"]
    assert found[0]["dagster_run_id"] is None  # a CLI push, not a Dagster run


def test_alerts_kind_lists_every_kind(adsync, env_db: str) -> None:
    shown = adsync("alerts", "--help").out
    assert all(kind in shown for kind in ALERT_KINDS) and "conflict_opened" in shown
    assert adsync("alerts", "--kind", "entity_rejected").out == "no entity_rejected alerts\n"
