"""The one place where adapters are chosen and wired together."""

from __future__ import annotations

from dataclasses import dataclass

from swingdesk.adapters.clock import SystemClock
from swingdesk.adapters.memory_bus import InMemoryEventBus
from swingdesk.adapters.simulated_broker import SimulatedBroker
from swingdesk.config import BrokerProvider, MarketProvider, Settings, StrategyProvider
from swingdesk.domain.errors import ConfigurationError, UnknownTickerError
from swingdesk.execution.agent import ExecutionAgent
from swingdesk.marketdata.agent import MarketDataAgent
from swingdesk.marketdata.calendar import TradingCalendar
from swingdesk.ports import Broker, Clock, MarketData
from swingdesk.risk.manager import RiskManager
from swingdesk.services.control import TradingControl
from swingdesk.services.pipeline import DecisionPipeline
from swingdesk.services.portfolio import PortfolioService
from swingdesk.store import migrate
from swingdesk.store.store import Store
from swingdesk.strategy.agent import RulesStrategy, StrategyAgent


@dataclass
class Desk:
    """Every service of a running desk, wired."""

    settings: Settings
    clock: Clock
    store: Store
    bus: InMemoryEventBus
    provider: MarketData
    market: MarketDataAgent
    broker: Broker
    risk: RiskManager
    control: TradingControl
    portfolio: PortfolioService
    execution: ExecutionAgent
    pipeline: DecisionPipeline

    async def close(self) -> None:
        """Release connections."""
        await self.store.close()


def _market_provider(settings: Settings) -> MarketData:
    if settings.market_provider is MarketProvider.SIMULATED:
        from swingdesk.adapters.simulated_market import SimulatedMarket

        return SimulatedMarket(seed=settings.sim_seed)
    raise ConfigurationError(
        f"market provider {settings.market_provider} is not available in this version; "
        "use SWINGDESK_MARKET_PROVIDER=simulated"
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


async def build_desk(
    settings: Settings, *, clock: Clock | None = None, migrate_db: bool = True
) -> Desk:
    """Wire a desk for ``settings``; refuses combinations this version cannot run."""
    if settings.strategy_provider is not StrategyProvider.RULES:
        raise ConfigurationError(
            f"strategy provider {settings.strategy_provider} is not available in this version; "
            "use SWINGDESK_STRATEGY_PROVIDER=rules"
        )
    if settings.broker is not BrokerProvider.SIMULATED:
        raise ConfigurationError(
            f"broker {settings.broker} is not available in this version; "
            "use SWINGDESK_BROKER=simulated"
        )
    clock = clock or SystemClock()
    url = settings.effective_database_url
    if migrate_db:
        migrate.upgrade(url)
    store = Store.from_url(url)
    bus = InMemoryEventBus()
    provider = _market_provider(settings)
    market = MarketDataAgent(provider, TradingCalendar())
    broker: Broker = SimulatedBroker(
        store,
        provider.last_price,
        clock,
        initial_cash=settings.sim_initial_cash_usd,
        slippage_bps=settings.sim_slippage_bps,
        commission=settings.sim_commission_usd,
    )
    risk = RiskManager(settings.risk_limits())
    control = TradingControl(store, bus, clock)
    portfolio = PortfolioService(broker, store, SectorLookup(provider))
    execution = ExecutionAgent(broker, store, bus, clock)
    pipeline = DecisionPipeline(
        market=market,
        strategy=StrategyAgent(RulesStrategy()),
        risk=risk,
        execution=execution,
        portfolio=portfolio,
        control=control,
        store=store,
        bus=bus,
        clock=clock,
    )
    return Desk(
        settings=settings,
        clock=clock,
        store=store,
        bus=bus,
        provider=provider,
        market=market,
        broker=broker,
        risk=risk,
        control=control,
        portfolio=portfolio,
        execution=execution,
        pipeline=pipeline,
    )
