"""An Engine.IO v4 server of the product's own, below ASGI.

A websocket lives at the `asyncio.Protocol` level (no task, no timer per connection); HTTP
long-polling arrives as ASGI. The sans-IO parts (`packets`, `session`, `heartbeat`) hold no
I/O; `websocket`, `polling`, `upgrade` and `asgi` do the I/O. python-socketio runs on top
through `socketio_engine.EngineIOAdapter`.
"""

from architus_ws.transport.engine import Engine
from architus_ws.transport.options import EngineOptions
from architus_ws.transport.session import Session

__all__ = ["Engine", "EngineOptions", "Session"]
