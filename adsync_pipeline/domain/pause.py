"""What `resume` brings a paused campaign back to: its authored status (pure).

`pause` sets every campaign's local status to paused (local stays the source of truth), which
would forget what the authoring file said. So before pausing, each campaign's own status is
kept in `platform_data["paused_from"]`; `resume` restores it (a campaign the file authors as
paused stays paused) and drops the record. While the record exists, a re-import updates it
instead of the live status: the set stays paused, and resume restores what the latest file
says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adsync_pipeline.domain.model import Campaign, CampaignSet, EntityStatus

# Key of a campaign's `platform_data`: its status before `pause`, until `resume`.
PAUSED_FROM = "paused_from"


def paused_from(campaign: Campaign) -> EntityStatus | None:
    recorded = (campaign.sync.platform_data or {}).get(PAUSED_FROM)
    return EntityStatus(recorded) if recorded is not None else None


def resume_status(campaign: Campaign) -> EntityStatus:
    """The status `resume` gives the campaign: as authored, or active for a campaign paused
    before adsync kept the record."""
    return paused_from(campaign) or EntityStatus.ACTIVE


def with_paused_from(
    platform_data: Mapping[str, Any] | None, status: EntityStatus
) -> dict[str, Any]:
    return {**(platform_data or {}), PAUSED_FROM: status.value}


def without_paused_from(platform_data: Mapping[str, Any] | None) -> dict[str, Any]:
    return {name: value for name, value in (platform_data or {}).items() if name != PAUSED_FROM}


def authored_while_paused(stored: CampaignSet, doc: CampaignSet) -> dict[int, dict[str, Any]]:
    """A re-import of a paused set: each paused campaign the document keeps keeps its live
    status (set on the document's campaign here) and records the document's status for
    resume. Returns the new `platform_data` by campaign id (a removed campaign that the
    document brings back loses its stale record)."""
    updates: dict[int, dict[str, Any]] = {}
    paused: dict[str, Campaign] = {}
    for campaign in stored.campaigns:
        if campaign.id is None or paused_from(campaign) is None:
            continue
        if campaign.sync.removed:
            updates[campaign.id] = without_paused_from(campaign.sync.platform_data)
        else:
            paused[campaign.key] = campaign
    for campaign in doc.campaigns:
        live = paused.get(campaign.key)
        if live is None or live.id is None:
            continue
        updates[live.id] = with_paused_from(live.sync.platform_data, campaign.status)
        campaign.status = live.status
    return updates
