"""The trailing-stop rule on daily bars: the stop only rises, fills never above the open."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from swingdesk.domain.trailing import TrailSpec, trailing_bar_step

PRICES = st.decimals(min_value=Decimal(1), max_value=Decimal(1000), places=2)


def test_level_when_percent_then_rounded_up_to_the_cent() -> None:
    assert TrailSpec(pct=Decimal("0.07")).level(Decimal("101.01")) == Decimal("93.94")  # 93.9393 up


def test_level_when_trail_price_exceeds_mark_then_one_cent() -> None:
    assert TrailSpec(price=Decimal(5)).level(Decimal(3)) == Decimal("0.01")


@pytest.mark.parametrize(
    ("pct", "price"), [(None, None), (Decimal("0.1"), Decimal(1)), (Decimal(1), None)]
)
def test_spec_when_not_exactly_one_valid_trail_then_refused(
    pct: Decimal | None, price: Decimal | None
) -> None:
    with pytest.raises(ValueError, match="trail"):
        TrailSpec(pct, price)


@given(
    mark=PRICES,
    bars=st.lists(st.tuples(PRICES, PRICES, PRICES), min_size=1, max_size=30),
    pct=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("0.5"), places=2),
)
def test_step_when_any_bars_then_stop_never_falls_and_fill_at_most_open(
    mark: Decimal, bars: list[tuple[Decimal, Decimal, Decimal]], pct: Decimal
) -> None:
    spec = TrailSpec(pct=pct)
    stop = spec.level(mark)
    for a, b, c in bars:
        low, high = min(a, b, c), max(a, b, c)
        bar_open = sorted((a, b, c))[1]
        step = trailing_bar_step(spec, mark, bar_open, low, high, Decimal(0))
        assert step.stop >= stop
        assert step.hwm >= mark
        if step.fill is not None:
            assert step.fill <= bar_open
            assert step.fill <= step.stop
            assert low <= step.stop
            break
        assert low > spec.level(max(mark, bar_open))  # not hit: the low stayed above
        mark, stop = step.hwm, step.stop
