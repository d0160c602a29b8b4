"""Threaded loopback HTTP server; plumbing only, behaviour lives in api/endpoints."""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .api import handle_api
from .endpoints import handle_oauth
from .state import EmulatorState, Outcome, json_reply

__all__ = ["EmulatorHTTPServer"]

_API_PREFIX = "/v3/company/"
_MAX_BODY = 64 * 1024 * 1024


class EmulatorHTTPServer(ThreadingHTTPServer):
    """Daemon handler threads; stop() also cuts idle keep-alive connections."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128  # bursts of concurrent clients (e.g. 20 racing refreshes)

    def __init__(self, address: tuple[str, int], state: EmulatorState) -> None:
        super().__init__(address, _Handler)
        self.state = state
        self._conn_lock = threading.Lock()
        self._connections: set[socket.socket] = set()

    def track(self, conn: socket.socket, alive: bool) -> None:
        with self._conn_lock:
            (self._connections.add if alive else self._connections.discard)(conn)

    def close_connections(self) -> None:
        with self._conn_lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes
    server_version = "qbo-emulator/1.0"
    timeout = 60
    server: EmulatorHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request stderr logging; use request_log instead."""

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(length, _MAX_BODY)) if length > 0 else b""

    def _dispatch(self) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        raw = self._read_body()
        auth = self.headers.get("Authorization")
        outcome: Outcome | None
        if url.path.startswith(_API_PREFIX):
            parts = [unquote(p) for p in url.path[len(_API_PREFIX) :].split("/") if p]
            outcome = handle_api(state, self.command, parts, params, raw, auth)
        else:
            outcome = handle_oauth(state, self.command, url.path, raw, auth, params)
        if outcome is None:
            outcome = Outcome(json_reply(404, {"error": "Not Found"}), "unknown")
        try:
            self._send(state, url.path, outcome)
        finally:
            if outcome.on_done is not None:
                outcome.on_done()

    def _send(self, state: EmulatorState, path: str, outcome: Outcome) -> None:
        reply = outcome.reply
        state.stats.record(
            self.command, path, outcome.entity, reply.status, outcome.kind, outcome.realm
        )
        if outcome.stall > 0:
            state.stopping.wait(outcome.stall)  # interruptible by stop(); no lock is held
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its timeout fired)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch
