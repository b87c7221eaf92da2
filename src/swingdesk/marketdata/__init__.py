"""Market data: the trading calendar, indicators and the agent that builds snapshots."""

from swingdesk.marketdata.agent import MarketDataAgent
from swingdesk.marketdata.calendar import TradingCalendar

__all__ = ["MarketDataAgent", "TradingCalendar"]
