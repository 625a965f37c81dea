from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from adsync_pipeline.domain.fingerprint import pushable_fields
from adsync_pipeline.domain.model import (
    Ad,
    AdGroup,
    EntityStatus,
    EntityType,
    Keyword,
    SyncStatus,
)
from adsync_pipeline.domain.plan import (
    DELETED_FINGERPRINT,
    OpKind,
    Plan,
    make_plan,
    make_status_plan,
)
from adsync_pipeline.domain.reconcile import PUSHED
from tests.builders import all_entities, mark_synced, summer_sale

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SHOES = ("shoes",)
RUNNERS = ("shoes", "runners-us")
HALF_OFF = ("shoes", "runners-us", "half-off")


def op_at(plan: Plan, key_path: tuple[str, ...]):
    (found,) = [op for op in plan.ops if op.key_path == key_path]
    return found


def kinds(plan: Plan) -> dict[tuple[str, ...], OpKind]:
    return {op.key_path: op.op for op in plan.ops}


def test_new_set_creates_everything_parents_first() -> None:
    plan = make_plan(summer_sale(), NOW)

    assert {op.op for op in plan.ops} == {OpKind.CREATE}
    assert len(plan.writes) == len(plan.ops) == 8  # 2 campaigns, 2 groups, 2 ads, 2 keywords
    levels = [[op.entity_type for op in level] for level in plan.levels()]
    assert set(levels[0]) == {EntityType.CAMPAIGN}
    assert set(levels[1]) == {EntityType.AD_GROUP}
    assert set(levels[2]) == {EntityType.AD, EntityType.KEYWORD}
    assert [op for level in plan.levels() for op in level] == list(plan.ops)
    assert op_at(plan, HALF_OFF).parent_key_path == RUNNERS
    assert op_at(plan, RUNNERS).parent_key_path == SHOES
    assert op_at(plan, SHOES).parent_key_path is None


def test_unchanged_set_makes_no_writes() -> None:
    plan = make_plan(mark_synced(summer_sale()), NOW)

    assert plan.writes == []
    assert {op.op for op in plan.ops} == {OpKind.NOOP}


def test_rename_is_exactly_one_update() -> None:
    campaign_set = mark_synced(summer_sale())
    campaign_set.campaigns[0].name = "Summer Sale - Sneakers"

    plan = make_plan(campaign_set, NOW)

    assert [(op.op, op.key_path) for op in plan.writes] == [(OpKind.UPDATE, SHOES)]
    assert plan.writes[0].platform_id == campaign_set.campaigns[0].sync.platform_id
    assert plan.counts()[EntityType.CAMPAIGN][OpKind.UPDATE] == 1


def test_status_change_alone_is_an_update() -> None:
    campaign_set = mark_synced(summer_sale())
    campaign_set.campaigns[0].status = EntityStatus.PAUSED

    assert [op.op for op in make_plan(campaign_set, NOW).writes] == [OpKind.UPDATE]


def test_new_child_under_synced_parent_is_one_create() -> None:
    campaign_set = mark_synced(summer_sale())
    group = campaign_set.campaigns[0].ad_groups[0]
    group.ads.append(
        Ad(key="new-ad", name="New ad", headline="New", final_url="https://shop.example.com")
    )

    plan = make_plan(campaign_set, NOW)

    (write,) = plan.writes
    assert (write.op, write.key_path) == (OpKind.CREATE, (*RUNNERS, "new-ad"))
    assert write.parent_key_path == RUNNERS
    assert write.platform_id is None


def test_removed_entity_with_platform_id_is_deleted_once() -> None:
    campaign_set = mark_synced(summer_sale())
    ad = campaign_set.campaigns[0].ad_groups[0].ads[0]
    ad.sync.removed = True

    delete = op_at(make_plan(campaign_set, NOW), HALF_OFF)
    assert delete.op is OpKind.DELETE
    assert delete.fingerprint == DELETED_FINGERPRINT

    # The applier stores the op's fingerprint after the delete succeeds.
    ad.sync.last_pushed_fingerprint = delete.fingerprint
    assert make_plan(campaign_set, NOW).writes == []


