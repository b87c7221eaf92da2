"""The Apprise adapter against local servers: delivered to a webhook, bounded when one hangs."""

from __future__ import annotations

import socket
import time

from tests.fakes.webhook import WebhookReceiver

from swingdesk.adapters.apprise_notifier import AppriseNotifier, split_urls


async def test_notifier_when_a_webhook_listens_then_title_and_body_arrive() -> None:
    with WebhookReceiver() as hook:
        notifier = AppriseNotifier([hook.url], timeout_s=5)
        await notifier.notify("[swingdesk] Trading state HALTED", "ACTIVE -> HALTED by api")
        notifier.close()
    assert notifier.sent == 1
    assert hook.received[0]["title"] == "[swingdesk] Trading state HALTED"
    assert hook.received[0]["message"] == "ACTIVE -> HALTED by api"


async def test_notifier_when_the_endpoint_never_answers_then_it_gives_up_in_time() -> None:
    # A socket that accepts connections and never answers: a hung notification service.
    sink = socket.socket()
    sink.bind(("127.0.0.1", 0))
    sink.listen(16)
    port = sink.getsockname()[1]
    notifier = AppriseNotifier([f"json://127.0.0.1:{port}/hook"], timeout_s=0.5)
    try:
        start = time.monotonic()
        await notifier.notify("subject", "body")  # never raises
        assert time.monotonic() - start < 1.5
        assert notifier.failed == 1
        assert notifier.sent == 0
    finally:
        notifier.close()
        sink.close()


def test_split_urls_when_spaces_and_commas_then_each_url_once() -> None:
    assert split_urls(" json://a/b,ntfy://c/d  mailto://e ,, ") == [
        "json://a/b",
        "ntfy://c/d",
        "mailto://e",
    ]
