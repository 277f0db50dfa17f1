"""What the transport relies on in uvicorn and python-socketio, read from their installed
source: these fail when an upgrade changes it (the versions are pinned exactly)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import engineio.packet
import socketio
import uvicorn
import uvicorn.protocols.http.h11_impl as h11_impl
from uvicorn.config import HTTP_PROTOCOLS
from uvicorn.importer import import_from_string

from architus_ws.transport.gate import GatedHttp
from architus_ws.transport.socketio_engine import EngineIOAdapter
from architus_ws.transport.upgrade import EngineUpgrade

HTTP_PROTOCOLS_SHIPPED = ["h11_impl", "httptools_impl", "zttp_impl"]


def _function(path: Path, class_name: str | None, name: str) -> ast.FunctionDef:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and class_name not in (None, node.name):
            continue
        if isinstance(node, ast.ClassDef) or class_name is None:
            for item in ast.walk(node):
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name == name:
                    assert isinstance(item, ast.FunctionDef)
                    return item
    raise AssertionError(f"{name} not in {path}")


def test_uvicorn_hands_upgrades_over_as_the_seam_expects() -> None:
    """`ws_protocol_class(config=, server_state=, app_state=)`, then `connection_made`,
    `transport.set_protocol`, `data_received(<request>)`, in that order, in every HTTP
    protocol uvicorn ships."""
    folder = Path(h11_impl.__file__).parent
    for module in HTTP_PROTOCOLS_SHIPPED:
        handover = _function(folder / f"{module}.py", None, "handle_websocket_upgrade")
        calls = sorted(
            (
                (node.func.attr, node)
                for node in ast.walk(handover)
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            ),
            key=lambda named: (named[1].lineno, named[1].col_offset),
        )
        names = [name for name, _ in calls]
        made = next(call for name, call in calls if name == "ws_protocol_class")
        assert not made.args, module
        assert sorted(keyword.arg or "**" for keyword in made.keywords) == [
            "app_state",
            "config",
            "server_state",
        ], module
        order = [
            names.index(name)
            for name in ("ws_protocol_class", "connection_made", "set_protocol", "data_received")
        ]
        assert order == sorted(order), (module, names)
    # and our class takes exactly those keywords
    parameters = inspect.signature(EngineUpgrade).parameters
    assert list(parameters) == ["config", "server_state", "app_state"]


def test_uvicorn_config_takes_a_protocol_class_as_ws() -> None:
    source = inspect.getsource(uvicorn.Config.load)
    assert "self.ws_protocol_class = self.ws" in source


def _eio_attributes(source: str) -> set[str]:
    """Every `X` in `self.eio.X` / `self.server.eio.X` / `server.eio.X`."""
    used: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "eio"
        ):
            used.add(node.attr)
    return used


# python-socketio's server side; its clients, WSGI/Tornado glue and the admin UI
# (`instrument()`, which reaches into python-engineio's privates) are not used
SERVER_MODULES = [
    "async_server.py",
    "base_server.py",
    "async_manager.py",
    "base_manager.py",
    "manager.py",
    "async_pubsub_manager.py",
    "async_redis_manager.py",
    "async_namespace.py",
    "base_namespace.py",
]


def test_the_adapter_has_all_python_socketio_uses() -> None:
    folder = Path(socketio.__file__).parent
    used: set[str] = set()
    for module in SERVER_MODULES:
        path = folder / module
        if path.exists():
            used |= _eio_attributes(path.read_text())
    # `@eio.on` inside a docstring example is not code
    assert used <= EngineIOAdapter.SOCKETIO_USES, used - EngineIOAdapter.SOCKETIO_USES
    public = {name for name in vars(EngineIOAdapter) if not name.startswith("_")}
    assert public - {"SOCKETIO_USES"} == EngineIOAdapter.SOCKETIO_USES


def test_python_socketio_builds_its_engine_through_the_one_override() -> None:
    source = (Path(socketio.__file__).parent / "base_server.py").read_text()
    assert "self.eio = self._engineio_server_class()(**engineio_options)" in source
    events = {
        call.args[0].value
        for call in ast.walk(ast.parse(source))
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "on"
        and call.args
        and isinstance(call.args[0], ast.Constant)
    }
    assert events == {"connect", "message", "disconnect"}
    init = inspect.signature(EngineIOAdapter).parameters
    # what base_server passes: the user's keywords plus these
    assert {"logger", "json", "async_handlers"} <= set(init)


def test_engineio_packets_encode_as_the_adapter_sends_them() -> None:
    """python-socketio's manager hands `send_packet` python-engineio `Packet`s."""
    assert engineio.packet.Packet(engineio.packet.MESSAGE, "x").encode() == "4x"
    assert engineio.packet.Packet(engineio.packet.MESSAGE, b"\x01").encode() == b"\x01"


