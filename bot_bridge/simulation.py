"""A synthetic guild that changes like a real one, for demos, tests and benchmarks.

Everything it produces goes through `Publisher`, exactly like the discord.py bridge.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from dataclasses import dataclass, field
from typing import Any

from architus_sdk.wire import EntityType, LogAction, LogOtherBody
from bot_bridge.publisher import Publisher, timestamp

DISCORD_EPOCH_MS = 1_420_070_400_000

# the audit-log actions a simulated moderator takes (private entries)
_MODERATION = [
    LogAction.MEMBER_KICK,
    LogAction.MEMBER_BAN_ADD,
    LogAction.MEMBER_UPDATE,
    LogAction.MEMBER_ROLE_UPDATE,
    LogAction.MESSAGE_DELETE,
]

_FIRST = [
    "Ada",
    "Björn",
    "Chloé",
    "Dmitri",
    "Eun-ji",
    "Fatima",
    "Gus",
    "Hana",
    "Ίρις",
    "José",
    "Kenji",
    "Lúcia",
    "Mateo",
    "Nadia",
    "Olu",
    "Pía",
    "Quinn",
    "Rafał",
    "Søren",
    "Tomás",
    "Uma",
    "Vũ",
    "Wren",
    "Xiao",
    "Yara",
    "Zoë",
    "さくら",
    "Мария",
    "Ahmed",
    "Ngozi",
]
_LAST = ["", "_", "42", "the_great", "🌸", "xx", "99", "_dev", "✨", "fan", "ttv", "irl"]
_ROLES = [
    ("Admin", 0xE74C3C, True),
    ("Moderator", 0x3498DB, True),
    ("Regular", 0x2ECC71, False),
    ("Artist", 0x9B59B6, True),
    ("Bots", 0x95A5A6, False),
    ("Muted", 0x000000, False),
]
_CATEGORIES = {
    "Text Channels": ["general", "memes", "help", "off-topic", "announcements"],
    "Voice Channels": ["Lounge", "Gaming"],
}
_EMOJIS = ["pog", "kek", "catjam", "pepehands", "blobwave", "partyparrot"]
_AUTO_RESPONSES = [
    ("hi", "hello :wave:", "naive"),
    ("thanks", "[you're welcome!, no problem!]", "naive"),
    ("^good (morning|night)$", "[0] to you too, [author]!", "regex"),
    ("ping", "pong", "punctuated"),
]
_SETTINGS: dict[str, Any] = {
    "prefix": "!",
    "responses_enabled": True,
    "responses_limit": 50,
    "log_channel": None,
    "music_enabled": False,
}
_MESSAGES = [
    "hello!",
    "anyone up?",
    "gg",
    "that's wild",
    "thanks",
    "lol",
    "brb",
    "check #announcements",
    "nice 🎉",
    "good morning ☀️",
    "who's playing tonight?",
]


class Snowflakes:
    """Discord-shaped ids: milliseconds since Discord's epoch, shifted, plus a counter."""

    def __init__(self) -> None:
        self._counter = itertools.count()

    def __call__(self) -> str:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return str((ms << 22) | (next(self._counter) & 0x3FFFFF))


