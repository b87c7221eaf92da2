"""Prompt templates for the LLM analyst (pure): the desk's rules, then one ticker's facts.

The prompt hash covers the version, both rendered prompts and the reply schema, so any
change to a template, a number shown to the model, or the schema gives a new hash (and a
new cache key).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from string import Template
from typing import Any

from swingdesk.domain.enums import Action
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PortfolioState
from swingdesk.strategy.agent import canonical_json, sha256_hex

PROMPT_VERSION = "analyst-v1"

SYSTEM_TEMPLATE = Template(
    """You are the analyst of a long-only US equity swing-trading desk.
Rules of engagement:
- You propose exactly one action for one ticker: BUY, SELL or HOLD.
- You may only choose among the FEASIBLE ACTIONS you are given. Anything else is ignored
  and recorded as HOLD.
- BUY opens a new long position; SELL closes the whole existing position. The desk never
  sells short.
- A deterministic risk manager sizes every order, sets the stop (a multiple of ATR-14 below
  the entry) and can veto you. You do not choose quantities or prices.
- Prefer HOLD when the data is missing, stale or ambiguous. Confidence is your probability
  that the action is right over the next 5 to 20 trading days, from 0 to 1.
- Reply with one JSON object and nothing else, matching this JSON schema:
$schema"""
)

USER_TEMPLATE = Template(
    """Ticker: $ticker ($name), sector: $sector
As of: $as_of (market open: $market_open, stale: $stale)
Price: $price; previous close: $prev_close; change today: $day_change_pct
ATR-14: $atr_14; SMA-20: $sma_20; SMA-50: $sma_50
20-day average volume (shares): $adv_20; volume today: $volume
VIX: $vix
Next earnings: $next_earnings (in $earnings_in_trading_days trading days)
Missing data: $missing
Position: $position
Desk trading state: $trading_state
FEASIBLE ACTIONS: $feasible
Decide."""
)


@dataclass(frozen=True, slots=True)
class RenderedPrompt:
    """Both prompts for one decision, and the hash that identifies them."""

    system: str
    user: str
    prompt_hash: str

    def verbatim(self) -> str:
        """Return the prompt as stored with the signal (shown by ``explain``)."""
        return f"[system]\n{self.system}\n\n[user]\n{self.user}"


def render(
    snapshot: MarketSnapshot,
    portfolio: PortfolioState,
    feasible: Sequence[Action],
    schema: dict[str, Any],
) -> RenderedPrompt:
    """Render the system and user prompts for one decision and hash them."""
    system = SYSTEM_TEMPLATE.substitute(schema=canonical_json(schema))
    s = snapshot
    user = USER_TEMPLATE.substitute(
        ticker=s.ticker,
        name=_show(s.name),
        sector=_show(s.sector),
        as_of=s.as_of.isoformat(),
        market_open=s.market_open,
        stale=s.stale,
        price=_show(s.price),
        prev_close=_show(s.prev_close),
        day_change_pct=_pct(s.day_change_pct),
        atr_14=_show(s.atr_14),
        sma_20=_show(s.sma_20),
        sma_50=_show(s.sma_50),
        adv_20=_show(s.adv_20),
        volume=_show(s.volume),
        vix=_show(s.vix),
        next_earnings=_show(s.next_earnings),
        earnings_in_trading_days=_show(s.earnings_in_trading_days),
        missing=", ".join(s.missing) or "none",
        position=_position(snapshot.ticker, portfolio),
        trading_state=portfolio.trading_state.value,
        feasible=", ".join(a.value for a in feasible),
    )
    digest = sha256_hex(canonical_json({"version": PROMPT_VERSION, "system": system, "user": user}))
    return RenderedPrompt(system=system, user=user, prompt_hash=digest)


def _position(ticker: str, portfolio: PortfolioState) -> str:
    pos = portfolio.position(ticker)
    if pos is None:
        return "none"
    stop = _show(pos.stop_price)
    return (
        f"long {pos.qty} shares at average {pos.avg_price}, last {pos.market_price}, "
        f"unrealised P&L {pos.unrealized_pnl:.2f} USD, stop {stop}"
    )


def _show(value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, Decimal):
        # Normalise so that 100 and 100.00 render alike: the hash must follow the value.
        return format(value.normalize(), "f")
    return str(value)


def _pct(value: Decimal | None) -> str:
    return "unknown" if value is None else f"{value * 100:.2f}%"
