"""The market stage of risk, screened for a whole run at once.

Over the shared S&P 500 data the rule analyst gives about 110,000 BUY signals in five years,
and about 108,000 of them are denied at the market stage (``risk.stages``), most for an
unknown earnings date. Such a denial cannot change the account, and it is counted under
market-stage codes only, which depend on the data alone. So the fast engine asks this screen
which candidates are surely such denials, and with which codes, and builds the snapshot,
signal and verdict only for the others.

"Surely" is meant literally. A ticker-day is screened only when the rule analyst, holding
nothing, surely BUYs (``data.sure_buys``), every figure the market checks read rounds to a
usable value, the 20-day volume is more than a share away from the limit, and at least one
market check fails. The earnings date, its distance in sessions and the staleness come from
the provider's and the calendar's own code. The desk stage passes on every evening the
engine decides entries (ACTIVE, ``assess_account`` clear, and pending entries leave equity
unchanged), so the market stage is the first to fail. A test runs the whole shared history
with and without the screen and requires identical results.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from swingdesk.adapters.csv_market import NO_KNOWN_REPORT, CsvMarket
from swingdesk.backtest.data import Mask, Series
from swingdesk.domain.calendar import TradingCalendar
from swingdesk.risk.codes import RiskCode
from swingdesk.risk.limits import RiskLimits

Fails = npt.NDArray[np.uint8]

# One bit per market check; a screened ticker-day fails at least one.
_DATA, _ADV, _EARNINGS, _VIX = 1, 2, 4, 8
_CODES = (
    (_DATA, RiskCode.MARKET_DATA.value),
    (_ADV, RiskCode.ADV_LIQUIDITY.value),
    (_EARNINGS, RiskCode.EARNINGS_BLACKOUT.value),
    (_VIX, RiskCode.VIX_GATE.value),
)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@dataclass(frozen=True, slots=True)
class MarketScreen:
    """Per ticker and session: surely screened (but for the VIX), and the checks that fail."""

    sure: Mask
    fails: Fails
    limits: RiskLimits

    @classmethod
    def build(
        cls,
        series: list[Series],
        provider: CsvMarket,
        calendar: TradingCalendar,
        limits: RiskLimits,
        sessions: list[date],
    ) -> MarketScreen:
        """Work out the screen of every ticker over ``sessions`` (the run's, in order)."""
        days = np.array([d.toordinal() - _EPOCH_ORDINAL for d in sessions], dtype=np.int64)
        sure = np.zeros((len(series), len(sessions)), dtype=np.bool_)
        fails = np.zeros((len(series), len(sessions)), dtype=np.uint8)
        min_adv = float(limits.min_adv_shares)
        for i, s in enumerate(series):
            if not s.sure_buy.any():
                continue
            newest = np.maximum(s.ends - 1, 0)
            adv, volume = s.adv_20[newest], s.bars.volume[newest]
            with np.errstate(invalid="ignore"):
                # The snapshot rounds ADV-20 to whole shares: a share's margin settles it.
                adv_fails, adv_passes = adv <= min_adv - 1, adv >= min_adv + 1
                ok = s.sure_buy & (adv_fails | adv_passes) & np.isfinite(volume) & (volume >= 0)
            bits = np.where(adv_fails, _ADV, 0).astype(np.uint8)
            # Stale: the newest bar is older than the session just closed.
            bits |= np.where(s.bars.days[newest] != days, _DATA, 0).astype(np.uint8)
            if not s.profile.sector:
                bits |= _DATA
            report = provider.next_earnings_days(s.ticker, days)
            unknown = report == NO_KNOWN_REPORT
            if not limits.allow_unknown_earnings:
                bits |= np.where(unknown, _DATA | _EARNINGS, 0).astype(np.uint8)
            known = np.flatnonzero(ok & ~unknown)
            if known.size:
                until = _trading_days_until(calendar, sessions, days[known], report[known])
                bits[known[until <= limits.earnings_blackout_days]] |= _EARNINGS
            sure[i], fails[i] = ok, bits
        return cls(sure, fails, limits)

    def stopped(self, d: int, vix: Decimal | None) -> tuple[npt.NDArray[np.int64], Fails]:
        """Return the tickers surely denied at the market stage on session ``d``, and the
        checks each fails; ``vix`` is the snapshot's rounded VIX (None when unknown)."""
        unknown_vix = _DATA | _VIX  # the data check names it missing, the gate fails closed
        with_vix = unknown_vix if vix is None else _VIX if vix > self.limits.max_vix else 0
        fails = self.fails[:, d] | np.uint8(with_vix)
        picked = np.flatnonzero(self.sure[:, d] & (fails != 0))
        return picked, fails[picked]


def _trading_days_until(
    calendar: TradingCalendar,
    sessions: list[date],
    today: npt.NDArray[np.int64],
    target: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """Return ``calendar.trading_days_until`` of each (today, target) pair of day numbers.

    The same count (sessions after ``today`` through ``target``, negative when ``target`` is
    earlier), read from the schedule the calendar extends to cover the latest date, as it
    would have extended asking one pair at a time.
    """
    latest = date.fromordinal(int(target.max()) + _EPOCH_ORDINAL)
    sched = calendar.ensure_covers(max(latest, sessions[-1]))
    calendar.ensure_covers(sessions[0])
    earliest = date.fromordinal(int(target.min()) + _EPOCH_ORDINAL)
    calendar.ensure_covers(earliest)  # one before the start raises, as the calendar does
    after_today = sched.days.searchsorted(today, side="right")
    through_target = sched.days.searchsorted(target, side="right")
    return np.asarray(through_target - after_today, dtype=np.int64)


def market_codes(fails: Fails) -> Counter[str]:
    """Count screened denials under each market check they fail (as ``stopping_codes`` does)."""
    counts: Counter[str] = Counter()
    for bit, code in _CODES:
        n = int(np.count_nonzero(fails & bit))
        if n:
            counts[code] = n
    return counts
