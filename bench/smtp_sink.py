"""A local SMTP sink (aiosmtpd) in its own process, counting messages per recipient."""

from __future__ import annotations

import collections
import multiprocessing as mp
import re
import threading
import time

from bench import harness

# Digest messages carry Message-ID <digest-N.delivery@…> (feeds.emails): count per issue,
# so a straggler from one issue is never taken for a duplicate of the next.
_ISSUE = re.compile(rb"^Message-ID:\s*<digest-(\d+)\.", re.MULTILINE | re.IGNORECASE)


class _Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.per_recipient: collections.Counter[str] = collections.Counter()
        self.total = 0
        self.last = 0.0

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            found = _ISSUE.search(envelope.content)
            issue = found.group(1).decode() if found else "other"
            for rcpt in envelope.rcpt_tos:
                self.per_recipient[f"{issue}|{rcpt}"] += 1
            self.total += 1
            self.last = time.time()
        return "250 OK"


def _serve(port: int, conn) -> None:
    from aiosmtpd.controller import Controller

    counter = _Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    conn.send("ready")
    while True:
        command = conn.recv()
        with counter.lock:
            if command == "total":
                conn.send((counter.total, counter.last))
            elif command == "dump":
                conn.send(dict(counter.per_recipient))
            elif command == "reset":
                counter.per_recipient.clear()
                counter.total = 0
                conn.send("ok")
        if command == "stop":
            controller.stop()
            conn.send("ok")
            return


class Sink:
    def __init__(self) -> None:
        self.port = harness.free_port()
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(self.port, child), daemon=True)

    def __enter__(self) -> Sink:
        self.proc.start()
        assert self.conn.recv() == "ready"
        return self

    def ask(self, command: str):
        self.conn.send(command)
        return self.conn.recv()

    def __exit__(self, *exc) -> None:
        try:
            self.ask("stop")
        finally:
            self.proc.join(10)
            if self.proc.is_alive():
                self.proc.kill()
