"""LogAction: the one catalogue of log action numbers, and every place that publishes it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import discord

from architus_sdk.cli import format_push
from architus_sdk.slices import pushes
from architus_sdk.wire import LogAction, LogOtherBody, asyncapi
from architus_sdk.wire.log_actions import label

ROOT = Path(__file__).parent.parent.parent


def test_the_contract_numbers() -> None:
    assert int(LogAction.MESSAGE_SENT) == 3001
    assert [
        LogAction.AUTO_RESPONSE_ADDED,
        LogAction.AUTO_RESPONSE_REMOVED,
        LogAction.AUTO_RESPONSE_EDITED,
        LogAction.AUTO_RESPONSE_TRIGGERED,
    ] == [3200, 3201, 3202, 3203]
    for action in LogAction:
        assert action.from_discord == (action < 3000)
        assert action.meaning


def test_the_discord_numbers_are_discords() -> None:
    by_discord = {
        LogAction.MEMBER_KICK: discord.AuditLogAction.kick,
        LogAction.MEMBER_BAN_ADD: discord.AuditLogAction.ban,
        LogAction.MEMBER_UPDATE: discord.AuditLogAction.member_update,
        LogAction.MEMBER_ROLE_UPDATE: discord.AuditLogAction.member_role_update,
        LogAction.MESSAGE_DELETE: discord.AuditLogAction.message_delete,
    }
    assert set(by_discord) == {action for action in LogAction if action.from_discord}
    for action, theirs in by_discord.items():
        assert action.value == theirs.value


def test_entries_take_catalogued_and_other_discord_numbers() -> None:
    fields: dict[str, Any] = {
        "id": "1",
        "private": True,
        "agent_id": None,
        "subject_id": None,
        "content": None,
        "data": {},
        "timestamp": "t",
    }
    assert (
        LogOtherBody(action=LogAction.MEMBER_KICK, **fields).model_dump_json().count('"action":20,')
    )
    assert LogOtherBody(action=1, **fields).action == 1  # GUILD_UPDATE: not listed, still fine


def test_docs_protocol_lists_the_catalogue() -> None:
    text = (ROOT / "docs" / "protocol.md").read_text()
    section = text.split("## Log actions", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| `(\w+)` \| (.+?) \|$", section, re.MULTILINE)
    assert rows == [(str(a.value), a.name, a.meaning) for a in LogAction]


def test_the_asyncapi_document_carries_the_catalogue() -> None:
    schemas = asyncapi.document()["components"]["schemas"]
    catalogue = schemas["LogAction"]
    assert catalogue["enum"] == [action.value for action in LogAction]
    assert catalogue["x-enum-varnames"] == [action.name for action in LogAction]
    assert {"$ref": "#/components/schemas/LogAction"} in schemas["LogOther"]["properties"][
        "action"
    ]["anyOf"]


def test_no_other_source_restates_the_numbers() -> None:
    own = ROOT / "sdk" / "python" / "architus_sdk" / "wire" / "log_actions.py"
    sources = [
        *(ROOT / "sdk" / "python" / "architus_sdk").rglob("*.py"),
        *(ROOT / "bot_bridge").rglob("*.py"),
    ]
    numbers = re.compile(r"(?<![\w.])(?:3001|320[0-3])(?![\w.])")
    restated = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sources
        if path != own
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if numbers.search(line)
    ]
    assert restated == []


def test_the_cli_names_actions_from_the_catalogue() -> None:
    assert label(3001) == "message sent"
    assert label(3203) == "auto response triggered"
    assert label(1) == "action 1"
    line = format_push(
        pushes.log_other(
            {
                "seq": 7,
                "action": 22,
                "private": True,
                "agent_id": "9",
                "content": None,
                "timestamp": "t",
            }
        )
    )
    assert line == "t #7      member ban add [private] by 9"
