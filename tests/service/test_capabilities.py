"""Capabilities are ports chosen in bootstrap: the API asks the wired desk, never the broker."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.api import fresh_database

from swingdesk.adapters.clock import ManualClock
from swingdesk.bootstrap import build_desk, notify_urls
from swingdesk.config import load_settings
from swingdesk.ports import HeldStops


async def test_build_desk_when_the_broker_is_simulated_then_its_held_stops_are_wired(
    tmp_path: Path, clock: ManualClock
) -> None:
    fresh_database(tmp_path)
    desk = await build_desk(load_settings(data_dir=tmp_path), clock=clock, migrate_db=False)
    try:
        assert desk.held_stops is desk.broker
        assert isinstance(desk.held_stops, HeldStops)
    finally:
        await desk.close()


def test_notify_urls_when_set_with_spaces_and_commas_then_each_url_once() -> None:
    settings = load_settings(notify_urls="json://a.example/x, mailto://b.example  tgram://c/d")
    assert notify_urls(settings) == ["json://a.example/x", "mailto://b.example", "tgram://c/d"]
    assert notify_urls(load_settings()) == []
