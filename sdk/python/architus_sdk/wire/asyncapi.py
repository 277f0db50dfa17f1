"""The AsyncAPI 3.0 document of the protocol, generated from the wire models.

`python -m architus_sdk.wire.asyncapi > docs/asyncapi.yaml` (needs PyYAML); the test suite
fails when docs/asyncapi.yaml is not what this prints, and validates it with the official
AsyncAPI parser.
"""

from __future__ import annotations

import sys
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from architus_sdk.wire.acks import AckError
from architus_sdk.wire.entities import ENTITY_MODELS, MIRRORED_MODELS, GuildRecord
from architus_sdk.wire.pushes import (
    ElevationExpired,
    GuildStatus,
    LogOther,
    LogPool,
    Reconnect,
    SpectateReset,
    TokenExpiring,
)
from architus_sdk.wire.requests import (
    DemoteRequest,
    ElevationRequest,
    InterpretRequest,
    PoolRequest,
    SpectateRequest,
)
from architus_sdk.wire.responses import ElevationData, InterpretData, PoolData, SpectateData

VERSION = "1.1.0"
REF = "#/components/schemas/{model}"

# client event: (request model, ack data model, summary)
REQUESTS: dict[str, tuple[type[BaseModel], type[BaseModel] | None, str]] = {
    "request_elevation": (
        ElevationRequest,
        ElevationData,
        "Elevate with a JWT (or renew / narrow the session at once).",
    ),
    "demote": (DemoteRequest, None, "Leave `<SID>_auth` and every guild room."),
    "spectate": (
        SpectateRequest,
        SpectateData,
        "Follow one guild (or none), optionally resuming from seqs.",
    ),
    "pool": (PoolRequest, PoolData, "Read an entity pool by ids, all (paged) or search."),
    "interpret": (InterpretRequest, InterpretData, "The front page's mock Discord."),
}

# server event: (push model, summary)
PUSHES: dict[str, tuple[type[BaseModel], str]] = {
    "log_pool": (LogPool, "An entity pool changed (upsert entities or delete ids)."),
    "log_other": (LogOther, "A guild log entry (private ones only with VIEW_PRIVATE_LOGS)."),
    "elevation_expired": (ElevationExpired, "The token expired; the socket was demoted."),
    "spectate_reset": (SpectateReset, "A renewal removed the spectated guild or log access."),
    "reconnect": (Reconnect, "The node is draining: reconnect to any node and resume."),
    "guild_status": (GuildStatus, "The bot's status for the spectated guild, and its viewers."),
    "token_expiring": (TokenExpiring, "The token expires soon: renew with request_elevation."),
}


def _type_entities(schemas: dict[str, Any]) -> None:
    """`data` of pool answers and pushes is `list[Any]` to the models (the gateway forwards the
    mirror's JSON untouched); the document names the entities it holds, so generators give
    them types."""
    pushed = [
        {"$ref": REF.format(model=m.__name__)} for m in dict.fromkeys(MIRRORED_MODELS.values())
    ]
    schemas["LogPool"]["properties"]["data"]["items"] = {
        "anyOf": [*pushed, {"type": "string", "description": "an id (op `delete`)"}]
    }
    answered = [{"$ref": REF.format(model=m.__name__)} for m in ENTITY_MODELS.values()]
    schemas["PoolData"]["properties"]["data"]["items"] = {"anyOf": answered}


def _name_inline_enums(schemas: dict[str, Any]) -> None:
    """pydantic titles an inline enum by its field (`Action`, `Reason`): generators that make a
    type of each title would merge different enums of the same field name. Prefix the model."""
    for model, schema in schemas.items():
        for field in schema.get("properties", {}).values():
            if ("enum" in field or "const" in field or "anyOf" in field) and "title" in field:
                field["title"] = model + field["title"].replace(" ", "")


def document() -> dict[str, Any]:
    models: list[type[BaseModel]] = [AckError, GuildRecord, *ENTITY_MODELS.values()]
    for request, data, _ in REQUESTS.values():
        models += [request] + ([data] if data else [])
    models += [push for push, _ in PUSHES.values()]
    _, top = models_json_schema(
        [(model, "validation") for model in dict.fromkeys(models)], ref_template=REF
    )
    schemas: dict[str, Any] = top["$defs"]
    _type_entities(schemas)
    _name_inline_enums(schemas)
    messages: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    channel_messages: dict[str, Any] = {}

    def message(name: str, payload: dict[str, Any], summary: str) -> None:
        messages[name] = {"name": name, "summary": summary, "payload": payload}
        channel_messages[name] = {"$ref": f"#/components/messages/{name}"}

    for event, (request, data, summary) in REQUESTS.items():
        message(event, {"$ref": REF.format(model=request.__name__)}, summary)
        ok_data = {"$ref": REF.format(model=data.__name__)} if data else {"type": "object"}
        message(
            f"{event}_ack",
            {
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["ok", "data"],
                        "properties": {"ok": {"const": True}, "data": ok_data},
                    },
                    {"$ref": REF.format(model=AckError.__name__)},
                ]
            },
            f"The acknowledgement of {event}.",
        )
        operations[event] = {
            "action": "receive",
            "channel": {"$ref": "#/channels/gateway"},
            "summary": summary,
            "messages": [{"$ref": f"#/channels/gateway/messages/{event}"}],
            "reply": {
                "channel": {"$ref": "#/channels/gateway"},
                "messages": [{"$ref": f"#/channels/gateway/messages/{event}_ack"}],
            },
        }
    for event, (push, summary) in PUSHES.items():
        message(event, {"$ref": REF.format(model=push.__name__)}, summary)
        operations[event] = {
            "action": "send",
            "channel": {"$ref": "#/channels/gateway"},
            "summary": summary,
            "messages": [{"$ref": f"#/channels/gateway/messages/{event}"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "architus gateway",
            "version": VERSION,
            "description": (
                "Socket.IO v5 (default namespace `/`, websocket and long-polling). Every "
                "client event carries one JSON object (or a string holding one) and is "
                "answered through its Socket.IO ack. Generated from architus_sdk.wire."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:8000",
                "protocol": "ws",
                "pathname": "/socket.io/",
                "description": "architus-ws serve (--demo for a simulated guild)",
            },
        },
        "channels": {"gateway": {"address": "/", "messages": channel_messages}},
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def main() -> None:
    import yaml

    sys.stdout.write(yaml.safe_dump(document(), sort_keys=False, allow_unicode=True, width=100))


if __name__ == "__main__":
    main()
