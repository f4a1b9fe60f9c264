"""The connection layer against real servers: IAM tokens really sent by AUTH (and re-sent on reconnect), the
smoke command's ``--iam``, the strings suite's commands on the wire (``INFO commandstats``), Memcached auto
discovery answered by a ``config get cluster`` responder in front of real memcached nodes."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import boto3
import pytest
from live_helpers import run_cli

from elasticache_connect import ElastiCacheIAMProvider, Target, client_for, connect
from elasticache_smoke import testing as servers

FROZEN = dt.datetime(2026, 1, 2, 3, 4, 5)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x" * 40,
                        "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def iam_server() -> Iterator[servers.RedisServer]:
    server = servers.start_redis(name="iam")
    yield server
    server.stop()


def test_the_iam_token_is_what_auth_sends_and_reconnects_ask_again(
    iam_server: servers.RedisServer, aws_env: None
) -> None:
    session = boto3.Session()
    with mock.patch("botocore.auth.get_current_datetime", return_value=FROZEN):
        provider = ElastiCacheIAMProvider("iamuser", "my-group", "eu-west-1", session=session, refresh_margin=0)
        token = provider.sign()
        admin = iam_server.client()
        # The server accepts exactly this token as the user's password: only the signed token logs in.
        admin.acl_setuser("iamuser", enabled=True, passwords=[f"+{token}"], keys=["*"], commands=["+@all"])
        calls: list[int] = []
        original = provider.get_credentials

        def counting() -> tuple[str, str]:
            calls.append(1)
            return original()

        provider.get_credentials = counting  # type: ignore[method-assign]
        target = Target("redis", iam_server.host, iam_server.port, username="iamuser",
                        credential_provider=provider)
        client = client_for(target)
        assert client.acl_whoami() == "iamuser"
        client.connection_pool.disconnect()
        assert client.acl_whoami() == "iamuser"
        assert len(calls) == 2
        client.close()
    admin.acl_deluser("iamuser")
    admin.close()


def test_smoke_iam_user_from_an_outputs_file(iam_server: servers.RedisServer, aws_env: None, tmp_path: Path) -> None:
    admin = iam_server.client()
    admin.acl_setuser("iamsmoke", enabled=True, nopass=True, keys=["*"], commands=["+@all"])
    outputs = tmp_path / "out.json"
    outputs.write_text(json.dumps({"S": {
        "CEngine": "redis", "CResourceType": "ReplicationGroup", "CResourceId": "grp", "CEndpointAddress": "127.0.0.1",
        "CEndpointPort": str(iam_server.port), "CTls": "false", "CClusterMode": "false", "CAuthSecretArn": "none"}}))
    report = tmp_path / "r.json"
    result = run_cli("--outputs", str(outputs), "--iam", "iamsmoke", "--region", "eu-west-1", "--suite", "strings",
                     "--json", str(report))
    assert result.code == 0, result.text
    data = json.loads(report.read_text())
    assert data["target"]["iam"] is True and data["target"]["username"] == "iamsmoke"
    assert "X-Amz-Signature" not in result.text
    admin.acl_deluser("iamsmoke")
    admin.close()


def test_strings_suite_sends_every_command_of_the_guide(standalone: servers.RedisServer) -> None:
    admin = standalone.client(decode_responses=True)

    def calls() -> dict[str, int]:
        stats = admin.info("commandstats")
        return {name: int(stats.get(f"cmdstat_{name}", {}).get("calls", 0))
                for name in ("set", "get", "incr", "incrby", "setex", "ttl")}

    before = calls()
    result = run_cli("--url", f"redis://127.0.0.1:{standalone.port}", "--suite", "strings")
    assert result.code == 0, result.text
    after = calls()
    for name in ("set", "get", "incr", "incrby", "setex", "ttl"):
        assert after[name] > before[name], name
    admin.close()


class ConfigEndpoint:
    """A configuration endpoint speaking ElastiCache's ``config get cluster`` reply (format from the docs),
    listing real memcached nodes; plain memcached has no such command."""

    def __init__(self, nodes: list[int]) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        body = "12\n" + " ".join(f"127.0.0.1|127.0.0.1|{p}" for p in nodes) + "\n\r\n"
        self.reply = f"CONFIG cluster 0 {len(body)}\r\n{body}END\r\n".encode()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                if conn.recv(100).startswith(b"config get cluster"):
                    conn.sendall(self.reply)

    def close(self) -> None:
        self.sock.close()


def test_memcached_auto_discovery_finds_every_node(memcached: servers.ManagedProcess) -> None:
    second = servers.start_memcached()
    endpoint = ConfigEndpoint([memcached.port, second.port])
    try:
        client = connect(url=f"memcached://127.0.0.1:{endpoint.port}")
        assert sorted(s.server[1] for s in client.clients.values()) == sorted([memcached.port, second.port])
        for i in range(20):
            client.set(f"ad:{i}", b"x")
        per_node = [servers_count(p) for p in (memcached.port, second.port)]
        assert all(n > 0 for n in per_node)  # keys spread over both discovered nodes
        for i in range(20):
            client.delete(f"ad:{i}")
        client.close()
    finally:
        endpoint.close()
        second.stop()


def servers_count(port: int) -> int:
    from pymemcache.client.base import Client

    c = Client(("127.0.0.1", port))
    try:
        return int(c.stats()[b"curr_items"])
    finally:
        c.close()
