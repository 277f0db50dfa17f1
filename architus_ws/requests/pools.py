"""Answers to `pool` requests, from the bot's mirror (CONTRACT 2.1).

Guild-scoped types read one guild's pool and answer with the mirror's stored JSON, embedded
in the ack untouched (no parse, no re-serialization: a 10,000-member pool is two strings).
`user` resolves members of the caller's guilds as users (a user is visible only to someone
who shares a guild with them); `guild` answers the guilds in the caller's token, mirrored or
not, with the caller's permissions.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from architus_sdk.wire import EntityType, ErrorReason, Permission, PoolRequest
from architus_sdk.wire.codec import Fragment, json_array
from architus_sdk.wire.entities import GUILD_SCOPED
from architus_ws.auth import permissions
from architus_ws.auth.tokens import Claims
from architus_ws.requests.errors import RequestError
from bot_bridge.bus import BusUnavailable, Mirror, SearchHit
from bot_bridge.bus.base import best_match, rank_hits, sort_key


class Pools:
    def __init__(self, mirror: Mirror) -> None:
        self._mirror = mirror

    async def answer(self, claims: Claims, request: PoolRequest) -> dict[str, Any]:
        try:
            if request.type in GUILD_SCOPED:
                return await self._guild_pool(claims, request)
            if request.type is EntityType.USER:
                return await self._users(claims, request)
            return await self._guilds(claims, request)
        except BusUnavailable as error:
            raise RequestError(
                ErrorReason.UNAVAILABLE, f"the mirror is unavailable: {error}"
            ) from None

    async def _guild_pool(self, claims: Claims, request: PoolRequest) -> dict[str, Any]:
        guild_id = request.guild_id
        assert guild_id is not None  # PoolRequest requires it for guild-scoped types
        if not permissions.can_read_pool(claims, guild_id):
            raise RequestError(ErrorReason.FORBIDDEN, f"guild {guild_id} is not in your token")
        if request.type is EntityType.SETTING and not permissions.can_view_settings(
            claims, guild_id
        ):
            raise RequestError(ErrorReason.FORBIDDEN, "setting needs VIEW_SETTINGS")
        if not await self._mirror.has_guild(guild_id):
            raise RequestError(ErrorReason.NOT_FOUND, f"guild {guild_id} is not known to the bot")
        kind, limit = request.type, request.effective_limit()
        # Each read carries the pool seq read atomically with it: the answer's watermark.
        if request.ids is not None:
            keys = list(dict.fromkeys(request.ids))
            found = await self._mirror.read_entities(guild_id, kind, keys)
            return _by_ids(kind, keys, found.value, pool_seq=found.pool_seq)
        if request.search is not None:
            hits = await self._mirror.read_search(guild_id, kind, request.search, limit)
            entities = json_array([hit.entity for hit in hits.value])
            return _answer(kind, entities, pool_seq=hits.pool_seq)
        read = await self._mirror.read_page(guild_id, kind, request.after, limit)
        page, next_cursor = read.value
        return _answer(
            kind, Fragment(page.array()), next_cursor=next_cursor, pool_seq=read.pool_seq
        )

    async def _users(self, claims: Claims, request: PoolRequest) -> dict[str, Any]:
        guild_ids = sorted(claims.guilds)
        limit = request.effective_limit()
        if request.ids is not None:
            wanted = list(dict.fromkeys(request.ids))
            found: dict[str, str] = {}
            for guild_id in guild_ids:
                missing = [key for key in wanted if key not in found]
                if not missing:
                    break
                found |= await self._mirror.entities(guild_id, EntityType.MEMBER, missing)
            users = {key: _user_json(text) for key, text in found.items()}
            return _by_ids(EntityType.USER, wanted, users)
        if request.search is not None:
            searches = [
                self._mirror.search(g, EntityType.MEMBER, request.search, limit) for g in guild_ids
            ]
            hits = [hit for found_hits in await asyncio.gather(*searches) for hit in found_hits]
            ranked = rank_hits(hits, limit)
            return _answer(EntityType.USER, json_array([_user_json(h.entity) for h in ranked]))
        pages = await asyncio.gather(
            *(self._mirror.page(g, EntityType.MEMBER, request.after, limit) for g in guild_ids)
        )
        merged: dict[str, dict[str, Any]] = {}
        for page, _ in pages:
            for member in page.parsed():
                merged.setdefault(sort_key(EntityType.MEMBER, member["id"]), member)
        ordered = sorted(merged)
        more = len(ordered) > limit or any(cursor is not None for _, cursor in pages)
        chosen = ordered[:limit]
        page_of_users = [orjson.dumps(_user(merged[key])).decode() for key in chosen]
        next_cursor = chosen[-1] if more and chosen else None
        return _answer(EntityType.USER, json_array(page_of_users), next_cursor=next_cursor)

    async def _guilds(self, claims: Claims, request: PoolRequest) -> dict[str, Any]:
        guild_ids = sorted(claims.guilds, key=lambda g: sort_key(EntityType.GUILD, g))
        records = await asyncio.gather(
            *(self._mirror.entities(g, EntityType.GUILD, [g]) for g in guild_ids)
        )
        guilds = {
            guild_id: _guild(guild_id, record.get(guild_id), claims.guilds[guild_id])
            for guild_id, record in zip(guild_ids, records, strict=True)
        }
        texts = {guild_id: orjson.dumps(guild).decode() for guild_id, guild in guilds.items()}
        limit = request.effective_limit()
        if request.ids is not None:
            return _by_ids(EntityType.GUILD, list(dict.fromkeys(request.ids)), texts)
        if request.search is not None:
            needle = request.search.casefold()
            hits = []
            for guild_id, guild in guilds.items():
                match = best_match(EntityType.GUILD, guild, needle)
                if match is not None:
                    hits.append(SearchHit(match[0], match[1], guild_id, texts[guild_id]))
            ranked = rank_hits(hits, limit)
            return _answer(EntityType.GUILD, json_array([hit.entity for hit in ranked]))
        after = request.after
        rest = [g for g in guild_ids if after is None or sort_key(EntityType.GUILD, g) > after]
        chosen = rest[:limit]
        next_cursor = sort_key(EntityType.GUILD, chosen[-1]) if len(rest) > limit else None
        return _answer(
            EntityType.GUILD, json_array([texts[g] for g in chosen]), next_cursor=next_cursor
        )


def _user(member: dict[str, Any]) -> dict[str, Any]:
    return {"id": member["id"], "username": member["name"], "avatar": member["avatar"]}


def _user_json(member_json: str) -> str:
    return orjson.dumps(_user(orjson.loads(member_json))).decode()


def _guild(guild_id: str, record_json: str | None, perms: Permission) -> dict[str, Any]:
    known = orjson.loads(record_json) if record_json else {}
    return {
        "id": guild_id,
        "name": known.get("name"),
        "icon": known.get("icon"),
        "member_count": known.get("member_count", 0),
        "has_architus": record_json is not None,
        "architus_admin": bool(perms & Permission.ADMINISTRATOR),
        "permissions": int(perms),
    }


def _answer(
    kind: EntityType,
    data: Fragment,
    nonexistent: list[str] | None = None,
    next_cursor: str | None = None,
    pool_seq: int | None = None,
) -> dict[str, Any]:
    """The `PoolData` shape, built by hand so `data` stays pre-serialized JSON. `pool_seq` is
    left out, not null, for the guild-agnostic types, as acks leave out what does not apply."""
    answer: dict[str, Any] = {
        "type": kind.value,
        "data": data,
        "nonexistent": nonexistent or [],
        "finished": next_cursor is None,
        "next": next_cursor,
    }
    if pool_seq is not None:
        answer["pool_seq"] = pool_seq
    return answer


def _by_ids(
    kind: EntityType, keys: list[str], found: dict[str, str], pool_seq: int | None = None
) -> dict[str, Any]:
    return _answer(
        kind,
        json_array([found[key] for key in keys if key in found]),
        nonexistent=[key for key in keys if key not in found],
        pool_seq=pool_seq,
    )
