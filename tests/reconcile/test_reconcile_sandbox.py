"""Reconciliation over real HTTP: a set pushed to the Reddit sandbox, then edited there
"as in Reddit Ads Manager" (the sandbox admin endpoints), then reconciled."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from adsync_pipeline.domain.model import EntityStatus, EntityType, SyncStatus
from adsync_pipeline.sandbox.reddit_state import AD_ACCOUNT_ID
from adsync_pipeline.store.alerts import AlertRepository
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.conflicts import ConflictRepository
from adsync_pipeline.store.sync_log import SyncLogRepository
from adsync_pipeline.store.sync_requests import SyncRequestRepository
from adsync_pipeline.sync.conflicts import resolve_conflict
from adsync_pipeline.sync.reconcile import reconcile_account
from tests.reconcile.conftest import Pushed

Make = Callable[..., Pushed]


def test_reconcile_right_after_a_push_finds_nothing(pushed: Make) -> None:
    setup = pushed(campaigns=2, ad_groups=2, ads=2)
    result = reconcile_account(setup.db, AD_ACCOUNT_ID)
    assert result.fetched == 2 + 4 + 8
    assert (result.pulled, result.merged, result.conflicts) == (0, 0, 0)
    assert result.unchanged == 14
    # One page per list endpoint, and no post read: our own posts are known from the push.
    assert result.list_calls == 3 and result.other_calls == 0
    again = reconcile_account(setup.db, AD_ACCOUNT_ID)
    assert again.unchanged == 14 and again.snapshot_changes == 0


def test_paused_on_platform_is_paused_locally(pushed: Make) -> None:
    setup = pushed()
    campaign = setup.load().campaigns[0]
    setup.edit("campaigns", campaign.sync.platform_id, configured_status="PAUSED")

    result = reconcile_account(setup.db, AD_ACCOUNT_ID)

    assert (result.pulled, result.conflicts) == (1, 0)
    after = setup.load().campaigns[0]
    assert after.status is EntityStatus.PAUSED
    assert after.sync.sync_status is SyncStatus.SYNCED
    pulls = [
        row
        for row in SyncLogRepository(setup.db).audit_rows(run_id=result.run_id)
        if row["operation"] == "pull"
    ]
    assert len(pulls) == 1 and pulls[0]["entity_key"] == campaign.key
    # Nothing left to push: the pulled value is the new base.
    setup.push()
    assert reconcile_account(setup.db, AD_ACCOUNT_ID).pulled == 0


def rename_locally(setup: Pushed, entity_type: EntityType, entity_id: int, name: str) -> None:
    CampaignSetRepository(setup.db).update_entity_fields(entity_type, entity_id, {"name": name})


def test_platform_budget_and_local_name_merge(pushed: Make) -> None:
    setup = pushed(ad_groups=2)
    campaign = setup.load().campaigns[0]
    assert campaign.budget.amount == Decimal("50")
    # Ads Manager: each ad group's share raised from 25 to 40, so the campaign budget is 80.
    for group in campaign.ad_groups:
        setup.edit("ad_groups", group.sync.platform_id, goal_value=40_000_000)
    rename_locally(setup, EntityType.CAMPAIGN, campaign.id, "Renamed locally")

    result = reconcile_account(setup.db, AD_ACCOUNT_ID)

    assert (result.merged, result.conflicts) == (1, 0)
    merged = setup.load().campaigns[0]
    assert merged.budget.amount == Decimal("80")
    assert merged.name == "Renamed locally"
    assert merged.sync.sync_status is SyncStatus.PENDING
    # The push that sends the local name is queued (served by the Dagster sensor).
    (request_id,) = result.push_requests
    assert SyncRequestRepository(setup.db).get(request_id).campaign_set_id == setup.set_id
    setup.push()
    assert setup.platform("campaigns", campaign.sync.platform_id)["name"] == "Renamed locally"
    shares = [
        setup.platform("ad_groups", g.sync.platform_id)["goal_value"] for g in campaign.ad_groups
    ]
    assert shares == [40_000_000, 40_000_000]
    assert setup.load().campaigns[0].sync.sync_status is SyncStatus.SYNCED
    after = reconcile_account(setup.db, AD_ACCOUNT_ID)
    assert (after.pulled, after.merged, after.conflicts) == (0, 0, 0)


def open_name_conflict(setup: Pushed) -> int:
    campaign = setup.load().campaigns[0]
    setup.edit("campaigns", campaign.sync.platform_id, name="Renamed on Reddit")
    rename_locally(setup, EntityType.CAMPAIGN, campaign.id, "Renamed locally")
    result = reconcile_account(setup.db, AD_ACCOUNT_ID)
    assert result.conflicts == 1
    (conflict,) = ConflictRepository(setup.db).list()
    assert (conflict.field, conflict.local, conflict.remote) == (
        "name",
        "Renamed locally",
        "Renamed on Reddit",
    )
    assert conflict.base == campaign.name
    assert setup.load().campaigns[0].sync.sync_status is SyncStatus.CONFLICT
    return conflict.id


def test_same_field_on_both_sides_is_one_conflict_that_no_push_overwrites(pushed: Make) -> None:
    setup = pushed()
    open_name_conflict(setup)
    # A second reconcile does not open it again, and a push leaves the platform alone.
    assert reconcile_account(setup.db, AD_ACCOUNT_ID).conflicts == 0
    setup.push()
    campaign = setup.load().campaigns[0]
    assert setup.platform("campaigns", campaign.sync.platform_id)["name"] == "Renamed on Reddit"
    assert len(AlertRepository(setup.db).list(kind="conflict_opened")) == 1


def test_resolve_with_local_pushes_the_local_value(pushed: Make) -> None:
    setup = pushed()
    conflict_id = open_name_conflict(setup)

    resolution = resolve_conflict(setup.db, conflict_id, "local", "tester")

    campaign = setup.load().campaigns[0]
    assert setup.platform("campaigns", campaign.sync.platform_id)["name"] == "Renamed locally"
    assert campaign.sync.sync_status is SyncStatus.SYNCED
    assert resolution.sync_status is SyncStatus.SYNCED
    record = ConflictRepository(setup.db).get(conflict_id)
    assert (record.resolution, record.resolved_by) == ("local", "tester")
    assert record.resolved_at is not None
    assert reconcile_account(setup.db, AD_ACCOUNT_ID).pulled == 0


def test_resolve_with_platform_updates_local(pushed: Make) -> None:
    setup = pushed()
    conflict_id = open_name_conflict(setup)

    resolution = resolve_conflict(setup.db, conflict_id, "platform", "tester")

    campaign = setup.load().campaigns[0]
    assert campaign.name == "Renamed on Reddit"
    assert campaign.sync.sync_status is SyncStatus.SYNCED
    assert resolution.push is None
    assert ConflictRepository(setup.db).list() == []
    assert len(ConflictRepository(setup.db).list(include_resolved=True)) == 1
    after = reconcile_account(setup.db, AD_ACCOUNT_ID)
    assert (after.pulled, after.conflicts, after.local_only) == (0, 0, 0)


def test_deleted_on_platform_is_a_conflict_not_a_recreate(pushed: Make) -> None:
    setup = pushed()
    ad = setup.load().campaigns[0].ad_groups[0].ads[0]
    setup.delete("ads", ad.sync.platform_id)

    result = reconcile_account(setup.db, AD_ACCOUNT_ID)

    assert (result.deleted_on_platform, result.conflicts) == (1, 1)
    (conflict,) = ConflictRepository(setup.db).list()
    assert conflict.field == "deleted"
    ads_before = len(setup.sandbox.state.snapshot()["ads"])
    setup.push()
    assert len(setup.sandbox.state.snapshot()["ads"]) == ads_before
    assert setup.load().campaigns[0].ad_groups[0].ads[0].sync.sync_status is SyncStatus.CONFLICT


def test_deleted_on_platform_resolved_with_platform_removes_locally(pushed: Make) -> None:
    setup = pushed()
    ad = setup.load().campaigns[0].ad_groups[0].ads[0]
    setup.delete("ads", ad.sync.platform_id)
    reconcile_account(setup.db, AD_ACCOUNT_ID)
    (conflict,) = ConflictRepository(setup.db).list()

    resolve_conflict(setup.db, conflict.id, "platform", "tester")

    after = setup.load().campaigns[0].ad_groups[0].ads[0]
    assert after.sync.removed and after.sync.sync_status is SyncStatus.SYNCED
    assert reconcile_account(setup.db, AD_ACCOUNT_ID).conflicts == 0


def test_new_ad_copy_on_platform_reads_only_that_post_and_is_pulled(pushed: Make) -> None:
    setup = pushed(ads=2)
    ad = setup.load().campaigns[0].ad_groups[0].ads[0]
    old_post = setup.platform("posts", ad.sync.platform_data["post_id"])
    # Ads Manager: new copy is a new post, and the ad now promotes it.
    with setup.sandbox.state.writing() as data:
        post_id = setup.sandbox.state.new_post_id()
        data["posts"][post_id] = {**old_post, "id": post_id, "headline": "Copy from Reddit"}
    setup.edit("ads", ad.sync.platform_id, post_id=post_id)

    result = reconcile_account(setup.db, AD_ACCOUNT_ID)

    assert (result.pulled, result.conflicts) == (1, 0)
    assert result.list_calls == 3 and result.other_calls == 1  # that one post, nothing else
    pulled = setup.load().campaigns[0].ad_groups[0].ads[0]
    assert pulled.headline == "Copy from Reddit"
    assert pulled.sync.platform_data["post_id"] == post_id
    # The post is known from now on, and a local rename reuses it: no new post.
    rename_locally(setup, EntityType.AD, ad.id, "Renamed ad")
    posts = len(setup.sandbox.state.snapshot()["posts"])
    setup.push()
    assert len(setup.sandbox.state.snapshot()["posts"]) == posts
    assert setup.platform("ads", ad.sync.platform_id)["post_id"] == post_id
    assert reconcile_account(setup.db, AD_ACCOUNT_ID).other_calls == 0


def test_click_url_edited_on_platform_is_pulled_as_the_final_url(pushed: Make) -> None:
    setup = pushed()
    ad = setup.load().campaigns[0].ad_groups[0].ads[0]
    setup.edit("ads", ad.sync.platform_id, click_url="https://example.com/winter")

    result = reconcile_account(setup.db, AD_ACCOUNT_ID)

    assert (result.pulled, result.conflicts) == (1, 0)
    assert setup.load().campaigns[0].ad_groups[0].ads[0].final_url == ("https://example.com/winter")
    assert reconcile_account(setup.db, AD_ACCOUNT_ID).pulled == 0


def test_a_deleted_ad_group_does_not_read_as_a_smaller_campaign_budget(pushed: Make) -> None:
    setup = pushed(ad_groups=2)
    group = setup.load().campaigns[0].ad_groups[1]
    setup.delete("ad_groups", group.sync.platform_id)

    result = reconcile_account(setup.db, AD_ACCOUNT_ID)

    assert (result.conflicts, result.pulled) == (1, 0)
    assert setup.load().campaigns[0].budget.amount == Decimal("50")


def test_an_ad_group_added_in_ads_manager_is_not_part_of_our_campaign_budget(
    pushed: Make,
) -> None:
    setup = pushed(ad_groups=2)
    campaign = setup.load().campaigns[0]
    ours = setup.platform("ad_groups", campaign.ad_groups[0].sync.platform_id)
    with setup.sandbox.state.writing() as data:
        data["ad_groups"]["9999000000000000001"] = {
            **ours,
            "id": "9999000000000000001",
            "name": "Added in Ads Manager",
            "goal_value": ours["goal_value"] * 10,
        }

    result = reconcile_account(setup.db, AD_ACCOUNT_ID)

    assert (result.pulled, result.conflicts) == (0, 0)
    assert setup.load().campaigns[0].budget.amount == campaign.budget.amount


def test_rejection_is_shown_but_not_compared(pushed: Make) -> None:
    setup = pushed()
    ad = setup.load().campaigns[0].ad_groups[0].ads[0]
    reconcile_account(setup.db, AD_ACCOUNT_ID)
    setup.edit("ads", ad.sync.platform_id, rejection_reason="Misleading claims")

    result = reconcile_account(setup.db, AD_ACCOUNT_ID)

    assert result.rejected == [
        {"entity_type": "ad", "platform_id": ad.sync.platform_id, "reason": "Misleading claims"}
    ]
    # Kept in the stored raw JSON, but not a change of anything we manage.
    assert (result.pulled, result.conflicts, result.snapshot_changes) == (0, 0, 0)


def test_deleted_campaign_kept_with_local_is_created_again_with_its_children(
    pushed: Make,
) -> None:
    setup = pushed(campaigns=2, ad_groups=2, ads=2, keywords=2)
    campaign = setup.load().campaigns[0]
    # A field conflict on a child: settled with the parent, the child is created anew.
    child = campaign.ad_groups[0].ads[0]
    setup.edit("ads", child.sync.platform_id, name="Renamed on Reddit")
    rename_locally(setup, EntityType.AD, child.id, "Renamed here")
    old_ids = {
        campaign.sync.platform_id,
        *(g.sync.platform_id for g in campaign.ad_groups),
        *(a.sync.platform_id for g in campaign.ad_groups for a in g.ads),
    }
    setup.delete("campaigns", campaign.sync.platform_id)
    reconcile_account(setup.db, AD_ACCOUNT_ID)
    conflicts = ConflictRepository(setup.db).list()
    (deleted,) = [c for c in conflicts if c.entity_type == "campaign"]
    assert [c.entity_type for c in conflicts if c is not deleted] == ["ad"]

    resolution = resolve_conflict(setup.db, deleted.id, "local", "tester")

    assert resolution.push is not None and not resolution.push.failed
    again = setup.load().campaigns[0]
    new_campaign = setup.platform("campaigns", again.sync.platform_id)
    assert new_campaign["configured_status"] == "ACTIVE"
    for group in again.ad_groups:
        assert group.sync.platform_id not in old_ids
        assert setup.platform("ad_groups", group.sync.platform_id)["campaign_id"] == (
            again.sync.platform_id
        )
        for ad in group.ads:
            assert ad.sync.platform_id not in old_ids
            assert setup.platform("ads", ad.sync.platform_id)["ad_group_id"] == (
                group.sync.platform_id
            )
            assert ad.sync.sync_status is SyncStatus.SYNCED
        keywords = setup.platform("ad_groups", group.sync.platform_id)["targeting"]["keywords"]
        assert sorted(keywords) == sorted(k.text for k in group.keywords)
        assert all(k.sync.sync_status is SyncStatus.SYNCED for k in group.keywords)
    assert again.ad_groups[0].ads[0].name == "Renamed here"
    assert ConflictRepository(setup.db).list() == []
    after = reconcile_account(setup.db, AD_ACCOUNT_ID)
    assert (after.conflicts, after.deleted_on_platform) == (0, 0)


def test_deleted_campaign_accepted_removes_its_children_locally_without_a_call(
    pushed: Make,
) -> None:
    setup = pushed(campaigns=2, ad_groups=2, ads=1, keywords=1)
    campaign = setup.load().campaigns[0]
    setup.delete("campaigns", campaign.sync.platform_id)
    reconcile_account(setup.db, AD_ACCOUNT_ID)
    (conflict,) = ConflictRepository(setup.db).list()

    resolution = resolve_conflict(setup.db, conflict.id, "platform", "tester")

    assert resolution.sync_status is SyncStatus.SYNCED
    removed = setup.load().campaigns[0]
    entities = [removed, *removed.ad_groups]
    entities += [child for g in removed.ad_groups for child in (*g.ads, *g.keywords)]
    assert all(e.sync.removed and e.sync.sync_status is SyncStatus.SYNCED for e in entities)
    setup.sandbox.sandbox.clear_requests()
    setup.push()
    assert [r for r in setup.sandbox.sandbox.requests() if r["method"] != "GET"] == []
    after = reconcile_account(setup.db, AD_ACCOUNT_ID)
    assert (after.conflicts, after.deleted_on_platform) == (0, 0)
