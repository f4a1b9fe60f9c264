"""A serverless product-catalog cache: ElastiCache Serverless for Valkey with usage limits that cap its cost."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_ec2 as ec2
from aws_cdk.aws_elasticache_alpha import CacheEngine
from constructs import Construct

from elasticache_constructs import ServerlessCache

from .app_config import AppConfig, ConfiguredStack

#: Usage limits of the catalog cache: storage and ECPU/s caps (cost ceiling) and a small pre-scaled floor.
CATALOG_DATA_STORAGE_MAX_GB = 10
CATALOG_ECPU_PER_SECOND_MIN = 1_000
CATALOG_ECPU_PER_SECOND_MAX = 100_000


class ServerlessCacheStack(ConfiguredStack):
    """Valkey 9 serverless cache for the product catalog (cache-aside reads of product pages and prices).

    Capacity follows traffic, bounded by usage limits: at most 10 GB of data (keys with a TTL are evicted at
    the cap) and 100,000 ECPU/s (requests are throttled above it), with 1,000 ECPU/s kept warm. TLS is always on
    and the cache is cluster-mode: clients use a cluster-aware TLS client on the endpoint (6379) and may read
    from replicas on the reader endpoint (6380); ``clients`` is the application tier's security group, already
    allowed in on both ports. Catalog data is public product information, so access is controlled by the
    network (security groups) rather than RBAC users.
    """

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, vpc: ec2.IVpc, **kwargs: Any) -> None:
        super().__init__(scope, id, config=config, **kwargs)
        self.catalog = ServerlessCache(
            self,
            "Catalog",
            vpc=vpc,
            engine=CacheEngine.VALKEY_9,
            data_storage_max_gb=CATALOG_DATA_STORAGE_MAX_GB,
            ecpu_per_second_min=CATALOG_ECPU_PER_SECOND_MIN,
            ecpu_per_second_max=CATALOG_ECPU_PER_SECOND_MAX,
            snapshot_retention_days=1,
            daily_snapshot_time="03:00",
            description="Product catalog cache (cache-aside)",
        )
        self.clients = ec2.SecurityGroup(
            self, "Clients", vpc=vpc, allow_all_outbound=False, description="Application tier using the catalog cache"
        )
        self.catalog.connections.allow_default_port_from(self.clients, "application tier")
        self.catalog.add_connection_outputs()
