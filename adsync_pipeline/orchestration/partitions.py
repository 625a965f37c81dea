"""The one partition dimension (a campaign set) and the run tags every push run carries."""

from __future__ import annotations

from dagster import DynamicPartitionsDefinition

campaign_sets = DynamicPartitionsDefinition(name="campaign_sets")

ACCOUNT_TAG = "adsync/ad_account"  # the run queue allows one run per value (dagster.yaml)
PLATFORM_TAG = "adsync/platform"
REQUEST_TAG = "adsync/request_id"
TRIGGER_TAG = "adsync/trigger"
RETRY_KEY_TAG = "adsync/retry_key"


def push_tags(ad_account_id: int, platform: str, trigger: str) -> dict[str, str]:
    return {ACCOUNT_TAG: str(ad_account_id), PLATFORM_TAG: platform, TRIGGER_TAG: trigger}
