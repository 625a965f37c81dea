"""Turns a parsed document (nested dicts and lists, the JSON format's shape) into a
`CampaignSet`, collecting every problem instead of stopping at the first.

Both file formats end up here: JSON as parsed, CSV after grouping its rows into the same
shape. Where a problem is depends on the format, so the caller passes a `Locator` that
turns a path such as ("campaigns", 1, "budget", "amount") into "file: location.field".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from adsync_pipeline.domain import validation as v
from adsync_pipeline.domain.model import (
    Ad,
    AdGroup,
    Bidding,
    BidStrategy,
    Budget,
    BudgetType,
    CallToAction,
    Campaign,
    CampaignSet,
    Device,
    EntityStatus,
    Keyword,
    MatchType,
    Targeting,
)
from adsync_pipeline.errors import ValidationFailed

Path = tuple[str | int, ...]
Locator = Callable[[Path], str]
T = TypeVar("T")

SET_FIELDS = frozenset({"name", "platform", "ad_account_id", "campaigns"})
CAMPAIGN_FIELDS = frozenset(
    {"key", "name", "objective", "status", "budget", "start_time", "end_time", "ad_groups"}
)
BUDGET_FIELDS = frozenset({"type", "amount", "currency"})
AD_GROUP_FIELDS = frozenset(
    {"key", "name", "status", "bidding", "targeting", "optimization_goal", "keywords", "ads"}
)
BIDDING_FIELDS = frozenset({"strategy", "amount"})
TARGETING_FIELDS = frozenset({"subreddits", "interests", "locations", "devices"})
KEYWORD_FIELDS = frozenset({"key", "text", "match_type"})
AD_FIELDS = frozenset(
    {
        "key",
        "name",
        "status",
        "headline",
        "description",
        "final_url",
        "display_url",
        "call_to_action",
    }
)


def build_campaign_set(
    doc: Any, locate: Locator, earlier_problems: list[str] | None = None
) -> CampaignSet:
    """The set the document describes, or `ValidationFailed` listing every problem
    (after `earlier_problems`, those the caller found while parsing)."""
    builder = _Builder(locate, list(earlier_problems or []))
    result = builder.campaign_set(doc)
    if builder.problems or result is None:
        raise ValidationFailed(builder.problems)
    return result


def _raw_key(item: Any, from_text: bool) -> str | None:
    if not isinstance(item, Mapping):
        return None
    key = item.get("key")
    if key is None and from_text and isinstance(item.get("text"), str):
        key = item["text"].strip().lower()
    return key if isinstance(key, str) else None


def _raw_budget_type(raw: Any) -> BudgetType | None:
    """The budget's type even when its amount is wrong, for the schedule rules."""
    try:
        return BudgetType(raw.get("type")) if isinstance(raw, Mapping) else None
    except ValueError:
        return None


def _devices(value: Any) -> tuple[Device, ...]:
    return tuple(v.as_enum(Device, item) for item in v.as_text_list(value))


def _description(value: Any) -> str:
    return v.as_text(value, min_len=0, multiline=True)


