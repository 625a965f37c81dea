"""The one partition dimension (a campaign set), its keys, and the run tags every push run
carries."""

from __future__ import annotations

import re

from dagster import DynamicPartitionsDefinition

campaign_sets = DynamicPartitionsDefinition(name="campaign_sets")

ACCOUNT_TAG = "adsync/ad_account"  # the run queue allows one run per value (dagster.yaml)
PLATFORM_TAG = "adsync/platform"
REQUEST_TAG = "adsync/request_id"
TRIGGER_TAG = "adsync/trigger"
RETRY_KEY_TAG = "adsync/retry_key"

# Long enough to recognise a set, short enough for the UI's partition lists and run tags.
_NAME_IN_KEY = 48
# Everything but letters and digits becomes "-": no commas, brackets, "|" or "..." (Dagster's
# UI reads those as partition lists and ranges), no spaces to quote on a command line.
_NOT_IN_KEY = re.compile(r"[\W_]+")


def set_partition_key(set_id: int, set_name: str) -> str:
    """`<set id>-<name slug>`, e.g. `1-summer-sale-2026`: the id keeps it unique (names are
    unique per ad account only) and first, so `set_id_of` reads it back whatever the name."""
    slug = _NOT_IN_KEY.sub("-", set_name.lower())[:_NAME_IN_KEY].strip("-")
    return f"{set_id}-{slug}" if slug else str(set_id)


def set_id_of(partition_key: str) -> int:
    """The set id of a partition key; also reads the bare-id keys (`1`) of older instances."""
    return int(partition_key.split("-", 1)[0])


def push_tags(ad_account_id: int, platform: str, trigger: str) -> dict[str, str]:
    return {ACCOUNT_TAG: str(ad_account_id), PLATFORM_TAG: platform, TRIGGER_TAG: trigger}
