"""sdk/js/src/wire.ts: generated from the wire models, never stale, and valid TypeScript for
the package's own compiler (strict)."""

from __future__ import annotations

import asyncio
import contextlib
import io
from pathlib import Path

import pytest

from architus_sdk.wire import typescript

ROOT = Path(__file__).parent.parent.parent
GENERATED = ROOT / "sdk" / "js" / "src" / "wire.ts"
TSC = ROOT / "sdk" / "js" / "node_modules" / ".bin" / "tsc"


def test_wire_ts_is_what_the_models_generate() -> None:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        typescript.main()
    assert GENERATED.read_text() == printed.getvalue(), (
        "sdk/js/src/wire.ts is stale: python -m architus_sdk.wire.typescript > sdk/js/src/wire.ts"
    )


def test_every_event_has_its_payload_type() -> None:
    text = GENERATED.read_text()
    for event in ("log_pool", "log_other", "guild_status", "token_expiring", "reconnect"):
        assert f"  {event}: (payload: " in text
    for request in ("request_elevation", "demote", "spectate", "pool", "interpret"):
        assert f"  {request}: (payload: " in text
    # entities are typed by pool type, not `unknown`
    assert "[K in T]: PoolDataFields & { type: K; data: Array<PoolEntities[K]> };" in text


@pytest.mark.node
async def test_the_compiler_accepts_it(tmp_path: Path) -> None:
    if not TSC.exists():
        pytest.fail("run `npm ci --prefix sdk/js` first (scripts/install test does it)")
    checked = tmp_path / "wire.ts"
    checked.write_text(GENERATED.read_text())
    usage = tmp_path / "usage.ts"
    # the types in use: a push narrowed by its type and op, an answer by its type
    usage.write_text(
        'import type { LogPool, PoolData, Member } from "./wire.js";\n'
        'export function names(push: LogPool, page: PoolData<"member">): string[] {\n'
        "  const fromPage: Member[] = page.data;\n"
        '  if (push.type === "member" && push.op === "upsert") {\n'
        "    return [...push.data.map((m) => m.name), ...fromPage.map((m) => m.name)];\n"
        "  }\n"
        "  return [];\n"
        "}\n"
    )
    process = await asyncio.create_subprocess_exec(
        str(TSC),
        "--strict",
        "--noEmit",
        "--target",
        "es2022",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        str(checked),
        str(usage),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, out.decode()
