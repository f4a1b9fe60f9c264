"""Cluster mode with 1 and 2 shards (even slot split), TLS ``preferred`` (one port for TLS and plain text, in
cluster mode and not, with and without Sentinel), parameters
with defaults and ``Fn::If`` conditions. Real redis-server cluster nodes; one ``up`` for the module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis

from elasticache_local.clients import parse_cluster_nodes
from elasticache_local.failover import drill

from .conftest import Running, engine, requires_servers, running

pytestmark = [pytest.mark.live, requires_servers]
STACK = "Small"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running("small_clusters", tmp_path_factory.mktemp("small")) as r:
        yield r


def _masters(env: Running, resource: str) -> list[dict]:
    view = parse_cluster_nodes(env.admin(env.procs(resource, "redis")[0]).execute_command("CLUSTER", "NODES"))
    return [v for v in view if "master" in v["flags"] and "fail" not in v["flags"]]


@pytest.mark.parametrize(
    ("resource", "slots"),
    [("OneShard", [[(0, 16383)]]), ("TwoShards", [[(0, 8191)], [(8192, 16383)]])],
)
def test_even_slot_split_and_node_count(env: Running, resource: str, slots: list) -> None:
    nodes = env.procs(resource, "redis")
    assert len(nodes) == 2 * len(slots)
    masters = _masters(env, resource)
    assert sorted(m["slots"] for m in masters) == slots
    for p in nodes:
        assert "cluster_state:ok" in env.admin(p).execute_command("CLUSTER", "INFO")


def test_tls_preferred_serves_tls_and_plain_text(env: Running) -> None:
    for p in env.procs("TwoShards", "redis"):
        assert p.tls_port and p.plain_port and p.front_port and p.port == p.tls_port
        assert env.client(STACK, "Two", port=p.tls_port, password=None).ping() is True
        assert env.client(STACK, "Two", port=p.plain_port, password=None, tls=False).ping() is True


def test_tls_off_group_has_no_tls_listener(env: Running) -> None:
    for p in env.procs("OneShard", "redis"):
        assert p.tls_port is None
        assert env.admin(p).config_get("tls-port") == {"tls-port": "0"}


def test_defaults_and_conditions_resolved(env: Running) -> None:
    out = env.outputs[STACK]
    assert "ProdOnly" not in out  # Condition IsProd is false with the parameter's default
    plan = next(p for p in env.state.redis if p.logical_id == "TwoShards")
    assert plan.node_type == "cache.t4g.small"  # Fn::If on the same condition
    assert len(plan.shards) == 2  # NumNodeGroups: Ref to a Number parameter (default 2)


def test_no_auth_group_accepts_clients_without_password(env: Running) -> None:
    assert "OneAuthToken" not in env.outputs[STACK]
    assert env.client(STACK, "One", password=None).ping() is True


def test_two_shard_failover_needs_the_control_plane(env: Running) -> None:
    """2 primaries: no majority once one dies, so the drill promotes the replica like ElastiCache would."""
    result = drill(env.state_dir, "TwoShards", shard=1, warmup=0.2, log=lambda _l: None)
    assert result.lost == 0 and result.recovery_seconds is not None
    assert any("control plane" in n for n in result.notes)
    assert sorted(m["slots"] for m in _masters(env, "TwoShards")) == [[(0, 8191)], [(8192, 16383)]]


def test_unknown_group_is_a_clear_error(env: Running) -> None:
    from elasticache_local.errors import EmulatorError

    with pytest.raises(EmulatorError, match="no such emulated Redis group; known: "):
        drill(env.state_dir, "Nope", log=lambda _l: None)
    with pytest.raises(EmulatorError, match=r"--shard 3: .* has shards 1\.\.2"):
        drill(env.state_dir, "TwoShards", shard=3, log=lambda _l: None)


def _cluster_client(env: Running, *, tls: bool) -> redis.RedisCluster:
    out = env.outputs[STACK]
    kwargs: dict[str, Any] = {"host": out["TwoEndpointAddress"], "port": int(out["TwoEndpointPort"]),
                              "decode_responses": True, "socket_timeout": 5}
    if tls:
        kwargs.update(ssl=True, ssl_ca_certs=out["TwoCaFile"])
    return redis.RedisCluster(**kwargs)


@pytest.mark.parametrize("tls", [True, False], ids=["tls", "plain"])
def test_preferred_cluster_endpoint_port_serves_tls_and_plain_cluster_clients(env: Running, tls: bool) -> None:
    """One port per node for both transports: the outputs' endpoint, and every port CLUSTER SLOTS/MOVED name."""
    nodes = env.procs("TwoShards", "redis")
    fronts = {p.front_port for p in nodes}
    assert int(env.outputs[STACK]["TwoEndpointPort"]) in fronts
    assert not fronts & ({p.tls_port for p in nodes} | {p.plain_port for p in nodes})
    rc = _cluster_client(env, tls=tls)
    try:
        keys = [f"k{i}" for i in range(40)]  # both shards
        for k in keys:
            rc.set(k, k)
        assert [rc.get(k) for k in keys] == keys
        learned = {n.port for n in rc.get_nodes()}
        assert len(learned) >= 2 and learned <= fronts  # the client only ever learned front ports
        rc.delete(*keys)
    finally:
        rc.close()
    plain = env.client(STACK, "Two", tls=False, password=None)
    with pytest.raises(redis.exceptions.MovedError) as moved:
        for k in ("a", "b", "c", "d", "e", "f"):
            plain.get(k)
    assert moved.value.port in fronts


@pytest.mark.parametrize("prefix", ["Pair", "Ha"])
@pytest.mark.parametrize("tls", [True, False], ids=["tls", "plain"])
def test_preferred_group_endpoints_serve_tls_and_plain(env: Running, prefix: str, tls: bool) -> None:
    """Cluster mode disabled, without and with Sentinel (endpoint proxy): primary and reader endpoints, both
    transports, on the ports the outputs file names; the engine is the one the template asks for."""
    out = env.outputs[STACK]
    primary = env.client(STACK, prefix, tls=tls, password=None)
    assert primary.set(f"{prefix}:{tls}", "1") is True
    assert ("valkey_version" in primary.info("server")) == (engine("valkey") == "valkey")
    reader = env.client(STACK, prefix, port=int(out[f"{prefix}ReaderEndpointPort"]), tls=tls, password=None)
    assert reader.info("replication")["role"] in ("slave", "master")
    assert primary.info("replication")["role"] == "master"
    primary.delete(f"{prefix}:{tls}")
