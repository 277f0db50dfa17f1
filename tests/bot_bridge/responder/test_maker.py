"""Golden conversations from architus's documented demo, and the sandbox's limits."""

from __future__ import annotations

import gc
import random
import tracemalloc
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot_bridge.responder import ResponseMaker, Sandbox
from bot_bridge.responder.maker import HELP_PAGES, NEXT, PREV
from bot_bridge.responder.sandbox import REGEX_BYTES_LIMIT, RESPONSE_LIMIT

Say = Callable[[str], Any]


@pytest.fixture
async def maker() -> AsyncIterator[ResponseMaker]:
    responder = ResponseMaker()
    yield responder
    responder.close()


class Conversation:
    def __init__(self, maker: ResponseMaker, seed: int = 7) -> None:
        self.maker = maker
        self.sandbox = Sandbox("1", random.Random(seed))
        self.next_id = 0

    async def say(self, text: str, **kwargs: Any) -> list[dict[str, Any]]:
        self.next_id += 2
        actions = await self.maker.send(self.sandbox, str(self.next_id), text, **kwargs)
        return [action.wire() for action in actions]

    async def sent(self, text: str) -> list[str]:
        return [a["content"] for a in await self.say(text) if a["action"] == "send"]


@pytest.fixture
def chat(maker: ResponseMaker) -> Conversation:
    return Conversation(maker)


async def test_thanks_answers_one_of_its_choices(chat: Conversation) -> None:
    (confirmation,) = await chat.sent("!set thanks::[you're welcome!,no problem!]")
    assert confirmation.startswith("✅")
    answers = {(await chat.sent("thanks"))[0] for _ in range(30)}
    assert answers == {"you're welcome!", "no problem!"}


async def test_naive_triggers_ignore_case_and_punctuation(chat: Conversation) -> None:
    await chat.say("!set hi::hello :wave:")
    assert await chat.sent("hi") == ["hello :wave:"]
    assert await chat.sent("Oh, HI!!! there") == ["hello :wave:"]
    assert await chat.sent("history") == []  # whole words only


async def test_punctuated_triggers_need_their_punctuation(chat: Conversation) -> None:
    await chat.say("!set what?::that's what")
    assert await chat.sent("WHAT? no") == ["that's what"]
    assert await chat.sent("what") == []


async def test_remove(chat: Conversation) -> None:
    await chat.say("!set thanks::[you're welcome!,no problem!]")
    assert (await chat.sent("!remove thanks"))[0].startswith("✅")
    assert await chat.sent("thanks") == []
    assert (await chat.sent("!remove thanks"))[0].startswith("❌")


async def test_regex_captures(chat: Conversation) -> None:
    await chat.say(r"!set ^my name is (\w+) (\w+)$::hi [0] [1]! ([capture])")
    assert await chat.sent("my name is Ada Lovelace") == [
        "hi Ada Lovelace! (my name is Ada Lovelace)"
    ]
    assert await chat.sent("so my name is Ada Lovelace") == []


async def test_substitutions(chat: Conversation) -> None:
    from bot_bridge.responder import words

    await chat.say("!set roll::[adj] [noun] [adv] by [member] for [author], #[count]")
    (first,) = await chat.sent("roll")
    (second,) = await chat.sent("roll")
    adjective, noun, adverb, _, member, *_ = first.split(" ")
    assert adjective in words.adjectives()
    assert noun in words.nouns()
    assert adverb in words.adverbs()
    assert member in words.members()
    assert first.endswith("for guest, #1")
    assert second.endswith("for guest, #2")


async def test_reactions(chat: Conversation) -> None:
    await chat.say("!set nice::[👍] [:tada:] nice one")
    actions = await chat.say("nice")
    user_message = str(chat.next_id)
    assert actions[0]["action"] == "send"
    assert actions[0]["content"] == "nice one"
    assert int(actions[0]["message_id"]) % 2 == 1
    assert actions[1:] == [
        {"action": "react", "message_id": user_message, "emoji": "👍"},
        {"action": "react", "message_id": user_message, "emoji": "🎉"},
    ]
    await chat.say("!set wow::[😮]")
    assert await chat.say("wow") == [
        {"action": "react", "message_id": str(chat.next_id), "emoji": "😮"}
    ]


