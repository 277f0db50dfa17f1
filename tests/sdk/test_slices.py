"""The client's slices as pure reducers."""

from __future__ import annotations

from typing import Any

import pytest

from architus_sdk.slices import logs, pools, pushes, root_reducer, spectate
from architus_sdk.store import Action
from architus_sdk.wire import GuildStatus, LogAction, SpectateData, SpectateReset

GUILD = "1"


def pool_push(seq: int, op: str, data: list[Any], epoch: str = "e") -> dict[str, Any]:
    return {
        "guild_id": GUILD,
        "epoch": epoch,
        "seq": seq,
        "type": "member",
        "op": op,
        "data": data,
        "timestamp": "t",
    }


def log_push(seq: int, private: bool) -> dict[str, Any]:
    return {
        "guild_id": GUILD,
        "epoch": "e",
        "seq": seq,
        "id": str(seq),
        "action": LogAction.MESSAGE_SENT,
        "private": private,
        "agent_id": "9",
        "subject_id": None,
        "content": "hi",
        "data": {},
        "timestamp": "t",
    }


@pytest.mark.behaviour("merge-pushes")
def test_log_pool_pushes_merge_into_the_pool_and_move_the_seq() -> None:
    state = root_reducer(None, Action("@@store/init"))
    state = root_reducer(
        state,
        spectate.started(
            (
                SpectateData(
                    guild_id=GUILD, epoch="e", pool_seq=0, logs_seq=0, recovered=False, replayed=0
                ),
                True,
            )
        ),
    )
    state = root_reducer(state, pools.loaded(("member", GUILD, [{"id": "5", "name": "a"}], True)))
    state = root_reducer(
        state,
        pushes.log_pool(
            pool_push(1, "upsert", [{"id": "5", "nick": "b"}, {"id": "6", "name": "c"}])
        ),
    )
    state = root_reducer(state, pushes.log_pool(pool_push(2, "delete", ["6"])))
    members = pools.select(state.pools, "member", GUILD)
    assert members.ids == ("5",)
    assert members.entities["5"] == {"id": "5", "name": "a", "nick": "b"}
    assert state.spectate.pool_seq == 2


def test_unchanged_pushes_keep_every_slice() -> None:
    state = root_reducer(None, Action("@@store/init"))
    state = root_reducer(state, pools.loaded(("member", GUILD, [{"id": "5", "name": "a"}], True)))
    before = state
    assert (
        root_reducer(state, pools.loaded(("member", GUILD, [{"id": "5", "name": "a"}], True)))
        is before
    )


@pytest.mark.behaviour("log-order")
def test_logs_are_a_bounded_ring_with_private_marked() -> None:
    state = logs.LogsState(capacity=3)
    for seq in range(1, 6):
        state = logs.reducer(state, pushes.log_other(log_push(seq, private=seq == 4)))
    assert [entry.seq for entry in state.entries] == [3, 4, 5]
    assert [entry.private for entry in state.entries] == [False, True, False]


def test_a_new_epoch_restarts_positions() -> None:
    state = spectate.SpectateState(GUILD, True, "old", 40, 30)
    state = spectate.reducer(state, pushes.log_pool(pool_push(1, "upsert", [], epoch="new")))
    assert (state.epoch, state.pool_seq, state.logs_seq) == ("new", 1, 0)


def test_a_log_reset_keeps_what_follows_the_ack_in_the_same_history() -> None:
    state = logs.LogsState()
    for seq in range(1, 5):
        state = logs.reducer(state, pushes.log_other(log_push(seq, private=False)))
    state = logs.reducer(state, logs.reset(("e", 2)))
    assert [entry.seq for entry in state.entries] == [3, 4]
    assert logs.reducer(state, logs.reset(("e", 2))) is state
    # a new history: seqs restarted, nothing held follows its ack
    assert logs.reducer(state, logs.reset(("new", 0))).entries == ()


def test_forgetting_a_guild_keeps_the_other_guilds_and_the_tokens_pools() -> None:
    other = "2"
    state = root_reducer(None, Action("@@store/init"))
    for guild_id in (GUILD, other):
        state = root_reducer(state, pools.loaded(("role", guild_id, [{"id": "5"}], True)))
        status = GuildStatus(guild_id=guild_id, bot="online", since=None, viewers=1)
        state = root_reducer(state, pushes.guild_status(status))
    state = root_reducer(state, pools.loaded(("guild", None, [{"id": GUILD}], True)))
    state = root_reducer(state, pushes.log_other(log_push(1, private=False)))

    left = root_reducer(state, spectate.left(GUILD))
    assert sorted(left.pools) == [("guild", None), ("role", other)]
    assert list(left.guild_status) == [other]
    assert left.logs.entries == ()
    assert root_reducer(left, spectate.left(GUILD)) is left

    reset = root_reducer(state, pushes.spectate_reset(SpectateReset(guild_id=GUILD)))
    assert (reset.pools, reset.guild_status, reset.logs) == (
        left.pools,
        left.guild_status,
        left.logs,
    )
