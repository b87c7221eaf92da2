"""The API's routes for operations, decisions, control, scans and the live stream.

Each route calls the same services as the CLI; errors become responses in errors.py.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from swingdesk import __version__
from swingdesk.api.deps import (
    DeskDep,
    ServicesDep,
    SettingsDep,
    Trade,
    api_key_header,
    require_read,
    unauthorized,
)
from swingdesk.api.errors import ERROR_RESPONSES
from swingdesk.api.metrics import CONTENT_TYPE
from swingdesk.api.schemas import (
    UUID_PATTERN,
    ConfigOut,
    DecisionRecord,
    DecisionSummary,
    ErrorResponse,
    Health,
    Readiness,
    ReasonRequest,
    ScanRequest,
    ScanResult,
    StreamToken,
    TradingStateOut,
    TriggerRequest,
    Watchlist,
    WatchlistRequest,
)
from swingdesk.api.security import Scope
from swingdesk.api.stream import parse_event_id
from swingdesk.api.stream_caps import LeasedStreamingResponse, caller_identity
from swingdesk.services.explain import explain_decision
from swingdesk.services.scan import scan
from swingdesk.services.watchlist import named

UuidPath = Annotated[str, Path(pattern=UUID_PATTERN, json_schema_extra={"format": "uuid"})]
ops = APIRouter(tags=["ops"])
api = APIRouter(prefix="/api", dependencies=[Depends(require_read)], responses=ERROR_RESPONSES)
stream = APIRouter(prefix="/api", tags=["stream"], responses=ERROR_RESPONSES)


@ops.get("/health", response_model=Health)
async def health() -> dict[str, str]:
    """Say the process is alive."""
    return {"status": "ok", "version": __version__}


@ops.get("/ready", response_model=Readiness, responses={503: {"model": Readiness}})
async def ready(services: ServicesDep) -> Any:
    """Say whether the database answers (within a bound) and start-up steps are done."""
    # Redis (a shared bus) is reported but does not make the replica unready: triggers and
    # reads work without it, and every replica shares it, so taking them all out of service
    # would turn a degraded stream into an outage. Its state is "degraded".
    desk = services.desk
    checks = {"database": await services.db_probe.check()}
    if services.bus_probe is not None:
        checks["redis"] = await services.bus_probe.check()
        if services.hub.interrupted is not None and checks["redis"] == "ok":
            checks["redis"] = "reconnecting: the stream resumes shortly"
    checks.update(desk.not_ready)
    ok = checks["database"] == "ok" and not desk.not_ready
    status = "ready" if ok else "not_ready"
    if ok and checks.get("redis", "ok") != "ok":
        status = "degraded"
    body = {"status": status, "checks": checks}
    return body if ok else JSONResponse(body, status_code=503)


@ops.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE.split(";")[0]: {"schema": {"type": "string"}}}},
        401: {
            **ERROR_RESPONSES[401],
            "description": "SWINGDESK_METRICS_API_KEY is set and neither X-API-Key nor "
            "Authorization: Bearer carries it",
        },
    },
    # The key is optional: /metrics is open unless SWINGDESK_METRICS_API_KEY is set.
    openapi_extra={"security": [{}, {"APIKeyHeader": []}]},
)
async def metrics(
    request: Request,
    services: ServicesDep,
    key: Annotated[str | None, Depends(api_key_header)] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """Return Prometheus metrics (needs SWINGDESK_METRICS_API_KEY when that is set)."""
    bearer = authorization[7:] if authorization and authorization[:7].lower() == "bearer " else None
    if not services.keys.metrics_allowed(key or bearer):
        raise unauthorized(request, "missing" if not (key or bearer) else "wrong")
    desk = services.desk
    replica: dict[str, Any] = desk.leadership.status() if desk.leadership else {}
    if desk.shared_bus is not None:
        replica["bus_up"] = services.hub.interrupted is None
    text = await services.metrics.render(
        desk.store,
        bus_seq=services.hub.last_seq,
        trading_state=(await desk.control.state()).value,
        replica=replica,
    )
    return Response(text, media_type=CONTENT_TYPE)


@api.post("/trigger", tags=["decisions"], response_model=DecisionSummary, dependencies=Trade)
async def trigger(body: TriggerRequest, services: ServicesDep) -> dict[str, Any]:
    """Run one decision for a ticker through the whole pipeline (10 s cooldown per ticker)."""
    desk = services.desk
    ticker = desk.pipeline.validate_ticker(body.ticker)
    services.limiter.check_trigger(ticker)
    outcome = await desk.pipeline.run(ticker, trigger="api")
    return outcome.summary()


@api.post("/scan", tags=["decisions"], response_model=ScanResult, dependencies=Trade)
async def scan_now(
    services: ServicesDep, settings: SettingsDep, body: ScanRequest | None = None
) -> dict[str, Any]:
    """Decide every ticker of the watchlist (or of ``tickers``) now, a few at a time."""
    desk = services.desk
    tickers = body.tickers if body and body.tickers else await services.watchlist.current()
    for raw in tickers:
        desk.pipeline.validate_ticker(raw)
    services.limiter.check_scan(len(tickers))
    report = await scan(
        desk.pipeline,
        list(tickers),
        clock=desk.clock,
        concurrency=settings.scan_concurrency,
        trigger="api-scan",
    )
    return report.summary()


@api.get("/decisions/{decision_id}", tags=["decisions"], response_model=DecisionRecord)
async def decision(decision_id: UuidPath, desk: DeskDep) -> dict[str, Any]:
    """Return the full explain record of a decision."""
    return await explain_decision(desk.store, decision_id)


@api.post("/halt", tags=["control"], response_model=TradingStateOut, dependencies=Trade)
async def halt(body: ReasonRequest, desk: DeskDep) -> dict[str, Any]:
    """Halt trading: nothing new passes risk until a resume."""
    return (await desk.control.halt(body.reason, actor="api")).model_dump(mode="json")


@api.post("/resume", tags=["control"], response_model=TradingStateOut, dependencies=Trade)
async def resume(body: ReasonRequest, desk: DeskDep) -> dict[str, Any]:
    """Resume trading (ACTIVE) after a halt or a reduction."""
    return (await desk.control.resume(body.reason, actor="api")).model_dump(mode="json")


def _named(services: ServicesDep, tickers: list[str]) -> dict[str, Any]:
    provider = services.desk.provider
    return {"tickers": tickers, "items": [named(provider, t) for t in tickers]}


@api.get("/watchlist", tags=["autopilot"], response_model=Watchlist)
async def get_watchlist(services: ServicesDep) -> dict[str, Any]:
    """Return the tickers the autopilot scans, in scan order, each with its name."""
    return _named(services, await services.watchlist.current())


@api.put("/watchlist", tags=["autopilot"], response_model=Watchlist, dependencies=Trade)
async def put_watchlist(body: WatchlistRequest, services: ServicesDep) -> dict[str, Any]:
    """Replace the autopilot's tickers (each checked against the market's universe; the order
    given is the scan order); the next scan uses them."""
    return _named(services, await services.watchlist.replace(body.tickers))


@api.get("/config", tags=["ops"], response_model=ConfigOut)
async def config(services: ServicesDep, settings: SettingsDep) -> dict[str, Any]:
    """Return the effective settings without any secret, and the autopilot's state."""
    out = settings.public()
    scanning = "scan" in services.autopilot.jobs
    out["autopilot"] = {"enabled": scanning, **services.autopilot.status()}
    leadership = services.desk.leadership
    if leadership is not None:
        out["leadership"] = {**leadership.status(), "lease": await leadership.holder()}
    out["bus"] = "redis" if services.desk.shared_bus is not None else "in-process"
    return out