def test_removed_entity_never_pushed_is_noop() -> None:
    campaign_set = summer_sale()
    campaign_set.campaigns[1].sync.removed = True

    plan = make_plan(campaign_set, NOW)

    bags = [op for op in plan.ops if op.key_path[0] == "bags"]
    assert bags and all(op.op is OpKind.NOOP for op in bags)


def test_removed_campaign_deletes_each_child_but_not_keywords() -> None:
    # Reddit does not cascade a campaign's DELETED status to its children.
    campaign_set = mark_synced(summer_sale())
    campaign_set.campaigns[0].sync.removed = True

    plan = make_plan(campaign_set, NOW)

    shoes = {op.key_path: op.op for op in plan.ops if op.key_path[0] == "shoes"}
    assert shoes[SHOES] is OpKind.DELETE
    assert shoes[RUNNERS] is OpKind.DELETE
    assert shoes[HALF_OFF] is OpKind.DELETE
    keyword_ops = [op for op in plan.ops if op.entity_type is EntityType.KEYWORD]
    assert keyword_ops and {op.op for op in keyword_ops if op.key_path[0] == "shoes"} == {
        OpKind.NOOP
    }
    assert all(op.key_path[0] == "shoes" for op in plan.writes)


def test_removed_keyword_under_live_ad_group_is_a_keyword_delete() -> None:
    campaign_set = mark_synced(summer_sale())
    campaign_set.campaigns[0].ad_groups[0].keywords[0].sync.removed = True

    (write,) = make_plan(campaign_set, NOW).writes

    assert (write.op, write.entity_type) == (OpKind.DELETE, EntityType.KEYWORD)
    assert write.parent_key_path == RUNNERS


def test_open_conflict_is_skipped() -> None:
    campaign_set = mark_synced(summer_sale())
    campaign = campaign_set.campaigns[0]
    campaign.name = "Edited"
    campaign.sync.sync_status = SyncStatus.CONFLICT

    op = op_at(make_plan(campaign_set, NOW), SHOES)

    assert (op.op, op.reason) == (OpKind.SKIP, "open conflict")


def _failed(entity: Ad | AdGroup | Keyword, attempts: int, next_at: datetime | None) -> None:
    entity.sync.sync_status = SyncStatus.FAILED
    entity.sync.attempts = attempts
    entity.sync.next_attempt_at = next_at


def test_given_up_entity_is_skipped_unless_included() -> None:
    campaign_set = summer_sale()
    _failed(campaign_set.campaigns[0].ad_groups[0].ads[0], 3, NOW - timedelta(hours=1))

    op = op_at(make_plan(campaign_set, NOW), HALF_OFF)
    assert (op.op, op.reason) == (OpKind.SKIP, "gave up after 3 attempts; run adsync retry")

    retried = op_at(make_plan(campaign_set, NOW, include_given_up=True), HALF_OFF)
    assert retried.op is OpKind.CREATE


def test_retry_not_due_is_skipped_unless_forced() -> None:
    campaign_set = summer_sale()
    due = NOW + timedelta(minutes=2)
    _failed(campaign_set.campaigns[0].ad_groups[0].ads[0], 1, due)

    op = op_at(make_plan(campaign_set, NOW), HALF_OFF)
    assert op.op is OpKind.SKIP
    assert op.reason == f"retry not due until {due.isoformat()}"

    assert op_at(make_plan(campaign_set, NOW, force=True), HALF_OFF).op is OpKind.CREATE
    assert op_at(make_plan(campaign_set, due), HALF_OFF).op is OpKind.CREATE


def test_naive_retry_time_is_read_as_utc() -> None:
    campaign_set = summer_sale()
    _failed(campaign_set.campaigns[0], 1, (NOW + timedelta(minutes=1)).replace(tzinfo=None))

    assert op_at(make_plan(campaign_set, NOW), SHOES).op is OpKind.SKIP


