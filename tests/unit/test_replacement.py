"""Changing engine version, node type, replica/shard count or eviction policy of an existing group must update it
in place: same logical ID, and no changed property that CloudFormation can only apply by replacement.

Which properties force replacement is read from the CloudFormation registry schema cfn-lint bundles
(``createOnlyProperties``), not from a hand-kept list.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from elasticache_constructs import (
    EngineVersion,
    EvictionPolicy,
    NodeType,
    ReplicationGroup,
    ShardedReplicationGroup,
    change_safety,
    even_slot_ranges,
)

from .helpers import new_stack, new_vpc

STATEFUL = ("AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::SubnetGroup", "AWS::SecretsManager::Secret",
            "AWS::EC2::SecurityGroup")

BASE: dict[str, Any] = {
    "engine_version": EngineVersion.VALKEY_7_2,
    "node_type": NodeType.R7G_LARGE,
    "replicas": 1,
    "shards": 3,
    "eviction_policy": EvictionPolicy.ALLKEYS_LRU,
    "slot_ranges": False,
}


@cache
def create_only(resource_type: str) -> frozenset[str]:
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    return frozenset(p.split("/")[-1] for p in schema.get("createOnlyProperties", []))


def synth(settings: dict[str, Any]) -> dict[str, Any]:
    stack = new_stack(cdk.App(), "Cache")
    vpc = new_vpc(stack)
    common = dict(vpc=vpc, engine_version=settings["engine_version"], node_type=settings["node_type"],
                  eviction_policy=settings["eviction_policy"])
    ReplicationGroup(stack, "Sessions", replicas=settings["replicas"], **common)
    ShardedReplicationGroup(stack, "Board", shards=settings["shards"], replicas_per_shard=settings["replicas"],
                            slot_ranges=even_slot_ranges(settings["shards"]) if settings["slot_ranges"] else None,
                            **common)
    resources: dict[str, Any] = Template.from_stack(stack).to_json()["Resources"]
    return resources


@pytest.fixture(scope="module")
def before() -> dict[str, Any]:
    return synth(BASE)


CHANGES = [
    ("engine minor", {"engine_version": EngineVersion.VALKEY_8_0}),
    ("engine family valkey7 -> valkey8", {"engine_version": EngineVersion.VALKEY_8_1}),
    ("engine redis -> valkey", {"engine_version": EngineVersion.VALKEY_8_1}),
    ("node type up", {"node_type": NodeType.R7G_XLARGE}),
    ("node type family", {"node_type": NodeType.M7G_LARGE}),
    ("more replicas", {"replicas": 3}),
    ("no replicas", {"replicas": 0}),
    ("more shards", {"shards": 5}),
    ("fewer shards", {"shards": 2}),
    ("eviction policy", {"eviction_policy": EvictionPolicy.VOLATILE_LFU}),
    ("default eviction policy", {"eviction_policy": None}),
    ("everything at once", {"engine_version": EngineVersion.VALKEY_8_1, "node_type": NodeType.R7G_2XLARGE,
                            "replicas": 2, "shards": 4, "eviction_policy": EvictionPolicy.NOEVICTION}),
]


def _changed_properties(a: dict[str, Any], b: dict[str, Any]) -> set[str]:
    pa, pb = a.get("Properties", {}), b.get("Properties", {})
    return {k for k in set(pa) | set(pb) if pa.get(k) != pb.get(k)}


@pytest.mark.parametrize(("case", "change"), CHANGES, ids=[c[0] for c in CHANGES])
def test_change_updates_in_place(before: dict[str, Any], case: str, change: dict[str, Any]) -> None:
    base = dict(BASE)
    if case == "engine redis -> valkey":
        base["engine_version"] = EngineVersion.REDIS_7_1
        before = synth(base)
    after = synth({**base, **change})
    changed_any = any(
        r["Type"] == "AWS::ElastiCache::ParameterGroup" and (k not in after or _changed_properties(r, after[k]))
        for k, r in before.items()
    )
    for logical_id, res in before.items():
        if res["Type"] not in STATEFUL:
            continue
        assert logical_id in after, f"{case}: {logical_id} ({res['Type']}) would be replaced (logical ID changed)"
        assert after[logical_id]["Type"] == res["Type"]
        changed = _changed_properties(res, after[logical_id])
        changed_any |= bool(changed)
        forced = changed & create_only(res["Type"])
        assert not forced, f"{case}: {logical_id} changes {sorted(forced)}, which CloudFormation replaces"
    assert changed_any, f"{case}: the change did not reach the template"
    # The change-safety table (schema + known traps) agrees: none of these changes is a replacement.
    findings = change_safety.check_update({"Resources": before}, {"Resources": after})
    replaced = {
        f.property for f in findings if f.how == "replacement" and f.trap is None and f.resource_type in STATEFUL
    }
    assert not replaced, f"{case}: table says replacement of {sorted(replaced)}"
    for logical_id, res in before.items():
        same_family_policy = "engine_version" not in change and change.get("eviction_policy", True) is not None
        if res["Type"] == "AWS::ElastiCache::ParameterGroup" and same_family_policy:
            # Same family: an eviction policy change modifies the group in place (no new group).
            assert logical_id in after, f"{case}: parameter group {logical_id} replaced"


def test_shard_changes_are_applied_online(before: dict[str, Any]) -> None:
    board = next(r for k, r in before.items() if k.startswith("Board") and r["Type"] == STATEFUL[0])
    assert board["UpdatePolicy"] == {"UseOnlineResharding": True}


def test_shard_change_with_explicit_slot_ranges_updates_in_place() -> None:
    a = synth({**BASE, "slot_ranges": True})
    b = synth({**BASE, "slot_ranges": True, "shards": 4})
    rg = next(k for k, r in a.items() if k.startswith("Board") and r["Type"] == STATEFUL[0])
    assert rg in b
    changed = _changed_properties(a[rg], b[rg])
    assert {"NodeGroupConfiguration", "NumNodeGroups"} <= changed
    assert not changed & create_only(STATEFUL[0])


def test_create_only_list_is_the_documented_one() -> None:
    """Guard against a schema that lists nothing (the test above could then never fail)."""
    assert {"Port", "AtRestEncryptionEnabled", "KmsKeyId", "ReplicationGroupId", "CacheSubnetGroupName",
            "DataTieringEnabled"} <= create_only("AWS::ElastiCache::ReplicationGroup")
