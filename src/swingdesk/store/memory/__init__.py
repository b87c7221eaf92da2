"""Our books in memory (``MemoryStore``, the unit-of-work port), and the simulated broker's
(``MemorySimLedger``, its ledger port)."""

from swingdesk.store.memory.sim_ledger import MemorySimLedger
from swingdesk.store.memory.store import MemoryStore, MemoryUnitOfWork

__all__ = ["MemorySimLedger", "MemoryStore", "MemoryUnitOfWork"]
