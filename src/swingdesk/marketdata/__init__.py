"""Market data: the trading calendar, indicators and the agent that builds snapshots."""

from swingdesk.domain.calendar import TradingCalendar
from swingdesk.marketdata.agent import MarketDataAgent

__all__ = ["MarketDataAgent", "TradingCalendar"]
