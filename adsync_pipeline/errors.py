"""Errors a user can act on. Every layer raises these; entry points print them as one line."""

from __future__ import annotations


class AdsyncError(Exception):
    """Base of the errors whose message is written for the person running adsync."""

    exit_code = 1


class NotFoundError(AdsyncError):
    """An id or name given by the user does not exist."""


class ValidationFailed(AdsyncError):
    """Input was rejected; `problems` lists every mistake found, each with its location."""

    exit_code = 2

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) found:\n" + "\n".join(problems))
        self.problems = problems
