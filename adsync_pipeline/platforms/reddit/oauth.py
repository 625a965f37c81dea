"""Reddit OAuth2 for a confidential client: authorize URL, code exchange, refresh, revoke.

Token requests use HTTP Basic client credentials and a descriptive User-Agent (Reddit
refuses or throttles requests without them). No message raised here contains a token.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from adsync_pipeline.config import ConfigError, RedditSettings, reddit_settings
from adsync_pipeline.errors import AdsyncError
from adsync_pipeline.platforms.reddit.errors import (
    RedditApiError,
    RedditAuthError,
    parse_error_body,
)

SCOPES = ("adsread", "adsedit", "history")
TOKEN_TIMEOUT = httpx.Timeout(20.0, connect=10.0)
RECONNECT_HINT = "reconnect with `adsync accounts connect reddit` or `adsync accounts add reddit`"


class OAuthStateMismatch(AdsyncError):
    """The redirect's `state` is not the one we sent: possible CSRF, the code is discarded."""


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    refresh_token: str | None  # None when Reddit did not send one (keep the previous one)
    expires_at: datetime
    scope: str

    def __repr__(self) -> str:
        return f"TokenGrant(expires_at={self.expires_at}, scope={self.scope!r})"


def check_state(expected: str, received: str | None) -> None:
    if not received or not secrets.compare_digest(expected, received):
        raise OAuthStateMismatch("the OAuth redirect's state does not match; start again")


class RedditOAuth:
    def __init__(
        self,
        settings: RedditSettings | None = None,
        *,
        timeout: httpx.Timeout = TOKEN_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings or reddit_settings()
        if not self.settings.client_id or not self.settings.client_secret:
            raise ConfigError(
                "Reddit OAuth needs ADSYNC_REDDIT_CLIENT_ID and ADSYNC_REDDIT_CLIENT_SECRET "
                "(from your app at https://www.reddit.com/prefs/apps)"
            )
        self._timeout = timeout
        self._transport = transport

    def authorization_url(
        self, redirect_uri: str, *, state: str | None = None, scopes: tuple[str, ...] = SCOPES
    ) -> tuple[str, str]:
        """(url to open, state to check on the redirect). `duration=permanent` is what makes
        Reddit issue a refresh token."""
        state = state or secrets.token_urlsafe(24)
        query = urlencode(
            {
                "client_id": self.settings.client_id,
                "response_type": "code",
                "state": state,
                "redirect_uri": redirect_uri,
                "duration": "permanent",
                "scope": " ".join(scopes),
            }
        )
        return f"{self.settings.auth_url}/api/v1/authorize?{query}", state

    async def exchange_code(self, code: str, redirect_uri: str) -> TokenGrant:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        return await self._token_request(form, what="authorization code")

    async def refresh(self, refresh_token: str) -> TokenGrant:
        grant = await self._token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token},
            what="refresh token",
        )
        # Reddit usually re-sends the same refresh token; keep a rotated one when it differs.
        return TokenGrant(
            grant.access_token, grant.refresh_token or refresh_token, grant.expires_at, grant.scope
        )

    async def revoke(self, token: str, hint: str = "refresh_token") -> None:
        response = await self._post("revoke_token", {"token": token, "token_type_hint": hint})
        if response.status_code >= 400:
            raise self._error(response, "revoke")

    async def _token_request(self, form: dict[str, str], *, what: str) -> TokenGrant:
        response = await self._post("access_token", form)
        body = _json(response)
        if response.status_code >= 400 or "error" in body:
            raise self._error(response, what)
        try:
            expires_in = float(body["expires_in"])
            return TokenGrant(
                access_token=str(body["access_token"]),
                refresh_token=body.get("refresh_token"),
                expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
                scope=str(body.get("scope", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RedditApiError(
                f"unexpected token response (missing {exc})", status=response.status_code
            ) from None

    async def _post(self, endpoint: str, form: dict[str, str]) -> httpx.Response:
        url = f"{self.settings.auth_url}/api/v1/{endpoint}"
        async with httpx.AsyncClient(
            timeout=self._timeout,
            transport=self._transport,
            headers={"User-Agent": self.settings.user_agent},
        ) as http:
            try:
                return await http.post(
                    url,
                    data=form,
                    auth=(self.settings.client_id, self.settings.client_secret),
                )
            except httpx.TransportError as exc:
                raise RedditApiError(
                    f"cannot reach Reddit's OAuth endpoint: {type(exc).__name__}",
                    method="POST",
                    path=f"/api/v1/{endpoint}",
                    request_sent=not isinstance(exc, httpx.ConnectError),
                ) from None

    def _error(self, response: httpx.Response, what: str) -> RedditApiError:
        code, message, _ = parse_error_body(_json(response))
        path = response.request.url.path
        status = response.status_code
        if status == 401:
            return RedditAuthError(
                "Reddit refused the client credentials (check ADSYNC_REDDIT_CLIENT_ID and "
                "ADSYNC_REDDIT_CLIENT_SECRET)",
                status=status,
                method="POST",
                path=path,
            )
        if code == "invalid_grant":
            return RedditAuthError(
                f"Reddit rejected the {what} (revoked, expired or already used); " + RECONNECT_HINT,
                status=status,
                code=code,
                method="POST",
                path=path,
            )
        return RedditApiError(
            message or f"token endpoint answered {status}",
            status=status,
            code=code,
            method="POST",
            path=path,
        )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
