"""The unit-of-work port in memory: ``MemoryStore`` (see ``store``)."""

from swingdesk.store.memory.store import MemoryStore, MemoryUnitOfWork

__all__ = ["MemoryStore", "MemoryUnitOfWork"]
