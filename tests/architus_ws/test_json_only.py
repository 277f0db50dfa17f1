"""This protocol is JSON only: binary is refused at the protocol layer (the connection closed
and counted in /metrics), whether it comes as a binary websocket frame, a `b…` long-polling
packet, or a Socket.IO binary packet (`45…`, `46…`) announcing attachments."""

from __future__ import annotations

import json

import aiohttp
import pytest

from tests.architus_ws.test_polling import PATH, handshake
from tests.conftest import RunningGateway
from tests.raw_socket import RawSocket


async def violations(gateway: RunningGateway) -> float:
    text = gateway.gateway.metrics.render().decode()
    line = next(ln for ln in text.splitlines() if ln.startswith("architus_protocol_violations"))
    return float(line.split()[-1])


@pytest.mark.parametrize(
    "frame",
    [b"\x01\x02", '451-["demote",{"_placeholder":true,"num":0}]', '461-[{"_placeholder":true}]'],
)
async def test_binary_over_a_websocket_closes_it(
    gateway: RunningGateway, frame: str | bytes
) -> None:
    raw = await RawSocket.open(gateway.url)
    before = await violations(gateway)
    await raw.send(frame)
    assert await raw.ack(1) is None  # closed, nothing answered
    assert raw.closed
    assert await violations(gateway) == before + 1
    assert gateway.gateway.engine.sessions == {}


async def test_a_binary_polling_packet_closes_the_session(gateway: RunningGateway) -> None:
    async with aiohttp.ClientSession() as http:
        sid = await handshake(http, gateway.url)
        before = await violations(gateway)
        body = "b" + "AQI=" + "\x1e" + "421" + json.dumps(["demote", {}])
        async with http.post(f"{gateway.url}{PATH}&sid={sid}", data=body) as response:
            assert response.status == 400
    assert await violations(gateway) == before + 1
    assert sid not in gateway.gateway.engine.sessions
