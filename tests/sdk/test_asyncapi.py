"""docs/asyncapi.yaml: generated from the wire models, never stale, valid for the official
AsyncAPI parser (@asyncapi/parser from npm)."""

from __future__ import annotations

import asyncio
import io
import json
from contextlib import redirect_stdout
from pathlib import Path

from architus_sdk.wire import asyncapi

ROOT = Path(__file__).parent.parent.parent
DOCUMENT = ROOT / "docs" / "asyncapi.yaml"


def test_the_committed_document_is_what_the_models_generate() -> None:
    generated = io.StringIO()
    with redirect_stdout(generated):
        asyncapi.main()
    assert DOCUMENT.read_text() == generated.getvalue(), (
        "docs/asyncapi.yaml is stale: run "
        "`.venv/bin/python -m architus_sdk.wire.asyncapi > docs/asyncapi.yaml`"
    )


def test_every_event_of_the_contract_is_described() -> None:
    document = asyncapi.document()
    assert set(document["operations"]) == {
        "request_elevation",
        "demote",
        "spectate",
        "pool",
        "interpret",
        "log_pool",
        "log_other",
        "elevation_expired",
        "spectate_reset",
        "reconnect",
        "guild_status",
        "token_expiring",
    }
    assert {
        op["action"] for name, op in document["operations"].items() if name in asyncapi.PUSHES
    } == {"send"}


async def test_the_official_parser_accepts_it() -> None:
    process = await asyncio.create_subprocess_exec(
        "node",
        str(ROOT / "tests" / "js" / "validate_asyncapi.mjs"),
        str(DOCUMENT),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    result = json.loads(out)
    assert result["parsed"] is True
    # the parser sees every operation the generator wrote
    assert result["operations"] == len(asyncapi.document()["operations"])
    problems = [d for d in result["diagnostics"] if d["severity"] <= 1]  # errors, warnings
    assert problems == []
