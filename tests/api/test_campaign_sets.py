"""Campaign-set CRUD: the importer's rules and messages, over HTTP."""

from __future__ import annotations

import json

import httpx

from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.sync_requests import SyncRequestRepository


def create(client: httpx.Client, text: str) -> int:
    response = client.post(
        "/api/v1/campaign-sets", content=text, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/api/v1/campaign-sets/{response.json()['id']}"
    return response.json()["id"]


def test_create_list_get(client: httpx.Client, example_text: str):
    set_id = create(client, example_text)
    listed = client.get("/api/v1/campaign-sets").json()
    assert [s["id"] for s in listed] == [set_id]
    assert listed[0]["counts"] == {"campaigns": 2, "adGroups": 2, "ads": 2, "keywords": 2}
    detail = client.get(f"/api/v1/campaign-sets/{set_id}").json()
    assert detail["name"] == "Summer Sale 2026"
    shoes = detail["campaigns"][0]
    assert shoes["key"] == "shoes"
    # Money is a decimal string: exact, as the store keeps it.
    assert shoes["budget"] == {"type": "daily", "amount": "50", "currency": "USD"}
    assert shoes["sync"] == {
        "platformId": None,
        "syncStatus": "pending",
        "lastSyncedAt": None,
        "lastError": None,
        "attempts": 0,
        "nextAttemptAt": None,
        "removed": False,
    }
    group = shoes["adGroups"][0]
    assert [k["text"] for k in group["keywords"]] == ["running shoes", "marathon training"]
    assert group["ads"][0]["finalUrl"].startswith("https://shop.example.com/running")


def test_creating_an_existing_set_is_409(client: httpx.Client, example_text: str):
    set_id = create(client, example_text)
    again = client.post(
        "/api/v1/campaign-sets", content=example_text, headers={"Content-Type": "application/json"}
    )
    assert again.status_code == 409
    assert f"PUT /api/v1/campaign-sets/{set_id}" in again.json()["error"]["message"]


def test_put_reimports_by_key(client: httpx.Client, example_text: str):
    set_id = create(client, example_text)
    doc = json.loads(example_text)
    doc["campaigns"][0]["name"] = "Summer Sale - Shoes (renamed)"
    del doc["campaigns"][1]
    response = client.put(f"/api/v1/campaign-sets/{set_id}", json=doc)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["revision"], body["updated"]) == (False, 2, 1)
    assert body["removed"] == 3  # the bags campaign, its ad group and its ad
    detail = client.get(f"/api/v1/campaign-sets/{set_id}").json()
    assert detail["campaigns"][1]["sync"]["removed"] is True


def test_put_of_another_sets_document_is_422_with_paths(client: httpx.Client, example_text: str):
    set_id = create(client, example_text)
    doc = json.loads(example_text)
    doc["name"] = "Winter Sale 2026"
    doc["ad_account_id"] = "t2_other"
    response = client.put(f"/api/v1/campaign-sets/{set_id}", json=doc)
    assert response.status_code == 422
    paths = [p["path"] for p in response.json()["error"]["problems"]]
    assert paths == ["name", "ad_account_id"]


def test_validation_problems_are_422_with_field_paths(client: httpx.Client, example_text: str):
    doc = json.loads(example_text)
    doc["campaigns"][1]["budget"]["amount"] = "lots"
    del doc["campaigns"][0]["ad_groups"][0]["ads"][0]["headline"]
    response = client.post("/api/v1/campaign-sets", json=doc)
    assert response.status_code == 422
    problems = {p["path"]: p["message"] for p in response.json()["error"]["problems"]}
    assert "campaigns[1].budget.amount" in problems
    assert "campaigns[0].ad_groups[0].ads[0].headline" in problems
    assert client.get("/api/v1/campaign-sets").json() == []


def test_bad_input_never_500(client: httpx.Client):
    cases = [
        ("POST", "/api/v1/campaign-sets", {"content": "{not json", "json_type": True}, 422),
        ("POST", "/api/v1/campaign-sets", {"content": "[]", "json_type": True}, 422),
        ("POST", "/api/v1/campaign-sets", {"content": b"\xff\xfe", "json_type": True}, 422),
        ("POST", "/api/v1/campaign-sets", {"content": "a=b", "json_type": False}, 415),
        ("GET", "/api/v1/campaign-sets/99999999999999999999999", {}, 422),
        ("GET", "/api/v1/campaign-sets/abc", {}, 422),
        ("GET", "/api/v1/campaign-sets/0", {}, 422),
        ("GET", "/api/v1/campaign-sets/424242", {}, 404),
        ("GET", "/api/v1/jobs/424242", {}, 404),
        ("GET", "/api/v1/jobs/1e3", {}, 422),
        ("POST", "/api/v1/campaign-sets/424242/sync", {}, 404),
        ("DELETE", "/api/v1/campaign-sets/424242", {}, 404),
        ("GET", "/api/v1/campaign-sets/424242/sync-status", {}, 404),
        ("GET", "/api/v1/campaign-sets/424242/sync-stream", {}, 404),
        ("GET", "/api/v1/campaign-sets/424242/audit", {}, 404),
        ("GET", "/api/v1/campaign-sets/1/audit?limit=0", {}, 422),
        ("POST", "/api/v1/conflicts/424242/resolve", {"content": '{"use": "local"}'}, 404),
        ("POST", "/api/v1/conflicts/1/resolve", {"content": '{"use": "mine"}'}, 422),
        ("POST", "/api/v1/conflicts/1/resolve", {"content": "{"}, 422),
        ("PATCH", "/api/v1/campaign-sets", {}, 405),
    ]
    for method, path, options, expected in cases:
        headers = {"Content-Type": "application/json"}
        if options.get("json_type") is False:
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
        response = client.request(method, path, content=options.get("content"), headers=headers)
        assert response.status_code == expected, (method, path, response.text)
        assert response.json()["error"]["message"], (method, path)


def test_delete_archives_marks_everything_removed_and_queues_a_sync(
    client: httpx.Client, api_db: Database, example_text: str
):
    set_id = create(client, example_text)
    response = client.delete(f"/api/v1/campaign-sets/{set_id}")
    assert response.status_code == 202
    job_id = int(response.json()["jobId"])
    stored = CampaignSetRepository(api_db).load(set_id)
    assert stored.status.value == "archived"
    assert all(c.sync.removed for c in stored.campaigns)
    request = SyncRequestRepository(api_db).get(job_id)
    assert (request.campaign_set_id, request.status) == (set_id, "queued")
    assert request.requested_by == "api key tests"
    # Archived sets can't be re-imported, paused, resumed or synced: the removal push is
    # their last (failed entities of it are retried by the retry schedule).
    assert client.put(f"/api/v1/campaign-sets/{set_id}", content=example_text).status_code == 409
    assert client.post(f"/api/v1/campaign-sets/{set_id}/pause").status_code == 409
    assert client.post(f"/api/v1/campaign-sets/{set_id}/sync").status_code == 409
