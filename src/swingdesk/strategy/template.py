"""What ``swingdesk strategy new NAME`` writes: a documented strategy and its test."""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from swingdesk.domain.errors import InputError

_MODULE = '''"""{title}: a swingdesk strategy (see swingdesk.strategy.api).

Run it:      swingdesk backtest --data DIR --universe all --start ... --end ... \\
                 --strategy {module}.py:{cls}
Check it:    swingdesk strategy check --strategy {module}.py:{cls} --data DIR
Tune it:     swingdesk optimize --strategy {module}.py:{cls} --data DIR ...
Run it live: SWINGDESK_STRATEGY={module}:{cls} swingdesk trigger AAPL

Whatever it proposes, the risk desk sizes it and may deny it; nothing here reaches a broker.
"""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from swingdesk.domain.enums import Action
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PositionState
from swingdesk.strategy.api import Param, Proposal, StrategyParams, SwingStrategy


class {cls}(SwingStrategy):
    """Buy when the price closes a margin above its SMA-50; sell when it closes below it."""

    # Labels every decision (the "model" of a signal).
    name: ClassVar[str] = "{module}-v1"
    # Declared parameters: type, default and the range `swingdesk optimize` searches.
    parameters: ClassVar[tuple[Param, ...]] = (
        Param("margin_atr", "float", 0.5, low=0.0, high=3.0,
              help="entry needs the price this many ATR-14 above the SMA-50"),
        Param("confidence", "float", 0.7, low=0.6, high=1.0, optimize=False,
              help="confidence of a BUY or SELL (the risk desk's minimum is 0.6)"),
    )
    # Bars of history signals() needs before its values stop changing (SMA-50 + ATR-14).
    warmup_bars: ClassVar[int] = 60

    def decide(
        self, snapshot: MarketSnapshot, position: PositionState | None, params: StrategyParams
    ) -> Proposal:
        """Propose BUY, SELL or HOLD for one ticker (position is None when flat)."""
        s = snapshot
        inputs = {{"price": str(s.price), "sma_50": str(s.sma_50), "atr_14": str(s.atr_14)}}
        if s.price is None or s.sma_50 is None or s.atr_14 is None:
            return Proposal(Action.HOLD, 0.0, "missing data", inputs, "MISSING_DATA")
        price, sma, atr = float(s.price), float(s.sma_50), float(s.atr_14)
        if position is None and price > sma + params["margin_atr"] * atr:
            return Proposal(Action.BUY, params["confidence"], "price above SMA-50", inputs)
        if position is not None and price < sma:
            return Proposal(Action.SELL, params["confidence"], "price below SMA-50", inputs)
        return Proposal(Action.HOLD, 0.5, "no setup", inputs)

    def signals(self, frame: pd.DataFrame, params: StrategyParams) -> pd.DataFrame:
        """Return per-bar entry candidates (a superset of decide's BUYs) and indicators.

        Use only rows up to each bar (rolling windows, shift(+n)); never shift(-n) or
        whole-column statistics, or `swingdesk strategy check` reports look-ahead.
        """
        level = frame["sma_50"] + params["margin_atr"] * frame["atr_14"]
        # A small margin covers the rounding of the snapshot's figures.
        return pd.DataFrame({{"level": level, "entry": frame["close"] > level - 1e-3}})
'''

_TEST = '''"""Tests of {cls}: its decisions, and that its signals do not peek."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pandas as pd

from swingdesk.domain.enums import Action, DataSource
from swingdesk.domain.market import MarketSnapshot
from swingdesk.strategy.api import resolve_params
from swingdesk.strategy.check import check_strategy
from {module} import {cls}


def _snapshot(price: str, sma_50: str, atr: str) -> MarketSnapshot:
    return MarketSnapshot(
        ticker="TEST", price=Decimal(price), sma_50=Decimal(sma_50), atr_14=Decimal(atr),
        as_of=datetime(2024, 1, 2, 21, tzinfo=UTC), source=DataSource.CSV,
    )


def test_decide_when_price_far_above_sma_then_buy() -> None:
    params = resolve_params({cls})
    proposal = {cls}().decide(_snapshot("110", "100", "2"), None, params)
    assert proposal.action is Action.BUY


def test_check_when_random_walk_then_no_lookahead() -> None:
    rng = np.random.default_rng(1)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 400)))
    frame = pd.DataFrame(
        {{"open": close, "high": close * 1.01, "low": close * 0.99, "close": close,
          "volume": 1e6}},
        index=pd.bdate_range("2020-01-01", periods=400),
    )
    report = check_strategy({cls}(), resolve_params({cls}), {{"TEST": frame}})
    assert report.ok, report.lines()
'''


def write_template(name: str, directory: Path) -> tuple[Path, Path]:
    """Write ``NAME.py`` (the strategy) and ``test_NAME.py`` into ``directory``."""
    module = re.sub(r"\W", "_", name.strip().lower())
    if not module or not module.isidentifier() or keyword.iskeyword(module):
        raise InputError(f"strategy name {name!r} is not a usable Python module name")
    cls = "".join(part.capitalize() for part in module.split("_") if part) + "Strategy"
    source, test = directory / f"{module}.py", directory / f"test_{module}.py"
    for path in (source, test):
        if path.exists():
            raise InputError(f"{path} already exists; not overwriting it")
    title = module.replace("_", " ").capitalize()
    directory.mkdir(parents=True, exist_ok=True)
    source.write_text(_MODULE.format(title=title, module=module, cls=cls), encoding="utf-8")
    test.write_text(_TEST.format(module=module, cls=cls), encoding="utf-8")
    return source, test
