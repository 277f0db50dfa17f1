"""HTTP long-polling over ASGI: the handshake GET, the long-poll GET and the POST."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from architus_ws.transport import errors, packets
from architus_ws.transport.engine import Engine
from architus_ws.transport.errors import Reason, Refusal
from architus_ws.transport.session import Session

Scope = MutableMapping[str, Any]
Receive = Any
Send = Any

_TEXT = b"text/plain; charset=UTF-8"


async def handle(engine: Engine, scope: Scope, receive: Receive, send: Send) -> None:
    method = scope["method"]
    query_string = scope.get("query_string", b"").decode("latin-1")
    query = dict(parse_qsl(query_string))
    wanted = {b"origin", b"host", b"content-length"} | {
        name.encode() for name in engine.options.kept_headers
    }
    headers = {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in scope["headers"]
        if name in wanted
    }
    origin = headers.get("origin")
    secure = scope.get("scheme") == "https"
    cors: list[tuple[bytes, bytes]] = []
    if origin is not None:
        cors = [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-credentials", b"true"),
        ]
    if method == "OPTIONS":
        await _respond(
            send, 204, b"", _TEXT, [*cors, (b"access-control-allow-methods", b"GET, POST, OPTIONS")]
        )
        return
    refusal = engine.check_request(
        method, query, websocket=False, origin=origin, host=headers.get("host"), secure=secure
    )
    if refusal is not None:
        await refuse(send, refusal, cors if refusal is not errors.FORBIDDEN else [])
        return
    sid = query.get("sid")
    if sid is None:
        await _open(engine, scope, headers, query_string, send, cors)
        return
    session = engine.sessions[sid]
    if _client_address(scope) != session.address:
        # a leaked sid is not a session: it is given up rather than shared (its owner
        # reconnects), and nothing queued for it goes to the other address
        engine.violation("a session's request from another client address")
        session.close(Reason.TRANSPORT_ERROR)
        await refuse(send, errors.BAD_REQUEST, cors)
    elif session.expired(asyncio.get_running_loop().time()):
        session.close(Reason.PING_TIMEOUT)  # the sweep has not come by yet
        await refuse(send, errors.UNKNOWN_SID, cors)
    elif method == "GET":
        await _poll(session, receive, send, cors)
    else:
        await _post(engine, session, headers, receive, send, cors)


async def _open(
    engine: Engine,
    scope: Scope,
    headers: dict[str, str],
    query_string: str,
    send: Send,
    cors: list[tuple[bytes, bytes]],
) -> None:
    kept = {name: headers[name] for name in engine.options.kept_headers if name in headers}
    session = engine.open(_client_address(scope), kept or None, query_string)
    if isinstance(session, Refusal):
        await refuse(send, session, cors)
        return
    upgrades = ["websocket"] if engine.options.allow_websocket else []
    await _respond(send, 200, engine.handshake(session, upgrades).encode(), _TEXT, cors)
    engine.started(session)


async def _poll(
    session: Session, receive: Receive, send: Send, cors: list[tuple[bytes, bytes]]
) -> None:
    waiter = session.wait_poll()
    if waiter is None:
        await refuse(send, errors.BAD_REQUEST, cors)
        return
    if not waiter.done():
        # the client may go away while the poll waits: that ends the session, as in
        # Engine.IO's reference server, instead of leaving it to the ping timeout
        gone = asyncio.ensure_future(_disconnected(receive))
        try:
            await asyncio.wait((waiter, gone), return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            session.poll_done(waiter)
        if not waiter.done():
            waiter.cancel()
            session.close(Reason.TRANSPORT_CLOSE)
            return
    ending = waiter.result()
    if ending is not None:
        body = ending
    else:
        taken = session.take()
        body = packets.encode_payload(taken) if taken else packets.NOOP
    await _respond(send, 200, body.encode(), _TEXT, cors)


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _post(
    engine: Engine,
    session: Session,
    headers: dict[str, str],
    receive: Receive,
    send: Send,
    cors: list[tuple[bytes, bytes]],
) -> None:
    limit = engine.options.max_payload
    declared = headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        engine.violation("polling body too large")
        session.close(Reason.TRANSPORT_ERROR)
        await refuse(send, errors.TOO_LARGE, cors)
        return
    body = bytearray()
    try:
        # a body announced and never sent whole must not hold the request
        async with asyncio.timeout(engine.options.body_timeout):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body += message.get("body", b"")
                if len(body) > limit:
                    raise OverflowError
                if not message.get("more_body", False):
                    break
    except OverflowError:
        engine.violation("polling body too large")
        session.close(Reason.TRANSPORT_ERROR)
        await refuse(send, errors.TOO_LARGE, cors)
        return
    except TimeoutError:
        engine.violation("half-sent request")
        session.close(Reason.TRANSPORT_ERROR)
        await refuse(send, errors.Refusal(408, 3, "Request timeout"), cors)
        return
    try:
        received = packets.decode_payload(body.decode())
    except (UnicodeDecodeError, packets.PacketError):
        engine.violation("not an Engine.IO payload")
        session.close(Reason.TRANSPORT_ERROR)
        await refuse(send, errors.BAD_REQUEST, cors)
        return
    if not engine.options.binary and any(isinstance(data, bytes) for _, data in received):
        engine.violation("binary message")
        session.close(Reason.TRANSPORT_ERROR)
        await refuse(send, errors.BAD_REQUEST, cors)
        return
    now = asyncio.get_running_loop().time()
    for kind, data in received:
        session.receive(kind, data, now)
    await _respond(send, 200, b"ok", b"text/html", cors)


def _client_address(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


async def refuse(send: Send, refusal: Refusal, cors: list[tuple[bytes, bytes]]) -> None:
    await _respond(send, refusal.status, refusal.body(), b"application/json", cors)


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes,
    extra: list[tuple[bytes, bytes]],
) -> None:
    with contextlib.suppress(OSError):
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                    *extra,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
