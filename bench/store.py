"""Store benchmark: import a generated CSV of 10,000 ads into a temp SQLite store, then load
the hierarchy 5 times. The bar: loading a 10,000-ad set takes under 1 s.

    python bench/store.py [--campaigns 100 --groups 10 --ads 10]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import tempfile
import time
from pathlib import Path

from adsync_pipeline.imports import read_campaign_set
from adsync_pipeline.imports.csv_format import ALL_COLUMNS
from adsync_pipeline.store.campaign_sets import CampaignSetRepository
from adsync_pipeline.store.migrate import migrated_database

LOAD_BAR_SECONDS = 1.0


def write_csv(path: Path, campaigns: int, groups: int, ads: int) -> None:
    # The importer's own column list: a renamed column fails here, not silently.
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=ALL_COLUMNS)
        writer.writeheader()
        for c in range(campaigns):
            for g in range(groups):
                for a in range(ads):
                    writer.writerow(
                        {
                            "set_name": "Bench set",
                            "platform": "reddit",
                            "ad_account_id": "t2_bench",
                            "campaign_key": f"c{c}",
                            "campaign_name": f"Campaign {c}",
                            "objective": "consideration",
                            "budget_type": "daily",
                            "budget_amount": "100.00",
                            "ad_group_key": f"g{g}",
                            "ad_group_name": f"Ad group {c}.{g}",
                            "bid_strategy": "manual_cpc",
                            "bid_amount": "0.85",
                            "subreddits": "python;programming",
                            "devices": "mobile;desktop",
                            "keywords": "learn python;python course|phrase",
                            "ad_key": f"a{a}",
                            "ad_name": f"Ad {c}.{g}.{a}",
                            "headline": "Learn Python the fun way",
                            "final_url": f"https://example.com/{c}/{g}/{a}",
                        }
                    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=100)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--ads", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "bench.csv"
        write_csv(source, args.campaigns, args.groups, args.ads)
        db = migrated_database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        repo = CampaignSetRepository(db)

        started = time.perf_counter()
        doc = read_campaign_set(source)
        parsed = time.perf_counter()
        result = repo.import_set(doc)
        imported = time.perf_counter()
        entities = sum(result.counts.values())

        loads = []
        for _ in range(5):
            started_load = time.perf_counter()
            loaded = repo.load(result.campaign_set_id)
            loads.append(time.perf_counter() - started_load)
        db.dispose()

    ads = sum(len(g.ads) for c in loaded.campaigns for g in c.ad_groups)
    median = statistics.median(loads)
    print(f"set: {result.counts} ({entities} entities, {ads} ads)")
    print(
        f"import: parse+validate {parsed - started:.3f} s, write {imported - parsed:.3f} s, "
        f"{entities / (imported - started):,.0f} entities/s end to end, "
        f"{entities / (imported - parsed):,.0f} entities/s store only"
    )
    print(
        f"load x5: {', '.join(f'{t:.3f}' for t in loads)} s; median {median:.3f} s, "
        f"{entities / median:,.0f} entities/s"
    )
    verdict = "under" if median < LOAD_BAR_SECONDS else "OVER"
    print(
        f"median load / {LOAD_BAR_SECONDS:.0f} s bar = {median / LOAD_BAR_SECONDS:.2f} ({verdict})"
    )
    return 0 if median < LOAD_BAR_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
