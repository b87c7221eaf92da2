"""The NYSE calendar wrapper against known sessions, holidays, half days and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.errors import ConfigurationError


@pytest.fixture(scope="module")
def cal() -> TradingCalendar:
    calendar = TradingCalendar()
    calendar.ensure_covers(date(2026, 11, 24))
    return calendar


def test_is_session_when_holiday_or_weekend_then_false(cal: TradingCalendar) -> None:
    assert cal.is_session(date(2024, 7, 4)) is False  # Independence Day
    assert cal.is_session(date(2024, 11, 28)) is False  # Thanksgiving
    assert cal.is_session(date(2024, 11, 30)) is False  # Saturday
    assert cal.is_session(date(2024, 7, 5)) is True
    assert cal.is_session(date(2024, 11, 29)) is True  # half day is still a session


def test_sessions_between_when_christmas_week_then_skips_holiday(cal: TradingCalendar) -> None:
    assert cal.sessions_between(date(2024, 12, 23), date(2024, 12, 27)) == [
        date(2024, 12, 23),
        date(2024, 12, 24),
        date(2024, 12, 26),
        date(2024, 12, 27),
    ]


def test_sessions_between_when_end_before_start_then_empty(cal: TradingCalendar) -> None:
    assert cal.sessions_between(date(2024, 12, 27), date(2024, 12, 23)) == []


def test_session_close_when_half_day_then_one_pm_new_york(cal: TradingCalendar) -> None:
    assert cal.session_close(date(2024, 11, 29)) == datetime(2024, 11, 29, 18, 0, tzinfo=UTC)
    assert cal.session_open(date(2024, 11, 29)) == datetime(2024, 11, 29, 14, 30, tzinfo=UTC)


def test_session_close_when_not_a_session_then_value_error(cal: TradingCalendar) -> None:
    with pytest.raises(ValueError, match="not an NYSE session"):
        cal.session_close(date(2024, 12, 25))


def test_previous_close_when_after_half_day_close_then_that_close(cal: TradingCalendar) -> None:
    now = datetime(2024, 11, 29, 19, 0, tzinfo=UTC)
    assert cal.previous_close(now) == datetime(2024, 11, 29, 18, 0, tzinfo=UTC)


def test_previous_close_when_during_session_then_prior_session_close(cal: TradingCalendar) -> None:
    now = datetime(2024, 11, 29, 17, 0, tzinfo=UTC)  # Friday after Thanksgiving, in session
    assert cal.previous_close(now) == datetime(2024, 11, 27, 21, 0, tzinfo=UTC)
    assert cal.last_closed_session(now) == date(2024, 11, 27)


def test_previous_close_when_exactly_at_close_then_that_close(cal: TradingCalendar) -> None:
    close = datetime(2024, 11, 27, 21, 0, tzinfo=UTC)
    assert cal.previous_close(close) == close


def test_previous_close_when_summer_time_then_close_at_twenty_utc(cal: TradingCalendar) -> None:
    now = datetime(2024, 3, 11, 23, 0, tzinfo=UTC)  # first Monday after the DST switch
    assert cal.previous_close(now) == datetime(2024, 3, 11, 20, 0, tzinfo=UTC)


def test_previous_close_when_other_timezone_then_same_instant(cal: TradingCalendar) -> None:
    tokyo = timezone(timedelta(hours=9))
    now = datetime(2024, 11, 30, 8, 0, tzinfo=tokyo)  # 2024-11-29 23:00 UTC
    assert cal.previous_close(now) == datetime(2024, 11, 29, 18, 0, tzinfo=UTC)


def test_is_open_when_around_the_open_then_flips_at_nine_thirty(cal: TradingCalendar) -> None:
    assert cal.is_open(datetime(2024, 11, 26, 14, 29, 59, tzinfo=UTC)) is False
    assert cal.is_open(datetime(2024, 11, 26, 14, 30, tzinfo=UTC)) is True
    assert cal.is_open(datetime(2024, 11, 26, 20, 59, 59, tzinfo=UTC)) is True
    assert cal.is_open(datetime(2024, 11, 26, 21, 0, tzinfo=UTC)) is False


def test_is_open_when_weekend_or_holiday_then_false(cal: TradingCalendar) -> None:
    assert cal.is_open(datetime(2024, 11, 30, 16, 0, tzinfo=UTC)) is False
    assert cal.is_open(datetime(2024, 11, 28, 16, 0, tzinfo=UTC)) is False


def test_is_open_when_naive_datetime_then_value_error(cal: TradingCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.is_open(datetime(2024, 11, 26, 16, 0))  # noqa: DTZ001


def test_trading_days_until_when_target_is_today_then_zero(cal: TradingCalendar) -> None:
    assert cal.trading_days_until(date(2024, 11, 27), date(2024, 11, 27)) == 0


def test_trading_days_until_when_holiday_between_then_skips_it(cal: TradingCalendar) -> None:
    # After Wed 27 Nov: Fri 29 Nov and Mon 2 Dec (Thursday is Thanksgiving).
    assert cal.trading_days_until(date(2024, 11, 27), date(2024, 12, 2)) == 2


def test_trading_days_until_when_target_on_weekend_then_counts_sessions_before_it(
    cal: TradingCalendar,
) -> None:
    assert cal.trading_days_until(date(2024, 11, 27), date(2024, 11, 30)) == 1


def test_trading_days_until_when_target_in_past_then_negative(cal: TradingCalendar) -> None:
    assert cal.trading_days_until(date(2024, 12, 2), date(2024, 11, 27)) == -2


def test_ensure_covers_when_asked_about_a_date_then_spans_2010_to_two_years_later() -> None:
    calendar = TradingCalendar()
    schedule = calendar.ensure_covers(date(2026, 11, 24))
    assert schedule.start == date(2010, 1, 1)
    assert schedule.end == date(2028, 12, 31)
    assert calendar.is_session(date(2010, 1, 4)) is True
    assert calendar.is_session(date(2028, 12, 29)) is True


def test_construction_when_two_calendars_then_schedule_built_once() -> None:
    first, second = TradingCalendar(), TradingCalendar()
    assert first.ensure_covers(date(2026, 1, 5)) is second.ensure_covers(date(2026, 6, 1))


def test_ensure_covers_when_later_year_asked_then_calendar_grows() -> None:
    calendar = TradingCalendar()
    calendar.ensure_covers(date(2026, 1, 5))
    assert calendar.ensure_covers(date(2029, 3, 1)).end == date(2031, 12, 31)
    assert calendar.is_session(date(2031, 12, 31)) is True


def test_queries_when_past_fixed_end_then_configuration_error() -> None:
    calendar = TradingCalendar(end=date(2024, 12, 31))
    assert calendar.is_session(date(2024, 12, 31)) is True
    with pytest.raises(ConfigurationError, match="after the trading calendar's end"):
        calendar.is_session(date(2025, 1, 2))


def test_queries_when_before_start_then_configuration_error(cal: TradingCalendar) -> None:
    with pytest.raises(ConfigurationError, match="before the trading calendar's start"):
        cal.is_session(date(2009, 12, 31))


def test_exchange_date_when_late_evening_utc_then_new_york_date(cal: TradingCalendar) -> None:
    assert cal.exchange_date(datetime(2024, 11, 27, 3, 0, tzinfo=UTC)) == date(2024, 11, 26)
