"""Small networking helpers shared by the cache constructs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from constructs import Construct

_SELECTION_FIELDS = (
    "availability_zones", "one_per_az", "subnet_filters", "subnet_group_name", "subnet_type", "subnets",
)


def subnet_kwargs(selection: ec2.SubnetSelection | None) -> dict[str, Any]:
    """A ``SubnetSelection`` as keyword arguments for ``vpc.select_subnets(**...)`` (``{}``: the VPC's default)."""
    if selection is None:
        return {}
    return {k: getattr(selection, k) for k in _SELECTION_FIELDS if getattr(selection, k, None) is not None}


def cache_network_resources(
    scope: Construct, *, vpc: ec2.IVpc, security_groups: Sequence[ec2.ISecurityGroup] | None, port: int,
    subnet_ids: list[str],
) -> tuple[ec2.Connections, elasticache.CfnSubnetGroup]:
    """A node-based cache's ``connections`` (its own security group with no ingress unless ``security_groups`` is
    given) and its subnet group, as the children ``SecurityGroup`` and ``SubnetGroup`` of ``scope`` (construct IDs
    of stateful resources: never rename them)."""
    if security_groups is None:
        security_groups = [
            ec2.SecurityGroup(
                scope, "SecurityGroup", vpc=vpc, allow_all_outbound=False,
                description=f"ElastiCache {scope.node.path}: no ingress until granted",
            )
        ]
    connections = ec2.Connections(security_groups=list(security_groups), default_port=ec2.Port.tcp(port))
    subnet_group = elasticache.CfnSubnetGroup(
        scope, "SubnetGroup", description=f"Subnets of {scope.node.path}", subnet_ids=subnet_ids,
    )
    return connections, subnet_group
