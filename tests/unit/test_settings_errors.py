"""A bad setting is reported in one line naming the variable to fix, never echoing its value."""

from __future__ import annotations

import pytest

from swingdesk.config import load_settings
from swingdesk.domain.errors import ConfigurationError


def test_load_settings_when_values_are_invalid_then_one_line_naming_each_variable() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(port="eighty", profile="live", api_key=12345)
    message = caught.value.message
    assert "\n" not in message
    assert message.startswith("invalid configuration: ")
    for variable in ("SWINGDESK_PORT", "SWINGDESK_PROFILE", "APP_API_KEY"):
        assert f"{variable}: " in message
    assert "eighty" not in message
    assert "12345" not in message
    assert "pydantic.dev" not in message


def test_load_settings_when_a_pair_is_refused_then_the_reason_alone() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(market_provider="csv", broker="alpaca")
    assert caught.value.message == (
        "invalid configuration: refusing to pair csv prices with the Alpaca broker: "
        "orders would be sized on prices the broker does not trade at"
    )
