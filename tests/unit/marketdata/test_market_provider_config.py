"""Choosing the market provider from Settings (bootstrap) and the unsafe-pair refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from swingdesk.adapters import yahoo_market
from swingdesk.adapters.csv_market import CsvMarket
from swingdesk.adapters.yahoo_market import YahooMarket
from swingdesk.bootstrap import _market_provider
from swingdesk.config import Settings, load_settings
from swingdesk.domain.errors import ConfigurationError


def test_provider_when_csv_with_dir_then_csv_market(tmp_path: Path) -> None:
    (tmp_path / "AAA.csv").write_text("date,open,high,low,close,volume\n2024-11-25,1,2,1,2,5\n")
    settings = Settings(market_provider="csv", csv_dir=tmp_path)
    assert isinstance(_market_provider(settings), CsvMarket)


def test_provider_when_csv_without_dir_then_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="SWINGDESK_CSV_DIR"):
        _market_provider(Settings(market_provider="csv"))


def test_provider_when_yahoo_then_yahoo_market_with_configured_ttl() -> None:
    before = yahoo_market.CACHE.ttl_s
    try:
        provider = _market_provider(Settings(market_provider="yahoo", yahoo_cache_ttl_s=15))
        assert isinstance(provider, YahooMarket)
        assert yahoo_market.CACHE.ttl_s == 15
    finally:
        yahoo_market.CACHE.ttl_s = before


@pytest.mark.parametrize("prices", ["csv", "simulated"])
def test_settings_when_offline_prices_with_alpaca_broker_then_refused(prices: str) -> None:
    with pytest.raises(ConfigurationError, match="refusing to pair"):
        load_settings(market_provider=prices, broker="alpaca")
