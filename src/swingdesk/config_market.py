"""Settings fields of the market: the simulated market, CSV files, Yahoo and Alpaca data."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, Field

from swingdesk.endpoints import DATA_URL, AlpacaDataUrl


class MarketFields(BaseModel):
    """Where prices come from: the simulated market, CSV files, Yahoo and Alpaca data."""

    sim_seed: int = Field(default=42, description="seed of the simulated market")
    sim_initial_cash_usd: Decimal = Field(
        default=Decimal(100_000), gt=0, description="simulated broker's starting cash, USD"
    )
    sim_slippage_bps: Decimal = Field(
        default=Decimal(5), ge=0, description="simulated fill slippage, basis points"
    )
    sim_commission_usd: Decimal = Field(
        default=Decimal(0), ge=0, description="simulated commission per order, USD"
    )
    csv_dir: Path | None = Field(
        default=None,
        description="directory of TICKER.csv files (+ vix.csv, sectors.csv, earnings.csv, "
        "news.csv, fundamentals.csv) for the csv market provider",
    )
    yahoo_cache_ttl_s: float = Field(
        default=60.0, ge=0, description="how long Yahoo answers are reused, seconds"
    )
    alpaca_data_feed: str = Field(
        default="iex", pattern="^(iex|sip|delayed_sip|otc)$", description="Alpaca bars feed"
    )
    # Checked on load, not only when the provider is built: the keys are sent to this host.
    alpaca_data_url: AlpacaDataUrl = Field(
        default=DATA_URL, description="Alpaca market data base URL: an Alpaca host or loopback"
    )
    alpaca_data_context: str = Field(
        default="none",
        pattern="^(none|yahoo)$",
        description="with Alpaca data, where VIX, earnings and sectors outside the built-in "
        "table come from (Alpaca has none): none (risk fails closed) or yahoo",
    )
    market_context_enabled: bool = Field(
        default=True,
        description="read fundamentals, headlines and their sentiment into every snapshot "
        "(from the market provider; Alpaca: its News API, fundamentals from Yahoo with "
        "alpaca_data_context=yahoo)",
    )
    news_max_headlines: int = Field(
        default=5, ge=1, le=50, description="headlines a snapshot carries at most, count"
    )
    news_lookback_days: int = Field(
        default=14, ge=1, le=365, description="oldest headline a snapshot shows, days back"
    )
