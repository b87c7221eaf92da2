"""Where the Alpaca keys may travel: Alpaca's own hosts for each API, or a loopback test server."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from swingdesk.adapters.alpaca_broker import check_endpoint
from swingdesk.adapters.alpaca_data import AlpacaMarket
from swingdesk.config import load_settings
from swingdesk.domain.errors import ConfigurationError

#: URLs a user could type by mistake: each would receive the Alpaca key and secret.
NOT_ALPACA_DATA = [
    "https://data.example.com",
    "https://data.alpaca.markets.evil.example",
    "https://evil.example/data.alpaca.markets",
    "https://data.alpaca.markets@evil.example",
    "https://api.alpaca.markets",
    "https://paper-api.alpaca.markets",
    "http://data.alpaca.markets",
    "https://data.alpaca.markets:8443",
    "http://10.0.0.1:8080",
    "ftp://127.0.0.1",
    "data.alpaca.markets",
]
ALPACA_DATA = {
    "https://data.alpaca.markets": "https://data.alpaca.markets",
    "https://data.alpaca.markets/": "https://data.alpaca.markets",
    "https://DATA.alpaca.markets": "https://data.alpaca.markets",
    "https://data.sandbox.alpaca.markets": "https://data.sandbox.alpaca.markets",
    "http://127.0.0.1:8123": "http://127.0.0.1:8123",
    "https://localhost:9443/": "https://localhost:9443",
    "http://[::1]:8080": "http://[::1]:8080",
}


def market(url: str) -> AlpacaMarket:
    return AlpacaMarket(SecretStr("key"), SecretStr("secret"), base_url=url)


@pytest.mark.parametrize("url", NOT_ALPACA_DATA)
def test_load_settings_when_alpaca_data_url_is_not_alpaca_then_configuration_error(
    url: str,
) -> None:
    with pytest.raises(ConfigurationError, match="SWINGDESK_ALPACA_DATA_URL") as caught:
        load_settings(alpaca_data_url=url)
    assert "data.alpaca.markets" in caught.value.message
    assert "loopback" in caught.value.message


@pytest.mark.parametrize("url", NOT_ALPACA_DATA)
def test_alpaca_market_when_data_url_is_not_alpaca_then_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError, match="refusing Alpaca data URL"):
        market(url)


@pytest.mark.parametrize(("url", "normal"), ALPACA_DATA.items())
def test_alpaca_market_when_data_url_is_alpaca_or_loopback_then_accepted(
    url: str, normal: str
) -> None:
    assert load_settings(alpaca_data_url=url).alpaca_data_url == url
    assert market(url).base_url == normal


@pytest.mark.parametrize(
    "url", ["https://data.alpaca.markets", "https://api.alpaca.markets", "https://evil.example"]
)
def test_check_endpoint_when_trading_url_is_not_paper_then_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError, match="paper"):
        check_endpoint(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "https://localhost:8443"])
def test_check_endpoint_when_trading_url_is_loopback_then_accepted(url: str) -> None:
    assert check_endpoint(url) == url
