"""The rate limiters admit exactly the limit when several processes, each with several threads,
hammer the same key at once (the guide's three-round-trip version can over-admit)."""

from __future__ import annotations

import multiprocessing
import uuid

import pytest
from live_helpers import hammer_limiter

from elasticache_smoke import testing as servers
from elasticache_smoke.patterns import SlidingWindowLimiter, TokenBucket

PROCESSES, THREADS, ATTEMPTS = 3, 4, 25  # 300 attempts per run


def _hammer(kind: str, url: str, key: str, limit: int) -> tuple[int, list[int]]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=hammer_limiter, args=(kind, url, key, limit, THREADS, ATTEMPTS, barrier, out))
        for _ in range(PROCESSES)
    ]
    for proc in procs:
        proc.start()
    per_process = [out.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    return sum(per_process), per_process


@pytest.mark.parametrize("kind", ["sliding", "token_bucket"])
@pytest.mark.parametrize("limit", [1, 97])
def test_limit_is_exact_under_processes_and_threads(standalone: servers.RedisServer, kind: str, limit: int) -> None:
    key = f"{{smoke:test-{uuid.uuid4().hex[:8]}}}:limiter"
    client = standalone.client()
    try:
        allowed, per_process = _hammer(kind, standalone.url, key, limit)
        assert allowed == limit, per_process
        if kind == "sliding":
            assert client.zcard(key) == limit
        else:
            assert float(client.hget(key, "tokens") or -1) < 1
    finally:
        client.delete(key)


def test_sliding_limit_is_exact_on_a_cluster(cluster: servers.RedisClusterServers) -> None:
    key = f"{{smoke:test-{uuid.uuid4().hex[:8]}}}:limiter"
    allowed, per_process = _hammer("sliding", cluster.url, key, 50)
    assert allowed == 50, per_process
    from redis.cluster import RedisCluster

    client = RedisCluster(host=cluster.seed.host, port=cluster.seed.port)
    try:
        assert client.zcard(key) == 50
    finally:
        client.delete(key)
        client.close()


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda c: SlidingWindowLimiter(c, "k", limit=0, window_ms=10), "limit must be >= 1, got 0"),
        (lambda c: SlidingWindowLimiter(c, "k", limit=1, window_ms=0), "window_ms must be >= 1, got 0"),
        (lambda c: TokenBucket(c, "k", capacity=0, refill_per_second=1), "capacity must be >= 1, got 0"),
        (lambda c: TokenBucket(c, "k", capacity=1, refill_per_second=0), "refill_per_second must be > 0, got 0"),
    ],
)
def test_invalid_limiter_parameters(factory: object, message: str) -> None:
    assert callable(factory)
    with pytest.raises(ValueError) as excinfo:
        factory(None)
    assert str(excinfo.value) == message
