"""Answers to `pool` requests, from the bot's mirror (CONTRACT 2.1).

Guild-scoped types read one guild's pool. `user` resolves members of the caller's guilds as
users (a user is visible only to someone who shares a guild with them); `guild` answers the
guilds in the caller's token, mirrored or not, with the caller's permissions.
"""

from __future__ import annotations

import asyncio
from typing import Any

from architus_sdk.wire import EntityType, ErrorReason, Permission, PoolData, PoolRequest
from architus_sdk.wire.entities import GUILD_SCOPED
from architus_ws import permissions
from architus_ws.errors import RequestError
from architus_ws.tokens import Claims
from bot_bridge.bus import BusUnavailable
from bot_bridge.mirror import Mirror, SearchHit
from bot_bridge.mirror.base import rank_hits, search_terms, sort_key

Page = tuple[list[dict[str, Any]], str | None]


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
        if request.ids is not None:
            keys = list(dict.fromkeys(request.ids))
            found = await self._mirror.entities(guild_id, kind, keys)
            return _by_ids(kind, keys, found)
        if request.search is not None:
            hits = await self._mirror.search(guild_id, kind, request.search, limit)
            return _finished(kind, [hit.entity for hit in hits])
        return _paged(kind, await self._mirror.page(guild_id, kind, request.after, limit))

    async def _users(self, claims: Claims, request: PoolRequest) -> dict[str, Any]:
        guild_ids = sorted(claims.guilds)
        limit = request.effective_limit()
        if request.ids is not None:
            wanted = list(dict.fromkeys(request.ids))
            found: dict[str, dict[str, Any]] = {}
            for guild_id in guild_ids:
                missing = [key for key in wanted if key not in found]
                if not missing:
                    break
                found |= await self._mirror.entities(guild_id, EntityType.MEMBER, missing)
            return _by_ids(
                EntityType.USER, wanted, {key: _user(member) for key, member in found.items()}
            )
        if request.search is not None:
            searches = [
                self._mirror.search(g, EntityType.MEMBER, request.search, limit) for g in guild_ids
            ]
            hits = [hit for found_hits in await asyncio.gather(*searches) for hit in found_hits]
            ranked = rank_hits(hits, EntityType.MEMBER, limit)
            return _finished(EntityType.USER, [_user(hit.entity) for hit in ranked])
        pages = await asyncio.gather(
            *(self._mirror.page(g, EntityType.MEMBER, request.after, limit) for g in guild_ids)
        )
        merged: dict[str, dict[str, Any]] = {}
        for entities, _ in pages:
            for member in entities:
                merged.setdefault(sort_key(EntityType.MEMBER, member["id"]), member)
        ordered = sorted(merged)
        more = len(ordered) > limit or any(cursor is not None for _, cursor in pages)
        chosen = ordered[:limit]
        next_cursor = chosen[-1] if more and chosen else None
        return _paged(EntityType.USER, ([_user(merged[key]) for key in chosen], next_cursor))

    async def _guilds(self, claims: Claims, request: PoolRequest) -> dict[str, Any]:
        guild_ids = sorted(claims.guilds, key=lambda g: sort_key(EntityType.GUILD, g))
        records = await asyncio.gather(
            *(self._mirror.entities(g, EntityType.GUILD, [g]) for g in guild_ids)
        )
        guilds = {
            guild_id: _guild(guild_id, record.get(guild_id), claims.guilds[guild_id])
            for guild_id, record in zip(guild_ids, records, strict=True)
        }
        limit = request.effective_limit()
        if request.ids is not None:
            return _by_ids(EntityType.GUILD, list(dict.fromkeys(request.ids)), guilds)
        if request.search is not None:
            needle = request.search.casefold()
            hits = [
                SearchHit(term.startswith(needle), term, guild)
                for guild in guilds.values()
                for term in search_terms(EntityType.GUILD, guild)
                if needle in term
            ]
            return _finished(
                EntityType.GUILD, [h.entity for h in rank_hits(hits, EntityType.GUILD, limit)]
            )
        after = request.after
        rest = [g for g in guild_ids if after is None or sort_key(EntityType.GUILD, g) > after]
        chosen = rest[:limit]
        more = len(rest) > limit
        return _paged(
            EntityType.GUILD,
            ([guilds[g] for g in chosen], sort_key(EntityType.GUILD, chosen[-1]) if more else None),
        )


def _user(member: dict[str, Any]) -> dict[str, Any]:
    return {"id": member["id"], "username": member["name"], "avatar": member["avatar"]}


def _guild(guild_id: str, record: dict[str, Any] | None, perms: Permission) -> dict[str, Any]:
    known = record or {}
    return {
        "id": guild_id,
        "name": known.get("name"),
        "icon": known.get("icon"),
        "member_count": known.get("member_count", 0),
        "has_architus": record is not None,
        "architus_admin": bool(perms & Permission.ADMINISTRATOR),
        "permissions": int(perms),
    }


def _by_ids(kind: EntityType, keys: list[str], found: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return PoolData(
        type=kind,
        data=[found[key] for key in keys if key in found],
        nonexistent=[key for key in keys if key not in found],
        finished=True,
        next=None,
    ).model_dump(mode="json")


def _finished(kind: EntityType, entities: list[dict[str, Any]]) -> dict[str, Any]:
    return PoolData(type=kind, data=entities, nonexistent=[], finished=True, next=None).model_dump(
        mode="json"
    )


def _paged(kind: EntityType, page: Page) -> dict[str, Any]:
    entities, next_cursor = page
    return PoolData(
        type=kind, data=entities, nonexistent=[], finished=next_cursor is None, next=next_cursor
    ).model_dump(mode="json")