@api.post("/stream-token", tags=["stream"], response_model=StreamToken)
async def stream_token(
    services: ServicesDep, scope: Annotated[Scope, Depends(require_read)]
) -> dict[str, Any]:
    """Issue a short-lived signed token for ``GET /api/stream?token=...`` (browsers)."""
    token, expires = services.keys.issue_stream_token(Scope.READ)
    return {
        "token": token,
        "expires_at": expires,
        "ttl_s": services.keys.ttl_s,
        "usage": "GET /api/stream?token=<token>",
    }


@stream.get(
    "/stream",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
        429: {
            "model": ErrorResponse,
            "description": "too many live streams for this key or token, or in total "
            "(TOO_MANY_STREAMS); see Retry-After",
        },
    },
    # The header key, or instead ?token= (or ?api_key=): see the query parameters.
    openapi_extra={"security": [{"APIKeyHeader": []}, {}]},
)
async def live(
    request: Request,
    services: ServicesDep,
    settings: SettingsDep,
    key: Annotated[str | None, Depends(api_key_header)] = None,
    token: Annotated[
        str | None, Query(description="signed token from POST /api/stream-token")
    ] = None,
    api_key: Annotated[
        str | None,
        Query(description="the API key (compatibility; leaks into access logs, prefer token)"),
    ] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    last_id_query: Annotated[
        str | None,
        Query(
            alias="last_event_id",
            max_length=40,
            description="resume after this stream id (`<seq>-<epoch>`), as Last-Event-ID",
        ),
    ] = None,
) -> StreamingResponse:
    """Stream events as they happen (SSE); resume after ``Last-Event-ID``."""
    keys = services.keys
    scope = keys.scope_of(key) if key else Scope.NONE
    by_key = scope is not Scope.NONE
    if scope is Scope.NONE and token:
        scope = keys.stream_token_scope(token)
    if scope is Scope.NONE and api_key:
        scope = keys.scope_of(api_key)
        by_key = scope is not Scope.NONE
    if scope is Scope.NONE and keys.open:
        scope = Scope.TRADE
    if scope is Scope.NONE:
        raise unauthorized(request, "missing" if not (key or token or api_key) else "wrong")
    identity = caller_identity(
        key_scope=scope.name.lower() if by_key else None,
        token=token if not by_key and token else None,
        client=request.client.host if request.client else "?",
    )
    lease = services.streams.admit(identity)  # 429 past the per-caller or total cap
    after = parse_event_id(last_event_id) or parse_event_id(last_id_query)
    return LeasedStreamingResponse(
        services.hub.frames(after, keepalive_s=settings.stream_keepalive_s),
        lease=lease,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
