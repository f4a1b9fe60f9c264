"""The smoke suites: the guide's commands with the guide's expected results, and its patterns.

Every suite receives a :class:`~elasticache_smoke.context.SuiteContext`; all keys come from
``ctx.key(...)`` (namespaced, registered for cleanup) and all commands go through ``ctx.r`` (timed).
"""

from __future__ import annotations

import contextlib
import json
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from .context import SuiteContext
from .patterns import (
    SlidingWindowLimiter,
    StampedeLock,
    TokenBucket,
    UserDB,
    cache_aside_get,
    get_with_lock,
    write_through_update,
)

SuiteFunc = Callable[[SuiteContext], None]

# The guide's "Leaderboard Example" output, verbatim.
GUIDE_LEADERBOARD_OUTPUT = ["Top 3:", "#1: Charlie - 1050", "#2: Alice - 1000", "#3: Diana - 980"]
STREAM_ID = re.compile(r"^\d+-\d+$")


@dataclass(frozen=True)
class SuiteDef:
    """A suite: its function, whether it writes, and whether it needs cluster mode."""

    name: str
    func: SuiteFunc
    mutating: bool = True
    cluster_only: bool = False
    description: str = ""


def setex(r: Any, key: str, seconds: int, value: str) -> bool:
    """The guide's ``SETEX`` sent as such (redis-py 8 deprecates its ``setex`` helper)."""
    return bool(r.execute_command("SETEX", key, seconds, value))


def _ttl_ok(value: Any) -> bool:
    return isinstance(value, int) and 3599 <= value <= 3600


# --------------------------------------------------------------------------- read-only


def suite_server(ctx: SuiteContext) -> None:
    """Non-mutating: PING, INFO, GET/EXISTS/TTL of a missing namespaced key, cluster slot coverage."""
    r = ctx.r
    ctx.check("PING", r.ping(), True)
    missing = f"{ctx.run.namespace}:server:missing"  # never written, so not registered for cleanup
    ctx.check("GET missing namespaced key", r.get(missing), None)
    ctx.check("EXISTS missing namespaced key", r.exists(missing), 0)
    ctx.check("TTL missing namespaced key", r.ttl(missing), -2)
    try:
        info = ctx.client.info("server") if not ctx.run.cluster else _default_node_client(ctx).info("server")
        version = info.get("valkey_version") or info.get("redis_version")
        ctx.out(
            f"server version {version}, mode {info.get('redis_mode', '?')}, uptime {info.get('uptime_in_seconds')}s"
        )
    except redis.ResponseError as exc:
        ctx.out(f"INFO not permitted for this user ({exc}); skipped")
    if ctx.run.cluster:
        node = _default_node_client(ctx)
        try:
            raw = str(node.execute_command("CLUSTER", "INFO"))
        except redis.ResponseError as exc:
            ctx.out(f"CLUSTER INFO refused by the endpoint ({exc}); cluster state checks skipped")
        else:
            info = dict(line.split(":", 1) for line in raw.splitlines() if ":" in line)
            ctx.check("CLUSTER INFO cluster_state", info.get("cluster_state"), "ok")
            ctx.check("CLUSTER INFO cluster_slots_ok", info.get("cluster_slots_ok"), "16384")
        try:
            shards = cluster_topology(ctx)
        except redis.ResponseError as exc:
            ctx.out(f"CLUSTER SLOTS refused by the endpoint ({exc}); slot coverage not checked")
            return
        covered = sum(end - start + 1 for shard in shards for start, end in shard["slots"])
        ctx.check("CLUSTER SLOTS covers every slot", covered, 16384)
        replicas = sum(len(shard["replicas"]) for shard in shards)
        ctx.out(f"{len(shards)} shards, {replicas} replicas")
        for shard in shards:
            ranges = ",".join(f"{a}-{b}" for a, b in shard["slots"])
            ctx.out(f"  primary {shard['primary']} slots {ranges} replicas {', '.join(shard['replicas']) or 'none'}")


def _default_node_client(ctx: SuiteContext) -> Any:
    client = ctx.client
    return client.get_redis_connection(client.get_default_node())


def cluster_topology(ctx: SuiteContext) -> list[dict[str, Any]]:
    """Shards from ``CLUSTER SLOTS`` (works on Redis 6 too): primary, replicas and slot ranges."""
    node = _default_node_client(ctx)
    conn = node.connection_pool.get_connection()
    try:
        conn.send_command("CLUSTER", "SLOTS")
        rows = conn.read_response()
    finally:
        node.connection_pool.release(conn)
    shards: dict[str, dict[str, Any]] = {}
    for row in rows:
        start, end, primary, *replicas = row
        primary_name = f"{_decode(primary[0])}:{int(primary[1])}"
        shard = shards.setdefault(primary_name, {"primary": primary_name, "slots": [], "replicas": []})
        shard["slots"].append((int(start), int(end)))
        for replica in replicas:
            name = f"{_decode(replica[0])}:{int(replica[1])}"
            if name not in shard["replicas"]:
                shard["replicas"].append(name)
    return sorted(shards.values(), key=lambda s: s["slots"][0][0])


