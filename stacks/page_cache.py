"""The guide's page-caching use case: rendered HTML fragments in a node-based Memcached cluster."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from elasticache_constructs import AzMode, EngineVersion, MemcachedCluster, NodeType

from .app_config import AppConfig, ConfiguredStack
from .nag import acknowledge

#: cdk-nag findings of the page cache that do not apply, and why.
PAGE_CACHE_ACKNOWLEDGEMENTS = {
    "AwsSolutions-AEC5": (
        "Memcached clients and auto discovery expect 11211; a non-default port is obscurity, not a control. "
        "Access is limited to the web tier's security group and every connection is TLS."
    ),
}


class PageCacheStack(ConfiguredStack):
    """Memcached 1.6.22, 3 nodes across availability zones, TLS.

    HTML fragments are small, expendable and hot: Memcached's multi-threaded nodes serve them with no
    persistence or replication to pay for. Losing a node loses a third of the fragments, which are re-rendered
    on the next miss. Web servers connect to the configuration endpoint with an auto-discovery client over
    TLS; ``clients`` is the web tier's security group, already allowed in.
    """

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, vpc: ec2.IVpc, **kwargs: Any) -> None:
        super().__init__(scope, id, config=config, **kwargs)
        self.pages = MemcachedCluster(
            self,
            "Pages",
            vpc=vpc,
            engine_version=EngineVersion.MEMCACHED_1_6_22,
            node_type=NodeType.M7G_LARGE,
            nodes=3,
            az_mode=AzMode.CROSS_AZ,
            maintenance_window="sun:05:00-sun:06:00",
        )
        self.clients = ec2.SecurityGroup(
            self, "Clients", vpc=vpc, allow_all_outbound=False, description="Web tier caching page fragments"
        )
        self.pages.connections.allow_default_port_from(self.clients, "web tier")
        self.pages.add_connection_outputs()
        acknowledge(self.pages, PAGE_CACHE_ACKNOWLEDGEMENTS)
