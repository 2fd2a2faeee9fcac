"""Public holidays per market (`marketing_intel.holidays`), the `markets` option every template
accepts, the `MI_MARKETS` setting that fills it, and its callers: `mi analyze --markets`, the
template nodes' Markets input and the bridge's insight read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

from bridge_api import create_app
from components.marketing_intel.analysis_templates import CampaignInsightsComponent
from marketing_intel.analysis import TEMPLATES, Window, template_options
from marketing_intel.analysis.cached import report_key
from marketing_intel.analysis_templates import template_spec
from marketing_intel.bridge import open_bridge
from marketing_intel.cli import app
from marketing_intel.config import ConfigError, Settings, load_settings
from marketing_intel.demo import DemoSpec, seed_lake
from marketing_intel.holidays import (
    Market,
    MarketError,
    holiday_note,
    parse_market,
    parse_markets,
    public_holidays,
)
from marketing_intel.lake import DuckDBLake
from marketing_intel.shared_instances import close_shared

D = dt.date
NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
WINDOW = Window(start=D(2026, 10, 23), end=D(2026, 11, 19))
runner = CliRunner()


# ---- the calendar ----------------------------------------------------------------------------


def test_known_holidays_of_single_markets() -> None:
    us = public_holidays(["US"], D(2026, 11, 1), D(2026, 11, 30))
    assert us[D(2026, 11, 26)] == "Thanksgiving Day (US)"
    assert D(2026, 11, 27) not in us  # the day after is California's, not the country's
    # The Dutch calendar in English, not in Dutch (Koningsdag).
    assert public_holidays(["NL"], D(2026, 4, 27), D(2026, 4, 27)) == {
        D(2026, 4, 27): "King's Day (NL)"
    }
    gb = public_holidays(["GB"], D(2026, 12, 20), D(2026, 12, 31))
    assert gb[D(2026, 12, 25)] == "Christmas Day (GB)"
    assert gb[D(2026, 12, 26)] == "Boxing Day (GB)"
    assert public_holidays(["GB"], D(2026, 6, 1), D(2026, 6, 30)) == {}


def test_a_subdivision_adds_its_own_holidays_to_the_countrys() -> None:
    spring = (D(2026, 3, 1), D(2026, 3, 31))
    assert D(2026, 3, 31) not in public_holidays(["US"], *spring)
    assert public_holidays(["US-CA"], *spring)[D(2026, 3, 31)] == "Cesar Chavez Day (US-CA)"
    november = public_holidays(["GB-SCT"], D(2026, 11, 1), D(2026, 11, 30))
    assert november == {D(2026, 11, 30): "Saint Andrew's Day (GB-SCT)"}
    assert public_holidays(["GB"], D(2026, 11, 1), D(2026, 11, 30)) == {}
    # The country's holidays hold in the subdivision too.
    assert public_holidays(["US-CA"], D(2026, 11, 26), D(2026, 11, 26)) == {
        D(2026, 11, 26): "Thanksgiving Day (US-CA)"
    }


def test_several_markets_merge_by_day_naming_each_market() -> None:
    merged = public_holidays(["US", "GB", "NL"], D(2026, 11, 20), D(2027, 1, 1))
    assert merged == {
        D(2026, 11, 26): "Thanksgiving Day (US)",
        D(2026, 12, 25): "Christmas Day (US, GB, NL)",
        D(2026, 12, 26): "Boxing Day (GB); Second Day of Christmas (NL)",
        D(2026, 12, 28): "Boxing Day (observed) (GB)",
        D(2027, 1, 1): "New Year's Day (US, GB, NL)",
    }
    assert list(merged) == sorted(merged)
    # Each market once, whatever the spelling; no markets, no holidays.
    assert public_holidays(["us", " US ", Market("US")], D(2026, 11, 26), D(2026, 11, 26)) == {
        D(2026, 11, 26): "Thanksgiving Day (US)"
    }
    assert public_holidays([], D(2026, 1, 1), D(2026, 12, 31)) == {}


def test_market_codes_parse_once_into_markets() -> None:
    assert parse_market(" gb-sct ") == Market("GB", "SCT")
    assert parse_market("GB-SCT").code == "GB-SCT" and str(Market("US")) == "US"
    assert parse_market("UK") == Market("GB")  # the package's alias becomes the ISO code
    assert parse_markets("US, gb,, US-CA,US") == (Market("US"), Market("GB"), Market("US", "CA"))
    assert parse_markets("") == ()


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("XX", "'XX' is no country the holiday calendar knows"),
        ("usa", "'usa' is not a market code"),
        ("U S", "not a market code"),
        ("US-ZZ", "US has no subdivision 'ZZ'; its subdivisions are AK, AL"),
        ("GB-XYZ", "ENG, NIR, SCT, WLS"),
    ],
)
def test_an_unknown_market_says_what_is_wrong_and_how_to_list_valid_codes(
    code: str, says: str
) -> None:
    with pytest.raises(MarketError, match="list_supported_countries") as raised:
        parse_market(code)
    assert says in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_a_range_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match=r"ends .* before it starts"):
        public_holidays(["US"], D(2026, 2, 1), D(2026, 1, 1))


def test_holiday_note_says_which_days_of_a_finding_are_holidays() -> None:
    calendar = public_holidays(["US", "US-CA"], D(2026, 11, 1), D(2026, 11, 30))
    assert holiday_note([D(2026, 11, 26)], calendar) == "on Thanksgiving Day (US, US-CA)"
    assert holiday_note([D(2026, 11, 25)], calendar) is None
    assert holiday_note([], calendar) is None
    days = [D(2026, 11, 27), D(2026, 11, 25), D(2026, 11, 26)]
    assert holiday_note(days, calendar) == (
        "includes Thanksgiving Day (US, US-CA) on 2026-11-26 and Day After Thanksgiving "
        "(US-CA) on 2026-11-27"
    )
    one_of_three = [D(2026, 11, 24), D(2026, 11, 25), D(2026, 11, 26)]
    assert holiday_note(one_of_three, calendar) == (
        "includes Thanksgiving Day (US, US-CA) on 2026-11-26"
    )


# ---- the option and the setting --------------------------------------------------------------


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_every_template_accepts_markets_as_a_list_or_text(template: str) -> None:
    options_model = template_spec(template).options_model
    assert options_model().markets == ()  # type: ignore[attr-defined]
    assert options_model(markets="us, GB-SCT").markets == ("US", "GB-SCT")  # type: ignore[attr-defined]
    assert options_model(markets=["NL"]).markets == ("NL",)  # type: ignore[attr-defined]
    with pytest.raises(ValidationError, match="'XX' is no country"):
        options_model(markets="US, XX")
    chosen = options_model(markets="US")
    november = (D(2026, 11, 1), D(2026, 11, 30))
    assert chosen.holidays(*november) == public_holidays(["US"], *november)  # type: ignore[attr-defined]
    assert options_model().holidays(*november) == {}  # type: ignore[attr-defined]
    with pytest.raises(ValidationError, match="a list of market codes or comma-separated"):
        options_model(markets=7)


def test_the_setting_fills_the_option_and_the_option_overrides_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert template_options("campaign_insights", None) == {}
    monkeypatch.setenv("MI_MARKETS", "US, gb")
    assert template_options("campaign_insights", None) == {"markets": ["US", "GB"]}
    assert template_options("roi_optimization", {"max_change": 0.2}) == {
        "max_change": 0.2,
        "markets": ["US", "GB"],
    }
    assert template_options("platform_events", {"markets": "nl"}) == {"markets": ["NL"]}
    # An empty list turns holiday handling off for one run.
    assert template_options("audience_trends", {"markets": []}) == {}
    # A bad option is left for the template's options model to explain.
    assert template_options("campaign_insights", {"markets": "XX"}) == {"markets": "XX"}


def test_a_bad_setting_names_mi_markets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MI_MARKETS", "US,Narnia")
    with pytest.raises(ConfigError, match="MI_MARKETS: Market 'Narnia' is not a market code"):
        load_settings()
    assert load_settings(markets="NL").analysis.markets == "NL"


@pytest.fixture
def seeded(lake: DuckDBLake) -> DuckDBLake:
    seed_lake(lake, DemoSpec(end_date=D(2026, 11, 19), tenants=1, days=35, campaigns=3))
    return lake


def test_the_cache_key_holds_the_effective_markets(
    seeded: DuckDBLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    def key(options: dict[str, object] | None) -> str:
        return report_key(seeded, "campaign_insights", "demo-1", WINDOW, options, NOW).digest

    none, us, us_gb = key(None), key({"markets": ["US"]}), key({"markets": "US,GB"})
    assert len({none, us, us_gb}) == 3
    assert key({"markets": "us , gb"}) == us_gb  # one spelling, one report
    assert key({"markets": []}) == none
    monkeypatch.setenv("MI_MARKETS", "US")
    # The setting is what the run uses, so the key is the explicit option's: a flow run with
    # the setting and a read that names the markets find each other.
    assert key(None) == us
    assert key({"markets": []}) == none


# ---- callers ---------------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """A small seeded demo lake under the settings' home (the CLI, nodes and bridge read it)."""
    home = tmp_path / ".mi"
    home.mkdir()
    today = dt.datetime.now(dt.UTC).date()
    lake = DuckDBLake(home / "lake.duckdb")
    seed_lake(lake, DemoSpec(end_date=today, tenants=1, days=21, scale=0.02, campaigns=3))
    lake.close()
    monkeypatch.setenv("MI_HOME", str(home))
    monkeypatch.setenv("MI_BRIDGE_FLUSH_IN_PROCESS", "false")
    yield load_settings()
    close_shared()


