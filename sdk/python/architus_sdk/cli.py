"""`architus tail` and `architus pool`: the SDK from a terminal.

URL and token come from --url/--token or ARCHITUS_URL/ARCHITUS_TOKEN.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from argparse import SUPPRESS
from collections.abc import Sequence
from typing import Any, TextIO

from architus_sdk import errors
from architus_sdk.client import ArchitusClient
from architus_sdk.slices import pushes
from architus_sdk.store import Action, Dispatch, Middleware, MiddlewareAPI
from architus_sdk.wire import EntityType, log_actions
from architus_sdk.wire.entities import GUILD_SCOPED


def _paint(text: str, code: str, stream: TextIO) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if stream.isatty() else text


def format_push(action: Action, stream: TextIO = sys.stdout) -> str | None:
    """One line per push; private entries are marked."""
    push: dict[str, Any] = action.payload
    if pushes.log_other.match(action):
        kind = log_actions.label(push["action"])
        mark = _paint(" [private]", "1;31", stream) if push["private"] else ""
        who = push.get("agent_id") or "-"
        content = f" {push['content']}" if push.get("content") else ""
        label = _paint(kind, "1;36", stream)
        return f"{push['timestamp']} #{push['seq']:<6} {label}{mark} by {who}{content}"
    if pushes.log_pool.match(action):
        count = len(push["data"])
        return (
            f"{push['timestamp']} #{push['seq']:<6} {_paint(push['type'], '1;33', stream)} "
            f"{push['op']} {count} {'entity' if count == 1 else 'entities'}"
        )
    return None


def _printer(stream: TextIO) -> Middleware:
    """Middleware: print every push as it goes by, then let it through."""

    def middleware(api: MiddlewareAPI[Any]) -> Any:
        def wrap(next_dispatch: Dispatch) -> Dispatch:
            def dispatch(action: Action) -> Any:
                line = format_push(action, stream)
                if line is not None:
                    print(line, file=stream, flush=True)
                return next_dispatch(action)

            return dispatch

        return wrap

    return middleware


async def _tail(args: argparse.Namespace) -> None:
    async with ArchitusClient(
        args.url, token=args.token, middleware=[_printer(sys.stdout)]
    ) as client:
        await client.elevate()
        ack = await client.spectate(args.guild, include_logs=not args.no_logs)
        print(
            f"following guild {args.guild} from pool #{ack.pool_seq}, logs #{ack.logs_seq}",
            file=sys.stderr,
            flush=True,
        )
        await asyncio.Event().wait()


async def _pool(args: argparse.Namespace) -> None:
    async with ArchitusClient(args.url, token=args.token) as client:
        await client.elevate()
        guild = args.guild if args.type in GUILD_SCOPED else None
        if args.search is not None:
            entities = (await client.pool(args.type, guild, search=args.search)).data
        else:
            entities = []
            async for page in client.pool_all(args.type, guild, limit=5000):
                entities += page.data
        print(json.dumps(entities, indent=2, ensure_ascii=False))


def _connection_options(defaults: bool) -> argparse.ArgumentParser:
    """--url and --token, for the top parser (with their defaults) and for every subcommand
    (without: a default there would overwrite what was given before the subcommand)."""
    options = argparse.ArgumentParser(add_help=False)
    url = os.environ.get("ARCHITUS_URL", "http://127.0.0.1:8000") if defaults else SUPPRESS
    token = os.environ.get("ARCHITUS_TOKEN") if defaults else SUPPRESS
    group = options.add_argument_group("connection")
    group.add_argument("--url", default=url, help="the gateway (ARCHITUS_URL)")
    group.add_argument("--token", default=token, help="a JWT (ARCHITUS_TOKEN)")
    return options


def build_parser() -> argparse.ArgumentParser:
    """`architus [--url U] [--token T] COMMAND ... [--url U] [--token T]`: the connection
    options go before or after the subcommand (after wins)."""
    top = argparse.ArgumentParser(
        prog="architus", description=__doc__, parents=[_connection_options(True)]
    )
    late = _connection_options(False)
    commands = top.add_subparsers(dest="command", required=True)
    tail = commands.add_parser("tail", help="print a guild's pushes as they arrive", parents=[late])
    tail.add_argument("--guild", required=True)
    tail.add_argument("--no-logs", action="store_true", help="pool changes only")
    pool = commands.add_parser("pool", help="print a pool as JSON", parents=[late])
    pool.add_argument("type", choices=[entity_type.value for entity_type in EntityType])
    pool.add_argument("--guild")
    pool.add_argument("--search")
    return top


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.token:
        parser.exit(2, "architus: give --token or set ARCHITUS_TOKEN\n")
    if args.command == "pool" and args.type in GUILD_SCOPED and not args.guild:
        parser.exit(2, f"architus: pool {args.type} needs --guild\n")
    try:
        asyncio.run(_tail(args) if args.command == "tail" else _pool(args))
    except KeyboardInterrupt:
        pass
    except errors.ArchitusError as error:
        parser.exit(1, f"architus: {type(error).__name__}: {error}\n")
    except OSError as error:
        parser.exit(1, f"architus: cannot reach {args.url}: {error}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
