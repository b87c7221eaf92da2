"""Errors named for the reaction they need (DESIGN.md, convention 8).

- ConfigurationError: stop; a human must fix the set-up.
- TemporaryError: retry with backoff; the outcome may be unknown.
- RejectedError: record it and do not retry.
- InputError: the caller sent something invalid; tell them clearly.
Every error has a stable ``code`` that the API and CLI show verbatim.
"""

from __future__ import annotations

from typing import Any, ClassVar


class SwingdeskError(Exception):
    """Base of every error swingdesk raises on purpose."""

    code: ClassVar[str] = "INTERNAL"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class ConfigurationError(SwingdeskError):
    """The set-up is wrong; stop and tell the operator."""

    code = "CONFIGURATION"


class TemporaryError(SwingdeskError):
    """A transient failure; retrying later may succeed."""

    code = "TEMPORARY"

    def __init__(
        self,
        message: str,
        *,
        retry_after_s: float | None = None,
        outcome_unknown: bool = False,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.retry_after_s = retry_after_s
        self.outcome_unknown = outcome_unknown


class DatabaseUnavailableError(TemporaryError):
    """The database cannot be reached or did not answer in time; retry later."""

    code = "DATABASE_UNAVAILABLE"

    def __init__(
        self,
        message: str = "the database is temporarily unavailable; retry later",
        *,
        retry_after_s: float = 5.0,
    ) -> None:
        super().__init__(message, retry_after_s=retry_after_s)


class RejectedError(SwingdeskError):
    """The counterparty refused; record it and do not retry."""

    code = "REJECTED"


class BookLockLostError(TemporaryError):
    """The lock that keeps risk and execution serial was lost; the approval is not sent."""

    code = "BOOK_LOCK_LOST"


class InputError(SwingdeskError):
    """Invalid input from a user or client."""

    code = "INVALID_INPUT"


class InvalidTickerError(InputError):
    """The ticker symbol is malformed."""

    code = "INVALID_TICKER"


class UnknownTickerError(InputError):
    """The ticker is well-formed but no data exists for it."""

    code = "UNKNOWN_TICKER"


class NotFoundError(SwingdeskError):
    """A requested record does not exist."""

    code = "NOT_FOUND"


class IllegalTransitionError(SwingdeskError):
    """An order or trading state was asked to make a move its table forbids."""

    code = "ILLEGAL_TRANSITION"


class ConflictError(SwingdeskError):
    """The request conflicts with the current state (e.g. resume when already active)."""

    code = "CONFLICT"


class DuplicateOrderError(RejectedError):
    """The client order id was used before; look the order up instead of resubmitting."""

    code = "DUPLICATE_CLIENT_ORDER_ID"


class InsufficientFundsError(RejectedError):
    """The broker refused the order for lack of buying power."""

    code = "INSUFFICIENT_BUYING_POWER"


class LLMTimeoutError(TemporaryError):
    """The model did not answer within the timeout."""

    code = "LLM_TIMEOUT"


class LLMRateLimitError(TemporaryError):
    """The provider kept answering 429 after the SDK's retries."""

    code = "LLM_RATE_LIMIT"


class LLMUnavailableError(TemporaryError):
    """Connection failure or 5xx after the SDK's retries."""

    code = "LLM_ERROR"


class DecisionConcludedError(ConflictError):
    """The decision already has its outcome (e.g. settled as interrupted): nothing more runs."""

    code = "DECISION_CONCLUDED"
