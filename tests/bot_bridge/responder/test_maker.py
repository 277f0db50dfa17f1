"""Golden conversations from architus's documented demo, and the sandbox's limits."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot_bridge.responder import ResponseMaker, Sandbox
from bot_bridge.responder.maker import HELP_PAGES, NEXT, PREV
from bot_bridge.responder.sandbox import RESPONSE_LIMIT

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