def _decode(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# --------------------------------------------------------------------------- replicas

REPLICA_READ_BOUND_SECONDS = 5.0


def _replica_count(ctx: SuiteContext) -> int:
    if ctx.run.cluster:
        return len(ctx.client.get_replicas())
    target = ctx.run.target
    return 1 if target is not None and target.reader_host else 0


def _replica_keys(ctx: SuiteContext, count: int) -> list[str]:
    """Keys for the replica check: in cluster mode each with its own hash tag in a slot whose shard has a replica
    in the client's slot map (shards whose replicas are not in ``CLUSTER SLOTS`` yet are passed over)."""
    if not ctx.run.cluster:
        return [ctx.key(f"replica:{i}") for i in range(count)]
    slots = ctx.client.nodes_manager.slots_cache
    keys: list[str] = []
    for i in range(10_000):
        name = f"{ctx.run.key_prefix}{{smoke:{ctx.run.run_id}:replica:{i}}}"
        if len(slots.get(ctx.client.keyslot(name), [])) > 1:
            keys.append(ctx.run.register(name))
            if len(keys) == count:
                break
    return keys


def suite_replicas(ctx: SuiteContext) -> None:
    """A write on the primary is read back from a replica (cluster mode) or the reader endpoint; lag printed."""
    from elasticache_connect import ClientOptions, redis_client

    target = ctx.run.target
    if target is None or _replica_count(ctx) == 0:
        ctx.result.skipped = "no replicas (cluster mode) or reader endpoint (cluster mode disabled)"
        return
    reader = redis_client(target, ClientOptions(read_from="replicas", retries=1), cluster=ctx.run.cluster)
    try:
        timed = ctx.timed_client(reader)
        lags = []
        for i, key in enumerate(_replica_keys(ctx, 3)):
            if ctx.run.cluster:
                node = reader.get_node_from_key(key, replica=True)
                ctx.check_true(f"write {i}: the reader routes the key to a replica", node is not None,
                               getattr(node, "name", None), "a replica of the key's shard")
            value = f"v{i}-{time.monotonic_ns()}"
            ctx.r.set(key, value)
            written = time.perf_counter()
            seen = None
            while time.perf_counter() - written < REPLICA_READ_BOUND_SECONDS:
                seen = timed.get(key)
                if seen == value:
                    break
                time.sleep(0.002)
            lag = time.perf_counter() - written
            ok = ctx.check_true(
                f"write {i} read back from a replica within {REPLICA_READ_BOUND_SECONDS:.0f}s",
                seen == value, seen, repr(value),
            )
            if ok:
                lags.append(lag)
        where = "replicas (READONLY, round robin)" if ctx.run.cluster else f"reader endpoint {target.reader_host}"
        if lags:
            ctx.out(f"replication lag via {where}: max {max(lags) * 1000:.1f} ms over {len(lags)} writes")
        if not ctx.run.cluster:
            with contextlib.suppress(redis.RedisError):
                ctx.out(f"the reader endpoint is served by a {reader.execute_command('ROLE')[0]}")
    finally:
        reader.close()


# --------------------------------------------------------------------------- data structures


def suite_strings(ctx: SuiteContext) -> None:
    """Guide "Strings": SET/GET, INCR/INCRBY, SETEX/TTL."""
    r = ctx.r
    name, views, session = ctx.key("user:1000:name"), ctx.key("page_views"), ctx.key("session:abc123")
    ctx.check("SET user:1000:name Alice", r.set(name, "Alice"), True)
    ctx.check("GET user:1000:name", r.get(name), "Alice")
    ctx.check("SET page_views 0", r.set(views, 0), True)
    # redis-py's incr() sends INCRBY; the guide's INCR goes on the wire as INCR.
    ctx.check("INCR page_views", r.execute_command("INCR", views), 1)
    ctx.check("INCRBY page_views 10", r.incrby(views, 10), 11)
    ctx.check("SETEX session:abc123 3600 user_data", setex(r, session, 3600, "user_data"), True)
    ttl = r.ttl(session)
    ctx.check_true("TTL session:abc123", _ttl_ok(ttl), ttl, "3599 (or 3600 within the first second)")
    ctx.check("GET session:abc123", r.get(session), "user_data")


def suite_lists(ctx: SuiteContext) -> None:
    """Guide "Lists": LPUSH/RPUSH/LPOP/LRANGE/LLEN."""
    r = ctx.r
    key = ctx.key("notifications")
    ctx.check('LPUSH notifications "New message"', r.lpush(key, "New message"), 1)
    ctx.check('RPUSH notifications "Friend request"', r.rpush(key, "Friend request"), 2)
    ctx.check("LRANGE notifications 0 9 (before pop)", r.lrange(key, 0, 9), ["New message", "Friend request"])
    ctx.check("LPOP notifications", r.lpop(key), "New message")
    ctx.check("LRANGE notifications 0 9", r.lrange(key, 0, 9), ["Friend request"])
    ctx.check("LLEN notifications", r.llen(key), 1)


def suite_hashes(ctx: SuiteContext) -> None:
    """Guide "Hashes": HSET/HGET/HGETALL/HINCRBY."""
    r = ctx.r
    key = ctx.key("user:1000")
    ctx.check(
        'HSET user:1000 name "Alice" age 30 city "NYC"',
        r.hset(key, mapping={"name": "Alice", "age": 30, "city": "NYC"}),
        3,
    )
    ctx.check("HGET user:1000 name", r.hget(key, "name"), "Alice")
    ctx.check("HGETALL user:1000", r.hgetall(key), {"name": "Alice", "age": "30", "city": "NYC"})
    ctx.check("HINCRBY user:1000 age 1", r.hincrby(key, "age", 1), 31)


def suite_sets(ctx: SuiteContext) -> None:
    """Guide "Sets": SADD/SISMEMBER/SINTER/SUNION/SRANDMEMBER (keys share the run's hash tag)."""
    r = ctx.r
    post100, post101 = ctx.key("tags:post:100"), ctx.key("tags:post:101")
    ctx.check('SADD tags:post:100 "redis" "cache" "aws"', r.sadd(post100, "redis", "cache", "aws"), 3)
    ctx.check('SISMEMBER tags:post:100 "redis"', r.sismember(post100, "redis"), 1)
    ctx.check('SISMEMBER tags:post:100 "nosql"', r.sismember(post100, "nosql"), 0)
    ctx.check('SADD tags:post:101 "redis" "database" "nosql"', r.sadd(post101, "redis", "database", "nosql"), 3)
    ctx.check("SINTER tags:post:100 tags:post:101", r.sinter(post100, post101), {"redis"})
    ctx.check(
        "SUNION tags:post:100 tags:post:101",
        r.sunion(post100, post101),
        {"redis", "cache", "aws", "database", "nosql"},
    )
    ctx.check_in("SRANDMEMBER tags:post:100", r.srandmember(post100), {"redis", "cache", "aws"})


def leaderboard_lines(r: Any, key: str) -> list[str]:
    """The guide's Leaderboard Example, line for line (add_score, get_top_players, get_player_rank)."""

    def add_score(player: str, score: int) -> None:
        r.zadd(key, {player: score})

    def get_top_players(n: int = 10) -> list[tuple[str, float]]:
        return list(r.zrevrange(key, 0, n - 1, withscores=True))

    def get_player_rank(player: str) -> int:
        return int(r.zrevrank(key, player))

    add_score("Alice", 1000)
    add_score("Bob", 950)
    add_score("Charlie", 1050)
    add_score("Diana", 980)
    lines = ["Top 3:"]
    for player, score in get_top_players(3):
        rank = get_player_rank(player)
        lines.append(f"#{rank + 1}: {player} - {int(score)}")
    return lines


def suite_sorted_sets(ctx: SuiteContext) -> None:
    """Guide "Sorted Sets" (ZADD/ZRANK/ZREVRANGE WITHSCORES/ZINCRBY) and the Leaderboard Example's output."""
    r = ctx.r
    key = ctx.key("leaderboard")
    ctx.check(
        'ZADD leaderboard 1000 "Alice" 950 "Bob" 1050 "Charlie"',
        r.zadd(key, {"Alice": 1000, "Bob": 950, "Charlie": 1050}),
        3,
    )
    ctx.check('ZRANK leaderboard "Alice"', r.zrank(key, "Alice"), 1)
    ctx.check(
        "ZREVRANGE leaderboard 0 2 WITHSCORES",
        r.zrevrange(key, 0, 2, withscores=True),
        [("Charlie", 1050.0), ("Alice", 1000.0), ("Bob", 950.0)],
    )
    ctx.check('ZINCRBY leaderboard 100 "Alice"', r.zincrby(key, 100, "Alice"), 1100.0)
    lines = leaderboard_lines(r, ctx.key("leaderboard_example"))
    ctx.out("Leaderboard Example (guide):")
    ctx.result.output.extend(f"  {line}" for line in lines)
    ctx.check("Leaderboard Example prints the guide's output", lines, GUIDE_LEADERBOARD_OUTPUT)


def suite_streams(ctx: SuiteContext) -> None:
    """Guide "Streams": XADD/XRANGE/XGROUP CREATE/XREADGROUP, then XACK/XPENDING."""
    r = ctx.r
    key = ctx.key("events")
    fields = {"user": "Alice", "action": "login", "timestamp": "1699123456"}
    entry_id = r.xadd(key, fields)
    ctx.check_true(
        "XADD events * user Alice action login ...",
        bool(STREAM_ID.match(str(entry_id))),
        entry_id,
        "an id like 1699123456000-0",
    )
    ctx.check("XRANGE events - +", r.xrange(key, "-", "+"), [(entry_id, fields)])
    ctx.check("XGROUP CREATE events mygroup 0", r.xgroup_create(key, "mygroup", id="0"), True)
    read = r.xreadgroup("mygroup", "consumer1", {key: ">"}, count=10)
    ctx.check("XREADGROUP GROUP mygroup consumer1 COUNT 10 STREAMS events >", read, [[key, [(entry_id, fields)]]])
    ctx.check("XPENDING events mygroup (before ack)", r.xpending(key, "mygroup")["pending"], 1)
    ctx.check("XACK events mygroup <id>", r.xack(key, "mygroup", entry_id), 1)
    ctx.check("XPENDING events mygroup (after ack)", r.xpending(key, "mygroup")["pending"], 0)
    ctx.check("XREADGROUP ... > (nothing new)", r.xreadgroup("mygroup", "consumer1", {key: ">"}, count=10), [])


# --------------------------------------------------------------------------- pub/sub


def _next_message(pubsub: Any, kinds: tuple[str, ...], timeout: float = 3.0) -> dict[str, Any] | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=max(0.01, deadline - time.monotonic()))
        if message and message.get("type") in kinds:
            return dict(message)
    return None


