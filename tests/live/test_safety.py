"""Safety on shared endpoints: nothing outside the run namespace changes, nothing is left behind,
no FLUSH*/KEYS/CONFIG/SCAN, and cleanup also happens after failures, Ctrl-C and SIGTERM."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import redis
from live_helpers import own_keys, run_cli
from redis.cluster import RedisCluster

from elasticache_smoke import REDIS_SUITES, run_smoke, suites, target_from_url
from elasticache_smoke import testing as servers
from elasticache_smoke.context import SuiteContext
from elasticache_smoke.runner import ProgressEvent
from elasticache_smoke.suites import SuiteDef

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"flushall", "flushdb", "keys", "config", "scan", "randomkey", "swapdb", "move", "rename"}

# Pre-existing data, deliberately named like the guide's keys and like another smoke run's namespace.
SEED: dict[str, tuple[str, Any, int | None]] = {
    "user:1000:name": ("string", "Zed", None),
    "page_views": ("string", "41", 7200),
    "notifications": ("list", ["a", "b"], None),
    "user:1000": ("hash", {"name": "Zed", "age": "99"}, None),
    "tags:post:100": ("set", ["x", "y"], 3000),
    "leaderboard": ("zset", {"Alice": 1, "Mallory": 2}, None),
    "events": ("stream", {"user": "Zed"}, None),
    "rate_limit:user:1000": ("zset", {"1": 1}, 600),
    "lock:user:1000": ("string", "someone-else", 500),
    "{smoke:0000deadbeef}:strings:page_views": ("string", "5", None),
    "smoke:0000deadbeef:memcached:x": ("string", "y", None),
}


def _seed(client: Any) -> None:
    for key, (kind, value, ttl) in SEED.items():
        if kind == "string":
            client.set(key, value)
        elif kind == "list":
            client.rpush(key, *value)
        elif kind == "hash":
            client.hset(key, mapping=value)
        elif kind == "set":
            client.sadd(key, *value)
        elif kind == "zset":
            client.zadd(key, value)
        else:
            client.xadd(key, value, id="1-1")
        if ttl:
            client.expire(key, ttl)


def _snapshot(client: Any) -> dict[str, tuple[bytes, int]]:
    return {key: (client.dump(key), client.pttl(key)) for key in SEED}


def _assert_unchanged(before: dict[str, tuple[bytes, int]], after: dict[str, tuple[bytes, int]]) -> None:
    for key, (dump, pttl) in before.items():
        assert after[key][0] == dump, f"{key} changed"
        if pttl == -1:
            assert after[key][1] == -1, f"{key} gained a TTL"
        else:
            assert 0 < after[key][1] <= pttl, f"{key} TTL changed: {pttl} -> {after[key][1]}"


def _commandstats(client: redis.Redis) -> dict[str, int]:
    return {name.removeprefix("cmdstat_"): int(stats["calls"]) for name, stats in client.info("commandstats").items()}


def test_standalone_run_preserves_existing_keys_and_leaves_nothing(standalone: servers.RedisServer) -> None:
    admin = standalone.client()
    _seed(admin)
    try:
        before, size_before = _snapshot(admin), admin.dbsize()
        stats_before = _commandstats(admin)
        result = run_cli("--url", standalone.url)
        assert result.code == 0, result.text
        stats_after = _commandstats(admin)
        _assert_unchanged(before, _snapshot(admin))
        assert admin.dbsize() == size_before == len(SEED)
        ran = {name.split("|")[0] for name, calls in stats_after.items() if calls > stats_before.get(name, 0)}
        assert not ran & FORBIDDEN, ran & FORBIDDEN
        assert {"set", "del", "eval", "publish"} <= ran
        remaining = {k.decode() for k in own_keys(admin)}
        assert remaining == {"{smoke:0000deadbeef}:strings:page_views", "smoke:0000deadbeef:memcached:x"}
    finally:
        admin.delete(*SEED)


def test_cluster_run_preserves_existing_keys_and_leaves_nothing(cluster: servers.RedisClusterServers) -> None:
    admin = RedisCluster(host=cluster.seed.host, port=cluster.seed.port)
    _seed(admin)
    try:
        before = _snapshot(admin)
        sizes_before = [node.client().dbsize() for node in cluster.primaries]
        assert sum(sizes_before) == len(SEED) and sum(1 for s in sizes_before if s) >= 2
        result = run_cli("--url", cluster.url)
        assert result.code == 0, result.text
        _assert_unchanged(before, _snapshot(admin))
        assert [node.client().dbsize() for node in cluster.primaries] == sizes_before
    finally:
        for key in SEED:
            admin.delete(key)
        admin.close()


def test_failed_check_exits_1_and_still_cleans_up(
    standalone: servers.RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The leaderboard check compares with the guide's text: a different expectation must fail it."""
    monkeypatch.setattr(suites, "GUIDE_LEADERBOARD_OUTPUT", ["Top 3:", "#1: Alice - 1000"])
    result = run_cli("--url", standalone.url, "--suite", "strings,sorted_sets,lists")
    assert result.code == 1, result.text
    assert "sorted_sets / Leaderboard Example prints the guide's output: expected ['Top 3:', '#1: Alice - 1000']" in (
        result.out
    )
    assert standalone.client().dbsize() == 0


