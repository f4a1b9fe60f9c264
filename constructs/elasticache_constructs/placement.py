"""Where a replication group's nodes go: preferred AZs of a cluster-mode-disabled group (primary first) and
per-shard primary/replica AZs of a cluster-mode group.

Sources (CloudFormation ReplicationGroup reference): ``PreferredCacheClusterAZs`` -- "The number of Availability
Zones listed must equal the value of NumCacheClusters", the primary is created in the first, and only AZs of the
subnet group's subnets can be used; ``NodeGroupConfiguration.ReplicaAvailabilityZones`` -- "The number of
Availability Zones in this list must match the value of ReplicaCount".
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-elasticache-replicationgroup.html
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ._validation import fail, is_unresolved


@dataclass(frozen=True)
class ShardPlacement:
    """AZs of one shard: its primary and, in order, its replicas (one AZ per replica; may repeat).

    :param primary_az: AZ of the shard's primary, e.g. ``"us-east-1a"``.
    :param replica_azs: one AZ per replica of the shard. Default: none (a shard without replicas).
    """

    primary_az: str
    replica_azs: Sequence[str] = field(default_factory=tuple)


def _check_azs(prop: str, azs: Sequence[str], subnet_azs: Sequence[str]) -> None:
    for az in azs:
        if not isinstance(az, str) or (not is_unresolved(az) and not az):
            raise fail(prop, az, "each availability zone is a name like 'us-east-1a'")
    if is_unresolved(list(azs)) or not subnet_azs or is_unresolved(list(subnet_azs)):
        return
    outside = sorted({az for az in azs if az not in subnet_azs})
    if outside:
        raise fail(prop, outside, f"only AZs of the group's subnets can be used: {sorted(set(subnet_azs))}")


def validate_preferred_azs(
    azs: Sequence[str] | None, replicas: int, subnet_azs: Sequence[str]
) -> list[str] | None:
    """One AZ per node (primary first, then each replica), each an AZ of the subnets."""
    if azs is None:
        return None
    if isinstance(azs, str):
        raise fail("preferred_availability_zones", azs, "pass a list, primary first: ['us-east-1a', 'us-east-1b']")
    azs = list(azs)
    if not is_unresolved(replicas) and len(azs) != replicas + 1:
        raise fail(
            "preferred_availability_zones", azs,
            f"needs exactly one AZ per node: the primary then each replica ({replicas + 1})",
        )
    _check_azs("preferred_availability_zones", azs, subnet_azs)
    return azs


def validate_shard_placements(
    placements: Sequence[ShardPlacement] | None, shards: int, replicas: int, subnet_azs: Sequence[str]
) -> list[ShardPlacement] | None:
    """One ``ShardPlacement`` per shard, one replica AZ per replica, AZs of the subnets."""
    if placements is None:
        return None
    placements = list(placements)
    if not is_unresolved(shards) and len(placements) != shards:
        raise fail("shard_placements", len(placements), f"needs exactly one ShardPlacement per shard ({shards})")
    for i, p in enumerate(placements):
        prop = f"shard_placements[{i}]"
        if not isinstance(p, ShardPlacement):
            raise fail(prop, p, "pass ShardPlacement(primary_az=..., replica_azs=[...])")
        replica_azs = list(p.replica_azs)
        if not is_unresolved(replicas) and len(replica_azs) != replicas:
            raise fail(f"{prop}.replica_azs", replica_azs, f"needs one AZ per replica ({replicas})")
        _check_azs(prop, [p.primary_az, *replica_azs], subnet_azs)
    return placements


__all__ = ["ShardPlacement", "validate_preferred_azs", "validate_shard_placements"]
