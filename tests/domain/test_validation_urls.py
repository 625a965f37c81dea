from __future__ import annotations

import pytest

from adsync_pipeline.domain import validation as v


@pytest.mark.parametrize(
    "url",
    ["https://x.co", "HTTP://shop.example.com/a?b#c", "http://a.b:8080", "https://例え.jp/x"],
)
def test_http_urls_pass(url: str) -> None:
    assert v.as_url(url) == url


@pytest.mark.parametrize(
    "url", ["http://", "https:///path", "ftp://x.co", "shop.example.com", "http://[::1"]
)
def test_other_text_is_refused_with_a_reason(url: str) -> None:
    """A malformed host (an unclosed IPv6 bracket) is a problem too, not a ValueError."""
    with pytest.raises(v.Invalid) as refused:
        v.as_url(url)
    assert refused.value.reason.startswith("must be an http(s) URL")
