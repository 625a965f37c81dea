"""Entry point the CLI, Dagster and the API call to push a set: finds the account, opens
the platform adapter with auditing wired in, runs the engine, closes everything."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack

from adsync_pipeline.config import RedditSettings
from adsync_pipeline.domain.model import EntityStatus
from adsync_pipeline.errors import AdsyncError, NotFoundError
from adsync_pipeline.platforms.adapter import CampaignSetPlatformAdapter
from adsync_pipeline.store.accounts import AccountRecord, AccountRepository
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.db import Database
from adsync_pipeline.store.events import JOB_FAILED
from adsync_pipeline.store.push_ledger import EventRow, OutcomeWrite, PushLedger
from adsync_pipeline.store.sync_log import AuditEntry, SyncLogRepository
from adsync_pipeline.sync import alerts
from adsync_pipeline.sync.adapters import open_adapter
from adsync_pipeline.sync.alerts import raise_push_alerts
from adsync_pipeline.sync.audit import AuditRecorder
from adsync_pipeline.sync.push import (
    OPERATIONS,
    AccountResources,
    ProgressListener,
    PushEngine,
    PushOptions,
)
from adsync_pipeline.sync.results import FAILED, LOCAL_RUN_PREFIX, PushResult, describe_failure

logger = logging.getLogger(__name__)

# (store, account, audit listener, settings=...) -> the adapter, open for one push.
AdapterOpener = Callable[..., AbstractAsyncContextManager[CampaignSetPlatformAdapter]]


def new_run_id() -> str:
    return f"{LOCAL_RUN_PREFIX}{uuid.uuid4()}"


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
    run_id = run_id or new_run_id()
    async with AsyncExitStack() as stack:
        recorder: AuditRecorder | None = None
        try:
            account = account_for_set(db, set_id)
            recorder = AuditRecorder(
                SyncLogRepository(db),
                run_id=run_id,
                campaign_set_id=set_id,
                ad_account_id=account.id,
                platform=account.platform,
                buffered=True,
            )
            adapter = await stack.enter_async_context(
                opener(db, account, recorder, settings=settings)
            )
            # Opening the adapter may have looked up and cached the account's resources.
            account = AccountRepository(db).get(account.id)
        except BaseException as exc:
            try:
                record_unstarted_push(
                    db,
                    set_id,
                    run_id=run_id,
                    trigger=trigger,
                    request_id=request_id,
                    operation="push" if status is None else OPERATIONS[status],
                    cause=describe_failure(exc),
                    audits=recorder.drain() if recorder is not None else [],
                )
            except NotFoundError:
                pass  # no such set: nothing to record the run against
            except Exception:
                logger.exception("push %s: recording its failure failed", run_id)
            raise
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
            result = await engine.push(set_id)
        else:
            result = await engine.change_status(set_id, status)
    return result


def record_unstarted_push(
    db: Database,
    set_id: int,
    *,
    run_id: str,
    trigger: str,
    request_id: int | None,
    operation: str,
    cause: str,
    audits: list[AuditEntry],
) -> None:
    """A push that failed before its engine started (the set's account not connected, its
    tokens unreadable, the platform unreachable while opening): a failed run with its cause,
    the calls it made, the `job-failed` event a progress stream ends on, and its alert."""
    log = SyncLogRepository(db)
    header = CampaignSetRepository(db).get_header(set_id)
    account = AccountRepository(db).find(header.platform, header.ad_account_id)
    account_id = account.id if account is not None else None
    run_row = log.start_run(run_id, set_id, account_id, trigger)
    outcome = {
        "status": FAILED,
        "error": cause,
        "synced": 0,
        "failed": 0,
        "skipped": 0,
        "refused": None,
        "errors": [],
    }
    PushLedger(db).commit(
        OutcomeWrite(
            audits=audits,
            events=[EventRow(set_id, JOB_FAILED, outcome, run_id, request_id)],
        )
    )
    log.finish_run(
        run_row,
        FAILED,
        {},
        {
            "operation": operation,
            "duration_s": 0.0,
            "refused": None,
            "error": cause,
            "cause": cause,
        },
    )
    raise_push_alerts(
        db,
        [alerts.run_failed(run_id, set_id, cause)],
        run_id=run_id,
        campaign_set_id=set_id,
        ad_account_id=account_id,
    )


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
