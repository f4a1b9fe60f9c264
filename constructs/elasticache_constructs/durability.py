"""Durability (Valkey 9.0+): writes persisted to a Multi-AZ transactional log, synchronously or asynchronously.

CloudFormation's ``AWS::ElastiCache::ReplicationGroup`` has a ``Durability`` property (``default``, ``async``,
``sync``, ``disabled``; the registry schema shipped with cfn-lint). What ElastiCache documents, and is validated here
(https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Durability.Limitations.html,
https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Durability.Configuring.html):

* Valkey 9.0 or later, node-based caches only (not serverless);
* node families R8g, R7g, R6g, M8g, M7g, M6g, C8gn and C7gn;
* cluster mode enabled (not for cluster-mode-disabled groups), Multi-AZ with at least one replica per shard;
* in-transit encryption at creation; at-rest encryption is required and enabled automatically;
* not with Global Datastores, Outposts, Local Zones or data tiering;
* whether durability is on is decided at creation: switching ``SYNC`` <-> ``ASYNC`` later is an online change, turning
  it on or off is not (the registry schema: "Enabling durability on an existing non-durable cluster or disabling
  durability on an existing durable cluster is not currently supported and will result in an error").
"""

from __future__ import annotations

import enum
from typing import Any

from ._validation import fail, is_unresolved
from .engine import EngineVersion
from .node_type import NodeType

#: Node families durability supports (Durability.Limitations, see the module docstring).
DURABILITY_FAMILIES = ("r8g", "r7g", "r6g", "m8g", "m7g", "m6g", "c8gn", "c7gn")


class Durability(enum.Enum):
    """The ``Durability`` of a cluster-mode replication group (Valkey 9.0+).

    Members' values are what CloudFormation receives.
    """

    #: Writes are persisted to the Multi-AZ transactional log before the client gets its reply: no acknowledged
    #: write is lost; single-digit millisecond write latency.
    SYNC = "sync"
    #: Writes are persisted after the reply: microsecond write latency; up to the last 10 seconds of writes may be
    #: lost in a failure.
    ASYNC = "async"
    #: No durability (standard ElastiCache behaviour, also what ``default`` resolves to).
    DISABLED = "disabled"

    @property
    def enabled(self) -> bool:
        """True for ``SYNC`` and ``ASYNC``."""
        return self is not Durability.DISABLED

    @classmethod
    def parse(cls, value: Any, prop: str = "durability") -> Durability:
        """A member, or its string (``"sync"``/``"async"``/``"disabled"``, case-insensitive)."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            for member in cls:
                if member.value == value.lower():
                    return member
        raise fail(prop, value, "allowed: " + ", ".join(f"Durability.{m.name}" for m in cls))


def validate_durability(
    durability: Any,
    *,
    engine_version: EngineVersion,
    node_type: NodeType,
    cluster_mode: bool,
    multi_az: bool,
    replicas: Any,
    transit_encryption_enabled: bool,
    data_tiering: bool,
) -> Durability | None:
    """The parsed ``durability`` when the group meets every documented requirement, else an error naming the fix."""
    if durability is None:
        return None
    mode = Durability.parse(durability)
    if not mode.enabled:
        return mode
    if not engine_version.supports_durability:
        raise fail("durability", mode.value, f"durability needs valkey 9.0 or later (got {engine_version})")
    if not is_unresolved(node_type.name) and node_type.family not in DURABILITY_FAMILIES:
        raise fail(
            "durability",
            mode.value,
            f"node type {node_type.name} is not supported; durability runs on the families "
            + ", ".join(DURABILITY_FAMILIES),
        )
    if data_tiering:
        raise fail("durability", mode.value, "durability is not supported with data tiering")
    if not cluster_mode:
        raise fail(
            "durability", mode.value, "durability needs cluster mode enabled: use ShardedReplicationGroup"
        )
    if not multi_az or (not is_unresolved(replicas) and replicas < 1):
        raise fail("durability", mode.value, "durability needs Multi-AZ with at least one replica per shard")
    if not transit_encryption_enabled:
        raise fail("durability", mode.value, "durability needs in-transit encryption (TLS) at creation")
    return mode


__all__ = ["DURABILITY_FAMILIES", "Durability", "validate_durability"]
