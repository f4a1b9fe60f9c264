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
from .node_type import NodeType
from .outputs import ConnectionInfo, add_connection_outputs
from .parameter_group import IParameterGroup, ParameterGroup
from .replication_group import (
    MAX_REPLICAS,
    TOTAL_SLOTS,
    IReplicationGroup,
    ReplicationGroup,
    ReplicationGroupBase,
    ShardedReplicationGroup,
    even_slot_ranges,
)
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
    "Durability",
    "Endpoint",
    "Engine",
    "EngineVersion",
    "EvictionPolicy",
    "GlobalDatastore",
    "IParameterGroup",
    "IReplicationGroup",
    "LogDelivery",
    "LogFormat",
    "LogType",
    "MemcachedCluster",
    "MemcachedClusterBase",
    "NodeType",
    "ParameterGroup",
    "ReplicaAutoScaling",
    "ReplicationGroup",
    "ReplicationGroupBase",
    "SecondaryReplicationGroup",
    "ServerlessCache",
    "ShardAutoScaling",
    "ShardedReplicationGroup",
    "TransitEncryption",
    "ValidationError",
    "add_connection_outputs",
    "even_slot_ranges",
]
