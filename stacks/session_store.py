"""The guide's session-store use case: a replicated cache evicting the least recently used keys with a TTL."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from elasticache_constructs import CacheDashboard, EngineVersion, EvictionPolicy, NodeType, ReplicationGroup

from .app_config import AppConfig, ConfiguredStack
from .nag import acknowledge_cache


class SessionStoreStack(ConfiguredStack):
    """Valkey 8.1, cluster mode disabled, primary + 2 replicas across AZs, ``volatile-lru``.

    Sessions carry a TTL, so ``volatile-lru`` only ever evicts expiring session keys; the reader endpoint serves
    session reads. ``clients`` is a security group for the application tier, already allowed in.
    """

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, vpc: ec2.IVpc, **kwargs: Any) -> None:
        super().__init__(scope, id, config=config, **kwargs)
        self.sessions = ReplicationGroup(
            self,
            "Sessions",
            vpc=vpc,
            engine_version=EngineVersion.VALKEY_8_1,
            node_type=NodeType.R7G_LARGE,
            replicas=2,
            slow_log=True,
            engine_log=True,
            eviction_policy=EvictionPolicy.VOLATILE_LRU,
            snapshot_window="03:00-04:00",
            maintenance_window="sun:05:00-sun:06:00",
        )
        self.clients = ec2.SecurityGroup(
            self, "Clients", vpc=vpc, allow_all_outbound=False, description="Application tier using the session store"
        )
        self.sessions.connections.allow_default_port_from(self.clients, "application tier")
        self.sessions.add_connection_outputs()
        alerts_key = kms.Key(self, "AlertsKey", enable_key_rotation=True, description="Encrypts the cache alarm topic")
        self.alerts = sns.Topic(self, "Alerts", master_key=alerts_key, enforce_ssl=True)
        self.alarms = self.sessions.add_alarms(topic=self.alerts)
        CacheDashboard.of(self).add_cache(self.sessions)
        acknowledge_cache(self.sessions)
