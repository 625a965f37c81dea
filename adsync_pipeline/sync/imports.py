"""Importing a campaign set document, as `adsync import` and the API's PUT do: refused when it
would quietly undo values reconcile pulled from the platform, unless the person confirms."""

from __future__ import annotations

from adsync_pipeline.domain.model import CampaignSet
from adsync_pipeline.domain.pulled import PulledFieldsReverted, find_reverts
from adsync_pipeline.domain.reconcile import identity
from adsync_pipeline.store.campaign_sets import CampaignSetRepository, ImportResult
from adsync_pipeline.store.db import Database
from adsync_pipeline.sync.reconcile import PROJECTIONS


def import_document(db: Database, doc: CampaignSet, *, force: bool = False) -> ImportResult:
    """Create or re-import the set. A field whose local value was pulled from the platform
    and which the document sets to another value raises `PulledFieldsReverted` (nothing
    written); with `force` the document wins and the next push sends its values."""
    project = PROJECTIONS.get(doc.platform, identity)

    def refuse_reverts(stored: CampaignSet, incoming: CampaignSet) -> None:
        reverts = find_reverts(stored, incoming, project)
        if reverts and not force:
            raise PulledFieldsReverted(reverts)

    return CampaignSetRepository(db).import_set(doc, refuse_reverts)
