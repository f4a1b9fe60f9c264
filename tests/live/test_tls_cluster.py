"""TLS + AUTH in cluster mode (ElastiCache's usual production shape) and TLS Memcached."""

from __future__ import annotations

import json
from pathlib import Path

from live_helpers import TLS_TOKEN, run_cli

from elasticache_smoke import REDIS_SUITES
from elasticache_smoke import testing as servers


def test_tls_auth_cluster_full_run(
    tls_cluster: servers.RedisClusterServers, tls_files: servers.TlsFiles, tmp_path: Path
) -> None:
    outputs = {
        "Games": {
            "LeaderboardEngine": "valkey",
            "LeaderboardResourceType": "ReplicationGroup",
            "LeaderboardResourceId": "local",
            "LeaderboardEndpointAddress": "127.0.0.1",
            "LeaderboardEndpointPort": str(tls_cluster.seed.port),
            "LeaderboardTls": "true",
            "LeaderboardClusterMode": "true",
            "LeaderboardAuthSecretArn": "none",
            "LeaderboardAuthToken": TLS_TOKEN,
            "LeaderboardCaFile": str(tls_files.ca_cert),
        }
    }
    outputs_file = tmp_path / "local-outputs.json"
    outputs_file.write_text(json.dumps(outputs))
    report_file = tmp_path / "report.json"
    result = run_cli("--outputs", str(outputs_file), "--json", str(report_file))
    assert result.code == 0, result.text
    data = json.loads(report_file.read_text())
    assert data["cluster"] is True and data["target"]["tls"] is True
    assert [s["name"] for s in data["suites"]] == list(REDIS_SUITES)
    assert TLS_TOKEN not in result.text + report_file.read_text()
    assert sum(node.client().dbsize() for node in tls_cluster.primaries) == 0


def test_tls_cluster_wrong_token(tls_cluster: servers.RedisClusterServers, tls_files: servers.TlsFiles) -> None:
    result = run_cli("--url", f"rediss://:nope@127.0.0.1:{tls_cluster.seed.port}", "--ca-file", str(tls_files.ca_cert))
    assert result.code == 2
    assert "error: connection failed at stage AUTH: wrong password" in result.err


def test_tls_memcached(memcached_tls: servers.ManagedProcess, tls_files: servers.TlsFiles) -> None:
    result = run_cli("--url", f"memcacheds://127.0.0.1:{memcached_tls.port}", "--ca-file", str(tls_files.ca_cert))
    assert result.code == 0, result.text
    assert "memcached 127.0.0.1" in result.out and "(TLS," in result.out


def test_plain_client_to_tls_memcached(memcached_tls: servers.ManagedProcess) -> None:
    result = run_cli("--url", f"memcached://127.0.0.1:{memcached_tls.port}", "--timeout", "2")
    assert result.code == 2
    assert "stage TLS" in result.err and "requires TLS; use a memcacheds:// URL" in result.err