def suite_pubsub(ctx: SuiteContext) -> None:
    """Guide "Pub/Sub": SUBSCRIBE news, PSUBSCRIBE news:*, PUBLISH with real delivery, UNSUBSCRIBE."""
    r = ctx.r
    news, pattern = ctx.channel("news"), ctx.channel("news:*")
    tech, sports = ctx.channel("news:tech"), ctx.channel("news:sports")
    pubsub = ctx.client.pubsub()
    try:
        pubsub.subscribe(news)
        confirm = _next_message(pubsub, ("subscribe",))
        ctx.check("SUBSCRIBE news", (confirm or {}).get("channel"), news)
        pubsub.psubscribe(pattern)
        confirm = _next_message(pubsub, ("psubscribe",))
        ctx.check("PSUBSCRIBE news:*", (confirm or {}).get("channel"), pattern)

        ctx.check('PUBLISH news "Breaking news!" (subscribers)', r.publish(news, "Breaking news!"), 1)
        got = _next_message(pubsub, ("message", "pmessage"))
        ctx.check("subscriber received news", _msg(got), ("message", None, news, "Breaking news!"))

        ctx.check('PUBLISH news:tech "New AI model released"', r.publish(tech, "New AI model released"), 1)
        got = _next_message(pubsub, ("message", "pmessage"))
        ctx.check(
            "pattern subscriber received news:tech",
            _msg(got),
            ("pmessage", pattern, tech, "New AI model released"),
        )

        ctx.check('PUBLISH news:sports "Team wins championship"', r.publish(sports, "Team wins championship"), 1)
        got = _next_message(pubsub, ("message", "pmessage"))
        ctx.check(
            "pattern subscriber received news:sports",
            _msg(got),
            ("pmessage", pattern, sports, "Team wins championship"),
        )

        pubsub.unsubscribe(news)
        confirm = _next_message(pubsub, ("unsubscribe",))
        ctx.check("UNSUBSCRIBE news", (confirm or {}).get("channel"), news)
        ctx.check("PUBLISH news after UNSUBSCRIBE (subscribers)", r.publish(news, "nobody listens"), 0)
        pubsub.punsubscribe(pattern)
        _next_message(pubsub, ("punsubscribe",))
    finally:
        pubsub.close()


