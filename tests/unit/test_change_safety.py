"""The change-safety table agrees with the CloudFormation registry schema cfn-lint ships, and every trap is caught:
construct-time traps as synth warnings naming the fix, update-time traps by ``check_update``."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match, Template
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from elasticache_constructs import (
    EngineVersion,
    MemcachedCluster,
    ReplicationGroup,
    ShardedReplicationGroup,
    change_safety,
    even_slot_ranges,
)

from .helpers import new_stack, new_vpc

TYPES = sorted(change_safety.table()["resources"])


@cache
def schema(resource_type: str) -> dict[str, Any]:
    found: dict[str, Any] = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    return found


def _names(pointers: list[str]) -> set[str]:
    return {p.split("/")[2] for p in pointers}


# --- the table ----------------------------------------------------------------------------------------------
def test_table_covers_every_elasticache_resource_type_of_the_schema() -> None:
    region = PROVIDER_SCHEMA_MANAGER.get_resource_types("us-east-1")
    assert sorted(t for t in region if t.startswith("AWS::ElastiCache::")) == TYPES


@pytest.mark.parametrize("resource_type", TYPES)
def test_every_create_only_property_is_a_replacement(resource_type: str) -> None:
    for prop in _names(schema(resource_type).get("createOnlyProperties", [])):
        assert change_safety.how(resource_type, prop) == "replacement", prop


@pytest.mark.parametrize("resource_type", TYPES)
def test_every_settable_property_is_listed_with_a_source(resource_type: str) -> None:
    s = schema(resource_type)
    settable = set(s["properties"]) - _names(s.get("readOnlyProperties", []))
    listed = change_safety.table()["resources"][resource_type]["properties"]
    assert set(listed) == settable
    for prop, entry in listed.items():
        assert entry["how"] in change_safety.HOWS, prop
        assert entry["source"].startswith(("https://", "CloudFormation registry schema")), prop


def test_emulator_can_read_the_table_without_the_package() -> None:
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("elasticache_constructs")
    assert spec is not None and spec.submodule_search_locations
    path = Path(next(iter(spec.submodule_search_locations))) / "change_safety.json"
    data = json.loads(path.read_text())
    assert data["version"] == 1 and set(data) >= {"description", "resources", "traps"}


def test_every_trap_names_a_fix_and_a_url() -> None:
    for t in change_safety.traps().values():
        assert t.severity in ("error", "warning") and t.detect in ("construct", "update")
        assert t.fix and t.summary and t.source.startswith("https://")
        assert t.resource_type in TYPES
        listed = change_safety.table()["resources"][t.resource_type]["properties"]
        assert set(t.properties) <= set(listed), t.id


# --- construct-time traps (synth warnings) -----------------------------------------------------------------
@pytest.fixture(scope="module")
def warned() -> cdk.Stack:
    stack = new_stack()
    vpc = new_vpc(stack)
    ShardedReplicationGroup(stack, "ZeroReplicas", vpc=vpc, replicas_per_shard=0)
    ReplicationGroup(stack, "NoReplica", vpc=vpc, replicas=0)
    ShardedReplicationGroup(stack, "FixedReplicas", vpc=vpc)
    ShardedReplicationGroup(stack, "Layout", vpc=vpc, shards=2, slot_ranges=even_slot_ranges(2))
    ReplicationGroup(stack, "Pinned", vpc=vpc, replicas=1, preferred_availability_zones=["us-east-1a", "us-east-1b"])
    scaled = ShardedReplicationGroup(stack, "Scaled", vpc=vpc)
    scaled.auto_scale_replicas(min_capacity=1, max_capacity=2)
    ReplicationGroup(stack, "Quiet", vpc=vpc, replicas=1)
    Template.from_stack(stack)  # synthesize (runs the synth-time checks)
    return stack


CONSTRUCT_TRAPS = [
    ("cluster-mode-zero-replicas", "ZeroReplicas", "Create it with replicas_per_shard >= 1"),
    ("add-first-replica-with-failover", "NoReplica", "Create it with replicas >= 1"),
    ("replicas-with-node-group-configuration", "Layout", "change shards and replicas in separate deployments"),
    ("preferred-azs-fix-replica-count", "Pinned", "Leave preferred_availability_zones unset"),
]


@pytest.mark.parametrize(("trap_id", "construct_id", "fix"), CONSTRUCT_TRAPS, ids=[c[0] for c in CONSTRUCT_TRAPS])
def test_construct_trap_is_a_synth_warning_naming_the_fix(
    warned: cdk.Stack, trap_id: str, construct_id: str, fix: str
) -> None:
    found = Annotations.from_stack(warned).find_warning(f"/Test/{construct_id}", Match.any_value())
    messages = [str(w.entry.data) for w in found]
    hit = [m for m in messages if f"[ack: elasticache-constructs:{trap_id}]" in m]
    assert hit, messages
    assert "Fix: " in hit[0] and fix in hit[0] and change_safety.trap(trap_id).source in hit[0]


@pytest.mark.parametrize("construct_id", ["Scaled", "Quiet", "FixedReplicas"])
def test_safe_configurations_get_no_change_safety_warning(warned: cdk.Stack, construct_id: str) -> None:
    assert Annotations.from_stack(warned).find_warning(f"/Test/{construct_id}", Match.any_value()) == []


# --- update-time traps (check_update) -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def deployed() -> dict[str, Any]:
    stack = new_stack()
    vpc = new_vpc(stack)
    ReplicationGroup(stack, "Sessions", vpc=vpc, replicas=0, engine_version=EngineVersion.VALKEY_8_0)
    ShardedReplicationGroup(stack, "Board", vpc=vpc, shards=2, slot_ranges=even_slot_ranges(2))
    ShardedReplicationGroup(stack, "Flat", vpc=vpc, replicas_per_shard=0)
    MemcachedCluster(stack, "Pages", vpc=vpc)
    template: dict[str, Any] = dict(Template.from_stack(stack).to_json())
    return template


def _logical(template: dict[str, Any], prefix: str, type_: str) -> str:
    return next(k for k, v in template["Resources"].items() if k.startswith(prefix) and v["Type"] == type_)


RG, CC = "AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::CacheCluster"


def _edit(prefix: str, type_: str, change: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
    def apply(template: dict[str, Any]) -> str:
        logical = _logical(template, prefix, type_)
        change(template["Resources"][logical]["Properties"])
        return logical
    return apply


def _to_user_group(p: dict[str, Any]) -> None:
    p.pop("AuthToken")
    p["UserGroupIds"] = ["app-users"]


UPDATE_TRAPS: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
    ("auth-token-to-user-group", _edit("Sessions", RG, _to_user_group), "error"),
    ("global-member-node-type", _edit("Sessions", RG, lambda p: p.update(
        GlobalReplicationGroupId="ldgnf-global", CacheNodeType="cache.r7g.xlarge")), "error"),
    ("durability-create-only", _edit("Sessions", RG, lambda p: p.update(Durability="sync")), "error"),
    ("restore-source-create-only", _edit("Sessions", RG, lambda p: p.update(SnapshotName="nightly")), "warning"),
    ("add-first-replica-with-failover", _edit("Sessions", RG, lambda p: p.update(
        NumCacheClusters=2, AutomaticFailoverEnabled=True)), "warning"),
    ("engine-downgrade", _edit("Sessions", RG, lambda p: p.update(EngineVersion="7.2")), "error"),
    ("enable-tls-in-one-step", _edit("Sessions", RG, lambda p: p.update(
        TransitEncryptionEnabled=True, TransitEncryptionMode="required")), "error"),
    ("cluster-mode-step", _edit("Sessions", RG, lambda p: p.update(ClusterMode="enabled")), "error"),
    ("preferred-azs-fix-replica-count", _edit("Sessions", RG, lambda p: p.update(
        NumCacheClusters=2, PreferredCacheClusterAZs=["us-east-1a", "us-east-1b"])), "warning"),
    ("replicas-with-node-group-configuration", _edit("Board", RG, lambda p: [
        ng.update(ReplicaCount=2) for ng in p["NodeGroupConfiguration"]]), "warning"),
    ("cluster-mode-zero-replicas", _edit("Flat", RG, lambda p: p.update(SnapshotRetentionLimit=7)), "warning"),
    ("memcached-nodes-without-azs", _edit("Pages", CC, lambda p: p.update(NumCacheNodes=3)), "warning"),
]


#: Deployed states some traps start from (the constructs' defaults are already the safe state).
BEFORE: dict[str, Callable[[dict[str, Any]], Any]] = {
    "enable-tls-in-one-step": _edit("Sessions", RG, lambda p: [
        p.pop(k, None) for k in ("TransitEncryptionEnabled", "TransitEncryptionMode", "AuthToken")]),
}


@pytest.mark.parametrize(("trap_id", "edit", "severity"), UPDATE_TRAPS, ids=[c[0] for c in UPDATE_TRAPS])
def test_update_trap_is_found_with_the_fix(
    deployed: dict[str, Any], trap_id: str, edit: Callable[[dict[str, Any]], Any], severity: str
) -> None:
    before = copy.deepcopy(deployed)
    if trap_id in BEFORE:
        BEFORE[trap_id](before)
    after = copy.deepcopy(before)
    logical = edit(after)
    found = [f for f in change_safety.check_update(before, after) if f.trap == trap_id]
    assert len(found) == 1
    assert found[0].logical_id == logical and found[0].severity == severity
    assert "Fix: " + change_safety.trap(trap_id).fix in found[0].message


def test_every_trap_has_a_test() -> None:
    tested = {c[0] for c in CONSTRUCT_TRAPS} | {c[0] for c in UPDATE_TRAPS}
    assert tested == set(change_safety.traps())


def test_no_change_no_finding_and_online_change_is_info(deployed: dict[str, Any]) -> None:
    assert change_safety.check_update(deployed, deployed) == []
    after = copy.deepcopy(deployed)
    _edit("Sessions", RG, lambda p: p.update(SnapshotRetentionLimit=7))(after)
    [finding] = change_safety.check_update(deployed, after)
    assert (finding.property, finding.how, finding.severity, finding.trap) == (
        "SnapshotRetentionLimit", "online", "info", None)


def test_create_only_change_of_a_stateful_resource_is_an_error(deployed: dict[str, Any]) -> None:
    after = copy.deepcopy(deployed)
    _edit("Pages", CC, lambda p: p.update(Port=11212))(after)
    [finding] = change_safety.check_update(deployed, after)
    assert (finding.property, finding.how, finding.severity) == ("Port", "replacement", "error")


def test_durability_sync_to_async_is_not_the_create_only_trap(deployed: dict[str, Any]) -> None:
    before = copy.deepcopy(deployed)
    _edit("Board", RG, lambda p: p.update(Durability="sync"))(before)
    after = copy.deepcopy(before)
    _edit("Board", RG, lambda p: p.update(Durability="async"))(after)
    assert [f.trap for f in change_safety.check_update(before, after) if f.trap] == []


def test_engine_upgrade_is_rolling_not_a_trap(deployed: dict[str, Any]) -> None:
    after = copy.deepcopy(deployed)
    _edit("Sessions", RG, lambda p: p.update(EngineVersion="8.1"))(after)
    [finding] = change_safety.check_update(deployed, after)
    assert (finding.how, finding.trap) == ("rolling", None)
