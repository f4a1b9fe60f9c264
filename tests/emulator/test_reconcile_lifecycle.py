"""Reconciling ``up``: replacement gating, a non-cluster group's replicas and parameters (TLS + AUTH, Sentinel),
and the snapshot round trip (final snapshot on ``down``, restore into a different shard count). Every key is
checked (value and TTL) before and after."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from elasticache_local import commands
from elasticache_local import state as st
from elasticache_local.clients import node_client
from elasticache_local.reconcile.apply import ReplacementRefused
from elasticache_local.reconcile.snapshots import list_snapshots

from .conftest import requires_servers
from .reconcile_support import app_client, assert_same_data, deployed, load, opts, props, snapshot, variant

pytestmark = [pytest.mark.live, requires_servers]
STACK, PREFIX, GROUP = "Leaderboard", "Board", "BoardGroup55EE66FF"
S_STACK, S_PREFIX, S_GROUP, S_PARAMS = "Sessions", "Sessions", "SessionsReplicationGroup9C8D7E6F", \
    "SessionsParams5E6F7A8B"


def _cluster(shards: int, **extra: Any) -> Any:
    def change(t: dict[str, Any]) -> None:
        p = props(t, STACK, GROUP)
        p.pop("NodeGroupConfiguration", None)
        p.update(NumNodeGroups=shards, CacheNodeType="cache.r7g.xlarge", **extra)
        t[STACK]["Resources"][GROUP]["DeletionPolicy"] = "Snapshot"
    return change


def test_replacement_without_allow_changes_nothing_and_exits_3(tmp_path: Path) -> None:
    base = variant(tmp_path, "cluster3", "base", _cluster(3))
    moved = variant(tmp_path, "cluster3", "port", _cluster(3, Port=6380))
    with deployed(base, tmp_path):
        c = app_client(tmp_path, STACK, PREFIX, cluster=True)
        load(c, 500)
        before = snapshot(c)
        pids = sorted(p.pid for p in st.load((tmp_path / "state").resolve()).procs)  # type: ignore[union-attr]
        with pytest.raises(ReplacementRefused, match="--allow-replacement"):
            commands.up(opts(moved, tmp_path), log=lambda _l: None)
        after_state = st.load((tmp_path / "state").resolve())
        assert after_state is not None and sorted(p.pid for p in after_state.procs) == pids
        assert_same_data(before, snapshot(c))
        c.close()
        commands.up(opts(moved, tmp_path, allow_replacement=True), log=lambda _l: None)
        c = app_client(tmp_path, STACK, PREFIX, cluster=True)
        assert snapshot(c) == {}  # a new resource: the old one and its data are gone, as with CloudFormation
        c.close()


def test_non_cluster_group_replicas_and_parameters(tmp_path: Path) -> None:
    def fewer(t: dict[str, Any]) -> None:
        props(t, S_STACK, S_GROUP)["NumCacheClusters"] = 2
        props(t, S_STACK, S_PARAMS)["Properties"].update({"maxmemory-policy": "allkeys-lru", "databases": "32"})
    base = variant(tmp_path, "sentinel", "base", lambda _t: None)
    changed = variant(tmp_path, "sentinel", "changed", fewer)
    with deployed(base, tmp_path):
        c = app_client(tmp_path, S_STACK, S_PREFIX, cluster=False)
        load(c, 500)
        before = snapshot(c)
        lines: list[str] = []
        commands.up(opts(changed, tmp_path), log=lines.append)
        assert any("databases: (unset) -> 32 (reboot-pending)" in line or "databases" in line for line in lines)
        state = st.load((tmp_path / "state").resolve())
        assert state is not None
        nodes = [p for p in state.procs if p.kind == "redis"]
        assert len(nodes) == 2
        for p in nodes:
            n = node_client(p, state.admin_password, state.ca_file)
            assert n.config_get("maxmemory-policy")["maxmemory-policy"] == "allkeys-lru"
            assert n.config_get("databases")["databases"] == "16"  # pending reboot, as on ElastiCache
            n.close()
        (rp,) = state.redis
        assert rp.pending_reboot == {"databases": "32"}
        c.close()
        c = app_client(tmp_path, S_STACK, S_PREFIX, cluster=False)
        assert_same_data(before, snapshot(c))
        c.close()


def test_final_snapshot_restores_into_another_shard_count(tmp_path: Path) -> None:
    base = variant(tmp_path, "cluster3", "base", _cluster(3))
    commands.up(opts(base, tmp_path), log=lambda _l: None)
    try:
        c = app_client(tmp_path, STACK, PREFIX, cluster=True)
        load(c, 1000)
        before = snapshot(c)
        c.close()
    finally:
        commands.down(tmp_path / "state", log=lambda _l: None, snapshot_dir=tmp_path / "snapshots")
    (snap,) = list_snapshots(tmp_path / "snapshots")
    assert snap.shards == 3 and snap.keys == 1000
    restored = variant(tmp_path, "cluster3", "restored", _cluster(2, SnapshotName=snap.name))
    with deployed(restored, tmp_path):
        c = app_client(tmp_path, STACK, PREFIX, cluster=True)
        assert_same_data(before, snapshot(c))
        c.close()


def test_unknown_snapshot_name_is_an_error_before_anything_starts(tmp_path: Path) -> None:
    bad = variant(tmp_path, "cluster3", "bad", _cluster(3, SnapshotName="nope"))
    with pytest.raises(commands.EmulatorError, match="SnapshotName 'nope': no such local snapshot"):
        commands.up(opts(bad, tmp_path), log=lambda _l: None)
    assert not (tmp_path / "state" / st.STATE_FILE).exists()
