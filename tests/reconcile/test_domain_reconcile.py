"""The pure three-way comparison: base (pushed) x local (now) x remote (platform)."""

from __future__ import annotations

from typing import Any

from adsync_pipeline.domain.fingerprint import fingerprint_of_fields
from adsync_pipeline.domain.model import EntityType, SyncStatus
from adsync_pipeline.domain.reconcile import (
    DELETED_FIELD,
    LocalEntry,
    Outcome,
    RemoteEntry,
    compare_entity,
    reconcile,
)
from adsync_pipeline.platforms.reddit.snapshot import RedditPoller

BASE = {"name": "Spring", "status": "active", "budget_type": "daily", "budget_amount": "100"}
project = RedditPoller.comparable.__get__(RedditPoller.__new__(RedditPoller))


def entry(changes: dict[str, Any] | None = None, **overrides: Any) -> LocalEntry:
    values: dict[str, Any] = {
        "entity_type": EntityType.CAMPAIGN,
        "entity_id": 1,
        "campaign_set_id": 1,
        "key": "spring",
        "platform_id": "100",
        "sync_status": SyncStatus.SYNCED,
        "base": BASE,
        "local": {**BASE, **(changes or {})},
    }
    values.update(overrides)
    return LocalEntry(**values)


def remote(**changes: Any) -> RemoteEntry:
    return RemoteEntry({**BASE, "objective": "awareness", **changes})


def test_nothing_changed() -> None:
    assert compare_entity(entry(), remote(), project).outcome is Outcome.UNCHANGED


def test_only_local_changed_pulls_nothing() -> None:
    result = compare_entity(entry({"name": "Summer"}), remote(), project)
    assert result.outcome is Outcome.LOCAL_ONLY
    assert result.pulls == {} and result.new_base is None


def test_only_remote_changed_is_pulled_and_becomes_the_base() -> None:
    result = compare_entity(entry(), remote(status="paused"), project)
    assert result.outcome is Outcome.PULLED
    assert result.pulls == {"status": "paused"}
    assert result.new_base == {**BASE, "status": "paused"}
    assert result.sync_status is SyncStatus.SYNCED
    assert result.new_fingerprint == fingerprint_of_fields({**BASE, "status": "paused"})


def test_different_fields_merge() -> None:
    result = compare_entity(entry({"name": "Summer"}), remote(budget_amount="150"), project)
    assert result.outcome is Outcome.MERGED
    assert result.pulls == {"budget_amount": "150"}
    assert result.new_base == {**BASE, "budget_amount": "150"}
    # Local still differs from the new base (the name): pending, so the next push sends it.
    assert result.sync_status is SyncStatus.PENDING
    assert result.new_fingerprint != fingerprint_of_fields({**BASE, "name": "Summer"})


def test_same_field_different_values_conflict() -> None:
    result = compare_entity(entry({"name": "Local"}), remote(name="Remote"), project)
    assert result.outcome is Outcome.CONFLICT
    (conflict,) = result.conflicts
    assert (conflict.field, conflict.base, conflict.local, conflict.remote) == (
        "name",
        "Spring",
        "Local",
        "Remote",
    )
    assert result.sync_status is SyncStatus.CONFLICT


def test_conflict_still_pulls_the_other_fields() -> None:
    result = compare_entity(
        entry({"name": "Local"}), remote(name="Remote", status="paused"), project
    )
    assert result.outcome is Outcome.CONFLICT
    assert result.pulls == {"status": "paused"}
    assert result.new_base == {**BASE, "status": "paused"}


def test_same_change_on_both_sides_converges() -> None:
    result = compare_entity(entry({"name": "Same"}), remote(name="Same"), project)
    assert result.outcome is Outcome.PULLED
    assert result.pulls == {}
    assert result.new_fingerprint == fingerprint_of_fields({**BASE, "name": "Same"})


def test_platform_spelling_is_not_an_edit() -> None:
    # A draft campaign is pushed PAUSED; reading PAUSED back is not a platform edit.
    draft = {**BASE, "status": "draft"}
    result = compare_entity(entry(base=draft, local=draft), remote(status="paused"), project)
    assert result.outcome is Outcome.UNCHANGED


def test_fields_the_platform_cannot_change_are_not_compared() -> None:
    result = compare_entity(entry(), remote(objective="conversions"), project)
    assert result.outcome is Outcome.UNCHANGED


def test_missing_or_deleted_on_platform_is_a_deletion_conflict() -> None:
    for gone in (None, RemoteEntry(BASE, deleted=True)):
        result = compare_entity(entry(), gone, project)
        assert result.outcome is Outcome.DELETED
        assert [c.field for c in result.conflicts] == [DELETED_FIELD]
        assert result.sync_status is SyncStatus.CONFLICT


def test_entities_in_conflict_or_without_base_are_skipped() -> None:
    assert compare_entity(entry(sync_status=SyncStatus.CONFLICT), None).outcome is Outcome.SKIPPED
    assert compare_entity(entry(base=None), remote()).outcome is Outcome.SKIPPED


def test_unordered_targeting_lists() -> None:
    base = {
        "name": "g",
        "status": "active",
        "bid_strategy": "automatic",
        "bid_amount": None,
        "subreddits": ["a", "b"],
        "interests": [],
        "locations": ["US"],
        "devices": [],
    }
    group = entry(entity_type=EntityType.AD_GROUP, base=base, local=base)
    same = RemoteEntry({**base, "subreddits": ["b", "a"]})
    assert compare_entity(group, same, project).outcome is Outcome.UNCHANGED


def test_reconcile_matches_by_type_and_platform_id() -> None:
    entries = [entry(), entry(entity_id=2, platform_id="200")]
    results = reconcile(entries, {(EntityType.CAMPAIGN, "100"): remote()}, project)
    assert [r.outcome for r in results] == [Outcome.UNCHANGED, Outcome.DELETED]
