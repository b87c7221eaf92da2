"""Positions after fills, and the account arithmetic the risk desk relies on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from swingdesk.domain.enums import OrderSide, TradingState
from swingdesk.domain.portfolio import (
    PortfolioState,
    PositionState,
    apply_fill,
    position_after_fill,
)

NOW = datetime(2024, 6, 3, 15, 0, tzinfo=UTC)


def position(qty: int = 40, avg: str = "53", mark: str = "54") -> PositionState:
    """Return an AAPL position."""
    return PositionState(
        ticker="AAPL",
        qty=Decimal(qty),
        avg_price=Decimal(avg),
        market_price=Decimal(mark),
        sector="Tech",
        stop_price=Decimal("48"),
    )


def account(**overrides: object) -> PortfolioState:
    """Return cash 20,000 + AAPL 100 x 50 (cost 40) + MSFT 10 x 400 + XOM 20 x 100."""
    fields: dict[str, object] = {
        "cash": Decimal(20_000),
        "buying_power": Decimal(40_000),
        "high_water_mark": Decimal(32_000),
        "start_of_day_equity": Decimal(30_000),
        "positions": (
            PositionState(
                ticker="AAPL",
                qty=Decimal(100),
                avg_price=Decimal(40),
                market_price=Decimal(50),
                sector="Tech",
            ),
            PositionState(
                ticker="MSFT",
                qty=Decimal(10),
                avg_price=Decimal(420),
                market_price=Decimal(400),
                sector="Tech",
            ),
            PositionState(
                ticker="XOM",
                qty=Decimal(20),
                avg_price=Decimal(100),
                market_price=Decimal(100),
                sector="Energy",
            ),
        ),
        "as_of": NOW,
    }
    fields.update(overrides)
    return PortfolioState.model_validate(fields)


# --- apply_fill -------------------------------------------------------------------------------


def test_apply_fill_when_no_position_and_buy_then_opens_at_fill_price() -> None:
    opened = apply_fill(
        None,
        ticker="AAPL",
        side=OrderSide.BUY,
        qty=Decimal(10),
        price=Decimal(50),
        sector="Tech",
        stop_price=Decimal("47.50"),
    )
    assert opened is not None
    assert (opened.ticker, opened.qty, opened.avg_price, opened.market_price) == (
        "AAPL",
        Decimal(10),
        Decimal(50),
        Decimal(50),
    )
    assert (opened.sector, opened.stop_price) == ("Tech", Decimal("47.50"))


def test_apply_fill_when_adding_then_average_price_is_volume_weighted() -> None:
    # 10 @ 50 + 30 @ 54 = (500 + 1,620) / 40 = 53.00
    start = apply_fill(
        None,
        ticker="AAPL",
        side=OrderSide.BUY,
        qty=Decimal(10),
        price=Decimal(50),
        sector="Tech",
        stop_price=Decimal(45),
    )
    added = apply_fill(
        start,
        ticker="AAPL",
        side=OrderSide.BUY,
        qty=Decimal(30),
        price=Decimal(54),
        sector="Tech",
    )
    assert added is not None
    assert (added.qty, added.avg_price, added.market_price) == (
        Decimal(40),
        Decimal(53),
        Decimal(54),
    )
    assert added.stop_price == Decimal(45)  # no new stop: the old one stays


def test_apply_fill_when_adding_with_new_stop_then_stop_replaced() -> None:
    added = apply_fill(
        position(),
        ticker="AAPL",
        side=OrderSide.BUY,
        qty=Decimal(1),
        price=Decimal(55),
        sector="Tech",
        stop_price=Decimal("50.10"),
    )
    assert added is not None
    assert added.stop_price == Decimal("50.10")


def test_apply_fill_when_partial_close_then_quantity_falls_and_cost_stays() -> None:
    # 40 held @ avg 53, sell 15 @ 60 -> 25 left, avg still 53, marked at 60
    left = apply_fill(
        position(),
        ticker="AAPL",
        side=OrderSide.SELL,
        qty=Decimal(15),
        price=Decimal(60),
        sector="Tech",
    )
    assert left is not None
    assert (left.qty, left.avg_price, left.market_price) == (Decimal(25), Decimal(53), Decimal(60))


def test_apply_fill_when_full_close_then_none() -> None:
    closed = apply_fill(
        position(),
        ticker="AAPL",
        side=OrderSide.SELL,
        qty=Decimal(40),
        price=Decimal(60),
        sector="Tech",
    )
    assert closed is None


def test_apply_fill_when_selling_more_than_held_then_raises() -> None:
    with pytest.raises(ValueError, match="exceeds the 40 shares held"):
        apply_fill(
            position(),
            ticker="AAPL",
            side=OrderSide.SELL,
            qty=Decimal(41),
            price=Decimal(60),
            sector="Tech",
        )


def test_apply_fill_when_selling_without_position_then_raises() -> None:
    with pytest.raises(ValueError, match="exceeds the 0 shares"):
        apply_fill(
            None,
            ticker="AAPL",
            side=OrderSide.SELL,
            qty=Decimal(1),
            price=Decimal(60),
            sector="Tech",
        )


@pytest.mark.parametrize(("qty", "price"), [(0, 50), (-1, 50), (10, 0), (10, -1)])
def test_apply_fill_when_qty_or_price_not_positive_then_raises(qty: int, price: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        apply_fill(
            None,
            ticker="AAPL",
            side=OrderSide.BUY,
            qty=Decimal(qty),
            price=Decimal(price),
            sector=None,
        )


# --- PositionState ----------------------------------------------------------------------------


def test_position_when_marked_then_value_cost_and_pnl_follow() -> None:
    # 40 x 54 = 2,160 value; 40 x 53 = 2,120 cost; +40 open P&L
    p = position()
    assert (p.market_value, p.cost_basis, p.unrealized_pnl) == (
        Decimal(2160),
        Decimal(2120),
        Decimal(40),
    )


# --- PortfolioState arithmetic -------------------------------------------------------------------


def test_equity_when_positions_held_then_cash_plus_market_value() -> None:
    # 20,000 + 100 x 50 + 10 x 400 + 20 x 100 = 20,000 + 5,000 + 4,000 + 2,000 = 31,000
    acct = account()
    assert acct.positions_value == Decimal(11_000)
    assert acct.equity == Decimal(31_000)


def test_equity_when_cash_negative_then_margin_reduces_equity() -> None:
    assert account(cash=Decimal(-1000)).equity == Decimal(10_000)


def test_drawdown_when_below_high_water_mark_then_fraction_of_mark() -> None:
    # (32,000 - 31,000) / 32,000 = 0.03125
    assert account().drawdown_pct == Decimal("0.03125")


def test_drawdown_when_above_high_water_mark_then_zero() -> None:
    assert account(high_water_mark=Decimal(30_000)).drawdown_pct == Decimal(0)


def test_drawdown_when_no_high_water_mark_then_zero() -> None:
    assert account(high_water_mark=Decimal(0)).drawdown_pct == Decimal(0)


def test_day_loss_when_down_on_the_day_then_fraction_of_start() -> None:
    # start 32,000, now 31,000: P&L -1,000; loss 1,000 / 32,000 = 0.03125
    acct = account(start_of_day_equity=Decimal(32_000))
    assert acct.day_pnl == Decimal(-1000)
    assert acct.day_loss_pct == Decimal("0.03125")


def test_day_loss_when_up_on_the_day_then_zero() -> None:
    acct = account()  # start 30,000, now 31,000
    assert acct.day_pnl == Decimal(1000)
    assert acct.day_loss_pct == Decimal(0)


def test_day_loss_when_start_of_day_unknown_then_zero() -> None:
    assert account(start_of_day_equity=Decimal(0)).day_loss_pct == Decimal(0)


def test_sector_exposure_when_several_sectors_then_sums_only_that_sector() -> None:
    acct = account()
    assert acct.sector_exposure("Tech") == Decimal(9000)
    assert acct.sector_exposure("Energy") == Decimal(2000)
    assert acct.sector_exposure("Utilities") == Decimal(0)


def test_position_when_ticker_held_then_found_else_none() -> None:
    acct = account()
    msft = acct.position("MSFT")
    assert msft is not None
    assert msft.qty == Decimal(10)
    assert acct.position("NVDA") is None


def test_last_order_when_recorded_in_new_york_time_then_returned_in_utc() -> None:
    new_york = timezone(timedelta(hours=-4))
    at = datetime(2024, 6, 3, 11, 0, tzinfo=new_york)
    acct = account(last_order_at={"AAPL": at})
    recorded = acct.last_order("AAPL")
    assert recorded == at
    assert recorded is not None
    assert (recorded.tzinfo, recorded.hour) == (UTC, 15)
    assert acct.last_order("MSFT") is None


def test_portfolio_when_defaults_used_then_active_with_no_positions() -> None:
    acct = PortfolioState(
        cash=Decimal(1),
        buying_power=Decimal(1),
        high_water_mark=Decimal(1),
        start_of_day_equity=Decimal(1),
        as_of=NOW,
    )
    assert acct.trading_state is TradingState.ACTIVE
    assert acct.positions == ()
    assert acct.equity == Decimal(1)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("buying_power", Decimal(-1)),
        ("high_water_mark", Decimal(-1)),
        ("start_of_day_equity", Decimal(-1)),
        ("cash", float("nan")),
        ("cash", "Infinity"),
        ("as_of", datetime(2024, 6, 3, 15, 0)),  # noqa: DTZ001 - naive on purpose
    ],
)
def test_portfolio_when_field_invalid_then_rejected(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        account(**{field: value})


def test_portfolio_when_assigned_then_frozen() -> None:
    acct = account()
    with pytest.raises(ValidationError):
        acct.cash = Decimal(0)  # type: ignore[misc]


def test_position_after_fill_when_sell_exceeds_position_then_closed_and_excess_returned() -> None:
    held = PositionState(
        ticker="AAPL", qty=Decimal(10), avg_price=Decimal(100), market_price=Decimal(100)
    )
    after, beyond = position_after_fill(
        held, ticker="AAPL", side=OrderSide.SELL, qty=Decimal(15), price=Decimal(101), sector=None
    )
    assert (after, beyond) == (None, Decimal(5))
    # Nothing held at all: the whole sell is beyond, and no short is ever made.
    assert position_after_fill(
        None, ticker="AAPL", side=OrderSide.SELL, qty=Decimal(3), price=Decimal(1), sector=None
    ) == (None, Decimal(3))


def test_position_after_fill_when_within_position_then_as_apply_fill_with_nothing_beyond() -> None:
    held = PositionState(
        ticker="AAPL", qty=Decimal(10), avg_price=Decimal(100), market_price=Decimal(100)
    )
    for side, qty in ((OrderSide.SELL, Decimal(4)), (OrderSide.BUY, Decimal(6))):
        after, beyond = position_after_fill(
            held, ticker="AAPL", side=side, qty=qty, price=Decimal(102), sector="Tech"
        )
        expected = apply_fill(
            held, ticker="AAPL", side=side, qty=qty, price=Decimal(102), sector="Tech"
        )
        assert (after, beyond) == (expected, Decimal(0))
