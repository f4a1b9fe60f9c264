"""Reconciling ``up``: Memcached node count, resources added and removed (final snapshot), and seeding a group
from an RDB file written by a plain ``redis-server`` (``SnapshotArns``). Every key is checked (value and TTL)."""

from __future__ import annotations

import shutil
import ssl
from pathlib import Path
from typing import Any

import pytest
import redis

from elasticache_local import commands
from elasticache_local import state as st
from elasticache_local.clients import node_client
from elasticache_local.reconcile.snapshots import list_snapshots
from elasticache_smoke.testing import start_redis

from .conftest import requires_servers
from .reconcile_support import (
    app_client,
    assert_same_data,
    deployed,
    load,
    opts,
    outputs,
    props,
    snapshot,
    variant,
)
from .test_memcached_serverless_global import _discover

pytestmark = [pytest.mark.live, requires_servers]
KEYS = 500
EXTRA = "ExtraGroup"


def _pages(nodes: int, *, extra: bool) -> Any:
    def change(t: dict[str, Any]) -> None:
        props(t, "Pages", "PagesCluster0001")["NumCacheNodes"] = nodes
        if extra:
            t["Pages"]["Resources"][EXTRA] = {
                "Type": "AWS::ElastiCache::ReplicationGroup", "DeletionPolicy": "Snapshot",
                "Properties": {"ReplicationGroupDescription": "added later", "ReplicationGroupId": "extra-rg",
                               "Engine": "redis", "EngineVersion": "7.1", "CacheNodeType": "cache.t4g.small",
                               "NumCacheClusters": 2, "AutomaticFailoverEnabled": True},
            }
    return change


def _discovered(tmp: Path) -> list[int]:
    reply = _discover(outputs(tmp, "Pages")).decode()
    return [int(e.split("|")[2]) for e in reply.split("\r\n")[1].split("\n")[1].split(" ")]


def _extra_client(tmp: Path) -> redis.Redis:
    state = st.load((tmp / "state").resolve())
    assert state is not None
    primary = next(p for p in state.procs if p.resource == EXTRA and p.role == "primary")
    return node_client(primary, state.admin_password, state.ca_file)


def test_memcached_nodes_and_a_group_added_then_removed_with_its_final_snapshot(tmp_path: Path) -> None:
    from pymemcache.client.base import Client as MemcacheClient

    two = variant(tmp_path, "memcached", "two", _pages(2, extra=False))
    three = variant(tmp_path, "memcached", "three", _pages(3, extra=True))
    one = variant(tmp_path, "memcached", "one", _pages(1, extra=False))
    with deployed(two, tmp_path):
        ports = _discovered(tmp_path)
        assert len(ports) == 2
        ctx = ssl.create_default_context(cafile=outputs(tmp_path, "Pages")["PagesCaFile"])
        MemcacheClient(("127.0.0.1", ports[0]), tls_context=ctx).set("on-node-1", b"kept", noreply=False)

        lines: list[str] = []
        commands.up(opts(three, tmp_path), log=lines.append)
        assert len(_discovered(tmp_path)) == 3, lines  # auto discovery finds the added (empty) node
        extra = _extra_client(tmp_path)
        load(extra, KEYS)
        before = snapshot(extra)
        extra.close()

        commands.up(opts(one, tmp_path), log=lines.append)
        assert _discovered(tmp_path) == ports[:1]  # the highest-numbered nodes went, node 1 kept its items
        assert MemcacheClient(("127.0.0.1", ports[0]), tls_context=ctx).get("on-node-1") == b"kept"
        state = st.load((tmp_path / "state").resolve())
        assert state is not None and not [p for p in state.procs if p.resource == EXTRA]
        (final,) = [s for s in list_snapshots(tmp_path / "snapshots") if s.group_id == "extra-rg"]
        assert (final.keys, final.shards, final.group_id) == (KEYS, 1, "extra-rg")

        # The final snapshot restores every key into a new group (SnapshotName).
        def restored(t: dict[str, Any]) -> None:
            _pages(1, extra=True)(t)
            props(t, "Pages", EXTRA)["SnapshotName"] = final.name

        commands.up(opts(variant(tmp_path, "memcached", "restored", restored), tmp_path), log=lines.append)
        extra = _extra_client(tmp_path)
        assert_same_data(before, snapshot(extra))
        extra.close()


def test_seed_from_an_rdb_written_by_a_plain_redis_server(tmp_path: Path) -> None:
    """``SnapshotArns: [arn:aws:s3:::bucket/key]`` -> ``<seed dir>/bucket/key``, keys spread over 3 shards."""
    plain_dir = tmp_path / "plain"
    server = start_redis(workdir=plain_dir, name="plain-redis")  # the project's test server: tracked, by PID
    try:
        plain = server.client(decode_responses=True)
        load(plain, KEYS)
        before = snapshot(plain)
        plain.save()
        plain.close()
    finally:
        server.stop()
    seed = tmp_path / "s3" / "my-bucket" / "exports" / "plain.rdb"
    seed.parent.mkdir(parents=True)
    shutil.copy(plain_dir / "dump.rdb", seed)

    def seeded(t: dict[str, Any]) -> None:
        props(t, "Leaderboard", "BoardGroup55EE66FF")["SnapshotArns"] = ["arn:aws:s3:::my-bucket/exports/plain.rdb"]

    with deployed(variant(tmp_path, "cluster3", "seeded", seeded), tmp_path):
        c = app_client(tmp_path, "Leaderboard", "Board", cluster=True)
        assert_same_data(before, snapshot(c))
        c.close()
