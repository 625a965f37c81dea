"""Conflicts, pause/resume and the audit log over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from adsync_pipeline.api.app import create_app
from adsync_pipeline.domain.model import EntityStatus
from adsync_pipeline.imports.json_format import parse_json
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.conflicts import ConflictRepository, NewConflict
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.sync_log import AuditEntry, SyncLogRepository
from adsync_pipeline.store.sync_requests import SyncRequestRepository
from adsync_pipeline.sync.results import PushResult
from tests.api.conftest import EXAMPLE, FAST_STREAMS, serve


@pytest.fixture
def set_id(api_db: Database) -> int:
    doc = parse_json(EXAMPLE.read_text(), "summer-sale.json")
    return CampaignSetRepository(api_db).import_set(doc).campaign_set_id


def open_conflict(db: Database, set_id: int, remote: str) -> int:
    campaign = CampaignSetRepository(db).load(set_id).campaigns[0]
    assert campaign.id is not None
    conflict = NewConflict(
        campaign_set_id=set_id,
        entity_type="campaign",
        entity_id=campaign.id,
        entity_key=campaign.key,
        field="name",
        base=campaign.name,
        local=campaign.name,
        remote=remote,
    )
    conflict_id = ConflictRepository(db).open(conflict)
    assert conflict_id is not None
    return conflict_id


def test_conflicts_list_and_resolve(client: httpx.Client, api_db: Database, set_id: int) -> None:
    first = open_conflict(api_db, set_id, "Edited on Reddit")
    listed = client.get("/api/v1/conflicts").json()
    assert [c["id"] for c in listed] == [first]
    assert listed[0]["remoteValue"] == "Edited on Reddit"
    assert client.get("/api/v1/conflicts", params={"campaignSetId": set_id + 1}).json() == []

    kept = client.post(f"/api/v1/conflicts/{first}/resolve", json={"use": "platform"})
    assert kept.status_code == 200, kept.text
    body = kept.json()
    assert (body["conflict"]["resolution"], body["conflict"]["resolvedBy"]) == (
        "platform",
        "api key tests",
    )
    assert (body["entitySyncStatus"], body["jobId"]) == ("synced", None)
    assert CampaignSetRepository(api_db).load(set_id).campaigns[0].name == "Edited on Reddit"
    assert client.get("/api/v1/conflicts").json() == []
    assert len(client.get("/api/v1/conflicts", params={"includeResolved": True}).json()) == 1
    again = client.post(f"/api/v1/conflicts/{first}/resolve", json={"use": "local"})
    assert again.status_code == 409

    second = open_conflict(api_db, set_id, "Edited again")
    local = client.post(f"/api/v1/conflicts/{second}/resolve", json={"use": "local"}).json()
    # Keeping the local value means pushing it: queued as a job, not run in the request.
    assert local["entitySyncStatus"] == "pending"
    job = SyncRequestRepository(api_db).get(int(local["jobId"]))
    assert (job.campaign_set_id, job.status) == (set_id, "queued")


@pytest.fixture
def pushes(api_db: Database, api_key: str) -> Iterator[tuple[httpx.Client, list]]:
    calls: list[tuple[int, EntityStatus]] = []

    def pusher(_db: Database, set_id: int, status: EntityStatus) -> PushResult:
        calls.append((set_id, status))
        return PushResult(run_id="run-1", campaign_set_id=set_id, synced=2)

    app = create_app(api_db, status_pusher=pusher, stream_settings=FAST_STREAMS)
    with serve(app) as running:
        headers = {"Authorization": f"Bearer {api_key}"}
        with httpx.Client(base_url=running.base_url, headers=headers) as http:
            yield http, calls


def test_pause_and_resume_push_the_status(pushes: tuple[httpx.Client, list], set_id: int):
    http, calls = pushes
    paused = http.post(f"/api/v1/campaign-sets/{set_id}/pause")
    assert paused.status_code == 200
    assert paused.json() == {
        "runId": "run-1",
        "campaignSetId": set_id,
        "synced": 2,
        "failed": 0,
        "skipped": 0,
        "refused": None,
        "errors": [],
    }
    assert http.post(f"/api/v1/campaign-sets/{set_id}/resume").status_code == 200
    assert calls == [(set_id, EntityStatus.PAUSED), (set_id, EntityStatus.ACTIVE)]
    assert http.post("/api/v1/campaign-sets/424242/pause").status_code == 404


def test_pause_of_a_set_without_a_connected_account_is_409(client: httpx.Client, set_id: int):
    response = client.post(f"/api/v1/campaign-sets/{set_id}/pause")
    assert response.status_code == 409
    assert "not connected" in response.json()["error"]["message"]


def test_audit_rows_of_the_set(client: httpx.Client, api_db: Database, set_id: int):
    log = SyncLogRepository(api_db)
    for n, run in enumerate(["run-a", "run-a", "run-b"]):
        log.write_audit(
            AuditEntry(
                run_id=run,
                campaign_set_id=set_id,
                ad_account_id=None,
                platform="reddit",
                entity_type="campaign",
                entity_key="shoes",
                operation="create",
                method="POST",
                path="/ad_accounts/t2_sandbox01/campaigns",
                http_status=200,
                latency_ms=12 + n,
                attempt=1,
                outcome="ok",
                error=None,
                request_summary=None,
                response_summary=None,
            )
        )
    rows = client.get(f"/api/v1/campaign-sets/{set_id}/audit").json()
    assert [r["runId"] for r in rows] == ["run-a", "run-a", "run-b"]
    assert rows[0]["method"] == "POST" and rows[0]["latencyMs"] == 12
    only_b = client.get(f"/api/v1/campaign-sets/{set_id}/audit", params={"runId": "run-b"})
    assert len(only_b.json()) == 1
    last = client.get(f"/api/v1/campaign-sets/{set_id}/audit", params={"limit": 1}).json()
    assert [r["latencyMs"] for r in last] == [14]
