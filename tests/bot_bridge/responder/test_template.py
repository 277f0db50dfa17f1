"""Property tests: any text is a template and any message can be matched, within limits."""

from __future__ import annotations

import asyncio
import random
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot_bridge.responder import ResponseMaker, Sandbox
from bot_bridge.responder.template import MESSAGE_LIMIT, Context, render
from bot_bridge.responder.trigger import BadTrigger, Trigger

bracketed = st.text(
    alphabet=st.sampled_from("[]:,abc0123 👍🎉\u200d!?nounadjcapturecount"), max_size=200
)


@given(
    template=st.one_of(st.text(max_size=2000), bracketed),
    capture=st.text(max_size=2000),
    groups=st.lists(st.text(max_size=500), max_size=12),
)
@settings(max_examples=400, deadline=None)
def test_render_never_raises_and_stays_bounded(
    template: str, capture: str, groups: list[str]
) -> None:
    started = time.monotonic()
    rendered = render(template, Context(random.Random(0), 3, "guest", capture, tuple(groups)))
    assert len(rendered.text) <= MESSAGE_LIMIT
    assert time.monotonic() - started < 0.05


@given(text=st.one_of(st.text(max_size=300), st.text(max_size=98).map(lambda t: f"^{t}$")))
@settings(max_examples=400, deadline=None)
def test_trigger_parse_either_works_or_says_why(text: str) -> None:
    reason = ""
    try:
        trigger = Trigger.parse(text).compiled(budget=1.0)
    except BadTrigger as error:
        reason = str(error)
    else:
        assert trigger.mode in ("naive", "punctuated", "regex")
        return
    assert reason


@given(
    messages=st.lists(st.text(max_size=2000), min_size=1, max_size=5),
    commands=st.lists(st.text(max_size=200).map(lambda t: "!" + t), max_size=5),
)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_conversation_is_answered_within_limits(
    messages: list[str], commands: list[str]
) -> None:
    async def converse() -> None:
        maker = ResponseMaker()
        sandbox = Sandbox("1", random.Random(0))
        try:
            for n, text in enumerate([*commands, *messages]):
                started = time.monotonic()
                actions = await maker.send(sandbox, str(2 * n + 2), text)
                assert time.monotonic() - started < 0.5
                for action in actions:
                    assert action.content is None or len(action.content) <= MESSAGE_LIMIT
        finally:
            maker.close()

    asyncio.run(converse())
