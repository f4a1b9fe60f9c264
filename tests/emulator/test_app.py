"""The real CDK app: synthesize it once (``python app.py``), bring every stack up, and check each cache against
its *template* (read here independently of the planner): node counts and roles, slot coverage, the parameter
group's ``maxmemory-policy`` (``CONFIG GET``), TLS-only when required, AUTH enforced, ACL users. Then the smoke
command (``elasticache_smoke.cli.main``) must pass against every emulated cache. Real processes throughout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from elasticache_local import commands
from elasticache_local.acl import ADMIN_USER
from elasticache_local.clients import parse_cluster_nodes

from .conftest import Running, requires_servers

pytestmark = [pytest.mark.live, requires_servers]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    if not (ROOT / "app.py").is_file() or shutil.which("node") is None:
        pytest.skip("the CDK app (app.py) or Node.js is not available")
    tmp = tmp_path_factory.mktemp("app")
    outdir = tmp / "cdk.out"
    env = {**os.environ, "CDK_OUTDIR": str(outdir), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "1"}
    synth = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=600, check=False)
    assert synth.returncode == 0, synth.stderr[-3000:]
    state_dir, outputs = tmp / "state", tmp / "outputs.json"
    state = commands.up(commands.UpOptions(assembly=outdir, state_dir=state_dir, outputs_file=outputs),
                        log=lambda _l: None)
    try:
        yield Running(state, state_dir, outputs)
    finally:
        commands.down(state_dir, log=lambda _l: None)


def _templates(app: Running) -> dict[str, dict[str, Any]]:
    manifest = json.loads((Path(app.state.assembly) / "manifest.json").read_text())
    out = {}
    for name, art in manifest["artifacts"].items():
        if art.get("type") == "aws:cloudformation:stack":
            path = Path(app.state.assembly) / art["properties"]["templateFile"]
            out[art["properties"].get("stackName", name)] = json.loads(path.read_text())
    return out


def _caches(app: Running, rtype: str) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    found = []
    for stack, template in _templates(app).items():
        for logical, res in template.get("Resources", {}).items():
            if res["Type"] == rtype:
                found.append((stack, logical, res.get("Properties", {}), template))
    return found


def _param_group(props: dict[str, Any], template: dict[str, Any]) -> dict[str, str]:
    ref = props.get("CacheParameterGroupName")
    if isinstance(ref, dict) and "Ref" in ref:
        return {k: str(v) for k, v in template["Resources"][ref["Ref"]]["Properties"].get("Properties", {}).items()}
    return {}


def test_the_app_has_caches(app: Running) -> None:
    assert app.state.redis or app.state.memcached
    assert not [s for s in app.state.skipped if not s.resource_type.endswith(("SubnetGroup", "SecurityGroup"))]


def test_replication_groups_match_their_templates(app: Running) -> None:
    groups = _caches(app, "AWS::ElastiCache::ReplicationGroup")
    assert groups
    for stack, logical, props, template in groups:
        params = _param_group(props, template)
        cluster = props.get("ClusterMode") == "enabled" or params.get("cluster-enabled") == "yes" or \
            int(props.get("NumNodeGroups", 1)) > 1
        nodes = [p for p in app.procs(logical, "redis") if p.stack == stack]
        if cluster:
            shards = int(props.get("NumNodeGroups", len(props.get("NodeGroupConfiguration", [])) or 1))
            expected = shards * (1 + int(props.get("ReplicasPerNodeGroup", 0)))
        else:
            shards = 1
            expected = int(props.get("NumCacheClusters", 1 + int(props.get("ReplicasPerNodeGroup", 0))))
        assert len(nodes) == expected, (stack, logical)
        admins = [app.admin(p) for p in nodes]
        roles = sorted(c.info("replication")["role"] for c in admins)
        # A global datastore secondary is read-only: all its nodes replicate (from the primary group).
        masters = 0 if props.get("GlobalReplicationGroupId") else shards
        assert roles.count("master") == masters, (stack, logical, roles)
        if cluster:
            view = parse_cluster_nodes(admins[0].execute_command("CLUSTER", "NODES"))
            owned = sorted(r for v in view if "master" in v["flags"] for r in v["slots"])
            assert sum(b - a + 1 for a, b in owned) == 16384
            explicit = [g.get("Slots") for g in props.get("NodeGroupConfiguration", []) if g.get("Slots")]
            if explicit:
                assert sorted(tuple(int(x) for x in s.split("-")) for s in explicit) == owned
        policy = params.get("maxmemory-policy", "volatile-lru")
        for c in admins:
            assert c.config_get("maxmemory-policy")["maxmemory-policy"] == policy, (stack, logical)
            tls = str(props.get("TransitEncryptionEnabled", "false")).lower() == "true"
            mode = str(props.get("TransitEncryptionMode", "required"))
            if tls and mode == "required":
                assert c.config_get("port")["port"] == "0"  # TLS only
            if not tls and not props.get("GlobalReplicationGroupId"):  # secondaries inherit the primary's TLS
                assert c.config_get("tls-port")["tls-port"] == "0"
        prefix = _prefix_of(app, stack, logical)
        if props.get("AuthToken") and prefix:
            with pytest.raises(redis.AuthenticationError):
                app.client(stack, prefix, password=None).ping()
            with pytest.raises(redis.AuthenticationError):
                app.client(stack, prefix, password="not-the-token").ping()
            assert app.client(stack, prefix).ping() is True
        if props.get("UserGroupIds"):
            names = _user_names(props, template)
            for c in admins:
                assert set(c.acl_users()) == names | {ADMIN_USER}


def _prefix_of(app: Running, stack: str, logical: str) -> str | None:
    ports = {str(p.port) for p in app.procs(logical) if p.stack == stack}
    for key, value in app.outputs.get(stack, {}).items():
        if key.endswith("EndpointPort") and not key.endswith("ReaderEndpointPort") and value in ports:
            return key[: -len("EndpointPort")]
    return None


def _user_names(props: dict[str, Any], template: dict[str, Any]) -> set[str]:
    names = set()
    resources = template["Resources"]
    for gid in props["UserGroupIds"]:
        group = resources[gid["Ref"]]["Properties"]
        for uid in group["UserIds"]:
            names.add(resources[uid["Ref"]]["Properties"]["UserName"])
    return names


def test_serverless_and_memcached_match_their_templates(app: Running) -> None:
    for stack, logical, props, _ in _caches(app, "AWS::ElastiCache::ServerlessCache"):
        procs = [p for p in app.procs(logical) if p.stack == stack]
        if str(props.get("Engine", "")).lower() == "memcached":
            assert len(procs) == 1 and procs[0].tls
        else:
            assert len(procs) == 2 and all(p.tls and p.plain_port is None for p in procs)
    for stack, logical, props, _ in _caches(app, "AWS::ElastiCache::CacheCluster"):
        if str(props.get("Engine", "")).lower() == "memcached":
            procs = [p for p in app.procs(logical, "memcached") if p.stack == stack]
            assert len(procs) == int(props.get("NumCacheNodes", 1))


def test_every_process_is_healthy(app: Running) -> None:
    assert commands.status(app.state_dir, log=lambda _l: None) == 0


def test_smoke_command_passes_against_every_emulated_cache(app: Running) -> None:
    smoke = pytest.importorskip("elasticache_smoke.cli")
    ran = []
    for stack, values in app.outputs.items():
        for prefix in commands.contract_prefixes(values):
            argv = ["--outputs", str(app.outputs_file), "--stack", stack, "--cache", prefix]
            target = commands.plan_for_prefix(app.state, stack, prefix)
            assert target is not None, (stack, prefix)
            if getattr(target, "global_secondary", False):
                argv.append("--read-only")
            ran.append((stack, prefix, smoke.main(argv)))
    assert ran
    assert [r for r in ran if r[2] != 0] == []