def test_uvicorn_proxy_headers_as_the_upgrade_uses_them() -> None:
    """A websocket's client address behind a trusted proxy comes from uvicorn's own
    ProxyHeadersMiddleware, configured from `Config.proxy_headers` and
    `Config.forwarded_allow_ips`, as its ASGI requests' addresses do."""
    from websockets.datastructures import Headers

    from architus_ws.transport.upgrade import forwarded_address

    config = uvicorn.Config(app=_no_app, forwarded_allow_ips="127.0.0.1")
    assert config.proxy_headers is True
    address_of = forwarded_address(config)
    assert address_of is not None
    forwarded = Headers({"X-Forwarded-For": "203.0.113.7, 127.0.0.1"})
    assert address_of("127.0.0.1", forwarded) == "203.0.113.7"
    assert address_of("198.51.100.1", forwarded) == "198.51.100.1"  # not a trusted proxy
    assert address_of("127.0.0.1", Headers()) == "127.0.0.1"
    assert forwarded_address(uvicorn.Config(app=_no_app, proxy_headers=False)) is None


async def test_python_socketio_marks_lifecycle_calls_pending() -> None:
    """The gateway tells a client's event named `connect` or `disconnect` from the real ones
    by `manager.is_connected` (public): python-socketio must mark a socket pending before it
    calls those handlers, and `is_connected` must say False while it is."""
    folder = Path(socketio.__file__).parent
    server = (folder / "async_server.py").read_text()
    connect = server[server.index("async def _handle_connect") :]
    assert connect.index("self.manager.pre_connect(") < connect.index("'connect', namespace")
    disconnect = server[server.index("async def _handle_disconnect") :]
    assert disconnect.index("self.manager.pre_disconnect(") < disconnect.index(
        "_trigger_event('disconnect'"
    )
    manager = socketio.AsyncManager()
    manager.set_server(socketio.AsyncServer())
    manager.initialize()
    sid = await manager.pre_connect("eio", "/")
    assert not manager.is_connected(sid, "/")
    await manager.connect(sid, "/")
    assert manager.is_connected(sid, "/")
    manager.pre_disconnect(sid, "/")
    assert not manager.is_connected(sid, "/")


async def _no_app(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("not served")


def _keywords(call: ast.Call) -> list[str]:
    return sorted(keyword.arg or "**" for keyword in call.keywords)


def test_uvicorn_builds_the_http_protocol_as_the_gate_expects() -> None:
    """transport/gate.py: `Config(http=<class>)` is used as given, built with exactly these
    keywords, and the auto HTTP protocol (the one the gate wraps) takes them too."""
    assert "self.http_protocol_class = self.http" in inspect.getsource(uvicorn.Config.load)
    startup = ast.parse(inspect.getsource(uvicorn.Server.startup).strip().replace("\n    ", "\n"))
    built = [
        node
        for node in ast.walk(startup)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "http_protocol_class"
    ]
    assert len(built) == 1
    assert not built[0].args
    assert _keywords(built[0]) == ["_loop", "app_state", "config", "server_state"]
    inner = import_from_string(HTTP_PROTOCOLS["auto"])
    assert {"config", "server_state", "app_state", "_loop"} <= set(
        inspect.signature(inner).parameters
    )
    assert list(inspect.signature(GatedHttp).parameters) == [
        "config",
        "server_state",
        "app_state",
        "_loop",
    ]


def test_uvicorn_http_protocols_count_themselves_in_server_state_connections() -> None:
    """The gate's `max_connections` reads `len(server_state.connections)`: every HTTP
    protocol uvicorn ships adds itself there on `connection_made`."""
    folder = Path(h11_impl.__file__).parent
    for module in HTTP_PROTOCOLS_SHIPPED:
        path = folder / f"{module}.py"
        source = ast.unparse(_function(path, None, "__init__"))
        assert "self.connections = server_state.connections" in source, module
        made = ast.unparse(_function(path, None, "connection_made"))
        assert "self.connections.add(self)" in made, module
