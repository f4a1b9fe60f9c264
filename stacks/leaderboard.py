"""The guide's leaderboard use case: sorted sets in a sharded cluster that must never evict."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from elasticache_constructs import EngineVersion, EvictionPolicy, NodeType, ShardedReplicationGroup

from .app_config import AppConfig, ConfiguredStack
from .nag import acknowledge_cache


class LeaderboardStack(ConfiguredStack):
    """Valkey 8.1, cluster mode enabled, 3 shards x 1 replica, ``noeviction``.

    A leaderboard is data, not cache: losing a player's score to eviction is a bug, so writes fail loudly
    (OOM) instead, and the memory alarm (see monitoring) tells you to add shards.
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
            eviction_policy=EvictionPolicy.NOEVICTION,
        )
        self.clients = ec2.SecurityGroup(
            self, "Clients", vpc=vpc, allow_all_outbound=False, description="Game servers using the leaderboard"
        )
        self.leaderboard.connections.allow_default_port_from(self.clients, "game servers")
        self.leaderboard.add_connection_outputs()
        acknowledge_cache(self.leaderboard)
