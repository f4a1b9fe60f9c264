"""Cluster-mode-disabled group: primary + 2 replicas, Sentinel failover, TLS required, secret AUTH token,
parameter group (volatile-lru). Real redis-server / redis-sentinel processes; one ``up`` for the module."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from elasticache_local import commands
from elasticache_local.failover import drill
from elasticache_smoke.testing import wait_for

from .conftest import TEMPLATES, Running, requires_servers, role_of, running, sentinel_story

pytestmark = [pytest.mark.live, requires_servers]
STACK, PREFIX, GROUP = "Sessions", "Sessions", "SessionsReplicationGroup9C8D7E6F"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running("sentinel", tmp_path_factory.mktemp("sentinel")) as r:
        yield r


def test_topology_primary_two_replicas_three_sentinels(env: Running) -> None:
    nodes = env.procs(GROUP, "redis")
    assert len(nodes) == 3
    assert len(env.procs(GROUP, "sentinel")) == 3
    roles = sorted(role_of(env.admin(p)) for p in nodes)
    assert roles == ["master", "slave", "slave"]
    primary = next(p for p in nodes if role_of(env.admin(p)) == "master")
    info = env.admin(primary).info("replication")
    assert info["connected_slaves"] == 2


def test_endpoints_lead_to_the_primary_and_to_a_replica(env: Running) -> None:
    """The outputs' endpoints are the endpoint proxy's ports (ElastiCache's DNS names follow failovers)."""
    (proxy,) = env.procs(GROUP, "proxy")
    out = env.outputs[STACK]
    assert int(out[f"{PREFIX}EndpointPort"]) == proxy.endpoints["primary"]
    assert int(out[f"{PREFIX}ReaderEndpointPort"]) == proxy.endpoints["reader"]
    primary = env.client(STACK, PREFIX)
    assert primary.info("replication")["role"] == "master"
    # The reader endpoint follows Sentinel's list of replicas whose link is up; Sentinel learns a replica's link
    # state from its INFO asynchronously, so on a loaded machine the first answer may still be the primary.
    def reader_role() -> bool:
        reader = env.client(STACK, PREFIX, port=proxy.endpoints["reader"])
        try:
            return bool(reader.info("replication")["role"] == "slave")
        finally:
            reader.close()

    wait_for(reader_role, timeout=15, what="the reader endpoint to reach a replica")
    node_ports = {p.port for p in env.procs(GROUP, "redis")}
    assert int(primary.config_get("tls-port")["tls-port"]) in node_ports


def test_sentinels_monitor_the_primary_with_quorum_two(env: Running) -> None:
    primary_port = next(p.port for p in env.procs(GROUP, "redis") if role_of(env.admin(p)) == "master")
    for s in env.procs(GROUP, "sentinel"):
        masters = env.admin(s).sentinel_masters()
        assert len(masters) == 1
        (fields,) = masters.values()
        assert int(fields["port"]) == primary_port
        assert int(fields["quorum"]) == 2
        assert int(fields["num-slaves"]) == 2
        assert int(fields["num-other-sentinels"]) == 2


def test_parameter_group_applied(env: Running) -> None:
    for p in env.procs(GROUP, "redis"):
        c = env.admin(p)
        assert c.config_get("maxmemory-policy") == {"maxmemory-policy": "volatile-lru"}
        assert c.config_get("notify-keyspace-events")["notify-keyspace-events"] in ("xE", "Ex")
        # cache.r7g.large = 13.07 GiB -> 13.07 MiB (documented 1 GiB : 1 MiB scale).
        assert int(c.config_get("maxmemory")["maxmemory"]) == round(13.07 * 1024 * 1024)
    plan = env.state.redis[0]
    assert "reserved-memory-percent" in plan.skipped_parameters


def test_tls_only_plain_connection_refused(env: Running) -> None:
    node = env.procs(GROUP, "redis")[0]
    assert node.plain_port is None  # `port 0`: no plain-text listener at all
    c = env.admin(node)
    assert c.config_get("port") == {"port": "0"}
    # Speaking plain RESP to the TLS port gets no answer (the server expects a TLS handshake).
    with socket.create_connection(("127.0.0.1", node.port), timeout=2) as s:
        s.sendall(b"PING\r\n")
        s.settimeout(1.0)
        try:
            data = s.recv(100)
        except (TimeoutError, ConnectionResetError):
            data = b""
    assert not data.startswith(b"+PONG")
    with pytest.raises(redis.ConnectionError):
        redis.Redis(port=node.port, socket_timeout=1).ping()


def test_auth_enforced(env: Running) -> None:
    assert env.client(STACK, PREFIX).ping() is True
    with pytest.raises(redis.AuthenticationError):
        env.client(STACK, PREFIX, password=None).ping()
    with pytest.raises(redis.AuthenticationError):
        env.client(STACK, PREFIX, password="wrong-token").ping()


def test_outputs_follow_the_contract(env: Running) -> None:
    out = env.outputs[STACK]
    assert out[f"{PREFIX}EndpointAddress"] == "127.0.0.1"
    assert out[f"{PREFIX}Tls"] == "true" and out[f"{PREFIX}ClusterMode"] == "false"
    assert out[f"{PREFIX}AuthSecretArn"].startswith("arn:aws:secretsmanager:us-east-1:123456789012:secret:")
    assert Path(out[f"{PREFIX}CaFile"]).is_file()
    token = out[f"{PREFIX}AuthToken"]
    # The secret's GenerateSecretString: 64 characters, no punctuation.
    assert len(token) == 64 and token.isalnum()


def test_second_up_of_the_same_assembly_changes_nothing(env: Running, tmp_path: Path) -> None:
    pids = sorted(p.pid for p in env.state.live_procs())
    lines: list[str] = []
    commands.up(commands.UpOptions(
        assembly=TEMPLATES / "sentinel", state_dir=env.state_dir, outputs_file=tmp_path / "o.json",
    ), log=lines.append)
    assert "plan: no changes" in lines
    assert sorted(p.pid for p in env.state.live_procs()) == pids  # the running emulation is untouched


def test_status_reports_every_process_healthy(env: Running) -> None:
    lines: list[str] = []
    assert commands.status(env.state_dir, log=lines.append, as_json=True) == 0
    rows = json.loads("\n".join(lines))
    assert sorted(r["role"] for r in rows) == [
        "endpoints", "primary", "replica", "replica", "sentinel", "sentinel", "sentinel",
    ]
    assert {r["health"] for r in rows} == {"ok"}
    table: list[str] = []
    assert commands.status(env.state_dir, log=table.append) == 0
    assert table[0].split()[:4] == ["STACK", "RESOURCE", "NODE", "ROLE"]


def test_sentinel_failover_drill_loses_no_acknowledged_write(env: Running, tmp_path: Path) -> None:
    """Runs last in the module: it changes which node is the primary. ``--probe`` watches it like an application
    on the primary endpoint: its client retries ride through the failover."""
    import json

    from elasticache_local.probe import probing_state_dir

    lines: list[str] = []
    with probing_state_dir(env.state_dir, [PREFIX], lines.append, tmp_path / "probe.json"):
        result = drill(env.state_dir, PREFIX, warmup=0.3, log=lambda _l: None)
    (probe,) = json.loads((tmp_path / "probe.json").read_text())["probes"]
    print(lines[-1])
    assert probe["writes"] > 0 and probe["failed"] == 0, probe
    assert probe["longest_stall_ms"] > 0
    assert result.recovery_seconds is not None
    assert result.acknowledged > 0
    assert result.lost == 0
    assert result.new_primary != result.killed
    assert result.replaced  # the killed node came back as a replica of the new primary
    # The outputs file still works: its primary endpoint now leads to the new primary. The endpoint follows
    # Sentinel, which announces the switch asynchronously (as ElastiCache's DNS record follows a failover):
    # a bounded wait.
    new = next(p for p in env.procs(GROUP, "redis") if p.name == result.new_primary)
    deadline = time.monotonic() + 10
    while True:
        client = env.client(STACK, PREFIX)
        try:
            if int(client.config_get("tls-port")["tls-port"]) == new.port or time.monotonic() > deadline:
                break
        finally:
            client.close()
        time.sleep(0.1)
    client = env.client(STACK, PREFIX)
    if int(client.config_get("tls-port")["tls-port"]) != new.port:
        print(result.notes, sentinel_story(env, GROUP))  # the failover's story, in the captured output
    assert int(client.config_get("tls-port")["tls-port"]) == new.port
    assert client.set("after-failover", "1") is True
    client.delete("after-failover")
