"""Entry point the CLI, Dagster and the API call to push a set: finds the account, opens
the platform adapter with auditing wired in, runs the engine, closes everything."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from adsync_pipeline.config import RedditSettings
from adsync_pipeline.domain.model import EntityStatus
from adsync_pipeline.errors import AdsyncError
from adsync_pipeline.platforms.adapter import CampaignSetPlatformAdapter
from adsync_pipeline.store.accounts import AccountRecord, AccountRepository
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.sync_log import SyncLogRepository
from adsync_pipeline.sync.adapters import open_adapter
from adsync_pipeline.sync.audit import AuditRecorder
from adsync_pipeline.sync.push import (
    AccountResources,
    ProgressListener,
    PushEngine,
    PushOptions,
)
from adsync_pipeline.sync.results import PushResult

# (store, account, audit listener, settings=...) -> the adapter, open for one push.
AdapterOpener = Callable[..., AbstractAsyncContextManager[CampaignSetPlatformAdapter]]


def new_run_id() -> str:
    return f"adsync-{uuid.uuid4()}"


def account_for_set(db: Database, set_id: int) -> AccountRecord:
    header = CampaignSetRepository(db).get_header(set_id)
    platform, account_id = header.platform, header.ad_account_id
    account = AccountRepository(db).find(platform, account_id)
    if account is None or not account.has_tokens or account.revoked_at is not None:
        raise AdsyncError(
            f"ad account {account_id} of campaign set {set_id} is not connected: run "
            f"`adsync accounts add {platform} --account-id {account_id} --refresh-token ...` "
            f"or `adsync accounts connect {platform}`"
        )
    return account


async def push_async(
    db: Database,
    set_id: int,
    *,
    run_id: str | None = None,
    trigger: str = "manual",
    request_id: int | None = None,
    options: PushOptions | None = None,
    status: EntityStatus | None = None,
    on_progress: ProgressListener | None = None,
    settings: RedditSettings | None = None,
    opener: AdapterOpener = open_adapter,
) -> PushResult:
    account = account_for_set(db, set_id)
    run_id = run_id or new_run_id()
    recorder = AuditRecorder(
        SyncLogRepository(db),
        run_id=run_id,
        campaign_set_id=set_id,
        ad_account_id=account.id,
        platform=account.platform,
        buffered=True,
    )
    async with opener(db, account, recorder, settings=settings) as adapter:
        # Opening the adapter may have looked up and cached the account's resources.
        account = AccountRepository(db).get(account.id)
        engine = PushEngine(
            db,
            adapter,
            AccountResources(
                id=account.id,
                platform=account.platform,
                platform_account_id=account.platform_account_id,
                funding_instrument_id=account.funding_instrument_id,
                profile_id=account.profile_id,
                pixel_id=account.pixel_id,
            ),
            run_id=run_id,
            trigger=trigger,
            request_id=request_id,
            options=options,
            on_progress=on_progress,
            audit=recorder,
        )
        if status is None:
            return await engine.push(set_id)
        return await engine.change_status(set_id, status)


def run_push(
    db: Database,
    set_id: int,
    *,
    run_id: str | None = None,
    trigger: str = "manual",
    request_id: int | None = None,
    options: PushOptions | None = None,
    status: EntityStatus | None = None,
    on_progress: ProgressListener | None = None,
    settings: RedditSettings | None = None,
) -> PushResult:
    """Synchronous wrapper for callers without an event loop (Dagster ops, the CLI)."""
    return asyncio.run(
        push_async(
            db,
            set_id,
            run_id=run_id,
            trigger=trigger,
            request_id=request_id,
            options=options,
            status=status,
            on_progress=on_progress,
            settings=settings,
        )
    )
