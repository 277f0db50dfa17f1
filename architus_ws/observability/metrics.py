"""Prometheus metrics of one gateway process (own registry, so several apps can share a
process in tests)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from architus_sdk.wire import ClientEvent
from architus_ws.transport.gate import ConnectionGate


class _SpectatorCollector(Collector):
    """Reads spectators per guild at scrape time instead of updating a gauge per change."""

    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self._counts = counts

    def collect(self):  # type: ignore[no-untyped-def]
        family = GaugeMetricFamily(
            "architus_spectators", "Sockets spectating each guild", labels=["guild_id"]
        )
        for guild_id, count in self._counts().items():
            family.add_metric([guild_id], count)
        yield family


class _SpectatedCollector(Collector):
    """Spectating in total, without guild ids: which guilds are watched, and how closely, is
    not for everyone who can reach the public port."""

    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self._counts = counts

    def collect(self):  # type: ignore[no-untyped-def]
        counts = self._counts()
        yield GaugeMetricFamily(
            "architus_spectated_guilds", "Guilds with at least one spectator", value=len(counts)
        )
        yield GaugeMetricFamily(
            "architus_spectating_sockets",
            "Spectators of all guilds together (a socket counts once per guild it watches)",
            value=sum(counts.values()),
        )


class _PausedWritesCollector(Collector):
    """Writes that found a socket's transport paused (a slow reader), in this process."""

    def __init__(self, count: Callable[[], int]) -> None:
        self._count = count

    def collect(self):  # type: ignore[no-untyped-def]
        yield CounterMetricFamily(
            "architus_paused_writes",
            "Pushes that found the socket's transport paused (the reader is behind)",
            value=self._count(),
        )


class _GateCollector(Collector):
    """What the door before HTTP turned away (transport/gate.py)."""

    def __init__(self, gate: ConnectionGate) -> None:
        self._gate = gate

    def collect(self):  # type: ignore[no-untyped-def]
        yield CounterMetricFamily(
            "architus_tcp_refused",
            "TCP connections refused on arrival: past ARCHITUS_MAX_CONNECTIONS open, or past "
            "ARCHITUS_CONNECTIONS_PER_ADDRESS from one address",
            value=self._gate.refused,
        )
        yield CounterMetricFamily(
            "architus_tcp_silent_closed",
            "TCP connections closed for sending nothing within 10 s of opening",
            value=self._gate.timed_out,
        )


class Metrics:
    def __init__(
        self, spectator_counts: Callable[[], dict[str, int]], paused_writes: Callable[[], int]
    ) -> None:
        self.registry = CollectorRegistry()
        self.connections = Gauge(
            "architus_connections", "Connected Socket.IO sockets", registry=self.registry
        )
        self.elevated = Gauge(
            "architus_elevated_sessions", "Sockets holding a valid token", registry=self.registry
        )
        self.pushes = Counter(
            "architus_pushes_sent",
            "Pushes sent to sockets (one per socket reached)",
            ["event"],
            registry=self.registry,
        )
        self.requests = Counter(
            "architus_requests",
            "Client requests answered, by event and ack code (200 for ok)",
            ["event", "code"],
            registry=self.registry,
        )
        self.slow_consumers = Counter(
            "architus_slow_consumers_cut",
            "Sockets cut off because their outbound queue passed the limit",
            registry=self.registry,
        )
        self.refused = Counter(
            "architus_connections_refused",
            "Connects refused, by reason (rate_limited, unauthenticated, bad_request)",
            ["reason"],
            registry=self.registry,
        )
        self.idle_closed = Counter(
            "architus_idle_anonymous_closed",
            "Anonymous sockets closed for asking nothing for too long",
            registry=self.registry,
        )
        self.bus_up = Gauge(
            "architus_bus_up",
            "1 when the bus answered the last readiness check",
            registry=self.registry,
        )
        self.protocol_violations = Counter(
            "architus_protocol_violations",
            "Connections closed for a frame that is not this protocol (undecodable, binary)",
            registry=self.registry,
        )
        self.floods = Counter(
            "architus_floods",
            "Sockets closed for sending more frames or bytes a second than their budget",
            registry=self.registry,
        )
        self.budget_fail_open = Counter(
            "architus_budget_fail_open",
            "Per-address budget checks this node answered alone (its own budgets) because "
            "Redis did not answer: while it counts, N nodes allow N times each budget",
            registry=self.registry,
        )
        self.resumes = Counter(
            "architus_resumes",
            "Spectates with `resume`, by outcome: recovered, or why not (new_epoch, "
            "feed_stalled, history_trimmed, bus_unavailable, closed)",
            ["outcome"],
            registry=self.registry,
        )
        self.registry.register(_SpectatedCollector(spectator_counts))
        self.registry.register(_PausedWritesCollector(paused_writes))
        # apart: only the private listener (ARCHITUS_METRICS_ADDRESS) shows guild ids
        self.per_guild = CollectorRegistry()
        self.per_guild.register(_SpectatorCollector(spectator_counts))

    def watch(self, gate: ConnectionGate) -> None:
        self.registry.register(_GateCollector(gate))

    def delivered(self, event: str, sockets: int) -> None:
        self.pushes.labels(event).inc(sockets)

    def answered(self, event: str, code: int) -> None:
        # Unknown names are attacker-chosen: one label for all of them keeps cardinality fixed.
        label = event if event in ClientEvent.__members__.values() else "unknown"
        self.requests.labels(label, str(code)).inc()

    def render(self, per_guild: bool = False) -> bytes:
        """Prometheus text; `per_guild` adds the series labelled with guild ids."""
        text = generate_latest(self.registry)
        return text + generate_latest(self.per_guild) if per_guild else text
