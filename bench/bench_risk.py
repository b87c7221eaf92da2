"""Risk desk latency: one full ``RiskManager.evaluate_signal`` per random, valid case.

Builds N cases up front from a seeded numpy RNG (BUY and SELL signals, ACTIVE / REDUCING /
HALTED desks, portfolios of 0-15 positions, prices, ATR-14, ADV, VIX, earnings, cooldowns),
then times only ``evaluate_signal`` with ``time.perf_counter_ns``. Target: median <= 25 us.

Measured 2026-12-04 on the shared two-core machine (Python 3.11.7, 100,000 cases, the default
seed), before and after issue 13's changes, run back to back twice: median 25.3 and 25.2 us
before (BUY 26.7 / 26.5, SELL 15.3 / 15.3), 23.5 and 23.3 us after (BUY 24.7 / 24.5, SELL
14.0 / 14.0). On this machine the figures move by a microsecond or more with its load.
Again at load ~1 with the tree before the issue's last passes (f0337c6): 25.6 us before;
23.7, 26.3 and 23.3 us after (the 26.3 run was disturbed: its p90 was 48 us against 27).

    .venv/bin/python bench/bench_risk.py [--cases 100000] [--out bench/results/risk.json]
"""

from __future__ import annotations

import argparse
import gc
import platform
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import numpy as np

from _common import RESULTS, summary, write
from swingdesk.domain.enums import Action, DataSource, TradingState
from swingdesk.domain.events import RiskApproved, SignalCreated
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PortfolioState, PositionState
from swingdesk.risk import RiskLimits, RiskManager

TARGET_MEDIAN_US = 25
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
SECTORS = (
    "Information Technology",
    "Health Care",
    "Financials",
    "Consumer Discretionary",
    "Communication Services",
    "Industrials",
    "Consumer Staples",
    "Energy",
    "Utilities",
    "Real Estate",
    "Materials",
)
STATES = (TradingState.ACTIVE, TradingState.REDUCING, TradingState.HALTED)
OPTIONAL_GAPS = ("atr_14", "adv_20", "vix", "next_earnings")


@dataclass(frozen=True, slots=True)
class Case:
    """One prepared evaluation."""

    signal: SignalCreated
    portfolio: PortfolioState
    market: MarketSnapshot


def _tickers(rng: np.random.Generator, n: int) -> list[str]:
    """Return ``n`` distinct made-up tickers of 2-4 letters."""
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    seen: set[str] = set()
    while len(seen) < n:
        seen.add("".join(rng.choice(letters, size=int(rng.integers(2, 5)))))
    return sorted(seen)


def _money(x: float) -> Decimal:
    """Return a float as a Decimal rounded to the cent."""
    return Decimal(f"{x:.2f}")


def build_cases(n: int, seed: int) -> list[Case]:
    """Generate ``n`` random but valid cases."""
    rng = np.random.default_rng(seed)
    universe = _tickers(rng, 400)
    sector_of = {t: SECTORS[int(rng.integers(len(SECTORS)))] for t in universe}
    cases: list[Case] = []
    for i in range(n):
        n_pos = int(rng.integers(0, 16))
        picks = rng.choice(len(universe), size=n_pos + 1, replace=False)
        ticker = universe[int(picks[0])]
        action = Action.BUY if rng.random() < 0.7 else Action.SELL
        price = _money(float(np.exp(rng.uniform(np.log(5), np.log(1500)))))

        held_names = [universe[int(k)] for k in picks[1:]]
        if (action is Action.SELL and rng.random() < 0.8) or rng.random() < 0.1:
            held_names.append(ticker)  # the ticker itself is held
        equity_target = float(np.exp(rng.uniform(np.log(5_000), np.log(5_000_000))))
        positions = []
        for name in held_names:
            mark = price if name == ticker else _money(float(np.exp(rng.uniform(1.6, 7.3))))
            value = equity_target * rng.uniform(0.002, 0.06)
            qty = max(1, int(value / float(mark)))
            positions.append(
                PositionState(
                    ticker=name,
                    qty=Decimal(qty),
                    avg_price=_money(float(mark) * rng.uniform(0.8, 1.2)),
                    market_price=mark,
                    sector=sector_of[name],
                )
            )
        positions_value = sum((p.market_value for p in positions), Decimal(0))
        cash = _money(equity_target) - positions_value
        equity = max(cash + positions_value, Decimal(0))
        last_order_at = {
            universe[int(k)]: NOW - timedelta(seconds=float(rng.uniform(0, 120)))
            for k in rng.choice(len(universe), size=int(rng.integers(0, 4)), replace=False)
        }
        if rng.random() < 0.05:
            last_order_at[ticker] = NOW - timedelta(seconds=float(rng.uniform(0, 20)))
        portfolio = PortfolioState(
            cash=cash,
            buying_power=_money(max(float(cash), 0.0) * rng.uniform(0.5, 2.0)),
            high_water_mark=_money(float(equity) * rng.uniform(1.0, 1.15)),
            start_of_day_equity=_money(float(equity) * rng.uniform(0.97, 1.04)),
            positions=tuple(positions),
            trading_state=STATES[int(rng.choice(3, p=[0.8, 0.1, 0.1]))],
            last_order_at=last_order_at,
            as_of=NOW,
        )

        earnings = int(rng.integers(0, 60)) if rng.random() < 0.7 else None
        missing = tuple(g for g in OPTIONAL_GAPS if rng.random() < 0.01)
        market = MarketSnapshot(
            ticker=ticker,
            sector=sector_of[ticker],
            price=price,
            atr_14=None
            if "atr_14" in missing
            else Decimal(f"{float(price) * rng.uniform(0.005, 0.08):.4f}"),
            adv_20=None
            if "adv_20" in missing
            else Decimal(int(np.exp(rng.uniform(np.log(200_000), np.log(80_000_000))))),
            vix=None if "vix" in missing else _money(rng.uniform(10, 45)),
            earnings_in_trading_days=earnings,
            next_earnings=None if earnings is None else (NOW + timedelta(days=earnings)).date(),
            as_of=NOW,
            source=DataSource.SIMULATED,
            stale=bool(rng.random() < 0.02),
            missing=missing,
        )
        signal = SignalCreated(
            event_id=UUID(int=2 * i + 1),
            ts_event=NOW,
            decision_id=UUID(int=2 * i + 2),
            ticker=ticker,
            action=action,
            confidence=round(float(rng.uniform(0.3, 1.0)), 3),
            rationale="benchmark",
            model="bench",
        )
        cases.append(Case(signal, portfolio, market))
    return cases