def test_mi_analyze_takes_markets_and_refuses_bad_ones(settings: Settings) -> None:
    analyze = ["analyze", "campaign_insights", "--tenant", "demo-1", "--days", "7", "--json"]
    accepted = runner.invoke(app, [*analyze, "--markets", "US,GB-SCT"])
    assert accepted.exit_code == 0, accepted.output
    assert '"template": "campaign_insights"' in accepted.stdout

    refused = runner.invoke(app, [*analyze, "--markets", "US,XX"])
    assert refused.exit_code == 1
    assert "'XX' is no country the holiday calendar knows" in refused.output
    assert "Traceback" not in refused.output

    twice = runner.invoke(app, [*analyze, "--markets", "US", "--option", "markets=GB"])
    assert twice.exit_code == 1 and "give the markets once" in twice.output


def test_the_node_markets_input_and_the_bridge_read_share_one_report(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marketing_intel.cache import InsightCacheHandle, shared_cache

    handle = InsightCacheHandle(shared_cache(settings), 300)
    node = CampaignInsightsComponent(tenant_id="demo-1", days=7, markets="us, gb")
    node.set(insight_cache=handle)
    from_node = node.build_report().data

    bridge = open_bridge(settings)
    try:
        key = bridge.api_keys.create("demo-1")[1]
    finally:
        bridge.close()
    headers = {"authorization": f"Bearer {key}"}
    insights = "/v1/insights/campaign_insights?days=7"
    with TestClient(create_app(settings)) as client:
        named = client.get(f"{insights}&markets=US,GB", headers=headers)
        other = client.get(f"{insights}&markets=NL", headers=headers)
        bad = client.get(f"{insights}&markets=XX", headers=headers)
        monkeypatch.setenv("MI_MARKETS", "US,GB")
        by_setting = client.get(insights, headers=headers)

    assert named.status_code == 200, named.text
    assert named.json()["source"] == "cache" and named.json()["report"] == from_node
    assert other.status_code == 404
    assert '"options": {"markets": ["NL"]}' in other.json()["error"]["message"]
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_markets"
    assert "list_supported_countries" in bad.json()["error"]["message"]
    assert by_setting.status_code == 200 and by_setting.json()["report"] == from_node

    both = CampaignInsightsComponent(tenant_id="demo-1", days=7, markets="US")
    both.set(options={"markets": ["GB"]})
    with pytest.raises(ValueError, match="Give the markets once"):
        both.build_report()
