"""Helpers shared by the live smoke tests (imported as ``live_helpers``)."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from typing import Any

import redis

from elasticache_smoke.cli import main

TLS_TOKEN = "tls-auth-token-0123456789"
ACL_ADMIN_PASSWORD = "admin-password-42"
ACL_USER = "appuser"
ACL_USER_PASSWORD = "app-user-password-7"
# keys and channels under app:*, every command except @dangerous (INFO, KEYS, FLUSH*, CONFIG...) and @scripting
ACL_RULE = f"{ACL_USER} on >{ACL_USER_PASSWORD} ~app:* &app:* +@all -@dangerous -@scripting"


@dataclass
class CliResult:
    """What ``main(argv)`` returned and printed."""

    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        """stdout and stderr together."""
        return self.out + "\n" + self.err


def run_cli(*argv: str) -> CliResult:
    """Run the smoke CLI in-process and capture its output."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return CliResult(code, out.getvalue(), err.getvalue())


def own_keys(client: redis.Redis, pattern: str = "*smoke:*") -> list[bytes]:
    """Keys that look like smoke-run keys (SCAN in the test, never in the tool)."""
    return list(client.scan_iter(match=pattern, count=1000))


def hammer_limiter(
    kind: str, url: str, key: str, limit: int, threads: int, attempts: int, barrier: Any, out: Any
) -> None:
    """Process entry point: ``threads`` threads call the limiter ``attempts`` times each; put allowed count."""
    import threading

    from elasticache_connect import target_from_url
    from elasticache_connect.probe import connect_redis
    from elasticache_smoke.patterns import SlidingWindowLimiter, TokenBucket

    connection = connect_redis(target_from_url(url))
    client = connection.client
    limiter: Any
    if kind == "sliding":
        limiter = SlidingWindowLimiter(client, key, limit=limit, window_ms=600_000)
    else:
        limiter = TokenBucket(client, key, capacity=limit, refill_per_second=1e-6)
    counts: list[int] = []
    start = threading.Barrier(threads)

    def work() -> None:
        start.wait()
        counts.append(sum(1 for _ in range(attempts) if limiter.allow()))

    pool = [threading.Thread(target=work) for _ in range(threads)]
    barrier.wait(timeout=60)
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    connection.close()
    out.put(sum(counts))
