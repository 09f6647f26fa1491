"""A loopback TCP proxy the browser tests put between Chromium and the server.

It lets a test cut every open connection (as a dying load balancer would) and refuse new ones
for a while, so the page's reconnect and polling paths run against the real server.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

BUFFER_BYTES = 65536


class DroppingProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.lock = threading.Lock()
        self.open_sockets: set[socket.socket] = set()
        self.refuse_until = 0.0
        self.closed = False
        self.acceptor = threading.Thread(target=self._accept_loop, daemon=True)

    def __enter__(self) -> DroppingProxy:
        self.acceptor.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.closed = True
        self.listener.close()
        self.cut()
        self.acceptor.join(timeout=5)

    def cut(self, refuse_for_s: float = 0.0) -> None:
        """Close every live connection; refuse new ones for ``refuse_for_s`` seconds."""
        self.refuse_until = time.monotonic() + refuse_for_s
        with self.lock:
            sockets = list(self.open_sockets)
            self.open_sockets.clear()
        for sock in sockets:
            _close(sock)

    def _accept_loop(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if time.monotonic() < self.refuse_until:
                _close(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self.lock:
                self.open_sockets.update((client, upstream))
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(BUFFER_BYTES):
                target.sendall(data)
        except OSError:
            pass
        finally:
            with self.lock:
                self.open_sockets.discard(source)
                self.open_sockets.discard(target)
            _close(source)
            _close(target)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
