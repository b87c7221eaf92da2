"""The ports: what the core needs from the outside world, as Protocols.

Adapters implement them; ``bootstrap`` chooses which. Every port has an in-memory fake
in the tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

import pandas as pd

from swingdesk.domain.context import Fundamentals, Headline
from swingdesk.domain.enums import (
    Action,
    DataSource,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from swingdesk.domain.events import OrderRequest, SignalCreated
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PortfolioState


@runtime_checkable
class Clock(Protocol):
    """The only source of the current time outside adapters."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware UTC."""
        ...


@dataclass(frozen=True, slots=True)
class TickerProfile:
    """Static facts about a ticker."""

    ticker: str
    name: str
    sector: str


class MarketData(Protocol):
    """A provider of raw daily bars and market context; indicators are computed by us."""

    source: DataSource
    #: Whether its calls wait on the network: then a snapshot asks them concurrently. An
    #: in-memory provider's calls return at once, and running them as tasks only adds work.
    waits_on_io: bool

    def universe(self) -> Sequence[str]:
        """Return the tickers this provider knows, sorted."""
        ...

    def profile(self, ticker: str) -> TickerProfile:
        """Return name and sector; raise UnknownTickerError for an unknown ticker."""
        ...

    async def profile_async(self, ticker: str) -> TickerProfile:
        """Return ``profile`` without blocking the event loop (a provider that fetches it over
        the network awaits the fetch; one that holds it in memory answers ``profile``)."""
        ...

    async def daily_bars(self, ticker: str, now: datetime, lookback: int) -> pd.DataFrame:
        """Return up to ``lookback`` daily bars ending at ``now`` (no later bar, ever).

        Columns open, high, low, close, volume (floats); index: session dates ascending.
        The last row may be today's session in progress. Raise UnknownTickerError for an
        unknown ticker and TemporaryError when the provider is unreachable.
        """
        ...

    async def last_price(self, ticker: str, now: datetime) -> Decimal:
        """Return the latest trade price at ``now`` (today's bar in progress)."""
        ...

    async def vix(self, now: datetime) -> Decimal | None:
        """Return the latest VIX level at ``now``, None when it cannot be obtained."""
        ...

    async def next_earnings(self, ticker: str, now: datetime) -> date | None:
        """Return the next earnings date on or after ``now``'s session, None if none known.

        Raise TemporaryError when the provider cannot say (risk then fails closed).
        """
        ...


class MarketContextSource(Protocol):
    """News and fundamentals of a ticker, as they were known at ``now`` (never later)."""

    #: Whether its calls wait on the network (see ``MarketData.waits_on_io``).
    waits_on_io: bool

    async def news(self, ticker: str, now: datetime, limit: int) -> Sequence[Headline] | None:
        """Return up to ``limit`` headlines published at or before ``now``, newest first.

        None when the source has no news for this market (nothing to read, so "news" is
        missing); an empty list when it has none for the ticker. Raise TemporaryError when
        the source cannot be reached.
        """
        ...

    async def fundamentals(self, ticker: str, now: datetime) -> Fundamentals | None:
        """Return the newest figures dated on or before ``now``'s New York date, None if none."""
        ...


class SentimentScorer(Protocol):
    """Scores one text's sentiment offline, deterministically, with no model to download."""

    #: The scorer and its version, as shown beside every score (e.g. ``vader-3.3.2``).
    method: str

    def score(self, text: str) -> float:
        """Return a compound score from -1 (most negative) to 1 (most positive)."""
        ...


class MarketDataService(Protocol):
    """Builds complete snapshots (what the pipeline stage needs)."""

    source: DataSource

    def universe(self) -> Sequence[str]:
        """Return the tickers the desk can analyse."""
        ...

    async def snapshot(self, ticker: str, now: datetime) -> MarketSnapshot:
        """Return a snapshot with indicators; raise UnknownTickerError for unknown tickers."""
        ...


class Strategy(Protocol):
    """An analyst: proposes BUY, SELL or HOLD for one snapshot, never raises on bad output."""

    name: str

    async def evaluate(
        self,
        decision_id: UUID,
        snapshot: MarketSnapshot,
        portfolio: PortfolioState,
        feasible: Sequence[Action],
        now: datetime,
    ) -> SignalCreated:
        """Return the analyst's signal; anything outside ``feasible`` must come back as HOLD."""
        ...


@dataclass(frozen=True, slots=True)
class LLMRequest:
    """One structured-output call: prompts plus the JSON schema the reply must match."""

    system: str
    user: str
    schema_name: str
    json_schema: dict[str, Any]
    max_output_tokens: int = 400


@dataclass(frozen=True, slots=True)
class LLMReply:
    """What the model said, verbatim, with usage; never interpreted by the adapter.

    ``finish_reason`` is normalised across vendors: stop, length, content_filter, refusal,
    or the vendor's own word. ``text`` is the JSON the model produced (for Anthropic's tool
    use: the tool input serialised), or the raw body when the server sent no usable reply.
    """

    text: str
    finish_reason: str | None
    refusal: str | None
    tokens_in: int
    tokens_out: int
    model: str


