"""The network every cache lives in: a VPC with isolated subnets, or an existing VPC."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from .app_config import AppConfig, ConfiguredStack


def cache_network(scope: Construct, config: AppConfig) -> ec2.Vpc:
    """A VPC with isolated subnets only (caches need no internet) and flow logs to CloudWatch Logs.

    Explicit AZs when configured; else the stack's (``Fn::GetAZs``-based) zones, so no account lookup.
    """
    azs = config.availability_zones
    vpc = ec2.Vpc(
        scope,
        "Vpc",
        availability_zones=azs or None,
        max_azs=None if azs else config.az_count,
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="cache", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24)
        ],
    )
    vpc.add_flow_log(
        "FlowLog",
        destination=ec2.FlowLogDestination.to_cloud_watch_logs(
            logs.LogGroup(scope, "FlowLogs", retention=logs.RetentionDays.ONE_MONTH)
        ),
    )
    return vpc


class NetworkStack(ConfiguredStack):
    """A VPC with isolated subnets only (caches need no internet), with flow logs; or an imported VPC."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, config=config, **kwargs)
        self.vpc: ec2.IVpc
        if config.vpc_id:
            self.vpc = ec2.Vpc.from_vpc_attributes(
                self,
                "Vpc",
                vpc_id=config.vpc_id,
                availability_zones=config.availability_zones,
                isolated_subnet_ids=list(config.subnet_ids),
            )
            return
        self.vpc = cache_network(self, config)
