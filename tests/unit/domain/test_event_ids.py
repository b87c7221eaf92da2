"""``new_event_id`` gives what ``uuid.uuid4`` gives for the same random bytes."""

from __future__ import annotations

import os
import uuid

import pytest

from swingdesk.domain import ids
from swingdesk.domain.events import FillEvent


def test_new_event_id_when_given_the_same_bytes_then_equal_to_uuid4(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    samples = [bytes(16), b"\xff" * 16, *(os.urandom(16) for _ in range(200))]
    for raw in samples:
        # uuid4 and new_event_id both draw their 16 bytes from os.urandom.
        monkeypatch.setattr(os, "urandom", lambda n, raw=raw: raw[:n])
        expected, got = uuid.uuid4(), ids.new_event_id()
        monkeypatch.undo()
        assert got == expected
        assert type(got) is uuid.UUID
        assert got.version == 4
        assert got.variant == uuid.RFC_4122
        assert got.is_safe is expected.is_safe
        assert hash(got) == hash(expected)
        assert str(got) == str(expected)


def test_new_event_id_when_called_twice_then_distinct() -> None:
    assert ids.new_event_id() != ids.new_event_id()


def test_event_when_built_without_an_id_then_new_event_id_makes_it() -> None:
    assert FillEvent.model_fields["event_id"].default_factory is ids.new_event_id
