"""Which rooms a spectating socket is in, and its place in its guild's feed.

Room changes are synchronous (python-socketio's `basic_*_room`): a socket's rooms change
between two feed sends, never during one, which is what makes the spectate ack's seqs exact.
"""

from __future__ import annotations

import socketio

from architus_sdk.wire import NAMESPACE
from architus_ws.auth.permissions import Access
from architus_ws.connections.session import Session, Spectating
from architus_ws.fanout import rooms
from architus_ws.fanout.feeds import Feeds, GuildFeed
from architus_ws.fanout.guild_status import GuildStatuses


class Spectators:
    def __init__(
        self, server: socketio.AsyncServer, feeds: Feeds, statuses: GuildStatuses | None = None
    ) -> None:
        self._manager = server.manager
        self._feeds = feeds
        self._statuses = statuses

    def enter(self, session: Session, feed: GuildFeed, include_logs: bool, access: Access) -> None:
        """Put the socket in the guild's rooms; from now on the feed's sends reach it."""
        for room in rooms.spectator_rooms(feed.guild_id, access):
            self._manager.basic_enter_room(session.sid, NAMESPACE, room)
        session.spectating = Spectating(feed.guild_id, include_logs, access)
        if self._statuses is not None and session.claims is not None:
            self._statuses.joined(feed.guild_id, session.sid, session.claims.user_id)

    def leave_rooms(self, session: Session) -> None:
        spectating = session.spectating
        if spectating is None:
            return
        for room in rooms.spectator_rooms(spectating.guild_id, spectating.access):
            self._manager.basic_leave_room(session.sid, NAMESPACE, room)
        if self._statuses is not None and session.claims is not None:
            self._statuses.left(spectating.guild_id, session.sid, session.claims.user_id)

    def stop(self, session: Session) -> str | None:
        """Stop spectating; return the guild that was spectated."""
        spectating = session.spectating
        if spectating is None:
            return None
        self.leave_rooms(session)
        self._feeds.leave(spectating.guild_id, session.sid)
        session.spectating = None
        return spectating.guild_id

    def change_access(self, session: Session, access: Access) -> None:
        """Narrow or widen log access in place (a renewal), keeping the socket's position."""
        spectating = session.spectating
        if spectating is None or spectating.access == access:
            return
        guild_id = spectating.guild_id
        old = set(rooms.spectator_rooms(guild_id, spectating.access))
        new = set(rooms.spectator_rooms(guild_id, access))
        for room in old - new:
            self._manager.basic_leave_room(session.sid, NAMESPACE, room)
        for room in new - old:
            self._manager.basic_enter_room(session.sid, NAMESPACE, room)
        spectating.access = access
