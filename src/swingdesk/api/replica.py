"""What `serve` runs to be one replica of several: the leader lease and the shared bus.

Every replica serves triggers, reads and live streams. The lease decides which one runs the
jobs that must run once (the autopilot's ``leader_only`` jobs, the relay to Redis); losing
it cancels those jobs at once (``Autopilot.demoted``).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from swingdesk.api.deps import Services
from swingdesk.bootstrap import Desk

log = logging.getLogger(__name__)


@dataclass
class Replica:
    """The running parts; ``stop`` gives the lease back so a successor need not wait."""

    desk: Desk

    async def stop(self) -> None:
        """Stop relaying and leading (idempotent)."""
        shared = self.desk.shared_bus
        if shared is not None:
            await shared.relay.stop()
        if self.desk.leadership is not None:
            with contextlib.suppress(Exception):
                await self.desk.leadership.stop()


def start_replica(desk: Desk, services: Services) -> Replica:
    """Start the lease, and with Redis the leader's relay and the commit listener."""
    leadership = desk.leadership
    if leadership is not None:

        def changed(leading: bool) -> None:
            if not leading:
                services.autopilot.demoted()
            elif desk.shared_bus is not None:
                desk.shared_bus.relay.wake()

        leadership.add_listener(changed)
        leadership.start()
    shared = desk.shared_bus
    if shared is not None:
        shared.relay.start()
        if shared.signal is not None:
            shared.signal.listen(shared.relay.wake)
    return Replica(desk)
