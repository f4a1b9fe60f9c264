"""The guide's application patterns, made safe for concurrent clients.

* :class:`SlidingWindowLimiter` — the guide's sorted-set sliding window, but as one Lua script: the guide's
  ``ZREMRANGEBYSCORE``/``ZCARD``/``ZADD`` sequence is three round trips, so two clients can both see
  ``count < limit`` and both add (over-admission). The script also takes time from the server (``TIME``),
  so clients with skewed clocks agree.
* :class:`TokenBucket` — a real token bucket (capacity + refill rate) in Lua via ``EVAL``.
* :class:`StampedeLock` — ``SET key owner NX EX ttl`` with an owner-safe release (Lua compare-and-delete),
  unlike the guide's plain ``DELETE`` which can free a lock that has expired and been taken by someone else.
* :class:`UserDB` — the backing database of the cache-aside / write-through patterns (SQLite).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

SLIDING_WINDOW_LUA = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window_ms = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now - window_ms * 1000))
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], string.format('%d', now), t[1] .. '.' .. t[2] .. '-' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window_ms)
  return 1
end
return 0
"""

TOKEN_BUCKET_LUA = """
if redis.replicate_commands then redis.replicate_commands() end
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local requested = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
local elapsed = now - ts
if elapsed < 0 then elapsed = 0 end
tokens = math.min(capacity, tokens + elapsed * rate)
local allowed = 0
if tokens >= requested then
  tokens = tokens - requested
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'ts', string.format('%.6f', now))
local ttl = math.min(86400000, math.ceil((capacity / rate) * 1000) + 1000)
redis.call('PEXPIRE', KEYS[1], string.format('%d', ttl))
return {allowed, string.format('%.6f', tokens)}
"""

RELEASE_LOCK_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class SlidingWindowLimiter:
    """Allow at most ``limit`` requests per ``window_ms`` for ``key`` (atomic, server clock)."""

    def __init__(self, client: Any, key: str, limit: int, window_ms: int) -> None:
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        if window_ms < 1:
            raise ValueError(f"window_ms must be >= 1, got {window_ms}")
        self.client, self.key, self.limit, self.window_ms = client, key, limit, window_ms

    def allow(self) -> bool:
        """Record one request; True when it is within the limit."""
        member = uuid.uuid4().hex
        return int(self.client.eval(SLIDING_WINDOW_LUA, 1, self.key, self.window_ms, self.limit, member)) == 1


class TokenBucket:
    """A bucket of ``capacity`` tokens refilled at ``refill_per_second``; each request takes one."""

    def __init__(self, client: Any, key: str, capacity: int, refill_per_second: float) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        if refill_per_second <= 0:
            raise ValueError(f"refill_per_second must be > 0, got {refill_per_second}")
        self.client, self.key, self.capacity, self.rate = client, key, capacity, refill_per_second

    def take(self, tokens: int = 1) -> tuple[bool, float]:
        """Try to take ``tokens``; returns (allowed, tokens left)."""
        allowed, left = self.client.eval(TOKEN_BUCKET_LUA, 1, self.key, self.capacity, repr(self.rate), tokens)
        return int(allowed) == 1, float(left)

    def allow(self) -> bool:
        """Take one token; True when one was available."""
        return self.take()[0]


class StampedeLock:
    """``SET lock owner NX EX ttl``; release deletes only if we still own it (Lua compare-and-delete)."""

    def __init__(self, client: Any, key: str, ttl_seconds: int = 10, owner: str | None = None) -> None:
        self.client, self.key, self.ttl = client, key, ttl_seconds
        self.owner = owner or uuid.uuid4().hex

    def acquire(self) -> bool:
        """True when this owner now holds the lock."""
        return bool(self.client.set(self.key, self.owner, nx=True, ex=self.ttl))

    def release(self) -> bool:
        """True when the lock was ours and is now deleted; False if it expired or someone else holds it."""
        return int(self.client.eval(RELEASE_LOCK_LUA, 1, self.key, self.owner)) == 1


def get_with_lock(
    client: Any,
    cache_key: str,
    lock_key: str,
    loader: Callable[[], str],
    *,
    ttl: int = 3600,
    lock_ttl: int = 10,
    wait_timeout: float = 5.0,
    poll: float = 0.01,
) -> tuple[str, str]:
    """The guide's stampede protection: only the lock holder rebuilds; others wait for the cache.

    Returns ``(value, how)`` where ``how`` is ``hit``, ``rebuilt`` or ``waited``.
    """
    cached = client.get(cache_key)
    if cached is not None:
        return cached, "hit"
    lock = StampedeLock(client, lock_key, lock_ttl)
    deadline = time.monotonic() + wait_timeout
    while True:
        if lock.acquire():
            try:
                cached = client.get(cache_key)  # filled while we were acquiring?
                if cached is not None:
                    return cached, "waited"
                value = loader()
                client.set(cache_key, value, ex=ttl)
                return value, "rebuilt"
            finally:
                lock.release()
        time.sleep(poll)
        cached = client.get(cache_key)
        if cached is not None:
            return cached, "waited"
        if time.monotonic() > deadline:
            raise TimeoutError(f"lock {lock_key} still held after {wait_timeout}s and {cache_key} not filled")


class UserDB:
    """A real SQLite ``users`` table (id, name, email) that counts and times its queries."""

    def __init__(self, path: str | Path, rows: int = 20, query_delay: float = 0.0) -> None:
        self.path = Path(path)
        self.query_delay = query_delay
        self.queries = 0
        self.query_times: list[float] = []
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False)
        self._conn.execute("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT, email TEXT)")
        self._conn.executemany(
            "INSERT OR REPLACE INTO users (id, name, email) VALUES (?, ?, ?)",
            [(i, f"User {i}", f"user{i}@example.com") for i in range(1, rows + 1)],
        )
        self._conn.commit()

    def get_user(self, user_id: int) -> dict[str, Any] | None:
        """``SELECT id, name, email FROM users WHERE id = ?`` (counted and timed)."""
        with self._lock:
            start = time.perf_counter()
            if self.query_delay:
                time.sleep(self.query_delay)
            row = self._conn.execute("SELECT id, name, email FROM users WHERE id = ?", (user_id,)).fetchone()
            self.query_times.append(time.perf_counter() - start)
            self.queries += 1
        if row is None:
            return None
        return {"id": row[0], "name": row[1], "email": row[2]}

    def update_name(self, user_id: int, name: str) -> None:
        """``UPDATE users SET name = ? WHERE id = ?``."""
        with self._lock:
            self._conn.execute("UPDATE users SET name = ? WHERE id = ?", (name, user_id))
            self._conn.commit()

    def close(self) -> None:
        """Close the SQLite connection."""
        self._conn.close()


def cache_aside_get(client: Any, db: UserDB, key: str, user_id: int, ttl: int = 3600) -> tuple[Any, bool]:
    """The guide's ``get_user``: returns (user, was_hit)."""
    cached = client.get(key)
    if cached:
        return json.loads(cached), True
    user = db.get_user(user_id)
    if not user:
        return None, False
    client.set(key, json.dumps(user), ex=ttl)  # SETEX
    return user, False


def write_through_update(client: Any, db: UserDB, key: str, user_id: int, data: dict[str, Any]) -> None:
    """The guide's write-through ``update_user``: DB first, then the cache."""
    db.update_name(user_id, data["name"])
    client.set(key, json.dumps(data), ex=3600)  # SETEX
