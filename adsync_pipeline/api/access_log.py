"""The server's logs never show a secret. A caller may put its API key in the query string
(it is refused there, but uvicorn's access log writes every request line as received), or
a bearer token may end up in a message: both are masked before any handler writes them.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import unquote_plus

from uvicorn.config import LOGGING_CONFIG

REDACTED = "[redacted]"
# A query parameter is a secret when a word of its name ends so: api_key, apiKey, token,
# access_token, client_secret, password, X-Amz-Signature, auth (not `keyword`).
_SECRET_WORD = re.compile(r"(key|token|secret|password|passwd|signature|auth|credentials?)$")
_WORDS = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
_QUERY = re.compile(r"\?([^\s\"'#]*)")
_BEARER = re.compile(r"(bearer\s+)[^\s\"',;]+", re.IGNORECASE)
# Our API keys, wherever they appear: `adsk_` and 43 url-safe base64 characters.
_API_KEY = re.compile(r"adsk_[A-Za-z0-9_\-]+")


def redact_query(query: str) -> str:
    """`a=1&api_key=s3cret` -> `a=1&api_key=[redacted]`; other parameters kept as sent."""
    parts = []
    for part in re.split(r"([&;])", query):
        name, sep, _value = part.partition("=")
        secret = part not in ("&", ";") and _is_secret(unquote_plus(name))
        parts.append(f"{name}{sep or '='}{REDACTED}" if secret else part)
    return "".join(parts)


def _is_secret(name: str) -> bool:
    return any(_SECRET_WORD.search(word.lower()) for word in _WORDS.split(name) if word)


def redact(text: str) -> str:
    text = _QUERY.sub(lambda m: "?" + redact_query(m.group(1)), text)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    return _API_KEY.sub("adsk_" + REDACTED, text)


class RedactSecrets(logging.Filter):
    """Masks secrets in a record's message and its string arguments (uvicorn's access
    record carries the request line in its arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redacted(value) for key, value in record.args.items()}
        return True


def _redacted(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


def log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration, with every handler behind `RedactSecrets`."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_secrets"] = {"()": RedactSecrets}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_secrets")
    return config
