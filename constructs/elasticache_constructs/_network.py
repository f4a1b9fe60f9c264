"""Small networking helpers shared by the cache constructs."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_ec2 as ec2

_SELECTION_FIELDS = (
    "availability_zones", "one_per_az", "subnet_filters", "subnet_group_name", "subnet_type", "subnets",
)


def subnet_kwargs(selection: ec2.SubnetSelection | None) -> dict[str, Any]:
    """A ``SubnetSelection`` as keyword arguments for ``vpc.select_subnets(**...)`` (``{}``: the VPC's default)."""
    if selection is None:
        return {}
    return {k: getattr(selection, k) for k in _SELECTION_FIELDS if getattr(selection, k, None) is not None}
