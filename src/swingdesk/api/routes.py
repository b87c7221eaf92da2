"""The API's routes; each calls the same services as the CLI."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from swingdesk import __version__
from swingdesk.api.deps import DeskDep, require_key
from swingdesk.services.explain import explain_decision
from swingdesk.services.views import portfolio_view

ops = APIRouter(tags=["ops"])
api = APIRouter(prefix="/api", dependencies=[Depends(require_key)])


class TriggerRequest(BaseModel):
    """Run one decision."""

    ticker: str = Field(min_length=1, max_length=16, examples=["AAPL"])


class ReasonRequest(BaseModel):
    """A trading-state change and why."""

    reason: str = Field(min_length=1, max_length=500)


@ops.get("/health")
async def health() -> dict[str, str]:
    """Say the process is alive."""
    return {"status": "ok", "version": __version__}


@ops.get("/ready")
async def ready(desk: DeskDep) -> dict[str, str]:
    """Say whether the database is reachable."""
    await desk.store.ping()
    return {"status": "ready"}


@api.post("/trigger", tags=["decisions"])
async def trigger(body: TriggerRequest, desk: DeskDep) -> dict[str, Any]:
    """Run one decision for a ticker through the whole pipeline."""
    outcome = await desk.pipeline.run(body.ticker, trigger="api")
    return outcome.summary()


@api.get("/decisions/{decision_id}", tags=["decisions"])
async def decision(decision_id: str, desk: DeskDep) -> dict[str, Any]:
    """Return the full explain record of a decision."""
    return await explain_decision(desk.store, decision_id)


@api.get("/portfolio", tags=["portfolio"])
async def portfolio(desk: DeskDep) -> dict[str, Any]:
    """Return equity, cash, marks and positions."""
    return portfolio_view(await desk.portfolio.current(desk.clock.now()))


@api.post("/halt", tags=["control"])
async def halt(body: ReasonRequest, desk: DeskDep) -> dict[str, Any]:
    """Halt trading."""
    return (await desk.control.halt(body.reason, actor="api")).model_dump(mode="json")


@api.post("/resume", tags=["control"])
async def resume(body: ReasonRequest, desk: DeskDep) -> dict[str, Any]:
    """Resume trading."""
    return (await desk.control.resume(body.reason, actor="api")).model_dump(mode="json")
