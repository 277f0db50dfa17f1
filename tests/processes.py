"""`architus-ws serve` as an operator runs it: a process of its own whose whole output is kept,
for tests that read what the process printed or how it stops."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator, Mapping

import aiohttp

from tests.conftest import SECRET, UNLIMITED_CONNECTS, entry_point
from tests.ports import free_port


class ServeProcess:
    """`architus-ws serve ARGS --port P`, stdout and stderr read into `output` as they come
    (so the process never blocks on a full pipe)."""

    def __init__(self, *args: str, env: Mapping[str, str] | None = None) -> None:
        self.port = free_port()
        self.args = args
        # A newcomer's environment: none of the machine's own ARCHITUS_ settings.
        base = {k: v for k, v in os.environ.items() if not k.startswith("ARCHITUS_")}
        self.env = {
            **base,
            "ARCHITUS_JWT_SECRET": SECRET,
            "PYTHONUNBUFFERED": "1",
            **UNLIMITED_CONNECTS,
            **(env or {}),
        }
        self.process: asyncio.subprocess.Process | None = None
        self._chunks: list[bytes] = []
        self._reader: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def output(self) -> str:
        return b"".join(self._chunks).decode(errors="replace")

    async def start(self, timeout: float = 40) -> ServeProcess:
        """Start it and wait until `/healthz` answers (with --workers, until a worker does)."""
        self.process = await asyncio.create_subprocess_exec(
            entry_point("architus-ws"),
            "serve",
            "--port",
            str(self.port),
            *self.args,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            # its own process group: `stop` ends the workers of `--workers` with it
            start_new_session=True,
        )
        self._reader = asyncio.create_task(self._read())
        try:
            async with asyncio.timeout(timeout):
                while not await self._healthy():
                    if self.process.returncode is not None:
                        raise AssertionError(f"serve exited early:\n{self.output}")
                    await asyncio.sleep(0.05)
        except TimeoutError:
            raise AssertionError(f"serve not ready in {timeout} s:\n{self.output}") from None
        return self

    async def _healthy(self) -> bool:
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http,
                http.get(self.url + "/healthz") as response,
            ):
                return response.status == 200
        return False

    async def _read(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        while chunk := await self.process.stdout.read(65536):
            self._chunks.append(chunk)

    async def wait_for_output(self, text: str, timeout: float = 20) -> None:
        async with asyncio.timeout(timeout):
            while text not in self.output:
                await asyncio.sleep(0.02)

    async def terminate(self, timeout: float) -> tuple[int, float]:
        """SIGTERM, then wait for the exit: its status and the seconds it took (the process is
        killed, and the test fails, past `timeout`)."""
        assert self.process is not None
        started = time.monotonic()
        self.process.terminate()
        try:
            code = await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"still running {timeout} s after SIGTERM:\n{self.output[-4000:]}"
            ) from None
        return code, time.monotonic() - started

    async def stop(self) -> None:
        """Kill it (and any worker left behind) if it still runs; read the last of its output."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        await self.process.wait()
        if self._reader is not None:
            await self._reader


@contextlib.asynccontextmanager
async def serving(*args: str, env: Mapping[str, str] | None = None) -> AsyncIterator[ServeProcess]:
    process = ServeProcess(*args, env=env)
    try:
        yield await process.start()
    finally:
        await process.stop()
