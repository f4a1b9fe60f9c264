#!/usr/bin/env python3
"""Benchmark: the full smoke run against a local 3-shard cluster, beside ``redis-benchmark -c 1``.

Starts a 3 x (primary + replica) Redis Cluster on loopback (same helper as the live tests), runs every
suite once through :func:`elasticache_smoke.run_smoke`, prints the wall time and the p50 of each
operation, then runs ``redis-benchmark -c 1 -n 2000 -q --cluster`` from one node of the same cluster in
the same run (``--cluster`` so its fixed keys are not answered with MOVED) and prints its figures beside
ours. Finally it races the guide's three-round-trip sliding-window limiter against the atomic Lua one.

Usage: ``.venv/bin/python benchmarks/smoke_bench.py [--requests 2000]``. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from elasticache_smoke import run_smoke, target_from_url
from elasticache_smoke.patterns import SlidingWindowLimiter
from elasticache_smoke.report import percentile
from elasticache_smoke.testing import start_cluster

BENCH_TESTS = "ping_inline,set,get,incr,lpush,rpush,lpop,sadd,hset,zadd"  # redis-benchmark 7.0 has no xadd
LINE = re.compile(r"^([\w\s()]+?): ([\d.]+) requests per second, p50=([\d.]+) msec")


def redis_benchmark(port: int, requests: int) -> dict[str, tuple[float, float]]:
    """``{TEST: (requests/s, p50 ms)}`` from ``redis-benchmark -c 1 -q --cluster``."""
    exe = shutil.which("redis-benchmark")
    if exe is None:
        print("redis-benchmark not found; skipping the comparison")
        return {}
    argv = [
        exe,
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-c",
        "1",
        "-n",
        str(requests),
        "-q",
        "-t",
        BENCH_TESTS,
        "--cluster",
    ]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    results: dict[str, tuple[float, float]] = {}
    for chunk in re.split(r"[\r\n]+", proc.stdout):
        match = LINE.match(chunk.strip())
        if match:
            name = match.group(1).split()[0].upper()
            results[name] = (float(match.group(2)), float(match.group(3)))
    if proc.returncode != 0:
        print(f"redis-benchmark exited {proc.returncode}: {proc.stderr.strip()[:300]}")
    print(f"$ {' '.join(argv[1:])}")
    return results


def guide_rate_limit(client: Any, key: str, max_requests: int, window: int = 60) -> bool:
    """The guide's Rate Limiting Example, verbatim logic (three round trips, not atomic)."""
    now = time.time()
    client.zremrangebyscore(key, 0, now - window)
    if client.zcard(key) < max_requests:
        client.zadd(key, {f"{now}:{uuid.uuid4().hex}": now})
        client.expire(key, window)
        return True
    return False


def race(client: Any, limit: int = 97, threads: int = 12, attempts: int = 25) -> tuple[int, int]:
    """Allowed counts (guide version, atomic version) when ``threads`` clients hammer one key."""

    def hammer(allow: Any) -> int:
        total, lock, barrier = [0], threading.Lock(), threading.Barrier(threads)

        def work() -> None:
            barrier.wait()
            mine = sum(1 for _ in range(attempts) if allow())
            with lock:
                total[0] += mine

        pool = [threading.Thread(target=work) for _ in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        return total[0]

    tag = uuid.uuid4().hex[:8]
    guide_key, atomic_key = f"{{bench:{tag}}}:guide", f"{{bench:{tag}}}:atomic"
    try:
        guide = hammer(lambda: guide_rate_limit(client, guide_key, limit))
        atomic = hammer(SlidingWindowLimiter(client, atomic_key, limit, 60_000).allow)
    finally:
        client.delete(guide_key)
        client.delete(atomic_key)
    return guide, atomic


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=2000, help="redis-benchmark -n (default 2000)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    cluster = start_cluster(shards=3, replicas=1)
    print(f"cluster up in {time.perf_counter() - started:.2f}s: 3 shards x (1 primary + 1 replica)")
    try:
        target = target_from_url(cluster.url)
        report = run_smoke(target)
        print(
            f"\nsmoke run: {'PASSED' if report.ok else 'FAILED'} exit {report.exit_code}, "
            f"wall time {report.wall_time:.3f}s"
        )
        print(f"{'suite':<20} {'checks':>6} {'seconds':>8} {'p50 ms':>8} {'p99 ms':>8}")
        for suite in report.suites:
            p50, p99 = percentile(suite.latencies, 50), percentile(suite.latencies, 99)
            print(
                f"{suite.name:<20} {len(suite.checks):>6} {suite.duration:>8.3f} "
                f"{(p50 or 0) * 1000:>8.3f} {(p99 or 0) * 1000:>8.3f}"
            )
        bench = redis_benchmark(cluster.seed.port, args.requests)
        print(
            f"\n{'operation':<18} {'smoke n':>7} {'smoke p50 ms':>12} {'redis-benchmark p50 ms':>22} {'rb req/s':>10}"
        )
        names = sorted(set(report.operations) | set(bench))
        for name in names:
            samples = report.operations.get(name, [])
            p50 = percentile(samples, 50)
            rb = bench.get(name)
            print(
                f"{name:<18} {len(samples):>7} {'-' if p50 is None else f'{p50 * 1000:.3f}':>12} "
                f"{'-' if rb is None else f'{rb[1]:.3f}':>22} {'-' if rb is None else f'{rb[0]:.0f}':>10}"
            )
        from redis.cluster import RedisCluster

        client = RedisCluster(host=cluster.seed.host, port=cluster.seed.port)
        try:
            guide, atomic = race(client)
        finally:
            client.close()
        print(
            "\nrate limiter race, limit 97, 12 threads x 25 requests: "
            f"guide version allowed {guide}, atomic Lua allowed {atomic}"
        )
        print(f"\ntotal benchmark time {time.perf_counter() - started:.2f}s")
        return 0 if report.ok else 1
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
