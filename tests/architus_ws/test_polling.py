"""Long-polling as an attacker sends it: a session id used from another address, a POST of
more packets than python-engineio takes, and request bodies announced but never sent."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.architus_ws.requests.test_spectate import GUILD
from tests.conftest import ClientFactory, RunningGateway, settings, start_gateway, token

PATH = "/socket.io/?EIO=4&transport=polling"
SEPARATOR = "\x1e"


@pytest.fixture
async def gateway() -> AsyncIterator[RunningGateway]:
    running = await start_gateway(settings(ping_interval=2, ping_timeout=2))
    yield running
    await running.stop()


async def test_a_session_id_from_another_address_is_refused(
    gateway: RunningGateway, connect: ClientFactory
) -> None:
    auth = {"token": token(guilds={GUILD: 0x2})}
    victim = await connect(gateway.url, auth=auth, transport="polling")
    assert (await victim.call("spectate", {"guild_id": GUILD, "include_logs": True}))["ok"]
    sid = victim.sio.eio.sid
    # Linux routes all of 127.0.0.0/8 to loopback: 127.0.0.2 is another client address.
    elsewhere = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
    async with aiohttp.ClientSession(connector=elsewhere) as attacker:
        # a request in the victim's name (stock runs it, and queues its answer for the victim)
        pool = '421["pool",{"type":"setting","guild_id":"' + GUILD + '","all":true}]'
        async with attacker.post(f"{gateway.url}{PATH}&sid={sid}", data=pool) as response:
            assert response.status == 400
        async with attacker.get(f"{gateway.url}{PATH}&sid={sid}") as response:
            assert response.status == 400
            stolen = await response.text()
    assert "log_" not in stolen
    # The session is given up rather than shared: its owner reconnects and resumes.
    assert sid not in gateway.gateway.engine.sessions


async def handshake(http: aiohttp.ClientSession, url: str) -> str:
    async with http.get(url + PATH) as response:
        opened = await response.text()
    assert opened.startswith("0{"), opened
    sid: str = json.loads(opened[1:])["sid"]
    async with http.post(f"{url}{PATH}&sid={sid}", data="40") as response:
        assert response.status == 200
    async with http.get(f"{url}{PATH}&sid={sid}") as response:
        assert (await response.text()).startswith("40{")
    return sid


async def test_a_post_of_more_than_16_packets_is_processed_whole(
    gateway: RunningGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with aiohttp.ClientSession() as http:
        sid = await handshake(http, gateway.url)
        requests = SEPARATOR.join(f'42{n}["demote",{{}}]' for n in range(40))
        async with http.post(f"{gateway.url}{PATH}&sid={sid}", data=requests) as response:
            assert response.status == 200
        acks: list[str] = []
        async with asyncio.timeout(10):
            while len(acks) < 40:
                async with http.get(f"{gateway.url}{PATH}&sid={sid}") as response:
                    body = await response.text()
                acks += [p for p in body.split(SEPARATOR) if p.startswith("43")]
    assert sorted(int(a[2 : a.index("[")]) for a in acks) == list(range(40))
    assert all(a.endswith('[{"ok":true,"data":{}}]') for a in acks), acks[:2]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text[-2000:]


async def test_a_body_announced_and_not_sent_is_not_waited_for(
    gateway: RunningGateway,
) -> None:
    async with aiohttp.ClientSession() as http:
        sid = await handshake(http, gateway.url)
    host, port = gateway.url.removeprefix("http://").split(":")
    for length, sent in ((999_999, b"42"), (999_999, b"42[")):
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            f"POST {PATH}&sid={sid} HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Length: {length}\r\nContent-Type: text/plain\r\n\r\n".encode()
            + sent
        )
        await writer.drain()
        # answered (or closed) within the ping timeout (2 s), not held for the body: 408
        # Request Timeout from the transport of our own, 400 from python-engineio before it
        async with asyncio.timeout(5):
            status = await reader.readline()
        writer.close()
        assert status == b"" or status.split()[1] in (b"400", b"408"), status
        # the first attempt ended the session it named, as any protocol violation does
        assert sid not in gateway.gateway.engine.sessions
