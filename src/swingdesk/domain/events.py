"""Immutable events, one per pipeline stage, all linked by ``decision_id``."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal, NamedTuple, Self, cast
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    SerializationInfo,
    computed_field,
    create_model,
)
from pydantic_core import core_schema

from swingdesk.domain.analyst import AnalystView
from swingdesk.domain.clock import UtcDatetime
from swingdesk.domain.enums import (
    Action,
    Intent,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    TradingState,
)
from swingdesk.domain.ids import new_event_id
from swingdesk.domain.money import Dec, NonNegDec, PosDec
from swingdesk.domain.unchecked import build_unchecked


class Event(BaseModel):
    """Base of every event: frozen, with an id and a UTC timestamp."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID = Field(default_factory=new_event_id)
    ts_event: UtcDatetime

    @classmethod
    def trusted(cls, **fields: Any) -> Self:
        """Build an event from values that already pass every validator, without re-running them.

        For the desk's own hot paths only: the risk manager, whose values come from validated
        events, snapshots, portfolios and limits through arithmetic that keeps them finite
        and in range, and the rules analyst's signals (checked in range before). Both pass a
        ``ts_event`` that is already a UTC datetime. Running the validators again cost as
        much as all the rules together. Anything else builds events with the normal
        constructor, which rejects NaN, negatives, naive timestamps and unknown fields. The
        result equals what the constructor would build: same fields, defaults, field order
        and fields-set.
        """
        layout = _LAYOUTS.get(cls) or _layout(cls)
        values = {**layout.template, **fields}
        if len(values) != len(layout.template) or not layout.required <= fields.keys():
            raise TypeError(f"{cls.__name__}.trusted needs exactly the fields of the model")
        for name, factory in layout.factories:
            if name not in fields:
                values[name] = factory()
        return build_unchecked(cls, values, set(fields))


class DecisionEvent(Event):
    """An event that belongs to one decision."""

    decision_id: UUID


class SignalCreated(DecisionEvent):
    """The analyst's proposal. Malformed model output becomes HOLD with ``reason_code``."""

    kind: Literal["signal_created"] = "signal_created"
    ticker: str
    action: Action
    confidence: float = Field(ge=0.0, le=1.0)
    rationale: str
    model: str
    prompt_hash: str = ""
    latency_ms: float = Field(default=0.0, ge=0.0)
    tokens_in: int = Field(default=0, ge=0)
    tokens_out: int = Field(default=0, ge=0)
    cost_usd: NonNegDec = Field(default=Decimal(0))
    reason_code: str | None = None
    feasible_actions: tuple[Action, ...] = (Action.BUY, Action.SELL, Action.HOLD)
    prompt: str = Field(default="", description="the strategy's input, verbatim")
    raw_output: str = Field(default="", description="the strategy's reply, verbatim")
    cache_hit: bool = False
    #: The analyst team's views (empty for a single analyst); tokens and cost above include
    #: theirs, so the daily budget counts every call.
    views: tuple[AnalystView, ...] = ()
    #: A SELL of a held position may close only this fraction of it (0 < f <= 1; None: all).
    #: Risk sizes it in whole shares (``risk.sizing.size_close``).
    close_fraction: PosDec | None = Field(default=None, le=1)


# How a RiskCheck built outside the risk desk is validated, and its JSON schema; named
# RiskCheck so that schemas and validation errors read as they did when it was the model.
_RiskCheckFields: type[BaseModel] = create_model(
    "RiskCheck",
    __config__=ConfigDict(frozen=True, extra="forbid"),
    __doc__="One rule's verdict: the measured value against its limit.",
    __module__=__name__,
    code=(str, ...),
    passed=(bool, ...),
    value=(Dec | str | None, None),
    limit=(Dec | str | None, None),
    message=(str, ...),
)


class _RiskCheckTuple(NamedTuple):
    code: str
    passed: bool
    value: Decimal | str | None
    limit: Decimal | str | None
    message: str