def test_children_of_a_skipped_uncreated_parent_are_blocked() -> None:
    campaign_set = summer_sale()
    _failed(campaign_set.campaigns[0], 3, None)

    plan = make_plan(campaign_set, NOW)

    below = [op for op in plan.ops if op.key_path[0] == "shoes" and op.key_path != SHOES]
    assert below and all((op.op, op.reason) == (OpKind.SKIP, "blocked by parent") for op in below)


def test_children_of_a_skipped_synced_parent_still_go() -> None:
    campaign_set = mark_synced(summer_sale())
    campaign_set.campaigns[0].sync.sync_status = SyncStatus.CONFLICT
    campaign_set.campaigns[0].ad_groups[0].name = "Runners - USA"

    assert kinds(make_plan(campaign_set, NOW))[RUNNERS] is OpKind.UPDATE


def test_pause_set_pauses_every_campaign_on_the_platform() -> None:
    campaign_set = mark_synced(summer_sale())

    plan = make_status_plan(campaign_set, EntityStatus.PAUSED)

    # "bags" is paused locally and was pushed paused: nothing to do.
    assert kinds(plan) == {SHOES: OpKind.PAUSE, ("bags",): OpKind.NOOP}
    assert all(op.entity_type is EntityType.CAMPAIGN for op in plan.ops)


def test_resume_set_then_plan_is_quiet_once_stored() -> None:
    campaign_set = mark_synced(summer_sale())

    plan = make_status_plan(campaign_set, EntityStatus.ACTIVE)
    assert kinds(plan) == {SHOES: OpKind.NOOP, ("bags",): OpKind.RESUME}

    # What the applier does on success: local status follows, fingerprint is stored.
    bags = campaign_set.campaigns[1]
    bags.status = EntityStatus.ACTIVE
    bags.sync.last_pushed_fingerprint = op_at(plan, ("bags",)).fingerprint
    assert make_plan(campaign_set, NOW).writes == []


def test_status_plan_skips_campaigns_not_yet_pushed() -> None:
    plan = make_status_plan(summer_sale(), EntityStatus.PAUSED)

    assert {op.op for op in plan.ops} == {OpKind.SKIP}


def test_status_plan_refuses_other_targets() -> None:
    with pytest.raises(ValueError):
        make_status_plan(summer_sale(), EntityStatus.DRAFT)


def with_bases(campaign_set):
    """As if every entity had been pushed with the engine storing its base."""
    for entity in all_entities(mark_synced(campaign_set)):
        entity.sync.platform_data = {PUSHED: pushable_fields(entity)}
    return campaign_set


def test_an_update_names_the_fields_changed_since_the_last_push() -> None:
    campaign_set = with_bases(summer_sale())
    shoes = campaign_set.campaigns[0]
    shoes.name = "Renamed"
    shoes.budget = replace(shoes.budget, amount=Decimal("75"))
    runners = shoes.ad_groups[0]
    runners.targeting = replace(runners.targeting, subreddits=["running"])

    plan = make_plan(campaign_set, NOW)

    assert op_at(plan, SHOES).changed_fields == ("name", "budget.amount")
    assert op_at(plan, SHOES).reason == "name, budget.amount changed since the last push"
    assert op_at(plan, RUNNERS).reason == "targeting.subreddits changed since the last push"
    assert op_at(plan, HALF_OFF).changed_fields == ()


def test_an_update_without_a_stored_base_says_so() -> None:
    campaign_set = mark_synced(summer_sale())
    campaign_set.campaigns[0].name = "Renamed"

    (update,) = make_plan(campaign_set, NOW).writes

    assert update.changed_fields == ()
    assert update.reason == "changed since the last push (no base stored to name the fields)"


def test_every_entity_gets_exactly_one_op() -> None:
    campaign_set = summer_sale()

    plan = make_plan(campaign_set, NOW)

    assert sorted(op.entity_id for op in plan.ops) == sorted(
        e.id for e in all_entities(campaign_set)
    )
