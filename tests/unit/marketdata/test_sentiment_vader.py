"""The VADER scorer with its finance words: headlines read the way a trader reads them."""

from __future__ import annotations

import pytest

from swingdesk.adapters.vader_sentiment import FINANCE_LEXICON, VaderScorer

SCORER = VaderScorer()


@pytest.mark.parametrize(
    "title",
    [
        "Apple beats expectations; shares jump 4.1% on strong results",
        "Nvidia rallies 6.2%, its best day in weeks",
        "Analyst upgrades Microsoft to outperform",
    ],
)
def test_score_when_good_news_then_positive(title: str) -> None:
    assert SCORER.score(title) >= 0.05


@pytest.mark.parametrize(
    "title",
    [
        "Apple misses estimates; shares fall 3.2% on weak results",
        "Tesla shares slide 1.9% at the open",
        "Energy stocks slump as the sector falls 2.4%",
        "Boeing tumbles 8% after downgrade",
    ],
)
def test_score_when_bad_news_then_negative(title: str) -> None:
    assert SCORER.score(title) <= -0.05


def test_score_when_neutral_announcement_then_neutral() -> None:
    assert abs(SCORER.score("Apple to report quarterly results on Jan 30")) < 0.05


def test_method_when_asked_then_names_vader_version_and_the_finance_words() -> None:
    assert SCORER.method == f"vader-3.3.2+finance-{len(FINANCE_LEXICON)}"
