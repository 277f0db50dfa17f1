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
from dataclasses import dataclass, field

from tests.ports import accepts, free_port


@dataclass
class RedisCluster:
    ports: list[int]
    directory: str
    processes: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The bus URL of the cluster; any master is a seed."""
        return f"redis+cluster://127.0.0.1:{self.ports[0]}"

    def flush(self) -> None:
        for port in self.ports:
            _cli("-p", str(port), "flushall")

    def start(self, port: int) -> None:
        """Start (or restart) one master; it reads its slots back from its nodes file."""
        self.processes[port] = subprocess.Popen(
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
                self.directory,
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        self._wait_ready(port)

    def _wait_ready(self, port: int) -> None:
        """Until this node answers PING and listens on its cluster bus (port + 10000), which
        `--cluster create` connects to: on a busy machine a node takes its time, and a port
        answering is not proof that it is this node's."""
        process = self.processes[port]
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"redis-server on {port} exited with {process.returncode}")
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                if _cli("-p", str(port), "ping").strip() == "PONG" and accepts(port + 10000):
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on {port} never became ready")
            time.sleep(0.05)

    def kill(self, port: int) -> None:
        process = self.processes.pop(port)
        process.kill()
        process.wait()

    def wait_until_ok(self) -> None:
        """Until every node agrees the slots are covered."""
        deadline = time.monotonic() + 60
        for port in self.ports:
            while "cluster_state:ok" not in _cli("-p", str(port), "cluster", "info"):
                if time.monotonic() > deadline:
                    raise RuntimeError("the redis cluster did not come up")
                time.sleep(0.1)


def _free_node_port() -> int:
    """A free port whose cluster bus port (+10000) is free too."""
    while True:
        port = free_port()
        if port + 10000 > 65535:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


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
    ports: list[int] = []
    while len(ports) < masters:
        port = _free_node_port()
        if port not in ports:
            ports.append(port)
    with tempfile.TemporaryDirectory(prefix="architus-cluster-") as directory:
        cluster = RedisCluster(ports, directory)
        try:
            for port in ports:
                cluster.start(port)
            _cli(
                "--cluster",
                "create",
                *(f"127.0.0.1:{port}" for port in ports),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            )
            cluster.wait_until_ok()
            yield cluster
        finally:
            for port in list(cluster.processes):
                cluster.kill(port)
