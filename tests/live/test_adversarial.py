"""Targets that must fail, each with the right exit code and a message naming the failed stage."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from live_helpers import TLS_TOKEN, own_keys, run_cli

from elasticache_smoke import testing as servers

Servers = dict[str, object]


@pytest.fixture
def env(
    standalone: servers.RedisServer,
    tls_server: servers.RedisServer,
    tls_files: servers.TlsFiles,
    other_ca: servers.TlsFiles,
    memcached: servers.ManagedProcess,
) -> Servers:
    """The servers the table below refers to."""
    return {"plain": standalone, "tls": tls_server, "ca": tls_files, "other_ca": other_ca, "mc": memcached}


def _tls(env: Servers) -> servers.RedisServer:
    server = env["tls"]
    assert isinstance(server, servers.RedisServer)
    return server


def _plain(env: Servers) -> servers.RedisServer:
    server = env["plain"]
    assert isinstance(server, servers.RedisServer)
    return server


def _ca(env: Servers, key: str = "ca") -> str:
    files = env[key]
    assert isinstance(files, servers.TlsFiles)
    return str(files.ca_cert)


def _mc(env: Servers) -> int:
    server = env["mc"]
    assert isinstance(server, servers.ManagedProcess)
    return server.port


CASES: list[tuple[str, Callable[[Servers], list[str]], str, list[str]]] = [
    (
        "wrong password",
        lambda e: ["--url", f"rediss://:wrong-token@127.0.0.1:{_tls(e).port}", "--ca-file", _ca(e)],
        "AUTH",
        ["wrong password or username for the default user", "WRONGPASS"],
    ),
    (
        "no password for an AUTH server",
        lambda e: ["--url", f"rediss://127.0.0.1:{_tls(e).port}", "--ca-file", _ca(e)],
        "AUTH",
        ["requires authentication but no password/token was given", "NOAUTH"],
    ),
    (
        "plain text to a TLS-only server",
        lambda e: ["--url", f"redis://:{TLS_TOKEN}@127.0.0.1:{_tls(e).port}"],
        "TLS",
        ["requires TLS but the client connected in plain text", "use a rediss:// URL"],
    ),
    (
        "TLS to a plain server",
        lambda e: ["--url", f"rediss://127.0.0.1:{_plain(e).port}", "--ca-file", _ca(e), "--timeout", "1"],
        "TLS",
        ["the server answered in plain text, so it does not use TLS"],
    ),
    (
        "TLS without the CA",
        lambda e: ["--url", f"rediss://:{TLS_TOKEN}@127.0.0.1:{_tls(e).port}"],
        "TLS",
        ["certificate verification failed", "pass --ca-file"],
    ),
    (
        "TLS with an unrelated CA",
        lambda e: ["--url", f"rediss://:{TLS_TOKEN}@127.0.0.1:{_tls(e).port}", "--ca-file", _ca(e, "other_ca")],
        "TLS",
        ["certificate verification failed", "is not signed by"],
    ),
    (
        "nothing listening",
        lambda e: ["--url", f"redis://127.0.0.1:{servers.free_port()}"],
        "TCP",
        ["cannot connect to 127.0.0.1:", "Connection refused"],
    ),
    (
        "unresolvable host",
        lambda e: ["--url", "redis://smoke-target.invalid:6379"],
        "DNS",
        ["cannot resolve host 'smoke-target.invalid'"],
    ),
    (
        "cluster forced on a standalone server",
        lambda e: ["--url", f"redis://127.0.0.1:{_plain(e).port}", "--cluster"],
        "cluster discovery",
        ["cannot build the cluster slot map", "Cluster mode is not enabled"],
    ),
    (
        "memcached URL at a Redis server",
        lambda e: ["--url", f"memcached://127.0.0.1:{_plain(e).port}", "--timeout", "1"],
        "protocol",
        ["did not answer the memcached 'version' command"],
    ),
    (
        "redis URL at memcached",
        lambda e: ["--url", f"redis://127.0.0.1:{_mc(e)}"],
        "protocol",
        ["does not speak the Redis protocol", "memcached://"],
    ),
]


@pytest.mark.parametrize(("case", "argv", "stage", "fragments"), CASES, ids=[c[0] for c in CASES])
def test_connection_failures_exit_2_naming_the_stage(
    env: Servers,
    tmp_path: Path,
    case: str,
    argv: Callable[[Servers], list[str]],
    stage: str,
    fragments: list[str],
) -> None:
    report_file = tmp_path / "report.json"
    result = run_cli(*argv(env), "--json", str(report_file))
    assert result.code == 2, result.text
    assert f"error: connection failed at stage {stage}: " in result.err
    for fragment in fragments:
        assert fragment in result.err
    data = json.loads(report_file.read_text())
    assert data["connect_stage"] == stage
    assert data["exit_code"] == 2 and data["suites"] == []
    assert TLS_TOKEN not in report_file.read_text()


def test_password_given_to_a_server_without_auth_is_noted(standalone: servers.RedisServer) -> None:
    result = run_cli("--url", f"redis://:unused@127.0.0.1:{standalone.port}", "--suite", "server")
    assert result.code == 0, result.text
    assert "a password was given but the server also accepts unauthenticated connections" in result.out


def test_tiny_maxmemory_noeviction_exits_1_naming_oom(oom_server: servers.RedisServer, tmp_path: Path) -> None:
    report_file = tmp_path / "oom.json"
    result = run_cli("--url", oom_server.url, "--json", str(report_file))
    assert result.code == 1, result.text
    assert "strings: ERROR OOM command not allowed when used memory > 'maxmemory'" in result.out
    assert "hint: the server refused writes with OOM: used memory is above 'maxmemory'" in result.out
    data = json.loads(report_file.read_text())
    statuses = {s["name"]: s["status"] for s in data["suites"]}
    assert statuses["server"] == "pass"  # reads still work
    assert statuses["strings"] == statuses["hashes"] == statuses["cache_aside"] == "error"
    assert data["cleanup"]["errors"] == []
    assert oom_server.client().dbsize() == 0
    assert own_keys(oom_server.client()) == []
