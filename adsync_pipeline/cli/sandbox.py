"""`adsync sandbox ...`: run local emulators of the ad platforms' APIs."""

from __future__ import annotations

from pathlib import Path

import click

from adsync_pipeline.cli.base import cli


@cli.group()
def sandbox() -> None:
    """Local emulators of ad platform APIs, for development and tests."""


@sandbox.command("reddit")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int)
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON file loaded at start and saved after each write.",
)
@click.option("--time-scale", default=1.0, show_default=True, help="Shrinks rate-limit windows.")
@click.option("--error-rate", default=0.0, show_default=True, help="Share of API calls given 5xx.")
@click.option("--latency", default=0.0, show_default=True, help="Seconds added to each API call.")
@click.option("--expires-in", default=3600, show_default=True, help="Access token lifetime (s).")
@click.option("--seed", default=0, show_default=True, help="Seed of the fault-injection RNG.")
def reddit(
    host: str,
    port: int,
    state_file: Path | None,
    time_scale: float,
    error_rate: float,
    latency: float,
    expires_in: int,
    seed: int,
) -> None:
    """Serve an emulated Reddit Ads API v3 (and reddit.com OAuth) until interrupted."""
    from adsync_pipeline.sandbox.reddit import serve
    from adsync_pipeline.sandbox.reddit_state import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN

    base = f"http://{host}:{port}"
    click.echo(f"Reddit sandbox: API {base}/api/v3, OAuth {base}, admin {base}/_admin", err=True)
    click.echo(f"Client {CLIENT_ID} / {CLIENT_SECRET}, refresh token {REFRESH_TOKEN}", err=True)
    serve(
        host,
        port,
        state_file=state_file,
        time_scale=time_scale,
        seed=seed,
        error_rate=error_rate,
        latency=latency,
        expires_in=expires_in,
    )


@sandbox.command("stop")
def stop() -> None:
    """Stop the Reddit sandbox the demo left running in the background."""
    from adsync_pipeline.local_config import existing_home
    from adsync_pipeline.local_sandbox import stop as stop_sandbox

    pid = stop_sandbox(existing_home())
    click.echo(f"stopped the Reddit sandbox (pid {pid})" if pid else "no sandbox was running")
