"""Settings of the app, read from CDK context (``cdk.json`` or ``-c key=value``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from constructs import Construct, Node

#: Placeholders so ``cdk synth`` works offline with no AWS account; override with ``-c account=... -c region=...``.
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"


def _list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class AppConfig:
    """Account, region, availability zones and (optionally) an existing VPC to deploy into."""

    account: str
    region: str
    #: Explicit AZ names (context ``availability_zones``). Default: empty, meaning the first
    #: ``az_count`` zones of the region, resolved by CloudFormation (``Fn::GetAZs``) with no lookup.
    availability_zones: list[str]
    #: Existing VPC: its id and isolated subnet ids (one per AZ, same order). Default: a new VPC.
    vpc_id: str | None = None
    subnet_ids: tuple[str, ...] = ()
    #: How many AZs the VPC spans when ``availability_zones`` is not given.
    az_count: int = 3

    @property
    def env(self) -> cdk.Environment:
        """The explicit environment every stack uses."""
        return cdk.Environment(account=self.account, region=self.region)

    @classmethod
    def from_context(cls, node: Node) -> AppConfig:
        """Read ``account``, ``region``, ``availability_zones``, ``vpc_id``, ``vpc_subnet_ids`` from context."""
        region = str(node.try_get_context("region") or DEFAULT_REGION)
        azs = _list(node.try_get_context("availability_zones"))
        vpc_id = node.try_get_context("vpc_id")
        subnets = tuple(_list(node.try_get_context("vpc_subnet_ids")))
        if vpc_id and not azs:
            raise ValueError("context vpc_id needs availability_zones (the AZs of vpc_subnet_ids, same order)")
        if vpc_id and len(subnets) != len(azs):
            raise ValueError(
                f"context vpc_subnet_ids: got {len(subnets)} subnet ids for {len(azs)} availability_zones; "
                "give one isolated subnet id per availability zone, in the same order"
            )
        return cls(
            account=str(node.try_get_context("account") or DEFAULT_ACCOUNT),
            region=region,
            availability_zones=azs,
            vpc_id=str(vpc_id) if vpc_id else None,
            subnet_ids=subnets,
        )


class ConfiguredStack(cdk.Stack):
    """A stack in the configured environment whose availability zones come from the config, so synthesis
    never needs an AWS lookup (``Stack.availability_zones`` would otherwise query the account)."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, env=config.env, **kwargs)
        self._configured_azs = list(config.availability_zones) or [
            cdk.Fn.select(i, cdk.Fn.get_azs()) for i in range(config.az_count)
        ]
        self.config = config

    @property
    def availability_zones(self) -> list[str]:
        """The configured AZs (context ``availability_zones``), else the region's first ``az_count`` via
        ``Fn::GetAZs``."""
        return self._configured_azs
