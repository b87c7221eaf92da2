"""An execution desk (store, AlpacaPaperBroker, ExecutionAgent, SyncWorker) on a fake Alpaca;
``BackendDesk`` is one on any unit-of-work backend (``uow_backends``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import uuid4

from pydantic import SecretStr
from tests.fakes.fake_alpaca import KEY, SECRET

from swingdesk.adapters.alpaca_broker import AlpacaPaperBroker
from swingdesk.adapters.memory_bus import InMemoryEventBus
from swingdesk.domain.enums import Action, Intent, OrderSide
from swingdesk.domain.events import RiskApproved
from swingdesk.execution.agent import ExecutionAgent
from swingdesk.execution.control import TradingControl
from swingdesk.execution.retry import FAST_RETRY, RetryPolicy
from swingdesk.execution.sync import SyncWorker
from swingdesk.ports import Clock
from swingdesk.services.relay import OutboxRelay
from swingdesk.store import migrate
from swingdesk.store.memory.store import MemoryStore
from swingdesk.store.store import Store
from swingdesk.unit_of_work import OrderStore


@dataclass
class AlpacaDesk:
    """The execution half of a desk, against a (fake) Alpaca."""

    store: Store
    broker: AlpacaPaperBroker
    agent: ExecutionAgent
    sync: SyncWorker
    control: TradingControl

    async def close(self) -> None:
        """Release the HTTP pool and the database."""
        await self.broker.close()
        await self.store.close()


def alpaca_broker(url: str, *, read_timeout_s: float = 2.0) -> AlpacaPaperBroker:
    """Return an adapter pointed at a loopback fake."""
    return AlpacaPaperBroker(
        SecretStr(KEY),
        SecretStr(SECRET),
        base_url=url,
        connect_timeout_s=1.0,
        read_timeout_s=read_timeout_s,
    )


@dataclass
class BackendDesk:
    """The execution half of a desk on a unit-of-work backend, against a (fake) Alpaca."""

    store: MemoryStore | Store
    broker: AlpacaPaperBroker
    agent: ExecutionAgent
    sync: SyncWorker
    control: TradingControl


def backend_desk(
    store: MemoryStore | Store, url: str, clock: Clock, *, retry: RetryPolicy = FAST_RETRY
) -> BackendDesk:
    """Wire the execution desk on ``store`` (nothing published: no relay)."""
    broker = alpaca_broker(url)
    agent, control, sync = _execution(store, broker, InMemoryEventBus(), clock, retry)
    return BackendDesk(store, broker, agent, sync, control)


def _execution(
    store: MemoryStore | Store,
    broker: AlpacaPaperBroker,
    bus: InMemoryEventBus,
    clock: Clock,
    retry: RetryPolicy,
) -> tuple[ExecutionAgent, TradingControl, SyncWorker]:
    agent = ExecutionAgent(
        broker,
        store,
        bus,
        clock,
        retry=retry,
        fill_polls=2,
        fill_poll_s=0.0,
        sector_of=lambda _: "Information Technology",
    )
    control = TradingControl(store, bus, clock)
    return agent, control, SyncWorker(broker, store, bus, clock, control, agent)


async def build_alpaca_desk(
    db_url: str,
    url: str,
    clock: Clock,
    *,
    read_timeout_s: float = 2.0,
    retry: RetryPolicy = FAST_RETRY,
    migrate_db: bool = True,
) -> AlpacaDesk:
    """Migrate and wire the execution desk."""
    if migrate_db:
        migrate.upgrade(db_url)
    store = Store.from_url(db_url)
    bus = InMemoryEventBus()
    relay = OutboxRelay(store, bus)
    store.publish_to(relay)
    await relay.start()
    broker = alpaca_broker(url, read_timeout_s=read_timeout_s)
    agent, control, sync = _execution(store, broker, bus, clock, retry)
    return AlpacaDesk(store, broker, agent, sync, control)


async def approve(store: OrderStore, ticker: str, now: datetime, **kw: object) -> RiskApproved:
    """Return an approval whose decision row exists (orders reference their decision)."""
    a = approval(ticker, now, **kw)  # type: ignore[arg-type]
    async with store.tx() as tx:
        await tx.add_decision(a.decision_id, ticker, "test", now)
    return a


def approval(
    ticker: str,
    now: datetime,
    *,
    qty: int = 1,
    intent: Intent = Intent.BUY_TO_OPEN,
    stop: Decimal | None = Decimal(95),
) -> RiskApproved:
    """Return a risk approval for ``qty`` shares (an entry carries a stop)."""
    opening = intent is Intent.BUY_TO_OPEN
    return RiskApproved(
        decision_id=uuid4(),
        ts_event=now,
        ticker=ticker,
        signal_event_id=uuid4(),
        action=Action.BUY if opening else Action.SELL,
        checks=(),
        intent=intent,
        side=OrderSide.BUY if opening else OrderSide.SELL,
        qty=Decimal(qty),
        reference_price=Decimal(100),
        stop_price=stop if opening else None,
        notional=Decimal(100 * qty),
    )