@dataclass
class SimulatedGuild:
    guild_id: str
    rng: random.Random = field(default_factory=random.Random)
    snowflake: Snowflakes = field(default_factory=Snowflakes)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    emojis: dict[str, dict[str, Any]] = field(default_factory=dict)
    auto_responses: dict[str, dict[str, Any]] = field(default_factory=dict)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    name: str = "Architus Demo Guild"
    published: int = 0

    def seed(self, member_count: int) -> None:
        for position, (name, color, hoist) in enumerate(_ROLES, start=1):
            role_id = self.snowflake()
            self.roles[role_id] = {
                "id": role_id,
                "name": name,
                "color": color,
                "position": position,
                "hoist": hoist,
                "managed": False,
                "mentionable": hoist,
            }
        position = 0
        for category, names in _CATEGORIES.items():
            category_id = self.snowflake()
            self.channels[category_id] = {
                "id": category_id,
                "name": category,
                "type": 4,
                "position": position,
                "parent_id": None,
            }
            for name in names:
                position += 1
                channel_id = self.snowflake()
                kind = 2 if category.startswith("Voice") else 0
                self.channels[channel_id] = {
                    "id": channel_id,
                    "name": name,
                    "type": kind,
                    "position": position,
                    "parent_id": category_id,
                }
        for name in _EMOJIS:
            emoji_id = self.snowflake()
            self.emojis[emoji_id] = {
                "id": emoji_id,
                "name": name,
                "animated": name.endswith("jam"),
                "available": True,
            }
        for _ in range(member_count):
            member = self._new_member()
            self.members[member["id"]] = member
        author = next(iter(self.members), None)
        for trigger, response, mode in _AUTO_RESPONSES:
            response_id = self.snowflake()
            self.auto_responses[response_id] = {
                "id": response_id,
                "guild_id": self.guild_id,
                "trigger": trigger,
                "response": response,
                "author_id": author,
                "mode": mode,
                "count": self.rng.randint(0, 500),
            }
        for key, value in _SETTINGS.items():
            self.settings[key] = {"key": key, "value": value}

    def record(self) -> dict[str, Any]:
        return {
            "id": self.guild_id,
            "name": self.name,
            "icon": None,
            "member_count": len(self.members),
        }

    async def publish_seed(self, publisher: Publisher) -> int:
        """Mirror every pool, publishing only what differs from what is mirrored already;
        return how many pushes that took."""
        pushes = len(await publisher.sync(self.guild_id, EntityType.GUILD, [self.record()]))
        pools = {
            EntityType.ROLE: self.roles,
            EntityType.CHANNEL: self.channels,
            EntityType.EMOJI: self.emojis,
            EntityType.MEMBER: self.members,
            EntityType.AUTO_RESPONSE: self.auto_responses,
            EntityType.SETTING: self.settings,
        }
        for entity_type, pool in pools.items():
            pushes += len(await publisher.sync(self.guild_id, entity_type, list(pool.values())))
        return pushes

    def _new_member(self) -> dict[str, Any]:
        member_id = self.snowflake()
        name = self.rng.choice(_FIRST) + self.rng.choice(_LAST)
        roles = self.rng.sample(sorted(self.roles), k=self.rng.randint(0, min(2, len(self.roles))))
        color = (
            max((self.roles[r] for r in roles), key=lambda r: r["position"])["color"]
            if roles
            else 0
        )
        return {
            "id": member_id,
            "name": name,
            "nick": self.rng.choice([None, None, name.upper(), f"{name} 🎮"]),
            "avatar": self.rng.choice([None, f"{self.rng.getrandbits(64):016x}"]),
            "roles": roles,
            "color": color,
            "joined_at": timestamp(),
        }

    async def publish_one(self, publisher: Publisher) -> None:
        """Publish one change. The mix is fixed by count, not chance, so any run honours the
        contract's ratios: every second event is a log entry, every fifth entry private."""
        self.published += 1
        if self.published % 2:
            await self._pool_change(publisher)
        elif self.published % 10 == 0:
            await publisher.log(self.guild_id, self._private_entry())
        else:
            await publisher.log(self.guild_id, self._public_entry())

    async def _pool_change(self, publisher: Publisher) -> None:
        roll = self.rng.random()
        if roll < 0.15 or not self.members:
            member = self._new_member()
            self.members[member["id"]] = member
            await publisher.upsert(self.guild_id, EntityType.MEMBER, [member])
        elif roll < 0.25 and len(self.members) > 1:
            member_id = self.rng.choice(list(self.members))
            del self.members[member_id]
            await publisher.delete(self.guild_id, EntityType.MEMBER, [member_id])
        elif roll < 0.3:
            await publisher.upsert(self.guild_id, EntityType.GUILD, [self.record()])
        elif roll < 0.85:
            member = self.members[self.rng.choice(list(self.members))]
            member["nick"] = self.rng.choice([None, member["name"] + " 💤", member["name"] + "!"])
            await publisher.upsert(self.guild_id, EntityType.MEMBER, [member])
        elif roll < 0.95 and self.roles:
            role = self.roles[self.rng.choice(list(self.roles))]
            role["color"] = self.rng.getrandbits(24)
            await publisher.upsert(self.guild_id, EntityType.ROLE, [role])
        else:
            emoji = self.emojis[self.rng.choice(list(self.emojis))]
            emoji["available"] = not emoji["available"]
            await publisher.upsert(self.guild_id, EntityType.EMOJI, [emoji])

    def _any_member_id(self) -> str | None:
        return self.rng.choice(list(self.members)) if self.members else None

    def _public_entry(self) -> LogOtherBody:
        author = self._any_member_id()
        channel_id = self.rng.choice([c for c, v in self.channels.items() if v["type"] == 0])
        if self.rng.random() < 0.8:
            return LogOtherBody(
                id=self.snowflake(),
                action=LogAction.MESSAGE_SENT,
                private=False,
                agent_id=author,
                subject_id=channel_id,
                content=self.rng.choice(_MESSAGES),
                data={"channel_id": channel_id},
                timestamp=timestamp(),
            )
        return LogOtherBody(
            id=self.snowflake(),
            action=LogAction.AUTO_RESPONSE_TRIGGERED,
            private=False,
            agent_id=author,
            subject_id=channel_id,
            content="hello :wave:",
            data={"trigger": "hi", "channel_id": channel_id},
            timestamp=timestamp(),
        )

    def _private_entry(self) -> LogOtherBody:
        return LogOtherBody(
            id=self.snowflake(),
            action=self.rng.choice(_MODERATION),
            private=True,
            agent_id=self._any_member_id(),
            subject_id=self._any_member_id(),
            content=None,
            data={"reason": self.rng.choice([None, "spam"])},
            timestamp=timestamp(),
        )


async def run_simulation(
    guild: SimulatedGuild, publisher: Publisher, events: int, rate: float
) -> int:
    """Publish `events` changes (0: forever) at `rate` per second; return how many were sent."""
    interval = 1.0 / rate if rate > 0 else 0.0
    started = time.monotonic()
    sent = 0
    while events == 0 or sent < events:
        await guild.publish_one(publisher)
        sent += 1
        if interval:
            delay = started + sent * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
    return sent
