"""The strategy API: one Python class is a strategy (pure; it never reaches risk or a broker).

A strategy declares its parameters (``Param``: type, default, range), decides one ticker
at a time (``decide(snapshot, position, params) -> Proposal``) for the live pipeline and
both backtest engines, and may add a vectorised ``signals(frame, params)`` that the fast
engine uses to skip the ticker-days on which ``decide`` cannot BUY. Whatever it proposes,
the risk desk sizes, resizes or denies it; nothing here can place an order.

``signals`` returns a DataFrame (or a boolean Series) aligned with ``frame``'s rows; its
``entry`` column is True on every bar on whose evening ``decide``, holding nothing, may
BUY. A superset is allowed (``decide`` still has the last word); a missed BUY is not, and
the parity check (``strategy.parity``) refuses a strategy whose ``signals`` misses one.
Other columns are the strategy's indicators; ``swingdesk strategy check`` checks them too.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from swingdesk.domain.enums import Action
from swingdesk.domain.market import MarketSnapshot
from swingdesk.domain.portfolio import PositionState

if TYPE_CHECKING:
    import pandas as pd

ParamKind = Literal["int", "float", "bool", "choice"]

#: The columns of the frame handed to ``signals`` (NaN where an indicator has no value yet).
FRAME_COLUMNS = ("open", "high", "low", "close", "volume", "atr_14", "sma_20", "sma_50", "adv_20")


@dataclass(frozen=True, slots=True)
class Proposal:
    """What a strategy proposes for one ticker: the risk desk has the final word.

    ``close_fraction`` (0 < f <= 1) asks to close only part of a held position with a SELL;
    None closes it all. ``inputs`` are recorded as the decision's prompt (strings only).
    """

    action: Action
    confidence: float
    rationale: str
    inputs: dict[str, str]
    reason_code: str | None = None
    close_fraction: float | None = None

    def __post_init__(self) -> None:
        """Refuse a partial close outside (0, 1]."""
        f = self.close_fraction
        if f is not None and not 0 < f <= 1:
            raise ValueError(f"close_fraction must be in (0, 1], got {f}")


@dataclass(frozen=True, slots=True)
class Param:
    """One declared parameter: its type, default and the range an optimiser may search."""

    name: str
    kind: ParamKind
    default: Any
    low: float | None = None
    high: float | None = None
    step: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()
    help: str = ""
    #: False keeps the parameter out of optimisation (it can still be set by hand).
    optimize: bool = True

    def __post_init__(self) -> None:
        """Refuse a declaration that cannot be searched or whose default is outside it."""
        numeric = self.kind in ("int", "float")
        if numeric and (self.low is None or self.high is None or not self.low <= self.high):
            raise ValueError(f"parameter {self.name}: needs low <= high")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"parameter {self.name}: a choice needs choices")
        self.coerce(self.default, check_range=self.default is not None)

    def coerce(self, value: Any, *, check_range: bool = True) -> Any:
        """Return ``value`` as this parameter's type; raise ValueError when it does not fit."""
        if value is None:
            if self.default is None:
                return None
            raise ValueError(f"parameter {self.name}: None is not allowed")
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
                return value.lower() in ("true", "1")
            raise ValueError(f"parameter {self.name}: {value!r} is not a bool")
        if self.kind == "choice":
            if value not in self.choices:
                raise ValueError(f"parameter {self.name}: {value!r} not in {self.choices}")
            return value
        try:
            number = float(value) if self.kind == "float" else _integer(value)
        except (TypeError, ValueError):
            raise ValueError(f"parameter {self.name}: {value!r} is not a {self.kind}") from None
        if isinstance(number, float) and not math.isfinite(number):
            raise ValueError(f"parameter {self.name}: {value!r} is not finite")
        assert self.low is not None
        assert self.high is not None
        if check_range and not self.low <= number <= self.high:
            raise ValueError(f"parameter {self.name}: {number} outside [{self.low}, {self.high}]")
        return number

    def describe(self) -> str:
        """Return the declaration in one line, as ``strategy list`` shows it."""
        if self.kind == "choice":
            space = "|".join(str(c) for c in self.choices)
        elif self.kind == "bool":
            space = "true|false"
        else:
            space = f"[{_num(self.low)}, {_num(self.high)}]" + (" log" if self.log else "")
        return f"{self.name}: {self.kind} = {self.default!r} {space}"


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("a bool is not an int")
    number = float(value)
    if number != int(number):
        raise ValueError("not a whole number")
    return int(number)


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