def _msg(message: dict[str, Any] | None) -> tuple[Any, ...] | None:
    if message is None:
        return None
    return (message.get("type"), message.get("pattern"), message.get("channel"), message.get("data"))


# --------------------------------------------------------------------------- caching patterns


def suite_cache_aside(ctx: SuiteContext) -> None:
    """Guide "Cache-Aside" against a real SQLite database; hit ratio and latency vs the guide's formula."""
    r = ctx.r
    with tempfile.TemporaryDirectory(prefix="smoke-db-") as tmp:
        db = UserDB(Path(tmp) / "users.sqlite3", rows=20)
        try:
            key = ctx.key
            first, hit1 = cache_aside_get(r, db, key("user:1"), 1)
            expected_user = {"id": 1, "name": "User 1", "email": "user1@example.com"}
            ctx.check("first get_user(1) is a MISS served by the DB", (hit1, first), (False, expected_user))
            second, hit2 = cache_aside_get(r, db, key("user:1"), 1)
            ctx.check("second get_user(1) is a HIT with the same data", (hit2, second), (True, expected_user))
            ttl = r.ttl(key("user:1"))
            ctx.check_true("SETEX user:1 3600 (TTL)", _ttl_ok(ttl), ttl, "3599..3600")
            none_user, _ = cache_aside_get(r, db, key("user:999"), 999)
            ctx.check("unknown user -> None, nothing cached", (none_user, r.exists(key("user:999"))), (None, 0))

            # 200 requests round-robin over 20 users -> 20 misses, 180 hits = 90 %, the guide's example.
            r.delete(key("user:1"))
            db.queries, db.query_times = 0, []
            hit_times: list[float] = []
            miss_times: list[float] = []
            hits = misses = 0
            for request in range(200):
                user_id = request % 20 + 1
                start = time.perf_counter()
                _, hit = cache_aside_get(r, db, key(f"user:{user_id}"), user_id)
                elapsed = time.perf_counter() - start
                if hit:
                    hits += 1
                    hit_times.append(elapsed)
                else:
                    misses += 1
                    miss_times.append(elapsed)
            ctx.check("hits / misses over 200 requests", (hits, misses), (180, 20))
            ctx.check("DB queries (one per miss)", db.queries, 20)
            ratio = hits / (hits + misses)
            ctx.check("hit ratio", round(ratio, 4), 0.9)
            cache_ms = 1000 * sum(hit_times) / len(hit_times) if hit_times else 0.0
            db_ms = 1000 * sum(db.query_times) / len(db.query_times) if db.query_times else 0.0
            miss_ms = 1000 * sum(miss_times) / len(miss_times) if miss_times else 0.0
            measured = 1000 * (sum(hit_times) + sum(miss_times)) / 200
            formula = ratio * cache_ms + (1 - ratio) * db_ms
            ctx.out(f"hit ratio {ratio:.1%} ({hits} hits / {hits + misses} requests), {db.queries} DB queries")
            ctx.out(f"measured: cache hit {cache_ms:.3f} ms, SQLite query {db_ms:.3f} ms, miss path {miss_ms:.3f} ms")
            ctx.out(
                f"guide formula avg = h*cache + (1-h)*db = {ratio:.2f}*{cache_ms:.3f} + "
                f"{1 - ratio:.2f}*{db_ms:.3f}"
                f" = {formula:.3f} ms; measured avg per request {measured:.3f} ms"
            )
            ctx.out(
                "(the measured miss path adds the cache GET and SETEX to the DB query: the guide's "
                "'3 requests' miss penalty)"
            )
        finally:
            db.close()


