"""The smoke command passes against standalone, TLS + AUTH, 3-shard cluster and Memcached servers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from live_helpers import TLS_TOKEN, own_keys, run_cli

from elasticache_smoke import REDIS_SUITES, run_smoke, target_from_url
from elasticache_smoke import testing as servers

ALL_STANDALONE = [name for name, suite in REDIS_SUITES.items() if not suite.cluster_only]
GUIDE_LEADERBOARD = "    Top 3:\n    #1: Charlie - 1050\n    #2: Alice - 1000\n    #3: Diana - 980\n"


def test_standalone_full_run_passes_and_prints_the_guides_leaderboard(
    standalone: servers.RedisServer, tmp_path: Path
) -> None:
    report_file = tmp_path / "report.json"
    result = run_cli("--url", standalone.url, "--json", str(report_file))
    assert result.code == 0, result.text
    assert GUIDE_LEADERBOARD in result.out
    data = json.loads(report_file.read_text())
    assert data["ok"] is True and data["exit_code"] == 0
    assert [s["name"] for s in data["suites"]] == ALL_STANDALONE
    ran = [s for s in data["suites"] if s["name"] != "replicas"]
    assert all(s["status"] == "pass" and s["failed"] == 0 and s["passed"] > 0 for s in ran)
    assert all(s["p50_ms"] is not None and s["p99_ms"] >= s["p50_ms"] for s in ran)
    replicas = next(s for s in data["suites"] if s["name"] == "replicas")
    assert replicas["status"] == "skipped" and "no replicas" in replicas["skipped"]  # a standalone has none
    assert data["cluster"] is False
    assert data["target"]["password_set"] is False
    assert {"SET", "GET", "EVAL", "PUBLISH"} <= set(data["operations"])
    cache_aside = next(s for s in data["suites"] if s["name"] == "cache_aside")
    assert any(line.startswith("hit ratio 90.0% (180 hits / 200 requests)") for line in cache_aside["output"])
    assert any("guide formula avg = h*cache + (1-h)*db" in line for line in cache_aside["output"])
    assert standalone.client().dbsize() == 0


def test_table_has_one_row_per_suite_with_latencies(standalone: servers.RedisServer) -> None:
    result = run_cli("--url", standalone.url, "--suite", "strings,hashes")
    assert result.code == 0, result.text
    header = next(line for line in result.out.splitlines() if line.startswith("suite"))
    assert header.split() == ["suite", "checks", "passed", "failed", "result", "p50", "ms", "p99", "ms"]
    rows = {
        line.split()[0]: line.split()
        for line in result.out.splitlines()
        if line.split()[:1] in (["strings"], ["hashes"])
    }
    assert rows["strings"][1:5] == ["8", "8", "0", "PASS"]
    assert rows["hashes"][1:5] == ["4", "4", "0", "PASS"]
    assert float(rows["strings"][5]) > 0


def test_tls_auth_server_passes(tls_server: servers.RedisServer, tls_files: servers.TlsFiles) -> None:
    url = f"rediss://127.0.0.1:{tls_server.port}"
    result = run_cli("--url", url, "--password", TLS_TOKEN, "--ca-file", str(tls_files.ca_cert))
    assert result.code == 0, result.text
    assert "(TLS, cluster mode auto, AUTH token)" in result.out
    assert TLS_TOKEN not in result.text
    assert GUIDE_LEADERBOARD in result.out
    assert tls_server.client().dbsize() == 0


def test_tls_password_from_environment(
    tls_server: servers.RedisServer, tls_files: servers.TlsFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_PASSWORD", TLS_TOKEN)
    result = run_cli(
        "--url", f"rediss://127.0.0.1:{tls_server.port}", "--ca-file", str(tls_files.ca_cert), "--suite", "server"
    )
    assert result.code == 0, result.text


def test_cluster_full_run_uses_redis_cluster_and_every_shard(
    cluster: servers.RedisClusterServers, tmp_path: Path
) -> None:
    report_file = tmp_path / "cluster.json"
    result = run_cli("--url", cluster.url, "--json", str(report_file))
    assert result.code == 0, result.text
    data = json.loads(report_file.read_text())
    assert data["cluster"] is True
    assert [s["name"] for s in data["suites"]] == list(REDIS_SUITES)
    server = next(s for s in data["suites"] if s["name"] == "server")
    assert "3 shards, 3 replicas" in server["output"]
    spread = next(s for s in data["suites"] if s["name"] == "cluster_spread")
    assert spread["status"] == "pass"
    every_shard = next(c for c in spread["checks"] if c["name"].startswith("every shard served"))
    assert sorted(every_shard["actual"]) == sorted(f"127.0.0.1:{p.port}" for p in cluster.primaries)
    assert all(count > 0 for count in every_shard["actual"].values())
    assert data["namespace"].startswith("{smoke:") and data["namespace"].endswith("}")
    assert GUIDE_LEADERBOARD in result.out
    assert sum(node.client().dbsize() for node in cluster.primaries) == 0


def test_cluster_forced_off_against_a_cluster_fails_with_moved(cluster: servers.RedisClusterServers) -> None:
    """--no-cluster on a cluster: a plain client gets MOVED for keys of other shards; the run says why."""
    from redis.crc import key_slot

    # a run id whose hash tag lives on another shard than the seed (slots 0-5461), so MOVED is certain
    run_id = next(f"moved{i}" for i in range(1000) if key_slot(f"{{smoke:moved{i}}}".encode()) > 5461)
    target = target_from_url(cluster.url, cluster=False)
    report = run_smoke(target, ["server"], run_id=run_id)
    assert report.exit_code == 1
    assert report.cluster is False
    assert "target says cluster mode disabled but the server reports cluster_enabled:1" in report.notes
    assert (report.suite("server").error or "").startswith("MOVED ")
    assert "MOVED: the endpoint is in cluster mode; let the cluster mode be detected (drop --no-cluster)" in (
        report.hints()
    )


def test_memcached_suite_passes(memcached: servers.ManagedProcess, tmp_path: Path) -> None:
    report_file = tmp_path / "mc.json"
    result = run_cli("--url", f"memcached://127.0.0.1:{memcached.port}", "--json", str(report_file))
    assert result.code == 0, result.text
    data = json.loads(report_file.read_text())
    assert [s["name"] for s in data["suites"]] == ["server", "memcached"]
    assert data["server_version"].startswith("memcached 1.6")
    assert data["cleanup"]["deleted_keys"] > 0


def test_redis_suite_on_memcached_is_skipped(memcached: servers.ManagedProcess) -> None:
    result = run_cli("--url", f"memcached://127.0.0.1:{memcached.port}", "--suite", "strings,memcached")
    assert result.code == 0, result.text
    assert "skipped strings: not applicable to memcached" in result.out
    assert "1 skipped" in result.out


def test_cluster_spread_selected_on_standalone_is_skipped(standalone: servers.RedisServer) -> None:
    report = run_smoke(target_from_url(standalone.url), ["cluster_spread"])
    assert report.exit_code == 0
    assert report.suite("cluster_spread").skipped == "target is not in cluster mode"


def test_python_api_reports_per_suite_results(standalone: servers.RedisServer) -> None:
    events: list[str] = []
    report = run_smoke(target_from_url(standalone.url), "sorted_sets,pubsub", progress=lambda e: events.append(e.kind))
    assert report.ok and report.exit_code == 0
    sorted_sets = report.suite("sorted_sets")
    assert [c.name for c in sorted_sets.checks if not c.passed] == []
    leaderboard = next(c for c in sorted_sets.checks if c.name.startswith("Leaderboard Example"))
    assert leaderboard.actual == ["Top 3:", "#1: Charlie - 1050", "#2: Alice - 1000", "#3: Diana - 980"]
    pubsub = report.suite("pubsub")
    delivered = next(c for c in pubsub.checks if c.name == "pattern subscriber received news:tech")
    assert delivered.actual[0] == "pmessage" and delivered.actual[3] == "New AI model released"
    assert events.count("start") == 2 and events.count("end") == 2 and events.count("check") > 10
    assert own_keys(standalone.client()) == []


def test_read_only_run_sends_no_write_command(standalone: servers.RedisServer) -> None:
    admin = standalone.client(decode_responses=True)
    admin.config_resetstat()
    result = run_cli("--url", standalone.url, "--read-only")
    assert result.code == 0, result.text
    used = {name.removeprefix("cmdstat_").split("|")[0] for name in admin.info("commandstats")}
    writes = set()
    for command in used:
        flags = admin.execute_command("COMMAND", "INFO", command)[command]["flags"]
        if "write" in flags:
            writes.add(command)
    assert writes == set(), f"read-only run sent write commands: {writes}"
    assert {"ping", "get", "exists", "ttl"} <= used
    assert "read-only" in result.out.lower()


def test_read_only_with_a_mutating_suite_is_rejected(standalone: servers.RedisServer) -> None:
    result = run_cli("--url", standalone.url, "--read-only", "--suite", "server,strings")
    assert result.code == 2
    assert "--read-only runs only non-mutating suites; not allowed: strings (allowed: server)" in result.err


def test_progress_goes_to_stderr_when_requested(standalone: servers.RedisServer) -> None:
    result = run_cli("--url", standalone.url, "--suite", "strings,lists", "--progress")
    assert result.code == 0
    assert "[ 1/2] strings ..." in result.err
    assert "[ 2/2] lists PASS (6 checks" in result.err
    assert "[ 1/2]" not in result.out


def test_no_progress_without_tty(standalone: servers.RedisServer) -> None:
    result = run_cli("--url", standalone.url, "--suite", "strings")
    assert result.code == 0
    assert result.err == ""


def test_cluster_client_is_redis_cluster_from_any_node(cluster: servers.RedisClusterServers) -> None:
    from redis.cluster import RedisCluster

    from elasticache_connect.probe import connect_redis

    for seed in (cluster.seed, cluster.replicas[0]):
        connection = connect_redis(target_from_url(seed.url))
        try:
            assert connection.cluster is True
            assert isinstance(connection.client, RedisCluster)
            assert sorted(node.port for node in connection.client.get_primaries()) == sorted(
                p.port for p in cluster.primaries
            )
        finally:
            connection.close()
