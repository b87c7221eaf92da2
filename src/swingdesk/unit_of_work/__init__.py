"""The unit-of-work port: what the services and execution may ask of persistence.

A unit of work commits whole or not at all; the domain events and journal entries it
records are published only after its commit, so a failed unit publishes nothing. The port
grows one repository at a time; so far: the trading state (``TradingControl``), the account
marks (``PortfolioService``), the outbox (``OutboxRelay``), decisions as far as settling
interrupted ones and explaining one need, each stage of the decision pipeline, what
reconciliation, the stop keeper and notifications read, the records execution
keeps of its orders (``OrderStore``), what it books of the broker's reports
(``ExecutionBooks``, in ``booking``), the book lock (``SerialBook``), and the API's read
views (``ReadViews``, in ``reads``).
Implementations: the SQLAlchemy ``store.Store`` (SQLite and PostgreSQL) and
``store.memory.MemoryStore`` (in memory: the pipeline backtest and the service suites).
``records`` holds what is read back, ``units`` the units of work and the stores that open
them.
"""

from swingdesk.unit_of_work.booking import BookingUnitOfWork, ExecutionBooks
from swingdesk.unit_of_work.reads import (
    DecisionFilter,
    DecisionLine,
    EquityMark,
    FillFact,
    OrderEntry,
    OrderFilter,
    ReadViews,
    SignalEntry,
    SnapshotEntry,
)
from swingdesk.unit_of_work.records import (
    BookedHolding,
    BookedOrder,
    BookFacts,
    DecisionRecord,
    DecisionStages,
    ReportedOrder,
    StoredHolding,
    StoredOrder,
    StoredPosition,
    StoredStateChange,
)
from swingdesk.unit_of_work.units import (
    AccountStore,
    AccountUnitOfWork,
    DecisionArchive,
    DecisionStore,
    DecisionUnitOfWork,
    JobCursor,
    JournalUnitOfWork,
    Lease,
    NotificationBooks,
    OrderStore,
    OrderUnitOfWork,
    Outbox,
    OutboxMessage,
    PipelineStore,
    PipelineUnitOfWork,
    ProcessBook,
    ReconcilerBooks,
    SerialBook,
    TradingStateStore,
    TradingStateUnitOfWork,
)

__all__ = [
    "AccountStore",
    "AccountUnitOfWork",
    "BookFacts",
    "BookedHolding",
    "BookedOrder",
    "BookingUnitOfWork",
    "DecisionArchive",
    "DecisionFilter",
    "DecisionLine",
    "DecisionRecord",
    "DecisionStages",
    "DecisionStore",
    "DecisionUnitOfWork",
    "EquityMark",
    "ExecutionBooks",
    "FillFact",
    "JobCursor",
    "JournalUnitOfWork",
    "Lease",
    "NotificationBooks",
    "OrderEntry",
    "OrderFilter",
    "OrderStore",
    "OrderUnitOfWork",
    "Outbox",
    "OutboxMessage",
    "PipelineStore",
    "PipelineUnitOfWork",
    "ProcessBook",
    "ReadViews",
    "ReconcilerBooks",
    "ReportedOrder",
    "SerialBook",
    "SignalEntry",
    "SnapshotEntry",
    "StoredHolding",
    "StoredOrder",
    "StoredPosition",
    "StoredStateChange",
    "TradingStateStore",
    "TradingStateUnitOfWork",
]