def test_suite_crash_is_reported_and_its_keys_deleted(
    standalone: servers.RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(ctx: SuiteContext) -> None:
        ctx.r.set(ctx.key("half-done"), "1")
        raise RuntimeError("boom after a write")

    monkeypatch.setitem(REDIS_SUITES, "lists", SuiteDef("lists", explode))
    report = run_smoke(target_from_url(standalone.url), ["lists", "hashes"])
    assert report.exit_code == 1
    assert report.suite("lists").error == "RuntimeError: boom after a write"
    assert report.suite("hashes").status == "pass"
    assert report.cleanup_deleted == 2  # half-done + user:1000
    assert standalone.client().dbsize() == 0


def test_keyboard_interrupt_mid_run_cleans_up(standalone: servers.RedisServer) -> None:
    def interrupt(event: ProgressEvent) -> None:
        if event.kind == "check" and event.suite == "sorted_sets":
            raise KeyboardInterrupt

    report = run_smoke(target_from_url(standalone.url), progress=interrupt)
    assert report.interrupted and report.exit_code == 130
    assert [s.name for s in report.suites][-1] == "sorted_sets"
    assert report.suite("sorted_sets").error == "interrupted"
    assert report.cleanup_deleted >= 8  # strings, lists, hashes, sets and the first zset
    assert standalone.client().dbsize() == 0


SIGNAL_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {scripts!r})
    from elasticache_smoke import run_smoke, target_from_url

    def progress(event):
        if event.kind == "start" and event.suite == "hashes":
            os.kill(os.getpid(), signal.{signal})

    report = run_smoke(target_from_url({url!r}), progress=progress)
    print("deleted", report.cleanup_deleted, "suites", ",".join(s.name for s in report.suites))
    sys.exit(report.exit_code)
    """
)


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_real_signal_mid_run_cleans_up(standalone: servers.RedisServer, signal_name: str) -> None:
    script = SIGNAL_SCRIPT.format(scripts=str(ROOT / "scripts"), signal=signal_name, url=standalone.url)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 130, proc.stdout + proc.stderr
    assert "suites server,strings,lists,hashes" in proc.stdout
    deleted = int(proc.stdout.split()[1])
    assert deleted == 4  # strings: 3 keys, lists: 1 key; the signal lands before hashes writes anything
    assert standalone.client().dbsize() == 0


def test_launcher_script_end_to_end(standalone: servers.RedisServer, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": ""}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "smoke.py"), "--url", standalone.url, "--suite", "sorted_sets"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "    #1: Charlie - 1050\n    #2: Alice - 1000\n    #3: Diana - 980" in proc.stdout
