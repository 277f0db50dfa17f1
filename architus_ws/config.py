"""Settings, from the environment (CLI flags override them)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot_bridge.bus.history import HistoryLimits


class ConfigError(Exception):
    """The configuration cannot work; the message tells the operator what to set."""


@dataclass(frozen=True)
class RateLimit:
    """`requests` per `per_seconds`, refilled continuously (a token bucket)."""

    requests: int
    per_seconds: float


@dataclass(frozen=True)
class Settings:
    # kid -> secret; the key "" is used for tokens without a kid (ARCHITUS_JWT_SECRET)
    jwt_secrets: Mapping[str, str]
    redis_url: str | None = None
    cors_origins: tuple[str, ...] | None = None
    # a cookie holding the JWT (architus's dashboard sends it HttpOnly): elevates at connect,
    # only on connects from one of `cors_origins`
    token_cookie: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_leeway: float = 0.0
    payload_limit: int = 64 * 1024
    transport_limit: int = 1_000_000
    interpret_rate: RateLimit = RateLimit(20, 10.0)
    # interpret from one client address, all its connections together
    interpret_address_rate: RateLimit = RateLimit(60, 10.0)
    request_rate: RateLimit = RateLimit(100, 10.0)
    history: HistoryLimits = field(default_factory=HistoryLimits)
    # connects per client address, and sockets open at once from one address
    connect_rate: RateLimit = RateLimit(30, 10.0)
    sockets_per_address: int = 50
    # anonymous sockets with no request for this long are closed (0: never)
    idle_anonymous_seconds: float = 300.0
    # Engine.IO transports offered; websocket only when several processes share a port
    transports: tuple[str, ...] = ("polling", "websocket")
    # bytes queued for one socket before it is cut off as a slow consumer
    outbound_limit: int = 4 * 1024 * 1024
    # Engine.IO heartbeat, in seconds (fractions allowed): a ping every `ping_interval`, and
    # a socket that has not answered one for `ping_timeout` is closed
    ping_interval: float = 25.0
    ping_timeout: float = 20.0
    # an Engine.IO session with no Socket.IO connect within this is closed
    connect_timeout: float = 10.0
    # seconds a stopping node takes to hand its sockets to the others (connections/drain.py)
    drain_seconds: float = 10.0
    # `token_expiring` is pushed this long before a token's `exp` (CONTRACT 2.3)
    renew_notice_seconds: float = 60.0
    # open connections (HTTP and websockets) this process takes; None: its descriptor limit
    # less a reserve (transport/gate.py)
    max_connections: int | None = None
    # HTTP connections not yet upgraded to a websocket, open at once from one peer address
    connections_per_address: int = 64
    # what one socket may send in a second, past which it is closed as a flood
    read_frames_per_second: int = 200
    read_bytes_per_second: int = 2 * 1_000_000
    # an access log of our own (method, path without its query, status, time, address):
    # uvicorn's would print Engine.IO session ids, which are bearer credentials
    access_log: bool = False
    # (host, port) of a second listener serving the full /metrics, per-guild series included;
    # the public /metrics then answers 404. None: the public /metrics, aggregates only
    metrics_address: tuple[str, int] | None = None

    @property
    def bus_url(self) -> str:
        return self.redis_url or "memory://"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if environ is None else environ
        secrets: dict[str, str] = {}
        if env.get("ARCHITUS_JWT_SECRET"):
            secrets[""] = env["ARCHITUS_JWT_SECRET"]
        if env.get("ARCHITUS_JWT_KEYS"):
            try:
                keyed = json.loads(env["ARCHITUS_JWT_KEYS"])
            except json.JSONDecodeError as error:
                raise ConfigError(f"ARCHITUS_JWT_KEYS is not JSON: {error}") from None
            if not isinstance(keyed, dict) or not all(
                isinstance(k, str) and k and isinstance(v, str) and v for k, v in keyed.items()
            ):
                raise ConfigError('ARCHITUS_JWT_KEYS must be a JSON object {"kid": "secret"}')
            secrets.update(keyed)
        origins = env.get("ARCHITUS_CORS_ORIGINS")
        leeway = float(env.get("ARCHITUS_JWT_LEEWAY", "0"))
        if not 0 <= leeway <= 60:
            raise ConfigError("ARCHITUS_JWT_LEEWAY must be between 0 and 60 seconds")
        values: dict[str, object] = {
            "request_rate": _rate(env, "ARCHITUS_REQUEST_RATE", "100/10"),
            "interpret_rate": _rate(env, "ARCHITUS_INTERPRET_RATE", "20/10"),
            "interpret_address_rate": _rate(env, "ARCHITUS_INTERPRET_ADDRESS_RATE", "60/10"),
            "jwt_secrets": secrets,
            "redis_url": env.get("ARCHITUS_REDIS_URL") or None,
            "cors_origins": tuple(o.strip() for o in origins.split(",") if o.strip())
            if origins
            else None,
            "token_cookie": env.get("ARCHITUS_TOKEN_COOKIE") or None,
            "jwt_issuer": env.get("ARCHITUS_JWT_ISSUER") or None,
            "jwt_audience": env.get("ARCHITUS_JWT_AUDIENCE") or None,
            "jwt_leeway": leeway,
            "history": HistoryLimits.from_env(env),
            "connect_rate": _rate(env, "ARCHITUS_CONNECT_RATE", "30/10"),
            "sockets_per_address": int(env.get("ARCHITUS_SOCKETS_PER_ADDRESS", "50")),
            "idle_anonymous_seconds": float(env.get("ARCHITUS_IDLE_ANONYMOUS_SECONDS", "300")),
            "transports": _transports(env.get("ARCHITUS_TRANSPORTS", "polling,websocket")),
            "outbound_limit": int(env.get("ARCHITUS_OUTBOUND_LIMIT_BYTES", 4 * 1024 * 1024)),
            "ping_interval": _seconds(env, "ARCHITUS_PING_INTERVAL", 25),
            "ping_timeout": _seconds(env, "ARCHITUS_PING_TIMEOUT", 20),
            "connect_timeout": _seconds(env, "ARCHITUS_CONNECT_TIMEOUT", 10),
            "drain_seconds": _seconds(env, "ARCHITUS_DRAIN_SECONDS", 10),
            "renew_notice_seconds": _seconds(env, "ARCHITUS_RENEW_NOTICE_SECONDS", 60),
            "max_connections": _count(env, "ARCHITUS_MAX_CONNECTIONS", None),
            "connections_per_address": _count(env, "ARCHITUS_CONNECTIONS_PER_ADDRESS", 64),
            "read_frames_per_second": _count(env, "ARCHITUS_READ_FRAMES_PER_SECOND", 200),
            "read_bytes_per_second": _count(env, "ARCHITUS_READ_BYTES_PER_SECOND", 2_000_000),
            "access_log": _flag(env, "ARCHITUS_ACCESS_LOG"),
            "metrics_address": _address(env, "ARCHITUS_METRICS_ADDRESS"),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)  # type: ignore[arg-type]
        if settings.token_cookie and not settings.cors_origins:
            raise ConfigError(
                "ARCHITUS_TOKEN_COOKIE needs ARCHITUS_CORS_ORIGINS: a token cookie is trusted "
                "only on connects from the origins listed there"
            )
        if settings.read_bytes_per_second < settings.transport_limit:
            raise ConfigError(
                "ARCHITUS_READ_BYTES_PER_SECOND must be at least the largest packet "
                f"({settings.transport_limit} bytes): one packet cannot be a flood"
            )
        if not settings.jwt_secrets:
            raise ConfigError(
                "set ARCHITUS_JWT_SECRET (the secret shared with the REST API), "
                "or ARCHITUS_JWT_KEYS, or run with --demo"
            )
        return settings


def _rate(env: Mapping[str, str], name: str, default: str) -> RateLimit:
    """`REQUESTS/SECONDS`, e.g. `100/10`."""
    text = env.get(name) or default
    requests, _, seconds = text.partition("/")
    try:
        rate = RateLimit(int(requests), float(seconds))
    except ValueError:
        raise ConfigError(f"{name} must look like 100/10 (requests per seconds)") from None
    if rate.requests < 1 or rate.per_seconds <= 0:
        raise ConfigError(f"{name} must allow at least 1 request in a positive time")
    return rate


def _count(env: Mapping[str, str], name: str, default: int | None) -> int | None:
    text = env.get(name)
    if not text:
        return default
    try:
        count = int(text)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number") from None
    if count < 1:
        raise ConfigError(f"{name} must be at least 1")
    return count


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        seconds = float(env.get(name) or default)
    except ValueError:
        raise ConfigError(f"{name} is a number of seconds") from None
    if not 0.05 <= seconds < float("inf"):
        raise ConfigError(f"{name} must be at least 0.05 seconds")
    return seconds


def _flag(env: Mapping[str, str], name: str) -> bool:
    text = (env.get(name) or "0").strip().lower()
    if text not in ("0", "1", "false", "true", "no", "yes", "off", "on"):
        raise ConfigError(f"{name} is 1 or 0")
    return text in ("1", "true", "yes", "on")


def _address(env: Mapping[str, str], name: str) -> tuple[str, int] | None:
    """`host:port` (`[::1]:9100` for IPv6), or None when unset."""
    text = (env.get(name) or "").strip()
    if not text:
        return None
    host, _, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{name} must look like 127.0.0.1:9100 (host:port)")
    return host, int(port)


def _transports(text: str) -> tuple[str, ...]:
    chosen = tuple(name.strip() for name in text.split(",") if name.strip())
    if not chosen or any(name not in ("polling", "websocket") for name in chosen):
        raise ConfigError("ARCHITUS_TRANSPORTS is a comma list of polling and websocket")
    return chosen
