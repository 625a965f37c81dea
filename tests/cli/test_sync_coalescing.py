"""`adsync sync` queues through the same store function as the API, so it coalesces too."""

from __future__ import annotations

import json

from tests.cli.conftest import EXAMPLE


def test_sync_while_a_request_waits_names_that_request(adsync, env_db: str):
    imported = adsync("import", str(EXAMPLE), "--json")
    set_id = json.loads(imported.out)["campaign_set_id"]
    first = json.loads(adsync("sync", str(set_id), "--json").out)
    assert first["coalesced"] is False

    again = adsync("sync", str(set_id))
    assert again.code == 0
    assert f"already queued as request {first['request_id']}" in again.out
    as_json = json.loads(adsync("sync", str(set_id), "--json").out)
    assert (as_json["request_id"], as_json["coalesced"]) == (first["request_id"], True)
