"""The one place where adapters are chosen and wired together."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from swingdesk.adapters.alpaca_broker import AlpacaPaperBroker
from swingdesk.adapters.apprise_notifier import AppriseNotifier, split_urls
from swingdesk.adapters.clock import SystemClock
from swingdesk.adapters.memory_bus import InMemoryEventBus
from swingdesk.adapters.redis_bus import RedisStreamBus
from swingdesk.adapters.simulated_broker import SimulatedBroker
from swingdesk.config import BrokerProvider, MarketProvider, Settings, StrategyProvider
from swingdesk.domain.calendar import TradingCalendar
from swingdesk.domain.enums import DataSource
from swingdesk.domain.errors import ConfigurationError, InputError, UnknownTickerError
from swingdesk.execution.agent import ExecutionAgent
from swingdesk.execution.control import TradingControl
from swingdesk.execution.retry import RetryPolicy
from swingdesk.execution.sync import SyncWorker
from swingdesk.marketdata.agent import MarketDataAgent
from swingdesk.ports import (
    Broker,
    Clock,
    EventBus,
    HeldStops,
    LLMClient,
    MarketContextSource,
    MarketData,
    Strategy,
)
from swingdesk.risk.manager import RiskManager
from swingdesk.services.pipeline import DecisionPipeline
from swingdesk.services.portfolio import PortfolioService
from swingdesk.services.relay import LeaderRelay, OutboxRelay
from swingdesk.store import migrate
from swingdesk.store.book_lock import BookLock
from swingdesk.store.commit_signal import CommitSignal
from swingdesk.store.engine import DatabaseTimeouts
from swingdesk.store.leadership import Leadership, default_replica_id
from swingdesk.store.store import OutboxMessage, Store
from swingdesk.strategy.agent import RulesStrategy, StrategyAgent
from swingdesk.strategy.rules import RuleParams


@dataclass
class Desk:
    """Every service of a running desk, wired."""

    settings: Settings
    clock: Clock
    store: Store
    bus: EventBus
    provider: MarketData
    market: MarketDataAgent
    broker: Broker
    risk: RiskManager
    control: TradingControl
    portfolio: PortfolioService
    execution: ExecutionAgent
    pipeline: DecisionPipeline
    #: Why the desk is not ready yet (e.g. {"reconciliation": "first sync pending"}); /ready
    #: answers 503 while any reason is set. Whoever owns a start-up step sets and clears it.
    not_ready: dict[str, str] = field(default_factory=dict)
    #: The model client of an LLM analyst (None for the rules analyst); closed with the desk.
    llm: LLMClient | None = None
    #: Reconciliation with the broker (start-up, `swingdesk reconcile`, every sync_interval_s).
    sync: SyncWorker | None = None
    #: Publishes committed outbox messages on the bus.
    relay: OutboxRelay | None = None
    #: Keeps risk and execution serial across processes (also held by reconciliation).
    book_lock: BookLock | None = None
    #: The leader lease (started by `serve`; a CLI command never leads).
    leadership: Leadership | None = None
    #: With a shared bus (Redis): the leader's relay of the outbox to it, and its wake-up.
    shared_bus: SharedBus | None = None
    #: Where operator notifications go (Apprise), None when no URL is configured.
    notifier: AppriseNotifier | None = None
    #: The simulated broker's held stops, which a periodic job must tick (None with a real
    #: broker, whose exchange triggers them).
    held_stops: HeldStops | None = None

    async def close(self) -> None:
        """Release connections."""
        if self.notifier is not None:
            self.notifier.close()
        if self.llm is not None:
            await self.llm.close()
        if isinstance(self.broker, AlpacaPaperBroker):
            await self.broker.close()
        await self.store.close()


@dataclass
class SharedBus:
    """The Redis bus, its leader-only relay, and the PostgreSQL commit signal (if any)."""

    bus: RedisStreamBus
    relay: LeaderRelay
    signal: CommitSignal | None

    async def close(self) -> None:
        """Stop the relay, flush a pending commit signal, close Redis."""
        await self.relay.stop()
        if self.signal is not None:
            await self.signal.close()
        await self.bus.close()


class _AnnounceCommits:
    """A store publisher: tells the leader (NOTIFY) about commits it did not make itself."""

    def __init__(self, signal: CommitSignal, leadership: Leadership) -> None:
        self.signal = signal
        self.leadership = leadership

    async def committed(self, messages: list[OutboxMessage]) -> None:
        """Send one (coalesced) notification unless this replica leads."""
        if not self.leadership.is_leader:
            self.signal.notify()


async def _shared_bus(settings: Settings, store: Store, leadership: Leadership) -> SharedBus:
    assert settings.redis_url is not None
    _, epoch = await store.outbox_head()
    bus = RedisStreamBus(
        settings.redis_url,
        prefix=settings.redis_prefix,
        maxlen=settings.redis_stream_maxlen,
        timeout_s=settings.redis_timeout_s,
        epoch=epoch,
    )

    async def start_from() -> int:
        # After the newest message already in the stream: what a previous leader left
        # unpublished goes out now. An empty stream (new, or a Redis that lost its data)
        # starts from the outbox's head: older messages are replayed from the outbox.
        top = await bus.top()
        return top if top is not None else (await store.outbox_head())[0]

    relay = LeaderRelay(
        OutboxRelay(store, bus),
        is_leader=lambda: leadership.is_leader,
        start_from=start_from,
        poll_s=settings.stream_poll_s,
    )
    store.publish_to(relay)
    signal = None
    if store.engine.dialect.name == "postgresql":
        signal = CommitSignal(store.engine)
        store.publish_to(_AnnounceCommits(signal, leadership))
    return SharedBus(bus, relay, signal)


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


def _llm_client(settings: Settings) -> LLMClient | None:
    """Return the configured model client (None for the rules analyst); refuse a missing key."""
    provider = settings.strategy_provider
    if provider is StrategyProvider.OPENAI:
        from swingdesk.adapters.openai_llm import DEFAULT_MODEL, JsonMode, OpenAIChatClient

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        if not key and settings.openai_base_url is None:
            raise ConfigurationError(
                "strategy provider openai needs OPENAI_API_KEY; for a local OpenAI-compatible "
                "server (Ollama, vLLM, LM Studio) set SWINGDESK_OPENAI_BASE_URL instead"
            )
        return OpenAIChatClient(
            model=settings.llm_model or DEFAULT_MODEL,
            # Local servers ignore the key, but the SDK refuses to start without one.
            api_key=key or "no-key-needed",
            base_url=settings.openai_base_url,
            timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
            json_mode=JsonMode(settings.llm_json_mode),
        )
    if provider is StrategyProvider.ANTHROPIC:
        from swingdesk.adapters import anthropic_llm

        secret = settings.anthropic_api_key
        if secret is None or not secret.get_secret_value():
            raise ConfigurationError("strategy provider anthropic needs ANTHROPIC_API_KEY")
        return anthropic_llm.AnthropicClient(
            model=settings.llm_model or anthropic_llm.DEFAULT_MODEL,
            api_key=secret.get_secret_value(),
            base_url=settings.anthropic_base_url,
            timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
        )
    if provider is not StrategyProvider.RULES:
        raise ConfigurationError(f"strategy provider {provider} is not available")
    return None


def _strategy(settings: Settings, llm: LLMClient | None, store: Store) -> Strategy:
    """Return the analyst: rules, or the LLM with its prices, cache and budget."""
    if llm is None:
        return _api_strategy(settings)
    from swingdesk.adapters.llm_cache import FileResponseCache
    from swingdesk.domain.exchange_time import ny_day_start
    from swingdesk.strategy.budget import BudgetGuard, ModelPrice, price_for
    from swingdesk.strategy.llm import CacheMode, LLMStrategy

    prices = {
        name: ModelPrice(input_usd_per_mtok=i, output_usd_per_mtok=o)
        for name, (i, o) in settings.llm_prices_usd_per_mtok.items()
    }
    if any(p.input_usd_per_mtok < 0 or p.output_usd_per_mtok < 0 for p in prices.values()):
        raise ConfigurationError("SWINGDESK_LLM_PRICES_USD_PER_MTOK has a negative price")
    budget = None
    if settings.llm_daily_budget_usd is not None:
        price = price_for(prices, llm.model)
        if price is None:
            # An unpriced model cannot be counted against a budget: refuse rather than guess.
            raise ConfigurationError(
                f"model {llm.model} has no price in SWINGDESK_LLM_PRICES_USD_PER_MTOK, so the "
                "daily budget cannot be enforced; add its price or unset the budget"
            )

        async def spent_today(now: datetime) -> Decimal:
            return await store.llm_spend_since(ny_day_start(now))

        budget = BudgetGuard(settings.llm_daily_budget_usd, spent_today, price)
    analyst = LLMStrategy(
        llm,
        prices=prices,
        cache=FileResponseCache(settings.llm_cache_dir or settings.data_dir / "llm_cache"),
        cache_mode=CacheMode(settings.llm_cache_mode),
        budget=budget,
        timeout_s=settings.llm_timeout_s,
        max_concurrency=settings.llm_max_concurrency,
        max_output_tokens=settings.llm_max_output_tokens,
    )
    if settings.analyst_team_enabled:
        from swingdesk.strategy.team import AnalystTeam

        return AnalystTeam(analyst)
    return analyst


def _api_strategy(settings: Settings) -> Strategy:
    """Return the strategy-API analyst the settings name (the rules analyst by default)."""
    from swingdesk.strategy.loader import build_strategy, read_params_file

    ref = settings.strategy
    overrides: dict[str, Any] = {}
    if settings.strategy_params_file is not None:
        try:
            named, overrides = read_params_file(settings.strategy_params_file)
        except InputError as exc:
            raise ConfigurationError(str(exc)) from exc
        if ref is None:
            ref = named
        elif named is not None and named != ref:
            raise ConfigurationError(
                f"SWINGDESK_STRATEGY_PARAMS_FILE holds parameters of {named!r}, "
                f"not of SWINGDESK_STRATEGY {ref!r}"
            )
    if ref is None or ref == "rules":
        cap = (
            None
            if settings.rules_min_market_cap_usd is None
            else float(settings.rules_min_market_cap_usd)
        )
        sentiment = settings.rules_min_sentiment_score
        if not overrides and ref is None:
            return RulesStrategy(RuleParams(min_sentiment=sentiment, min_market_cap_usd=cap))
        context = {"min_sentiment": sentiment, "min_market_cap_usd": cap}
        overrides = {k: v for k, v in context.items() if v is not None} | overrides
        ref = "rules"
    try:
        return build_strategy(ref, overrides)
    except InputError as exc:
        raise ConfigurationError(str(exc)) from exc


async def build_desk(
    settings: Settings,
    *,
    clock: Clock | None = None,
    migrate_db: bool = True,
    reconcile: bool = True,
    provider: MarketData | None = None,
) -> Desk:
    """Wire a desk for ``settings``; refuses combinations this version cannot run.

    With ``reconcile`` the books are reconciled with the broker before the desk is returned;
    if that fails, orders are refused (NOT_RECONCILED) until a reconciliation succeeds.
    """
    llm = _llm_client(settings)  # before any I/O: a missing key stops the start-up at once
    alpaca = (
        AlpacaPaperBroker.from_settings(settings)
        if settings.broker is BrokerProvider.ALPACA
        else None
    )
    clock = clock or SystemClock()
    url = settings.effective_database_url
    if migrate_db:
        migrate.upgrade(url)
    store = Store.from_url(
        url,
        timeouts=DatabaseTimeouts(
            connect_s=settings.db_connect_timeout_s,
            statement_s=settings.db_statement_timeout_s,
            pool_s=settings.db_pool_timeout_s,
        ),
    )
    leadership = Leadership(
        store.engine,
        replica_id=settings.replica_id or default_replica_id(),
        ttl_s=settings.leader_lease_ttl_s,
        renew_s=settings.leader_renew_s,
        clock=clock,
    )
    store.closing(leadership.stop)
    shared: SharedBus | None = None
    relay: OutboxRelay | None = None
    bus: EventBus
    if settings.redis_url:
        shared = await _shared_bus(settings, store, leadership)
        store.closing(shared.close)
        bus = shared.bus
    else:
        bus = InMemoryEventBus()
        relay = OutboxRelay(store, bus)
        store.publish_to(relay)
        await relay.start()
    # A backtest passes its own provider (prices at the open while a session is in progress).
    provider = provider or _market_provider(settings)
    market = _market_agent(settings, provider)
    simulated: SimulatedBroker | None = None
    broker: Broker
    if alpaca is not None:
        broker = alpaca
    else:
        broker = simulated = SimulatedBroker(
            store,
            provider.last_price,
            clock,
            initial_cash=settings.sim_initial_cash_usd,
            slippage_bps=settings.sim_slippage_bps,
            commission=settings.sim_commission_usd,
        )
    risk = RiskManager(settings.risk_limits())
    control = TradingControl(store, bus, clock)
    # One policy for every broker call: orders, and the account reads risk depends on.
    retry = RetryPolicy(
        attempts=settings.broker_retry_attempts,
        base_s=settings.broker_retry_base_s,
        max_s=settings.broker_retry_max_s,
    )
    portfolio = PortfolioService(
        broker, store, SectorLookup(provider), reuse_s=settings.portfolio_reuse_s, retry=retry
    )
    execution = ExecutionAgent(
        broker,
        store,
        bus,
        clock,
        retry=retry,
        stale_after_s=settings.stale_signal_max_age_s,
        sector_of=SectorLookup(provider),
        fallback_stop_pct=settings.protection_fallback_stop_pct,
        trail=settings.trail_spec(),
    )
    book_lock = BookLock(store.engine)
    store.closing(book_lock.close)
    sync = SyncWorker(
        broker,
        store,
        bus,
        clock,
        control,
        execution,
        max_drift_pct=settings.reconcile_max_drift_pct,
        interval_s=settings.sync_interval_s,
        book_lock=book_lock,
        decision_timeout_s=settings.decision_interrupt_after_s,
    )
    pipeline = DecisionPipeline(
        market=market,
        strategy=StrategyAgent(_strategy(settings, llm, store)),
        risk=risk,
        execution=execution,
        portfolio=portfolio,
        control=control,
        store=store,
        bus=bus,
        clock=clock,
        book_lock=book_lock,
    )
    desk = Desk(
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
        llm=llm,
        sync=sync,
        relay=relay,
        book_lock=book_lock,
        leadership=leadership,
        shared_bus=shared,
        notifier=(
            AppriseNotifier(notify_urls(settings), timeout_s=settings.notify_timeout_s)
            if settings.notify_urls is not None
            else None
        ),
        held_stops=simulated,
    )
    if reconcile and await sync.startup() is None:
        desk.not_ready["reconciliation"] = "start-up reconciliation with the broker failed"
    return desk


def notify_urls(settings: Settings) -> list[str]:
    """Return the configured notification URLs (empty when none is set)."""
    if settings.notify_urls is None:
        return []
    return split_urls(settings.notify_urls.get_secret_value())


def wall_clock() -> Clock:
    """Return the clock of a live desk (the system's UTC time)."""
    return SystemClock()
