"""architus_ws: the Socket.IO gateway (Quart for HTTP, python-socketio for Socket.IO)."""

from architus_ws.app import create_app
from architus_ws.config import Settings

__all__ = ["Settings", "create_app"]
