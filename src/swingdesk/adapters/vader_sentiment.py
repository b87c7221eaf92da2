"""Headline sentiment with VADER (Hutto & Gilbert, 2014): a lexicon and rules, fully offline.

Why VADER: it is maintained, deterministic, needs no model weights (its lexicon ships inside
the ``vadersentiment`` wheel and is read once at start-up), scores a headline in tens of
microseconds, and its compound score is the usual -1..1 with documented thresholds (+-0.05).
It was tuned on short social-media text, which headlines resemble more than long prose, but
its lexicon knows little finance: it rates "shares" positive (so "shares slide" scored
+0.30), "beating" as violence, and has no "beats", "misses" (a mild -0.9), "tumbles",
"plunges", "rallies" or "downgrade". ``FINANCE_LEXICON`` adds or corrects those words on
VADER's own -4..+4 scale; the method name says so (``vader-3.3.2+finance-N``). FinBERT-style
models read finance better but need downloaded weights; the LLM analyst reads the headlines.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # type: ignore[import-untyped]

#: Finance words VADER lacks or misreads, valence on its -4..+4 scale.
FINANCE_LEXICON: dict[str, float] = {
    # Neutral in market news, whatever they mean elsewhere.
    "share": 0.0, "shares": 0.0, "stock": 0.0, "demand": 0.0, "debt": -0.3, "beating": 1.5,
    "tops": 1.5, "topped": 1.5,
    # Up.
    "beat": 1.5, "beats": 1.5, "surge": 2.0, "surges": 2.0, "surged": 2.0, "jump": 1.5,
    "jumps": 1.5, "jumped": 1.5, "rally": 1.8, "rallies": 1.8, "rallied": 1.8, "soar": 2.2,
    "soars": 2.2, "soared": 2.2, "climb": 1.2, "climbs": 1.2, "climbed": 1.2, "rise": 1.0,
    "rises": 1.0, "rose": 1.0, "upgrade": 1.8, "upgrades": 1.8, "upgraded": 1.8,
    "outperform": 1.6, "outperforms": 1.6, "bullish": 1.8, "raises": 1.0, "raised": 1.0,
    "record": 1.2, "buyback": 1.2, "higher": 0.8, "rebound": 1.5, "rebounds": 1.5,
    # Down.
    "miss": -1.5, "misses": -1.5, "missed": -1.5, "slide": -1.5, "slides": -1.5, "slid": -1.5,
    "tumble": -2.0, "tumbles": -2.0, "tumbled": -2.0, "plunge": -2.5, "plunges": -2.5,
    "plunged": -2.5, "slump": -2.0, "slumps": -2.0, "slumped": -2.0, "fall": -1.3,
    "falls": -1.3, "fell": -1.3, "drop": -1.3, "drops": -1.3, "dropped": -1.3, "sink": -1.8,
    "sinks": -1.8, "sank": -1.8, "decline": -1.2, "declines": -1.2, "declined": -1.2,
    "downgrade": -1.8, "downgrades": -1.8, "downgraded": -1.8, "underperform": -1.6,
    "bearish": -1.8, "selloff": -2.0, "selling": -0.8, "layoffs": -1.8, "bankruptcy": -3.0,
    "recall": -1.5, "investigation": -1.2, "probe": -1.2, "slowdown": -1.5, "warns": -1.5,
    "weighed": -1.0, "lowers": -1.2, "lower": -1.0,
}  # fmt: skip


def _version() -> str:
    try:
        return version("vadersentiment")
    except PackageNotFoundError:  # pragma: no cover - an unusual install
        return "unknown"


class VaderScorer:
    """The ``SentimentScorer`` port over VADER's compound score."""

    def __init__(self) -> None:
        self._analyzer = SentimentIntensityAnalyzer()
        self._analyzer.lexicon.update(FINANCE_LEXICON)
        self.method = f"vader-{_version()}+finance-{len(FINANCE_LEXICON)}"

    def score(self, text: str) -> float:
        """Return VADER's compound score of ``text``, -1 to 1."""
        return float(self._analyzer.polarity_scores(text)["compound"])