async def test_plain_brackets_and_urls_stay_text(chat: Conversation) -> None:
    await chat.say("!set docs::see [the docs] at https://docs.example.org/a?b=1#c")
    assert await chat.sent("docs") == ["see [the docs] at https://docs.example.org/a?b=1#c"]


async def test_help_pages_turn_with_reactions(chat: Conversation, maker: ResponseMaker) -> None:
    sent, left, right = await chat.say("!help")
    assert sent["content"] == HELP_PAGES[0]
    assert (left["emoji"], right["emoji"]) == (PREV, NEXT)
    help_id = sent["message_id"]
    turned = maker.react(chat.sandbox, help_id, NEXT)
    assert [a.wire() for a in turned] == [
        {"action": "edit", "message_id": help_id, "content": HELP_PAGES[1]}
    ]
    back = maker.react(chat.sandbox, help_id, PREV)
    assert back[0].content == HELP_PAGES[0]
    assert maker.react(chat.sandbox, help_id, "👍") == []
    assert maker.react(chat.sandbox, "999", NEXT) == []


async def test_bot_ids_are_odd_and_increase(chat: Conversation) -> None:
    ids = []
    for n in range(5):
        ids += [a["message_id"] for a in await chat.say(f"!set t{n}::r")]
    assert all(int(i) % 2 == 1 for i in ids)
    assert [int(i) for i in ids] == sorted(int(i) for i in ids)


async def test_collisions_are_a_normal_reply(chat: Conversation) -> None:
    await chat.say("!set hi::hello")
    for clash in ("!set HI!::again", "!set hi there::x", "!set oh hi::y"):
        (reply,) = await chat.sent(clash)
        assert "collides with `hi`" in reply, clash
    assert len(chat.sandbox.responses) == 1


async def test_limits(chat: Conversation) -> None:
    for n in range(RESPONSE_LIMIT):
        assert (await chat.sent(f"!set word{n}::r{n}"))[0].startswith("✅")
    (refused,) = await chat.sent("!set one more::no")
    assert f"{RESPONSE_LIMIT} auto responses" in refused
    await chat.say("!remove word0")
    (too_long,) = await chat.sent("!set long::" + "x" * 401)
    assert "at most 400" in too_long
    (trigger_too_long,) = await chat.sent("!set " + "t" * 101 + "::x")
    assert "at most 100" in trigger_too_long
    (bad_regex,) = await chat.sent("!set ^(unclosed$::x")
    assert "does not compile" in bad_regex
    (usage,) = await chat.sent("!set no separator")
    assert usage.startswith("Usage")


async def test_long_output_is_cut_to_2000(chat: Conversation) -> None:
    await chat.say("!set big::" + "[noun] " * 57)
    await chat.say("!set x::" + "[capture]" * 40)
    (reply,) = await chat.sent("x")
    assert reply == "x" * 40
    await chat.say(r"!set ^(.*)$::[0][0][0][0][0][0][0][0][0][0]")
    (long_reply,) = await chat.sent("y" * 1500)
    assert len(long_reply) == 2000


async def test_allowed_commands(chat: Conversation) -> None:
    only_help = await chat.say("!set hi::hello", allowed=lambda name: name == "help")
    assert only_help == []  # not allowed: an ordinary message, and nothing matches it
    assert chat.sandbox.responses == []


async def test_catastrophic_regex_costs_only_the_budget(chat: Conversation) -> None:
    import time

    await chat.say(r"!set ^(a+)+$::boom")
    await chat.say(r"!set ^(a|aa)+$::boom2")
    await chat.say("!set a::plain")
    started = time.monotonic()
    answer = await chat.sent("a" * 5000 + "!")
    elapsed = time.monotonic() - started
    assert elapsed < 0.5
    assert answer == []  # regexes timed out; "a" is not a whole word of that message


