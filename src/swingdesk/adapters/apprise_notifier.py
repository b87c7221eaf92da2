"""Notifications through Apprise: one library for Slack, Discord, Telegram, e-mail, ntfy,
webhooks (``json://``) and many more, each chosen by the URL's scheme.

Apprise's plugins do blocking network I/O, so a send runs in a worker thread and is
abandoned after ``timeout_s``: a slow or dead endpoint can delay a notification, never the
desk. Nothing here raises; a failure is counted and logged without the URL (URLs carry
tokens, and the logging redaction masks them as well).
"""

from __future__ import annotations

import asyncio
import logging
import re
from concurrent.futures import ThreadPoolExecutor

import apprise

log = logging.getLogger(__name__)
# Apprise logs the URLs it loads at its own levels; only its warnings are of use here.
logging.getLogger("apprise").setLevel(logging.WARNING)


def split_urls(raw: str) -> list[str]:
    """Return the URLs of a setting that separates them by spaces or commas."""
    return [u for u in re.split(r"[\s,]+", raw.strip()) if u]


class AppriseNotifier:
    """Sends each notification to every configured URL (a ``Notifier``)."""

    def __init__(self, urls: list[str], *, timeout_s: float = 10.0) -> None:
        self._apprise = apprise.Apprise()
        self.urls = 0
        for url in urls:
            if self._apprise.add(url):
                self.urls += 1
            else:
                log.warning("a notification URL was refused by Apprise (scheme unknown?)")
        self.timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notify")
        self.sent = 0
        self.failed = 0

    async def notify(self, subject: str, body: str) -> None:
        """Send one notification; never raise (a failure is counted and logged)."""
        if not self.urls:
            return
        loop = asyncio.get_running_loop()
        try:
            ok = await asyncio.wait_for(
                loop.run_in_executor(self._pool, self._send, subject, body), self.timeout_s
            )
        except Exception as exc:
            ok = False
            log.warning("notification %r not sent: %s", subject, type(exc).__name__)
        if ok:
            self.sent += 1
        else:
            self.failed += 1
            log.warning("notification %r not delivered to every URL", subject)

    def _send(self, subject: str, body: str) -> bool:
        return bool(self._apprise.notify(title=subject, body=body))

    def close(self) -> None:
        """Let a send in flight finish in its thread; start no more."""
        self._pool.shutdown(wait=False, cancel_futures=True)
