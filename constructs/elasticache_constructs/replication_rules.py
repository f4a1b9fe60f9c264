"""Validation rules of replication groups (both cluster modes), each with its limit named. Every error names the
property, the value and what is allowed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ._validation import check_range, fail, is_unresolved
from .auth import Authentication, TransitEncryption
from .engine import EngineVersion
from .node_type import NodeType, check_engine_support
from .parameter_group import IParameterGroup

#: Read replicas per primary (per shard in cluster mode).
MAX_REPLICAS = 5
#: Hash slots of a Redis/Valkey cluster.
TOTAL_SLOTS = 16384
#: Automatic backups are kept at most this many days.
MAX_SNAPSHOT_RETENTION_DAYS = 35
#: Replication group ids are 1-40 characters.
MAX_REPLICATION_GROUP_ID_LENGTH = 40
#: Description length limit.
MAX_DESCRIPTION_LENGTH = 255
DEFAULT_PORT = 6379
MIN_PORT, MAX_PORT = 1, 65535

_ID_RE = re.compile(r"^[a-z][a-z0-9-]*$")
_SLOTS_RE = re.compile(r"^(\d+)-(\d+)$")


def validate_replication_group_id(value: str | None) -> None:
    """1-40 lowercase letters, digits or hyphens; starts with a letter; no ``--``; no trailing hyphen."""
    if value is None or is_unresolved(value):
        return
    rule = (
        f"1-{MAX_REPLICATION_GROUP_ID_LENGTH} lowercase letters, digits or hyphens, starting with a letter, "
        "without '--' or a trailing hyphen"
    )
    if (
        not 1 <= len(value) <= MAX_REPLICATION_GROUP_ID_LENGTH
        or not _ID_RE.match(value)
        or "--" in value
        or value.endswith("-")
    ):
        raise fail("replication_group_id", value, f"must be {rule}")


def validate_engine_version(engine_version: Any) -> EngineVersion:
    """Replication groups run Valkey or Redis OSS."""
    if not isinstance(engine_version, EngineVersion):
        raise fail("engine_version", engine_version, "pass an EngineVersion, e.g. EngineVersion.VALKEY_8_1")
    if not engine_version.is_redis_compatible:
        raise fail(
            "engine_version", str(engine_version), "replication groups run valkey or redis; use MemcachedCluster"
        )
    return engine_version


def validate_node_type(node_type: Any, engine_version: EngineVersion, data_tiering: bool) -> NodeType:
    """Known node type; data tiering exactly on the node types that have it (r6gd requires it)."""
    if isinstance(node_type, str):
        node_type = NodeType.of(node_type)
    if not isinstance(node_type, NodeType):
        raise fail("node_type", node_type, "pass a NodeType, e.g. NodeType.R7G_LARGE or NodeType.of('cache.r7g.large')")
    check_engine_support(node_type, engine_version)
    if not node_type.is_known:
        return node_type
    if data_tiering:
        if not node_type.data_tiering:
            tiering = ", ".join(n.name for n in NodeType.catalog() if n.data_tiering)
            why = f"node type {node_type.name} has no SSD tier; data tiering needs one of: {tiering}"
            raise fail("data_tiering", True, why)
        if not engine_version.supports_data_tiering:
            raise fail("data_tiering", True, f"{engine_version} lacks data tiering (valkey, redis 6.2+)")
    elif node_type.data_tiering:
        raise fail("data_tiering", False, f"node type {node_type.name} requires data_tiering=True")
    return node_type


def validate_transit_encryption(
    transit_encryption: Any, engine_version: EngineVersion, authentication: Authentication
) -> TransitEncryption:
    """TLS modes the engine supports; AUTH tokens and user groups only over TLS; RBAC on engines with it."""
    if not isinstance(transit_encryption, TransitEncryption):
        allowed = ", ".join(f"TransitEncryption.{t.name}" for t in TransitEncryption)
        raise fail("transit_encryption", transit_encryption, f"allowed: {allowed}")
    if transit_encryption.enabled and not engine_version.supports_transit_encryption:
        raise fail("transit_encryption", transit_encryption.name, f"{engine_version} lacks in-transit encryption")
    if transit_encryption is TransitEncryption.PREFERRED and not engine_version.supports_transit_encryption_mode:
        raise fail("transit_encryption", "PREFERRED", f"{engine_version} lacks TLS modes (valkey, redis 7.0.5+)")
    if not transit_encryption.enabled and authentication.kind != "none":
        raise fail(
            "transit_encryption",
            "DISABLED",
            f"authentication {authentication.kind!r} needs TLS: use REQUIRED (or PREFERRED), or Authentication.none()",
        )
    if authentication.kind == "user_group" and not engine_version.supports_rbac:
        raise fail("authentication", "user_group", f"{engine_version} lacks RBAC (valkey, redis 6.0+)")
    if authentication.uses_token and not engine_version.supports_auth_token:
        raise fail("authentication", authentication.kind, f"{engine_version} lacks AUTH tokens")
    authentication.validate(engine_version, transit_encryption.enabled)
    return transit_encryption


def validate_replicas(prop: str, replicas: int) -> None:
    """0 to ``MAX_REPLICAS`` read replicas."""
    check_range(prop, replicas, 0, MAX_REPLICAS)


def resolve_multi_az(prop: str, multi_az: bool | None, replicas: int) -> bool:
    """Multi-AZ (and automatic failover) need at least one replica; default on when there is one."""
    if multi_az is None:
        return bool(is_unresolved(replicas) or replicas >= 1)
    if multi_az and not is_unresolved(replicas) and replicas < 1:
        raise fail("multi_az", True, f"Multi-AZ needs at least one replica ({prop} >= 1)")
    return multi_az


def validate_parameter_group(
    parameter_group: IParameterGroup, engine_version: EngineVersion, cluster_mode: bool
) -> None:
    """The group's family matches the engine version and its cluster mode matches the group's."""
    if parameter_group.family != engine_version.family:
        raise fail(
            "parameter_group",
            parameter_group.family,
            f"{engine_version} needs a parameter group of family {engine_version.family!r}",
        )
    if parameter_group.cluster_mode != cluster_mode:
        want = "cluster_mode=True (cluster-enabled yes)" if cluster_mode else "cluster_mode=False"
        kind = "ShardedReplicationGroup" if cluster_mode else "ReplicationGroup"
        raise fail(
            "parameter_group",
            f"cluster-enabled {'yes' if parameter_group.cluster_mode else 'no'}",
            f"a {kind} needs a parameter group with {want}",
        )


def validate_slot_ranges(slot_ranges: Sequence[str], shards: int) -> list[str]:
    """One ``start-end`` range per shard; together they cover slots 0-16383 exactly once."""
    ranges = list(slot_ranges)
    if not is_unresolved(shards) and len(ranges) != shards:
        raise fail("slot_ranges", ranges, f"needs exactly one range per shard ({shards})")
    parsed: list[tuple[int, int, str]] = []
    for r in ranges:
        m = _SLOTS_RE.match(r) if isinstance(r, str) else None
        if not m:
            raise fail("slot_ranges", r, "each range is 'start-end', e.g. '0-5460'")
        lo, hi = int(m.group(1)), int(m.group(2))
        if lo > hi or hi >= TOTAL_SLOTS:
            raise fail("slot_ranges", r, f"start <= end, both from 0 to {TOTAL_SLOTS - 1}")
        parsed.append((lo, hi, r))
    expected = 0
    for lo, hi, r in sorted(parsed):
        if lo < expected:
            raise fail("slot_ranges", r, "overlaps another shard's range")
        if lo > expected:
            raise fail("slot_ranges", ranges, f"slots {expected}-{lo - 1} are not assigned to any shard")
        expected = hi + 1
    if expected != TOTAL_SLOTS:
        raise fail("slot_ranges", ranges, f"slots {expected}-{TOTAL_SLOTS - 1} are not assigned to any shard")
    return ranges


def even_slot_ranges(shards: int) -> list[str]:
    """The even split ElastiCache (and ``redis-cli --cluster create``) uses, e.g. 3 -> 0-5460, 5461-10922, ..."""
    bounds = [round(i * TOTAL_SLOTS / shards) for i in range(shards + 1)]
    return [f"{bounds[i]}-{bounds[i + 1] - 1}" for i in range(shards)]


def validate_description(description: str | None) -> None:
    """At most 255 characters."""
    if description is not None and not is_unresolved(description) and len(description) > MAX_DESCRIPTION_LENGTH:
        raise fail("description", description[:40] + "...", f"must be at most {MAX_DESCRIPTION_LENGTH} characters")