class RiskCheck(_RiskCheckTuple):
    """One rule's verdict: the measured value against its limit.

    An immutable named tuple, not a pydantic model: a verdict carries up to 15 and building
    each as a model cost more than evaluating the rules. Built with field names (or
    positionally) it is validated exactly like the model it replaces (finite decimals, no
    extra fields); ``trusted`` skips that for the risk rules, whose values come from
    validated inputs. Events hold checks as they are and dump each one as
    ``{code, passed, value, limit, message}`` (decimals as strings in JSON).
    """

    __slots__ = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        """Validate the fields and build the check."""
        if len(args) > len(cls._fields):
            raise TypeError(f"RiskCheck takes at most {len(cls._fields)} positional arguments")
        for name, arg in zip(cls._fields, args, strict=False):
            if name in kwargs:
                raise TypeError(f"RiskCheck got multiple values for {name!r}")
            kwargs[name] = arg
        return cls._of(_RiskCheckFields(**kwargs))

    @classmethod
    def _of(cls, m: BaseModel) -> Self:
        f = m.__dict__
        return _tuple_new(cls, (f["code"], f["passed"], f["value"], f["limit"], f["message"]))

    @classmethod
    def trusted(
        cls,
        code: str,
        passed: bool,
        value: Decimal | str | None,
        limit: Decimal | str | None,
        message: str,
    ) -> Self:
        """Build a check without validation, for values computed from validated inputs."""
        return _tuple_new(cls, (code, passed, value, limit, message))

    def as_dict(self, *, json: bool = False) -> dict[str, Any]:
        """Return the check as a dict; ``json=True`` gives decimals as strings."""
        value, limit = self.value, self.limit
        if json:
            value = str(value) if isinstance(value, Decimal) else value
            limit = str(limit) if isinstance(limit, Decimal) else limit
        return {
            "code": self.code,
            "passed": self.passed,
            "value": value,
            "limit": limit,
            "message": self.message,
        }

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Accept a RiskCheck as it is (no copy, no re-validation); validate anything else."""
        from_fields = core_schema.no_info_after_validator_function(
            cls._of, handler.generate_schema(_RiskCheckFields)
        )
        return core_schema.json_or_python_schema(
            json_schema=from_fields,
            python_schema=core_schema.union_schema(
                [core_schema.is_instance_schema(cls), from_fields], mode="left_to_right"
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(
                _dump_check, info_arg=True
            ),
        )


_tuple_new = tuple.__new__


def _dump_check(check: RiskCheck, info: SerializationInfo) -> dict[str, Any]:
    return check.as_dict(json=info.mode_is_json())


class _RiskVerdict(DecisionEvent):
    ticker: str
    signal_event_id: UUID
    action: Action
    checks: tuple[RiskCheck, ...]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def violations(self) -> tuple[RiskCheck, ...]:
        """Return the checks that failed."""
        return tuple(c for c in self.checks if not c.passed)


class _Layout(NamedTuple):
    template: dict[str, Any]  # every field in declaration order, with its default
    required: frozenset[str]
    factories: tuple[tuple[str, Callable[[], Any]], ...]


_LAYOUTS: dict[type[BaseModel], _Layout] = {}


def _layout(cls: type[BaseModel]) -> _Layout:
    # ``trusted`` fills only __dict__ and the fields-set, as model_construct does; a model
    # that needs more (private attributes, post-init, extra fields) must not use it.
    if cls.__pydantic_post_init__ or cls.__private_attributes__:
        raise TypeError(f"{cls.__name__} cannot be built without validation")
    template: dict[str, Any] = {}
    required, factories = set(), []
    for name, info in cls.model_fields.items():
        if info.is_required():
            required.add(name)
            template[name] = None
        elif info.default_factory is not None:
            factories.append((name, cast("Callable[[], Any]", info.default_factory)))
            template[name] = None
        else:
            template[name] = info.default
    layout = _Layout(template, frozenset(required), tuple(factories))
    _LAYOUTS[cls] = layout
    return layout


class RiskApproved(_RiskVerdict):
    """Risk approved an order, sized; the stop travels with an opening approval."""

    kind: Literal["risk_approved"] = "risk_approved"
    intent: Intent
    side: OrderSide
    qty: PosDec
    reference_price: PosDec
    stop_price: PosDec | None = None
    stop_distance: NonNegDec | None = None
    risk_dollars: NonNegDec | None = None
    notional: NonNegDec


class RiskRejected(_RiskVerdict):
    """Risk denied the signal; the violations say why, with values and limits."""

    kind: Literal["risk_rejected"] = "risk_rejected"
    intent: Intent | None = None
    qty: NonNegDec | None = None
    stop_price: PosDec | None = None


RiskVerdict = RiskApproved | RiskRejected


class OrderRequest(DecisionEvent):
    """An order about to be sent; stored before the broker is called."""

    kind: Literal["order_request"] = "order_request"
    client_order_id: str = Field(max_length=48)
    ticker: str
    side: OrderSide
    intent: Intent
    qty: PosDec
    type: OrderType = OrderType.MARKET
    time_in_force: TimeInForce = TimeInForce.DAY
    stop_price: PosDec | None = Field(default=None, description="protective stop for an entry")
    reference_price: PosDec
    risk_event_id: UUID
    #: A trailing stop (type ``trailing_stop``) trails by this fraction or this price distance.
    trail_pct: PosDec | None = Field(default=None, lt=1)
    trail_price: PosDec | None = None


class OrderResponseStatus(DecisionEvent):
    """What the broker said about an order."""

    kind: Literal["order_status"] = "order_status"
    client_order_id: str
    broker_order_id: str | None = None
    status: OrderStatus
    filled_qty: NonNegDec = Field(default=Decimal(0))
    filled_avg_price: PosDec | None = None
    error_code: str | None = None
    message: str | None = None


class FillEvent(DecisionEvent):
    """Shares changed hands: the only thing that moves a position."""

    kind: Literal["fill"] = "fill"
    fill_id: str
    client_order_id: str
    broker_order_id: str | None = None
    ticker: str
    side: OrderSide
    qty: PosDec
    price: PosDec
    commission: NonNegDec = Field(default=Decimal(0))


class TradingStateChanged(Event):
    """The desk's trading state changed; always with a reason and who did it."""

    kind: Literal["trading_state_changed"] = "trading_state_changed"
    decision_id: UUID | None = None
    previous: TradingState
    current: TradingState
    reason: str
    actor: str
    #: A stable code when the desk changed the state itself (e.g. RECONCILE_UNSETTLED).
    cause: str | None = None
