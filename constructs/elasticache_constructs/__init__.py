"""Secure-by-default AWS CDK constructs for Amazon ElastiCache (Valkey, Redis OSS, Memcached)."""

from ._validation import ValidationError
from .auth import Authentication, TransitEncryption
from .endpoint import Endpoint
from .engine import Engine, EngineVersion
from .eviction_policy import EvictionPolicy
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

__all__ = [
    "MAX_REPLICAS",
    "TOTAL_SLOTS",
    "Authentication",
    "ConnectionInfo",
    "Endpoint",
    "Engine",
    "EngineVersion",
    "EvictionPolicy",
    "IParameterGroup",
    "IReplicationGroup",
    "NodeType",
    "ParameterGroup",
    "ReplicationGroup",
    "ReplicationGroupBase",
    "ShardedReplicationGroup",
    "TransitEncryption",
    "ValidationError",
    "add_connection_outputs",
    "even_slot_ranges",
]
