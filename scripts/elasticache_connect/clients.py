"""redis-py clients for a :class:`~elasticache_connect.target.Target`: TLS, auth, retries and timeouts.

The defaults are what a production service wants in front of ElastiCache:

* timeouts: 2 s to connect, 2 s per command (a cache answering slower than that is down for a request path);
* retries: 10 attempts with exponential backoff and equal jitter (waits doubling from 0.1 s, capped at 2 s:
  7.5 to 15 s in all), on connection errors and timeouts (and ``CLUSTERDOWN`` in cluster mode). A Multi-AZ
  failover promotes a replica and repoints the primary endpoint's DNS name in seconds
  (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoFailover.html), so a request issued during it
  waits and succeeds instead of failing;
* TCP keepalive and a health check of idle connections every 30 s (a connection left idle across a failover
  points at the old primary, now a replica).

Every value is overridable with :class:`ClientOptions`.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, replace
from typing import Any

import redis
from redis.backoff import EqualJitterBackoff, NoBackoff
from redis.cluster import RedisCluster
from redis.retry import Retry

from .errors import UsageError
from .target import Target

READ_FROM = ("primary", "replicas")


@dataclass(frozen=True)
class ClientOptions:
    """Timeouts, retries and decoding of the clients :func:`redis_client` builds.

    * ``socket_timeout``: seconds to wait for a reply (default 2.0).
    * ``connect_timeout``: seconds to wait for the TCP (and TLS) connection (default 2.0).
    * ``retries``: attempts after the first on connection errors and timeouts (default 10).
    * ``backoff_base`` / ``backoff_cap``: first wait and largest wait between retries in seconds (0.1 / 2.0).
    * ``health_check_interval``: seconds a connection may idle before it is checked with PING (default 30;
      cluster clients check on use instead).
    * ``decode_responses``: return ``str`` instead of ``bytes`` (default ``True``).
    * ``read_from``: ``"primary"`` (default) or ``"replicas"``: cluster mode reads from replicas (round robin,
      ``READONLY``); cluster mode disabled connects to the reader endpoint.
    """

    socket_timeout: float = 2.0
    connect_timeout: float = 2.0
    retries: int = 10
    backoff_base: float = 0.1
    backoff_cap: float = 2.0
    health_check_interval: int = 30
    decode_responses: bool = True
    read_from: str = "primary"

    def __post_init__(self) -> None:
        for name in ("socket_timeout", "connect_timeout", "backoff_cap"):
            if getattr(self, name) <= 0:
                raise UsageError(f"{name}: got {getattr(self, name)}; must be > 0 seconds")
        if self.backoff_base < 0:
            raise UsageError(f"backoff_base: got {self.backoff_base}; must be >= 0 seconds")
        if self.retries < 0:
            raise UsageError(f"retries: got {self.retries}; must be >= 0")
        if self.health_check_interval < 0:
            raise UsageError(f"health_check_interval: got {self.health_check_interval}; must be >= 0 seconds")
        if self.read_from not in READ_FROM:
            raise UsageError(f"read_from: got {self.read_from!r}; allowed: {', '.join(READ_FROM)}")

    def with_timeout(self, timeout: float) -> ClientOptions:
        """The same options with both timeouts set to ``timeout``."""
        return replace(self, socket_timeout=timeout, connect_timeout=timeout)


def ssl_context(target: Target) -> ssl.SSLContext:
    """A client TLS context: system trust store plus ``ca_file``; no verification if ``tls_verify`` is off."""
    context = ssl.create_default_context(cafile=target.ca_file) if target.ca_file else ssl.create_default_context()
    if not target.tls_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def retry_policy(options: ClientOptions, *, cluster: bool = False) -> Retry:
    """Exponential backoff with jitter on ``ConnectionError`` / ``TimeoutError`` (and ``CLUSTERDOWN`` for
    cluster clients) - redis-py's ``Retry``."""
    from redis.exceptions import ClusterDownError

    # Equal jitter: half of each exponential wait is fixed, so the retries always span a minimum time
    # (7.5 s with the defaults) while clients still spread out.
    backoff = EqualJitterBackoff(base=options.backoff_base, cap=options.backoff_cap)
    errors: tuple[type[Exception], ...] = (redis.ConnectionError, redis.TimeoutError)
    return Retry(backoff, options.retries, supported_errors=(*errors, ClusterDownError) if cluster else errors)


