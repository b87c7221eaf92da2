"""The simulated broker's fill prices, shared by the broker and the fast backtest engine."""

from __future__ import annotations

from decimal import Decimal

from swingdesk.adapters.simulated_broker import bar_stop_fill, market_fill_price
from swingdesk.domain.enums import OrderSide

SLIP = Decimal("0.0005")


def test_market_fill_when_buy_or_sell_then_slippage_against_us_rounded_to_4dp() -> None:
    assert market_fill_price(Decimal("100.01"), OrderSide.BUY, SLIP) == Decimal("100.0600")
    assert market_fill_price(Decimal("100.01"), OrderSide.SELL, SLIP) == Decimal("99.9600")


def test_bar_stop_when_low_stays_above_then_no_fill() -> None:
    assert bar_stop_fill(Decimal(105), Decimal("95.01"), Decimal(95), SLIP) is None


def test_bar_stop_when_low_touches_then_fills_at_stop_less_slippage() -> None:
    assert bar_stop_fill(Decimal(105), Decimal(95), Decimal(95), SLIP) == Decimal("94.9525")


def test_bar_stop_when_gap_below_then_fills_at_open_less_slippage() -> None:
    assert bar_stop_fill(Decimal(80), Decimal(78), Decimal(95), SLIP) == Decimal("79.9600")
