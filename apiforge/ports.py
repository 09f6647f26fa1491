"""A free TCP port, for a server started next (the embedded CLI server, a cluster's processes)."""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now; the OS may hand it out again once the probe closes, so
    use it at once."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port
