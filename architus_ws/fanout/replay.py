"""Replay: a resuming spectator is sent, in order, every event after its resume point that
this node's feed has already sent to the rooms, so that live pushes follow without a gap or a
duplicate (CONTRACT 2.3, `resume`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from enum import StrEnum

from architus_sdk.wire import STREAM_EVENTS, ResumePoint
from architus_ws.auth.permissions import Access, LogAccess
from architus_ws.connections.session import Session
from architus_ws.fanout.feeds import GuildFeed
from architus_ws.fanout.sender import Message, RawJson
from bot_bridge.bus import Bus, BusUnavailable, Stream

# How long this node's feed may stand still while a resuming socket waits for it to reach the
# seqs it already saw (another node may have been ahead); past it the resume is refused as not
# recoverable. A feed that moves is waited for however long it takes: a node restarted under a
# resume storm on busy cores lags by many seconds but catches up, and waiting beats making
# every dashboard that resumes there reload its pools (tests/js/test_chaos.py).
CATCH_UP_TIMEOUT = 8.0

# (event, message, sid): one push to one socket, awaited (a replay is paced by its socket)
Emit = Callable[[str, Message, str], Awaitable[None]]


class ResumeOutcome(StrEnum):
    """How a resume ended: `recovered`, or why not (the label of `architus_resumes`)."""

    RECOVERED = "recovered"
    NEW_EPOCH = "new_epoch"  # the bus lost its history since the client's position
    FEED_STALLED = "feed_stalled"  # this node's feed stood still short of the client's seqs
    HISTORY_TRIMMED = "history_trimmed"  # events after the position are no longer kept
    BUS_UNAVAILABLE = "bus_unavailable"  # the history could not be read
    CLOSED = "closed"  # the socket went away during the replay


async def replay(
    bus: Bus, emit: Emit, session: Session, access: Access, feed: GuildFeed, resume: ResumePoint
) -> tuple[ResumeOutcome, int]:
    """Send the socket every event after `resume` that the feed has already sent, in order.

    Returns the outcome and how many events were sent. Loops because the feed moves on while
    history is read; ends with the socket exactly at the feed's position, so live events
    follow seamlessly.
    """
    if resume.epoch != feed.epoch:
        return ResumeOutcome.NEW_EPOCH, 0
    cursor = {Stream.POOL: resume.pool_seq, Stream.LOGS: resume.logs_seq}
    if not await catch_up(feed, cursor):
        return ResumeOutcome.FEED_STALLED, 0
    # Without log access the logs stream is not the socket's to replay.
    streams = [Stream.POOL] if access.logs is LogAccess.NONE else [Stream.POOL, Stream.LOGS]
    replayed = 0
    while any(cursor[stream] < feed.last_seq[stream] for stream in streams):
        for stream in streams:
            target = feed.last_seq[stream]
            if cursor[stream] >= target:
                continue
            try:
                missed = await bus.history(feed.guild_id, stream, after=cursor[stream])
            except BusUnavailable:
                return ResumeOutcome.BUS_UNAVAILABLE, replayed
            if feed.epoch != resume.epoch:
                return ResumeOutcome.NEW_EPOCH, replayed
            if missed is None:
                return ResumeOutcome.HISTORY_TRIMMED, replayed
            if session.closed:
                # the client gave up waiting (it will resume elsewhere): replaying on into a
                # closed socket would only take CPU from everyone else
                return ResumeOutcome.CLOSED, replayed
            for event in missed:
                if event.seq > target:
                    break
                cursor[stream] = event.seq
                if not access.receives(event):
                    continue
                await emit(STREAM_EVENTS[stream], RawJson(event.payload), session.sid)
                replayed += 1
    return ResumeOutcome.RECOVERED, replayed


async def catch_up(feed: GuildFeed, cursor: dict[Stream, int]) -> bool:
    """Wait until this node's feed has reached what the client saw (maybe on another node), as
    long as the feed keeps moving."""
    while any(cursor[stream] > feed.last_seq[stream] for stream in Stream):
        try:
            async with asyncio.timeout(CATCH_UP_TIMEOUT):
                await feed.advanced.wait()
        except TimeoutError:
            return False
    return True
