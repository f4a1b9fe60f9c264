"""Reconciling ``up`` on a cluster-mode group with TLS + AUTH: online resharding, replicas, node type, parameters.
Every test checks every key (value and TTL) before and after the change through the application's client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from elasticache_local import state as st
from elasticache_local.clients import node_client, parse_cluster_nodes

from .conftest import requires_servers
from .reconcile_support import app_client, assert_same_data, deployed, load, opts, props, snapshot, variant

pytestmark = [pytest.mark.live, requires_servers]
STACK, PREFIX, GROUP, PARAMS = "Leaderboard", "Board", "BoardGroup55EE66FF", "BoardParams11AA22BB"
KEYS = 3000
#: 26 GiB -> 26 MiB locally: room for the test data beside TLS and replication buffers (t4g.micro gets 8 MiB).
NODE_TYPE = "cache.r7g.xlarge"


def _even(shards: int, replicas: int = 1) -> Any:
    def change(t: dict[str, Any]) -> None:
        p = props(t, STACK, GROUP)
        p.pop("NodeGroupConfiguration", None)
        p["CacheNodeType"] = NODE_TYPE
        p["NumNodeGroups"] = shards
        p["ReplicasPerNodeGroup"] = replicas
    return change


def _view(tmp: Path) -> list[dict[str, Any]]:
    state = st.load((tmp / "state").resolve())
    assert state is not None
    node = next(p for p in state.procs if p.kind == "redis")
    c = node_client(node, state.admin_password, state.ca_file)
    try:
        return parse_cluster_nodes(c.execute_command("CLUSTER", "NODES"))
    finally:
        c.close()


def _topology(tmp: Path) -> tuple[list[list[tuple[int, int]]], list[int]]:
    """(slot ranges per primary, replica count per primary), sorted by first slot."""
    view = _view(tmp)
    masters = sorted((v for v in view if "master" in v["flags"] and v["slots"]), key=lambda v: v["slots"][0])
    replicas = [sum(1 for r in view if r["master"] == m["id"]) for m in masters]
    assert len(view) == len(masters) + sum(replicas), "nodes left over (a removed node still known)"
    return [m["slots"] for m in masters], replicas


def _up(assembly: Path, tmp: Path, **kw: Any) -> list[str]:
    from elasticache_local import commands

    lines: list[str] = []
    commands.up(opts(assembly, tmp, **kw), log=lines.append)
    return lines


def _probe_report(path: Path) -> dict[str, Any]:
    import json

    (report,) = json.loads(path.read_text())["probes"]
    result: dict[str, Any] = report
    return result


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_three_to_six_to_three_shards_online(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Under ``--probe``'s steady load (a cluster client through the configuration endpoint, with retries)."""
    from elasticache_local import cli

    three = variant(tmp_path, "cluster3", "three", _even(3))
    six = variant(tmp_path, "cluster3", "six", _even(6))
    with deployed(three, tmp_path):
        c = app_client(tmp_path, STACK, PREFIX, cluster=True)
        load(c, KEYS)
        before = snapshot(c)
        # An unknown probe group is an error before anything changes (exit 2, the known groups named).
        code = cli.main(["up", "--assembly", str(six), "--state-dir", str(tmp_path / "state"), "--outputs-file",
                         str(tmp_path / "outputs.json"), "--probe", "NoSuchGroup"])
        assert code == 2 and "--probe 'NoSuchGroup': no running emulated" in capsys.readouterr().err
        assert len(_topology(tmp_path)[0]) == 3
        lines = _up(six, tmp_path, probe=[GROUP], probe_json=tmp_path / "probe-up.json")
        assert any("NumNodeGroups: 3 -> 6 (online)" in line for line in lines), lines
        up_probe = _probe_report(tmp_path / "probe-up.json")
        print(next(line for line in lines if line.startswith("probe ")))
        assert up_probe["operations"] > 0 and up_probe["writes"] > 0
        assert (up_probe["failed"], up_probe["lost_writes"]) == (0, 0), up_probe
        slots, replicas = _topology(tmp_path)
        assert len(slots) == 6 and replicas == [1] * 6
        counts = [sum(b - a + 1 for a, b in s) for s in slots]
        assert sum(counts) == 16384 and max(counts) - min(counts) <= 1
        c.close()
        c = app_client(tmp_path, STACK, PREFIX, cluster=True)
        assert_same_data(before, snapshot(c))
        _up(three, tmp_path, probe=[f"{STACK}/{GROUP}"], probe_json=tmp_path / "probe-down.json")
        down_probe = _probe_report(tmp_path / "probe-down.json")
        assert down_probe["operations"] > 0 and (down_probe["failed"], down_probe["lost_writes"]) == (0, 0)
        slots, replicas = _topology(tmp_path)
        assert len(slots) == 3 and replicas == [1] * 3
        c.close()
        c = app_client(tmp_path, STACK, PREFIX, cluster=True)
        assert_same_data(before, snapshot(c))
        state = st.load((tmp_path / "state").resolve())
        assert state is not None and len([p for p in state.procs if p.kind == "redis"]) == 6
        c.close()


