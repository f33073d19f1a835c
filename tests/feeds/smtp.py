"""A real SMTP server on localhost (aiosmtpd) that keeps what it accepts.

Tests script it: refuse some recipients with given replies, or hold a recipient at RCPT
(before the message is handed over) until released, so a worker can be killed in the
middle of an SMTP exchange at a moment the test chooses.
"""

from __future__ import annotations

import asyncio
import email
import socket
import threading
import time
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.raw: list[bytes] = []  # each message as it came over the wire
        self.replies: dict[str, list[str]] = {}  # address -> replies to give at RCPT, in turn
        self.hold_rcpt_number: int | None = None  # hold the n-th RCPT (1-based) at the gate
        self.held: list[str] = []
        self.gate = threading.Event()
        self.rcpt_count = 0
        self.sessions: list[tuple] = []  # the client's (host, port) per message: its connection

    # aiosmtpd handler hooks

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            queued = self.replies.get(address)
            if queued:
                return queued.pop(0)
            self.rcpt_count += 1
            hold = self.rcpt_count == self.hold_rcpt_number
            if hold:
                self.held.append(address)
        if hold:
            await asyncio.get_running_loop().run_in_executor(None, self.gate.wait, 60)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
            self.raw.append(envelope.original_content or envelope.content)
            self.sessions.append(tuple(session.peer))
        return "250 Message accepted for delivery"

    # what the tests read

    def received_by(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for rcpts, m in self.messages if address in rcpts]

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


def wait_for(condition, *, timeout: float = 60, what: str = "condition") -> None:
    """Poll `condition` until it is true; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


class SmtpServer:
    def __init__(self) -> None:
        self.sink = Sink()
        self.port = free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.sink.gate.set()
        self.controller.stop()