def suite_write_through(ctx: SuiteContext) -> None:
    """Guide "Write-Through" and event-based invalidation against SQLite."""
    r = ctx.r
    with tempfile.TemporaryDirectory(prefix="smoke-db-") as tmp:
        db = UserDB(Path(tmp) / "users.sqlite3", rows=5)
        try:
            key = ctx.key("user:2")
            cache_aside_get(r, db, key, 2)
            data = {"id": 2, "name": "Alice", "email": "user2@example.com"}
            write_through_update(r, db, key, 2, data)
            ctx.check("cache holds the new value after update_user", json.loads(r.get(key) or "null"), data)
            queries = db.queries
            ctx.check("DB row updated", (db.get_user(2) or {}).get("name"), "Alice")
            db.queries = queries
            user, hit = cache_aside_get(r, db, key, 2)
            ctx.check(
                "read after write is a HIT with the new data, no DB query",
                (hit, user, db.queries),
                (True, data, queries),
            )
            ttl = r.ttl(key)
            ctx.check_true("write-through SETEX 3600", _ttl_ok(ttl), ttl, "3599..3600")
            # Event-based invalidation: DB changes, cache entry deleted, next read is a fresh miss.
            db.update_name(2, "Bob")
            ctx.check("DEL user:2 (invalidate)", r.delete(key), 1)
            user, hit = cache_aside_get(r, db, key, 2)
            ctx.check(
                "read after invalidation is a MISS with fresh data",
                (hit, (user or {}).get("name")),
                (False, "Bob"),
            )
        finally:
            db.close()


def _hammer(func: Callable[[], bool], threads: int, attempts: int) -> int:
    allowed = 0
    lock = threading.Lock()
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def worker() -> None:
        nonlocal allowed
        try:
            barrier.wait(timeout=10)
            mine = sum(1 for _ in range(attempts) if func())
        except BaseException as exc:
            errors.append(exc)
            return
        with lock:
            allowed += mine

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return allowed


