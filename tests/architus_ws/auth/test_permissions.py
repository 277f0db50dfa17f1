"""The permission rules, exhaustively over every combination of the bits they read."""

from __future__ import annotations

import itertools

import pytest

from architus_sdk.wire import Permission
from architus_ws.auth import permissions
from architus_ws.auth.permissions import EventClass, LogAccess
from architus_ws.auth.tokens import Claims
from architus_ws.fanout import rooms
from bot_bridge.bus import BusEvent, Stream

GUILD = "10"
OTHER = "20"
BITS = [
    Permission.ADMINISTRATOR,
    Permission.VIEW_PUBLIC_LOGS,
    Permission.VIEW_PRIVATE_LOGS,
    Permission.VIEW_SETTINGS,
]


def every_combination() -> list[Permission]:
    combos = []
    for count in range(len(BITS) + 1):
        for chosen in itertools.combinations(BITS, count):
            combos.append(Permission(sum(chosen)))
    return combos


def claims(perms: Permission) -> Claims:
    return Claims(user_id="1", guilds={GUILD: perms}, expires_at=0)


@pytest.mark.parametrize("perms", every_combination())
def test_rules(perms: Permission) -> None:
    caller = claims(perms)
    admin = bool(perms & Permission.ADMINISTRATOR)
    public = admin or bool(perms & Permission.VIEW_PUBLIC_LOGS)
    private = admin or bool(perms & Permission.VIEW_PRIVATE_LOGS)
    assert permissions.can_spectate(caller, GUILD)
    assert permissions.can_read_pool(caller, GUILD)
    assert permissions.can_view_settings(caller, GUILD) == (
        admin or bool(perms & Permission.VIEW_SETTINGS)
    )
    assert permissions.can_include_logs(caller, GUILD) == public
    assert permissions.log_access(caller, GUILD, include_logs=False) is LogAccess.NONE
    expected = LogAccess.NONE
    if public:
        expected = LogAccess.PRIVATE if private else LogAccess.PUBLIC
    assert permissions.log_access(caller, GUILD, include_logs=True) is expected


@pytest.mark.parametrize("perms", every_combination())
def test_a_guild_outside_the_token_allows_nothing(perms: Permission) -> None:
    caller = claims(perms)
    assert not permissions.can_spectate(caller, OTHER)
    assert not permissions.can_read_pool(caller, OTHER)
    assert not permissions.can_view_settings(caller, OTHER)
    assert not permissions.can_include_logs(caller, OTHER)
    assert permissions.log_access(caller, OTHER, include_logs=True) is LogAccess.NONE


EVENTS = [
    BusEvent(Stream.POOL, '{"guild_id":"10","epoch":"e","seq":1,"type":"member","action":2}'),
    BusEvent(Stream.POOL, '{"guild_id":"10","epoch":"e","seq":2,"type":"setting","action":2}'),
    BusEvent(Stream.LOGS, '{"guild_id":"10","epoch":"e","seq":1,"private":false}'),
    BusEvent(Stream.LOGS, '{"guild_id":"10","epoch":"e","seq":2,"private":true}'),
]


@pytest.mark.parametrize("perms", every_combination())
@pytest.mark.parametrize("include_logs", [False, True])
def test_one_rule_decides_rooms_replay_and_fanout(perms: Permission, include_logs: bool) -> None:
    """The fan-out sends an event to the room of its class; a spectator is in the rooms of
    the classes its access receives; a replay sends what `receives` accepts. All three are
    the same decision, for every access and every kind of event."""
    access = permissions.access(claims(perms), GUILD, include_logs)
    entered = set(rooms.spectator_rooms(GUILD, access))
    for event in EVENTS:
        sent_to = rooms.class_room(GUILD, permissions.event_class(event))
        assert (sent_to in entered) is access.receives(event), (event.payload, access)
    # and each class has a room of its own
    assert len({rooms.class_room(GUILD, kind) for kind in EventClass}) == len(EventClass)
