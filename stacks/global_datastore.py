"""The guide's Global Datastore (2019): a primary cache in one region replicated to a read-only secondary in another.

``add_global_datastore_stacks(app, config)`` adds two stacks, each with its own network:

- ``ElastiCacheGlobalPrimary`` (context ``global_primary_region``, default ``us-east-1``): a Valkey replication
  group and the ``GlobalDatastore`` around it;
- ``ElastiCacheGlobalSecondary`` (context ``global_secondary_region``, default ``eu-west-1``): the secondary
  member, which reads the datastore's id through CDK's cross-region references and so depends on the primary.

``cdk deploy --all`` deploys them in that order; both publish the outputs contract (prefix ``Cache``), plus
``GlobalDatastoreId`` (for ``failover-global-replication-group``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from elasticache_constructs import EngineVersion, NodeType, ReplicationGroup
from elasticache_constructs.global_datastore import GlobalDatastore, SecondaryReplicationGroup

from .app_config import AppConfig, ConfiguredStack
from .nag import acknowledge_cache
from .network import cache_network

DEFAULT_PRIMARY_REGION = "us-east-1"
DEFAULT_SECONDARY_REGION = "eu-west-1"
#: Prefix of the outputs-contract keys in both stacks.
CACHE_ID = "Cache"


def regional_config(config: AppConfig, region: str) -> AppConfig:
    """``config`` moved to ``region``: same account; AZs resolved in that region (``Fn::GetAZs``), own VPC."""
    if region == config.region:
        return dataclasses.replace(config, vpc_id=None, subnet_ids=())
    return dataclasses.replace(config, region=region, availability_zones=[], vpc_id=None, subnet_ids=())


class GlobalPrimaryStack(ConfiguredStack):
    """Valkey 8.1 primary (1 replica, Multi-AZ) on r7g.large, and the global datastore around it."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, config=config, cross_region_references=True, **kwargs)
        self.vpc = cache_network(self, config)
        self.cache = ReplicationGroup(
            self,
            CACHE_ID,
            vpc=self.vpc,
            engine_version=EngineVersion.VALKEY_8_1,
            node_type=NodeType.R7G_LARGE,
            replicas=1,
        )
        self.clients = ec2.SecurityGroup(
            self, "Clients", vpc=self.vpc, allow_all_outbound=False, description="Application tier (primary region)"
        )
        self.cache.connections.allow_default_port_from(self.clients, "application tier")
        self.datastore = GlobalDatastore(self, "Global", primary=self.cache)
        self.cache.add_connection_outputs()
        cdk.CfnOutput(
            self,
            "GlobalDatastoreId",
            value=self.datastore.global_replication_group_id,
            description="Global datastore id (for failover-global-replication-group)",
        )
        acknowledge_cache(self.cache)


class GlobalSecondaryStack(ConfiguredStack):
    """The global datastore's read-only member in another region, with its own network and outputs."""

    def __init__(
        self, scope: Construct, id: str, *, config: AppConfig, datastore: GlobalDatastore, **kwargs: Any
    ) -> None:
        super().__init__(scope, id, config=config, cross_region_references=True, **kwargs)
        # cdk.json pins "@aws-cdk/core:defaultCrossStackReferences": "strong"; apps built without it (tests) get
        # the same strong references, so the "no strength configured" notice carries no information.
        cdk.Annotations.of(self).acknowledge_warning(
            "@aws-cdk/core:crossStackReferencesDefaultStrong",
            "Strong references are intended: the primary stack cannot drop an export this stack still reads.",
        )
        self.vpc = cache_network(self, config)
        self.cache: SecondaryReplicationGroup = datastore.add_secondary(self, CACHE_ID, vpc=self.vpc, replicas=1)
        self.clients = ec2.SecurityGroup(
            self, "Clients", vpc=self.vpc, allow_all_outbound=False, description="Application tier (secondary region)"
        )
        self.cache.connections.allow_default_port_from(self.clients, "application tier")
        self.cache.add_connection_outputs()
        cdk.CfnOutput(
            self,
            "GlobalDatastoreId",
            value=datastore.global_replication_group_id,
            description="Global datastore id this secondary belongs to",
        )


def add_global_datastore_stacks(app: Construct, config: AppConfig) -> tuple[GlobalPrimaryStack, GlobalSecondaryStack]:
    """The primary and secondary stacks (regions from context ``global_primary_region``/``global_secondary_region``)."""
    primary_region = str(app.node.try_get_context("global_primary_region") or DEFAULT_PRIMARY_REGION)
    secondary_region = str(app.node.try_get_context("global_secondary_region") or DEFAULT_SECONDARY_REGION)
    primary = GlobalPrimaryStack(app, "ElastiCacheGlobalPrimary", config=regional_config(config, primary_region))
    secondary = GlobalSecondaryStack(
        app,
        "ElastiCacheGlobalSecondary",
        config=regional_config(config, secondary_region),
        datastore=primary.datastore,
    )
    secondary.add_stack_dependency(primary, "the secondary joins the global datastore created by the primary stack")
    return primary, secondary
