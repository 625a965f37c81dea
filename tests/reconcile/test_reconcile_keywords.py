"""Keywords reconciled over real HTTP: Reddit keeps an ad group's keywords as plain texts in
`targeting.keywords`; edits made there flow through the same three-way rules."""

from __future__ import annotations

from collections.abc import Callable

from adsync_pipeline.domain.model import AdGroup, EntityType, Keyword, MatchType, SyncStatus
from adsync_pipeline.domain.reconcile import KeywordSides, Outcome, compare_keywords
from adsync_pipeline.sandbox.reddit_state import AD_ACCOUNT_ID
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.conflicts import ConflictRepository
from adsync_pipeline.store.sync_log import SyncLogRepository
from adsync_pipeline.sync.conflicts import resolve_conflict
from adsync_pipeline.sync.reconcile import reconcile_account
from adsync_pipeline.sync.runner import run_push
from tests.reconcile.conftest import Pushed

Make = Callable[..., Pushed]


def group_of(setup: Pushed) -> AdGroup:
    return setup.load().campaigns[0].ad_groups[0]


def live_texts(group: AdGroup) -> list[str]:
    return sorted(k.text for k in group.keywords if not k.sync.removed)


def platform_keywords(setup: Pushed, group: AdGroup) -> list[str]:
    assert group.sync.platform_id is not None
    targeting = setup.platform("ad_groups", group.sync.platform_id)["targeting"]
    return sorted(targeting.get("keywords") or [])


def set_platform_keywords(setup: Pushed, group: AdGroup, keywords: list[str]) -> None:
    """Ads Manager: the ad group's keyword list edited, the rest of its targeting kept."""
    assert group.sync.platform_id is not None
    targeting = dict(setup.platform("ad_groups", group.sync.platform_id)["targeting"])
    setup.edit("ad_groups", group.sync.platform_id, targeting={**targeting, "keywords": keywords})


def push_writes(setup: Pushed) -> int:
    result = run_push(setup.db, setup.set_id)
    assert not result.failed, result.errors
    return result.synced


def test_reconcile_right_after_a_push_pulls_no_keywords(pushed: Make) -> None:
    setup = pushed(ad_groups=2, keywords=3)
    result = reconcile_account(setup.db, AD_ACCOUNT_ID)
    assert (result.pulled, result.merged, result.conflicts, result.local_only) == (0, 0, 0, 0)
    assert live_texts(group_of(setup)) == ["kw 0", "kw 1", "kw 2"]


def test_keyword_added_on_platform_is_added_locally(pushed: Make) -> None:
    setup = pushed(keywords=2)
    group = group_of(setup)
    set_platform_keywords(setup, group, ["kw 0", "kw 1", "Trail Shoes"])

    result = reconcile_account(setup.db, AD_ACCOUNT_ID)

    assert (result.pulled, result.conflicts) == (1, 0)
    after = group_of(setup)
    assert live_texts(after) == ["Trail Shoes", "kw 0", "kw 1"]
    (added,) = [k for k in after.keywords if k.text == "Trail Shoes"]
    assert (added.key, added.match_type) == ("trail shoes", MatchType.BROAD)
    assert added.sync.sync_status is SyncStatus.SYNCED
    assert after.sync.sync_status is SyncStatus.SYNCED
    pulls = [
        row
        for row in SyncLogRepository(setup.db).audit_rows(run_id=result.run_id)
        if row["operation"] == "pull"
    ]
    assert len(pulls) == 1
    # The platform already holds it: the next push writes nothing, the next reconcile pulls
    # nothing.
    assert push_writes(setup) == 0
    again = reconcile_account(setup.db, AD_ACCOUNT_ID)
    assert (again.pulled, again.merged, again.conflicts, again.local_only) == (0, 0, 0, 0)


def test_keyword_removed_on_platform_is_removed_locally(pushed: Make) -> None:
    setup = pushed(keywords=3)
    group = group_of(setup)
    set_platform_keywords(setup, group, ["kw 0", "kw 2"])

    result = reconcile_account(setup.db, AD_ACCOUNT_ID)

    assert (result.pulled, result.conflicts) == (1, 0)
    after = group_of(setup)
    assert live_texts(after) == ["kw 0", "kw 2"]
    (gone,) = [k for k in after.keywords if k.text == "kw 1"]
    assert gone.sync.removed and gone.sync.sync_status is SyncStatus.SYNCED
    assert push_writes(setup) == 0
    assert platform_keywords(setup, after) == ["kw 0", "kw 2"]
    assert reconcile_account(setup.db, AD_ACCOUNT_ID).pulled == 0


