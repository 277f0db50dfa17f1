"""Redis clients for the bus and the mirror, from a URL.

`redis://`, `rediss://` and `unix://` name one Redis server; `redis+cluster://host:port`
(or `rediss+cluster://`) names a Redis Cluster by any of its nodes. Every key and channel of a
guild carries the hash tag `{<guild_id>}` (redis_keys.py), so a guild's scripts run on one shard
and its channels are sharded pub/sub channels of that shard.
"""

from __future__ import annotations

from urllib.parse import urlparse

import redis.asyncio as redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ClusterDownError, ClusterError, TryAgainError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# `redis+cluster://`, `rediss+cluster://` (factory.py lists the schemes)
CLUSTER_SUFFIX = "+cluster"

# Connection losses (and a cluster in failover) that mean "retry later", as opposed to bugs.
TRANSIENT = (
    RedisConnectionError,
    RedisTimeoutError,
    OSError,
    ClusterDownError,
    ClusterError,
    TryAgainError,
)

# A burst waits this long for a free connection instead of failing
MAX_CONNECTIONS = 64

RedisClient = redis.Redis | RedisCluster


def is_cluster(url: str) -> bool:
    return urlparse(url).scheme.endswith(CLUSTER_SUFFIX)


def redis_client(url: str) -> RedisClient:
    """A client for the server or cluster the URL names.

    The single-server pool blocks a burst (up to 5 s) for a free connection: redis-py's default
    pool raises "Too many connections" past 100 at once.
    """
    if is_cluster(url):
        # redis-py reads the cluster's layout from the seed node; the scheme is ours
        seed = url.replace(CLUSTER_SUFFIX, "", 1)
        return RedisCluster.from_url(
            seed,
            decode_responses=True,
            max_connections=MAX_CONNECTIONS,
            socket_connect_timeout=2,
            health_check_interval=10,
        )
    pool = redis.BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=5,
        decode_responses=True,
        health_check_interval=10,
        socket_connect_timeout=2,
    )
    return redis.Redis(connection_pool=pool)