class StrategyParams(Mapping[str, Any]):
    """A strategy's resolved parameter values: read-only and hashable (cache keys)."""

    __slots__ = ("_hash", "_items")

    def __init__(self, values: Mapping[str, Any]) -> None:
        """Freeze ``values`` (already coerced by ``resolve_params``)."""
        self._items = dict(values)
        self._hash = hash(tuple(sorted(self._items.items(), key=lambda kv: kv[0])))

    def __getitem__(self, key: str) -> Any:
        """Return one parameter's value."""
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        """Iterate over the parameter names."""
        return iter(self._items)

    def __len__(self) -> int:
        """Return how many parameters there are."""
        return len(self._items)

    def __hash__(self) -> int:
        """Hash the values, so equal parameters share cached derived objects."""
        return self._hash

    def __eq__(self, other: object) -> bool:
        """Compare the values."""
        if isinstance(other, StrategyParams):
            return self._items == other._items
        return isinstance(other, Mapping) and self._items == dict(other)

    def __repr__(self) -> str:
        """Show the values."""
        return f"StrategyParams({self._items!r})"


class SwingStrategy:
    """Subclass this to write a strategy; see the module docstring and ``strategy new``."""

    #: The name signals are labelled with (the ``model`` of a decision).
    name: ClassVar[str] = "strategy"
    #: The declared parameters.
    parameters: ClassVar[tuple[Param, ...]] = ()
    #: Bars of history ``signals`` needs before its values are final (recursive check).
    warmup_bars: ClassVar[int] = 60
    #: Whether ``decide`` reads the snapshot's news or fundamentals (the fast engine cannot).
    reads_context: ClassVar[bool] = False

    def decide(
        self, snapshot: MarketSnapshot, position: PositionState | None, params: StrategyParams
    ) -> Proposal:
        """Return the proposal for one snapshot and the position held in it (None: flat)."""
        raise NotImplementedError

    def signals(self, frame: pd.DataFrame, params: StrategyParams) -> pd.DataFrame | None:
        """Return per-bar entry candidates (column ``entry``) and indicators, or None."""
        return None

    def uses_context(self, params: StrategyParams) -> bool:
        """Say whether these parameters make ``decide`` read news or fundamentals."""
        return self.reads_context

    def record(self, params: StrategyParams) -> dict[str, Any]:
        """Return the parameters as recorded with every decision (part of its hash)."""
        return dict(params)

    @classmethod
    def has_signals(cls) -> bool:
        """Say whether the class overrides ``signals`` (the fast engine can then screen)."""
        return cls.signals is not SwingStrategy.signals


def resolve_params(
    spec: type[SwingStrategy] | SwingStrategy, overrides: Mapping[str, Any] | None = None
) -> StrategyParams:
    """Return the declared defaults with ``overrides`` applied; refuse an unknown or bad one."""
    declared = {p.name: p for p in spec.parameters}
    unknown = sorted(set(overrides or {}) - set(declared))
    if unknown:
        raise ValueError(
            f"{spec.name} has no parameter {', '.join(unknown)} "
            f"(it has {', '.join(declared) or 'none'})"
        )
    values = {name: p.default for name, p in declared.items()}
    for name, value in (overrides or {}).items():
        values[name] = declared[name].coerce(value)
    return StrategyParams(values)


@dataclass(frozen=True, slots=True)
class StrategyInfo:
    """What ``strategy list`` shows about one installed strategy."""

    key: str
    source: str
    name: str
    summary: str
    parameters: tuple[Param, ...] = field(default=())
    vectorised: bool = False
