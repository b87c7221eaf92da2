"""Execution: turning approvals into broker orders, idempotently, and keeping books."""
