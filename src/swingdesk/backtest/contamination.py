"""Look-ahead contamination of an LLM backtest.

A model trained on text up to its knowledge cutoff may have read what happened after a
decision dated before that cutoff (prices, earnings, news), so its "forecast" for such a
day can be recall. Every decision dated before the cutoff is flagged ``contaminated``.
When the cutoff is unknown, every decision is flagged ``cutoff unknown``: a replay is
never reported clean without a stated cutoff.

The cutoff is ``SWINGDESK_LLM_KNOWLEDGE_CUTOFF`` when set, else a built-in value for a few
known models (their vendors' stated training-data cutoffs, taken as the end of the month
stated, so the flag errs towards flagging), else unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

CONTAMINATED = "contaminated"
CUTOFF_UNKNOWN = "cutoff unknown"

#: Stated knowledge cutoffs, by model id prefix (longest prefix wins).
KNOWN_CUTOFFS: dict[str, date] = {
    "gpt-4o-mini": date(2023, 10, 31),
    "gpt-4o": date(2023, 10, 31),
    "gpt-4.1": date(2024, 6, 30),
    "claude-haiku-4-5": date(2025, 2, 28),
    "claude-sonnet-4-5": date(2025, 1, 31),
}


@dataclass(frozen=True, slots=True)
class Cutoff:
    """A model's knowledge cutoff and where it came from ("setting", "built-in", "unknown")."""

    model: str
    day: date | None
    source: str


def resolve_cutoff(model: str, setting: date | None) -> Cutoff:
    """Return the cutoff to judge ``model``'s decisions by: the setting, a known one, or none."""
    if setting is not None:
        return Cutoff(model, setting, "setting")
    matches = [p for p in KNOWN_CUTOFFS if model == p or model.startswith(p + "-")]
    if matches:
        return Cutoff(model, KNOWN_CUTOFFS[max(matches, key=len)], "built-in")
    return Cutoff(model, None, "unknown")


@dataclass(frozen=True, slots=True)
class FlaggedDecision:
    """One decision (the session it was taken after, and the ticker) and its flag."""

    day: date
    ticker: str
    flag: str


@dataclass(frozen=True, slots=True)
class Contamination:
    """Which decisions of a replay the model may have answered from memory."""

    cutoff: Cutoff
    decisions: int
    flagged: tuple[FlaggedDecision, ...]

    @property
    def contaminated(self) -> int:
        """Return how many decisions are dated before the cutoff."""
        return sum(1 for f in self.flagged if f.flag == CONTAMINATED)

    @property
    def unknown(self) -> int:
        """Return how many decisions could not be judged (no cutoff)."""
        return sum(1 for f in self.flagged if f.flag == CUTOFF_UNKNOWN)

    @property
    def status(self) -> str:
        """Return "cutoff unknown", "contaminated" (some decisions) or "clean"."""
        if self.cutoff.day is None:
            return CUTOFF_UNKNOWN
        return CONTAMINATED if self.contaminated else "clean"

    def share(self, count: int) -> float:
        """Return ``count`` as a share of all decisions."""
        return round(count / self.decisions, 6) if self.decisions else 0.0

    def to_doc(self) -> dict[str, object]:
        """Return the JSON section."""
        return {
            "model": self.cutoff.model,
            "knowledge_cutoff": None if self.cutoff.day is None else self.cutoff.day.isoformat(),
            "cutoff_source": self.cutoff.source,
            "status": self.status,
            "decisions": self.decisions,
            "contaminated_count": self.contaminated,
            "contaminated_share": self.share(self.contaminated),
            "cutoff_unknown_count": self.unknown,
            "cutoff_unknown_share": self.share(self.unknown),
            "flagged": [
                {"date": f.day.isoformat(), "ticker": f.ticker, "flag": f.flag}
                for f in self.flagged
            ],
        }


def flag_decisions(
    cutoff: Cutoff, sessions: Sequence[date], tickers: Sequence[str]
) -> Contamination:
    """Flag every (session, ticker) decision of a replay against ``cutoff``.

    The replay decides every ticker after every session's close, so its decisions are
    exactly sessions x tickers. A decision after session D is contaminated when D is before
    the cutoff: the model may have seen D+1 onwards.
    """
    flagged: list[FlaggedDecision] = []
    for day in sessions:
        if cutoff.day is None:
            flagged.extend(FlaggedDecision(day, t, CUTOFF_UNKNOWN) for t in tickers)
        elif day < cutoff.day:
            flagged.extend(FlaggedDecision(day, t, CONTAMINATED) for t in tickers)
    return Contamination(cutoff, len(sessions) * len(tickers), tuple(flagged))