def suite_rate_limit_sliding(ctx: SuiteContext) -> None:
    """Guide "Rate Limiting Example" (sliding window, 10/60 s), made atomic with one Lua script."""
    r = ctx.r
    limiter = SlidingWindowLimiter(r, ctx.key("rate_limit:user:1000"), limit=10, window_ms=60_000)
    pattern = [limiter.allow() for _ in range(15)]
    ctx.check("15 requests, max_requests=10: first 10 allowed, last 5 denied", pattern, [True] * 10 + [False] * 5)
    ctx.check("ZCARD rate_limit:user:1000", r.zcard(limiter.key), 10)
    pttl = r.pttl(limiter.key)
    ctx.check_true("key expires with the window", 0 < pttl <= 60_000, pttl, "0 < PTTL <= 60000")

    short = SlidingWindowLimiter(r, ctx.key("rate_limit:short"), limit=3, window_ms=300)
    burst = [short.allow() for _ in range(4)]
    ctx.check("window 300 ms, limit 3: burst of 4", burst, [True, True, True, False])
    time.sleep(0.45)
    ctx.check("after the window slides, a request is allowed again", short.allow(), True)

    shared = SlidingWindowLimiter(r, ctx.key("rate_limit:concurrent"), limit=25, window_ms=60_000)
    allowed = _hammer(shared.allow, threads=8, attempts=10)
    ctx.check("8 threads x 10 requests, limit 25: allowed exactly 25", allowed, 25)


def suite_token_bucket(ctx: SuiteContext) -> None:
    """Token bucket in Lua (EVAL): capacity, refill, and exact admission under concurrency."""
    r = ctx.r
    bucket = TokenBucket(r, ctx.key("bucket:user:1000"), capacity=10, refill_per_second=10 / 60)
    pattern = [bucket.allow() for _ in range(15)]
    ctx.check("capacity 10, refill 10/min: 15 requests -> 10 allowed, 5 denied", pattern, [True] * 10 + [False] * 5)
    ctx.check("HGET tokens < 1 after the burst", float(r.hget(bucket.key, "tokens") or 99) < 1, True)

    refill = TokenBucket(r, ctx.key("bucket:refill"), capacity=2, refill_per_second=5)
    ctx.check("capacity 2: burst of 3", [refill.allow() for _ in range(3)], [True, True, False])
    time.sleep(0.3)
    ctx.check("after 0.3 s at 5 tokens/s one token is back", refill.allow(), True)

    shared = TokenBucket(r, ctx.key("bucket:concurrent"), capacity=25, refill_per_second=1e-6)
    allowed = _hammer(shared.allow, threads=8, attempts=10)
    ctx.check("8 threads x 10 requests, capacity 25: allowed exactly 25", allowed, 25)


def suite_stampede_lock(ctx: SuiteContext) -> None:
    """Interview answer "cache stampede": SET NX EX lock, owner-safe release, one rebuild for many clients."""
    r = ctx.r
    lock_key = ctx.key("lock:user:1000")
    owner = StampedeLock(r, lock_key, ttl_seconds=10, owner="owner-a")
    other = StampedeLock(r, lock_key, ttl_seconds=10, owner="owner-b")
    ctx.check("SET lock NX EX 10 (first client)", owner.acquire(), True)
    ctx.check("SET lock NX EX 10 (second client, lock held)", other.acquire(), False)
    ttl = r.ttl(lock_key)
    ctx.check_true("lock TTL", 0 < ttl <= 10, ttl, "1..10")
    ctx.check("release by a non-owner deletes nothing", other.release(), False)
    ctx.check("lock still held by its owner", r.get(lock_key), "owner-a")
    ctx.check("release by the owner", owner.release(), True)
    ctx.check("lock gone after release", r.exists(lock_key), 0)

    expiring = StampedeLock(r, ctx.key("lock:expiring"), ttl_seconds=1, owner="crashed")
    expiring.acquire()
    r.pexpire(expiring.key, 150)
    time.sleep(0.3)
    takeover = StampedeLock(r, expiring.key, ttl_seconds=10, owner="successor")
    ctx.check("an expired lock can be taken by another client", takeover.acquire(), True)
    ctx.check("the crashed owner's late release does not free the successor's lock", expiring.release(), False)
    ctx.check("successor still holds the lock", r.get(expiring.key), "successor")
    takeover.release()

    with tempfile.TemporaryDirectory(prefix="smoke-db-") as tmp:
        db = UserDB(Path(tmp) / "users.sqlite3", rows=3, query_delay=0.05)
        try:
            cache_key, rebuild_lock = ctx.key("user:3"), ctx.key("lock:user:3")

            def loader() -> str:
                return json.dumps(db.get_user(3))

            results: list[tuple[str, str]] = []
            guard = threading.Lock()

            def reader() -> bool:
                got = get_with_lock(r, cache_key, rebuild_lock, loader)
                with guard:
                    results.append(got)
                return True

            _hammer(reader, threads=10, attempts=1)
            values = {value for value, _ in results}
            how = [h for _, h in results]
            ctx.check("10 concurrent misses -> exactly one DB query", db.queries, 1)
            ctx.check(
                "every client got the same value",
                values,
                {json.dumps({"id": 3, "name": "User 3", "email": "user3@example.com"})},
            )
            ctx.check(
                "one client rebuilt, the other nine waited for it (or found it cached)",
                (how.count("rebuilt"), how.count("waited") + how.count("hit")),
                (1, 9),
            )
            ctx.check("rebuild lock released", r.exists(rebuild_lock), 0)
        finally:
            db.close()


