"""``make_snapshot(trusted=True)`` skips the model's validators; the snapshot must not change.

The backtest engine builds snapshots this way. Over random figures (NaN, missing values,
failed provider answers, negative day changes) both paths must give equal snapshots with the
same fields-set and field order, and a value validation refuses must still be refused.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.enums import DataSource
from swingdesk.domain.errors import TemporaryError
from swingdesk.domain.market import MarketSnapshot
from swingdesk.marketdata.snapshot import Figures, make_snapshot
from swingdesk.ports import TickerProfile

CAL = TradingCalendar(start=date(2020, 1, 1))
NOW = datetime(2024, 6, 3, 20, 1, tzinfo=UTC)
PROFILE = TickerProfile(ticker="AAPL", name="Apple", sector="Tech")


def _value(rng: random.Random, scale: float) -> float | None:
    roll = rng.random()
    if roll < 0.05:
        return None
    if roll < 0.1:
        return math.nan
    return rng.uniform(0.0, scale)


def _both(figures: Figures, now: datetime = NOW, **kw: object) -> tuple[MarketSnapshot, ...]:
    args: dict[str, object] = {
        "vix": 17.25, "earnings": date(2024, 6, 20), "last_bar": date(2024, 6, 3),
        "live": False, "now": now, "calendar": CAL, "source": DataSource.CSV,
    } | kw  # fmt: skip
    return tuple(
        make_snapshot("AAPL", PROFILE, figures, trusted=t, **args)  # type: ignore[arg-type]
        for t in (False, True)
    )


def test_make_snapshot_when_trusted_then_equal_to_validated() -> None:
    rng = random.Random(8)
    for _ in range(500):
        values = [_value(rng, 500.0) for _ in range(7)] + [_value(rng, 1e7), _value(rng, 1e7)]
        figures = Figures(*values)
        earnings = rng.choice([date(2024, 6, 20), None, TemporaryError("unknown")])
        vix = rng.choice([17.25, None, TemporaryError("down")])
        plain, fast = _both(figures, earnings=earnings, vix=vix)
        assert fast == plain
        assert fast.model_fields_set == plain.model_fields_set
        assert list(fast.__dict__) == list(plain.__dict__)
        assert fast.model_dump_json() == plain.model_dump_json()


def test_make_snapshot_when_as_of_not_utc_then_normalised_as_validated() -> None:
    eastern = NOW.astimezone(timezone(timedelta(hours=-4)))
    plain, fast = _both(Figures(100.0, 99.0, 2.0, 98.0, 95.0, 97.0, 94.0, 1e6, 9e5), eastern)
    assert fast == plain
    assert fast.as_of.tzinfo is UTC


def test_make_snapshot_when_negative_volume_then_still_refused() -> None:
    figures = Figures(100.0, 99.0, 2.0, 98.0, 95.0, 97.0, 94.0, 1e6, -5.0)
    with pytest.raises(ValidationError):
        make_snapshot(
            "AAPL", PROFILE, figures, vix=17.0, earnings=None, last_bar=date(2024, 6, 3),
            live=False, now=NOW, calendar=CAL, source=DataSource.CSV, trusted=True,
        )  # fmt: skip


def test_trusted_when_fields_missing_then_validated_with_defaults() -> None:
    snap = MarketSnapshot.trusted(ticker="AAPL", price=None, as_of=NOW, source=DataSource.CSV)
    assert snap == MarketSnapshot(ticker="AAPL", price=None, as_of=NOW, source=DataSource.CSV)
