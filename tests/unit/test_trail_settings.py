"""The trailing-stop settings: off by default, one kind of trail at most, wired as a TrailSpec."""

from __future__ import annotations

from decimal import Decimal

import pytest

from swingdesk.config import load_settings
from swingdesk.domain.errors import ConfigurationError
from swingdesk.domain.trailing import TrailSpec


def test_settings_when_no_trail_set_then_fixed_stops() -> None:
    assert load_settings().trail_spec() is None


def test_settings_when_trail_pct_set_then_spec_trails_by_fraction() -> None:
    settings = load_settings(protection_trail_pct="0.06")
    assert settings.trail_spec() == TrailSpec(pct=Decimal("0.06"))


def test_settings_when_both_trails_set_then_refused_naming_both() -> None:
    with pytest.raises(ConfigurationError, match="protection_trail_pct or protection_trail_price"):
        load_settings(protection_trail_pct="0.06", protection_trail_price_usd="2")


@pytest.mark.parametrize("value", ["0", "1", "-0.1"])
def test_settings_when_trail_pct_out_of_range_then_refused(value: str) -> None:
    with pytest.raises(ConfigurationError, match="SWINGDESK_PROTECTION_TRAIL_PCT"):
        load_settings(protection_trail_pct=value)
