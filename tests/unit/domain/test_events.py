"""Events are frozen and validated at the boundary: aware timestamps, finite non-negative
money (convention 3); tickers are sanitised before they reach anything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from swingdesk.domain.enums import Action, DataSource, Intent, OrderSide
from swingdesk.domain.errors import InvalidTickerError
from swingdesk.domain.events import (
    FillEvent,
    OrderRequest,
    RiskApproved,
    RiskCheck,
    RiskRejected,
    SignalCreated,
)
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.money import cents, floor_int, price4, to_decimal
from swingdesk.domain.ticker import sanitize_ticker

NOW = datetime(2024, 6, 3, 15, 0, tzinfo=UTC)
NAIVE = datetime(2024, 6, 3, 15, 0)  # noqa: DTZ001 - naive on purpose
NOT_FINITE: list[Any] = [
    float("nan"),
    float("inf"),
    float("-inf"),
    "NaN",
    "sNaN",
    "Infinity",
    "-inf",
    Decimal("NaN"),
    Decimal("Infinity"),
]


def fill(**overrides: Any) -> FillEvent:
    """Return a valid fill with ``overrides`` applied."""
    fields: dict[str, Any] = {
        "ts_event": NOW,
        "decision_id": uuid4(),
        "fill_id": "f-1",
        "client_order_id": "sd-o-1",
        "ticker": "AAPL",
        "side": OrderSide.BUY,
        "qty": Decimal(10),
        "price": Decimal("50.25"),
    }
    fields.update(overrides)
    return FillEvent(**fields)


def signal(**overrides: Any) -> SignalCreated:
    """Return a valid BUY signal with ``overrides`` applied."""
    fields: dict[str, Any] = {
        "ts_event": NOW,
        "decision_id": uuid4(),
        "ticker": "AAPL",
        "action": Action.BUY,
        "confidence": 0.7,
        "rationale": "trend",
        "model": "rules",
    }
    fields.update(overrides)
    return SignalCreated(**fields)


# --- frozen, extra fields, timestamps --------------------------------------------------------


def test_event_when_assigned_then_frozen() -> None:
    s = signal()
    with pytest.raises(ValidationError):
        s.confidence = 0.1  # type: ignore[misc]
    f = fill()
    with pytest.raises(ValidationError):
        f.price = Decimal(1)  # type: ignore[misc]


def test_event_when_unknown_field_given_then_rejected() -> None:
    with pytest.raises(ValidationError, match="extra"):
        signal(secret_override=True)


def test_event_when_created_then_has_unique_event_id() -> None:
    assert signal().event_id != signal().event_id


@pytest.mark.parametrize("ts", [NAIVE, "2024-06-03T15:00:00"])
def test_event_when_timestamp_naive_then_rejected(ts: object) -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        signal(ts_event=ts)
    with pytest.raises(ValidationError, match="timezone-aware"):
        fill(ts_event=ts)


def test_event_when_timestamp_in_other_zone_then_normalised_to_utc() -> None:
    new_york = timezone(timedelta(hours=-4))
    s = signal(ts_event=datetime(2024, 6, 3, 11, 0, tzinfo=new_york))
    assert s.ts_event == NOW
    assert s.ts_event.tzinfo is UTC


def test_event_when_iso_string_with_z_then_parsed_as_utc() -> None:
    assert signal(ts_event="2024-06-03T15:00:00Z").ts_event == NOW


# --- money at the boundary ------------------------------------------------------------------


@pytest.mark.parametrize("bad", NOT_FINITE)
@pytest.mark.parametrize("field", ["price", "qty", "commission"])
def test_fill_when_amount_not_finite_then_rejected(field: str, bad: object) -> None:
    with pytest.raises(ValidationError):
        fill(**{field: bad})


@pytest.mark.parametrize(
    ("field", "bad"),
    [("price", 0), ("price", "-0.01"), ("qty", 0), ("qty", -1), ("commission", "-0.01")],
)
def test_fill_when_amount_negative_or_zero_price_then_rejected(field: str, bad: object) -> None:
    with pytest.raises(ValidationError):
        fill(**{field: bad})


def test_fill_when_float_price_given_then_stored_as_shortest_decimal() -> None:
    f = fill(price=50.1, commission=0)
    assert f.price == Decimal("50.1")
    assert f.commission == Decimal(0)


def test_fill_when_dumped_to_json_then_decimals_are_exact_strings() -> None:
    f = fill()
    dumped = f.model_dump(mode="json")
    assert dumped["price"] == "50.25"
    assert dumped["qty"] == "10"
    assert FillEvent.model_validate_json(f.model_dump_json()) == f


@pytest.mark.parametrize("bad", [*NOT_FINITE, -1, 0])
def test_order_request_when_reference_price_invalid_then_rejected(bad: object) -> None:
    with pytest.raises(ValidationError):
        OrderRequest(
            ts_event=NOW,
            decision_id=uuid4(),
            client_order_id="sd-o-1",
            ticker="AAPL",
            side=OrderSide.BUY,
            intent=Intent.BUY_TO_OPEN,
            qty=Decimal(1),
            reference_price=bad,
            risk_event_id=uuid4(),
        )


def test_order_request_when_client_order_id_over_48_chars_then_rejected() -> None:
    with pytest.raises(ValidationError):
        OrderRequest(
            ts_event=NOW,
            decision_id=uuid4(),
            client_order_id="x" * 49,
            ticker="AAPL",
            side=OrderSide.BUY,
            intent=Intent.BUY_TO_OPEN,
            qty=Decimal(1),
            reference_price=Decimal(1),
            risk_event_id=uuid4(),
        )


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("price", float("nan")),
        ("price", -1),
        ("atr_14", "-0.5"),
        ("vix", float("inf")),
        ("adv_20", -100),
        ("as_of", NAIVE),
    ],
)
def test_market_snapshot_when_field_invalid_then_rejected(field: str, bad: object) -> None:
    fields: dict[str, Any] = {
        "ticker": "AAPL",
        "price": Decimal(50),
        "as_of": NOW,
        "source": DataSource.SIMULATED,
    }
    fields[field] = bad
    with pytest.raises(ValidationError):
        MarketSnapshot(**fields)


@pytest.mark.parametrize("confidence", [-0.01, 1.01, float("nan"), float("inf")])
def test_signal_when_confidence_outside_unit_interval_then_rejected(confidence: float) -> None:
    with pytest.raises(ValidationError):
        signal(confidence=confidence)


def test_risk_approved_when_qty_zero_then_rejected() -> None:
    with pytest.raises(ValidationError):
        RiskApproved(
            ts_event=NOW,
            decision_id=uuid4(),
            ticker="AAPL",
            signal_event_id=uuid4(),
            action=Action.BUY,
            checks=(),
            intent=Intent.BUY_TO_OPEN,
            side=OrderSide.BUY,
            qty=Decimal(0),
            reference_price=Decimal(50),
            notional=Decimal(0),
        )


def test_risk_rejected_when_built_then_violations_are_the_failed_checks() -> None:
    ok = RiskCheck(code="VIX_GATE", passed=True, value=Decimal(20), limit=Decimal(35), message="")
    bad = RiskCheck(code="ADV_LIQUIDITY", passed=False, value="1", limit="5", message="thin")
    verdict = RiskRejected(
        ts_event=NOW,
        decision_id=uuid4(),
        ticker="AAPL",
        signal_event_id=uuid4(),
        action=Action.BUY,
        checks=(ok, bad),
    )
    assert verdict.violations == (bad,)
    assert verdict.model_dump(mode="json")["violations"][0]["code"] == "ADV_LIQUIDITY"


# --- to_decimal -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0.1, Decimal("0.1")),
        (3, Decimal(3)),
        (" 12.50 ", Decimal("12.50")),
        (Decimal("7.25"), Decimal("7.25")),
        ("-4", Decimal(-4)),
        (1e-7, Decimal("1e-07")),
    ],
)
def test_to_decimal_when_finite_number_then_exact_decimal(raw: object, expected: Decimal) -> None:
    assert to_decimal(raw) == expected


@pytest.mark.parametrize("bad", NOT_FINITE)
def test_to_decimal_when_not_finite_then_value_error(bad: object) -> None:
    with pytest.raises(ValueError, match="not a finite number"):
        to_decimal(bad)


@pytest.mark.parametrize("bad", [True, False])
def test_to_decimal_when_bool_then_value_error(bad: bool) -> None:
    with pytest.raises(ValueError, match="boolean"):
        to_decimal(bad)


@pytest.mark.parametrize("bad", [None, "abc", "", [1], b"1", object()])
def test_to_decimal_when_not_a_number_then_value_error(bad: object) -> None:
    with pytest.raises(ValueError, match="not a number"):
        to_decimal(bad)


def test_money_helpers_when_rounding_then_cents_half_even_and_floor_down() -> None:
    assert cents(Decimal("0.125")) == Decimal("0.12")  # banker's rounding
    assert cents(Decimal("0.135")) == Decimal("0.14")
    assert price4(Decimal("1.23455")) == Decimal("1.2346")
    assert floor_int(Decimal("99.999")) == 99
    assert floor_int(Decimal("-3.5")) == 0


# --- sanitize_ticker --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(" aapl ", "AAPL"), ("BRK.B", "BRK.B"), ("brk.b", "BRK.B"), ("F", "F"), ("GOOGL", "GOOGL")],
)
def test_sanitize_ticker_when_valid_then_trimmed_upper_case(raw: str, expected: str) -> None:
    assert sanitize_ticker(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "TOOLONG",
        "A1",
        "AAPL;DROP",
        "BRK.",
        ".B",
        "BRK.BB",
        "AA PL",
        "ÄAPL",
        "ß",
        "ﬀ",
        "ﬃ",
        "aapl\n;",
    ],
)
def test_sanitize_ticker_when_malformed_then_invalid_ticker_error(raw: str) -> None:
    with pytest.raises(InvalidTickerError) as info:
        sanitize_ticker(raw)
    assert info.value.code == "INVALID_TICKER"
    assert info.value.details == {"ticker": raw}


@pytest.mark.parametrize("raw", [None, 123, b"AAPL", ["AAPL"]])
def test_sanitize_ticker_when_not_a_string_then_invalid_ticker_error(raw: object) -> None:
    with pytest.raises(InvalidTickerError, match="must be a string"):
        sanitize_ticker(raw)


def test_sanitize_ticker_when_input_very_long_then_message_truncated() -> None:
    with pytest.raises(InvalidTickerError) as info:
        sanitize_ticker("X" * 500)
    assert info.value.details["ticker"] == "X" * 20 + "..."
    assert len(info.value.message) < 200