class LLMClient(Protocol):
    """A chat model behind a vendor SDK. Vendor failures are translated by the adapter:
    LLMTimeoutError, LLMRateLimitError, LLMUnavailableError (all TemporaryError) or
    RejectedError; the strategy turns each into HOLD with a stable reason code."""

    provider: str
    model: str

    async def complete(self, request: LLMRequest) -> LLMReply:
        """Ask the model once (the SDK's own retries included) and return its reply."""
        ...

    async def close(self) -> None:
        """Release the client's connections."""
        ...


@dataclass(frozen=True, slots=True)
class BrokerAccount:
    """The broker's view of the account."""

    cash: Decimal
    buying_power: Decimal
    equity: Decimal
    currency: str = "USD"


@dataclass(frozen=True, slots=True)
class BrokerPosition:
    """The broker's view of one position."""

    ticker: str
    qty: Decimal
    avg_entry_price: Decimal
    market_value: Decimal
    current_price: Decimal


@dataclass(frozen=True, slots=True)
class BrokerOrder:
    """The broker's view of one order."""

    broker_order_id: str
    client_order_id: str
    ticker: str
    side: OrderSide
    qty: Decimal
    type: OrderType
    time_in_force: TimeInForce
    status: OrderStatus
    filled_qty: Decimal
    filled_avg_price: Decimal | None
    submitted_at: datetime
    stop_price: Decimal | None = None
    legs: tuple[BrokerOrder, ...] = ()
    #: Set for an order placed by amount (Alpaca's ``notional``): ``qty`` is then 0.
    notional: Decimal | None = None
    #: A trailing stop's trail (fraction or price distance) and high-water mark.
    trail_pct: Decimal | None = None
    trail_price: Decimal | None = None
    hwm: Decimal | None = None


class Broker(Protocol):
    """A paper broker. Errors are translated to TemporaryError / RejectedError /
    ConfigurationError by the adapter; a TemporaryError with ``outcome_unknown`` means
    the order may exist and must be looked up by client order id."""

    name: str

    async def get_account(self) -> BrokerAccount:
        """Return cash, buying power and equity."""
        ...

    async def get_positions(self) -> list[BrokerPosition]:
        """Return every open position."""
        ...

    async def submit_order(self, request: OrderRequest) -> BrokerOrder:
        """Submit an order keyed by its client order id."""
        ...

    async def get_order_by_client_id(self, client_order_id: str) -> BrokerOrder | None:
        """Return the order with this client order id, None when the broker has none."""
        ...

    async def list_orders(self, *, open_only: bool = True) -> list[BrokerOrder]:
        """Return orders, open ones only by default."""
        ...

    async def cancel_order(self, broker_order_id: str) -> None:
        """Ask the broker to cancel an order."""
        ...


#: Reads a broker's account and its positions at once, consistent with each other. A broker
#: that can (the simulated one) offers it and bootstrap hands it to the portfolio, which
#: otherwise asks the Broker port twice (get_account, then get_positions).
AccountAndPositions = Callable[[], Awaitable[tuple[BrokerAccount, list[BrokerPosition]]]]


#: Topic of the message a bus yields to its subscribers when it lost its transport (Redis
#: down or stalled): what follows may have a gap, so live clients are told to resync.
BUS_INTERRUPTED = "bus.interrupted"
#: Topic of the message that says the transport carries messages again.
BUS_RESUMED = "bus.resumed"


@dataclass(frozen=True, slots=True)
class BusMessage:
    """One message on the event bus.

    ``seq`` is the message's place in the outbox (gap-free, in commit order) and ``epoch``
    identifies the database that numbered it; together they are the stream id, unique across
    restarts. A transient message (a portfolio mark) has ``seq`` 0: it is not replayed.
    """

    seq: int
    topic: str
    payload: dict[str, Any]
    epoch: int = 0

    @property
    def id(self) -> str | None:
        """Return the stream id (``<seq>-<epoch>``), None for a transient message."""
        return f"{self.seq}-{self.epoch}" if self.seq else None


class EventBus(Protocol):
    """Carries committed events to subscribers, in order."""

    @property
    def last_seq(self) -> int:
        """Return the sequence number of the newest message carried (0 before any)."""
        ...

    async def publish(self, message: BusMessage) -> None:
        """Deliver one message to every subscriber."""
        ...

    def subscribe(self, after: int | None = None) -> AsyncIterator[BusMessage]:
        """Yield messages as they are published (a durable bus: those after seq ``after``)."""
        ...


@runtime_checkable
class HeldStops(Protocol):
    """A broker with no exchange of its own: a periodic tick makes its held stops fire."""

    async def process_stops(self, now: datetime) -> object:
        """Fill every held protective stop the current price has crossed."""
        ...


class Notifier(Protocol):
    """Tells a person about something that needs attention (halts, drift)."""

    async def notify(self, subject: str, body: str) -> None:
        """Send one notification; never raise."""
        ...
