"""Secure-by-default AWS CDK constructs for Amazon ElastiCache (Valkey, Redis OSS, Memcached)."""

from ._validation import ValidationError
from .auth import Authentication, TransitEncryption
from .durability import Durability
from .endpoint import Endpoint
from .engine import Engine, EngineVersion
from .eviction_policy import EvictionPolicy
from .global_datastore import GlobalDatastore, SecondaryReplicationGroup
from .log_delivery import LogDelivery, LogFormat, LogType
from .memcached import AzMode, MemcachedCluster, MemcachedClusterBase
from .monitoring import CacheAlarms, CacheDashboard, CacheMetricNames, CacheMetricsMixin
from .network import ConnectionType, IpDiscovery, NetworkType
from .node_type import NodeType
from .outputs import ConnectionInfo, add_connection_outputs
from .parameter_group import IParameterGroup, ParameterGroup
from .placement import ShardPlacement
from .replication_group import (
    MAX_REPLICAS,
    TOTAL_SLOTS,
    IReplicationGroup,
    ReplicationGroup,
    ReplicationGroupBase,
    ShardedReplicationGroup,
    even_slot_ranges,
)
from .restore import Restore
from .scaling import ReplicaAutoScaling, ShardAutoScaling
from .serverless import ServerlessCache

__all__ = [
    "MAX_REPLICAS",
    "TOTAL_SLOTS",
    "Authentication",
    "AzMode",
    "CacheAlarms",
    "CacheDashboard",
    "CacheMetricNames",
    "CacheMetricsMixin",
    "ConnectionInfo",
    "ConnectionType",
    "Durability",
    "Endpoint",
    "Engine",
    "EngineVersion",
    "EvictionPolicy",
    "GlobalDatastore",
    "IParameterGroup",
    "IReplicationGroup",
    "IpDiscovery",
    "LogDelivery",
    "LogFormat",
    "LogType",
    "MemcachedCluster",
    "MemcachedClusterBase",
    "NetworkType",
    "NodeType",
    "ParameterGroup",
    "ReplicaAutoScaling",
    "ReplicationGroup",
    "ReplicationGroupBase",
    "Restore",
    "SecondaryReplicationGroup",
    "ServerlessCache",
    "ShardAutoScaling",
    "ShardPlacement",
    "ShardedReplicationGroup",
    "TransitEncryption",
    "ValidationError",
    "add_connection_outputs",
    "even_slot_ranges",
]
