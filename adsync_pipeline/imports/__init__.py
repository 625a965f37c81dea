"""Reading campaign-set files: JSON (canonical) and flat CSV, validated before anything
is written. `read_campaign_set` picks the format from the file's extension."""

from __future__ import annotations

from pathlib import Path

from adsync_pipeline.bulk import collector_paused
from adsync_pipeline.domain.model import CampaignSet
from adsync_pipeline.errors import AdsyncError, ValidationFailed
from adsync_pipeline.imports.csv_format import read_csv
from adsync_pipeline.imports.json_format import read_json

FORMATS = {".json": read_json, ".csv": read_csv}


def read_campaign_set(path: Path) -> CampaignSet:
    reader = FORMATS.get(path.suffix.lower())
    if reader is None:
        known = ", ".join(FORMATS)
        raise ValidationFailed([f"{path.name}: unknown file type (expected {known})"])
    if not path.is_file():
        raise AdsyncError(f"{path}: no such file")
    try:
        with collector_paused():
            return reader(path)
    except UnicodeDecodeError as exc:
        raise ValidationFailed([f"{path.name}: not UTF-8 text ({exc.reason})"]) from None