def redis_kwargs(target: Target, options: ClientOptions | None = None, *, cluster: bool = False) -> dict[str, Any]:
    """Keyword arguments for ``redis.Redis`` (``cluster=False``) or ``RedisCluster`` for this target."""
    options = options or ClientOptions()
    kwargs: dict[str, Any] = {
        "socket_timeout": options.socket_timeout,
        "socket_connect_timeout": options.connect_timeout,
        "socket_keepalive": True,
        "decode_responses": options.decode_responses,
        "retry": retry_policy(options),
    }
    if not cluster:
        kwargs["retry_on_error"] = [redis.ConnectionError, redis.TimeoutError]
        kwargs["health_check_interval"] = options.health_check_interval
    if target.credential_provider is not None:
        kwargs["credential_provider"] = target.credential_provider
    else:
        kwargs.update(username=target.username, password=target.password)
    if target.tls:
        kwargs.update(
            ssl=True,
            ssl_ca_certs=target.ca_file,
            ssl_cert_reqs="required" if target.tls_verify else "none",
            ssl_check_hostname=target.tls_verify,
        )
    kwargs.update(target.options)
    return kwargs


def reader_endpoint(target: Target) -> tuple[str, int]:
    """The reader endpoint (cluster mode disabled); an error naming the missing output otherwise."""
    if not target.reader_host:
        raise UsageError(
            f"read_from='replicas': {target.host}:{target.port} has no reader endpoint "
            "(<P>ReaderEndpointAddress output); a replication group without replicas has nothing to read from"
        )
    return target.reader_host, int(target.reader_port or target.port)


def redis_client(target: Target, options: ClientOptions | None = None, *, cluster: bool | None = None) -> Any:
    """``redis.Redis`` or ``RedisCluster`` (by ``cluster``, default ``target.cluster``) for this target.

    With ``options.read_from == "replicas"``: cluster mode reads round robin from replicas; cluster mode
    disabled connects to the reader endpoint.
    """
    options = options or ClientOptions()
    use_cluster = bool(target.cluster if cluster is None else cluster)
    if not use_cluster:
        host, port = (target.host, target.port) if options.read_from == "primary" else reader_endpoint(target)
        return redis.Redis(host=host, port=port, **redis_kwargs(target, options))
    from redis.cluster import LoadBalancingStrategy

    extra: dict[str, Any] = {}
    if options.read_from == "replicas":
        extra["load_balancing_strategy"] = LoadBalancingStrategy.ROUND_ROBIN_REPLICAS
    kwargs = redis_kwargs(target, options, cluster=True)
    # RedisCluster retries at once (it refreshes the slot map, it does not wait): two quick tries for MOVED and
    # topology changes, then the waiting retry policy around them, so a failover of a few seconds is ridden out.
    kwargs["retry"] = Retry(NoBackoff(), min(options.retries, CLUSTER_QUICK_RETRIES))
    return ElastiCacheCluster(
        host=target.host, port=target.port, backoff_retry=retry_policy(options, cluster=True), **kwargs, **extra
    )


CLUSTER_QUICK_RETRIES = 2


class ElastiCacheCluster(RedisCluster):
    """``RedisCluster`` whose commands wait with backoff between attempts on connection errors, timeouts and
    ``CLUSTERDOWN`` (redis-py's own cluster retries are immediate and exhaust within milliseconds).

    ``backoff_retry``: the waiting policy (default: :func:`retry_policy` of the default :class:`ClientOptions`).
    """

    def __init__(self, *args: Any, backoff_retry: Retry | None = None, **kwargs: Any) -> None:
        self.backoff_retry = backoff_retry or retry_policy(ClientOptions(), cluster=True)
        super().__init__(*args, **kwargs)

    def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        """``RedisCluster.execute_command`` under the waiting retry policy."""
        return self.backoff_retry.call_with_retry(
            lambda: super(ElastiCacheCluster, self).execute_command(*args, **kwargs), lambda _error: None
        )

    def _execute_pipeline_by_slot(self, command: str, slots_to_args: Any) -> Any:
        # redis-py sends DEL/EXISTS/UNLINK/TOUCH and the *_nonatomic commands through a fresh pipeline per call
        # (redis/commands/cluster.py), not execute_command: the same waiting retry covers that path.
        return self.backoff_retry.call_with_retry(
            lambda: super(ElastiCacheCluster, self)._execute_pipeline_by_slot(command, slots_to_args),
            lambda _error: None,
        )
