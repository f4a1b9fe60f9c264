"""The guide's leaderboard use case: sorted sets in a sharded cluster that must never evict."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from elasticache_constructs import CacheDashboard, EngineVersion, EvictionPolicy, NodeType, ShardedReplicationGroup

from .app_config import AppConfig, ConfiguredStack
from .nag import acknowledge_cache


class LeaderboardStack(ConfiguredStack):
    """Valkey 8.1, cluster mode enabled, 3 shards x 1 replica, ``noeviction``.

    A leaderboard is data, not cache: losing a player's score to eviction is a bug, so writes fail loudly
    (OOM) instead. Shards auto scale from 3 to 6 on database capacity usage (target 60 %, no scale-in), and the
    memory alarm (see monitoring) still fires when a node fills anyway (a hot shard, or 6 shards reached).
    """

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, vpc: ec2.IVpc, **kwargs: Any) -> None:
        super().__init__(scope, id, config=config, **kwargs)
        self.leaderboard = ShardedReplicationGroup(
            self,
            "Leaderboard",
            vpc=vpc,
            engine_version=EngineVersion.VALKEY_8_1,
            node_type=NodeType.R7G_LARGE,
            shards=3,
            replicas_per_shard=1,
            slow_log=True,
            engine_log=True,
            eviction_policy=EvictionPolicy.NOEVICTION,
        )
        self.clients = ec2.SecurityGroup(
            self, "Clients", vpc=vpc, allow_all_outbound=False, description="Game servers using the leaderboard"
        )
        self.leaderboard.connections.allow_default_port_from(self.clients, "game servers")
        self.leaderboard.add_connection_outputs()
        # One tracking metric, as ElastiCache's auto scaling best practices recommend: a leaderboard is data-bound,
        # and database capacity usage "works best with maxmemory-policy set to noeviction"; shard and replica
        # policies together are what the same page advises against. Scale-in starts disabled (best practice
        # "Disable Scale-In": no oscillation; remove shards by hand when the data shrinks). Replicas stay at 1 per
        # shard for Multi-AZ failover. https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoScaling.html
        # Auto scaling must be declared before the alarms so they cover every member up to the maximum.
        shards = self.leaderboard.auto_scale_shards(min_capacity=3, max_capacity=6)
        shards.scale_on_capacity(target_utilization_percent=60, disable_scale_in=True)
        alerts_key = kms.Key(self, "AlertsKey", enable_key_rotation=True, description="Encrypts the cache alarm topic")
        self.alerts = sns.Topic(self, "Alerts", master_key=alerts_key, enforce_ssl=True)
        self.alarms = self.leaderboard.add_alarms(topic=self.alerts)
        CacheDashboard.of(self).add_cache(self.leaderboard)
        acknowledge_cache(self.leaderboard)
