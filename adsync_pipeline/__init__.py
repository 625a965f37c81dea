"""adsync: push locally-authored ad campaign sets to ad platforms and keep them in sync."""

__version__ = "0.1.0"
