"""`python -m adsync_pipeline` is the `adsync` command."""

from adsync_pipeline.cli import main

main()
