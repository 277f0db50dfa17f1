"""Running the official Engine.IO and Socket.IO protocol suites (../shared/protocol-suites).

Each suite is copied, unchanged, into a cache directory under the system's temp directory
keyed by its lockfile's hash, where `npm ci` runs once; a run writes a copy of
`test-suite.js` beside it whose only change is the `URL` constant (the suites hard-code
`http://localhost:3000`), and runs mocha on it with the JSON reporter.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.ports import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
SUITES = ROOT.parent / "shared" / "protocol-suites"
SUITE_URL = 'const URL = "http://localhost:3000";'


@dataclass
class SuiteRun:
    passed: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)  # title: the assertion's message

    @property
    def titles(self) -> set[str]:
        return self.passed | set(self.failed)


@contextlib.contextmanager
def conformance_server() -> Iterator[str]:
    """`architus-ws conformance` (`architus_ws.transport.conformance`) in a subprocess on a
    free port: its URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "architus_ws", "conformance", "--port", str(port)], cwd=ROOT
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def prepared(suite: str) -> Path:
    """The suite's folder with its npm packages installed, cached across runs."""
    source = SUITES / suite
    lock = hashlib.sha256((source / "package-lock.json").read_bytes()).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / "architus-protocol-suites" / f"{suite}-{lock}"
    if (target / "node_modules" / ".package-lock.json").exists():
        return target
    building = target.with_name(f"{target.name}.{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    shutil.copytree(source, building)
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"],
        cwd=building,
        check=True,
        capture_output=True,
        timeout=600,
    )
    try:
        building.rename(target)
    except OSError:  # another run got there first
        shutil.rmtree(building, ignore_errors=True)
    return target


def run_suite(folder: Path, url: str, timeout: float = 300) -> SuiteRun:
    original = (folder / "test-suite.js").read_text()
    assert original.count(SUITE_URL) == 1, "the suite no longer reads its URL as expected"
    script = folder / f"test-suite-{os.getpid()}-{url.rsplit(':', 1)[1]}.js"
    script.write_text(original.replace(SUITE_URL, f'const URL = "{url}";'))
    try:
        finished = subprocess.run(
            ["npx", "mocha", "--exit", "--reporter", "json", script.name],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    finally:
        script.unlink(missing_ok=True)
    report = json.loads(finished.stdout[finished.stdout.index("{") :])
    run = SuiteRun()
    for test in report["passes"]:
        run.passed.add(test["fullTitle"])
    for test in report["failures"]:
        run.failed[test["fullTitle"]] = str(test.get("err", {}).get("message", ""))
    return run


def lost_to_a_ping(message: str) -> bool:
    """The suites race a 300 ms ping: a ping `2` arriving where a test awaited another
    packet (their README allows a retry for that, and only that)."""
    return "expected '2' to" in message or "Timeout of" in message
