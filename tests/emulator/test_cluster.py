"""Cluster mode enabled: 3 shards x 1 replica, explicit slot ranges, noeviction, TLS, AUTH token from a secret.
Real redis-server cluster nodes; one ``up`` for the module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from elasticache_local.clients import parse_cluster_nodes
from elasticache_local.failover import drill, key_slot

from .conftest import Running, requires_servers, running

pytestmark = [pytest.mark.live, requires_servers]
STACK, PREFIX, GROUP = "Leaderboard", "Board", "BoardGroup55EE66FF"
TEMPLATE_SLOTS = [(0, 4999), (5000, 11999), (12000, 16383)]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running("cluster3", tmp_path_factory.mktemp("cluster3")) as r:
        yield r


def _view(env: Running) -> list[dict]:
    node = env.procs(GROUP, "redis")[0]
    return parse_cluster_nodes(env.admin(node).execute_command("CLUSTER", "NODES"))


def test_six_nodes_three_primaries_each_with_one_replica(env: Running) -> None:
    nodes = env.procs(GROUP, "redis")
    assert len(nodes) == 6
    for p in nodes:  # every node sees the same 6-node topology, no leftover bootstrap nodes
        view = parse_cluster_nodes(env.admin(p).execute_command("CLUSTER", "NODES"))
        assert len(view) == 6
        masters = [v for v in view if "master" in v["flags"]]
        replicas = [v for v in view if "slave" in v["flags"]]
        assert len(masters) == 3 and len(replicas) == 3
        assert sorted(r["master"] for r in replicas) == sorted(m["id"] for m in masters)
        info = env.admin(p).execute_command("CLUSTER", "INFO")
        assert "cluster_state:ok" in info and "cluster_slots_assigned:16384" in info


def test_slots_match_the_template_and_cover_16384(env: Running) -> None:
    masters = [v for v in _view(env) if "master" in v["flags"]]
    ranges = sorted(r for m in masters for r in m["slots"])
    assert ranges == TEMPLATE_SLOTS
    assert sum(b - a + 1 for a, b in ranges) == 16384


def test_replicas_are_in_sync(env: Running) -> None:
    for p in env.procs(GROUP, "redis"):
        info = env.admin(p).info("replication")
        if info["role"] == "slave":
            assert info["master_link_status"] == "up"


def test_noeviction_policy_and_scaled_maxmemory(env: Running) -> None:
    for p in env.procs(GROUP, "redis"):
        c = env.admin(p)
        assert c.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
        assert int(c.config_get("maxmemory")["maxmemory"]) == 8 * 1024 * 1024  # t4g.micro: 0.5 MiB -> 8 MiB floor


def test_noeviction_really_refuses_writes_when_full(env: Running) -> None:
    out = env.outputs[STACK]
    rc = redis.RedisCluster(
        host="127.0.0.1", port=int(out[f"{PREFIX}EndpointPort"]), password=out[f"{PREFIX}AuthToken"], ssl=True,
        ssl_ca_certs=out[f"{PREFIX}CaFile"], decode_responses=True,
    )
    try:
        blob = "x" * 65536
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            for i in range(1000):  # 64 MiB would be needed; the node holds 8 MiB
                rc.set(f"{{fill}}:{i}", blob)
        assert rc.exists("{fill}:0") == 1  # nothing was evicted
        rc.delete(*[f"{{fill}}:{i}" for i in range(1000)])
    finally:
        rc.close()


def test_cluster_client_from_outputs_reads_and_writes_every_shard(env: Running) -> None:
    out = env.outputs[STACK]
    rc = redis.RedisCluster(
        host="127.0.0.1", port=int(out[f"{PREFIX}EndpointPort"]), password=out[f"{PREFIX}AuthToken"], ssl=True,
        ssl_ca_certs=out[f"{PREFIX}CaFile"], decode_responses=True,
    )
    try:
        keys = ["a", "b", "c", "d", "e", "f", "g", "h"]
        shards = {next(i for i, (lo, hi) in enumerate(TEMPLATE_SLOTS) if lo <= key_slot(k) <= hi) for k in keys}
        assert shards == {0, 1, 2}
        for k in keys:
            rc.set(k, k.upper())
        assert [rc.get(k) for k in keys] == [k.upper() for k in keys]
        rc.delete(*keys)
    finally:
        rc.close()


def test_auth_enforced_on_every_node(env: Running) -> None:
    for p in env.procs(GROUP, "redis"):
        with pytest.raises(redis.AuthenticationError):
            env.client(STACK, PREFIX, port=p.port, password=None).ping()
        with pytest.raises(redis.AuthenticationError):
            env.client(STACK, PREFIX, port=p.port, password="nope").ping()
        assert env.client(STACK, PREFIX, port=p.port).ping() is True


def test_outputs_with_fn_sub_and_region(env: Running) -> None:
    out = env.outputs[STACK]
    assert out["BoardUrl"] == f"rediss://127.0.0.1:{out['BoardEndpointPort']}/eu-west-1"
    assert out["BoardResourceId"] == "board-cluster"  # ReplicationGroupId is lower-cased, like ElastiCache
    assert out["BoardAuthSecretArn"].startswith("arn:aws:secretsmanager:eu-west-1:111122223333:secret:")


def test_cluster_failover_drill_loses_no_acknowledged_write(env: Running) -> None:
    """Runs last in the module: it promotes shard 2's replica."""
    result = drill(env.state_dir, GROUP, shard=2, warmup=0.3, log=lambda _l: None)
    assert result.recovery_seconds is not None
    assert result.acknowledged > 0
    assert result.lost == 0
    assert result.replaced
    masters = [v for v in _view(env) if "master" in v["flags"] and "fail" not in v["flags"]]
    assert sorted(r for m in masters for r in m["slots"]) == TEMPLATE_SLOTS