def suite_expiry(ctx: SuiteContext) -> None:
    """Guide "TTL": SETEX/TTL/PERSIST, an expired key is gone, SET without KEEPTTL clears the TTL."""
    r = ctx.r
    session = ctx.key("session:abc")
    ctx.check("SETEX session:abc 3600 user_data", setex(r, session, 3600, "user_data"), True)
    ttl = r.ttl(session)
    ctx.check_true("TTL session:abc", _ttl_ok(ttl), ttl, "3599 (or 3600 within the first second)")
    ctx.check("PERSIST session:abc", r.persist(session), True)
    ctx.check("TTL after PERSIST", r.ttl(session), -1)
    ctx.check("EXPIRE session:abc 3600", r.expire(session, 3600), True)
    ctx.check("SET without KEEPTTL clears the TTL", (r.set(session, "v2"), r.ttl(session)), (True, -1))
    short = ctx.key("short-lived")
    ctx.check("SET short-lived PX 400", r.set(short, "x", px=400), True)
    pttl = r.pttl(short)
    ctx.check_true("PTTL short-lived", 0 < pttl <= 400, pttl, "0 < PTTL <= 400")
    deadline = time.monotonic() + 3.0
    while r.exists(short) and time.monotonic() < deadline:
        time.sleep(0.05)
    ctx.check("expired key is gone (GET, EXISTS, TTL)", (r.get(short), r.exists(short), r.ttl(short)), (None, 0, -2))


def suite_cluster_spread(ctx: SuiteContext) -> None:
    """Cluster only: keys with different hash tags land on every shard; owners serve them directly."""
    client, r = ctx.client, ctx.r
    primaries = {node.name: node for node in client.get_primaries()}
    by_node: dict[str, list[tuple[str, str]]] = {name: [] for name in primaries}
    slots: set[int] = set()
    index = 0
    while index < 256 and (index < 12 or any(len(keys) < 2 for keys in by_node.values())):
        key = ctx.spread_key(index)
        r.set(key, str(index))
        node = client.get_node_from_key(key)
        by_node.setdefault(node.name, []).append((key, str(index)))
        slots.add(client.keyslot(key))
        index += 1
    served: dict[str, int] = {}
    for name, keys in by_node.items():
        direct = ctx.timed_client(client.get_redis_connection(primaries[name]))
        served[name] = sum(1 for key, value in keys if direct.get(key) == value)
    ctx.check_true(
        "every shard served some keys (direct GET on the owning primary)",
        all(served.get(name, 0) > 0 for name in primaries),
        served,
        f"every one of {len(primaries)} primaries > 0",
    )
    ctx.check("all keys served by their owner", sum(served.values()), index)
    ctx.check_true(
        "keys spread over many slots",
        len(slots) > len(primaries),
        len(slots),
        f"> {len(primaries)} distinct slots",
    )
    key, value = next(iter(by_node[next(iter(by_node))]))
    owner = client.get_node_from_key(key).name
    stranger = next((name for name in primaries if name != owner), None)
    if stranger is not None:
        try:
            client.get_redis_connection(primaries[stranger]).get(key)
            moved = "no redirect"
        except redis.ResponseError as exc:
            moved = str(exc).split(" ")[0] if str(exc) else type(exc).__name__
            if type(exc).__name__ == "MovedError":
                moved = "MOVED"
        ctx.check("a non-owner primary answers MOVED", moved, "MOVED")
    ctx.check("GET through the cluster client follows the slot map", r.get(key), value)
    ctx.out(", ".join(f"{name}: {count} keys" for name, count in sorted(served.items())))
    if len(primaries) == 1:
        ctx.out("one endpoint serves every slot (single shard or serverless): nothing to spread across")


# --------------------------------------------------------------------------- memcached


