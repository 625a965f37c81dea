"""Store benchmark: a generated CSV of 200,000 ads (2,000 campaigns x 10 ad groups x 10 ads,
two keywords per ad group) through the commands a user runs, each step in a child process
whose wall time and peak RSS are measured (median of --repeat runs):

    import (new set) <= 10 s; re-import unchanged and with a few edited headlines <= 10 s;
    load the hierarchy and `adsync status --json` <= 3 s; `adsync plan` timed (no bar);
    every step's peak memory <= 400 MB.

Each figure is printed beside its bar; the exit status is 1 when one is missed.

    python bench/store.py [--quick] [--campaigns 2000 --groups 10 --ads 10] [--repeat 3]
                          [--database-url postgresql://...]   # default: a new SQLite file
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from adsync_pipeline.examples.generator import write_generated_csv
from adsync_pipeline.store.migrate import migrated_database

IMPORT_BAR_SECONDS = 10.0
READ_BAR_SECONDS = 3.0
MEMORY_BAR_MB = 400.0
EDITED_ADS = frozenset({7, 5_003, 77_777, 150_001})
LOAD_SCRIPT = (
    "import sys; from adsync_pipeline.store.campaign_sets import CampaignSetRepository; "
    "from adsync_pipeline.store.migrate import migrated_database; "
    "CampaignSetRepository(migrated_database()).load(int(sys.argv[1]))"
)


@dataclass
class Step:
    name: str
    argv: list[str]
    seconds_bar: float | None
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)


def run_child(argv: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one child process; its output is
    discarded (the JSON of a 200,000-ad status is 180 MB)."""
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        child = subprocess.Popen(argv, env=env, stdout=sink, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        assert child.stderr is not None
        errors = child.stderr.read().decode()
    if child.returncode != 0:
        raise SystemExit(f"error: {' '.join(argv)} exited {child.returncode}: {errors}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def reset_postgres(url: str) -> None:
    """Drops the benchmark's set (its entities cascade) so each import creates it anew."""
    db = migrated_database(url)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM campaign_sets WHERE name = 'Generated set'"))
    db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=2000)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--ads", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="100 x 10 x 10: 10,000 ads")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--database-url", help="a PostgreSQL store (its 'Generated set' is replaced)"
    )
    args = parser.parse_args()
    if args.quick:
        args.campaigns = 100

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source, edited = work / "bench.csv", work / "edited.csv"
        total = args.campaigns * args.groups * args.ads
        write_generated_csv(str(source), args.campaigns, args.groups, args.ads)
        write_generated_csv(
            str(edited),
            args.campaigns,
            args.groups,
            args.ads,
            edited=frozenset(n for n in EDITED_ADS if n < total),
        )
        env = {
            **os.environ,
            "DAGSTER_HOME": str(work / "dagster_home"),
            "XDG_CONFIG_HOME": str(work / "config"),
        }
        adsync = [sys.executable, "-c", "from adsync_pipeline.cli import main; main()"]
        steps = [
            Step("import (new set)", [*adsync, "import", str(source)], IMPORT_BAR_SECONDS),
            Step("re-import, unchanged", [*adsync, "import", str(source)], IMPORT_BAR_SECONDS),
            Step("re-import, 4 edits", [*adsync, "import", str(edited)], IMPORT_BAR_SECONDS),
            Step("load", [sys.executable, "-c", LOAD_SCRIPT, "{set}"], READ_BAR_SECONDS),
            Step("status --json", [*adsync, "status", "{set}", "--json"], READ_BAR_SECONDS),
            Step("plan", [*adsync, "plan", "{set}"], None),
        ]
        for run in range(args.repeat):
            if args.database_url:
                reset_postgres(args.database_url)
                env["ADSYNC_DATABASE_URL"] = args.database_url
            else:
                env["ADSYNC_DATABASE_URL"] = f"sqlite:///{work / f'bench{run}.db'}"
            set_id = ""  # known once the first import has run
            for step in steps:
                argv = [part.replace("{set}", set_id) for part in step.argv]
                seconds, cpu, peak = run_child(argv, env)
                step.seconds.append(seconds)
                step.cpu.append(cpu)
                step.peak_mb.append(peak)
                set_id = set_id or current_set_id(env["ADSYNC_DATABASE_URL"])

    shape = f"{args.campaigns} campaigns x {args.groups} ad groups x {args.ads} ads"
    print(f"set: {shape} = {total:,} ads")
    print(
        f"median of {args.repeat} runs, each step a child process: wall time (the bar), CPU time "
        "(user + system: what a shared, loaded machine does not inflate), peak RSS"
    )
    missed = False
    for step in steps:
        seconds, peak = statistics.median(step.seconds), statistics.median(step.peak_mb)
        over_time = step.seconds_bar is not None and seconds > step.seconds_bar
        over_memory = peak > MEMORY_BAR_MB
        missed |= over_time or over_memory
        bar = f"bar {step.seconds_bar:.0f} s" if step.seconds_bar else "no bar"
        print(
            f"{step.name:22} {seconds:7.2f} s ({bar}{', MISSED' if over_time else ''}), "
            f"CPU {statistics.median(step.cpu):6.2f} s, "
            f"{peak:6.0f} MB (bar {MEMORY_BAR_MB:.0f} MB{', MISSED' if over_memory else ''})"
        )
    print("all bars met" if not missed else "a bar was missed")
    return 1 if missed else 0


def current_set_id(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        set_id = conn.scalar(text("SELECT id FROM campaign_sets WHERE name = 'Generated set'"))
    engine.dispose()
    return str(set_id)


if __name__ == "__main__":
    raise SystemExit(main())
