"""Free loopback ports for the processes a test starts, and waiting for them to listen."""

from __future__ import annotations

import socket
import time

from port_for import get_port


def free_port() -> int:
    port = get_port(None)
    if port is None:
        raise RuntimeError("no free port")
    return int(port)


def accepts(port: int) -> bool:
    """True if something listens on the loopback port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not accepts(port):
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listening on port {port} after {timeout} s")
        time.sleep(0.05)
