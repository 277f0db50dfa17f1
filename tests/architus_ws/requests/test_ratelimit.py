"""Token buckets (requests/ratelimit.py): their own rules, apart from the sockets that use
them. Time is the real monotonic clock; bounds are one-sided so a busy machine only makes
refills larger, never a test fail."""

from __future__ import annotations

import time

from architus_ws.budgets import MemoryBudgets, Refusal
from architus_ws.config import RateLimit
from architus_ws.requests.ratelimit import AddressBudgets, TokenBucket


def test_a_bucket_allows_its_burst_then_names_the_wait() -> None:
    bucket = TokenBucket(RateLimit(5, 10.0))  # one token every 2 s
    assert [bucket.take() for _ in range(5)] == [0.0] * 5
    wait = bucket.take()
    assert 0 < wait <= 2.0
    assert not bucket.full


def test_a_bucket_refills_continuously_up_to_its_capacity() -> None:
    bucket = TokenBucket(RateLimit(2, 2.0))  # a token a second
    assert [bucket.take() for _ in range(2)] == [0.0, 0.0]
    assert not bucket.full
    time.sleep(2.05)
    assert bucket.full
    # never more than the capacity, however long it rested
    assert [bucket.take() == 0.0 for _ in range(3)] == [True, True, False]


def test_a_refused_take_costs_nothing() -> None:
    bucket = TokenBucket(RateLimit(1, 100.0))
    assert bucket.take() == 0.0
    first = bucket.take()
    second = bucket.take()
    # asking again does not push the wait further out
    assert second <= first


def test_addresses_have_buckets_of_their_own_and_full_ones_are_forgotten() -> None:
    budgets = AddressBudgets(RateLimit(1, 1.0))
    assert budgets.take("198.51.100.1") == 0.0
    assert budgets.take("198.51.100.1") > 0
    assert budgets.take("198.51.100.2") == 0.0  # another address is not charged
    assert budgets.take(None) == 0.0  # unknown addresses share one bucket
    assert budgets.take(None) > 0
    assert len(budgets) == 3
    time.sleep(1.05)  # every bucket back at capacity
    for _ in range(AddressBudgets.SWEEP_EVERY):
        budgets.take("203.0.113.9")
    assert len(budgets) == 1  # the sweep kept only the address still spending


async def test_on_the_memory_bus_budgets_are_per_process() -> None:
    """Two gateways on memory buses share nothing: each has its own budgets, as before."""
    first, second = (MemoryBudgets(RateLimit(2, 60), 1, RateLimit(1, 60)) for _ in range(2))
    address = "198.51.100.1"
    assert await first.admit(address) is None
    # the socket cap refuses without spending a connect
    assert await first.admit(address) == Refusal("sockets", 1.0)
    first.release(address)
    assert await first.admit(address) is None
    first.release(address)
    refusal = await first.admit(address)
    assert refusal is not None
    assert refusal.why == "connects"
    assert refusal.wait > 0
    assert await second.admit(address) is None  # the other process's budgets are untouched
    assert first.interpret_now(address) == 0.0
    assert first.interpret_now(address) > 0
    assert await second.interpret(address) == 0.0