def suite_memcached_server(ctx: SuiteContext) -> None:
    """Non-mutating memcached checks: version, stats, GET of a missing namespaced key."""
    r = ctx.r
    version = r.version()
    ctx.check_true("version", bool(version), version, "a version string")
    missing = f"{ctx.run.namespace}:server:missing"
    ctx.check("get missing namespaced key", r.get(missing), None)
    stats = r.stats()
    ctx.out(f"memcached {_decode(version)}, curr_items {stats.get(b'curr_items', stats.get('curr_items'))}")


def suite_memcached(ctx: SuiteContext) -> None:
    """Memcached (pymemcache): set/get, add/replace, incr/decr, gets/cas, get_many, delete, touch, expiry."""
    r = ctx.r
    key = ctx.key
    name, views, fresh = key("user:1000:name"), key("page_views"), key("new")
    ctx.check("set user:1000:name Alice", r.set(name, "Alice"), True)
    ctx.check("get user:1000:name", r.get(name), b"Alice")
    ctx.check("add existing key is refused", r.add(name, "Bob"), False)
    ctx.check("add new key", r.add(fresh, "Bob"), True)
    ctx.check("replace missing key is refused", r.replace(key("absent"), "x"), False)
    ctx.check("replace existing key", (r.replace(name, "Carol"), r.get(name)), (True, b"Carol"))
    ctx.check("set page_views 0", r.set(views, "0"), True)
    ctx.check("incr page_views 1", r.incr(views, 1), 1)
    ctx.check("incr page_views 10", r.incr(views, 10), 11)
    ctx.check("decr page_views 1", r.decr(views, 1), 10)
    value, token = r.gets(name)
    ctx.check("gets returns value and a CAS token", (value, bool(token)), (b"Carol", True))
    ctx.check("cas with the current token", r.cas(name, "Dave", token), True)
    ctx.check("cas with a stale token is refused", r.cas(name, "Eve", token), False)
    ctx.check("get_many", r.get_many([name, fresh, key("absent")]), {name: b"Dave", fresh: b"Bob"})
    ctx.check("touch user:1000:name 3600", r.touch(name, 3600), True)
    ctx.check("delete new", r.delete(fresh), True)
    ctx.check("get after delete", r.get(fresh), None)
    short = key("short-lived")
    ctx.check("set short-lived expire=1", r.set(short, "x", expire=1), True)
    deadline = time.monotonic() + 4.0
    while r.get(short) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    ctx.check("expired item is gone", r.get(short), None)


REDIS_SUITES: dict[str, SuiteDef] = {
    s.name: s
    for s in (
        SuiteDef("server", suite_server, mutating=False, description="PING, INFO, missing-key reads, cluster slots"),
        SuiteDef("strings", suite_strings, description="SET/GET, INCR/INCRBY, SETEX/TTL"),
        SuiteDef("lists", suite_lists, description="LPUSH/RPUSH/LPOP/LRANGE/LLEN"),
        SuiteDef("hashes", suite_hashes, description="HSET/HGET/HGETALL/HINCRBY"),
        SuiteDef("sets", suite_sets, description="SADD/SISMEMBER/SINTER/SUNION/SRANDMEMBER"),
        SuiteDef("sorted_sets", suite_sorted_sets, description="ZADD/ZRANK/ZREVRANGE/ZINCRBY + leaderboard"),
        SuiteDef("streams", suite_streams, description="XADD/XRANGE/XGROUP/XREADGROUP/XACK"),
        SuiteDef("pubsub", suite_pubsub, description="PUBLISH/SUBSCRIBE/PSUBSCRIBE delivery"),
        SuiteDef("cache_aside", suite_cache_aside, description="cache-aside vs SQLite, hit ratio, latency"),
        SuiteDef("write_through", suite_write_through, description="write-through and invalidation vs SQLite"),
        SuiteDef("rate_limit_sliding", suite_rate_limit_sliding, description="atomic sliding-window limiter (Lua)"),
        SuiteDef("token_bucket", suite_token_bucket, description="token bucket (Lua EVAL)"),
        SuiteDef("stampede_lock", suite_stampede_lock, description="SET NX EX lock, owner-safe release"),
        SuiteDef("expiry", suite_expiry, description="SETEX/TTL/PERSIST, expired key gone"),
        SuiteDef("cluster_spread", suite_cluster_spread, cluster_only=True, description="keys on every shard"),
        SuiteDef("replicas", suite_replicas, description="write on primary, read from replica/reader; lag"),
    )
}

MEMCACHED_SUITES: dict[str, SuiteDef] = {
    s.name: s
    for s in (
        SuiteDef("server", suite_memcached_server, mutating=False, description="version, stats, missing-key get"),
        SuiteDef("memcached", suite_memcached, description="set/get/add/replace/incr/cas/delete/expiry"),
    )
}

ALL_SUITE_NAMES = tuple(dict.fromkeys([*REDIS_SUITES, *MEMCACHED_SUITES]))