class _Builder:
    def __init__(self, locate: Locator, problems: list[str]) -> None:
        self.locate = locate
        self.problems = problems
        self.failed: set[Path] = set()

    def problem(self, path: Path, reason: str) -> None:
        self.failed.add(path)
        self.problems.append(f"{self.locate(path)}: {reason}")

    def status(self, obj: Mapping[str, Any], path: Path) -> EntityStatus | None:
        """An entity's optional `status`, active when absent."""
        return self.field(
            obj,
            path,
            "status",
            lambda x: v.as_enum(EntityStatus, x),
            EntityStatus.ACTIVE,
            required=False,
        )

    def field(
        self,
        obj: Mapping[str, Any],
        path: Path,
        name: str,
        convert: Callable[[Any], T],
        default: T | None = None,
        required: bool = True,
    ) -> T | None:
        """The converted value, or None after recording why it is missing or wrong."""
        value = obj.get(name)
        if value is None:
            if required:
                self.problem((*path, name), "is required")
            return default
        try:
            return convert(value)
        except v.Invalid as exc:
            self.problem((*path, name), exc.reason)
            return None

    def mapping(self, value: Any, path: Path, allowed: frozenset[str]) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.problem(path, f"must be an object (got {type(value).__name__})")
            return None
        for name in sorted(set(value) - allowed):
            self.problem((*path, name), f"unknown field (known: {', '.join(sorted(allowed))})")
        return value

    def items(self, obj: Mapping[str, Any], path: Path, name: str) -> list[Any]:
        value = obj.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem((*path, name), f"must be a list (got {type(value).__name__})")
            return []
        return value

    def unique_keys(self, path: Path, name: str, items: list[Any]) -> None:
        # From the raw items, so an entity with other mistakes still counts as a key's user.
        keys = [_raw_key(item, name == "keywords") for item in items]
        for index, first in v.duplicates(keys).items():
            self.problem(
                (*path, name, index, "key"),
                f"duplicate key {keys[index]!r} (already used by {name}[{first}])",
            )

    def campaign_set(self, doc: Any) -> CampaignSet | None:
        obj = self.mapping(doc, (), SET_FIELDS)
        if obj is None:
            return None
        before = len(self.problems)
        name = self.field(obj, (), "name", v.as_name)
        platform = self.field(obj, (), "platform", v.as_platform)
        account = self.field(
            obj, (), "ad_account_id", lambda x: v.as_text(x, max_len=v.ACCOUNT_ID_MAX)
        )
        campaigns = [
            self.campaign(item, ("campaigns", i))
            for i, item in enumerate(self.items(obj, (), "campaigns"))
        ]
        if not campaigns and "campaigns" not in obj:
            self.problem(("campaigns",), "is required")
        self.unique_keys((), "campaigns", self.items(obj, (), "campaigns"))
        if len(self.problems) > before or name is None or platform is None or account is None:
            return None
        return CampaignSet(
            name=name,
            platform=platform,
            ad_account_id=account,
            campaigns=[c for c in campaigns if c is not None],
        )

    def campaign(self, raw: Any, path: Path) -> Campaign | None:
        obj = self.mapping(raw, path, CAMPAIGN_FIELDS)
        if obj is None:
            return None
        before = len(self.problems)
        key = self.field(obj, path, "key", v.as_key)
        name = self.field(obj, path, "name", v.as_name)
        objective = self.field(obj, path, "objective", v.as_objective)
        status = self.status(obj, path)
        budget = self.budget(obj.get("budget"), (*path, "budget"))
        start = self.field(obj, path, "start_time", v.as_datetime, required=False)
        end = self.field(obj, path, "end_time", v.as_datetime, required=False)
        # A bad time already has its problem; schedule rules on it would only repeat it.
        budget_type = budget.type if budget else _raw_budget_type(obj.get("budget"))
        if budget_type is not None and not self.failed & {
            (*path, "start_time"),
            (*path, "end_time"),
        }:
            for field, reason in v.check_schedule(budget_type, start, end):
                self.problem((*path, field), reason)
        ad_groups = [
            self.ad_group(item, (*path, "ad_groups", i))
            for i, item in enumerate(self.items(obj, path, "ad_groups"))
        ]
        self.unique_keys(path, "ad_groups", self.items(obj, path, "ad_groups"))
        if len(self.problems) > before:
            return None
        assert key and name and objective and status and budget
        return Campaign(
            key=key,
            name=name,
            objective=objective,
            budget=budget,
            status=status,
            start_time=start,
            end_time=end,
            ad_groups=[g for g in ad_groups if g is not None],
        )

    def budget(self, raw: Any, path: Path) -> Budget | None:
        if raw is None:
            self.problem(path, "is required")
            return None
        obj = self.mapping(raw, path, BUDGET_FIELDS)
        if obj is None:
            return None
        kind = self.field(obj, path, "type", lambda x: v.as_enum(BudgetType, x))
        amount = self.field(obj, path, "amount", v.as_budget_amount)
        currency = self.field(obj, path, "currency", v.as_currency, "USD", required=False)
        if kind is None or amount is None or currency is None:
            return None
        return Budget(type=kind, amount=amount, currency=currency)

    def bidding(self, raw: Any, path: Path) -> Bidding | None:
        if raw is None:
            self.problem(path, "is required")
            return None
        obj = self.mapping(raw, path, BIDDING_FIELDS)
        if obj is None:
            return None
        strategy = self.field(obj, path, "strategy", lambda x: v.as_enum(BidStrategy, x))
        before = len(self.problems)
        amount = self.field(obj, path, "amount", v.as_bid_amount, required=False)
        if strategy is None or len(self.problems) > before:
            return None
        issues = v.check_bidding(strategy, amount)
        for field, reason in issues:
            self.problem((*path, field), reason)
        return None if issues else Bidding(strategy=strategy, amount=amount)

    def targeting(self, raw: Any, path: Path) -> Targeting | None:
        if raw is None:
            return Targeting()
        obj = self.mapping(raw, path, TARGETING_FIELDS)
        if obj is None:
            return None
        lists = {
            name: self.field(obj, path, name, v.as_text_list, (), required=False)
            for name in ("subreddits", "interests", "locations")
        }
        devices = self.field(obj, path, "devices", _devices, (), required=False)
        if devices is None or any(value is None for value in lists.values()):
            return None
        return Targeting(
            subreddits=lists["subreddits"] or (),
            interests=lists["interests"] or (),
            locations=lists["locations"] or (),
            devices=devices,
        )

    def ad_group(self, raw: Any, path: Path) -> AdGroup | None:
        obj = self.mapping(raw, path, AD_GROUP_FIELDS)
        if obj is None:
            return None
        before = len(self.problems)
        key = self.field(obj, path, "key", v.as_key)
        name = self.field(obj, path, "name", v.as_name)
        status = self.status(obj, path)
        bidding = self.bidding(obj.get("bidding"), (*path, "bidding"))
        targeting = self.targeting(obj.get("targeting"), (*path, "targeting"))
        goal = self.field(
            obj, path, "optimization_goal", lambda x: v.as_text(x, max_len=64), required=False
        )
        raw_keywords = self.items(obj, path, "keywords")
        if len(raw_keywords) > v.KEYWORDS_PER_AD_GROUP_MAX:
            self.problem(
                (*path, "keywords"),
                f"at most {v.KEYWORDS_PER_AD_GROUP_MAX} keywords per ad group "
                f"(got {len(raw_keywords)})",
            )
        keywords = [
            self.keyword(item, (*path, "keywords", i)) for i, item in enumerate(raw_keywords)
        ]
        self.unique_keys(path, "keywords", raw_keywords)
        raw_ads = self.items(obj, path, "ads")
        ads = [self.ad(item, (*path, "ads", i)) for i, item in enumerate(raw_ads)]
        self.unique_keys(path, "ads", raw_ads)
        if len(self.problems) > before:
            return None
        assert key and name and status and bidding and targeting is not None
        return AdGroup(
            key=key,
            name=name,
            bidding=bidding,
            status=status,
            targeting=targeting,
            optimization_goal=goal,
            keywords=[k for k in keywords if k is not None],
            ads=[a for a in ads if a is not None],
        )

    def keyword(self, raw: Any, path: Path) -> Keyword | None:
        obj = self.mapping(raw, path, KEYWORD_FIELDS)
        if obj is None:
            return None
        text = self.field(obj, path, "text", v.as_text)
        match_type = self.field(
            obj, path, "match_type", lambda x: v.as_enum(MatchType, x), MatchType.BROAD, False
        )
        # Without an explicit key a keyword is identified by its text, case-insensitively.
        default_key = text.strip().lower() if text else None
        key = self.field(obj, path, "key", v.as_key, default_key, required=False)
        if text is None or match_type is None or key is None:
            return None
        return Keyword(key=key, text=text, match_type=match_type)

    def ad(self, raw: Any, path: Path) -> Ad | None:
        obj = self.mapping(raw, path, AD_FIELDS)
        if obj is None:
            return None
        before = len(self.problems)
        key = self.field(obj, path, "key", v.as_key)
        name = self.field(obj, path, "name", v.as_name)
        status = self.status(obj, path)
        headline = self.field(obj, path, "headline", v.as_text)
        description = self.field(obj, path, "description", _description, "", required=False)
        final_url = self.field(obj, path, "final_url", v.as_url)
        display_url = self.field(
            obj, path, "display_url", lambda x: v.as_text(x, max_len=v.URL_MAX), required=False
        )
        cta = self.field(
            obj,
            path,
            "call_to_action",
            lambda x: v.as_enum(CallToAction, x),
            CallToAction.LEARN_MORE,
            required=False,
        )
        if display_url and final_url:
            reason = v.check_display_url(display_url, final_url)
            if reason:
                self.problem((*path, "display_url"), reason)
        if len(self.problems) > before:
            return None
        assert key and name and status and headline and final_url and cta
        return Ad(
            key=key,
            name=name,
            headline=headline,
            final_url=final_url,
            status=status,
            description=description or "",
            display_url=display_url,
            call_to_action=cta,
        )
