"""The indexed client manager behaves exactly as python-socketio's own (the pin of the
`client_manager=` seam): the same operations on both leave the same rooms, callbacks and
pending lists, and the same answers to `get_rooms`."""

from __future__ import annotations

from typing import Any

import socketio
from hypothesis import given, settings
from hypothesis import strategies as st

from architus_ws.transport.socketio_manager import IndexedManager

NAMESPACES = ("/", "/other")
SIDS = ("a", "b", "c", "d")
ROOMS = ("r1", "r2", "a_auth", "guild:1")

operation = st.one_of(
    st.tuples(st.just("connect"), st.sampled_from(SIDS), st.sampled_from(NAMESPACES)),
    st.tuples(
        st.just("enter"),
        st.sampled_from(SIDS),
        st.sampled_from(NAMESPACES),
        st.sampled_from(ROOMS),
    ),
    st.tuples(
        st.just("leave"),
        st.sampled_from(SIDS),
        st.sampled_from(NAMESPACES),
        st.sampled_from((*ROOMS, *SIDS, None)),
    ),
    st.tuples(st.just("close"), st.sampled_from(ROOMS), st.sampled_from(NAMESPACES)),
    st.tuples(st.just("callback"), st.sampled_from(SIDS)),
    st.tuples(st.just("pre_disconnect"), st.sampled_from(SIDS), st.sampled_from(NAMESPACES)),
    st.tuples(st.just("disconnect"), st.sampled_from(SIDS), st.sampled_from(NAMESPACES)),
)


def apply(manager: Any, step: tuple[Any, ...]) -> object:
    """One operation, as python-socketio's server makes them; what it answered or raised."""
    kind, *args = step
    try:
        if kind == "connect":
            sid, namespace = args
            if manager.is_connected(sid, namespace):
                return "connected"
            manager.basic_enter_room(sid, namespace, None, "eio-" + sid)
            manager.basic_enter_room(sid, namespace, sid, "eio-" + sid)
            manager.pending_connect.setdefault(namespace, []).append(sid)
            return None
        if kind == "enter":
            sid, namespace, room = args
            if not manager.is_connected(sid, namespace) and (
                sid not in manager.pending_connect.get(namespace, [])
            ):
                return "not connected"
            manager.basic_enter_room(sid, namespace, room)
            return None
        if kind == "leave":
            manager.basic_leave_room(*args)
            return None
        if kind == "close":
            room, namespace = args
            manager.basic_close_room(room, namespace)
            return None
        if kind == "callback":
            manager.callbacks[args[0]] = {1: print}
            return None
        if kind == "pre_disconnect":
            sid, namespace = args
            if sid not in manager.rooms.get(namespace, {}).get(None, {}):
                return "absent"
            return manager.pre_disconnect(sid, namespace)
        manager.basic_disconnect(*args)
        return None
    except (KeyError, ValueError) as error:
        return type(error).__name__


def snapshot(manager: Any) -> object:
    rooms = {
        namespace: {room: dict(members) for room, members in by_room.items()}
        for namespace, by_room in manager.rooms.items()
    }
    answers = {
        (sid, namespace): sorted(map(str, manager.get_rooms(sid, namespace)))
        for sid in SIDS
        for namespace in NAMESPACES
    }
    return (
        rooms,
        dict(manager.callbacks),
        manager.pending_connect,
        manager.pending_disconnect,
        answers,
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(operation, max_size=40))
def test_it_does_what_the_stock_manager_does(steps: list[tuple[Any, ...]]) -> None:
    stock, indexed = socketio.AsyncManager(), IndexedManager()
    for step in steps:
        assert apply(indexed, step) == apply(stock, step), step
        assert snapshot(indexed) == snapshot(stock), step


def test_a_disconnect_forgets_the_socket_entirely() -> None:
    manager = IndexedManager()
    for sid in SIDS:
        manager.basic_enter_room(sid, "/", None, "eio-" + sid)
        manager.basic_enter_room(sid, "/", sid, "eio-" + sid)
        manager.basic_enter_room(sid, "/", "guild:1")
    for sid in SIDS:
        manager.basic_disconnect(sid, "/")
    assert manager.rooms == {}
    assert manager.socket_rooms == {}