@pytest.mark.parametrize(
    ("trigger", "reason"),
    [
        (r"^a{100000}$", "repeat counts are at most 100"),
        (r"^(a{99}){99}$", "write out 9803 items; at most 500"),
        (r"^((((((a))))))$", "groups nest at most 5 deep"),
        (r"^(?:(?:()?){100}[a-z])*$", "101 places to backtrack to"),
        (r"^(?:abc){e<=3}$", "must be a repeat like {3}"),
        (r"^(?i)(?:ß{100}){100}$", "nothing else after (?"),
        (r"^[\p{L}--\p{Lu}]$", "`\\p` is not supported"),
    ],
)
async def test_unbounded_regexes_are_refused_like_any_set(
    chat: Conversation, trigger: str, reason: str
) -> None:
    actions = await chat.say(f"!set {trigger}::x")
    assert len(actions) == 1, actions
    assert actions[0]["action"] == "send"
    assert actions[0]["content"].startswith("❌"), actions
    assert reason in actions[0]["content"]
    assert chat.sandbox.responses == []


async def test_remove_finds_by_text_and_never_compiles(chat: Conversation) -> None:
    assert (await chat.sent(r"!set ^hi (\w+)$::x"))[0].startswith("✅")
    tracemalloc.start()
    try:
        (missing,) = await chat.sent(r"!remove ^a{200000}$")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert missing == r"❌ no auto response `^a{200000}$`"
    assert peak < 512 * 1024  # compiling that pattern allocates about 50 MB
    (unparsable,) = await chat.sent("!remove ^(unclosed$")
    assert unparsable == "❌ no auto response `^(unclosed$`"
    (removed,) = await chat.sent(r"!remove ^hi (\w+)$")
    assert removed == r"✅ removed `^hi (\w+)$`"
    assert chat.sandbox.responses == []


async def test_a_slow_compile_is_refused_like_any_set() -> None:
    maker = ResponseMaker(regex_budget=0.0)  # every compile takes some CPU time
    try:
        chat = Conversation(maker)
        (refused,) = await chat.sent(r"!set ^(\w+) again$::x")
        assert refused == "❌ that regex took too long to compile; try a simpler one"
        assert (await chat.sent("!set plain words::x"))[0].startswith("✅")  # nothing compiled
        assert len(chat.sandbox.responses) == 1
    finally:
        maker.close()


async def test_a_sandboxs_compiled_regexes_are_bounded_together(chat: Conversation) -> None:
    # each about 190 KiB compiled, within the bounds of one regex
    heavy = [rf"^(?:(\w){{10}}){{48}}{n}$" for n in range(2)]
    assert (await chat.sent(f"!set {heavy[0]}::x"))[0].startswith("✅")
    (refused,) = await chat.sent(f"!set {heavy[1]}::x")
    assert refused.startswith("❌ that regex needs 191 KiB"), refused
    assert f"of {REGEX_BYTES_LIMIT // 1024} KiB" in refused
    assert chat.sandbox.regex_bytes() <= REGEX_BYTES_LIMIT
    # ordinary regexes still fit beside it
    assert (await chat.sent(r"!set ^my name is (\w+)$::hi [0]"))[0].startswith("✅")


async def test_compiled_regexes_leave_with_their_sandboxes(maker: ResponseMaker) -> None:
    async def fill(round_: int) -> None:
        for guild in range(10):
            sandbox = Sandbox(str(guild), random.Random(0))
            for n in range(RESPONSE_LIMIT):
                # distinct, near the length limit, so no cache could share them
                text = f"^{round_:03d}{guild:03d}{n:03d} " + r"(?:\w+ ){1,5}" + "x" * 70 + "$"
                (action,) = await maker.send(sandbox, "2", f"!set {text}::x")
                assert action.content is not None
                assert action.content.startswith("✅")

    await fill(0)  # warm: the pool's threads and whatever is built once
    gc.collect()
    tracemalloc.start()  # from here on, count only what is allocated and still held
    try:
        await fill(1)
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 500 patterns: a process-wide cache of them would hold megabytes, and regex's memo of
    # every pattern string compiled (even uncached) ~150 KB
    assert held < 64 * 1024, held
