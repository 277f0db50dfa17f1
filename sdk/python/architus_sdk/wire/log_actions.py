"""The action numbers of `log_other` entries (CONTRACT 2: "architus action numbers: 3001
message sent, 3200-3203 auto response added/removed/edited/triggered, below 3000 Discord's
audit-log actions"). This is their one catalogue: the bot bridge, the simulation, the SDK's
CLI, docs/protocol.md and docs/asyncapi.yaml all take them from here.

Numbers below 3000 are Discord's own audit-log action numbers (its `AuditLogEvent`), passed
through as Discord gives them; the catalogue names the ones architus produces itself (the
simulated guild's). An entry may carry a Discord number that is not listed here.
"""

from __future__ import annotations

from enum import IntEnum

from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

ARCHITUS_FIRST = 3000  # below: Discord's audit-log action numbers


class LogAction(IntEnum):
    """The action number of a guild log entry (`log_other.action`)."""

    # Discord's audit-log actions (AuditLogEvent), private entries
    MEMBER_KICK = 20
    MEMBER_BAN_ADD = 22
    MEMBER_UPDATE = 24
    MEMBER_ROLE_UPDATE = 25
    MESSAGE_DELETE = 72
    # architus's own
    MESSAGE_SENT = 3001
    AUTO_RESPONSE_ADDED = 3200
    AUTO_RESPONSE_REMOVED = 3201
    AUTO_RESPONSE_EDITED = 3202
    AUTO_RESPONSE_TRIGGERED = 3203

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]

    @property
    def from_discord(self) -> bool:
        """One of Discord's audit-log actions (below 3000), not an architus one."""
        return self.value < ARCHITUS_FIRST

    @property
    def label(self) -> str:
        """A short human name: `message sent`, `member kick`."""
        return self.name.lower().replace("_", " ")

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler.resolve_ref_schema(handler(core_schema))
        schema["description"] = describe()
        schema["x-enum-varnames"] = [action.name for action in cls]
        return schema


_MEANINGS = {
    LogAction.MEMBER_KICK: "Discord audit log: a member was kicked",
    LogAction.MEMBER_BAN_ADD: "Discord audit log: a member was banned",
    LogAction.MEMBER_UPDATE: "Discord audit log: a member was updated (nickname, timeout, ...)",
    LogAction.MEMBER_ROLE_UPDATE: "Discord audit log: a member's roles changed",
    LogAction.MESSAGE_DELETE: "Discord audit log: a moderator deleted a message",
    LogAction.MESSAGE_SENT: "a message was sent in a guild channel",
    LogAction.AUTO_RESPONSE_ADDED: "an auto response was added",
    LogAction.AUTO_RESPONSE_REMOVED: "an auto response was removed",
    LogAction.AUTO_RESPONSE_EDITED: "an auto response was edited",
    LogAction.AUTO_RESPONSE_TRIGGERED: "an auto response was triggered (the bot answered)",
}


def describe() -> str:
    """The catalogue as text, one action a line (the AsyncAPI description)."""
    lines = [
        "The action number of a guild log entry. Numbers below 3000 are Discord's "
        "audit-log action numbers, passed through as Discord gives them (more than are "
        "listed here may occur).",
        "",
    ]
    lines += [f"- {action.value} `{action.name}`: {action.meaning}" for action in LogAction]
    return "\n".join(lines)


def label(number: int) -> str:
    """A short name for any action number, catalogued or not."""
    try:
        return LogAction(number).label
    except ValueError:
        return f"action {number}"
