"""Wiring of the market: the price provider, its news and fundamentals, the data stage."""

from __future__ import annotations

from swingdesk.config import MarketProvider, Settings
from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.enums import DataSource
from swingdesk.domain.errors import ConfigurationError, UnknownTickerError
from swingdesk.marketdata.agent import MarketDataAgent
from swingdesk.ports import MarketContextSource, MarketData


def _market_provider(settings: Settings) -> MarketData:
    if settings.market_provider is MarketProvider.SIMULATED:
        from swingdesk.adapters.simulated_market import SimulatedMarket

        return SimulatedMarket(seed=settings.sim_seed)
    if settings.market_provider is MarketProvider.CSV:
        from swingdesk.adapters.csv_market import CsvMarket

        if settings.csv_dir is None:
            raise ConfigurationError(
                "the csv market provider needs SWINGDESK_CSV_DIR (a directory of TICKER.csv files)"
            )
        return CsvMarket(settings.csv_dir)
    if settings.market_provider is MarketProvider.YAHOO:
        from swingdesk.adapters import yahoo_market

        yahoo_market.CACHE.ttl_s = settings.yahoo_cache_ttl_s
        return yahoo_market.YahooMarket()
    if settings.market_provider is MarketProvider.ALPACA:
        from swingdesk.adapters.alpaca_data import AlpacaMarket

        context: MarketData | None = None
        # Alpaca has no VIX or earnings calendar: without a context, risk fails closed on both.
        if settings.alpaca_data_context == "yahoo":
            from swingdesk.adapters import yahoo_market

            yahoo_market.CACHE.ttl_s = settings.yahoo_cache_ttl_s
            context = yahoo_market.YahooMarket()
        # Raises ConfigurationError naming ALPACA_API_KEY / ALPACA_SECRET_KEY when unset.
        return AlpacaMarket.from_settings(settings, context=context)
    raise ConfigurationError(
        f"market provider {settings.market_provider} is not available in this version; "
        "use SWINGDESK_MARKET_PROVIDER=simulated, csv, yahoo or alpaca"
    )


def _context_source(settings: Settings, provider: MarketData) -> MarketContextSource | None:
    """Return where news and fundamentals come from: the price provider itself, or for
    Alpaca its News API with Yahoo's fundamentals when Yahoo is its context. Only the
    configured provider's module is imported (the demo never loads yfinance)."""
    if not settings.market_provider or not settings.market_context_enabled:
        return None
    kind = settings.market_provider
    if kind is MarketProvider.ALPACA:
        from swingdesk.adapters.alpaca_data import AlpacaMarket
        from swingdesk.adapters.alpaca_news import AlpacaNews
        from swingdesk.adapters.yahoo_market import YahooMarket

        if not isinstance(provider, AlpacaMarket):
            return None
        yahoo = provider.context if isinstance(provider.context, YahooMarket) else None
        return AlpacaNews.from_settings(settings, fundamentals=yahoo)
    if kind is MarketProvider.SIMULATED:
        from swingdesk.adapters.simulated_market import SimulatedMarket as Kind
    elif kind is MarketProvider.CSV:
        from swingdesk.adapters.csv_market import CsvMarket as Kind  # type: ignore[assignment]
    elif kind is MarketProvider.YAHOO:
        from swingdesk.adapters.yahoo_market import YahooMarket as Kind  # type: ignore[assignment]
    else:
        return None
    return provider if isinstance(provider, Kind) else None


def _market_agent(settings: Settings, provider: MarketData) -> MarketDataAgent:
    """Return the market-data stage over ``provider``, with its context source and scorer."""
    context = _context_source(settings, provider)
    scorer = None
    if context is not None:
        from swingdesk.adapters.vader_sentiment import VaderScorer

        scorer = VaderScorer()
    # Snapshots are cached per (ticker, instant): a backtest step asks several times.
    return MarketDataAgent(
        provider,
        TradingCalendar(),
        cache_ttl_s=60.0 if provider.source is DataSource.CSV else 0,
        context=context,
        scorer=scorer,
        max_headlines=settings.news_max_headlines,
        news_lookback_days=settings.news_lookback_days,
    )


class SectorLookup:
    """Sector of a ticker from the market provider, None when unknown."""

    def __init__(self, provider: MarketData) -> None:
        self.provider = provider

    def __call__(self, ticker: str) -> str | None:
        """Return the ticker's sector."""
        try:
            return self.provider.profile(ticker).sector
        except UnknownTickerError:
            return None
