"""preferred_availability_zones (primary first) and per-shard placements: template, defaults, warnings, rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match, Template

from elasticache_constructs import ReplicationGroup, ShardedReplicationGroup, ShardPlacement, ValidationError

from .helpers import new_stack, new_vpc
from .helpers import props_of as _props

RG = "AWS::ElastiCache::ReplicationGroup"



@pytest.fixture(scope="module")
def stack() -> cdk.Stack:
    stack = new_stack()
    vpc = new_vpc(stack)
    ReplicationGroup(stack, "Plain", vpc=vpc)
    ReplicationGroup(stack, "Pinned", vpc=vpc, replicas=2,
                     preferred_availability_zones=["us-east-1b", "us-east-1a", "us-east-1a"])
    ShardedReplicationGroup(stack, "Placed", vpc=vpc, shards=2, replicas_per_shard=1, shard_placements=[
        ShardPlacement("us-east-1a", ["us-east-1b"]), ShardPlacement("us-east-1c", ["us-east-1a"]),
    ])
    return stack


@pytest.fixture(scope="module")
def tmpl(stack: cdk.Stack) -> Template:
    return Template.from_stack(stack)


def test_default_lets_elasticache_place_nodes(tmpl: Template) -> None:
    assert "PreferredCacheClusterAZs" not in _props(tmpl, RG, "Plain")


def test_preferred_azs_keep_the_primary_first(tmpl: Template) -> None:
    assert _props(tmpl, RG, "Pinned")["PreferredCacheClusterAZs"] == ["us-east-1b", "us-east-1a", "us-east-1a"]


def test_shard_placements_become_node_group_configuration(tmpl: Template) -> None:
    groups = _props(tmpl, RG, "Placed")["NodeGroupConfiguration"]
    assert [(g["PrimaryAvailabilityZone"], g["ReplicaAvailabilityZones"], g["Slots"]) for g in groups] == [
        ("us-east-1a", ["us-east-1b"], "0-8191"), ("us-east-1c", ["us-east-1a"], "8192-16383"),
    ]


def test_preferred_azs_warn_that_replica_changes_replace(stack: cdk.Stack) -> None:
    found = Annotations.from_stack(stack).find_warning("/Test/Pinned", Match.string_like_regexp("create-only"))
    assert found and "Fix: Leave preferred_availability_zones unset" in str(found[0].entry.data)


INVALID: list[tuple[str, Callable[[cdk.Stack], Any], str]] = [
    ("count", lambda s: ReplicationGroup(s, "G", vpc=new_vpc(s), replicas=1,
                                         preferred_availability_zones=["us-east-1a"]),
     "preferred_availability_zones: got ['us-east-1a']; needs exactly one AZ per node: the primary then each "
     "replica (2)"),
    ("string", lambda s: ReplicationGroup(s, "G", vpc=new_vpc(s), preferred_availability_zones="us-east-1a"),
     "preferred_availability_zones: got 'us-east-1a'; pass a list, primary first"),
    ("outside subnets", lambda s: ReplicationGroup(s, "G", vpc=new_vpc(s, azs=2), replicas=1,
                                                   preferred_availability_zones=["us-east-1a", "us-east-1c"]),
     "preferred_availability_zones: got ['us-east-1c']; only AZs of the group's subnets can be used: "
     "['us-east-1a', 'us-east-1b']"),
    ("shard count", lambda s: ShardedReplicationGroup(s, "G", vpc=new_vpc(s), shards=3,
                                                      shard_placements=[ShardPlacement("us-east-1a", ["us-east-1b"])]),
     "shard_placements: got 1; needs exactly one ShardPlacement per shard (3)"),
    ("replica count", lambda s: ShardedReplicationGroup(s, "G", vpc=new_vpc(s), shards=1, replicas_per_shard=2,
                                                        shard_placements=[ShardPlacement("us-east-1a", ["us-east-1b"])]),
     "shard_placements[0].replica_azs: got ['us-east-1b']; needs one AZ per replica (2)"),
    ("shard az outside", lambda s: ShardedReplicationGroup(s, "G", vpc=new_vpc(s, azs=2), shards=1,
                                                           shard_placements=[ShardPlacement("us-east-1a",
                                                                                            ["us-east-1f"])]),
     "shard_placements[0]: got ['us-east-1f']; only AZs of the group's subnets can be used"),
    ("not a placement", lambda s: ShardedReplicationGroup(s, "G", vpc=new_vpc(s), shards=1,
                                                          shard_placements=["us-east-1a"]),  # type: ignore[list-item]
     "shard_placements[0]: got 'us-east-1a'; pass ShardPlacement(primary_az=..., replica_azs=[...])"),
]


@pytest.mark.parametrize(("build", "message"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_placement(build: Callable[[cdk.Stack], Any], message: str) -> None:
    with pytest.raises(ValidationError) as err:
        build(new_stack())
    assert message in str(err.value)


def test_all_nodes_in_one_az_is_allowed() -> None:
    stack = new_stack()
    group = ReplicationGroup(stack, "G", vpc=new_vpc(stack), replicas=1, multi_az=False,
                             preferred_availability_zones=["us-east-1a", "us-east-1a"])
    assert group.preferred_availability_zones == ["us-east-1a", "us-east-1a"]
