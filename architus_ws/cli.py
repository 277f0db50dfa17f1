"""`architus-ws serve`, `architus-ws token` and `architus-ws conformance`."""

from __future__ import annotations

import argparse
import logging.config
import os
import signal
import sys
from collections.abc import Sequence
from typing import NoReturn

from architus_sdk.wire import DEFAULT_PERMISSIONS
from architus_ws.auth.tokens import mint_token
from architus_ws.config import ConfigError, Settings
from architus_ws.observability import logs


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="architus-ws", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the gateway")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--redis",
        metavar="URL",
        help="bus URL: redis://host:port/db, or redis+cluster://host:port for a Redis Cluster "
        "(default: ARCHITUS_REDIS_URL, else the in-memory bus of this one process)",
    )
    serve.add_argument(
        "--demo",
        action="store_true",
        help="also run a simulated guild here and print a token for it",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes sharing the port (needs --redis; websocket only, since "
        "long-polling needs every request of a session on one process)",
    )
    serve.add_argument(
        "--log-level",
        default="info",
        choices=logs.LEVELS,
        help="no `trace`: uvicorn would log every request's query string (session ids)",
    )

    token = commands.add_parser("token", help="mint a signed token (development and tests)")
    token.add_argument("--user", required=True, help="user id (the `sub` claim)")
    token.add_argument(
        "--guild",
        action="append",
        default=[],
        metavar="GUILD_ID[:PERMS]",
        help=f"a guild and its permission bits (default {int(DEFAULT_PERMISSIONS):#x})",
    )
    token.add_argument("--ttl", type=float, default=3600, help="seconds until it expires")
    token.add_argument("--kid", help="sign with this key of ARCHITUS_JWT_KEYS")

    conformance = commands.add_parser(
        "conformance",
        help="serve what the official Engine.IO and Socket.IO protocol test suites run "
        "against (an echo server at /engine.io/, Socket.IO at /socket.io/)",
    )
    conformance.add_argument("--host", default="127.0.0.1")
    conformance.add_argument("--port", type=int, default=3000)

    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            _serve(args)
        elif args.command == "conformance":
            _conformance(args)
        else:
            print(_token(args))
    except ConfigError as error:
        parser.exit(2, f"architus-ws: {error}\n")


# Seconds uvicorn waits, after SIGTERM, for open connections and running requests before it
# cancels them. Unbounded (uvicorn's default), a held long-poll keeps the process for the
# ping interval and timeout (45 s), and a client that stopped reading keeps it forever.
SHUTDOWN_GRACE = 2


def _uvicorn_options(args: argparse.Namespace) -> dict[str, object]:
    from architus_ws.app import UVICORN_HTTP, UVICORN_WS

    return {
        "host": args.host,
        "port": args.port,
        "log_level": args.log_level,
        "log_config": logs.config(args.log_level),
        # off: it prints query strings, which hold session ids (ARCHITUS_ACCESS_LOG instead)
        "access_log": False,
        "timeout_graceful_shutdown": SHUTDOWN_GRACE,
        # /socket.io/ websockets are the transport's own (no permessage-deflate: it halves
        # fan-out throughput, and pushes are small JSON)
        "ws": UVICORN_WS,
        # the door: open connections are a budget of descriptors (transport/gate.py)
        "http": UVICORN_HTTP,
        "lifespan": "on",
    }


def _exit_when_terminated(signum: int, frame: object) -> NoReturn:
    # uvicorn restores this handler once it has shut down, then raises the signal again so
    # that the process dies of it; a shutdown asked for and completed is a success.
    raise SystemExit(0)


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from architus_ws import demo
    from architus_ws.app import create_app, served

    logging.config.dictConfig(logs.config(args.log_level))
    signal.signal(signal.SIGTERM, _exit_when_terminated)
    environ = dict(os.environ)
    if args.demo and not (environ.get("ARCHITUS_JWT_SECRET") or environ.get("ARCHITUS_JWT_KEYS")):
        # A throwaway secret: the demo's tokens die with the process.
        environ["ARCHITUS_JWT_SECRET"] = demo.DEMO_SECRET
    if args.workers > 1:
        _serve_workers(args, environ)
        return
    settings = Settings.from_env(environ, redis_url=args.redis)
    app = create_app(settings, drain_on_signal=True)
    if args.demo:
        demo.attach_demo(app)
        kid, secret = next(iter(settings.jwt_secrets.items()))
        url = f"http://{args.host}:{args.port}"
        print(demo.banner(url, demo.demo_token(secret, kid or None)), flush=True)
    uvicorn.run(served(app), **_uvicorn_options(args))  # type: ignore[arg-type]


def _serve_workers(args: argparse.Namespace, environ: dict[str, str]) -> None:
    """Several worker processes on one port; each builds its app from the environment."""
    import uvicorn

    if args.demo:
        raise ConfigError("--demo runs on the in-memory bus of one process: no --workers")
    environ["ARCHITUS_TRANSPORTS"] = "websocket"
    if args.redis:
        environ["ARCHITUS_REDIS_URL"] = args.redis
    settings = Settings.from_env(environ)  # refuses early what the workers would refuse
    if settings.redis_url is None:
        raise ConfigError("--workers needs a shared bus: give --redis or ARCHITUS_REDIS_URL")
    if settings.metrics_address is not None:
        # N processes cannot share one metrics port and each be scraped: run one `serve` per
        # port (each with its own ARCHITUS_METRICS_ADDRESS) instead of --workers
        raise ConfigError(
            "ARCHITUS_METRICS_ADDRESS is one process's listener: no --workers with it "
            "(run one `architus-ws serve` per port instead)"
        )
    os.environ.update(environ)
    uvicorn.run(
        "architus_ws.app:app_from_environment",
        factory=True,
        workers=args.workers,
        **_uvicorn_options(args),  # type: ignore[arg-type]
    )


def _conformance(args: argparse.Namespace) -> None:
    import asyncio

    from architus_ws.transport.conformance import serve_conformance

    asyncio.run(serve_conformance(args.host, args.port))


def _token(args: argparse.Namespace) -> str:
    settings = Settings.from_env()
    secret = settings.jwt_secrets.get(args.kid or "")
    if secret is None:
        raise ConfigError(f"no key {args.kid!r} in ARCHITUS_JWT_KEYS")
    guilds: dict[str, int] = {}
    for spec in args.guild:
        guild_id, _, perms = spec.partition(":")
        if not guild_id.isdigit():
            raise ConfigError(f"--guild {spec!r}: the guild id must be a snowflake")
        try:
            guilds[guild_id] = int(perms, 0) if perms else int(DEFAULT_PERMISSIONS)
        except ValueError:
            raise ConfigError(f"--guild {spec!r}: PERMS must be a number like 0x112") from None
    return mint_token(
        secret,
        args.user,
        guilds,
        ttl=args.ttl,
        kid=args.kid,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
