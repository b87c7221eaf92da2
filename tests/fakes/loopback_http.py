"""The base of the fake vendor servers: HTTP/1.1 on loopback, quiet, no Nagle delay."""

from __future__ import annotations

import socket
from http.server import BaseHTTPRequestHandler
from typing import Any


class LoopbackHandler(BaseHTTPRequestHandler):
    """A keep-alive request handler that answers small replies at once and logs nothing."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        """Send small replies at once (no Nagle delay)."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""