def test_removed_on_platform_then_added_back_reuses_the_row(pushed: Make) -> None:
    setup = pushed(keywords=2)
    group = group_of(setup)
    set_platform_keywords(setup, group, ["kw 0"])
    reconcile_account(setup.db, AD_ACCOUNT_ID)
    set_platform_keywords(setup, group, ["kw 0", "kw 1"])

    assert reconcile_account(setup.db, AD_ACCOUNT_ID).pulled == 1

    after = group_of(setup)
    assert [(k.text, k.sync.removed) for k in after.keywords] == [("kw 0", False), ("kw 1", False)]
    assert push_writes(setup) == 0


def add_keyword_locally(setup: Pushed, text: str) -> None:
    doc = setup.load()
    doc.campaigns[0].ad_groups[0].keywords.append(Keyword(key=text, text=text))
    CampaignSetRepository(setup.db).import_set(doc)


def test_keywords_changed_on_both_sides_merge_as_a_set(pushed: Make) -> None:
    setup = pushed(keywords=3)
    group = group_of(setup)
    set_platform_keywords(setup, group, ["kw 0", "kw 1", "from reddit"])  # kw 2 dropped
    add_keyword_locally(setup, "from adsync")

    result = reconcile_account(setup.db, AD_ACCOUNT_ID)

    assert (result.merged, result.conflicts) == (1, 0)
    assert live_texts(group_of(setup)) == ["from adsync", "from reddit", "kw 0", "kw 1"]
    assert result.push_requests
    setup.push()
    assert platform_keywords(setup, group) == ["from adsync", "from reddit", "kw 0", "kw 1"]
    after = reconcile_account(setup.db, AD_ACCOUNT_ID)
    assert (after.pulled, after.merged, after.conflicts, after.local_only) == (0, 0, 0, 0)


def open_keyword_conflict(setup: Pushed) -> int:
    group = group_of(setup)
    set_platform_keywords(setup, group, ["kw 1"])  # kw 0 removed on Reddit...
    kw0 = next(k for k in group.keywords if k.text == "kw 0")
    assert kw0.id is not None
    # ...while adsync spells it anew (a different text, the same keyword).
    CampaignSetRepository(setup.db).update_entity_fields(
        EntityType.KEYWORD, kw0.id, {"text": "KW 0"}
    )
    result = reconcile_account(setup.db, AD_ACCOUNT_ID)
    assert result.conflicts == 1
    (conflict,) = ConflictRepository(setup.db).list()
    assert (conflict.entity_type, conflict.field) == ("ad_group", "keywords")
    assert (conflict.base, conflict.local, conflict.remote) == (
        ["kw 0", "kw 1"],
        ["KW 0", "kw 1"],
        ["kw 1"],
    )
    assert group_of(setup).sync.sync_status is SyncStatus.CONFLICT
    # No push overwrites the platform's list while the conflict is open.
    setup.push()
    assert platform_keywords(setup, group) == ["kw 1"]
    return conflict.id


def test_keyword_added_on_one_side_and_removed_on_the_other_resolved_with_platform(
    pushed: Make,
) -> None:
    setup = pushed(keywords=2)
    conflict_id = open_keyword_conflict(setup)

    resolution = resolve_conflict(setup.db, conflict_id, "platform", "tester")

    assert resolution.sync_status is SyncStatus.SYNCED
    after = group_of(setup)
    assert live_texts(after) == ["kw 1"]
    assert all(k.sync.sync_status is SyncStatus.SYNCED for k in after.keywords)
    assert push_writes(setup) == 0
    again = reconcile_account(setup.db, AD_ACCOUNT_ID)
    assert (again.pulled, again.merged, again.conflicts, again.local_only) == (0, 0, 0, 0)