def _node_type_and_replicas(node_type: str, replicas: int) -> Any:
    def change(t: dict[str, Any]) -> None:
        _even(3, replicas)(t)
        props(t, STACK, GROUP)["CacheNodeType"] = node_type
    return change


def _maxmemory_of_every_node(tmp: Path) -> set[int]:
    state = st.load((tmp / "state").resolve())
    assert state is not None
    found = set()
    for p in state.procs:
        if p.kind == "redis":
            c = node_client(p, state.admin_password, state.ca_file)
            try:
                found.add(int(c.config_get("maxmemory")["maxmemory"]))
            finally:
                c.close()
    return found


def test_node_type_up_and_more_replicas_per_shard_then_a_refused_scale_down(tmp_path: Path) -> None:
    from elasticache_local.errors import EmulatorError
    from elasticache_local.nodetypes import local_maxmemory, memory_gib

    small = variant(tmp_path, "cluster3", "small", _node_type_and_replicas(NODE_TYPE, 1))
    big = variant(tmp_path, "cluster3", "big", _node_type_and_replicas("cache.r7g.2xlarge", 2))
    tiny = variant(tmp_path, "cluster3", "tiny", _node_type_and_replicas("cache.t4g.micro", 2))
    with deployed(small, tmp_path):
        c = app_client(tmp_path, STACK, PREFIX, cluster=True)
        load(c, KEYS)
        before = snapshot(c)
        c.close()
        lines = _up(big, tmp_path)
        assert any("CacheNodeType" in line for line in lines), lines
        # maxmemory follows the node type live on every node (1 GiB -> 1 MiB), replicas synced: 3 shards x 3 nodes.
        assert _maxmemory_of_every_node(tmp_path) == {local_maxmemory(memory_gib("cache.r7g.2xlarge"))}
        slots, replicas = _topology(tmp_path)
        assert len(slots) == 3 and replicas == [2] * 3
        c = app_client(tmp_path, STACK, PREFIX, cluster=True)
        assert_same_data(before, snapshot(c))
        c.close()
        # Scaling down below the data in use is refused before anything changes, as ElastiCache refuses it:
        # 36 values of 1 MiB (about 12 MiB a shard) do not fit t4g.micro's 8 MiB.
        c = app_client(tmp_path, STACK, PREFIX, cluster=True)
        for i in range(36):
            c.set(f"big:{i}", "x" * (1024 * 1024))
        before = snapshot(c)
        c.close()
        with pytest.raises(EmulatorError, match=r"CacheNodeType cache.r7g.2xlarge -> cache.t4g.micro: the data in use"):
            _up(tiny, tmp_path)
        assert _maxmemory_of_every_node(tmp_path) == {local_maxmemory(memory_gib("cache.r7g.2xlarge"))}
        c = app_client(tmp_path, STACK, PREFIX, cluster=True)
        assert_same_data(before, snapshot(c))
        c.close()
