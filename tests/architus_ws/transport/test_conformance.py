"""The official protocol suites, unchanged, against `architus_ws.transport.conformance`."""

from __future__ import annotations

import shutil

import pytest

from tests.protocol_suites import conformance_server, lost_to_a_ping, prepared, run_suite

pytestmark = [pytest.mark.node, pytest.mark.timeout(900)]

RETRIES = 5


@pytest.fixture(scope="module")
def server_url() -> object:
    if shutil.which("npx") is None:
        raise RuntimeError("Node.js with npm is needed to run the protocol suites")
    with conformance_server() as url:
        yield url


def test_engine_io_suite(server_url: str) -> None:
    run = run_suite(prepared("engine.io-protocol"), server_url)
    assert len(run.titles) == 24, sorted(run.titles)
    assert not run.failed, run.failed
    assert len(run.passed) == 24


def test_socket_io_suite(server_url: str) -> None:
    folder = prepared("socket.io-protocol")
    passed: set[str] = set()
    titles: set[str] = set()
    other_failures: dict[str, str] = {}
    for _ in range(RETRIES):
        run = run_suite(folder, server_url)
        titles |= run.titles
        passed |= run.passed
        for title, message in run.failed.items():
            if not lost_to_a_ping(message):
                other_failures[title] = message
        if passed == titles:
            break
    assert len(titles) == 32, sorted(titles)
    assert not other_failures, other_failures
    assert passed == titles, sorted(titles - passed)
