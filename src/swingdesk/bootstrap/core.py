"""The trading core, wired one way for every desk: the decision pipeline over the market
agent and the analyst, the risk manager, the portfolio, execution and reconciliation, on a
broker and our books. ``build_desk`` wires it on the database, ``build_replay_desk`` (the
pipeline backtest) on books in memory; nothing else differs between the two.
"""

from __future__ import annotations

from dataclasses import dataclass

from swingdesk.adapters.simulated_broker import SimulatedBroker
from swingdesk.bootstrap.analyst import _strategy
from swingdesk.bootstrap.market import SectorLookup, _market_agent
from swingdesk.config import Settings
from swingdesk.execution.agent import ExecutionAgent
from swingdesk.execution.control import TradingControl
from swingdesk.execution.retry import RetryPolicy
from swingdesk.execution.sync import SyncWorker
from swingdesk.marketdata.agent import MarketDataAgent
from swingdesk.ports import Broker, Clock, EventBus, LLMClient, MarketData
from swingdesk.risk.manager import RiskManager
from swingdesk.services.pipeline import DecisionPipeline
from swingdesk.services.portfolio import PortfolioService
from swingdesk.store.memory import MemoryStore
from swingdesk.store.store import Store
from swingdesk.strategy.agent import StrategyAgent
from swingdesk.unit_of_work import SerialBook

#: Our books: the SQLAlchemy store (SQLite, PostgreSQL) or the in-memory one.
DeskBooks = Store | MemoryStore


@dataclass
class TradingCore:
    """The stages a decision goes through, and the services beside them."""

    market: MarketDataAgent
    risk: RiskManager
    control: TradingControl
    portfolio: PortfolioService
    execution: ExecutionAgent
    sync: SyncWorker
    pipeline: DecisionPipeline


@dataclass
class CoreParts:
    """What the trading core is wired on."""

    books: DeskBooks
    bus: EventBus
    clock: Clock
    provider: MarketData
    broker: Broker
    #: The simulated broker, when it is the broker (it reads its book in one go).
    simulated: SimulatedBroker | None
    book_lock: SerialBook
    llm: LLMClient | None


def wire_core(settings: Settings, parts: CoreParts) -> TradingCore:
    """Wire the trading core for ``settings`` on ``parts``."""
    books, bus, clock, broker = parts.books, parts.bus, parts.clock, parts.broker
    market = _market_agent(settings, parts.provider)
    risk = RiskManager(settings.risk_limits())
    control = TradingControl(books, bus, clock)
    # One policy for every broker call: orders, and the account reads risk depends on.
    retry = _retry_policy(settings)
    simulated = parts.simulated
    portfolio = PortfolioService(
        broker,
        books,
        SectorLookup(parts.provider),
        reuse_s=settings.portfolio_reuse_s,
        retry=retry,
        # The simulated broker reads its account and positions at once; Alpaca in two calls.
        read_book=simulated.account_and_positions if simulated is not None else None,
    )
    execution = ExecutionAgent(
        broker,
        books,
        bus,
        clock,
        retry=retry,
        stale_after_s=settings.stale_signal_max_age_s,
        sector_of=SectorLookup(parts.provider),
        fallback_stop_pct=settings.protection_fallback_stop_pct,
        trail=settings.trail_spec(),
    )
    # Reconciliation with the broker (start-up, `swingdesk reconcile`, every sync_interval_s).
    sync = SyncWorker(
        broker,
        books,
        bus,
        clock,
        control,
        execution,
        max_drift_pct=settings.reconcile_max_drift_pct,
        interval_s=settings.sync_interval_s,
        book_lock=parts.book_lock,
        decision_timeout_s=settings.decision_interrupt_after_s,
    )
    pipeline = DecisionPipeline(
        market=market,
        strategy=StrategyAgent(_strategy(settings, parts.llm, books)),
        risk=risk,
        execution=execution,
        portfolio=portfolio,
        control=control,
        store=books,
        bus=bus,
        clock=clock,
        book_lock=parts.book_lock,
    )
    return TradingCore(market, risk, control, portfolio, execution, sync, pipeline)


def _retry_policy(settings: Settings) -> RetryPolicy:
    """Return the retry policy of every broker call."""
    return RetryPolicy(
        attempts=settings.broker_retry_attempts,
        base_s=settings.broker_retry_base_s,
        max_s=settings.broker_retry_max_s,
    )
