"""Which rate-limit policy each Ads API v3 operation draws from.

Reddit's OpenAPI document names each operation's policy (its "Policy Slug"); this table is
derived from it, with routes written as `ratelimit.route_key` writes them (ids as `{}`).
Routes of one policy share one budget: knowing that before a route's first answer lets its
first call wait for a spent policy instead of being sent as a probe that meets a 429. An
answer's `RateLimit-Policy` header still wins over the table. Three operations name no
policy and are learnt from their answers. `tests/platforms/reddit/test_policies.py` checks
the table against the document when it is present.
"""

from __future__ import annotations

_ROUTES_BY_POLICY: dict[str, tuple[str, ...]] = {
    "ads-business-manager": (
        "POST /ad_accounts/{}/history",
        "GET /ad_accounts/{}/profiles",
        "GET /businesses/{}",
        "PATCH /businesses/{}",
        "POST /businesses/{}/ad_accounts/query",
        "GET /businesses/{}/profiles",
        "GET /feature_access",
        "GET /industries",
        "GET /me",
        "GET /me/businesses",
        "GET /profiles/{}",
    ),
    "ads-campaign-management-read": (
        "GET /ad_accounts/{}",
        "GET /ad_accounts/{}/ad_groups",
        "GET /ad_accounts/{}/ads",
        "GET /ad_accounts/{}/apps",
        "GET /ad_accounts/{}/campaigns",
        "GET /ad_accounts/{}/saved_audiences",
        "GET /ad_groups/{}",
        "GET /ads/{}",
        "GET /businesses/{}/ad_accounts",
        "GET /campaigns/{}",
        "GET /saved_audiences/{}",
        "GET /time_zones",
    ),
    "ads-campaign-management-write": (
        "PATCH /ad_accounts/{}",
        "POST /ad_accounts/{}/ad_groups",
        "POST /ad_accounts/{}/ads",
        "POST /ad_accounts/{}/campaigns",
        "POST /ad_accounts/{}/saved_audiences",
        "PATCH /ad_groups/{}",
        "PATCH /ads/{}",
        "PATCH /campaigns/{}",
        "PATCH /saved_audiences/{}",
    ),
    "ads-conversion-signals": (
        "GET /ad_accounts/{}/pixels",
        "GET /apps/{}/last_fired_at_report",
        "GET /businesses/{}/pixels",
        "GET /pixels/{}/last_fired_at",
    ),
    "ads-creative-management": (
        "GET /creative_assets/{}",
        "GET /posts/{}",
        "PATCH /posts/{}",
        "GET /profiles/{}/posts",
        "POST /profiles/{}/posts",
        "GET /profiles/{}/structured_posts",
        "POST /profiles/{}/structured_posts/jobs",
        "GET /structured_posts/jobs/{}",
        "GET /structured_posts/{}",
        "PATCH /structured_posts/{}",
    ),
    "ads-custom-audience-ingestion": (
        "POST /ad_accounts/{}/custom_audiences",
        "DELETE /custom_audiences/{}",
        "PATCH /custom_audiences/{}/users",
    ),
    "ads-forecasting": (
        "GET /channel_planning/reach",
        "POST /forecasting/bid_suggestions",
    ),
    "ads-funding-instruments": (
        "GET /ad_accounts/{}/funding_instruments",
        "POST /businesses/{}/funding_instruments/query",
        "GET /funding_instruments/{}/allocations",
    ),
    "ads-keyword-suggestions": ("POST /targeting/keyword_suggestions",),
    "ads-leads": (
        "GET /ad_accounts/{}/lead_gen_forms",
        "POST /ad_accounts/{}/lead_gen_forms",
        "GET /lead_gen_forms/{}",
    ),
    "ads-privacy": (
        "POST /ad_accounts/{}/data_deletion_jobs",
        "GET /data_deletion_jobs/{}",
    ),
    "ads-product-catalog": (
        "GET /businesses/{}/product_catalogs",
        "POST /businesses/{}/product_catalogs",
        "GET /catalog_imports/{}/issues",
        "GET /catalog_imports/{}/report",
        "DELETE /product_catalogs/{}",
        "GET /product_catalogs/{}",
        "PATCH /product_catalogs/{}",
        "GET /product_catalogs/{}/catalog_imports",
        "GET /product_catalogs/{}/product_feeds",
        "POST /product_catalogs/{}/product_feeds",
        "GET /product_catalogs/{}/product_sets",
        "POST /product_catalogs/{}/product_sets",
        "GET /product_catalogs/{}/products",
        "DELETE /product_feeds/{}",
        "GET /product_feeds/{}",
        "PATCH /product_feeds/{}",
        "DELETE /product_sets/{}",
        "GET /product_sets/{}",
        "PATCH /product_sets/{}",
        "GET /product_sets/{}/products",
    ),
    "ads-product-catalog-batch": (
        "POST /product_catalogs/{}/products/batch_delete",
        "POST /product_catalogs/{}/products/batch_upsert",
    ),
    "ads-reporting": ("POST /ad_accounts/{}/reports",),
    "ads-targeting-taxonomy": (
        "GET /ad_accounts/{}/custom_audiences",
        "GET /custom_audiences/{}",
        "GET /targeting/carriers",
        "GET /targeting/communities",
        "GET /targeting/communities/search",
        "GET /targeting/communities/suggestions",
        "GET /targeting/devices",
        "GET /targeting/geolocations",
        "POST /targeting/geolocations_validations",
        "GET /targeting/interests",
        "POST /targeting/keyword_validations",
        "GET /targeting/languages",
        "GET /targeting/third_party_audiences",
    ),
}

# "POST /ad_accounts/{}/ad_groups" -> "ads-campaign-management-write"
ROUTE_POLICIES: dict[str, str] = {
    route: policy for policy, routes in _ROUTES_BY_POLICY.items() for route in routes
}
