"""The one conformance list (sdk/behaviours.json): every behaviour of it is demonstrated by a
Python test (tests/sdk, `@pytest.mark.behaviour(...)`) and by a Node test (sdk/js/test, the ids
in brackets at the start of the test's name), so the two clients cannot drift apart unseen.

The tests are read from their files, not from a copy: Python's by their decorators (AST), the
Node ones by their `test("[ids] ...")` calls, counted only in the files tests/sdk_js runs.
"""

from __future__ import annotations

import ast
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[2]
LIST = ROOT / "sdk" / "behaviours.json"
PYTHON_TESTS = ROOT / "tests" / "sdk"
NODE_TESTS = ROOT / "sdk" / "js" / "test"
NODE_RUNNER = ROOT / "tests" / "sdk_js" / "test_js_sdk.py"
SDKS = ("python", "js")
ID = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
NODE_TEST = re.compile(r"\btest\(\s*([\"'`])\[([^\]]*)\]\s*(.*?)\1", re.DOTALL)

Claims = dict[str, list[str]]  # behaviour id -> the tests that declare it


def behaviours() -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = json.loads(LIST.read_text())["behaviours"]
    return listed


def python_claims(source: str, name: str) -> Claims:
    """The ids of `@pytest.mark.behaviour(...)` on the module's test functions."""
    claims: Claims = defaultdict(list)
    for node in ast.parse(source).body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in node.decorator_list:
            if (
                isinstance(decorator, ast.Call)
                and ast.unparse(decorator.func) == "pytest.mark.behaviour"
            ):
                if not node.name.startswith("test_"):
                    raise AssertionError(f"{name}: {node.name} is not a test, yet declares")
                for arg in decorator.args:
                    if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                        raise AssertionError(f"{name}::{node.name}: ids are string literals")
                    claims[arg.value].append(f"{name}::{node.name}")
    return claims


def node_claims(source: str, name: str) -> Claims:
    """The ids in brackets at the start of the file's `test("...")` names."""
    claims: Claims = defaultdict(list)
    for match in NODE_TEST.finditer(source):
        for behaviour in match.group(2).split():
            claims[behaviour].append(f"{name}: {match.group(3)}")
    return claims


def merged(parts: list[Claims]) -> Claims:
    claims: Claims = defaultdict(list)
    for part in parts:
        for behaviour, tests in part.items():
            claims[behaviour] += tests
    return claims


def node_files_run() -> list[Path]:
    """The Node test files tests/sdk_js runs: a tagged test elsewhere demonstrates nothing."""
    runner = NODE_RUNNER.read_text()
    return [path for path in sorted(NODE_TESTS.glob("*.test.mjs")) if f'"{path.name}"' in runner]


def all_claims() -> dict[str, Claims]:
    return {
        "python": merged(
            [python_claims(path.read_text(), path.name) for path in PYTHON_TESTS.glob("test_*.py")]
        ),
        "js": merged([node_claims(path.read_text(), path.name) for path in node_files_run()]),
    }


CLAIMS = all_claims()


def test_the_list_is_well_formed() -> None:
    listed = behaviours()
    ids = [behaviour["id"] for behaviour in listed]
    assert len(ids) == len(set(ids)), "an id twice"
    for behaviour in listed:
        assert ID.fullmatch(behaviour["id"]), behaviour["id"]
        assert behaviour["says"].strip(), behaviour["id"]
        assert set(behaviour) <= {"id", "says", "missing"}, behaviour
        assert set(behaviour.get("missing", {})) <= set(SDKS), behaviour
        assert len(behaviour.get("missing", {})) < len(SDKS), f"{behaviour['id']}: in neither SDK"


@pytest.mark.parametrize("sdk", SDKS)
def test_every_id_a_test_names_is_listed(sdk: str) -> None:
    listed = {behaviour["id"] for behaviour in behaviours()}
    unknown = {
        behaviour: tests for behaviour, tests in CLAIMS[sdk].items() if behaviour not in listed
    }
    assert unknown == {}


@pytest.mark.parametrize("behaviour", behaviours(), ids=lambda behaviour: behaviour["id"])
def test_each_behaviour_is_demonstrated_in_both_sdks(behaviour: dict[str, Any]) -> None:
    missing: dict[str, str] = behaviour.get("missing", {})
    for sdk in SDKS:
        tests = CLAIMS[sdk].get(behaviour["id"], [])
        if sdk in missing:
            assert tests == [], f"{sdk} has tests for it now: remove its `missing` entry"
        else:
            assert tests, f"no {sdk} test declares {behaviour['id']!r}: {behaviour['says']}"
    if missing:
        # the drift stays visible in every run's summary until the SDK catches up
        pytest.xfail("; ".join(f"not in {sdk}: {why}" for sdk, why in missing.items()))


def test_the_readers_see_declarations_and_only_those() -> None:
    python = python_claims(
        "import pytest\n"
        "@pytest.mark.behaviour('resume', 'drain-move')\n"
        "async def test_a() -> None: ...\n"
        "@pytest.mark.parametrize('x', [1])\n"
        "@pytest.mark.behaviour('resume')\n"
        "def test_b(x: int) -> None: ...\n"
        "@pytest.mark.slow\n"
        "def test_c() -> None: ...\n",
        "m.py",
    )
    assert python == {"resume": ["m.py::test_a", "m.py::test_b"], "drain-move": ["m.py::test_a"]}
    with pytest.raises(AssertionError, match="not a test"):
        python_claims("@pytest.mark.behaviour('resume')\ndef helper() -> None: ...\n", "m.py")
    node = node_claims(
        'test("[resume drain-move] moves", async () => {});\n'
        "test('no tag', () => {});\n"
        "test(\n  `[watermark] pages\n  and pushes`, () => {});\n",
        "x.test.mjs",
    )
    assert node == {
        "resume": ["x.test.mjs: moves"],
        "drain-move": ["x.test.mjs: moves"],
        "watermark": ["x.test.mjs: pages\n  and pushes"],
    }


def test_only_the_node_files_the_runner_runs_count() -> None:
    run = {path.name for path in node_files_run()}
    assert "resume.test.mjs" in run
    assert run <= {path.name for path in NODE_TESTS.glob("*.test.mjs")}
