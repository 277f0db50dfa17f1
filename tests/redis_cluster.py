"""A real Redis Cluster on loopback ports: three masters (`redis-server --cluster-enabled yes`)
joined by `redis-cli --cluster create`, in a directory of its own, gone when the block ends.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

from port_for import get_port


@dataclass(frozen=True)
class RedisCluster:
    ports: list[int]

    @property
    def url(self) -> str:
        """The bus URL of the cluster; any master is a seed."""
        return f"redis+cluster://127.0.0.1:{self.ports[0]}"

    def flush(self) -> None:
        for port in self.ports:
            _cli("-p", str(port), "flushall")


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _cli(*args: str) -> str:
    done = subprocess.run(
        ["redis-cli", *args], capture_output=True, text=True, timeout=30, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"redis-cli {' '.join(args)}: {done.stdout}{done.stderr}")
    return done.stdout


@contextlib.contextmanager
def redis_cluster(masters: int = 3) -> Iterator[RedisCluster]:
    """Synchronous on purpose: a session fixture holds it, outside any test's event loop."""
    if shutil.which("redis-cli") is None:
        raise RuntimeError("redis-cli not found on PATH (it comes with redis-server)")
    ports = [int(get_port(None)) for _ in range(masters)]
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="architus-cluster-") as directory:
        try:
            for port in ports:
                processes.append(
                    subprocess.Popen(
                        [
                            "redis-server",
                            "--port",
                            str(port),
                            "--bind",
                            "127.0.0.1",
                            "--cluster-enabled",
                            "yes",
                            "--cluster-config-file",
                            f"nodes-{port}.conf",
                            "--dir",
                            directory,
                            "--save",
                            "",
                            "--appendonly",
                            "no",
                        ],
                        stdout=subprocess.DEVNULL,
                    )
                )
            for port in ports:
                _wait_for_port(port)
            _cli(
                "--cluster",
                "create",
                *(f"127.0.0.1:{port}" for port in ports),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            )
            # every node must agree the slots are covered before a client may rely on it
            deadline = time.monotonic() + 20
            for port in ports:
                while "cluster_state:ok" not in _cli("-p", str(port), "cluster", "info"):
                    if time.monotonic() > deadline:
                        raise RuntimeError("the redis cluster did not come up")
                    time.sleep(0.1)
            yield RedisCluster(ports)
        finally:
            for process in processes:
                process.terminate()
                process.wait()
