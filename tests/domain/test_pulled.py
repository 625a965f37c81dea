"""Marks of values pulled from the platform, and the reverts a re-import would make (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from adsync_pipeline.domain.model import CampaignSet, EntityStatus
from adsync_pipeline.domain.pulled import PULLED, find_reverts, marked, settled_by_push
from adsync_pipeline.domain.reconcile import identity
from adsync_pipeline.platforms.reddit.snapshot import comparable
from tests.builders import summer_sale

AT = datetime(2026, 12, 2, 0, 40, tzinfo=UTC)


def pulled_set(**values: object) -> CampaignSet:
    """The example set whose first campaign took `values` from the platform."""
    stored = summer_sale()
    campaign = stored.campaigns[0]
    for name, value in values.items():
        setattr(campaign, name, value)
    plain = {k: (v.value if isinstance(v, EntityStatus) else v) for k, v in values.items()}
    campaign.sync.platform_data = marked({"pushed": {}}, plain, AT)
    return stored


def test_a_document_setting_a_pulled_value_back_is_a_revert() -> None:
    stored = pulled_set(name="Renamed on Reddit")

    (revert,) = find_reverts(stored, summer_sale(), identity)

    assert (revert.path, revert.pulled, revert.document, revert.pulled_at) == (
        "campaigns[shoes].name",
        "Renamed on Reddit",
        "Summer Sale - Shoes",
        "2026-12-02T00:40:00Z",
    )


def test_a_document_that_agrees_or_drops_the_entity_is_not_a_revert() -> None:
    stored = pulled_set(name="Renamed on Reddit")
    agreeing = summer_sale()
    agreeing.campaigns[0].name = "Renamed on Reddit"
    dropping = summer_sale()
    dropping.campaigns.pop(0)

    assert find_reverts(stored, agreeing, identity) == []
    assert find_reverts(stored, dropping, identity) == []


def test_a_mark_counts_only_while_local_holds_the_pulled_value() -> None:
    stored = pulled_set(name="Renamed on Reddit")
    stored.campaigns[0].name = "Renamed again locally"

    assert find_reverts(stored, summer_sale(), identity) == []


def test_values_the_platform_shows_alike_are_not_reverts() -> None:
    """Reddit shows `draft` as paused: a document saying draft keeps the pulled pause."""
    stored = pulled_set(status=EntityStatus.PAUSED)
    draft = summer_sale()
    draft.campaigns[0].status = EntityStatus.DRAFT

    assert find_reverts(stored, draft, comparable) == []
    assert [r.path for r in find_reverts(stored, summer_sale(), comparable)] == [
        "campaigns[shoes].status"
    ]


def test_a_push_of_another_value_settles_the_mark_and_adapter_data_keeps_the_others() -> None:
    data = marked({}, {"name": "Renamed", "status": "paused"}, AT)

    after = settled_by_push(data, {"budget_fingerprint": "f"}, {"name": "Mine", "status": "paused"})

    assert after["budget_fingerprint"] == "f"
    assert list(after[PULLED]) == ["status"]
