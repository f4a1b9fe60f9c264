"""Connect applications to the caches of this project: one call from the deployment's outputs to a client.

::

    from elasticache_connect import connect
    r = connect(outputs_file="cdk-outputs.json", stack="ElastiCacheSessions")       # redis.Redis, TLS, AUTH
    board = connect(stack="ElastiCacheLeaderboard", region="eu-west-1")             # RedisCluster (boto3)
    r = connect(env="SESSIONS", user="app", iam=True)                               # Lambda / ECS, IAM tokens
    r = connect(url="rediss://:token@host:6379?ssl_ca_certs=ca.pem")

See :func:`connect` and ``README.md`` ("Connect from your application").
"""

from __future__ import annotations

from .clients import ClientOptions, redis_client, redis_kwargs, retry_policy, ssl_context
from .errors import ConnectError, DiscoveryError, ElastiCacheConnectError, UsageError
from .factory import CacheSource, apply_credentials, client_for, connect, env_name, resolve_target, target_from_env
from .iam import TOKEN_LIFETIME_SECONDS, ElastiCacheIAMProvider
from .memcached import discover_nodes, parse_cluster_config
from .outputs import clear_token_cache, fetch_auth_token, target_from_outputs, target_from_stack
from .target import Target, redact_url, target_from_url

__all__ = [
    "TOKEN_LIFETIME_SECONDS",
    "CacheSource",
    "ClientOptions",
    "ConnectError",
    "DiscoveryError",
    "ElastiCacheConnectError",
    "ElastiCacheIAMProvider",
    "Target",
    "UsageError",
    "apply_credentials",
    "clear_token_cache",
    "client_for",
    "connect",
    "discover_nodes",
    "env_name",
    "fetch_auth_token",
    "parse_cluster_config",
    "redact_url",
    "redis_client",
    "redis_kwargs",
    "resolve_target",
    "retry_policy",
    "ssl_context",
    "target_from_env",
    "target_from_outputs",
    "target_from_stack",
    "target_from_url",
]
