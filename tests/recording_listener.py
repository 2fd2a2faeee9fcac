"""A real TCP listener on 127.0.0.1 that records every byte sent to it.

It stands where an attacker's server would: a test points a node at it and then asserts that it
received nothing. It answers each request with `200 {}` so that a client which reaches it keeps
talking (and the recording shows everything it would have leaked).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

ANSWER = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"


class RecordingListener:
    """Accepts connections on a free 127.0.0.1 port and keeps what each one sent."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.port = int(self.socket.getsockname()[1])
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        """Its plain-http base URL."""
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(2)
                chunks = []
                try:
                    while chunk := connection.recv(65536):
                        chunks.append(chunk)
                        if b"\r\n\r\n" in b"".join(chunks):
                            connection.sendall(ANSWER)
                            break
                except OSError:
                    pass
                self.received.append(b"".join(chunks))

    @contextmanager
    def running(self) -> Iterator[RecordingListener]:
        """Listen for the duration of the block."""
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(5)
            self.socket.close()