def run(cases: list[Case], warmup: int) -> tuple[list[float], Counter[str]]:
    """Time ``evaluate_signal`` once per case; return microseconds and outcome counts."""
    risk = RiskManager(RiskLimits())
    evaluate = risk.evaluate_signal
    for c in cases[:warmup]:
        evaluate(c.signal, c.portfolio, c.market, NOW)
    # The prepared inputs are long-lived: keep the cyclic GC from rescanning them mid-run,
    # as it would not in a service holding one portfolio.
    gc.collect()
    gc.freeze()
    clock = time.perf_counter_ns
    samples_ns: list[int] = []
    outcomes: Counter[str] = Counter()
    for c in cases:
        t0 = clock()
        verdict = evaluate(c.signal, c.portfolio, c.market, NOW)
        t1 = clock()
        samples_ns.append(t1 - t0)
        if isinstance(verdict, RiskApproved):
            outcomes["approved"] += 1
        else:
            outcomes["denied"] += 1
            outcomes.update(f"code:{v.code}" for v in verdict.violations)
    gc.unfreeze()
    return [ns / 1000 for ns in samples_ns], outcomes


def main() -> None:
    """Build the cases, time them, print and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000, help="number of cases")
    parser.add_argument("--out", type=Path, default=RESULTS / "risk.json", help="JSON output")
    parser.add_argument("--seed", type=int, default=20261124, help="numpy RNG seed")
    args = parser.parse_args()

    t_build = time.perf_counter()
    cases = build_cases(args.cases, args.seed)
    build_s = time.perf_counter() - t_build
    samples, outcomes = run(cases, warmup=min(2_000, len(cases)))
    fig = summary(samples)
    buy_us = [us for us, c in zip(samples, cases, strict=True) if c.signal.action is Action.BUY]
    sell_us = [us for us, c in zip(samples, cases, strict=True) if c.signal.action is Action.SELL]
    by_action = {
        "buy": summary(buy_us) if buy_us else None,
        "sell": summary(sell_us) if sell_us else None,
    }

    buys = sum(c.signal.action is Action.BUY for c in cases)
    print(
        f"risk evaluate_signal: {len(cases):,} cases ({buys:,} BUY, {len(cases) - buys:,} SELL),"
        f" built in {build_s:.1f} s"
    )
    print(
        f"  median {fig['median']:.1f} us   p90 {fig['p90']:.1f} us   "
        f"p99 {fig['p99']:.1f} us   mean {fig['mean']:.1f} us   (target median <= "
        f"{TARGET_MEDIAN_US} us: {'met' if fig['median'] <= TARGET_MEDIAN_US else 'NOT met'})"
    )
    for name, part in by_action.items():
        if part is not None:
            print(
                f"  {name:4s}   median {part['median']:.1f} us   p90 {part['p90']:.1f} us   "
                f"p99 {part['p99']:.1f} us"
            )
    print(f"  approvals {outcomes['approved']:,}   denials {outcomes['denied']:,}")
    codes = sorted(
        ((k.removeprefix("code:"), v) for k, v in outcomes.items() if k.startswith("code:")),
        key=lambda kv: -kv[1],
    )
    print("  violations: " + ", ".join(f"{k} {v:,}" for k, v in codes))

    path = write(
        "risk_evaluate_signal",
        {
            "cases": len(cases),
            "median_us": round(fig["median"], 3),
            "p90_us": round(fig["p90"], 3),
            "p99_us": round(fig["p99"], 3),
            "mean_us": round(fig["mean"], 3),
            "target_median_us": TARGET_MEDIAN_US,
            "meets_target": fig["median"] <= TARGET_MEDIAN_US,
            **{
                f"{stat}_{name}_us": round(part[stat], 3) if part else None
                for name, part in by_action.items()
                for stat in ("median", "p90", "p99")
            },
            "approvals": outcomes["approved"],
            "denials": outcomes["denied"],
            "seed": args.seed,
            "python": platform.python_version(),
        },
        args.out,
    )
    print(f"  wrote {path}")


if __name__ == "__main__":
    main()