def test_keyword_conflict_resolved_with_local_pushes_the_local_list(pushed: Make) -> None:
    setup = pushed(keywords=2)
    conflict_id = open_keyword_conflict(setup)

    resolution = resolve_conflict(setup.db, conflict_id, "local", "tester")

    assert resolution.sync_status is SyncStatus.SYNCED
    group = group_of(setup)
    assert platform_keywords(setup, group) == ["KW 0", "kw 1"]
    assert all(k.sync.sync_status is SyncStatus.SYNCED for k in group.keywords)
    again = reconcile_account(setup.db, AD_ACCOUNT_ID)
    assert (again.pulled, again.merged, again.conflicts, again.local_only) == (0, 0, 0, 0)


def test_keyword_added_locally_while_a_keyword_conflict_is_open_waits_for_it(
    pushed: Make,
) -> None:
    setup = pushed(keywords=2)
    conflict_id = open_keyword_conflict(setup)
    add_keyword_locally(setup, "added meanwhile")

    held = run_push(setup.db, setup.set_id)

    group = group_of(setup)
    assert platform_keywords(setup, group) == ["kw 1"]  # the platform's side is kept
    added = next(k for k in group.keywords if k.text == "added meanwhile")
    assert added.sync.sync_status is SyncStatus.PENDING
    assert any("conflict" in (o.message or "") for o in held.outcomes if o.status == "skipped")
    resolve_conflict(setup.db, conflict_id, "local", "tester")
    assert platform_keywords(setup, group) == ["KW 0", "added meanwhile", "kw 1"]


def test_platform_side_chosen_keeps_a_keyword_added_locally_since(pushed: Make) -> None:
    setup = pushed(keywords=2)
    conflict_id = open_keyword_conflict(setup)
    add_keyword_locally(setup, "added meanwhile")

    resolve_conflict(setup.db, conflict_id, "platform", "tester")

    group = group_of(setup)
    # The person chose Reddit's list over the conflicting edit, not over a later addition.
    assert live_texts(group) == ["added meanwhile", "kw 1"]
    assert platform_keywords(setup, group) == ["added meanwhile", "kw 1"]
    assert all(k.sync.sync_status is SyncStatus.SYNCED for k in group.keywords)
    again = reconcile_account(setup.db, AD_ACCOUNT_ID)
    assert (again.pulled, again.merged, again.conflicts, again.local_only) == (0, 0, 0, 0)


def test_platform_side_chosen_keeps_a_keyword_removed_locally_since(pushed: Make) -> None:
    setup = pushed(keywords=2)
    conflict_id = open_keyword_conflict(setup)
    doc = setup.load()
    doc.campaigns[0].ad_groups[0].keywords = [
        k for k in doc.campaigns[0].ad_groups[0].keywords if k.text != "kw 1"
    ]
    CampaignSetRepository(setup.db).import_set(doc)

    resolve_conflict(setup.db, conflict_id, "platform", "tester")

    group = group_of(setup)
    assert live_texts(group) == []
    assert platform_keywords(setup, group) == []
    again = reconcile_account(setup.db, AD_ACCOUNT_ID)
    assert (again.pulled, again.merged, again.conflicts, again.local_only) == (0, 0, 0, 0)


# --- the pure comparison ---------------------------------------------------------------------


def sides(base: set[str], local: set[str]) -> KeywordSides:
    return KeywordSides(frozenset(base), frozenset(local))


def test_compare_keywords_rules() -> None:
    ab = {"a", "b"}
    assert compare_keywords(sides(ab, ab), frozenset(ab))[0] is Outcome.UNCHANGED
    assert compare_keywords(sides(ab, {"a"}), frozenset(ab))[0] is Outcome.LOCAL_ONLY
    outcome, pull, conflict = compare_keywords(sides(ab, ab), frozenset({"a", "c"}))
    assert (outcome, pull.add, pull.remove, conflict) == (Outcome.PULLED, ("c",), ("b",), None)
    # Both changed: each side's additions and removals kept.
    outcome, pull, conflict = compare_keywords(sides(ab, {"a", "b", "d"}), frozenset({"a", "c"}))
    assert (outcome, pull.add, pull.remove, conflict) == (Outcome.MERGED, ("c",), ("b",), None)
    # Added on one side, removed on the other (the same keyword in another spelling).
    outcome, pull, conflict = compare_keywords(sides(ab, {"A", "b"}), frozenset({"b"}))
    assert outcome is Outcome.CONFLICT and not pull
    assert conflict is not None and conflict.field == "keywords"
