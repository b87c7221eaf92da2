"""The automatic parity check of a strategy's ``signals`` against its own ``decide``.

The fast engine decides only the ticker-days ``signals`` marks as entry candidates (and
every held ticker). If ``decide`` would BUY on a day ``signals`` left out, the two engines
would diverge, so before a fast run a sample of ticker-days is decided in full, holding
nothing, with the same snapshot the engine builds; a missed BUY refuses the run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from swingdesk.backtest.data import Series
from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.enums import Action, DataSource
from swingdesk.domain.errors import InputError
from swingdesk.marketdata.snapshot import make_snapshot
from swingdesk.strategy.agent import ApiStrategy

#: Ticker-days decided in full per check (plus every candidate among them).
DEFAULT_SAMPLE = 2000


@dataclass(frozen=True, slots=True)
class ParityReport:
    """What the sample showed: decided days, BUYs, candidates, and the missed BUYs."""

    checked: int
    buys: int
    candidates: int
    missed: tuple[tuple[str, date], ...]

    @property
    def ok(self) -> bool:
        """Say whether every sampled BUY was a candidate."""
        return not self.missed


def check_parity(
    strategy: ApiStrategy,
    series: list[Series],
    sessions: list[date],
    calendar: TradingCalendar,
    *,
    sample: int = DEFAULT_SAMPLE,
    seed: int = 0,
    vix: Decimal | None = Decimal(15),
) -> ParityReport:
    """Decide a seeded sample of ticker-days in full; return which BUYs ``signals`` missed."""
    cells = [(i, d) for i in range(len(series)) for d in range(len(sessions))]
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    picked = cells if len(cells) <= sample else rng.sample(cells, sample)
    buys = candidates = 0
    missed: list[tuple[str, date]] = []
    for i, d in sorted(picked):
        s = series[i]
        end = int(s.ends[d])
        day = sessions[d]
        snap = make_snapshot(
            s.ticker, s.profile, s.figures(end), vix=vix, earnings=None,
            last_bar=s.last_bar(end), live=False,
            now=calendar.session_close(day) + timedelta(minutes=1),
            calendar=calendar, source=DataSource.CSV,
        )  # fmt: skip
        try:
            buy = strategy.decide(snap, None).action is Action.BUY
        except Exception:  # the agent turns a failure into a HOLD: not a BUY either
            buy = False
        buys += buy
        candidates += bool(s.candidate[d])
        if buy and not s.candidate[d]:
            missed.append((s.ticker, day))
    return ParityReport(len(picked), buys, candidates, tuple(missed))


def require_parity(report: ParityReport, name: str) -> None:
    """Raise InputError naming the first BUY ``signals`` missed."""
    if report.ok:
        return
    ticker, day = report.missed[0]
    raise InputError(
        f"strategy {name}: signals() has no entry on {ticker} {day} where decide() BUYs "
        f"({len(report.missed)} of {report.checked} sampled ticker-days); the fast engine "
        "would differ from the pipeline: fix signals() or remove it",
        details={"ticker": ticker, "date": day.isoformat(), "missed": len(report.missed)},
    )
