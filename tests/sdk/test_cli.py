"""`architus`: the connection options go before or after the subcommand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from architus_sdk.cli import build_parser

ARCHITUS = str(Path(sys.executable).parent / "architus")  # installed beside this interpreter


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARCHITUS_URL", raising=False)
    monkeypatch.delenv("ARCHITUS_TOKEN", raising=False)


@pytest.mark.parametrize(
    "argv",
    [
        ["pool", "member", "--guild", "G", "--url", "U", "--token", "T"],
        ["--url", "U", "--token", "T", "pool", "member", "--guild", "G"],
        ["--url", "U", "pool", "member", "--token", "T", "--guild", "G"],
        ["--url", "elsewhere", "pool", "member", "--guild", "G", "--url", "U", "--token", "T"],
    ],
)
def test_pool_takes_the_connection_options_anywhere(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert (args.command, args.type, args.guild, args.url, args.token) == (
        "pool",
        "member",
        "G",
        "U",
        "T",
    )


def test_tail_too_and_the_defaults_stay() -> None:
    args = build_parser().parse_args(["tail", "--guild", "G", "--token", "T"])
    assert (args.command, args.guild, args.url, args.token) == (
        "tail",
        "G",
        "http://127.0.0.1:8000",
        "T",
    )
    args = build_parser().parse_args(["--token", "T", "tail", "--guild", "G", "--url", "U"])
    assert (args.url, args.token) == ("U", "T")


def test_the_environment_gives_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHITUS_URL", "http://env")
    monkeypatch.setenv("ARCHITUS_TOKEN", "from-env")
    args = build_parser().parse_args(["pool", "guild"])
    assert (args.url, args.token) == ("http://env", "from-env")
    args = build_parser().parse_args(["pool", "guild", "--token", "flag"])
    assert (args.url, args.token) == ("http://env", "flag")


def test_the_documented_command_line_runs() -> None:
    """As docs/sdk.md writes it: options after the subcommand; nothing listens on the URL,
    so it ends with "cannot connect", not with a usage error."""
    done = subprocess.run(
        [
            ARCHITUS,
            "pool",
            "member",
            "--guild",
            "1",
            "--url",
            "http://127.0.0.1:9",
            "--token",
            "T",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "unrecognized arguments" not in done.stderr
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("architus: NotConnected: cannot connect to http://127.0.0.1:9")
