"""Idle RSS per websocket on this transport (not collected by pytest: a measurement).

    ulimit -n 20000; python -m tests.architus_ws.transport.idle_memory [--sockets 2000 10000]

For each of `engineio` (an Engine.IO echo server, raw websocket clients) and `socketio`
(python-socketio on this transport, socket.io-client connected to `/`): a fresh server
process, its RSS after a first handshake, then COUNT idle sockets held for 2 s:
(RSS after - RSS before) / COUNT, as bench/connections.py measures the gateway.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import uvicorn

from architus_ws.transport.asgi import EngineApp
from architus_ws.transport.engine import Engine
from architus_ws.transport.options import EngineOptions
from architus_ws.transport.session import Session
from architus_ws.transport.socketio_engine import AsyncServer
from architus_ws.transport.upgrade import Mounts, upgrade_protocol
from tests.ports import free_port, wait_for_port

DRIVER = Path(__file__).with_name("idle_clients.mjs")


def _echo(session: Session, data: str | bytes) -> None:
    session.send(data)


def _serve(mode: str, port: int, loop: str) -> None:
    mounts = Mounts()
    if mode == "engineio":
        app = EngineApp(
            None, Engine(EngineOptions(path="/engine.io/"), on_message=_echo), mounts=mounts
        )
    else:
        engine = Engine(EngineOptions(path="/socket.io/", connect_timeout=45))
        sio = AsyncServer(engine=engine)

        @sio.on("message")  # type: ignore[untyped-decorator]
        async def message(sid: str, data: object) -> None:
            await sio.emit("message", data, to=sid)

        app = EngineApp(None, engine, mounts=mounts)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        ws=upgrade_protocol(mounts),
        log_level="warning",
        backlog=4096,
        loop=loop,
    )
    uvicorn.Server(config).run()


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(pid)


def measure(mode: str, sockets: int, loop: str) -> float:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.architus_ws.transport.idle_memory",
            "--serve",
            mode,
            str(port),
            "--loop",
            loop,
        ]
    )
    try:
        wait_for_port(port)
        url = f"http://127.0.0.1:{port}"
        subprocess.run(
            ["node", str(DRIVER), mode, url, "1"],
            input=b"",
            check=True,
            capture_output=True,
            timeout=60,
        )
        subprocess.run(["sleep", "1"], check=True)
        before = _rss_kib(server.pid)
        holder = subprocess.Popen(
            ["node", str(DRIVER), mode, url, str(sockets)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert holder.stdout is not None
        assert holder.stdin is not None
        ready = json.loads(holder.stdout.readline())
        assert ready == {"ready": sockets}, ready
        subprocess.run(["sleep", "2"], check=True)
        after = _rss_kib(server.pid)
        holder.stdin.close()
        holder.wait(60)
        return (after - before) / sockets
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--modes", nargs="+", default=["engineio", "socketio"])
    parser.add_argument("--serve", nargs=2, metavar=("MODE", "PORT"))
    parser.add_argument("--loop", default="auto", help="uvicorn's: auto (uvloop), asyncio")
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve[0], int(args.serve[1]), args.loop)
        return
    for mode in args.modes:
        for count in args.sockets:
            figure = measure(mode, count, args.loop)
            print(
                json.dumps(
                    {
                        "mode": mode,
                        "loop": args.loop,
                        "sockets": count,
                        "kib_per_socket": round(figure, 2),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
